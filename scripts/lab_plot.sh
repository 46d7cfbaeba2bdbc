#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The laboratory's pictures, drawn on the host with gnuplot from what the
# replays wrote (scripts/lab.sh runs it; run it again on an output folder
# to redraw):
#
#   lab_plot.sh OUT
#
# reads OUT/csv/TRACE/*.csv (buddyslabctl replay's time series, one file a
# strategy) and OUT/maps/TRACE/*.map (the debugfs page map at the peak) and
# writes, in OUT/plots/:
#
#   TRACE-frag.png        fragmentation (footprint / live bytes - 1) over
#                         the trace, one line a strategy, log scale
#   TRACE-footprint.png   footprint over the trace, one line a strategy,
#                         and the live bytes the trace asked for
#   TRACE-map-S.png       the region at the peak, one square a page,
#                         coloured by what holds it (S: the strategy, ':'
#                         written '-')
#   adversary.png         the Robson-style adversary (OUT/adversary/*.csv):
#                         each strategy's peak span (the addresses from its
#                         lowest to its highest live byte) over M, phase by
#                         phase, and Robson's factor
#
# beside each PNG the gnuplot script (.gp) and its data (data/), so that a
# picture can be redrawn or changed with gnuplot alone.
#
# Why gnuplot: one Debian package (gnuplot-nox) with no Python stack, text
# scripts a reader can edit, and its cairo PNG terminal draws time series
# and exact pixel images alike.
set -euo pipefail

out=${1:?usage: lab_plot.sh OUT}
plots=$out/plots
command -v gnuplot >/dev/null || {
	echo "lab_plot: no gnuplot: run scripts/deps.sh (gnuplot-nox)" >&2
	exit 1
}
mkdir -p "$plots/data"

# Map characters (debugfs map), their colours and names, in legend order.
MAP_KEYS=". , B S F G Y"
declare -A MAP_RGB=([.]="255 255 255" [,]="190 190 190" [B]="31 119 180"
	[S]="255 127 14" [F]="214 39 40" [G]="148 103 189" [Y]="23 190 207")
declare -A MAP_NAME=([.]="free" [,]="per-CPU cached" [B]="buddy block"
	[S]="slab" [F]="fit arena" [G]="genpool arena" [Y]="byte buddy arena")
# Each strategy's line, the same in every picture: colour and dash type.
declare -A LINE=([buddy]="'#1f77b4' dt 1" [slab]="'#ff7f0e' dt 1"
	[fit:first]="'#2ca02c' dt 1" [fit:next]="'#d62728' dt 1"
	[fit:best]="'#9467bd' dt 1" [fit:worst]="'#8c564b' dt 1"
	[bytebuddy]="'#e377c2' dt 1" [genpool:first]="'#2ca02c' dt 2"
	[genpool:best]="'#9467bd' dt 2")
ORDER="buddy slab fit:first fit:next fit:best fit:worst bytebuddy genpool:first genpool:best"
MAP_TILE=32		# an arena of 1024 pages drawn as 32 x 32
MAP_COLUMNS=8		# arenas a row
MAP_SCALE=3		# screen pixels a page, each way

# The value of "# KEY: value" in a CSV's header.
header() {
	sed -n "s/^# $2: //p" "$1" | head -n 1
}

# A strategy's name as a file name: fit:first -> fit-first.
file_name() {
	echo "${1//:/-}"
}

# csv_data CSV DAT: ops, fragmentation, footprint MiB, live MiB, one line a
# sample, from the columns named in the CSV's first non-comment line.
# Fragmentation is left out (a blank) while less than 1% of the trace's
# peak live bytes is live: a few bytes in a page say nothing yet. It is
# floored at 0.001 to fit a log scale.
csv_data() {
	local page_size
	page_size=$(header "$1" page_size)
	awk -F, -v ps="${page_size:-4096}" '
		/^#/ { next }
		!cols { for (i = 1; i <= NF; i++) col[$i] = i; cols = 1; next }
		{ n++; ops[n] = $col["ops"]; live[n] = $col["live_requested"]
		  fp[n] = $col["footprint_pages"] * ps
		  if (live[n] > peak) peak = live[n] }
		END {
			for (i = 1; i <= n; i++) {
				f = ""
				if (live[i] > 0 && live[i] >= peak / 100) {
					f = fp[i] / live[i] - 1
					if (f < 0.001) f = 0.001
				}
				printf "%s %s %.6f %.6f\n", ops[i], f,
				       fp[i] / 1048576, live[i] / 1048576
			}
		}' "$1" > "$2"
}

# map_data MAP DAT: "x y r g b" for every pixel of the tiled map, arenas up
# to the last one holding anything (at least one row of tiles).
map_data() {
	local rgb=() key
	for key in $MAP_KEYS; do
		rgb+=("$key=${MAP_RGB[$key]}")
	done
	awk -v tile="$MAP_TILE" -v columns="$MAP_COLUMNS" -v rgb="${rgb[*]}" '
		BEGIN {
			n = split(rgb, kv, " ")
			for (i = 1; i <= n; i += 3) {
				split(kv[i], p, "=")
				colour[p[1]] = p[2] " " kv[i + 1] " " kv[i + 2]
			}
		}
		$1 ~ /^[0-9]+$/ && NF == 2 {
			a = $1; map[a] = $2; if (a + 1 > arenas) arenas = a + 1
			if ($2 ~ /[^.]/) used = a + 1
		}
		END {
			rows = int((used + columns - 1) / columns); if (rows < 1) rows = 1
			w = columns * (tile + 1) - 1; h = rows * (tile + 1) - 1
			for (y = 0; y < h; y++) for (x = 0; x < w; x++) {
				tx = int(x / (tile + 1)); ty = int(y / (tile + 1))
				px = x % (tile + 1); py = y % (tile + 1)
				a = ty * columns + tx
				c = "96 96 96"		# between arenas
				if (px < tile && py < tile)
					c = a < arenas ? colour[substr(map[a], py * tile + px + 1, 1)] \
						       : "96 96 96"
				if (c == "") c = "0 0 0"	# a character the legend lacks
				print x, h - 1 - y, c
			}
			print w, h > "/dev/stderr"
		}' "$1" > "$2"
}

# plot_series TRACE: the fragmentation and footprint pictures of a trace.
plot_series() {
	local trace=$1 csv name dat style frag=() foot=() first='' live_dat
	local -A by_name=()
	for csv in "$out/csv/$trace"/*.csv; do
		[ -e "$csv" ] || continue
		name=$(header "$csv" strategy)
		by_name[${name:-$(basename "$csv" .csv)}]=$csv
	done
	for name in $ORDER $(printf '%s\n' "${!by_name[@]}" | sort); do
		csv=${by_name[$name]:-}
		[ -n "$csv" ] || continue
		unset "by_name[$name]"
		dat=$plots/data/$trace-$(file_name "$name").dat
		csv_data "$csv" "$dat"
		style="lw 2 lc rgb ${LINE[$name]:-\'black\' dt 3}"
		frag+=("'data/${dat##*/}' using 1:2 with lines $style title '$name'")
		foot+=("'data/${dat##*/}' using 1:3 with lines $style title '$name'")
		[ -n "$first" ] || first=$csv
	done
	[ -n "$first" ] || return 0
	live_dat=data/$(basename "${dat}")
	# What the trace is: its program, else its source and seed.
	local what seed
	what=$(header "$first" trace_program)
	seed=$(header "$first" trace_seed)
	[ -n "$what" ] || what="$(header "$first" source)${seed:+, seed $seed}"
	local params="$what; region $(($(header "$first" region_bytes) / 1048576)) MiB"
	(
		IFS=,
		cat > "$plots/$trace-frag.gp" <<GP
# $trace: fragmentation over the trace, one line a strategy (lab_plot.sh)
set terminal pngcairo noenhanced size 1000,600 font ",10"
set output '$trace-frag.png'
set title "$trace: fragmentation = footprint / live bytes - 1\\n$params"
set xlabel 'operations'
set ylabel 'fragmentation (log scale; floor 0.001)'
set logscale y
set yrange [0.0008:*]
set grid
set key outside right
plot ${frag[*]}
GP
		cat > "$plots/$trace-footprint.gp" <<GP
# $trace: footprint over the trace, one line a strategy (lab_plot.sh)
set terminal pngcairo noenhanced size 1000,600 font ",10"
set output '$trace-footprint.png'
set title "$trace: footprint (pages holding live bytes) and live bytes\\n$params"
set xlabel 'operations'
set ylabel 'MiB'
set grid
set key outside right
plot ${foot[*]}, '$live_dat' using 1:4 with lines lw 2 dt 2 lc rgb 'black' title 'live bytes'
GP
	)
	(cd "$plots" && gnuplot "$trace-frag.gp" && gnuplot "$trace-footprint.gp")
}

# plot_map TRACE MAP: the page map picture of one strategy.
plot_map() {
	local trace=$1 map=$2 strategy base size w h key legend=()
	base=$trace-map-$(basename "$map" .map)
	# Its header's name, else the file's: fit-first was fit:first.
	strategy=$(header "$map" strategy)
	[ -n "$strategy" ] || strategy=$(basename "$map" .map | sed 's/-/:/')
	size=$(map_data "$map" "$plots/data/$base.dat" 2>&1 >/dev/null)
	w=${size% *}
	h=${size#* }
	for key in $MAP_KEYS; do
		legend+=("NaN with boxes fs solid 1.0 border lc rgb 'black' fc rgb '#$(printf '%02x%02x%02x' \
			${MAP_RGB[$key]})' title '${MAP_NAME[$key]}'")
	done
	(
		IFS=,
		cat > "$plots/$base.gp" <<GP
# $trace on $strategy: the region at the peak, one square a page (lab_plot.sh)
# An arena (1024 pages, 4 MiB) is a ${MAP_TILE}x${MAP_TILE} tile, pages left to
# right, top to bottom; $MAP_COLUMNS arenas a row, grey between them.
set terminal pngcairo noenhanced size $((w * MAP_SCALE + 20)),$((h * MAP_SCALE + 90)) font ",9"
set output '$base.png'
set title "$trace on $strategy: the region's pages at the peak"
set lmargin at screen 10.0 / $((w * MAP_SCALE + 20))
set rmargin at screen 1 - 10.0 / $((w * MAP_SCALE + 20))
set tmargin at screen 1 - 30.0 / $((h * MAP_SCALE + 90))
set bmargin at screen 60.0 / $((h * MAP_SCALE + 90))
unset xtics
unset ytics
unset border
set xrange [-0.5:$w - 0.5]
set yrange [-0.5:$h - 0.5]
set key at screen 0.5, screen 0.0 center bottom horizontal maxrows 2 width -3 samplen 1
set style fill solid
plot 'data/$base.dat' using 1:2:3:4:5 with rgbimage pixels notitle, ${legend[*]}
GP
	)
	(cd "$plots" && gnuplot "$base.gp")
}

# plot_adversary: the adversary's blow-up, one line a strategy.
plot_adversary() {
	local csv name dat style lines=() robson='' n='' m=''
	local -A by_name=()
	for csv in "$out"/adversary/*.csv; do
		[ -e "$csv" ] || continue
		by_name[$(header "$csv" strategy)]=$csv
	done
	for name in $ORDER $(printf '%s\n' "${!by_name[@]}" | sort); do
		csv=${by_name[$name]:-}
		[ -n "$csv" ] || continue
		unset "by_name[$name]"
		dat=$plots/data/adversary-$(file_name "$name").dat
		# x: the phase, its free step half a phase on; y: the peak
		# span so far over M.
		awk -F, -v m="$(header "$csv" max_live)" '
			/^#/ { next }
			!cols { for (i = 1; i <= NF; i++) col[$i] = i; cols = 1; next }
			{ if ($col["span_bytes"] > peak) peak = $col["span_bytes"]
			  printf "%.1f %.4f\n", $col["phase"] + ($col["step"] == "free") / 2,
				 peak / m }' "$csv" > "$dat"
		style="lw 2 lc rgb ${LINE[$name]:-\'black\' dt 3}"
		lines+=("'data/${dat##*/}' using 1:2 with linespoints $style pt 7 ps 0.6 title '$name'")
		robson=${robson:-$(header "$csv" robson_factor | cut -d' ' -f1)}
		n=${n:-$(($(header "$csv" max) / $(header "$csv" min)))}
		m=${m:-$(header "$csv" max_live)}
	done
	[ ${#lines[@]} -gt 0 ] || return 0
	(
		IFS=,
		cat > "$plots/adversary.gp" <<GP
# The Robson-style adversary: peak span over M, phase by phase (lab_plot.sh)
set terminal pngcairo noenhanced size 1000,600 font ",10"
set output 'adversary.png'
set title "The adversary: peak span of the live bytes (lowest to highest address) over M = $m bytes\nphase k: blocks of min * 2^k bytes until M are live, then one kept in each 2^(k+1)-byte window"
set xlabel 'phase (its free step half a phase on)'
set ylabel 'peak span / M'
set yrange [0:*]
set offsets 0, 0, 0.5, 0
set grid
set key outside right
plot ${lines[*]}, $robson with lines lw 2 dt 2 lc rgb 'black' title "Robson: 1 + log2(n)/2, n = $n"
GP
	)
	(cd "$plots" && gnuplot adversary.gp)
}

plot_adversary
for dir in "$out"/csv/*/; do
	[ -d "$dir" ] || continue
	trace=$(basename "$dir")
	plot_series "$trace"
	for map in "$out/maps/$trace"/*.map; do
		[ -e "$map" ] && plot_map "$trace" "$map"
	done
done
echo "lab_plot: $(ls "$plots"/*.png 2>/dev/null | wc -l) pictures in $plots"
