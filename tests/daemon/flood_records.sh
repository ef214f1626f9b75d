#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A record flood past what tierd drains, on the host (root): record_flood
# test-runs tierd's own soft-dirty program (raw_tp/page_fault_user) from
# nproc + 1 threads for SECONDS (default 60), a new address each run, with
# [hotness] threshold = 1, so each run is one record for the ring buffer.
# The figures are printed; the checks:
#   - every run is accounted for: records + rb_drops + map_full cover the
#     runs (plus the flooder's own few real faults), and drops did happen:
#     the flood outran the drain and the loss is visible in tierctl stats;
#   - memory stays bounded by the configured caps (peak RSS within
#     table_max_folios x 64 bytes + 16 MiB of the idle daemon's);
#   - the main loop kept time: WATCHDOG=1 never missed the watchdog
#     period, no tick ran later than it, and the ticks kept coming;
#   - no descriptor leaked; tierd still answers and stops cleanly.
#
#   flood_records.sh TIERD TIERCTL RECORD_FLOOD [SECONDS]
set -uo pipefail
tierd=$1 tierctl=$2 flooder=$3 secs=${4:-60}
. "$(dirname "$0")/flood-lib.sh"

TABLE_MAX=200000 KMAP=65536 REARM_MS=100
# The hotness table is the one structure that grows with records: at most
# 64 bytes per folio (bench/README.md measures 53-57).  The rest (ring
# buffer mapping, per-pass scratch, stats buffers, malloc slack) fits in
# 16 MiB.
rss_bound_kb() { echo $(($1 + TABLE_MAX * 64 / 1024 + 16384)); }

flood_setup flood-records
cat > "$conf" <<EOF
[sources]
private_node = off
soft_dirty = on
rearm_interval_ms = $REARM_MS
[hotness]
threshold = 1
table_max_folios = $TABLE_MAX
kernel_map_folios = $KMAP
[scope]
include_comms = record_flood
[control]
socket = $sock
EOF
flood_start_tierd
sleep 1
fds0=$(tierd_fds)
rss0=$(status_kb VmRSS)
threads=$(( $(nproc) + 1 ))
echo "tierd $TIERD_PID idle: RSS $rss0 kB, $fds0 descriptors; flooding from $threads threads for $secs s"

"$flooder" --pid "$TIERD_PID" --seconds "$secs" --threads "$threads" --wait-go > "$D/flood.out" &
fpid=$!
helper_pids+=("$fpid")
for i in $(seq 100); do grep -q '^ready' "$D/flood.out" && break; sleep 0.05; done
grep -q "^ready $fpid" "$D/flood.out" || { fail "record_flood did not start"; exit 1; }
wait_tracked "$fpid" || { fail "tierd never tracked record_flood (pid $fpid)"; cat "$tlog"; exit 1; }
before=$(ctl stats --json)
t0=$(mono)
kill -USR1 "$fpid"

printf '%5s %8s %8s %4s %10s %10s %8s %8s %9s\n' t_s rss_kb hwm_kb fds records rb_drops table lag_ms ticks
table_max=0
for ((t = 5; t <= secs; t += 5)); do
	sleep 5
	s=$(ctl stats --json) || { fail "no stats at ${t}s"; continue; }
	[ "$(jq .table.size <<<"$s")" -gt "$table_max" ] && table_max=$(jq .table.size <<<"$s")
	printf '%5s %8s %8s %4s %10s %10s %8s %8s %9s\n' "$t" "$(status_kb VmRSS)" "$(status_kb VmHWM)" \
		"$(ls /proc/$TIERD_PID/fd | wc -l)" \
		"$(jq .sources.soft_dirty.records <<<"$s")" "$(jq .sources.soft_dirty.rb_drops <<<"$s")" \
		"$(jq .table.size <<<"$s")" "$(( $(jq .loop.tick_lag_max_us <<<"$s") / 1000 ))" \
		"$(jq .policy.intervals <<<"$s")"
done
wait "$fpid"; frc=$?
t1=$(mono)
line=$(grep '^FLOOD' "$D/flood.out")
echo "$line"
after=$(ctl stats --json) || { fail "tierd does not answer after the flood"; cat "$tlog"; exit 1; }

kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
runs=$(kv runs)
[ "$frc" = 0 ] && [ "$(kv errors)" = 0 ] && pass "flood: $runs runs in $(kv seconds) s, $(kv rate) records/s offered" ||
	fail "record_flood: exit $frc, $line"

d() { echo $(( $(jq "$1" <<<"$after") - $(jq "$1" <<<"$before") )); }
rec=$(d .sources.soft_dirty.records) drops=$(d .sources.soft_dirty.rb_drops)
full=$(d .sources.soft_dirty.map_full) tracked=$(d .sources.soft_dirty.faults_tracked)
el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "ring buffer: $rec records delivered ($(awk -v n="$rec" -v s="$el" 'BEGIN { printf "%.0f", n / s }')/s drained), $drops dropped, map_full $full, faults_tracked $tracked"
sum=$((rec + drops + full))
if [ "$sum" -ge "$runs" ] && [ "$sum" -le $((runs + 100000)) ]; then
	pass "every run accounted for: records + rb_drops + map_full = $sum for $runs runs"
else
	fail "records + rb_drops + map_full = $sum, runs $runs"
fi
[ "$drops" -gt 0 ] && pass "the flood outran the drain: $drops records dropped, counted in rb_drops" ||
	fail "no ring buffer drops: the flood did not outrun the drain ($rec records drained)"
[ "$(ctl stats | grep -c 'RB_DROPS')" -ge 1 ] && pass "tierctl stats shows the RB_DROPS column" ||
	fail "tierctl stats has no RB_DROPS column"

hwm=$(status_kb VmHWM)
bound=$(rss_bound_kb "$rss0")
echo "memory: RSS $rss0 kB idle, peak $hwm kB, now $(status_kb VmRSS) kB; table at most $table_max/$(jq .table.cap <<<"$after") folios, $(jq .table.bytes <<<"$after") bytes, $(jq .table.evictions <<<"$after") evictions; kernel_map_folios $KMAP"
[ "$hwm" -le "$bound" ] && pass "peak RSS $hwm kB <= $bound kB (idle + table_max_folios x 64 B + 16 MiB)" ||
	fail "peak RSS $hwm kB > $bound kB"
[ "$table_max" -eq "$TABLE_MAX" ] && [ "$(jq .table.evictions <<<"$after")" -gt 0 ] &&
	pass "hotness table filled to its cap ($TABLE_MAX) and held there, coldest evicted" ||
	fail "table reached $table_max of $TABLE_MAX, $(jq .table.evictions <<<"$after") evictions"

check_loop "$t0" "$t1" "$after"
ticks=$(d .policy.intervals)
want=$(awk -v s="$el" -v r="$REARM_MS" 'BEGIN { printf "%d", s * 1000 / r / 2 }')
[ "$ticks" -ge "$want" ] && pass "$ticks ticks in $el s (interval $REARM_MS ms; at least half of them required)" ||
	fail "only $ticks ticks in $el s (want >= $want)"

sleep 1
fds1=$(tierd_fds)
[ "$fds1" -le "$fds0" ] && pass "descriptors: $fds0 before, $fds1 after" ||
	fail "descriptors: $fds0 before, $fds1 after"
stop_tierd
[ $fails -eq 0 ] || { echo "$fails check(s) failed; tierd log:"; tail -n 30 "$tlog"; exit 1; }
echo "all record flood checks passed"
