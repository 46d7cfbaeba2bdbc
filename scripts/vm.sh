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
#                              list corruption in dmesg
#   vm.sh demo [6.12]          a short buddyslabctl session, buddyinfo
#                              before and after
#
# QEMU runs with TCG: KVM is not usable on the machines this runs on.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-}
series=${2:-6.12}
case $mode in
test | demo) ;;
*) bs_die "usage: $0 test|demo [6.12|6.1|debug]" ;;
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
make -s -C "$BS_ROOT/tools" OUTPUT="$work/tools/"

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

if [ "$mode" = test ]; then
	cat >> "$root/init" <<'INIT'
echo "@@@ selftest module_test"
BUDDYSLAB_KO=/lib/buddyslab.ko /selftests/module_test
echo "@@@ exit $?"
insmod /lib/buddyslab.ko region_mb=16 max_bytes_per_file=16777216 ||
	echo "@@@ failed: insmod"
for test in device_test memory_test client_test; do
	echo "@@@ selftest $test"
	/selftests/$test
	echo "@@@ exit $?"
done
rmmod buddyslab || echo "@@@ failed: rmmod"
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
timeout 600 qemu-system-x86_64 -accel tcg -m 1024 -smp 2 \
	-display none -monitor none -serial "file:$log" -no-reboot \
	-kernel "$vmlinuz" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 loglevel=1 panic=-1" </dev/null || status=$?
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

sed -n '/^@@@ selftest/,/^@@@ dmesg$/p' "$log"
passed=0 failed=0 skipped=0
for test in module_test device_test memory_test client_test; do
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
