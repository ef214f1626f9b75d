#!/usr/bin/env bash
# The hardened unit's capabilities are what the uffd source needs: tierd,
# run as root with exactly the unit's CapabilityBoundingSet (as systemd
# would start it), takes the userfaultfd of a process of another user
# (uid 65534) and verifies it; without CAP_SYS_PTRACE (process_vm_readv
# and kcmp of the canary check, /proc/PID/pagemap) or CAP_DAC_OVERRIDE
# (its pagemap is mode 0400, owned by that user) the process is refused
# with the reason, and runs on.
#
#   test_unit_uffd.sh UNIT TIERD TIERCTL LIBTIERD_TRACK_SO TRACK_PROBE
set -uo pipefail
unit=$1 tierd=$2 tierctl=$3 lib=$4 probe=$5

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv missing"; exit 77; }
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
[ -n "$caps" ] || { echo "FAIL: no CapabilityBoundingSet in $unit"; exit 1; }
spec() {	# CAP_SYS_PTRACE ... -> -all,+sys_ptrace,...
	local s=-all c
	for c in "$@"; do s="$s,+$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"; done
	echo "$s"
}

tmp=$(mktemp -d /tmp/tierd-unit-uffd.XXXXXX)
chmod 755 "$tmp"
tierd_pid= probe_pid=
cleanup() {
	[ -n "$probe_pid" ] && kill "$probe_pid" 2>/dev/null
	[ -n "$tierd_pid" ] && kill "$tierd_pid" 2>/dev/null && wait "$tierd_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
cat > "$tmp/tierd.conf" <<CONF
[sources]
private_node = off
soft_dirty = off
numa_hint = off
uffd = on
[control]
socket = $tmp/ctl.sock
CONF
fails=0

# try CAPS...: tierd with that bounding set; prints what the probe said
try() {
	# shellcheck disable=SC2046
	setpriv --bounding-set="$(spec "$@")" --inh-caps=-all "$tierd" -c "$tmp/tierd.conf" 2> "$tmp/tierd.log" &
	tierd_pid=$!
	for _ in $(seq 100); do [ -S "$tmp/track.sock" ] && break; sleep 0.05; done
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		env TIERD_TRACK_SOCKET="$tmp/track.sock" LD_PRELOAD="$lib" "$probe" \
		> "$tmp/probe.out" 2> "$tmp/probe.err" &
	probe_pid=$!
	for _ in $(seq 100); do [ -s "$tmp/probe.out" ] && break; sleep 0.05; done
	held=$("$tierctl" --socket "$tmp/ctl.sock" status | grep -c "^    pid $probe_pid ")
	kill "$probe_pid"; wait "$probe_pid" 2>/dev/null; probe_pid=
	kill "$tierd_pid"; wait "$tierd_pid" 2>/dev/null; tierd_pid=
}

# shellcheck disable=SC2086
try $caps
if [ "$held" = 1 ] && [ ! -s "$tmp/probe.err" ]; then
	echo "PASS: with the unit's set ($caps) tierd takes a uid 65534 process's userfaultfd"
else
	echo "FAIL: with the unit's set: held=$held, probe said '$(cat "$tmp/probe.err")'"
	cat "$tmp/tierd.log"
	fails=$((fails + 1))
fi
for drop in CAP_SYS_PTRACE CAP_DAC_OVERRIDE; do
	rest=
	for c in $caps; do [ "$c" = "$drop" ] || rest="$rest $c"; done
	# shellcheck disable=SC2086
	try $rest
	if [ "$held" = 0 ] && grep -q "runs untracked: tierd refused: " "$tmp/probe.err" &&
	   [ -s "$tmp/probe.out" ]; then
		echo "PASS: without $drop: refused, runs on: $(cat "$tmp/probe.err")"
	else
		echo "FAIL: without $drop: held=$held, probe said '$(cat "$tmp/probe.err")'"
		fails=$((fails + 1))
	fi
done
exit $((fails != 0))
