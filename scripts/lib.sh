# SPDX-License-Identifier: GPL-2.0
#
# Shared by the buddyslab scripts: where the cache lives, which kernels the
# machine has, and the unpacked linux-source-6.12 tree. Source, do not run.

BS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BS_CACHE=${BUDDYSLAB_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/buddyslab}
# Where scripts/kunit.sh smp builds the x86_64 debug kernel with buddyslab
# built in; scripts/vm.sh's debug kernel starts from a copy of it.
BS_SMP_BUILD=$BS_CACHE/kunit-smp-build

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
# linked in as drivers/misc/buddyslab: bs_kunit COMMAND ARCH BUILD_DIR
# KUNITCONFIG... [-- kunit.py arguments]. ARCH is "um" (UML) or "x86_64"
# (QEMU); "run" builds in BUILD_DIR (incrementally) and boots the kernel,
# "build" only builds. The kernel's config is the KUNITCONFIG fragments
# together. Fails, naming them, if any option they set did not make it
# into the kernel's .config (an unmet dependency).
bs_kunit() {
	local command=$1 arch=$2 build=$3 ksrc status=0 config
	local configs=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		configs+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	ksrc=$(bs_ksrc)
	# The build directory may hold objects built from another checkout,
	# newer than this one's sources: make would keep them. The module
	# rebuilds in seconds.
	rm -rf "$build/drivers/misc/buddyslab"
	ln -sfn "$BS_ROOT" "$ksrc/drivers/misc/buddyslab"
	grep -q 'drivers/misc/buddyslab/Kconfig' "$ksrc/drivers/misc/Kconfig" ||
		sed -i '$ s|^endmenu$|source "drivers/misc/buddyslab/Kconfig"\nendmenu|' \
			"$ksrc/drivers/misc/Kconfig"
	grep -q 'buddyslab/' "$ksrc/drivers/misc/Makefile" ||
		echo 'obj-$(CONFIG_BUDDYSLAB)		+= buddyslab/' >> "$ksrc/drivers/misc/Makefile"
	(cd "$ksrc" && python3 tools/testing/kunit/kunit.py "$command" --arch="$arch" \
		"${configs[@]/#/--kunitconfig=}" --build_dir="$build" \
		--jobs="$(nproc)" "$@") || status=$?
	for config in "${configs[@]}"; do
		bs_check_config "$config" "$build/.config" || status=1
	done
	return "$status"
}

# Every "CONFIG_X=..." and "# CONFIG_X is not set" line of the fragment $1
# must be in the .config $2; false, listing on stderr the ones that are
# not.
bs_check_config() {
	local fragment=$1 config=$2 missing
	if [ ! -e "$config" ]; then
		echo "buddyslab: no $config: the kernel was not configured" >&2
		return 1
	fi
	missing=$(grep -E '^(CONFIG_[A-Z0-9_]+=|# CONFIG_[A-Z0-9_]+ is not set$)' "$fragment" |
		grep -vxF -f "$config" || true)
	if [ -n "$missing" ]; then
		echo "buddyslab: options of ${fragment##*/} not in $config (unmet dependencies):" >&2
		echo "$missing" | sed 's/^/    /' >&2
		return 1
	fi
}

# bs_check WHAT COMMAND...: run a check of a test script, say "ok: WHAT" or
# "not ok: WHAT", and count it in the caller's $passed or $failed.
bs_check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
		passed=$((passed + 1))
	else
		echo "not ok: $what"
		failed=$((failed + 1))
	fi
}

# Build and install the selftests the kselftest way, as in a kernel tree:
# tools/selftests copied to the linux-source-6.12 tree's
# tools/testing/selftests/buddyslab, then the kernel's selftests Makefile
# installs them with run_kselftest.sh into $1.
bs_kselftest_install() {
	local dest=$1 ksft
	ksft=$(bs_ksrc)/tools/testing/selftests
	rm -rf "$ksft/buddyslab" "$dest"
	cp -r "$BS_ROOT/tools/selftests" "$ksft/buddyslab"
	make -s -C "$ksft" TARGETS=buddyslab BUDDYSLAB="$BS_ROOT" install \
		INSTALL_PATH="$dest" >"$dest.log" 2>&1 || {
		cat "$dest.log"
		bs_die "kselftest build of the selftests failed"
	}
	rm -rf "$ksft/buddyslab"
}

# Build the module with W=1 against the kernel build tree $1 (e.g.
# /lib/modules/<version>/build), in a copy under $2 so that builds for
# several kernels never share objects. Fails, showing them, on any compiler
# warning.
bs_build_module() {
	local kdir=$1 out=$2
	rm -rf "$out"
	mkdir -p "$out"
	cp -r "$BS_ROOT/Kbuild" "$BS_ROOT/VERSION" "$BS_ROOT/src" "$BS_ROOT/include" \
		"$BS_ROOT/kunit" "$out/"
	if ! make -C "$kdir" M="$out" W=1 modules >"$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		bs_die "module build against $kdir failed"
	fi
	if grep -q 'warning:' "$out/build.log"; then
		grep -A3 'warning:' "$out/build.log" >&2
		bs_die "module build against $kdir has warnings"
	fi
}

# Kernel log lines that fail a run wherever they appear. Lockdep heads its
# reports "WARNING:" or "BUG:"; the few that it does not end with lockdep
# turning itself off.
BS_REPORT_RE='\<(BUG|WARNING|Oops)\>|KASAN|UBSAN|list_(add|del) corruption|general protection|possible (circular|recursive) locking|inconsistent lock state|turning off the locking correctness validator'
