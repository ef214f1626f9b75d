#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# One PNG line chart from a table of samples over time: one line per
# column, time on the x axis.  bench/guest_compare.sh draws its figures
# with it; a demo can feed it its own table.
#
#   bench/plot.sh [options] TABLE PNG
#
# TABLE is plain text, whitespace-separated, one sample per line:
#
#   t_ms   tierd   nb2    damon
#   0      0.0     0.0    0.0
#   1000   12.5    -      40.1
#   2000   37.5    100.0  -
#
# The first line names the columns: the first is the time in milliseconds,
# every other one is a series (the name is its legend entry; no spaces).
# A value of "-" is a missing sample (series sampled at different times
# share one table that way).  Other lines starting with '#' are ignored,
# except that a first line "# t_ms NAME ..." may stand for the header
# (scripts/demo.sh writes its .dat file so); its words past the number of
# columns are a comment.
#
# Options:
#   --title TEXT    chart title (default: none)
#   --ylabel TEXT   y axis label (default: "% of hot set on DRAM")
#   --ymax N        top of the y axis (default 100; "auto" to fit the data)
#   --size WxH      image size in pixels (default 900x500)
#
# Needs gnuplot (Debian: gnuplot-nox, installed by scripts/install-deps.sh).
set -euo pipefail

title= ylabel="% of hot set on DRAM" ymax=100 size=900,500
usage() {
	sed -n '4,26p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--title) title=$2; shift 2 ;;
	--ylabel) ylabel=$2; shift 2 ;;
	--ymax) ymax=$2; shift 2 ;;
	--size) size=${2/x/,}; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "plot: unknown option '$1'" >&2; usage ;;
	*) break ;;
	esac
done
[ $# = 2 ] || usage
table=$1 png=$2
command -v gnuplot >/dev/null ||
	{ echo "plot: gnuplot not installed (apt-get install gnuplot-nox)" >&2; exit 1; }
[ -r "$table" ] || { echo "plot: cannot read '$table'" >&2; exit 1; }
tmp=$(mktemp "${TMPDIR:-/tmp}/plot.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# the table with its header as the first line
awk 'NR == 1 && /^#[ \t]*t_ms[ \t]/ { sub(/^#[ \t]*/, ""); hdr = $0; next }
	/^#/ || !NF { next }
	hdr != "" { n = split(hdr, h, " "); line = h[1]
		    for (i = 2; i <= NF && i <= n; i++) line = line " " h[i]
		    print line; hdr = "" }
	{ print }' "$table" > "$tmp"
ncol=$(awk '{ print NF; exit }' "$tmp")
[ "${ncol:-0}" -ge 2 ] && [ "$(awk '{ print $1; exit }' "$tmp")" = t_ms ] ||
	{ echo "plot: '$table' has no header line (t_ms and at least one series name)" >&2; exit 1; }
case "$ymax" in
auto) yrange="set yrange [0:*]" ;;
''|*[!0-9.]*) echo "plot: --ymax: '$ymax' is not a number or auto" >&2; exit 2 ;;
*) yrange="set yrange [0:$ymax * 1.04]" ;;
esac

# gnuplot strings are in single quotes: double any quote in the user's text
q() { printf "'%s'" "${1//\'/\'\'}"; }

gnuplot <<EOF
set terminal pngcairo size $size font "sans,11" linewidth 1.5
set output $(q "$png")
set datafile missing "-"
set datafile commentschars "#"
set title $(q "$title")
set xlabel "time (s)"
set ylabel $(q "$ylabel")
$yrange
set xrange [0:*]
set grid
set key outside right top vertical
plot for [i=2:$ncol] $(q "$tmp") using (\$1 / 1000.0):i with linespoints \
	pointtype 7 pointsize 0.6 title columnheader(i)
EOF
