# SPDX-License-Identifier: GPL-2.0
#
# Shared by the buddyslab scripts: where the cache lives, which kernels the
# machine has, and the unpacked linux-source-6.12 tree. Source, do not run.

BS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BS_CACHE=${BUDDYSLAB_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/buddyslab}

bs_die() {
	echo "buddyslab: $*" >&2
	exit 1
}

# The newest kernel of a series ("6.12" or "6.1") whose headers are installed
# and whose stock image scripts/deps.sh unpacked, e.g. 6.12.117+deb12-amd64.
bs_kver() {
	local series=$1 pattern dir ver found=
	case $series in
	6.12) pattern='6.12.*-amd64' ;;
	6.1) pattern='6.1.0-*-amd64' ;;
	*) bs_die "unknown kernel series '$series' (6.12 or 6.1)" ;;
	esac
	for dir in "$BS_CACHE"/images/$pattern; do
		ver=${dir##*/}
		[ -e "$dir/.unpacked" ] && [ -d "/lib/modules/$ver/build" ] &&
			found="$found $ver"
	done
	[ -n "$found" ] || bs_die "no $series kernel: run scripts/deps.sh"
	printf '%s\n' $found | sort -V | tail -n 1
}

# Debian's linux-source-6.12, unpacked once into the cache.
bs_ksrc() {
	local tarball dir=$BS_CACHE/linux-source-6.12
	if [ ! -e "$dir/.unpacked" ]; then
		tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n 1)
		[ -n "$tarball" ] || bs_die "linux-source-6.12 missing: run scripts/deps.sh"
		rm -rf "$dir"
		mkdir -p "$BS_CACHE"
		tar -C "$BS_CACHE" -xf "$tarball"
		touch "$dir/.unpacked"
	fi
	echo "$dir"
}

# Run kunit.py in the cached linux-source-6.12 tree with the repository
# linked in as drivers/misc/buddyslab: bs_kunit COMMAND KUNITCONFIG BUILD_DIR
# [kunit.py arguments]; "run" builds in BUILD_DIR (incrementally) and boots
# UML, "build" only builds.
bs_kunit() {
	local command=$1 kunitconfig=$2 build=$3 ksrc
	shift 3
	ksrc=$(bs_ksrc)
	ln -sfn "$BS_ROOT" "$ksrc/drivers/misc/buddyslab"
	grep -q 'drivers/misc/buddyslab/Kconfig' "$ksrc/drivers/misc/Kconfig" ||
		sed -i '$ s|^endmenu$|source "drivers/misc/buddyslab/Kconfig"\nendmenu|' \
			"$ksrc/drivers/misc/Kconfig"
	grep -q 'buddyslab/' "$ksrc/drivers/misc/Makefile" ||
		echo 'obj-$(CONFIG_BUDDYSLAB)		+= buddyslab/' >> "$ksrc/drivers/misc/Makefile"
	(cd "$ksrc" && python3 tools/testing/kunit/kunit.py "$command" --arch=um \
		--kunitconfig="$kunitconfig" --build_dir="$build" \
		--jobs="$(nproc)" "$@")
}

# Build the module against kernel $1's headers with W=1, in a copy under $2
# so that builds for several kernels never share objects. Fails, showing
# them, on any compiler warning.
bs_build_module() {
	local kver=$1 out=$2
	rm -rf "$out"
	mkdir -p "$out"
	cp -r "$BS_ROOT/Kbuild" "$BS_ROOT/src" "$BS_ROOT/include" "$out/"
	if ! make -C "/lib/modules/$kver/build" M="$out" W=1 modules \
		>"$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		bs_die "module build for $kver failed"
	fi
	if grep -q 'warning:' "$out/build.log"; then
		grep -A3 'warning:' "$out/build.log" >&2
		bs_die "module build for $kver has warnings"
	fi
}

# Kernel log lines that fail a run wherever they appear.
BS_REPORT_RE='\<(BUG|WARNING|Oops)\>|KASAN|list_(add|del) corruption|general protection|possible (circular|recursive) locking|inconsistent lock state'
