#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Instructions per record and per tick of the core, counted by callgrind:
# a figure that stays put on a loaded 2-core machine where wall time
# moves by 40 %.  bench_ingest dumps one callgrind profile per phase and
# collects only the measured code (hotness_record loops, the tick's
# candidates + ageing), so the bench's own record generation is not in it.
#
#   bench/instructions.sh BENCH_INGEST [bench_ingest args]
#       default args: --max-folios 1000000 --updates 1000000 --tick-records 100000
#
# Prints, per table size and phase: operations, instructions, per operation.
# Needs valgrind (scripts/install-deps.sh installs it).
set -euo pipefail
bin=${1:?usage: bench/instructions.sh BENCH_INGEST [args]}
shift
[ -x "$bin" ] || { echo "instructions: $bin: not an executable" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "instructions: valgrind not installed" >&2; exit 2; }
[ $# -gt 0 ] || set -- --max-folios 1000000 --updates 1000000 --tick-records 100000
dir=$(mktemp -d /tmp/tierd-callgrind.XXXXXX)
trap 'rm -rf "$dir"' EXIT

valgrind --tool=callgrind --collect-atstart=no --dump-instr=no \
	--callgrind-out-file="$dir/cg.out" "$bin" "$@" >"$dir/stdout" 2>"$dir/stderr" || {
	echo "instructions: valgrind $bin failed:" >&2; tail -5 "$dir/stderr" >&2; exit 1; }

# Dumps are cg.out.1, cg.out.2 ... in the order of the bench's
# "callgrind-phase NAME OPS" lines; the size is the last insert's count.
printf '%10s %-13s %12s %15s %12s\n' folios phase ops instructions per_op
n=0 folios=?
while read -r tag name ops; do
	[ "$tag" = callgrind-phase ] || continue
	n=$((n + 1))
	f=$dir/cg.out.$n
	[ -r "$f" ] || { echo "instructions: no dump $f for phase $name" >&2; exit 1; }
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$f")
	[ "$name" = insert ] && folios=$ops
	awk -v s="$folios" -v p="$name" -v o="$ops" -v i="${ir:-0}" \
		'BEGIN { printf "%10s %-13s %12d %15d %12.1f\n", s, p, o, i, i / o }'
done <"$dir/stdout"
[ "$n" -gt 0 ] || { echo "instructions: $bin printed no callgrind phases (built without valgrind/callgrind.h?)" >&2; exit 1; }
