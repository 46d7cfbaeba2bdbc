#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The allocator laboratory in one run (make lab): real programs' and the
# kernel's own allocations, and generated ones, replayed on every strategy
# over the same physical memory, in tables and pictures.
#
#   lab.sh [--smoke] [OUT]
#
# OUT is the output folder: the argument, else $OUT, else lab-out/ in the
# repository (--smoke: the cache's lab-smoke/). It is emptied first, but
# only if it is empty or an earlier run made it.
#
#  1. Records, on this machine, the mallocs and frees of real programs with
#     glibc's mtrace (tools/lab/mtrace_preload.c): gcc's cc1 compiling
#     tools/buddyslabctl.c, sort of a generated file, perl counting the
#     words of /usr/share/common-licenses, and Debian's /usr/bin/python3
#     doing the same (skipped, with a message, if it is not installed);
#     converts each to the native trace format (OUT/traces/).
#  2. Generates synthetic traces (every generator of buddyslabctl trace
#     generate) with recorded seeds.
#  3. Boots Debian's 6.12 once (scripts/vm.sh lab): records the kernel's
#     own allocations with ftrace while busybox works, replays every trace
#     on every strategy (buddyslabctl compare and replay: OUT/tables/,
#     OUT/csv/, OUT/maps/), runs the adversary on every strategy.
#  4. Draws the pictures (scripts/lab_plot.sh: OUT/plots/).
#  5. Writes OUT/index.md: every table and picture, what it shows, the
#     seeds, versions and parameters.
#  6. Checks what it made; the last line is "lab: N passed, N failed".
#
# --smoke does the same on one short trace (sort /etc/services), one small
# generated trace and a short kernel trace, in a 64 MiB region: about two
# minutes, for make check.
#
# The parameters, all recorded in OUT/index.md and OUT/lab.conf:
#   SEED (1)          the generators' seed and that of the words sort sorts
#   REGION_MB (256)   the module's region in the VM
#   GEN_OPS (200000)  operations of each generated trace, about
#   SAMPLES (500)     rows of each CSV time series, about
#   ADVERSARY_LIVE (1048576)  the adversary's M, bytes live at most
set -euo pipefail
. "$(dirname "$0")/lib.sh"

smoke=
if [ "${1:-}" = --smoke ]; then
	smoke=1
	shift
fi
if [ -n "$smoke" ]; then
	out=${1:-${OUT:-$BS_CACHE/lab-smoke}}
else
	out=${1:-${OUT:-$BS_ROOT/lab-out}}
fi
SEED=${SEED:-1}
REGION_MB=${REGION_MB:-$([ -n "$smoke" ] && echo 64 || echo 256)}
GEN_OPS=${GEN_OPS:-$([ -n "$smoke" ] && echo 2000 || echo 200000)}
SAMPLES=${SAMPLES:-500}
ADVERSARY_LIVE=${ADVERSARY_LIVE:-1048576}
for param in SEED REGION_MB GEN_OPS SAMPLES ADVERSARY_LIVE; do
	case ${!param} in
	'' | *[!0-9]*) bs_die "lab: $param must be a number" ;;
	esac
done
STRATEGIES="buddy slab fit:first fit:next fit:best fit:worst bytebuddy genpool:first genpool:best"
MALLOC_DEBUG=$(ldconfig -p | awk '/libc_malloc_debug\.so\.0 .*x86-64/ { print $NF; exit }')
[ -n "$MALLOC_DEBUG" ] || bs_die "lab: no libc_malloc_debug.so.0 (glibc 2.34 or later)"

# The output folder, empty, with the mark that lets a later run empty it.
mark=$out/.buddyslab-lab
if [ -e "$out" ] && [ ! -e "$mark" ] && [ -n "$(ls -A "$out")" ]; then
	bs_die "lab: $out is not empty and no earlier lab run made it: choose another OUT"
fi
rm -rf "$out"
mkdir -p "$out"/{traces,raw,build,logs}
out=$(cd "$out" && pwd)
touch "$mark"
ctl=$out/build/buddyslabctl
start=$(date +%s)
phase_start=$start
phase_name=

# phase NAME: note how long the last phase took and start the next.
phase() {
	local now
	now=$(date +%s)
	[ -z "$phase_name" ] ||
		echo "$phase_name: $((now - phase_start))" >> "$out/logs/phases"
	echo "lab: $1 ($((now - start)) s so far)"
	phase_name=$1
	phase_start=$now
}

# The traces made, by name (traces/NAME.trace): the programs', the
# kernel's, the generated ones.
trace_names() {
	ls "$out/traces" | sed -n 's/\.trace$//p' |
		awk '{ print (/^kernel/ ? 1 : /^gen-/ ? 2 : 0), $0 }' | sort | cut -d' ' -f2
}

# The value of "# KEY: value" in a file's header.
header() {
	sed -n "s/^# $2: //p" "$1" | head -n 1
}

# A strategy's name as a file name: fit:first -> fit-first.
file_name() {
	echo "${1//:/-}"
}

# One row a trace, one column a strategy: fragmentation at the peak, from
# the "frag at peak" column of each comparison table.
summary_table() {
	local t s row
	printf '| trace |'
	printf ' %s |' $STRATEGIES
	printf '\n|---|'
	printf -- '---:|%.0s' $STRATEGIES
	echo
	for t in $(trace_names); do
		row="| $t |"
		for s in $STRATEGIES; do
			row="$row $(awk -v s="$s" '($1 == s || $1 == s "*") && $2 ~ /^[0-9]+$/ {
				printf "%s", $6; if ($3 > 0) printf " (%d failed)", $3 }' \
				"$out/tables/$t.txt" 2>/dev/null) |"
		done
		echo "$row"
	done
}

# OUT/index.md: every table and picture and what it shows, the seeds,
# versions and parameters.
write_index() {
	local t s f kernel abi
	kernel=$(header "$(ls "$out"/csv/*/*.csv | head -n 1)" kernel 2>/dev/null || true)
	abi=$(awk '/define BUDDYSLAB_ABI_VERSION/ { print $3 }' "$BS_ROOT/include/uapi/buddyslab.h")
	{
		echo "# The allocator laboratory: results"
		echo
		echo "Made by \`$([ -n "$smoke" ] && echo "scripts/lab.sh --smoke" || echo "make lab")\`"
		echo "on $(date -u +%Y-%m-%d), in $(($(date +%s) - start)) s. How to read it:"
		echo "docs/laboratory.md in the buddyslab repository."
		echo
		echo "## How it was made"
		echo
		echo "| | |"
		echo "|---|---|"
		echo "| date | $(date -u +%Y-%m-%dT%H:%M:%SZ) |"
		echo "| buddyslab | $(git -C "$BS_ROOT" describe --always --dirty 2>/dev/null || echo unknown), module ABI $abi |"
		echo "| host | $(uname -srm), Debian $(cat /etc/debian_version 2>/dev/null || echo ?) |"
		echo "| compiler | $(gcc --version | head -n 1) |"
		echo "| C library | $(ldd --version | head -n 1) |"
		echo "| plotter | $(gnuplot --version) |"
		echo "| replays | Debian's kernel ${kernel:-?} in QEMU (TCG), 2 CPUs, 2 GiB, no_hash_pointers |"
		echo "| region | $REGION_MB MiB ($((REGION_MB / 4)) arenas of 4 MiB, 4096-byte pages) |"
		echo "| seed | $SEED (every generator, and the words sort sorts) |"
		echo "| adversary | M = $ADVERSARY_LIVE bytes live at most |"
		echo "| generated traces | about $GEN_OPS operations each |"
		echo "| samples | about $SAMPLES rows per CSV |"
		echo "| kernel trace | $(paste -sd ';' "$out/kernel/ftrace.txt" | sed 's/;/; /g') ([first lines](kernel/kernel-head.ftrace)) |"
		echo "| strategies | $STRATEGIES |"
		echo "| seconds per phase | $(sed 's/$/ s/' "$out/logs/phases" | paste -sd ';' | sed 's/;/; /g') |"
		echo
		echo "Every trace, CSV and table repeats what made it in its own"
		echo "\`# key: value\` header; the parameters are also in [lab.conf](lab.conf)."
		echo
		echo "## Traces"
		echo
		echo "| trace | operations | source | what it is |"
		echo "|---|---:|---|---|"
		for t in $(trace_names); do
			f=$out/traces/$t.trace
			echo "| [$t](traces/$t.trace) | $(grep -c '^[af] ' "$f") | $(header "$f" source) |" \
				"$(header "$f" program)$(header "$f" seed | sed 's/^./seed &/') |"
		done
		echo
		echo "## Fragmentation at the peak, every trace on every strategy"
		echo
		echo "Johnstone and Wilson's measure, from the tables below: the most"
		echo "pages holding live bytes over the most bytes live, minus one. A"
		echo "strategy that failed allocations shows how many (its peak holds"
		echo "less than the trace asks for)."
		echo
		summary_table
		echo
		echo "## Every strategy on every trace"
		echo
		echo "Each table is \`buddyslabctl compare\` on the trace, every strategy"
		echo "starting from a whole region; fragmentation at the peak is Johnstone"
		echo "and Wilson's: the most pages holding live bytes over the most bytes"
		echo "live, minus one. Under it: the JSON of the same table, the CSV time"
		echo "series (one file a strategy), the pictures: fragmentation and footprint"
		echo "over the trace, one line a strategy, and the region's pages at the"
		echo "peak, one square a page, white free, coloured by what holds it."
		for t in $(trace_names); do
			echo
			echo "### $t"
			echo
			echo '```'
			cat "$out/tables/$t.txt" 2>/dev/null || echo "(no table: see logs/)"
			echo '```'
			echo
			echo "[JSON](tables/$t.json); CSV:"
			for s in $STRATEGIES; do
				f=csv/$t/$(file_name "$s").csv
				[ -e "$out/$f" ] && printf ' [%s](%s)' "$s" "$f"
			done
			echo
			echo
			echo "![$t: fragmentation over the trace](plots/$t-frag.png)"
			echo "![$t: footprint over the trace](plots/$t-footprint.png)"
			echo
			echo "Page maps at the peak:"
			for s in $STRATEGIES; do
				f=plots/$t-map-$(file_name "$s").png
				[ -e "$out/$f" ] && printf ' [%s](%s)' "$s" "$f"
			done
			echo
		done
		echo
		echo "## The adversary"
		echo
		echo "\`buddyslabctl adversary --allocator all\`: a Robson-style program"
		echo "that reads where the allocator placed each block and frees so as to"
		echo "leave holes too small for the next, larger blocks. Robson's measure"
		echo "is the span, from the lowest to the highest live byte; the footprint"
		echo "counts only the pages that hold live bytes, and held the pages the"
		echo "strategy took from the region. The whole output, phase"
		echo "by phase: [tables/adversary.txt](tables/adversary.txt); CSV:"
		for s in $STRATEGIES; do
			f=adversary/$(file_name "$s").csv
			[ -e "$out/$f" ] && printf ' [%s](%s)' "$s" "$f"
		done
		echo
		echo
		echo "| strategy | blocks (bytes) | peak footprint / M | peak span / M | held / M | Robson's factor |"
		echo "|---|---|---:|---:|---:|---:|"
		# "N.NN x M" figures, in the order the summary lines give them.
		awk 'function xm(line, n,   i) {
				for (i = 0; i < n; i++) {
					if (!match(line, /[0-9.]+ x M/)) return "?"
					v = substr(line, RSTART, RLENGTH - 4)
					line = substr(line, RSTART + RLENGTH)
				}
				return v
			}
			/^adversary on / { s = $3; sub(/:$/, "", s)
				match($0, /blocks of [0-9]+ to [0-9]+/)
				b = substr($0, RSTART + 10, RLENGTH - 10) }
			/^peak footprint / { f = xm($0, 1); sp = xm($0, 2); h = xm($0, 3) }
			/^Robson/ { printf "| %s | %s | %s | %s | %s | %s |\n", s, b, f, sp, h, xm($0, 1) }' \
			"$out/tables/adversary.txt" 2>/dev/null
		echo
		echo "![the adversary: its span over M, phase by phase](plots/adversary.png)"
		echo
		echo "## Runs"
		echo
		echo "Every command run in the VM, its exit status and seconds"
		echo "([status](status)); their output is in [logs/](logs/)."
		echo
		echo '```'
		cat "$out/status" 2>/dev/null
		echo '```'
	} > "$out/index.md"
}

# The checks of what a run made, each counted: the last line says how many
# passed and failed, and every failure is named.
passed=0
failed=0
check() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "lab: FAIL: $what"
	fi
}

# A native trace: its header line, then at least one allocation.
trace_ok() {
	[ "$(head -n 1 "$1")" = "# buddyslab-trace 1" ] && grep -q '^a [0-9]' "$1"
}

# A CSV time series: its columns exactly, at least one row, every row as
# many numbers as there are columns.
CSV_COLUMNS=ops,live_requested,live_granted,footprint_pages,held_pages,free_bytes,largest_free,extfrag,unusable_index,failures,ns_per_op
csv_ok() {
	awk -F, -v columns="$CSV_COLUMNS" '
		/^#/ && !head { next }
		!head { if ($0 != columns) exit 1; head = 1; n = NF; next }
		{ if (NF != n) exit 1
		  for (i = 1; i <= NF; i++) if ($i !~ /^-?[0-9]+(\.[0-9]+)?$/) exit 1
		  rows++ }
		END { exit !(head && rows) }' "$1"
}

# A page map: every line an arena of 1024 pages, at least one arena.
map_ok() {
	awk '/^#/ { next } { if ($1 !~ /^[0-9]+$/ || length($2) != 1024) exit 1; n++ }
		END { exit !n }' "$1"
}

# JSON that parses (with Python's parser where there is one).
json_ok() {
	if [ -x /usr/bin/python3 ]; then
		/usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1"
	else
		grep -q '^{' "$1" && tail -c 3 "$1" | grep -q '}'
	fi
}

# The comparison table $1 has a row of figures for strategy $2.
table_row() {
	awk -v s="$2" '($1 == s || $1 == s "*") && $2 ~ /^[0-9]+$/ { found = 1 }
		END { exit !found }' "$1"
}

# A PNG: its signature.
png_ok() {
	[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}

# The command of the VM's status file named STEP NAME ran and exited 0.
ran_ok() {
	awk -v step="$1" -v name="$2" '$1 == step && $2 == name { rc = $3; seen = 1 }
		END { exit !(seen && rc == 0) }' "$out/status"
}

check_outputs() {
	local t s f
	for t in $(trace_names); do
		check "$t: imported (traces/$t.trace)" trace_ok "$out/traces/$t.trace"
		check "$t: replayed on every strategy with no error" ran_ok replay "$t"
		check "$t: compared, as JSON" ran_ok compare "$t"
		check "$t: JSON that parses (tables/$t.json)" json_ok "$out/tables/$t.json"
		for s in $STRATEGIES; do
			f=$(file_name "$s")
			check "$t on $s: its row of the table (tables/$t.txt)" table_row "$out/tables/$t.txt" "$s"
			check "$t on $s: CSV (csv/$t/$f.csv)" csv_ok "$out/csv/$t/$f.csv"
			check "$t on $s: page map (maps/$t/$f.map)" map_ok "$out/maps/$t/$f.map"
			check "$t on $s: page map picture" png_ok "$out/plots/$t-map-$f.png"
		done
		check "$t: fragmentation picture" png_ok "$out/plots/$t-frag.png"
		check "$t: footprint picture" png_ok "$out/plots/$t-footprint.png"
	done
	check "the adversary: ran" ran_ok adversary all
	for s in $STRATEGIES; do
		check "the adversary on $s: result" grep -q "^adversary on $s:" "$out/tables/adversary.txt"
		check "the adversary on $s: CSV" test -s "$out/adversary/$(file_name "$s").csv"
	done
	check "the adversary: picture" png_ok "$out/plots/adversary.png"
	check "the index (index.md)" test -s "$out/index.md"
	echo "lab: output in $out, index $out/index.md"
	echo "lab: $passed passed, $failed failed"
	[ "$failed" = 0 ]
}

phase "building buddyslabctl and mtrace_preload.so"
make -s -B -C "$BS_ROOT/tools" OUTPUT="$out/build/" "$ctl" >/dev/null
cc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$out/build/mtrace_preload.so" \
	"$BS_ROOT/tools/lab/mtrace_preload.c"

# trace_header NAME KEY VALUE...: "# KEY: VALUE" lines added to the native
# trace NAME after its "# source:" line (comments: readers skip them).
trace_header() {
	local file=$out/traces/$1.trace lines=
	shift
	while [ $# -ge 2 ]; do
		# One line each: a command's own newlines become spaces.
		lines="$lines# $1: ${2//$'\n'/ }"$'\n'
		shift 2
	done
	# From the environment: awk -v would read backslashes as escapes.
	LAB_LINES=$lines awk '{ print }
		/^# source:/ && !done { printf "%s", ENVIRON["LAB_LINES"]; done = 1 }' \
		"$file" > "$file.tmp"
	mv "$file.tmp" "$file"
}

# record NAME DESCRIPTION COMMAND...: run COMMAND under mtrace, convert the
# log of its process that allocated most (a compiler driver's cc1) into
# OUT/traces/NAME.trace.
record() {
	local name=$1 what=$2 raw log t0 t1
	shift 2
	raw=$out/raw/$name.mtrace
	t0=$(date +%s.%N)
	LD_PRELOAD="$MALLOC_DEBUG $out/build/mtrace_preload.so" MALLOC_TRACE=$raw \
		"$@" > "$out/raw/$name.stdout" 2>"$out/raw/$name.stderr" ||
		bs_die "lab: $name failed: $(cat "$out/raw/$name.stderr")"
	t1=$(date +%s.%N)
	log=$(wc -l "$raw".* | sort -n | awk '$2 != "total" { f = $2 } END { print f }')
	[ -n "$log" ] || bs_die "lab: $name wrote no mtrace log"
	"$ctl" trace convert "$log" --from mtrace > "$out/traces/$name.trace" \
		2> "$out/logs/convert-$name.log" ||
		bs_die "lab: converting $name's log: $(cat "$out/logs/convert-$name.log")"
	trace_header "$name" program "$what" command "$*" \
		process "$(awk '/^@ / { sub(/:.*/, "", $2); print $2; exit }' "$log")" \
		mtrace_log "${log##*/}, $(wc -l < "$log") lines" \
		recorded "$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm), $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s under mtrace"
	echo "lab:   $name: $(grep -c '^a ' "$out/traces/$name.trace") allocations ($what)"
}

phase "recording real programs with glibc's mtrace ($MALLOC_DEBUG)"
if [ -n "$smoke" ]; then
	record sort "GNU sort of /etc/services" sort /etc/services
else
	# A file nobody wrote by hand: seeded random words, 40,000 lines.
	awk -v seed="$SEED" 'BEGIN { srand(seed); for (i = 0; i < 40000; i++) {
		n = 1 + int(rand() * 8); line = ""
		for (j = 0; j < n; j++) line = line sprintf("%c%d ", 97 + int(rand() * 26), int(rand() * 1e6))
		print line } }' > "$out/raw/words.txt"
	record sort "GNU sort, 1 MiB buffer (-S 1M), 40,000 lines of seeded random words" \
		sort -S 1M -T "$out/raw" "$out/raw/words.txt"
	record cc1 "gcc 12 (cc1) compiling tools/buddyslabctl.c, -O2" \
		gcc -O2 -I"$BS_ROOT/include" -DBUDDYSLAB_VERSION="\"$(cat "$BS_ROOT/VERSION")\"" \
		-c -o /dev/null "$BS_ROOT/tools/buddyslabctl.c"
	record perl "perl counting the words of /usr/share/common-licenses" \
		perl -ne '$c{$_}++ for split; END { print scalar(keys %c), "\n" }' \
		/usr/share/common-licenses/*
	if [ -x /usr/bin/python3 ]; then
		record python3 "python3 (PYTHONMALLOC=malloc) counting words, JSON out" \
			env PYTHONMALLOC=malloc /usr/bin/python3 -c 'import collections, glob, json
words = collections.Counter()
for name in sorted(glob.glob("/usr/share/common-licenses/*")):
    words.update(open(name, errors="replace").read().split())
print(len(json.dumps(words.most_common())))'
	else
		echo "lab:   python3: skipped, /usr/bin/python3 is not installed"
	fi
fi
rm -rf "$out/raw"

phase "generating traces (seed $SEED, about $GEN_OPS operations each)"
if [ -n "$smoke" ]; then
	generators=uniform
else
	# No KIND: the list of them, "  NAME  what it generates" a line.
	# (a usage error: its status says nothing here).
	generators=$("$ctl" trace generate 2>&1 | awk '/^  [a-z]/ { print $1 }' || true)
	[ -n "$generators" ] || bs_die "lab: buddyslabctl trace generate lists no generator"
fi
for gen in $generators; do
	params=(--seed "$SEED" --ops "$GEN_OPS")
	# The worked examples are fixed traces: they take no parameters.
	case $gen in example-*) params=() ;; esac
	"$ctl" trace generate "$gen" "${params[@]}" > "$out/traces/gen-$gen.trace" \
		2> "$out/logs/generate-$gen.log" ||
		bs_die "lab: generating $gen: $(cat "$out/logs/generate-$gen.log")"
done

phase "replaying in the VM: the kernel's trace, then every trace on every strategy"
vm_in=$out/build/vm-in
mkdir -p "$vm_in/traces"
cp "$out"/traces/*.trace "$vm_in/traces/"
cat > "$out/lab.conf" <<CONF
# The laboratory's parameters (scripts/lab.sh)
SEED=$SEED
REGION_MB=$REGION_MB
GEN_OPS=$GEN_OPS
SAMPLES=$SAMPLES
STRATEGIES="$STRATEGIES"
WORKLOAD=$([ -n "$smoke" ] && echo small || echo full)
WORKLOAD_ROUNDS=$([ -n "$smoke" ] && echo 1 || echo 4)
FTRACE_KB=32768
ADVERSARY_ARGS="--max-live $ADVERSARY_LIVE$([ -n "$smoke" ] && echo " --min 4096")"
CONF
cp "$out/lab.conf" "$vm_in/lab.conf"
BUDDYSLAB_LAB_IN=$vm_in BUDDYSLAB_LAB_OUT=$out "$BS_ROOT/scripts/vm.sh" lab 6.12 |
	tee "$out/logs/vm.log"
[ "${PIPESTATUS[0]}" = 0 ] || bs_die "lab: the VM run failed (log: $out/logs/vm.log)"
rm -rf "$vm_in"

phase "drawing the pictures"
"$BS_ROOT/scripts/lab_plot.sh" "$out"

phase "writing the index"
write_index

phase "checking what was made"
check_outputs
