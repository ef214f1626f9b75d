#!/usr/bin/env bash
# The whole pipeline on the host kernel: tierd, pointed at a test process by
# comm, must report exactly that process's hot folios.  The host has one
# NUMA node and no soft-dirty, so [sources] soft_dirty = on collects first-
# touch write faults (fault_writer re-faults its hot pages with
# MADV_DONTNEED) and nothing is promoted; the test checks collection,
# in-kernel aggregation, scoring and the stats that report them.
#
#   pipeline_host.sh TIERD TIERCTL FAULT_WRITER
set -euo pipefail
tierd=$1 tierctl=$2 writer=$3
PAGES=64 HOT=8 ROUNDS=3

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to load BPF programs"
	exit 77
fi
if [ ! -e /sys/kernel/debug/tracing/events/exceptions/page_fault_user ] &&
   [ ! -e /sys/kernel/tracing/events/exceptions/page_fault_user ] &&
   ! grep -q page_fault_user /sys/kernel/btf/vmlinux 2>/dev/null; then
	echo "SKIP: kernel has no exceptions:page_fault_user tracepoint"
	exit 77
fi

tmp=$(mktemp -d)
tierd_pid= writer_pid=
cleanup() {
	[ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null || true
	[ -n "$tierd_pid" ] && kill -9 "$tierd_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	echo "--- tierd log"; cat "$tmp/tierd.log"
	exit 1
}

sock=$tmp/tierd.sock
cat > "$tmp/tierd.conf" <<CONF
[sources]
private_node = off
soft_dirty = on
rearm_interval_ms = 100
[hotness]
window_ms = 60000
threshold = $ROUNDS
promote_score = $ROUNDS
[scope]
include_comms = fault_writer
[control]
socket = $sock
CONF

"$tierd" -c "$tmp/tierd.conf" -v 2> "$tmp/tierd.log" &
tierd_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || fail "tierd did not create $sock"

ctl() { "$tierctl" --socket "$sock" "$@"; }

coproc WRITER { exec "$writer" $PAGES $HOT $ROUNDS; }
writer_pid=$WRITER_PID
read -r word pid <&"${WRITER[0]}"
[ "$word" = ready ] && [ "$pid" = "$writer_pid" ] || fail "fault_writer did not start"

# wait until tierd tracks the writer, only then let it write
for _ in $(seq 100); do
	ctl stats --json | jq -e --argjson p "$pid" '.pids[] | select(.pid == $p)' >/dev/null && break
	sleep 0.1
done
ctl stats --json | jq -e --argjson p "$pid" '.pids[] | select(.pid == $p)' >/dev/null ||
	fail "tierd never tracked fault_writer (pid $pid)"
kill -USR1 "$pid"

hot_addrs=()
while read -r word addr <&"${WRITER[0]}"; do
	[ "$word" = done ] && break
	[ "$word" = hot ] && hot_addrs+=("$addr")
done
[ ${#hot_addrs[@]} -eq $HOT ] || fail "fault_writer reported ${#hot_addrs[@]} hot pages, expected $HOT"

# records arrive over the ring buffer; give the loop a moment
for _ in $(seq 50); do
	n=$(ctl stats --json | jq --argjson p "$pid" '.pids[] | select(.pid == $p) | .records')
	[ "$n" -ge $HOT ] 2>/dev/null && break
	sleep 0.1
done
sleep 0.5	# anything extra would show up now
stats=$(ctl stats --json)
echo "$stats" | jq --argjson p "$pid" '.pids[] | select(.pid == $p)'

got() { echo "$stats" | jq --argjson p "$pid" ".pids[] | select(.pid == \$p) | .$1"; }
[ "$(got records)" -eq $HOT ] || fail "records: got $(got records), expected $HOT (one per hot folio)"
[ "$(got faults)" -eq $((HOT * ROUNDS)) ] || fail "faults: got $(got faults), expected $((HOT * ROUNDS))"
[ "$(got folios_tracked)" -eq $HOT ] || fail "folios_tracked: got $(got folios_tracked), expected $HOT"
[ "$(got folios_hot)" -eq $HOT ] || fail "folios_hot: got $(got folios_hot), expected $HOT"

sd=$(echo "$stats" | jq '.sources.soft_dirty')
[ "$(echo "$sd" | jq .active)" = true ] || fail "soft_dirty source not active: $sd"
# every hot write and every cold first touch is a tracked write fault
min_faults=$((HOT * ROUNDS + PAGES - HOT))
[ "$(echo "$sd" | jq .faults_tracked)" -ge $min_faults ] ||
	fail "faults_tracked $(echo "$sd" | jq .faults_tracked) < $min_faults"
[ "$(echo "$sd" | jq .records)" -ge $HOT ] || fail "source records < $HOT"

# the hottest folios of the writer are exactly its hot pages
want=$(printf '%s\n' "${hot_addrs[@]}" | sort)
have=$(ctl folios "$pid" --json | jq -r '.folios[] | .addr' | sort)
[ "$want" = "$have" ] || fail "folios of $pid differ from its hot pages:
want:
$want
have:
$have"

# no tiering node on this host: nothing may have been moved
[ "$(echo "$stats" | jq .migrator.promoted_pages)" -eq 0 ] || fail "promoted pages on a one-node host"

kill -TERM "$tierd_pid"
rc=0; wait "$tierd_pid" || rc=$?
tierd_pid=
[ $rc -eq 0 ] || fail "tierd exited $rc on SIGTERM"
[ ! -e "$sock" ] || fail "socket $sock left behind"
echo "PASS: $HOT hot folios of fault_writer reported with $((HOT * ROUNDS)) faults; cold pages absent"
