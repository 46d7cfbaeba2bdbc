#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the buddyslab KUnit suites in a UML kernel built from Debian's
# linux-source-6.12, with KASAN, lockdep and list debugging on.
#
# The source tree and the build directory live in the cache, so only the
# first run builds the whole kernel; later runs rebuild what changed. The
# repository is linked into the tree as drivers/misc/buddyslab.
#
# Prints "KUnit: N cases passed, N failed, N skipped" last; exits non-zero if
# the kernel did not build, any case failed, or the kernel log has a BUG,
# WARNING, KASAN, lockdep or list corruption report.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build=$BS_CACHE/kunit-build
log=$BS_CACHE/kunit.log

status=0
bs_kunit run "$BS_ROOT/kunit/.kunitconfig" "$build" 2>&1 | tee "$log" ||
	status=$?

summary=$(grep -E 'Ran [0-9]+ tests' "$log" | tail -n 1 || true)
count() {
	echo "$summary" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0
}
passed=$(count passed)
failed=$(count failed)
skipped=$(count skipped)
crashed=$(count crashed)
if [ -z "$summary" ]; then
	echo "KUnit: no result (build or boot failed, see $log)"
	status=1
fi
# A KASAN, lockdep or list debugging report fails the run even if every
# case passed: it may have come from code no expectation looks at.
reports=$(grep -E "$BS_REPORT_RE" "$build/test.log" 2>/dev/null || true)
if [ -n "$reports" ]; then
	echo "KUnit: the kernel reported problems (see $build/test.log):"
	echo "$reports"
	failed=$((failed + 1))
	status=1
fi
echo "KUnit: $passed cases passed, $((failed + crashed)) failed, $skipped skipped"
exit "$status"
