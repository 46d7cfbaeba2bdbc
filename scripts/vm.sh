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
test | demo | trinity) ;;
fuzz) series=${2:-debug} ;;
*) bs_die "usage: $0 test|fuzz|demo|trinity [6.12|6.1|debug]" ;;
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
echo "# buddyslabctl shell"
buddyslabctl shell <<'SHELL'
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
timeout $((600 + 2 * fuzz_seconds)) qemu-system-x86_64 -accel tcg -m 1024 -smp 2 \
	-display none -monitor none -serial "file:$log" -no-reboot \
	-kernel "$vmlinuz" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 loglevel=1 panic=-1 log_buf_len=4M" </dev/null ||
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
