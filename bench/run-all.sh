#!/usr/bin/env bash
# Run every tierd benchmark from one command and print their tables, each
# beside its baseline measured in the same run:
#   1. core ingest: records/s and bytes per folio at 10^4, 10^6, 10^7 folios
#   2. placement simulator: tierd's policy vs oracle, hindsight,
#      promote-on-first-write and no promotion
#   3. BPF fault-program cost: faults/s with and without the program,
#      program ns per call (root)
#   4. two-node guest: tierd vs kernel NUMA balancing over time, and
#      move_pages throughput (batched, THP, unbatched) vs memcpy, in the
#      guest and on the host (root, qemu)
# Usage: bench/run-all.sh [--no-guest]    (about 4 minutes on 2 cores)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${TIERD_BUILD_DIR:-$top/build}
guest=1
for a in "$@"; do
	case "$a" in
	--no-guest) guest=0 ;;
	*) echo "run-all: unknown argument '$a' (only --no-guest)" >&2; exit 2 ;;
	esac
done

bash "$top/scripts/install-deps.sh"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

section() { printf '\n==== %s (%s)\n' "$1" "$(date -u +%FT%TZ)"; }

section "1. core ingest"
"$build/bench/bench_ingest"
section "2. placement simulator"
"$build/bench/bench_placement"
section "3. BPF fault-program cost"
"$build/bench/bench_bpf_fault_cost" 2
if [ "$guest" = 1 ]; then
	section "4. two-node guest: tierd vs NUMA balancing; migration throughput"
	bash "$top/bench/guest_compare.sh" "$build" --migrate
fi
