#!/bin/sh
# The unit's CapabilityBoundingSet is enough for what tierd does, and every
# capability in it is needed: caps_probe runs with exactly that set, then
# once with each capability removed, and exactly the operation that
# capability is for must fail.
#
# CAP_SYS_ADMIN (kernel.numa_balancing's capable() check) also satisfies
# the kernel's bpf_capable() and perfmon_capable(), so with it kept the
# BPF load does not need CAP_BPF or CAP_PERFMON; the script checks that
# too, and shows those two needed in the set without CAP_SYS_ADMIN (what
# `CapabilityBoundingSet=~CAP_SYS_ADMIN` in a drop-in leaves, for a tierd
# without numa_hint and take_over).
# usage: test_unit_caps.sh UNIT CAPS_PROBE
set -u
unit=$1
probe=$2

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to load BPF and drop capabilities"
	exit 77
fi
command -v setpriv >/dev/null || { echo "SKIP: setpriv missing"; exit 77; }
for f in numa_balancing numa_balancing_promote_rate_limit_MBps; do
	[ -w /proc/sys/kernel/$f ] ||
		{ echo "SKIP: /proc/sys/kernel/$f missing or read-only here"; exit 77; }
done

caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
caps=" $caps"
[ -n "$caps" ] || { echo "FAIL: no CapabilityBoundingSet in $unit"; exit 1; }

# The caps_probe operation each capability is for.
needed_by() {
	case "$1" in
	CAP_BPF|CAP_PERFMON) echo bpf ;;
	CAP_SYS_PTRACE) echo move_pages ;;
	CAP_DAC_OVERRIDE) echo clear_refs ;;
	CAP_CHOWN) echo chown ;;
	CAP_SYS_ADMIN) echo numa_balancing ;;
	*) return 1 ;;
	esac
}
for c in $caps; do
	needed_by "$c" >/dev/null ||
		{ echo "FAIL: $unit keeps $c, which this test does not know: add what needs it"; exit 1; }
done

# CAP_SYS_PTRACE -> +sys_ptrace
spec() {
	s=-all
	for c in "$@"; do
		s="$s,+$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"
	done
	echo "$s"
}
without() {	# without CAP...: the unit's set less those
	w=
	for c in $caps; do
		case " $* " in *" $c "*) ;; *) w="$w $c" ;; esac
	done
	echo "$w"
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

# run_with CAP...: caps_probe with that bounding set; its PROBE lines in
# $tmp/out, its other lines shown.
run_with() {
	# shellcheck disable=SC2046
	setpriv --bounding-set="$(spec "$@")" --inh-caps=-all "$probe" \
		$target "$addr" > "$tmp/out" 2>/dev/null
	grep -v '^PROBE ' "$tmp/out" | sed 's/^/    /'
}
# failed_probes: the probes that failed in the last run, space-separated
failed_probes() {
	sed -n 's/^PROBE \([a-z_]*\) ok=0$/\1/p' "$tmp/out" | tr '\n' ' ' | sed 's/ $//'
}

fails=0
verdict() {	# verdict OK(0/1) TEXT
	if [ "$1" = 1 ]; then echo "PASS: $2"; else echo "FAIL: $2"; fails=$((fails + 1)); fi
}

echo "== with the unit's set: $caps"
# shellcheck disable=SC2086
run_with $caps
f=$(failed_probes)
verdict "$( [ -z "$f" ] && [ "$(grep -c '^PROBE ' "$tmp/out")" = 6 ] && echo 1 || echo 0)" \
	"the unit's capabilities are sufficient${f:+ (failed: $f)}"

for drop in $caps; do
	want=$(needed_by "$drop")
	echo "== without $drop"
	# shellcheck disable=SC2046
	run_with $(without "$drop")
	f=$(failed_probes)
	case "$drop:$caps " in
	CAP_BPF:*" CAP_SYS_ADMIN "*|CAP_PERFMON:*" CAP_SYS_ADMIN "*)
		verdict "$( [ -z "$f" ] && echo 1 || echo 0)" \
			"$drop is implied by CAP_SYS_ADMIN (bpf_capable()/perfmon_capable()): the BPF load still works${f:+; but failed: $f}"
		echo "== without $drop and CAP_SYS_ADMIN"
		# shellcheck disable=SC2046
		run_with $(without "$drop" CAP_SYS_ADMIN)
		f=$(failed_probes)
		verdict "$( [ "$f" = "bpf numa_balancing" ] && echo 1 || echo 0)" \
			"$drop is needed without CAP_SYS_ADMIN: failed '$f', want 'bpf numa_balancing'"
		;;
	*)
		verdict "$( [ "$f" = "$want" ] && echo 1 || echo 0)" \
			"$drop is needed for $want: failed '$f', want '$want'"
		;;
	esac
done
exit $((fails != 0))
