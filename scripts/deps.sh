#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing buddyslab needs, with apt only.
# Idempotent: packages already present are not reinstalled and the stock
# kernel images already unpacked into the cache are not fetched again.
#
# Versions are whatever apt offers today: the newest 6.12 headers and image
# behind Debian's linux-headers-6.12-amd64 meta-package, and the newest 6.1
# behind linux-headers-amd64 (bookworm's default kernel).
set -euo pipefail

. "$(dirname "$0")/lib.sh"
cache=$BS_CACHE
export DEBIAN_FRONTEND=noninteractive

tools=(build-essential bc bison flex libelf-dev libssl-dev dwarves kmod cpio
       python3 qemu-system-x86 busybox-static linux-source-6.12 xz-utils)

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || echo "$p"
	done
}

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return
	apt-get update -qq
	apt_updated=1
}

# The concrete package a Debian meta-package points at, e.g.
# linux-headers-6.12-amd64 -> linux-headers-6.12.117+deb12-amd64.
resolve_meta() {
	apt-cache depends "$1" 2>/dev/null |
		awk '/Depends:/ { print $2; exit }'
}

# Cached list of what apt offers can be stale or absent on a new machine.
if [ -z "$(resolve_meta linux-headers-6.12-amd64)" ]; then
	apt_update_once
fi

want=("${tools[@]}")
for meta in linux-headers-6.12-amd64 linux-headers-amd64; do
	pkg=$(resolve_meta "$meta")
	if [ -z "$pkg" ]; then
		apt_update_once
		pkg=$(resolve_meta "$meta")
	fi
	[ -n "$pkg" ] || { echo "deps: apt offers no $meta" >&2; exit 1; }
	want+=("$pkg")
done

todo=$(missing "${want[@]}")
if [ -n "$todo" ]; then
	apt_update_once
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $todo >/dev/null
fi

# Stock kernel images for the VM: downloaded and unpacked, never installed.
mkdir -p "$cache/images"
for meta in linux-image-6.12-amd64 linux-image-amd64; do
	pkg=$(resolve_meta "$meta")
	[ -n "$pkg" ] || { echo "deps: apt offers no $meta" >&2; exit 1; }
	dir="$cache/images/${pkg#linux-image-}"
	[ -e "$dir/.unpacked" ] && continue
	rm -rf "$dir" "$cache/images/download"
	mkdir -p "$cache/images/download"
	(cd "$cache/images/download" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >/dev/null)
	dpkg -x "$cache/images/download/${pkg}"_*.deb "$dir"
	rm -rf "$cache/images/download"
	touch "$dir/.unpacked"
done
echo "deps: ready (cache $cache)"
