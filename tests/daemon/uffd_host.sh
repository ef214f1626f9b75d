#!/usr/bin/env bash
# tierd, its track socket and the LD_PRELOAD shim on the host kernel: an
# unmodified program opts in, is listed and counted, has the mappings it
# makes itself (mmap) and the ones glibc makes (malloc) registered, and is
# let go when it exits; a user over its bound and a program outside
# [scope] are refused and run on; without tierd the program runs on and
# says why once.  The host has no slow node: nothing is scanned here
# (test_uffd_host covers the scan).
#
#   uffd_host.sh TIERD TIERCTL LIBTIERD_TRACK_SO TRACK_PROBE
set -uo pipefail
tierd=$1 tierctl=$2 lib=$3 probe=$4

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (tierd reads other processes)"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv missing"; exit 77; }

tmp=$(mktemp -d /tmp/tierd-uffd.XXXXXX)
chmod 755 "$tmp"		# uid 65534 must reach the track socket
tierd_pid=
probes=()
cleanup() {
	for p in "${probes[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "$tierd_pid" ] && kill "$tierd_pid" 2>/dev/null && wait "$tierd_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ctl() { "$tierctl" --socket "$tmp/ctl.sock" "$@"; }
wait_for() {
	local i
	for i in $(seq 1 100); do "$@" && return 0; sleep 0.05; done
	return 1
}
fds_of() { ls "/proc/$1/fd" | wc -l; }
# the VmFlags of the VMA that starts at $2 in process $1
vmflags() {
	awk -v a="${2#0x}" '$1 ~ "^" a "-" { found = 1 } found && /^VmFlags:/ { print; exit }' "/proc/$1/smaps"
}

# run_probe NAME [setpriv args]: start track_probe under the shim (the
# preload applies to the probe only, not to setpriv); sets probe_pid
run_probe() {
	local name=$1; shift
	"$@" env TIERD_TRACK_SOCKET="$tmp/track.sock" LD_PRELOAD="$lib" \
		"$probe" > "$tmp/$name.out" 2> "$tmp/$name.err" &
	probe_pid=$!
	probes+=("$probe_pid")
	wait_for grep -q '^mmap=' "$tmp/$name.out" || fail "$name never got going: $(cat "$tmp/$name.err")"
}
stop_probe() {	# stop_probe PID: as it would be stopped
	kill -TERM "$1"
	wait "$1" 2>/dev/null
	return 0
}

# --- without tierd: runs on, says why once -------------------------------------
env TIERD_TRACK_SOCKET="$tmp/track.sock" LD_PRELOAD="$lib" /bin/echo hello > "$tmp/alone.out" 2> "$tmp/alone.err"
rc=$?
if [ $rc = 0 ] && [ "$(cat "$tmp/alone.out")" = hello ] && [ "$(wc -l < "$tmp/alone.err")" = 1 ] &&
   grep -q "^tierd-track: pid [0-9]* runs untracked: no tierd listening on $tmp/track.sock" "$tmp/alone.err"; then
	pass "no tierd: the program runs, one line: $(cat "$tmp/alone.err")"
else
	fail "no tierd: rc $rc out '$(cat "$tmp/alone.out")' err '$(cat "$tmp/alone.err")'"
fi

cat > "$tmp/tierd.conf" <<CONF
[sources]
private_node = off
soft_dirty = off
numa_hint = off
uffd = on
uffd_max_per_user = 1
rearm_interval_ms = 100
[scope]
include_comms = track_probe
[control]
socket = $tmp/ctl.sock
CONF
"$tierd" -c "$tmp/tierd.conf" -v 2> "$tmp/tierd.log" &
tierd_pid=$!
wait_for test -S "$tmp/track.sock" || { fail "tierd did not open $tmp/track.sock"; cat "$tmp/tierd.log"; exit 1; }
fds0=$(fds_of $tierd_pid)

# --- an unmodified program opts in ---------------------------------------------------
run_probe root
root_pid=$probe_pid
if ctl status | grep -q "^    pid $root_pid (track_probe) uid 0, wp-async"; then
	pass "status lists pid $root_pid (track_probe)"
else
	fail "status does not list the probe: $(ctl status | tail -3)"
fi
[ -s "$tmp/root.err" ] && fail "a tracked program printed: $(cat "$tmp/root.err")"
mm=$(sed -n 's/^mmap=\(0x[0-9a-f]*\).*/\1/p' "$tmp/root.out")
ma=$(sed -n 's/.*malloc=\(0x[0-9a-f]*\)/\1/p' "$tmp/root.out")
# malloc's chunk starts 16 bytes into glibc's own mapping
ma=$(printf '0x%x' $(( (ma >> 12) << 12 )))
vmflags $root_pid "$mm" | grep -qw uw &&
	pass "its own mmap at $mm registered by the shim: $(vmflags $root_pid "$mm")" ||
	fail "mmap at $mm not registered: $(vmflags $root_pid "$mm")"
malloc_registered() { vmflags $root_pid "$ma" | grep -qw uw; }
if wait_for malloc_registered; then
	pass "malloc's mapping at $ma registered by tierd's rescan"
else
	fail "malloc's mapping at $ma not registered: $(vmflags $root_pid "$ma")"
fi
ctl stats --json > "$tmp/stats.json"
python3 - "$tmp/stats.json" "$root_pid" <<'PY' && pass "stats: accepted 1, held 1, vmas registered" || fail "stats json"
import json, sys
u = json.load(open(sys.argv[1]))["sources"]["uffd"]
assert u["active"] and u["descriptors_accepted"] == 1, u
assert u["processes_held"] == 1 and u["processes"][0]["pid"] == int(sys.argv[2]), u
assert u["vmas_registered"] >= 1, u
PY
[ $(( $(fds_of $tierd_pid) - fds0 )) = 3 ] && pass "tierd holds 3 descriptors for it" ||
	fail "tierd fds $fds0 -> $(fds_of $tierd_pid)"

# --- unprivileged, and over the per-user bound ------------------------------------------
run_probe nobody setpriv --reuid=65534 --regid=65534 --clear-groups
nobody_pid=$probe_pid
ctl status | grep -q "^    pid $nobody_pid (track_probe) uid 65534, wp-async" &&
	pass "uid 65534 opts in through the 0666 track socket" || fail "uid 65534 not tracked: $(cat "$tmp/nobody.err")"
run_probe nobody2 setpriv --reuid=65534 --regid=65534 --clear-groups
nobody2_pid=$probe_pid
grep -q "runs untracked: tierd refused: uid 65534 already has 1 tracked processes, the most \[sources\] uffd_max_per_user = 1 allows" "$tmp/nobody2.err" &&
	pass "over the bound: $(cat "$tmp/nobody2.err")" || fail "bound: '$(cat "$tmp/nobody2.err")'"
[ -s "$tmp/nobody2.out" ] && kill -0 $nobody2_pid && pass "the refused program runs on" || fail "refused program died"
stop_probe $nobody2_pid

# --- outside [scope] ---------------------------------------------------------------------
env TIERD_TRACK_SOCKET="$tmp/track.sock" LD_PRELOAD="$lib" /bin/true 2> "$tmp/scope.err"
grep -q "runs untracked: tierd refused: pid [0-9]* (true) is outside tierd's \[scope\]" "$tmp/scope.err" &&
	pass "outside scope: $(cat "$tmp/scope.err")" || fail "scope: '$(cat "$tmp/scope.err")'"

# --- exit: let go -----------------------------------------------------------------------
stop_probe $root_pid
stop_probe $nobody_pid
if wait_for sh -c "! $tierctl --socket $tmp/ctl.sock status | grep -q '^    pid '"; then
	pass "both let go after they exited"
else
	fail "still listed: $(ctl status | grep '^    pid')"
fi
[ "$(fds_of $tierd_pid)" = "$fds0" ] && pass "tierd back to $fds0 descriptors" ||
	fail "tierd fds $fds0 -> $(fds_of $tierd_pid)"
grep -q "uffd: pid $root_pid (track_probe) exited: tracking ends" "$tmp/tierd.log" &&
	pass "log: $(grep "uffd: pid $root_pid" "$tmp/tierd.log")" || fail "no exit line in the log"

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed; tierd log:"
	cat "$tmp/tierd.log"
	exit 1
fi
echo "all uffd host checks passed"
