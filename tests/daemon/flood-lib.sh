# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by flood_records.sh and flood_control.sh: a tierd on the host with
# a fake systemd notify socket (WATCHDOG_USEC set, so sd-event pings it),
# and the figures both floods print and bound.  Source it; set $tierd and
# $tierctl first.  Functions only, and the variables they document.

flood_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# systemd kills a service that lets this pass without WATCHDOG=1; the
# floods bound the loop's stalls by it
WATCHDOG_US=2000000

fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

mono() {
	python3 -c 'import time; print("%.6f" % time.monotonic())'
}

# flood_setup NAME: $D (temp dir, removed at exit), $sock, $conf, $tlog
flood_setup() {
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (tierd loads BPF programs)"; exit 77; }
	for tool in python3 jq; do
		command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
	done
	D=$(mktemp -d "/tmp/tierd-$1.XXXXXX")
	sock=$D/tierd.sock conf=$D/tierd.conf tlog=$D/tierd.log
	TIERD_PID= NOTIFY_PID= helper_pids=()
	trap flood_cleanup EXIT
}

flood_cleanup() {
	local p
	for p in "${helper_pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "$TIERD_PID" ] && kill -9 "$TIERD_PID" 2>/dev/null
	[ -n "$NOTIFY_PID" ] && kill "$NOTIFY_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$D"
}

ctl() { "$tierctl" --socket "$sock" "$@"; }

# Start tierd with $conf under the fake notify socket; sets $TIERD_PID.
flood_start_tierd() {
	local i
	python3 "$flood_here/notify_log.py" "$D/notify.sock" "$D/notify.log" &
	NOTIFY_PID=$!
	for i in $(seq 100); do [ -S "$D/notify.sock" ] && break; sleep 0.05; done
	NOTIFY_SOCKET=$D/notify.sock WATCHDOG_USEC=$WATCHDOG_US \
		"$tierd" -c "$conf" 2> "$tlog" &
	TIERD_PID=$!
	for i in $(seq 200); do
		grep -q "listening on $sock" "$tlog" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "FAIL: tierd did not start"; cat "$tlog"; exit 1
}

# tierd's open descriptors, the least of a few looks (a tick may hold
# one for a moment while it reads /proc)
tierd_fds() {
	local i n min=
	for i in 1 2 3 4 5; do
		n=$(ls "/proc/$TIERD_PID/fd" | wc -l)
		{ [ -z "$min" ] || [ "$n" -lt "$min" ]; } && min=$n
		sleep 0.05
	done
	echo "$min"
}

status_kb() {	# status_kb FIELD: VmRSS, VmHWM ... of tierd in kB
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$TIERD_PID/status"
}

# wait_tracked PID: until tierd's stats list PID (its scope rescan)
wait_tracked() {
	local i
	for i in $(seq 100); do
		ctl stats --json | jq -e --argjson p "$1" '.pids[] | select(.pid == $p)' >/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# check_loop FROM TO STATS_JSON: the watchdog kept coming and no tick was
# later than the watchdog period between monotonic times FROM and TO
check_loop() {
	local wd lag late1 late100 gap n
	wd=$(python3 "$flood_here/notify_log.py" --gaps "$D/notify.log" "$1" "$2")
	gap=${wd#*max_gap_s=} n=${wd%% *} n=${n#count=}
	echo "watchdog: $n WATCHDOG=1 in $(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }') s, largest gap ${gap} s (WATCHDOG_USEC $((WATCHDOG_US / 1000)) ms)"
	if awk -v g="$gap" -v w="$WATCHDOG_US" 'BEGIN { exit !(g * 1e6 < w) }' && [ "$n" -gt 0 ]; then
		pass "watchdog fed throughout: largest gap ${gap} s < $((WATCHDOG_US / 1000000)) s"
	else
		fail "watchdog: largest gap ${gap} s (count $n), systemd would have killed tierd"
	fi
	lag=$(jq .loop.tick_lag_max_us <<<"$3")
	late100=$(jq .loop.ticks_late_100ms <<<"$3")
	late1=$(jq .loop.ticks_late_1s <<<"$3")
	echo "ticks: worst lag $((lag / 1000)) ms, $late100 ticks > 100 ms late, $late1 > 1 s late, worst tick $(( $(jq .loop.tick_run_max_us <<<"$3") / 1000 )) ms, worst drain $(( $(jq .loop.drain_max_us <<<"$3") / 1000 )) ms, drains cut at the budget: $(jq .loop.drains_cut <<<"$3")"
	if [ "$lag" -lt "$WATCHDOG_US" ]; then
		pass "no tick later than the watchdog period (worst $((lag / 1000)) ms)"
	else
		fail "a tick ran $((lag / 1000)) ms late, past the watchdog period"
	fi
}

# stop_tierd: SIGTERM, exit 0, socket gone
stop_tierd() {
	local rc=0
	kill -TERM "$TIERD_PID"
	wait "$TIERD_PID" || rc=$?
	TIERD_PID=
	if [ $rc -eq 0 ] && [ ! -e "$sock" ]; then
		pass "SIGTERM: exit 0, socket removed"
	else
		fail "SIGTERM: exit $rc, socket $( [ -e "$sock" ] && echo left || echo gone)"
	fi
}
