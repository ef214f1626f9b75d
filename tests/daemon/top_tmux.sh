#!/usr/bin/env bash
# tierctl top in a real terminal: tmux runs it beside a real tierd on the
# host, tracking fault_writer; the test reads the screen (capture-pane),
# types (send-keys) and checks that the view draws and refreshes, copes
# with a terminal too small and resized back, quits on q, Ctrl-C and
# SIGTERM with the terminal restored (termios, alternate screen, cursor),
# reports losing tierd, refuses no tty and TERM unset, and that --once and
# --json work without a terminal.
#
#   top_tmux.sh TIERD TIERCTL FAULT_WRITER
set -uo pipefail
tierd=$1 tierctl=$2 writer=$3

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to load BPF programs"
	exit 77
fi
for tool in tmux jq; do
	command -v $tool >/dev/null ||
		{ echo "SKIP: $tool not installed (scripts/install-deps.sh)"; exit 77; }
done

D=$(mktemp -d /tmp/tierd-top.XXXXXX)
sock=$D/tierd.sock
L=tierd-top-$$			# a tmux server of our own
tierd_pid= writer_pid=
fails=0

cleanup() {
	tmux -L "$L" kill-server 2>/dev/null
	[ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null
	[ -n "$tierd_pid" ] && kill "$tierd_pid" 2>/dev/null && wait "$tierd_pid" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
die() { echo "FAIL: $*"; [ -f "$D/tierd.log" ] && tail -20 "$D/tierd.log"; exit 1; }
ctl() { "$tierctl" --socket "$sock" "$@"; }
tm() { tmux -L "$L" "$@"; }

# wait_for SECONDS CMD...: retry a condition every 0.1 s, bounded.
wait_for() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

cat > "$D/tierd.conf" <<CONF
[sources]
private_node = off
soft_dirty = on
rearm_interval_ms = 100
[scope]
include_comms = fault_writer
[control]
socket = $sock
CONF
"$tierd" -c "$D/tierd.conf" -v 2> "$D/tierd.log" &
tierd_pid=$!
wait_for 10 test -S "$sock" || die "tierd did not create $sock"

# fault_writer: tracked first, then it faults its hot pages
coproc WRITER { exec "$writer" 256 32 3; }
writer_pid=$WRITER_PID
read -r word pid <&"${WRITER[0]}"
[ "$word" = ready ] || die "fault_writer did not start"
tracked() { ctl stats --json | jq -e --argjson p "$pid" '.pids[] | select(.pid == $p)' >/dev/null; }
wait_for 10 tracked || die "tierd never tracked fault_writer (pid $pid)"
kill -USR1 "$pid"

# ---- without a terminal ------------------------------------------------------
"$tierctl" --socket "$sock" top --once -i 0.3 </dev/null >"$D/once" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q '^tierd top - up ' "$D/once" &&
   grep -Eq "^$pid +fault_writer " "$D/once" && grep -Eq '^soft_dirty +yes ' "$D/once"; then
	pass "--once without a tty: $(grep -E "^$pid " "$D/once")"
else
	fail "--once: rc $rc"; cat "$D/once"
fi
"$tierctl" --socket "$sock" top --json -i 0.3 </dev/null >"$D/json" 2>&1; rc=$?
if [ $rc = 0 ] && jq -e --argjson p "$pid" '.interval_ms >= 300 and
     (.pids[] | select(.pid == $p) | .comm == "fault_writer" and has("records_per_s")) and
     (.sources[] | select(.name == "soft_dirty") | .active) and (.nodes | length > 0)' \
     "$D/json" >/dev/null; then
	pass "--json: one snapshot with rates ($(jq -c --argjson p "$pid" '.pids[] | select(.pid == $p) | {records, records_per_s, folios_hot}' "$D/json"))"
else
	fail "--json: rc $rc"; cat "$D/json"
fi
"$tierctl" --socket "$sock" top </dev/null >"$D/out" 2>"$D/err"; rc=$?
[ $rc = 2 ] && grep -q 'standard input is not a terminal; for scripts use .tierctl top --once' "$D/err" &&
	pass "no tty: exit 2: $(cat "$D/err")" || fail "no tty: rc $rc: $(cat "$D/err")"
"$tierctl" --socket "$sock" bogus --once 2>"$D/err"; rc=$?
"$tierctl" --socket "$sock" stats --once 2>"$D/err"; rc2=$?
[ $rc = 2 ] && [ $rc2 = 2 ] && grep -q -- "--once only goes with 'top'" "$D/err" &&
	pass "--once with another command: exit 2" || fail "--once elsewhere: rc $rc/$rc2 $(cat "$D/err")"
"$tierctl" --socket "$sock" top --once --json 2>"$D/err"; rc=$?
[ $rc = 2 ] && pass "--once --json: exit 2: $(head -1 "$D/err")" || fail "--once --json: rc $rc"

# ---- in tmux -------------------------------------------------------------------
# run-top NAME ARGS...: tierctl top in a new tmux window NAME, recording
# its pid, exit status and the terminal settings before and after; the
# window stays open afterwards so its screen can be read.
cat > "$D/run-top.sh" <<EOF
#!/bin/sh
# Ctrl-C reaches this shell too: a handler (reset for tierctl at exec,
# unlike an ignore) keeps it alive to record tierctl's exit status
trap : INT
out=\$1; shift
stty -a > "\$out.before"
sh -c 'echo \$\$ > "\$0.pid"; exec "\$@"' "\$out" "$tierctl" --socket "$sock" top "\$@"
echo \$? > "\$out.rc"
stty -a > "\$out.after"
exec sleep 600
EOF
tm -f /dev/null new-session -d -s top -x 100 -y 30 -n idle "sleep 600" ||
	die "tmux cannot start a session"
run_top() {
	local name=$1
	shift
	tm new-window -d -t top -n "$name" "sh $D/run-top.sh $D/$name $*"
	wait_for 10 test -s "$D/$name.pid" || die "tierctl top never started in tmux ($name)"
}
screen() { tm capture-pane -p -t "top:$1"; }
screen_has() { screen "$1" | grep -Eq "$2"; }
flags() { tm display -p -t "top:$1" '#{alternate_on} #{cursor_flag}'; }
exited() { test -s "$D/$1.rc"; }
# restored NAME: termios as before, normal screen, cursor shown
restored() {
	wait_for 5 test -s "$D/$1.after" &&
		cmp -s "$D/$1.before" "$D/$1.after" && [ "$(flags "$1")" = "0 1" ]
}

run_top live -i 0.5
if wait_for 10 screen_has live "^$pid +fault_writer "; then
	pass "view drawn: $(screen live | grep -E "^$pid ")"
else
	fail "view never showed fault_writer"; screen live
fi
screen live | grep -q '^NODE TIER ' && screen live | grep -q '^SOURCE ' &&
	screen live | grep -Eq '^PID +COMM +SLOW +FAST +HOT +PROM/s' &&
	pass "tables: nodes, sources, processes" || fail "tables missing"
[ "$(flags live)" = "1 0" ] && pass "alternate screen on, cursor hidden" ||
	fail "while running: alternate_on/cursor_flag = $(flags live)"
t1=$(screen live | head -1)
sleep 1.5
t2=$(screen live | head -1)
# the first frame has no rates ('-'); the next ones do
if [ "$t1" != "$t2" ] && screen live | grep -Eq "^$pid +fault_writer +[^ ]+ +[^ ]+ +[^ ]+ +[0-9]+\.[0-9] "; then
	pass "refreshes: '$t1' -> '$t2', rates shown"
else
	fail "no refresh: '$t1' / '$t2'"; screen live
fi

tm resize-window -t top:live -x 40 -y 8
if wait_for 5 screen_has live '^terminal too small: 40x8;'; then
	pass "too small: $(screen live | tr -s '\n' ' ')"
else
	fail "40x8 not reported"; screen live
fi
tm resize-window -t top:live -x 100 -y 30
wait_for 5 screen_has live "^$pid +fault_writer " &&
	pass "resized back: view redrawn" || { fail "no redraw after resize"; screen live; }

tm send-keys -t top:live q
if wait_for 5 exited live && [ "$(cat "$D/live.rc")" = 0 ] && restored live; then
	pass "q: exit 0, terminal restored (stty -a unchanged, normal screen, cursor on)"
else
	fail "q: rc $(cat "$D/live.rc" 2>/dev/null), flags $(flags live)"
	diff "$D/live.before" "$D/live.after"
fi

run_top ctrlc
wait_for 10 screen_has ctrlc "^$pid +fault_writer " || fail "ctrlc: no view"
tm send-keys -t top:ctrlc C-c
wait_for 5 exited ctrlc && [ "$(cat "$D/ctrlc.rc")" = 0 ] && restored ctrlc &&
	pass "Ctrl-C: exit 0, terminal restored" ||
	fail "Ctrl-C: rc $(cat "$D/ctrlc.rc" 2>/dev/null), flags $(flags ctrlc)"

run_top term
wait_for 10 screen_has term "^$pid +fault_writer " || fail "term: no view"
kill -TERM "$(cat "$D/term.pid")"
wait_for 5 exited term && [ "$(cat "$D/term.rc")" = 143 ] && restored term &&
	pass "SIGTERM: exit 143, terminal restored" ||
	fail "SIGTERM: rc $(cat "$D/term.rc" 2>/dev/null), flags $(flags term)"

# TERM unset inside the terminal: refused, with the way out
tm new-window -d -t top -n noterm "sh -c 'env -u TERM $tierctl --socket $sock top; echo rc=\$?; exec sleep 600'"
if wait_for 5 screen_has noterm '^rc=2$' &&
   screen noterm | tr '\n' ' ' | grep -q 'TERM is not set: the live view needs'; then
	pass "TERM unset: exit 2: $(screen noterm | head -2 | tr '\n' ' ')"
else
	fail "TERM unset"; screen noterm
fi

# tierd goes away under a running view
run_top lost
wait_for 10 screen_has lost "^$pid +fault_writer " || fail "lost: no view"
kill -TERM "$tierd_pid"; wait "$tierd_pid"; tierd_pid=
if wait_for 5 exited lost && [ "$(cat "$D/lost.rc")" = 3 ] && restored lost &&
   screen lost | tr '\n' ' ' | grep -q "tierctl: top: lost tierd: .*cannot connect to $sock"; then
	pass "tierd gone: exit 3, terminal restored: $(screen lost | grep -v '^$' | tr '\n' ' ')"
else
	fail "tierd gone: rc $(cat "$D/lost.rc" 2>/dev/null), flags $(flags lost)"; screen lost
fi

[ $fails = 0 ] && echo "PASS: tierctl top" && exit 0
echo "FAIL: $fails check(s)"
exit 1
