#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel in QEMU with two CPUs and a busybox initramfs holding
# buddyslab.ko (built here with W=1 against that kernel's build tree),
# buddyslabctl and the selftests. The kernel is Debian's stock one of a
# series (6.12 or 6.1), or "debug": a 6.12 kernel built from
# linux-source-6.12 with KASAN, lockdep, atomic-sleep and list debugging,
# UBSAN and RCU head debugging (kunit/x86-debug.kunitconfig), whose build
# directory is cached so that later runs only rebuild what changed.
#
#   vm.sh test 6.12|6.1|debug  run the selftests; prints "VM <series>: N
#                              selftests passed, N failed, N skipped" last
#                              and fails on a failed or missing result, or
#                              on any BUG/WARNING/Oops/KASAN/UBSAN/lockdep/
#                              list corruption in dmesg, or (debug) on a
#                              kmemleak report that involves buddyslab
#   vm.sh fuzz [debug]         only the fuzzer (tools/selftests/fuzz_test.c),
#                              for $BUDDYSLAB_FUZZ_SECONDS (default 300), with
#                              $BUDDYSLAB_FUZZ_SEED if set; judged as test is
#   vm.sh demo [6.12]          a short buddyslabctl session, buddyinfo
#                              before and after
#   vm.sh shell [6.12|6.1|debug]
#                              an interactive shell in the VM on this
#                              terminal, the module loaded with the
#                              parameters in $BUDDYSLAB_ARGS (region_mb=16 if
#                              empty), buddyslabctl and the selftests at hand;
#                              `exit` powers the VM off
#   vm.sh lab [6.12]           the laboratory's VM half, run by scripts/lab.sh:
#                              boots with no_hash_pointers, records the kernel's
#                              own allocations with ftrace (kmem events) while
#                              busybox find, sort, tar and gzip run, then replays
#                              that trace and every trace of $BUDDYSLAB_LAB_IN
#                              on every strategy (compare, replay, page maps,
#                              the adversary); what it made comes out through
#                              the serial log into $BUDDYSLAB_LAB_OUT; the VM
#                              may run $BUDDYSLAB_LAB_SECONDS (1800)
#   vm.sh bench [6.12]         the benchmark module (buddyslab_bench.ko, built
#                              with BUDDYSLAB_BENCH_MODULE=1), loaded once in a
#                              VM of 8 GiB booted with $BUDDYSLAB_BENCH_APPEND
#                              added to the kernel's command line (e.g.
#                              init_on_alloc=0); prints its tables
#   vm.sh trinity [6.12]       Debian's trinity (apt-get install trinity)
#                              for $BUDDYSLAB_TRINITY_SECONDS (90) with
#                              /dev/buddyslab its only victim file; prints
#                              the device's stats before and after, judged
#                              on the kernel log and validate
#
# The selftests are every tools/selftests/*_test: those that load the module
# themselves (module_test, limits_test, fault_test, where built) first, then,
# with the module loaded, the others, the fuzzer last: for 60 s on the debug
# kernel, 20 s on the stock ones ($BUDDYSLAB_FUZZ_SECONDS overrides).
#
# QEMU runs with TCG: KVM is not usable on the machines this runs on.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-}
series=${2:-6.12}
case $mode in
test | demo | trinity | lab | shell | bench) ;;
fuzz) series=${2:-debug} ;;
*) bs_die "usage: $0 test|fuzz|demo|trinity|lab|shell|bench [6.12|6.1|debug]" ;;
esac

# The selftests that load the module themselves, in the order they run.
pre_insmod="module_test limits_test fault_test"
if [ "$mode" = fuzz ]; then
	fuzz_seconds=${BUDDYSLAB_FUZZ_SECONDS:-300}
elif [ "$mode" = trinity ]; then
	fuzz_seconds=${BUDDYSLAB_TRINITY_SECONDS:-90}
	command -v trinity >/dev/null || bs_die "no trinity: apt-get install trinity"
elif [ "$series" = debug ]; then
	fuzz_seconds=${BUDDYSLAB_FUZZ_SECONDS:-60}
else
	fuzz_seconds=${BUDDYSLAB_FUZZ_SECONDS:-20}
fi
case $fuzz_seconds in
'' | *[!0-9]*) bs_die "BUDDYSLAB_FUZZ_SECONDS must be a number of seconds" ;;
esac

# QEMU's memory, the kernel's command line and how long the VM may run.
memory_mb=1024
append="console=ttyS0 loglevel=1 panic=-1 log_buf_len=4M"
vm_seconds=$((600 + 2 * fuzz_seconds))
if [ "$mode" = lab ]; then
	lab_in=${BUDDYSLAB_LAB_IN:-}
	lab_out=${BUDDYSLAB_LAB_OUT:-}
	[ -e "$lab_in/lab.conf" ] && [ -n "$lab_out" ] ||
		bs_die "lab: set BUDDYSLAB_LAB_IN (a directory with lab.conf and" \
			"traces/, as scripts/lab.sh makes it) and BUDDYSLAB_LAB_OUT"
	# The region and the traces, unpacked in RAM, both fit beside the
	# kernel; ftrace prints the kmem events' pointers unhashed.
	memory_mb=2048
	append="$append no_hash_pointers"
	vm_seconds=${BUDDYSLAB_LAB_SECONDS:-1800}
elif [ "$mode" = shell ]; then
	[ -t 0 ] && [ -t 1 ] || bs_die "shell: run it on a terminal"
	# A person types there: no limit but a day.
	vm_seconds=86400
elif [ "$mode" = bench ]; then
	# The largest region measured is half of RAM; the page allocator's
	# side takes 1 GiB at once.
	memory_mb=8192
	append="$append ${BUDDYSLAB_BENCH_APPEND:-}"
	vm_seconds=900
fi

if [ "$series" = debug ]; then
	kdir=$BS_CACHE/debug-vm-build
	work=$BS_CACHE/vm/debug
	mkdir -p "$work"
	# The SMP KUnit kernel is this one with buddyslab built in: a first
	# build starts from a copy of its tree, and rebuilds only what
	# buddyslab's options touch.
	if [ ! -e "$kdir" ] && [ -e "$BS_SMP_BUILD/vmlinux" ]; then
		cp -a "$BS_SMP_BUILD" "$kdir"
	fi
	echo "VM $series: building the kernel (log in $work/kernel-build.log)"
	bs_kunit build x86_64 "$kdir" "$BS_ROOT/kunit/x86-debug.kunitconfig" \
		>"$work/kernel-build.log" 2>&1 || {
		cat "$work/kernel-build.log"
		bs_die "debug kernel build failed"
	}
	kver=$(cat "$kdir/include/config/kernel.release")
	vmlinuz=$kdir/arch/x86/boot/bzImage
else
	kver=$(bs_kver "$series")
	kdir=/lib/modules/$kver/build
	work=$BS_CACHE/vm/$kver
	vmlinuz=$BS_CACHE/images/$kver/boot/vmlinuz-$kver
fi
root=$work/initramfs
log=$work/serial-$mode.log

bs_build_module "$kdir" "$work/module"
# -B: the binaries in the cache may come from another checkout.
make -s -B -C "$BS_ROOT/tools" OUTPUT="$work/tools/"

rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,lib,selftests}
cp /bin/busybox "$root/bin/"
cp "$work/module/buddyslab.ko" "$root/lib/"
cp "$work/tools/buddyslabctl" "$root/bin/"
cp "$work/tools/selftests/"*_test "$root/selftests/"
# On Debian's 6.12, the selftests run a second time the kselftest way.
kselftest=
if [ "$mode" = test ] && [ "$series" = 6.12 ]; then
	bs_kselftest_install "$work/kselftest"
	cp -r "$work/kselftest" "$root/kselftest"
	kselftest=1
fi

cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
dmesg -c >/dev/null
INIT

# The selftests in the order they run: those that load the module
# themselves, then the others with the module loaded, the fuzzer last.
tests=
for test in $pre_insmod; do
	[ -e "$root/selftests/$test" ] && tests="$tests $test"
done
for file in "$root"/selftests/*_test; do
	test=${file##*/}
	case " $pre_insmod fuzz_test " in
	*" $test "*) ;;
	*) tests="$tests $test" ;;
	esac
done
[ -e "$root/selftests/fuzz_test" ] && tests="$tests fuzz_test"
if [ "$mode" = fuzz ]; then
	[ -e "$root/selftests/fuzz_test" ] || bs_die "no fuzz_test was built"
	tests=fuzz_test
fi

if [ "$mode" = trinity ]; then
	# trinity and the shared libraries it needs.
	cp "$(command -v trinity)" "$root/bin/"
	for lib in $(ldd "$(command -v trinity)" | grep -oE '/[^ ]+'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	{
		echo "SECONDS_=$fuzz_seconds"
		echo "SEED=${BUDDYSLAB_TRINITY_SEED:-$RANDOM}"
	} >> "$root/init"
	cat >> "$root/init" <<'INIT'
D=/sys/kernel/debug/buddyslab
echo "@@@ trinity"
insmod /lib/buddyslab.ko region_mb=16 || echo "@@@ failed: insmod"
mkdir -p /tmp && cd /tmp
buddyslabctl stats > /tmp/before
echo "# trinity -s $SEED for $SECONDS_ s, victim /dev/buddyslab"
timeout -s INT "$SECONDS_" trinity --dangerous -q -l off -C 2 -s "$SEED" \
	-V /dev/buddyslab \
	--disable-fds=sockets,pipes,perf,epoll,eventfd,pseudo,timerfd,testfile,memfd,drm \
	-c ioctl -c read -c write -c pread64 -c pwrite64 -c readv -c writev \
	-c mmap -c mremap -c munmap -c madvise -c mprotect -c lseek -c fcntl \
	-c dup -c close 2>&1 | tail -n 30
sleep 2
buddyslabctl stats > /tmp/after
echo "# stats, before (-) and after (+)"
diff /tmp/before /tmp/after
echo 1 > $D/validate
echo "# validate"
cat $D/validate
rmmod buddyslab || echo "@@@ failed: rmmod"
echo "@@@ end of trinity"
INIT
elif [ "$mode" = bench ]; then
	BUDDYSLAB_BENCH_MODULE=1 bs_build_module "$kdir" "$work/bench-module"
	cp "$work/bench-module/buddyslab_bench.ko" "$root/lib/"
	cat >> "$root/init" <<'INIT'
echo "@@@ bench"
if insmod /lib/buddyslab_bench.ko; then
	rmmod buddyslab_bench || echo "@@@ failed: rmmod"
else
	echo "@@@ failed: insmod"
fi
echo "@@@ end of bench"
INIT
elif [ "$mode" = lab ]; then
	mkdir -p "$root/lab"
	cp -r "$lab_in" "$root/lab/in"
	cat >> "$root/init" <<'INIT'
# The laboratory: lab.conf (scripts/lab.sh) sets REGION_MB, STRATEGIES,
# WORKLOAD (full or small), WORKLOAD_ROUNDS, FTRACE_KB (per CPU), SAMPLES
# (rows per CSV) and ADVERSARY_ARGS. Every command's exit status goes to
# out/status as "STEP NAME STATUS SECONDS", its error output to out/logs/.
. /lab/in/lab.conf
O=/lab/out
mkdir -p $O/traces $O/csv $O/maps $O/tables $O/logs $O/kernel $O/adversary /tmp
: > $O/status
echo "@@@ lab"

# run STEP NAME OUTPUT COMMAND...: COMMAND's output to OUTPUT, its errors
# to logs/STEP-NAME.log, its status to the status file and the console.
run() {
	step=$1 name=$2 output=$3
	shift 3
	start=$(date +%s)
	"$@" > $output 2> $O/logs/$step-$name.log
	rc=$?
	echo "$step $name $rc $(($(date +%s) - start))" | tee -a $O/status
	return $rc
}

# The workload whose kernel allocations are recorded: busybox walking,
# sorting, archiving and compressing the initramfs in tmpfs.
workload() {
	if [ "$WORKLOAD" = small ]; then
		find / -xdev -path /lab -prune -o -print > /dev/null
		return
	fi
	mkdir -p /tmp/w/x
	find / -xdev -path /lab -prune -o -print > /tmp/w/files
	sort -r /tmp/w/files > /tmp/w/sorted
	tar -cf /tmp/w/a.tar bin lib selftests
	tar -xf /tmp/w/a.tar -C /tmp/w/x
	gzip -1 /tmp/w/a.tar
	md5sum /tmp/w/sorted /tmp/w/a.tar.gz > /dev/null
	rm -rf /tmp/w
}

# 1. The kernel's own allocations, before buddyslab is loaded: the slab
# objects and the pages, one trace each (a slab's pages are both).
T=/sys/kernel/tracing
mount -t tracefs tracefs $T
echo $FTRACE_KB > $T/buffer_size_kb
events=
for e in kmalloc kmalloc_node kmem_cache_alloc kmem_cache_alloc_node kfree \
	 kmem_cache_free mm_page_alloc mm_page_free mm_page_free_batched; do
	if [ -e $T/events/kmem/$e/enable ]; then
		echo 1 > $T/events/kmem/$e/enable
		events="$events kmem:$e"
	fi
done
start=$(date +%s)
echo 1 > $T/tracing_on
i=0
while [ $i -lt $WORKLOAD_ROUNDS ]; do
	workload
	i=$((i + 1))
done
echo 0 > $T/tracing_on
{
	echo "events:$events"
	echo "buffer_size_kb: $FTRACE_KB per CPU"
	echo "workload: $WORKLOAD, $WORKLOAD_ROUNDS rounds, $(($(date +%s) - start)) s"
	for cpu in $T/per_cpu/cpu*; do
		echo "${cpu##*/}: $(grep -E '^(entries|overrun):' $cpu/stats | tr '\n' ' ')"
	done
} > $O/kernel/ftrace.txt
cat $T/trace > /tmp/kernel.ftrace
echo 0 > $T/events/enable
echo 1 > $T/buffer_size_kb
head -n 100 /tmp/kernel.ftrace > $O/kernel/kernel-head.ftrace
if [ "$WORKLOAD" = small ]; then
	what="busybox find"
else
	what="busybox find, sort, tar, gzip x $WORKLOAD_ROUNDS"
fi
for family in objects pages; do
	k=/lab/in/traces/kernel-$family.trace
	run convert kernel-$family $k \
		buddyslabctl trace convert /tmp/kernel.ftrace --from ftrace --events $family
	sed -i "/^# source:/a # program: Linux $(uname -r), its $family under $what" $k
	cp $k $O/traces/
done
rm -f /tmp/kernel.ftrace

# 2. Every trace on every strategy, each from a whole region: the table,
# a CSV and the page map at the peak per strategy; then the same table as
# JSON.
# One file may hold the whole region: a strategy runs out of the region,
# not of a quota (the per-user limits do not bind root). The client runs on
# CPU 0 (taskset 1): each CPU's cache of pages starts in an arena of its
# own, so a client the scheduler moved between CPUs would spread its blocks
# over the region as it went, and no two strategies would be placed alike.
insmod /lib/buddyslab.ko region_mb=$REGION_MB \
	max_bytes_per_file=$((REGION_MB * 1048576)) || echo "@@@ failed: insmod"
buddyslabctl info > $O/logs/info.txt
for t in /lab/in/traces/*.trace; do
	n=${t##*/}
	n=${n%.trace}
	ops=$(grep -c '^[af]' $t)
	every=$((ops / SAMPLES + 1))
	echo "@@@ lab trace $n: $ops operations, a sample every $every"
	run replay $n $O/tables/$n.txt taskset 1 buddyslabctl replay $t \
		--allocator all --every $every --csv $O/csv/$n --map $O/maps/$n
	run compare $n $O/tables/$n.json taskset 1 buddyslabctl compare $t \
		--json --every $every
done

# 3. The adversary on every strategy.
run adversary all $O/tables/adversary.txt \
	taskset 1 buddyslabctl adversary --allocator all --csv $O/adversary \
	$ADVERSARY_ARGS
echo 1 > /sys/kernel/debug/buddyslab/validate
cat /sys/kernel/debug/buddyslab/validate > $O/logs/validate.txt
rmmod buddyslab || echo "@@@ failed: rmmod"
echo "@@@ end of lab"
echo "@@@ lab-out"
tar -C /lab -cf - out | gzip -6 | base64
echo "@@@ end of lab-out"
INIT
elif [ "$mode" = shell ]; then
	echo "ARGS='${BUDDYSLAB_ARGS:-region_mb=16}'" >> "$root/init"
	cat >> "$root/init" <<'INIT'
export D=/sys/kernel/debug/buddyslab PS1='buddyslab-vm # '
# Installed as a module of this kernel, so that modinfo and modprobe find it.
mkdir -p /lib/modules/$(uname -r)/extra
cp /lib/buddyslab.ko /lib/modules/$(uname -r)/extra/
depmod
modprobe buddyslab $ARGS || echo "modprobe buddyslab $ARGS failed: see dmesg"
cat <<BANNER

buddyslab VM: Linux $(uname -r), $(nproc) CPUs; modprobe buddyslab $ARGS
Try:
  buddyslabctl info                 the region: arenas, free memory
  buddyslabctl shell                allocate and free by hand (help lists commands)
  buddyslabctl stats                every allocator's statistics
  cat \$D/buddyinfo                  free blocks per order, per arena (\$D is $D)
  ls \$D                             every debugfs view (docs/debugfs.md)
  /selftests/device_test            a selftest (all are in /selftests)
  modinfo buddyslab                 the module's parameters
  rmmod buddyslab; modprobe buddyslab region_mb=64
                                    reload with other parameters
Leave with exit (or Ctrl-D): the VM powers off. Ctrl-A X kills QEMU.

BANNER
setsid cttyhack sh
reboot -f
INIT
elif [ "$mode" != demo ]; then
	{
		echo "PRE_INSMOD='$pre_insmod'"
		echo "TESTS='$tests'"
		echo "export BUDDYSLAB_FUZZ_SECONDS=$fuzz_seconds"
		if [ -n "${BUDDYSLAB_FUZZ_SEED:-}" ]; then
			echo "export BUDDYSLAB_FUZZ_SEED=$BUDDYSLAB_FUZZ_SEED"
		fi
	} >> "$root/init"
	cat >> "$root/init" <<'INIT'
loaded=
for test in $TESTS; do
	case " $PRE_INSMOD " in
	*" $test "*) ;;
	*)
		if [ -z "$loaded" ]; then
			insmod /lib/buddyslab.ko region_mb=16 max_bytes_per_file=16777216 ||
				echo "@@@ failed: insmod"
			loaded=1
		fi
		;;
	esac
	echo "@@@ selftest $test"
	BUDDYSLAB_KO=/lib/buddyslab.ko /selftests/$test
	echo "@@@ exit $?"
done
# Leaks: kmemleak's reports name the module's functions while it is loaded;
# after rmmod, what it leaked at unload shows as bare addresses.
kmemleak() {
	if [ -e /sys/kernel/debug/kmemleak ]; then
		echo scan > /sys/kernel/debug/kmemleak
		echo scan > /sys/kernel/debug/kmemleak
		echo "@@@ kmemleak $1"
		cat /sys/kernel/debug/kmemleak
		echo "@@@ end of kmemleak"
	fi
}
kmemleak loaded
if [ -n "$loaded" ]; then
	rmmod buddyslab || echo "@@@ failed: rmmod"
	kmemleak unloaded
fi
if [ -d /kselftest ]; then
	# kselftest's runner writes each test's output to /dev/stdout, which
	# devtmpfs does not make: without the link it lands in a file there.
	ln -sf /proc/self/fd/1 /dev/stdout
	echo "@@@ kselftest"
	BUDDYSLAB_KO=/lib/buddyslab.ko BUDDYSLAB_FUZZ_SECONDS=2 \
		/kselftest/run_kselftest.sh -c buddyslab
	echo "@@@ end of kselftest"
fi
INIT
else
	cat >> "$root/init" <<'INIT'
D=/sys/kernel/debug/buddyslab
echo "@@@ demo"
echo "# insmod buddyslab.ko region_mb=8"
insmod /lib/buddyslab.ko region_mb=8
echo "# buddyslabctl info"
buddyslabctl info
echo "# cat $D/buddyinfo      (free blocks of order 0 1 2 ... 10, per arena)"
cat $D/buddyinfo
echo "# taskset 1 buddyslabctl shell      (on CPU 0: each CPU's cache of pages starts"
echo "#   in an arena of its own, CPU 0's in arena 0)"
taskset 1 buddyslabctl shell <<'SHELL'
# 40000 bytes round up to 16 pages (order 4): order 10 splits down to 4
alloc buddy 40000
write 1 hello
read 1 8
buddyinfo
alloc buddy 1M
buddyinfo
# one page comes through this CPU's cache, which takes a batch of 64 pages
alloc buddy 4096
buddyinfo
free 1
free 2
free 3
# the slab allocator's size classes: 100 bytes come from the 128-byte class
alloc slab 100
alloc slab 100
slabinfo
free 4
free 5
# the sequential fits work in bytes, inside a 4 MiB arena taken from the buddy
alloc fit first 1000
alloc fit first 3000
alloc fit first 500
free 7
alloc fit best 400
alloc fit worst 400
fitinfo
free 6
free 8
free 9
free 10
# the kernel's own bitmap allocator, lib/genalloc.c, in 16-byte grains in an
# arena of its own: best fit
alloc genpool best 400
genpoolinfo
free 11
# the byte buddy: Knuth's buddy system on bytes, 100 bytes get 128
alloc bytebuddy 100
byte_buddyinfo
free 12
# validate checks every allocator and changes nothing: the CPU's cache keeps
# its pages, which buddyinfo leaves out, as /proc/buddyinfo does
validate
buddyinfo
SHELL
echo "# cat $D/buddyinfo      (the shell has exited: all is free; the CPU's cache"
echo "#   and the size-128 cache's empty slab keep their pages until the buddy"
echo "#   needs them back)"
cat $D/buddyinfo
rmmod buddyslab
echo "@@@ end of demo"
INIT
fi
cat >> "$root/init" <<'INIT'
echo "@@@ dmesg"
dmesg
echo "@@@ end"
# A reboot ends QEMU (-no-reboot) on any kernel, with or without ACPI.
reboot -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initramfs.gz"

echo "VM $series: booting $kver"
status=0
if [ "$mode" = shell ]; then
	# The serial console is this terminal; QEMU's monitor shares it
	# (Ctrl-A C), so Ctrl-C reaches the VM's shell.
	timeout --foreground "$vm_seconds" qemu-system-x86_64 -accel tcg \
		-m "$memory_mb" -smp 2 -display none -serial mon:stdio -no-reboot \
		-kernel "$vmlinuz" -initrd "$work/initramfs.gz" -append "$append" ||
		status=$?
	[ "$status" = 0 ] || bs_die "shell: qemu exited with $status"
	exit 0
fi
timeout "$vm_seconds" qemu-system-x86_64 -accel tcg -m "$memory_mb" -smp 2 \
	-display none -monitor none -serial "file:$log" -no-reboot \
	-kernel "$vmlinuz" -initrd "$work/initramfs.gz" -append "$append" </dev/null ||
	status=$?
[ "$status" = 0 ] || echo "VM $series: qemu exited with $status"
tr -d '\r' < "$log" > "$log.txt"
mv "$log.txt" "$log"

# Everything the kernel said while our code ran, from the in-VM dmesg.
reports=$(sed -n '/^@@@ dmesg$/,/^@@@ end$/p' "$log" | grep -E "$BS_REPORT_RE" || true)

if [ "$mode" = demo ]; then
	sed -n '/^@@@ demo$/,/^@@@ end of demo$/p' "$log" | sed '1d;$d'
	if [ -n "$reports" ] || ! grep -q '^@@@ end$' "$log"; then
		echo "$reports"
		bs_die "demo did not finish cleanly: see $log"
	fi
	exit 0
fi
if [ "$mode" = lab ]; then
	sed -n '/^@@@ lab$/,/^@@@ end of lab$/p' "$log" | sed '1d;$d'
	mkdir -p "$lab_out"
	# The archive's base64 lines, without any line the kernel put between.
	if ! sed -n '/^@@@ lab-out$/,/^@@@ end of lab-out$/p' "$log" |
		grep -E '^[A-Za-z0-9+/=]+$' | base64 -d |
		tar -xzf - -C "$lab_out" --strip-components=1; then
		bs_die "lab: the VM's results did not come out whole: see $log"
	fi
	sed -n '/^@@@ dmesg$/,/^@@@ end$/p' "$log" | sed '1d;$d' > "$lab_out/logs/dmesg.log"
	if [ -n "$reports" ] || ! grep -q '^@@@ end$' "$log" || grep -q '^@@@ failed' "$log"; then
		echo "$reports"
		grep '^@@@ failed' "$log" || true
		bs_die "lab did not finish cleanly: see $log"
	fi
	echo "VM $series: lab finished, $(wc -l < "$lab_out/status") runs," \
		"$(awk '$3 != 0' "$lab_out/status" | wc -l) failed"
	exit 0
fi
if [ "$mode" = bench ]; then
	sed -n '/^@@@ dmesg$/,/^@@@ end$/p' "$log" | sed -n 's/^.*buddyslab bench: //p'
	if [ -n "$reports" ] || ! grep -q '^@@@ end$' "$log" || grep -q '^@@@ failed' "$log"; then
		echo "$reports"
		grep '^@@@ failed' "$log" || true
		bs_die "bench did not finish cleanly: see $log"
	fi
	exit 0
fi
if [ "$mode" = trinity ]; then
	sed -n '/^@@@ trinity$/,/^@@@ end of trinity$/p' "$log" | sed '1d;$d'
	if [ -n "$reports" ] || ! grep -q '^@@@ end$' "$log" ||
		grep -q '^@@@ failed' "$log" || grep -q 'corrupt' "$log"; then
		echo "$reports"
		bs_die "trinity did not finish cleanly: see $log"
	fi
	echo "VM $series: trinity finished cleanly"
	exit 0
fi

sed -n '/^@@@ selftest/,/^@@@ dmesg$/p' "$log" | sed '/^@@@ kmemleak/,/^@@@ end of kmemleak$/d'
passed=0 failed=0 skipped=0
for test in $tests; do
	totals=$(sed -n "/^@@@ selftest $test\$/,/^@@@ exit/p" "$log" |
		grep -E '^# Totals: ' || true)
	if [ -z "$totals" ]; then
		echo "VM $series: $test gave no result"
		failed=$((failed + 1))
		continue
	fi
	num() { echo "$totals" | grep -oE " $1:[0-9]+" | cut -d: -f2; }
	passed=$((passed + $(num pass) + $(num xfail)))
	failed=$((failed + $(num fail) + $(num xpass) + $(num error)))
	skipped=$((skipped + $(num skip)))
done
# The kselftest run is one TAP test: buddyslab.sh.
if [ -n "$kselftest" ]; then
	tap=$(sed -n '/^@@@ kselftest$/,/^@@@ end of kselftest$/p' "$log" |
		grep -E '^(not )?ok [0-9]+ selftests: buddyslab: buddyslab.sh' || true)
	case $tap in
	ok*) passed=$((passed + 1)) ;;
	*)
		echo "VM $series: the kselftest run of buddyslab.sh: ${tap:-no result}"
		failed=$((failed + 1))
		;;
	esac
fi
if grep -q '^@@@ failed' "$log"; then
	grep '^@@@ failed' "$log"
	failed=$((failed + 1))
fi
# A kmemleak report is buddyslab's if a frame of its backtrace is in the
# module, by name or, once it is unloaded, as a bare address: it is the
# only module these VMs load. The same object may be in both scans.
leaks=$(sed -n '/^@@@ kmemleak /,/^@@@ end of kmemleak$/p' "$log" |
	awk '/^unreferenced object/ { if (keep) print block; block = $0; keep = 0; next }
	     /^@@@/ { if (keep) print block; block = ""; keep = 0; next }
	     { block = block "\n" $0 }
	     /buddyslab|^ +0xffffffff[0-9a-f]+$/ { if (block ~ /unreferenced object/) keep = 1 }
	     END { if (keep) print block }')
if [ -n "$leaks" ]; then
	echo "VM $series: kmemleak reports leaks of buddyslab:"
	printf '%b\n' "$leaks"
	failed=$((failed + $(printf '%b\n' "$leaks" | grep -c '^unreferenced object')))
fi
if [ -n "$reports" ]; then
	echo "VM $series: the kernel reported problems:"
	echo "$reports"
	failed=$((failed + 1))
fi
if ! grep -q '^@@@ end$' "$log"; then
	echo "VM $series: the VM did not finish (crash or timeout): see $log"
	failed=$((failed + 1))
fi
echo "VM $series: $passed selftests passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
