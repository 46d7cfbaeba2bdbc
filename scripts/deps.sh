#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing buddyslab needs, with apt only.
# Idempotent: when everything is there it only checks, and asks no server.
# Run as root, or as a user who may use sudo: apt runs through sudo then
# (and asks for a password if sudo wants one); the kernel images and the
# build caches stay the user's, in ~/.cache/buddyslab.
#
# Versions are whatever apt offers today: the newest 6.12 headers and image
# behind Debian's linux-headers-6.12-amd64 and linux-image-6.12-amd64
# meta-packages, and the newest 6.1 behind linux-headers-amd64 and
# linux-image-amd64 (bookworm's default kernel). The images are downloaded
# and unpacked into the cache, never installed.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
export DEBIAN_FRONTEND=noninteractive

# Run a command as root: directly if we are, else through sudo.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo DEBIAN_FRONTEND=noninteractive "$@"
	else
		bs_die "installing packages needs root: run scripts/deps.sh as root," \
			"or install sudo and allow this user to use it"
	fi
}

tools=(build-essential bc bison flex libelf-dev libssl-dev dwarves kmod cpio
       python3 qemu-system-x86 busybox-static linux-source-6.12 xz-utils
       gnuplot-nox tmux dkms mandoc man-db)

# The concrete package a meta-package points at, e.g.
# linux-headers-6.12-amd64 -> linux-headers-6.12.117+deb12-amd64.
resolve_meta() {
	apt-cache depends "$1" 2>/dev/null |
		awk '/Depends:/ { print $2; exit }'
}

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Work out, from apt's lists as they are, what is missing: packages into
# $packages, kernel images to fetch into $images. False if apt's lists do
# not know the meta-packages.
plan() {
	local meta pkg

	packages=()
	images=()
	for pkg in "${tools[@]}"; do
		installed "$pkg" || packages+=("$pkg")
	done
	for meta in linux-headers-6.12-amd64 linux-headers-amd64; do
		pkg=$(resolve_meta "$meta")
		[ -n "$pkg" ] || return 1
		installed "$pkg" || packages+=("$pkg")
	done
	for meta in linux-image-6.12-amd64 linux-image-amd64; do
		pkg=$(resolve_meta "$meta")
		[ -n "$pkg" ] || return 1
		[ -e "$BS_CACHE/images/${pkg#linux-image-}/.unpacked" ] || images+=("$pkg")
	done
}

# Nothing to do: done without asking any server. Otherwise refresh the
# lists first, so that what is fetched is what apt offers today.
if plan && [ ${#packages[@]} -eq 0 ] && [ ${#images[@]} -eq 0 ]; then
	echo "deps: ready (cache $BS_CACHE)"
	exit 0
fi
as_root apt-get update -qq ||
	bs_die "apt-get update failed: is the network or the apt source reachable?"
plan || bs_die "apt offers no linux-headers-6.12-amd64 or linux-headers-amd64"

if [ ${#packages[@]} -gt 0 ]; then
	echo "deps: installing ${packages[*]}"
	as_root apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

download=$BS_CACHE/images/download
for pkg in "${images[@]}"; do
	dir=$BS_CACHE/images/${pkg#linux-image-}
	rm -rf "$dir" "$download"
	mkdir -p "$download"
	echo "deps: fetching $pkg (unpacked into the cache, not installed)"
	(cd "$download" && apt-get download -qq -o APT::Sandbox::User="$(id -un)" \
		"$pkg" >/dev/null)
	dpkg -x "$download/${pkg}"_*.deb "$dir"
	rm -rf "$download"
	touch "$dir/.unpacked"
done
echo "deps: ready (cache $BS_CACHE)"
