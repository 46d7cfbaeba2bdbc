#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# buddyslab packaged the way kernel modules ship, checked without touching
# the running kernel or the system's module trees:
#   - make install INSTALL_MOD_PATH=<temporary root> for Debian's 6.12 and
#     6.1 headers: the module lands under lib/modules/<release>/ and depmod's
#     modules.dep for that root lists it;
#   - modinfo: the version is VERSION's, every parameter is described;
#   - DKMS: add and build for both kernels (scripts/dkms.sh test).
# Prints "package: N passed, N failed" last.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

version=$(cat "$BS_ROOT/VERSION")
passed=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every parameter the sources declare has a description in modinfo.
described() {
	local ko=$1 param missing=
	for param in $(sed -n 's/^module_param(\([a-z_]*\),.*/\1/p' "$BS_ROOT"/src/*.c); do
		modinfo -F parm "$ko" | grep -qE "^$param:.{10,}" || missing="$missing $param"
	done
	[ -z "$missing" ] || echo "no description in modinfo:$missing"
	[ -z "$missing" ]
}

for series in 6.12 6.1; do
	kver=$(bs_kver "$series")
	src=$tmp/src-$series root=$tmp/root-$series
	mkdir -p "$src"
	cp -r "$BS_ROOT"/{Kbuild,Makefile,VERSION,src,include} "$src/"
	make -s -C "$src" install KDIR="/lib/modules/$kver/build" \
		INSTALL_MOD_PATH="$root" >"$tmp/install.log" 2>&1 ||
		cat "$tmp/install.log"
	ko=$(find "$root/lib/modules/$kver" -name 'buddyslab.ko*' | head -n 1)
	bs_check "make install puts the module under $kver in INSTALL_MOD_PATH" test -n "$ko"
	bs_check "depmod for that root lists it" \
		grep -qE '^(extra|updates)/buddyslab\.ko(\.xz)?:' "$root/lib/modules/$kver/modules.dep"
	[ -n "$ko" ] || continue
	bs_check "modinfo shows version $version ($series)" \
		test "$(modinfo -F version "$ko")" = "$version"
	bs_check "modinfo describes every parameter ($series)" described "$ko"
done
dkms_out=$("$BS_ROOT/scripts/dkms.sh" test 2>&1) || true
echo "$dkms_out"
n=$(echo "$dkms_out" | tail -n 1 | grep -oE '[0-9]+ passed' | cut -d' ' -f1)
passed=$((passed + ${n:-0}))
n=$(echo "$dkms_out" | tail -n 1 | grep -oE '[0-9]+ failed' | cut -d' ' -f1)
failed=$((failed + ${n:-1}))
echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
