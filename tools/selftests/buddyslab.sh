#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# buddyslab's selftests, as kselftest runs them (Makefile): first those that
# load and unload the module themselves, then, with the module loaded, the
# others. The module comes from $BUDDYSLAB_KO if set, else from the
# kernel's modules (modprobe; make install or DKMS put it there). Exits 0
# if every program passed, 1 if one failed, 4 (kselftest's skip) if the
# module cannot be had.
cd "$(dirname "$0")" || exit 1
ksft_skip=4
status=0
params="region_mb=16 max_bytes_per_file=16777216"

if [ -z "$BUDDYSLAB_KO" ]; then
	BUDDYSLAB_KO=$(modinfo -n buddyslab 2>/dev/null)
fi
if [ -z "$BUDDYSLAB_KO" ] || [ ! -e "$BUDDYSLAB_KO" ]; then
	echo "# buddyslab.sh: no buddyslab module: set BUDDYSLAB_KO or install it"
	exit $ksft_skip
fi
export BUDDYSLAB_KO BUDDYSLABCTL="$PWD/buddyslabctl"
if [ -e /sys/module/buddyslab ]; then
	echo "# buddyslab.sh: buddyslab is loaded already: rmmod it first"
	exit 1
fi

run() {
	echo "# $1"
	./"$1" || status=1
}

for test in module_test limits_test fault_test; do
	run $test
done
insmod "$BUDDYSLAB_KO" $params || {
	echo "# buddyslab.sh: insmod $BUDDYSLAB_KO $params failed"
	exit 1
}
for test in device_test memory_test client_test lab_test fuzz_test; do
	run $test
done
rmmod buddyslab || status=1
exit $status
