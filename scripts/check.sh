#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Everything that must hold before a change lands, in one run:
#   checkpatch clean for src/, kunit/, include/
#   KUnit suites in UML with KASAN and lockdep           (scripts/kunit.sh uml)
#   KUnit suites on x86_64, two CPUs, KASAN, lockdep, UBSAN     (... smp)
#   the concurrency suite on x86_64, two CPUs, KCSAN, lockdep   (... kcsan)
#   W=1 build, selftests and a clean dmesg on a 6.12 kernel with KASAN,
#   lockdep and UBSAN, then on Debian's stock 6.12 and 6.1      (scripts/vm.sh)
#   the laboratory's trace readers and generators, on the host
#                                                  (make -C tools test)
#   the laboratory on one short trace, every strategy, in a 6.12 VM
#                                                  (scripts/lab.sh --smoke)
#   make shell typed into through a pseudo terminal (scripts/shell_test.sh)
#   make install into a temporary root, modinfo, DKMS builds for 6.12 and
#   6.1                                            (scripts/package_test.sh)
#   the manual page, the bash completion, the documents' links
#                                                  (scripts/docs_test.sh)
#
# Every step runs even if an earlier one failed. The last line adds up every
# KUnit case, every selftest, every trace test and every check of the
# laboratory's smoke run:
# "N passed, N failed, N skipped". Exits non-zero if anything failed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

passed=0 failed=0 skipped=0 broken=
start=$(date +%s)

# Adds the counts of a step's last line "...: N ... passed, N failed, N skipped".
tally() {
	local line=$1 n
	n=$(echo "$line" | grep -oE '[0-9]+ [a-z ]*passed' | grep -oE '^[0-9]+')
	passed=$((passed + ${n:-0}))
	n=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '^[0-9]+')
	failed=$((failed + ${n:-0}))
	n=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '^[0-9]+')
	skipped=$((skipped + ${n:-0}))
}

# run NAME COMMAND...: run a step, keep its output, tally its last line,
# say how long it took.
run() {
	local name=$1 out=$BS_CACHE/check-$1.log step_start
	shift
	step_start=$(date +%s)
	echo "=== $name"
	"$@" 2>&1 | tee "$out"
	if [ "${PIPESTATUS[0]}" != 0 ]; then
		broken="$broken $name"
	fi
	tally "$(tail -n 1 "$out")"
	echo "--- $name: $(($(date +%s) - step_start)) s"
}

mkdir -p "$BS_CACHE"

echo "=== checkpatch"
if (cd "$BS_ROOT" && "$(bs_ksrc)/scripts/checkpatch.pl" --no-tree --quiet \
	--show-types -f src/*.[ch] kunit/*.[ch] include/uapi/*.h); then
	echo "checkpatch: clean"
else
	broken="$broken checkpatch"
fi

run kunit "$BS_ROOT/scripts/kunit.sh" uml
run kunit-smp "$BS_ROOT/scripts/kunit.sh" smp
run kunit-kcsan "$BS_ROOT/scripts/kunit.sh" kcsan
run vm-debug "$BS_ROOT/scripts/vm.sh" test debug
run vm-6.12 "$BS_ROOT/scripts/vm.sh" test 6.12
run vm-6.1 "$BS_ROOT/scripts/vm.sh" test 6.1
run trace make -s -C "$BS_ROOT/tools" test
run lab "$BS_ROOT/scripts/lab.sh" --smoke
run shell "$BS_ROOT/scripts/shell_test.sh"
run package "$BS_ROOT/scripts/package_test.sh"
run docs "$BS_ROOT/scripts/docs_test.sh"

echo "=== done in $(($(date +%s) - start)) s"
if [ -n "$broken" ]; then
	echo "failed steps:$broken"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ -z "$broken" ] && [ "$failed" = 0 ]
