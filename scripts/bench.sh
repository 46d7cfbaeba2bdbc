#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark buddyslab against the kernel's own allocators: a UML kernel from
# linux-source-6.12 without KASAN, lockdep or other debugging (so times are
# real CPU times), booted once with the benchmark suite, which times both in
# the same run. Prints the tables; asserts nothing about time.
#
# The build directory is cached apart from the KUnit one, so the two never
# rebuild each other.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build=$BS_CACHE/bench-build
log=$BS_CACHE/bench.log

bs_kunit build um "$build" "$BS_ROOT/kunit/bench.kunitconfig" >"$log" 2>&1 || {
	cat "$log"
	bs_die "benchmark kernel build failed"
}
# A batch of 512 order-9 blocks is 1 GiB, for buddyslab and then for the
# kernel: more memory than kunit.py gives UML, so boot it here.
timeout 900 "$build/linux" mem=3G kunit.enable=1 console=tty \
	kunit_shutdown=halt >"$log" 2>&1 </dev/null || true
grep -q '^ok 1 buddyslab_bench' "$log" || {
	cat "$log"
	bs_die "benchmark run failed"
}
echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')," \
	"UML $(make -s -C "$(bs_ksrc)" kernelversion)"
sed -n 's/^.*buddyslab bench: //p' "$log"
