#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The client as a tool, and the documents, checked on the host:
#   - docs/buddyslabctl.1 is clean for mandoc -T lint and man --warnings,
#     and carries the version in VERSION;
#   - make -C tools install puts the client, the page and the completion
#     under DESTDIR;
#   - the bash completion completes commands, options, strategies, trace
#     kinds and formats;
#   - every relative link in README.md and docs/*.md names a file of the
#     repository, and nothing points outside it.
# Prints "docs: N passed, N failed" last.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

passed=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
page=$BS_ROOT/docs/buddyslabctl.1

quiet() {
	local out
	out=$("$@" 2>&1 >/dev/null) || return 1
	[ -z "$out" ] || { echo "$out"; return 1; }
}

bs_check "mandoc -T lint -W all finds nothing in buddyslabctl.1" mandoc -T lint -W all "$page"
bs_check "man --warnings finds nothing in buddyslabctl.1" \
	quiet env MANWIDTH=80 man --warnings -l "$page"
bs_check "buddyslabctl.1 is of version $(cat "$BS_ROOT/VERSION")" \
	grep -q "^\.TH BUDDYSLABCTL 1 [0-9-]* \"buddyslab $(cat "$BS_ROOT/VERSION")\"" "$page"

make -s -C "$BS_ROOT/tools" install OUTPUT="$tmp/build/" DESTDIR="$tmp/root" PREFIX=/usr \
	>"$tmp/install.log" 2>&1 || cat "$tmp/install.log"
ctl=$tmp/root/usr/bin/buddyslabctl
bs_check "make -C tools install: client, page, completion" test -x "$ctl" -a \
	-f "$tmp/root/usr/share/man/man1/buddyslabctl.1" -a \
	-f "$tmp/root/usr/share/bash-completion/completions/buddyslabctl"

# complete WORDS...: what bash would offer for the last word.
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		 _buddyslabctl; echo "${COMPREPLY[*]}"' _ \
		"$tmp/root/usr/share/bash-completion/completions/buddyslabctl" "$@"
}

# offers EXPECTED WORDS...: the completion of WORDS is exactly EXPECTED.
offers() {
	local want=$1 got
	shift
	got=$(complete_words "$ctl" "$@")
	[ "$got" = "$want" ] || { echo "completing '$*': '$got', not '$want'"; return 1; }
}

bs_check "completion: commands" offers "buddyinfo byte_buddyinfo" "b"
bs_check "completion: options" offers "--version" "--v"
bs_check "completion: strategies" offers "fit:first fit:next fit:best fit:worst" \
	replay t --allocator fit:
bs_check "completion: all strategies" offers "all" replay t --allocator al
bs_check "completion: trace actions" offers "convert generate info" trace ""
bs_check "completion: trace kinds" offers "example-buddy example-fit example-external example-internal" \
	trace generate example-
bs_check "completion: formats" offers "native mtrace ftrace" trace convert f --from ""
bs_check "completion: --json where a table is" offers "--json" -d /dev/x slabinfo ""
bs_check "completion: no --json for the map" offers "" map ""

# Every relative link of the documents resolves in the repository.
links_ok() {
	local doc target path bad=
	for doc in "$BS_ROOT"/README.md "$BS_ROOT"/docs/*.md; do
		for target in $(grep -oE '\]\([^)#]+' "$doc" | sed 's/^](//' |
			grep -vE '^(https?|mailto):'); do
			path=$(realpath -m "$(dirname "$doc")/$target")
			[ -e "$path" ] && [[ $path == "$BS_ROOT"/* ]] ||
				bad="$bad ${doc#"$BS_ROOT"/}:$target"
		done
	done
	[ -z "$bad" ] || echo "links to nothing:$bad"
	[ -z "$bad" ]
}
bs_check "every link of README.md and docs/ names a file in the repository" links_ok
bs_check "no document mentions the developers' shared folder" \
	bash -c "! grep -nE '\.\./shared' '$BS_ROOT'/README.md '$BS_ROOT'/docs/*.md"

echo "docs: $passed passed, $failed failed"
[ "$failed" = 0 ]
