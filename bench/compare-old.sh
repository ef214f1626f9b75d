#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Old core against new in one run: builds bench_ingest from this tree's
# bench/ingest.c against the core of an older commit (the benchmark calls
# only hotness API that both have), then runs old and new alternately, so
# both see the same machine load, and counts their instructions with
# callgrind (bench/instructions.sh).
#
#   bench/compare-old.sh BUILD_DIR [OLD_REV] [--runs N] [--no-callgrind]
#       OLD_REV defaults to 6327f7e, main before issue 13's core work.
#
# Prints each run's table labelled old or new, then the instruction
# counts of both at 10^6 folios.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: bench/compare-old.sh BUILD_DIR [OLD_REV] [--runs N] [--no-callgrind]}
shift
old_rev=6327f7e runs=3 callgrind=1
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--no-callgrind) callgrind=0 ;;
	-*) echo "compare-old: unknown option '$1'" >&2; exit 2 ;;
	*) old_rev=$1 ;;
	esac
	shift
done
new_bin=$build/bench/bench_ingest
[ -x "$new_bin" ] || { echo "compare-old: $new_bin missing: build $build first" >&2; exit 2; }
git -C "$top" rev-parse --verify -q "$old_rev^{commit}" >/dev/null ||
	{ echo "compare-old: '$old_rev' is not a commit of $top" >&2; exit 2; }

old=$(mktemp -d /tmp/tierd-old.XXXXXX)
cleanup() { git -C "$top" worktree remove --force "$old" 2>/dev/null || rm -rf "$old"; }
trap cleanup EXIT
git -C "$top" worktree add -q --detach "$old" "$old_rev"
# the new benchmark, against the old core
cp "$top/bench/ingest.c" "$top/bench/rng.h" "$old/bench/"
cmake -S "$old" -B "$old/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$old/build" --target bench_ingest -j"$(nproc)" >/dev/null
old_bin=$old/build/bench/bench_ingest

echo "old: core of $(git -C "$top" log -1 --format='%h %s' "$old_rev")"
echo "new: core of $(git -C "$top" log -1 --format='%h %s' HEAD)$(git -C "$top" diff --quiet HEAD -- daemon/core || echo ' + uncommitted changes')"
echo "date: $(date -u +%FT%TZ), $(nproc) CPUs"
for i in $(seq 1 "$runs"); do
	for which in old new; do
		bin=$old_bin
		[ "$which" = new ] && bin=$new_bin
		echo "---- run $i: $which"
		"$bin" --updates 1000000 | tail -n +3
	done
done
if [ "$callgrind" = 1 ]; then
	for which in old new; do
		bin=$old_bin
		[ "$which" = new ] && bin=$new_bin
		echo "---- instructions (callgrind): $which"
		bash "$top/bench/instructions.sh" "$bin" --max-folios 1000000 \
			--updates 1000000 --tick-records 100000
	done
fi
