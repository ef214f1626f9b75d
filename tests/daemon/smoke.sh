#!/bin/bash
# Smoke test of the tierd daemon shell: start, control socket, permissions,
# junk requests, many clients, reload (good, broken, socket move), second
# instance, stop.  Runs tierd in the foreground with a config in a temp dir.
# usage: smoke.sh TIERD TIERCTL TESTDIR
set -u
TIERD=$1
TIERCTL=$2
HERE=$3

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (tierd loads BPF programs)"
	exit 77
fi
for tool in python3 setpriv; do
	command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

D=$(mktemp -d /tmp/tierd-smoke.XXXXXX)
chmod 755 "$D"		# uid 65534 must reach the socket
CONF=$D/tierd.conf
SOCK=$D/run/tierd.sock
TSOCK=$D/run/track.sock		# [control] track_socket: beside SOCK
LOG=$D/tierd.log
PID=
fails=0

cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ctl() { "$TIERCTL" --socket "$SOCK" "$@"; }

# wait_for CMD...: retry a condition, bounded (a hang is a failure, not a
# speed measurement).
wait_for() {
	local i
	for i in $(seq 1 200); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# The stats group: a group uid 65534 is not in.
GROUP=adm
GID=$(getent group $GROUP | cut -d: -f3)
[ -n "$GID" ] || { echo "SKIP: no group '$GROUP'"; exit 77; }

cat > "$CONF" <<EOC
# tierd smoke test
[promotion]
batch_pages = 128

[control]
socket = $SOCK
stats_group = $GROUP
EOC

# --- start -----------------------------------------------------------------
"$TIERD" -c "$CONF" >"$LOG" 2>&1 &
PID=$!
# The log line comes after bind, chmod, chown and listen; the socket file
# alone appears at bind.
if wait_for grep -q "listening on $SOCK" "$LOG"; then
	pass "tierd up, socket $SOCK"
else
	fail "socket never appeared"; cat "$LOG"; exit 1
fi
mode=$(stat -c '%a %G' "$SOCK")
[ "$mode" = "660 $GROUP" ] && pass "socket mode/group $mode" ||
	fail "socket mode/group '$mode', want '660 $GROUP'"

# --- read-only requests ----------------------------------------------------
if ctl stats --json > "$D/stats.json" && python3 -m json.tool "$D/stats.json" >/dev/null; then
	pass "stats --json is valid JSON ($(wc -c < "$D/stats.json") bytes)"
else
	fail "stats --json"; cat "$D/stats.json"
fi
for key in uptime_ms sources table policy migrator nodes pids; do
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert sys.argv[2] in d" \
		"$D/stats.json" $key || fail "stats JSON lacks '$key'"
done
ctl status --json | python3 -m json.tool >/dev/null && pass "status --json valid" ||
	fail "status --json"
ctl folios --json | python3 -m json.tool >/dev/null && pass "folios --json valid" ||
	fail "folios --json"
ctl metrics > "$D/metrics"
if grep -q '^# TYPE tierd_promoted_pages_total counter$' "$D/metrics" &&
   grep -q '^tierd_uptime_seconds [0-9.]*$' "$D/metrics" &&
   ! grep -Ev '^(# (HELP|TYPE) tierd_[a-z0-9_]+ .+|tierd_[a-z0-9_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.]+)$' "$D/metrics"; then
	pass "metrics: $(grep -vc '^#' "$D/metrics") samples, all lines well-formed"
else
	fail "metrics malformed"
fi
ctl stats | grep -q '^table  *size [0-9]*, cap' && pass "stats table" || fail "stats table"
# tierctl's commands and the daemon's help come from one verb table; track
# is made by a process itself (libtierd-track), never by tierctl.
ctl help | awk '$1 != "track" {print $1}' > "$D/verbs.daemon"
"$TIERCTL" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && !/:$/ {print $1}' > "$D/verbs.tierctl"
if [ -s "$D/verbs.daemon" ] && cmp -s "$D/verbs.daemon" "$D/verbs.tierctl"; then
	pass "tierctl --help and help list the same $(wc -l < "$D/verbs.daemon") requests"
else
	fail "tierctl --help and help differ: $(diff "$D/verbs.daemon" "$D/verbs.tierctl" | tr '\n' ' ')"
fi
ctl config > "$D/config.before"
grep -qx 'batch_pages = 128' "$D/config.before" && pass "config shows batch_pages = 128" ||
	fail "config lacks batch_pages = 128"

# --- command line errors -----------------------------------------------------
ctl bogus 2>/dev/null; [ $? -eq 2 ] && pass "tierctl unknown command: exit 2" ||
	fail "tierctl unknown command exit code"
ctl config --json 2>/dev/null; [ $? -eq 2 ] && pass "tierctl config --json: exit 2" ||
	fail "tierctl config --json exit code"
"$TIERCTL" --socket "$D/nope.sock" stats 2>"$D/err"; rc=$?
[ $rc -eq 3 ] && grep -q "tierd is not running? cannot connect to $D/nope.sock" "$D/err" &&
	pass "missing socket: exit 3: $(cat "$D/err")" || fail "missing socket: rc $rc $(cat "$D/err")"
"$TIERD" --frobnicate 2>"$D/err"; rc=$?
[ $rc -eq 2 ] && grep -q "unknown option '--frobnicate'" "$D/err" &&
	pass "tierd bad option: exit 2" || fail "tierd bad option: rc $rc"

# --- permissions -------------------------------------------------------------
member() { setpriv --reuid=65534 --regid=65534 --groups="$GID" "$TIERCTL" --socket "$SOCK" "$@"; }
other() { setpriv --reuid=65534 --regid=65534 --clear-groups "$TIERCTL" --socket "$SOCK" "$@"; }

member stats --json | python3 -m json.tool >/dev/null &&
	pass "group member (supplementary $GROUP): stats ok" || fail "group member stats"
member pause 2>"$D/err"; rc=$?
[ $rc -eq 1 ] && grep -q "permission denied" "$D/err" &&
	pass "group member: pause refused: $(cat "$D/err")" || fail "group member pause: rc $rc"
other stats 2>"$D/err"; rc=$?
[ $rc -eq 3 ] && grep -q "Permission denied" "$D/err" &&
	pass "non-member: cannot connect (mode 0660): exit 3" || fail "non-member connect: rc $rc $(cat "$D/err")"
# With the file permission out of the way the daemon itself refuses.
chmod 0666 "$SOCK"
other stats 2>"$D/err"; rc=$?
[ $rc -eq 1 ] && grep -q "error: permission denied" "$D/err" &&
	pass "non-member on a 0666 socket: $(cat "$D/err")" || fail "non-member: rc $rc $(cat "$D/err")"
chmod 0660 "$SOCK"
# The track socket: anybody connects, nothing but track is answered.
mode=$(stat -c '%a' "$TSOCK" 2>/dev/null)
[ "$mode" = 666 ] && pass "track socket $TSOCK mode 666" || fail "track socket mode '$mode'"
setpriv --reuid=65534 --regid=65534 --clear-groups "$TIERCTL" --socket "$TSOCK" stats 2>"$D/err"; rc=$?
[ $rc -eq 1 ] && grep -q "error: permission denied: the track socket answers only track" "$D/err" &&
	pass "non-member on the track socket: $(cat "$D/err")" || fail "track socket stats: rc $rc $(cat "$D/err")"
ctl track 0x1000 3 2>"$D/err"; rc=$?
[ $rc -eq 2 ] && grep -q "is sent by a process about itself" "$D/err" &&
	pass "tierctl track: usage error" || fail "tierctl track: rc $rc $(cat "$D/err")"

# --- junk, oversize, many clients, idle ------------------------------------------
python3 "$HERE/ctl_client.py" "$SOCK" junk && pass "junk requests answered" || fail "junk"
python3 "$HERE/ctl_client.py" "$SOCK" concurrent 50 && pass "50 concurrent clients" ||
	fail "concurrent clients"
python3 "$HERE/ctl_client.py" "$SOCK" busy 64 6 && pass "client limit" || fail "client limit"
python3 "$HERE/ctl_client.py" "$SOCK" idle && pass "idle timeout" || fail "idle timeout"
python3 "$HERE/ctl_client.py" "$SOCK" fds $PID &&
	pass "descriptors with requests that take none: refused, closed" ||
	fail "descriptors refused and closed"
ctl status >/dev/null && pass "still serving after abuse" || fail "not serving after abuse"

# --- pause / resume ------------------------------------------------------------
ctl pause >/dev/null && ctl status | grep -q 'PAUSED' &&
	python3 -c "import json,sys; assert json.load(sys.stdin)['paused'] is True" < <(ctl stats --json) &&
	pass "pause" || fail "pause"
ctl resume >/dev/null && ctl status | grep -q 'running' && pass "resume" || fail "resume"

# --- reload ------------------------------------------------------------------------
sed -i 's/^batch_pages = 128/batch_pages = 256/' "$CONF"
kill -HUP $PID
wait_for grep -q "reloaded $CONF" "$LOG" && ctl config | grep -qx 'batch_pages = 256' &&
	pass "SIGHUP applied batch_pages = 256" || fail "SIGHUP good reload"
ctl config > "$D/config.good"

# A broken config: old one stays, the log names file:line.
sed -i 's/^batch_pages = 256/batch_pages = banana/' "$CONF"
line=$(grep -n '^batch_pages' "$CONF" | cut -d: -f1)
kill -HUP $PID
if wait_for grep -q "reload failed: keeping the running configuration" "$LOG" &&
   grep -q "$CONF:$line: " "$LOG" && ctl config | cmp -s - "$D/config.good"; then
	pass "SIGHUP with broken config kept the old one; log: $(grep "$CONF:$line: " "$LOG" | head -1)"
else
	fail "broken reload"; tail -5 "$LOG"
fi
ctl reload 2>"$D/err"; rc=$?
[ $rc -eq 1 ] && grep -q "reload failed, running configuration kept: $CONF:$line:" "$D/err" &&
	pass "tierctl reload with broken config: $(cat "$D/err")" || fail "tierctl reload broken: rc $rc"
fails_now=$(python3 -c "import json,sys; print(json.load(sys.stdin)['reload_failures'])" < <(ctl stats --json))
[ "$fails_now" = 2 ] && pass "reload_failures = 2" || fail "reload_failures = $fails_now"
"$TIERD" --check-config "$CONF" 2>"$D/err"; rc=$?
[ $rc -eq 1 ] && grep -q "^$CONF:$line: " "$D/err" && pass "--check-config: $(head -1 "$D/err")" ||
	fail "--check-config broken: rc $rc"

# Moving the socket: new path serves, old one is gone.
SOCK2=$D/run2/ctl.sock
sed -i "s|^batch_pages = banana|batch_pages = 64|; s|^socket = .*|socket = $SOCK2|" "$CONF"
ctl reload >/dev/null && pass "tierctl reload (socket move)" || fail "tierctl reload good"
if wait_for test ! -e "$SOCK" && "$TIERCTL" --socket "$SOCK2" config | grep -qx 'batch_pages = 64'; then
	pass "socket moved to $SOCK2"
	SOCK=$SOCK2
else
	fail "socket move"; ls -la "$D" "$D/run" "$D/run2"
fi

# The file is valid but the pipeline refuses it: everything stays as it was.
cp "$CONF" "$D/conf.good"
ctl config > "$D/config.good"
printf '[nodes]\nfast = 7\n' >> "$CONF"
ctl reload 2>"$D/err"; rc=$?
if [ $rc -eq 1 ] && grep -q "reload failed, running configuration kept: .*node 7" "$D/err" &&
   ctl config | cmp -s - "$D/config.good"; then
	pass "reload refused by the pipeline kept the old config: $(cat "$D/err")"
else
	fail "pipeline-refused reload: rc $rc $(cat "$D/err")"
fi
cp "$D/conf.good" "$CONF"

# tierctl gives up on a daemon that never answers.
python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1]); s.listen(1); time.sleep(30)" "$D/mute.sock" &
MUTE=$!
wait_for test -S "$D/mute.sock"
"$TIERCTL" --socket "$D/mute.sock" --timeout 0.3 status 2>"$D/err"; rc=$?
kill $MUTE; wait $MUTE 2>/dev/null
[ $rc -eq 3 ] && grep -q "timed out after 0.3 s waiting for tierd's reply" "$D/err" &&
	pass "tierctl timeout: $(cat "$D/err")" || fail "tierctl timeout: rc $rc $(cat "$D/err")"

# --- a second instance on the same socket is refused -------------------------------------
"$TIERD" -c "$CONF" >"$D/log2" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "another tierd is already listening on $SOCK" "$D/log2" &&
	pass "second instance refused: $(grep another "$D/log2")" || fail "second instance: rc $rc"

# --- stop --------------------------------------------------------------------------------
kill -TERM $PID
wait $PID; rc=$?
PID=
[ $rc -eq 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $rc"
[ ! -e "$SOCK" ] && pass "socket removed" || fail "socket left behind"
[ ! -e "${SOCK%/*}/track.sock" ] && pass "track socket removed" ||
	fail "track socket left behind"

# --- a stale socket from a crash is replaced; sd_notify protocol ------------------
# A fake systemd notify socket records what tierd tells the service manager.
python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], 'a') as f:
    while True:
        f.write(s.recv(4096).decode().replace('\\n', ' ') + '\\n')
        f.flush()" "$D/notify.sock" "$D/notify.log" &
NOTIFY=$!
wait_for test -S "$D/notify.sock"
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1])" "$SOCK"
NOTIFY_SOCKET=$D/notify.sock WATCHDOG_USEC=200000 "$TIERD" -c "$CONF" >"$LOG" 2>&1 &
PID=$!
if wait_for grep -q "listening on $SOCK" "$LOG" && ctl status >/dev/null; then
	pass "stale socket replaced"
else
	fail "stale socket"; cat "$LOG"
fi
wait_for grep -q '^READY=1 STATUS=idle' "$D/notify.log" &&
	pass "notify: $(grep -m1 '^READY=1' "$D/notify.log")" || fail "notify: no READY=1"
wait_for grep -q '^WATCHDOG=1' "$D/notify.log" &&
	pass "notify: WATCHDOG=1 sent ($(grep -c '^WATCHDOG=1' "$D/notify.log") so far)" ||
	fail "notify: no WATCHDOG=1"
kill -HUP $PID
wait_for grep -q '^RELOADING=1 MONOTONIC_USEC=[0-9]' "$D/notify.log" &&
	wait_for test "$(grep -c '^READY=1' "$D/notify.log")" -ge 2 &&
	pass "notify: RELOADING=1 then READY=1 on SIGHUP" || fail "notify: reload"
kill -INT $PID; wait $PID; rc=$?
PID=
[ $rc -eq 0 ] && pass "SIGINT: exit 0" || fail "SIGINT: exit $rc"
wait_for grep -q '^STOPPING=1' "$D/notify.log" && pass "notify: STOPPING=1" || fail "notify: no STOPPING=1"
kill $NOTIFY; wait $NOTIFY 2>/dev/null

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed; tierd log:"
	cat "$LOG"
	exit 1
fi
echo "all smoke checks passed"
