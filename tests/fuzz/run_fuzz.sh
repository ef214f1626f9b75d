#!/bin/sh
# Run one libFuzzer target for a bounded time on a scratch copy of its seed
# corpus, so the repository is never written.  libFuzzer replays every seed
# (including past crash inputs) first, then mutates until the time is up.
# Crash inputs are kept in the build tree (fuzz-artifacts/) to reproduce
# with: <fuzzer binary> <artifact>.
# usage: run_fuzz.sh FUZZER CORPUS_DIR DICT [SECONDS]
set -eu

bin=$1 corpus=$2 dict=$3 secs=${4:-20}
name=$(basename "$bin")
art=$PWD/fuzz-artifacts/$name
work=$(mktemp -d "${TMPDIR:-/tmp}/tierd-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

mkdir -p "$work/corpus" "$art"
cp "$corpus"/* "$work/corpus/"
echo "$name: $(ls "$work/corpus" | wc -l) seeds, ${secs}s"

status=0
UBSAN_OPTIONS=print_stacktrace=1 "$bin" -max_total_time="$secs" \
	-rss_limit_mb=1024 -timeout=10 -dict="$dict" -print_final_stats=1 \
	-artifact_prefix="$art/" "$work/corpus" >"$work/log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
	grep -v '^#' "$work/log" | tail -n 80
	echo "$name: FAILED (exit $status), input kept in $art" >&2
	exit 1
fi
grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number|Done)' "$work/log"
