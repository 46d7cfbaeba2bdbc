#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark buddyslab against the kernel's own allocators in three venues,
# each printed under a heading that says what it can show:
#
#   UML   a UML kernel from linux-source-6.12 with the benchmark suite and
#         no debugging (kunit/bench.kunitconfig): native speed, but one CPU,
#         so locks and atomics cost nothing there; single-CPU costs only
#   SMP   the same suite in an x86_64 kernel from linux-source-6.12
#         (kunit/bench-smp.kunitconfig: kernel defaults, SMP, no debugging)
#         in QEMU with two vCPUs, booted with init_on_alloc=0
#   VM    Debian's stock 6.12 kernel (its SLUB with Debian's hardening) in
#         QEMU with two vCPUs, loading the benchmark module
#         (scripts/vm.sh bench): booted with init_on_alloc=0, then with
#         Debian's default (on)
#
# QEMU emulates (TCG): absolute times there are not the hardware's, only
# the ratios carry. Each venue's build is cached apart from the test
# kernels', so later runs rebuild only what changed. Prints the tables;
# asserts nothing about time; fails if a venue does not run to its end.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

heading() {
	echo
	echo "=== $*"
}

# The lines the benchmark printed, from a kernel log.
bench_lines() {
	sed -n 's/^.*buddyslab bench: //p' "$1"
}

# UML: booted here rather than by kunit.py, for the memory: a batch of 512
# order-9 blocks is 1 GiB, and the largest region is half of RAM.
build=$BS_CACHE/bench-build
log=$BS_CACHE/bench-uml.log
bs_kunit build um "$build" "$BS_ROOT/kunit/bench.kunitconfig" >"$log" 2>&1 || {
	cat "$log"
	bs_die "UML benchmark kernel build failed"
}
timeout 900 "$build/linux" mem=4G kunit.enable=1 console=tty \
	kunit_shutdown=halt >"$log" 2>&1 </dev/null || true
heading "UML $(make -s -C "$(bs_ksrc)" kernelversion), 1 CPU (uniprocessor):" \
	"native speed on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //');" \
	"spinlocks and atomics cost nothing here, so only single-CPU costs mean" \
	"anything; the SMP rows are not run"
bench_lines "$log"
grep -q '^ok 1 buddyslab_bench' "$log" || bs_die "UML benchmark failed: see $log"

# SMP: x86_64 in QEMU with two vCPUs.
build=$BS_CACHE/bench-smp
log=$BS_CACHE/bench-smp.log
bs_kunit run x86_64 "$build" "$BS_ROOT/kunit/bench-smp.kunitconfig" -- \
	--qemu_args='-smp 2 -m 8192' --kernel_args=init_on_alloc=0 \
	--timeout=1200 >"$log" 2>&1 || true
heading "SMP: x86_64 $(make -s -C "$(bs_ksrc)" kernelversion) KUnit kernel, kernel defaults," \
	"no debugging, 2 vCPUs in QEMU (TCG), init_on_alloc=0: emulation" \
	"distorts absolute times, only the ratios carry"
bench_lines "$build/test.log"
grep -Eq '(^|[] ])ok 1 buddyslab_bench' "$build/test.log" || {
	cat "$log"
	bs_die "SMP benchmark failed: see $log"
}

# VM: Debian's stock 6.12, with init_on_alloc=0, then its default.
for append in init_on_alloc=0 ''; do
	log=$BS_CACHE/bench-vm${append:+-$append}.log
	BUDDYSLAB_BENCH_APPEND=$append "$BS_ROOT/scripts/vm.sh" bench 6.12 >"$log" 2>&1 || {
		cat "$log"
		bs_die "VM benchmark failed: see $log"
	}
	boot=${append:-"Debian's default init_on_alloc (on)"}
	heading "VM: Debian's stock kernel $(bs_kver 6.12), 2 vCPUs in QEMU (TCG)," \
		"$boot: emulation distorts absolute times, only the ratios carry"
	grep -v '^VM ' "$log"
done
