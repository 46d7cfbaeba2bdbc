#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# buddyslab through DKMS (dkms.conf):
#
#   dkms.sh install   copy the module's sources to /usr/src/buddyslab-VERSION,
#                     then dkms add, build and install it for every kernel
#                     whose headers are installed (make dkms-install; root)
#   dkms.sh test      dkms add and build for Debian's 6.12 and 6.1 headers in
#                     trees of its own under a temporary directory: nothing
#                     is installed (dkms itself makes its signing key in
#                     /var/lib/dkms the first time it builds anything);
#                     prints "dkms: N passed, N failed" last
set -euo pipefail
. "$(dirname "$0")/lib.sh"

command -v dkms >/dev/null || bs_die "no dkms: run scripts/deps.sh"
version=$(cat "$BS_ROOT/VERSION")

# The files a build needs, into the source tree $1/buddyslab-VERSION.
copy_sources() {
	local dir=$1/buddyslab-$version
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r "$BS_ROOT"/{Kbuild,Makefile,VERSION,dkms.conf,src,include} "$dir/"
}

case ${1:-} in
install)
	copy_sources /usr/src
	dkms add -m buddyslab -v "$version" || true
	for build in /lib/modules/*/build; do
		[ -e "$build/Makefile" ] || continue
		kver=$(basename "$(dirname "$build")")
		dkms install -m buddyslab -v "$version" -k "$kver"
	done
	dkms status -m buddyslab
	;;
test)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	trees=(--sourcetree "$tmp/src" --dkmstree "$tmp/dkms" --installtree "$tmp/root")
	mkdir -p "$tmp/dkms" "$tmp/root"
	copy_sources "$tmp/src"
	passed=0 failed=0
	if dkms add "${trees[@]}" -m buddyslab -v "$version" >"$tmp/add.log" 2>&1; then
		echo "ok: dkms add buddyslab/$version"
		passed=$((passed + 1))
	else
		cat "$tmp/add.log"
		echo "not ok: dkms add buddyslab/$version"
		failed=$((failed + 1))
	fi
	for series in 6.12 6.1; do
		kver=$(bs_kver "$series")
		ko=$tmp/dkms/buddyslab/$version/$kver/x86_64/module/buddyslab.ko
		if dkms build "${trees[@]}" -m buddyslab -v "$version" -k "$kver" \
			>"$tmp/build.log" 2>&1 &&
			ls "$ko"* >/dev/null 2>&1 &&
			[ "$(modinfo -F version "$(ls "$ko"* | head -n 1)")" = "$version" ] &&
			[ "$(modinfo -F vermagic "$(ls "$ko"* | head -n 1)" | cut -d' ' -f1)" = "$kver" ]; then
			echo "ok: dkms build for $kver: $(basename "$(ls "$ko"* | head -n 1)"), version $version"
			passed=$((passed + 1))
		else
			cat "$tmp/build.log"
			echo "not ok: dkms build for $kver"
			failed=$((failed + 1))
		fi
	done
	echo "dkms: $passed passed, $failed failed"
	[ "$failed" = 0 ]
	;;
*) bs_die "usage: $0 install|test" ;;
esac
