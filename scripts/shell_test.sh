#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make shell as a person uses it: in a pseudo terminal (tmux), boot the VM
# with parameters, wait for the banner and the prompt, type commands, read
# the screen, leave with exit. Prints "shell: N passed, N failed" last.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || bs_die "no tmux: run scripts/deps.sh"
session=buddyslab-shell-test-$$
screen=$BS_CACHE/shell-test.screen
passed=0 failed=0
mkdir -p "$BS_CACHE"

capture() {
	tmux capture-pane -p -J -S -200 -t "$session" > "$screen" 2>/dev/null || true
}

# wait_for TEXT SECONDS: until the screen shows TEXT.
wait_for() {
	local i
	for ((i = 0; i < $2; i++)); do
		capture
		grep -qF -- "$1" "$screen" && return 0
		sleep 1
	done
	return 1
}

type_line() {
	tmux send-keys -t "$session" -l -- "$1"
	tmux send-keys -t "$session" Enter
}

on_screen() {
	capture
	grep -qE -- "$1" "$screen"
}

trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
tmux new-session -d -s "$session" -x 150 -y 50 \
	"make -s -C '$BS_ROOT' shell ARGS='region_mb=24'; echo \"make exited \$?\"; sleep 600"

bs_check "the banner names the parameters" wait_for "modprobe buddyslab region_mb=24" 300
bs_check "a prompt" wait_for "buddyslab-vm #" 60
type_line "buddyslabctl info"
bs_check "buddyslabctl info shows the 24 MiB region" wait_for "region        24576 KiB" 30
type_line "buddyslabctl shell"
bs_check "the client's shell prompts" wait_for "buddyslab> " 30
type_line "alloc buddy 5000"
# The offset is the start of the arena this CPU's cache refills from.
bs_check "the client's shell allocates" wait_for "5000 bytes asked, 8192 granted" 30
type_line "quit"
sleep 1
type_line 'head -n 1 $D/buddyinfo'
bs_check "debugfs is at \$D" wait_for "Arena    0 " 30
type_line "modinfo -F description buddyslab"
bs_check "modinfo finds the module" wait_for "Buddy, slab, sequential-fit" 30
type_line "exit"
bs_check "exit powers the VM off and make returns 0" wait_for "make exited 0" 60
capture
echo "--- the screen"
grep -v '^$' "$screen" | tail -n 40
echo "shell: $passed passed, $failed failed"
[ "$failed" = 0 ]
