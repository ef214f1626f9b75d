#!/bin/sh
# The unit's CapabilityBoundingSet is enough for what tierd does, and every
# capability in it is needed: caps_probe runs with exactly that set, then
# once with each capability removed and must fail.
# usage: test_unit_caps.sh UNIT CAPS_PROBE
set -u
unit=$1
probe=$2

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to load BPF and drop capabilities"
	exit 77
fi
command -v setpriv >/dev/null || { echo "SKIP: setpriv missing"; exit 77; }

caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
[ -n "$caps" ] || { echo "FAIL: no CapabilityBoundingSet in $unit"; exit 1; }
# CAP_SYS_PTRACE -> +sys_ptrace
spec() {
	s=-all
	for c in "$@"; do
		s="$s,+$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"
	done
	echo "$s"
}

tmp=$(mktemp -d)
# The target process belongs to another user (uid 65534), like the
# processes tierd promotes for.
setpriv --reuid=65534 --regid=65534 --clear-groups "$probe" --target \
	> "$tmp/addr" &
target=$!
trap 'kill $target 2>/dev/null; rm -rf "$tmp"' EXIT
for i in $(seq 1 200); do
	[ -s "$tmp/addr" ] && break
	sleep 0.05
done
addr=$(cat "$tmp/addr")
[ -n "$addr" ] || { echo "FAIL: target process did not start"; exit 1; }
echo "target: pid $target (uid 65534), page at $addr"

fails=0
echo "== with the unit's set: $caps"
# shellcheck disable=SC2086
if setpriv --bounding-set="$(spec $caps)" --inh-caps=-all "$probe" $target $addr; then
	echo "PASS: the unit's capabilities are sufficient"
else
	echo "FAIL: caps_probe failed with the unit's capabilities"
	fails=$((fails + 1))
fi
for drop in $caps; do
	rest=
	for c in $caps; do
		[ "$c" = "$drop" ] || rest="$rest $c"
	done
	echo "== without $drop"
	# shellcheck disable=SC2086
	if setpriv --bounding-set="$(spec $rest)" --inh-caps=-all "$probe" \
		$target "$addr" 2>/dev/null; then
		echo "FAIL: $drop is in the unit but nothing needed it"
		fails=$((fails + 1))
	else
		echo "PASS: $drop is needed"
	fi
done
exit $((fails != 0))
