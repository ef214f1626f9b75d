#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults mid-promotion in the two-node guest (guest-lib.sh: Debian 6.12,
# HMAT tiers, node 1 slow).  tests/e2e/faults-init.sh runs each scenario
# with its own tierd; this script judges the FW-* lines (docs/e2e.md,
# "Faults mid-promotion").
#
#   faults.sh --workload FAULT_WORKLOAD --tierd TIERD --tierctl TIERCTL
#             [--scenarios "exit unmap mbind pin enomem thp"] [--kernel K]
#             [--timeout S] [--artifacts DIR] [--keep] [-v] [--judge LOG]
#
# Exit: 0 pass, 1 fail, 77 skip (no qemu, kernel, busybox), 2 usage.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
scenarios="exit unmap mbind pin enomem thp"
workload_bin= tierd_bin= tierctl_bin= judge_log=
kernel=${E2E_KERNEL:-6.12} timeout_s=${E2E_TIMEOUT:-300}
artifact_dir=${E2E_ARTIFACT_DIR:-${TMPDIR:-/tmp}} keep=0 verbose=0

while [ $# -gt 0 ]; do
	case "$1" in
	--workload) workload_bin=$2; shift ;;
	--tierd) tierd_bin=$2; shift ;;
	--tierctl) tierctl_bin=$2; shift ;;
	--scenarios) scenarios=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--timeout) timeout_s=$2; shift ;;
	--artifacts) artifact_dir=$2; shift ;;
	--judge) judge_log=$2; shift ;;
	--keep) keep=1 ;;
	-v) verbose=1 ;;
	*) echo "faults: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
for s in $scenarios; do
	case "$s" in
	exit|unmap|mbind|pin|enomem|thp) ;;
	*) echo "faults: --scenarios: unknown scenario '$s'" >&2; exit 2 ;;
	esac
done

. "$here/guest-lib.sh"
if [ -z "$judge_log" ]; then
	for b in "$workload_bin" "$tierd_bin" "$tierctl_bin"; do
		[ -x "$b" ] || { echo "faults: need --workload, --tierd and --tierctl executables" >&2; exit 2; }
	done
	guest_need_tools
fi
guest_workdir faults tierd-faults

if [ -z "$judge_log" ]; then
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,run,tmp,e2e/bin,etc}
	cp "$busybox" "$root/bin/busybox"
	install -m 0755 "$here/faults-init.sh" "$root/init"
	copy_with_libs "$workload_bin" /e2e/bin/fault-workload || exit 1
	copy_with_libs "$tierd_bin" /e2e/bin/tierd || exit 1
	copy_with_libs "$tierctl_bin" /e2e/bin/tierctl || exit 1
	echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
	echo "root:x:0:" > "$root/etc/group"
	echo "SCENARIOS=\"$scenarios\"" > "$root/e2e/params"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initramfs.gz"
	echo "faults: scenarios \"$scenarios\", kernel ${kernel_name:-$kernel}, timeout ${timeout_s}s"
	guest_boot
else
	cp "$judge_log" "$log" || exit 2
	timed_out=0 qemu_rc=0 elapsed_s=0
fi
tr -d '\r' < "$log" > "$work/console"
C=$work/console

results=()
nfail=0
check() {	# check SCENARIO NAME OK DETAIL
	if [ "$3" = 1 ]; then
		results+=("  PASS $1.$2: $4")
	else
		results+=("  FAIL $1.$2: $4")
		nfail=$((nfail + 1))
	fi
}
info() { results+=("  INFO $1: $2"); }
kv() { sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<<" $1" | head -n 1; }
yes() { if "$@"; then echo 1; else echo 0; fi; }

# Split the console: one file per scenario, one JSON file per stats block
# and an index "N TAG UP_MS" of them.  The workload's lines may land inside
# a stats block (two writers on one console): FW- lines always go to the
# scenario.
split_console() {
	awk -v d="$work" '
		/^FW-SCENARIO-BEGIN/ { s = $2; sub("name=", "", s); f = d "/sc." s; n = 0 }
		s && (!j || /^FW-/) { print > f }
		/^FW-STATS-BEGIN/ { t = $2; sub("tag=", "", t); u = $3; sub("up_ms=", "", u)
			n++; j = d "/" s ".stats." n ".json"; print n, t, u > (d "/" s ".index"); next }
		/^FW-STATS-END/ { j = ""; next }
		j && !/^FW-/ { print > j }
		/^FW-SCENARIO-END/ { s = "" }' "$C"
}

js() {	# js SCENARIO N JQ: a value of stats block N
	jq -r "$3" "$work/$1.stats.$2.json" 2>/dev/null
}
final_n() { awk '$2 == "final" { print $1 }' "$work/$1.index"; }
# the first stats block taken at or after UP_MS
block_at() { awk -v t="$2" '$3 >= t { print $1; exit }' "$work/$1.index"; }

STATUS_SUM='[.migrator.status[]] | add'

# What every scenario must show: tierd alive to the end, every page it
# asked about accounted for by one status, promoted = ok, data intact.
check_common() {
	local s=$1 f sc ex res sum q hb ok pp
	sc=$work/sc.$s
	f=$(final_n "$s")
	ex=$(grep -m1 '^FW-TIERD-EXIT' "$sc")
	check "$s" tierd_alive "$(yes [ "$(kv "$ex" alive_before)" = 1 ] && [ "$(kv "$ex" rc)" = 0 ])" \
		"tierd ran to the end and exited $(kv "$ex" rc) on SIGTERM"
	if [ -z "$f" ] || ! jq -e . "$work/$s.stats.$f.json" >/dev/null 2>&1; then
		check "$s" stats 0 "no final tierctl stats"
		return 1
	fi
	sum=$(js "$s" "$f" "$STATUS_SUM") q=$(js "$s" "$f" .migrator.pages_queried)
	hb=$(js "$s" "$f" .policy.headroom_blocked)
	if [ "$hb" = 0 ]; then
		check "$s" accounted "$(yes [ "$sum" = "$q" ])" "$q pages queried, $sum statuses"
	else
		check "$s" accounted "$(yes [ "$sum" -le "$q" ] && [ "$q" -le $((sum + hb)) ])" \
			"$q pages queried = $sum statuses + up to $hb held back by headroom"
	fi
	ok=$(js "$s" "$f" .migrator.status.ok) pp=$(js "$s" "$f" .migrator.promoted_pages)
	check "$s" promoted_is_ok "$(yes [ "$ok" = "$pp" ])" "promoted_pages $pp, status.ok $ok"
	res=$(grep -m1 '^FW-RESULT' "$sc")
	check "$s" data "$(yes [ -n "$res" ] && [ "$(kv "$res" tags_bad)" = 0 ] && [ "$(kv "$res" counters_bad)" = 0 ])" \
		"$(kv "$res" pages_checked) pages checked: $(kv "$res" tags_bad) tags and $(kv "$res" counters_bad) counters wrong"
	info "$s" "$(js "$s" "$f" '"status " + (.migrator.status | to_entries | map(select(.value > 0) | "\(.key)=\(.value)") | join(" ")) + "; queried \(.migrator.pages_queried) requested \(.migrator.pages_requested) requeried \(.migrator.pages_requeried) calls \(.migrator.move_calls); candidates \(.policy.candidates) cooldown_skipped \(.policy.cooldown_skipped) pingpongs \(.policy.pingpongs) headroom_blocked \(.policy.headroom_blocked)"')"
	info "$s" "hot set at the end: $(kv "$res" hot_on0) pages on node 0, $(kv "$res" hot_on1) on node 1 ($(kv "$res" pages_gone) pages unmapped by the workload)"
}

judge_exit() {
	local sc=$work/sc.exit ev a pid pp left
	ev=$(grep -m1 '^FW-EVENT .*what=exit' "$sc")
	check exit mid_promotion "$(yes [ -n "$ev" ] && [ "$(kv "$ev" hot_on0)" -gt 0 ] && [ "$(kv "$ev" hot_on1)" -gt 0 ])" \
		"the workload exited with $(kv "$ev" hot_on0) hot pages on node 0 and $(kv "$ev" hot_on1) still on node 1"
	a=$(awk '$2 == "after-exit" { print $1 }' "$work/exit.index")
	pid=$(sed -n 's/^FW-WORKLOAD pid=\([0-9]*\).*/\1/p' "$sc" | head -n 1)
	left=$(jq --argjson p "${pid:-0}" '[.pids[] | select(.pid == $p)] | length' \
		"$work/exit.stats.$a.json" 2>/dev/null)
	check exit forgotten "$(yes [ "$left" = 0 ] && [ "$(js exit "$a" .table.size)" = 0 ])" \
		"2 s after the exit: pid $pid not in stats, table size $(js exit "$a" .table.size)"
	pp=$(js exit "$(final_n exit)" .migrator.promoted_pages)
	check exit moved_before "$(yes [ "$pp" -ge "$(kv "$ev" hot_on0)" ])" \
		"promoted_pages $pp covers the $(kv "$ev" hot_on0) pages the workload saw on node 0"
}

judge_unmap() {
	local sc=$work/sc.unmap ev f t n q0 q1 res gone
	ev=$(grep -m1 '^FW-EVENT .*what=unmap' "$sc")
	check unmap mid_promotion "$(yes [ -n "$ev" ])" \
		"second half unmapped with $(kv "$ev" hot_on0) hot pages on node 0"
	f=$(final_n unmap)
	gone=$(js unmap "$f" '.migrator.status.efault + .migrator.status.enoent')
	check unmap gone_counted "$(yes [ "$gone" -gt 0 ])" \
		"$gone pages of the unmapped half asked about and counted efault/enoent"
	t=$(( $(kv "$ev" up_ms) + 5000 ))
	n=$(block_at unmap "$t")
	q0=$(js unmap "$n" .migrator.pages_queried) q1=$(js unmap "$f" .migrator.pages_queried)
	check unmap not_retried "$(yes [ -n "$n" ] && [ "$q0" = "$q1" ])" \
		"pages_queried $q0 at 5 s after the unmap, $q1 at the end: the gone range is not asked for again"
	res=$(grep -m1 '^FW-RESULT' "$sc")
	check unmap rest_moved "$(yes [ "$(kv "$res" hot_on1)" = 0 ] && [ "$(kv "$res" hot_on0)" -gt 0 ])" \
		"the mapped half's hot set: $(kv "$res" hot_on0) on node 0, $(kv "$res" hot_on1) on node 1"
}

judge_mbind() {
	local sc=$work/sc.mbind f hot reb pp ping
	f=$(final_n mbind)
	hot=$(sed -n 's/^FW-WORKLOAD .* hot=\([0-9]*\).*/\1/p' "$sc")
	reb=$(grep '^FW-EVENT .*what=rebind' "$sc" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^hot_on0_before=/) { split($i, a, "="); if (a[2] > 0) n++ } } END { print n + 0 }')
	# with the backoff, pages are back on node 0 at 2, 4, 6, 10 and 18 s
	check mbind moved_back "$(yes [ "$reb" -ge 3 ])" \
		"$reb rebinds (mbind MPOL_BIND node 1, MPOL_MF_MOVE) found promoted pages to move back"
	ping=$(js mbind "$f" .policy.pingpongs) pp=$(js mbind "$f" .migrator.promoted_pages)
	check mbind pingpongs "$(yes [ "$ping" -ge $((2 * hot)) ])" \
		"$ping ping-pongs counted for $hot hot pages"
	# Moved back every 2 s for 20 s: without the backoff a page moves
	# after each rebind (10-11 times); cooldowns of 1, 2, 4, 8 s allow 5.
	check mbind backoff "$(yes [ "$pp" -le $((6 * hot)) ])" \
		"promoted_pages $pp <= 6 x $hot: the ping-pong backoff stretched the moves out"
}

judge_pin() {
	local sc=$work/sc.pin f q ea how rc
	for how in mlock io_uring vmsplice; do
		rc=$(sed -n "s/^FW-PIN how=$how .* rc=\([-0-9]*\).*/\1/p" "$sc")
		check pin "pin_$how" "$(yes [ "$rc" = 0 ])" "$(grep -m1 "^FW-PIN how=$how" "$sc")"
	done
	q() { grep "^FW-QUARTER q=$1 " "$sc"; }
	check pin unpinned_moved "$(yes [ "$(kv "$(q 0)" on1)" = 0 ])" "quarter 0 (not pinned): $(q 0)"
	check pin mlock_moved "$(yes [ "$(kv "$(q 1)" on1)" = 0 ])" \
		"quarter 1 (mlock: the kernel migrates mlocked pages): $(q 1)"
	check pin io_uring_held "$(yes [ "$(kv "$(q 2)" on0)" = 0 ])" \
		"quarter 2 (io_uring registered buffers, a long-term pin): $(q 2)"
	check pin vmsplice_held "$(yes [ "$(kv "$(q 3)" on0)" = 0 ])" \
		"quarter 3 (vmsplice, pages held by a pipe): $(q 3)"
	f=$(final_n pin)
	ea=$(js pin "$f" .migrator.status.eagain)
	q=$(( $(kv "$(q 2)" on1) + $(kv "$(q 3)" on1) ))
	# 17.5 s of promotion: a pinned page is tried at 0, 1, 3, 7 and 15 s
	# (failure cooldown 1 s, doubling); a pass every 200 ms without it.
	check pin failures_counted "$(yes [ "$ea" -gt 0 ])" "$ea pages counted eagain (not moved, no reason given)"
	check pin retries_bounded "$(yes [ "$ea" -le $((6 * q)) ])" \
		"eagain $ea <= 6 x the $q pinned pages: the failure cooldown keeps them from being asked for every pass"
}

judge_enomem() {
	local sc=$work/sc.enomem f hog en hot res kill n b
	hog=$(grep -m1 '^FW-HOG' "$sc")
	info enomem "node 0 filled: $hog"
	f=$(final_n enomem)
	hot=$(sed -n 's/^FW-WORKLOAD .* hot=\([0-9]*\).*/\1/p' "$sc")
	kill=$(sed -n 's/^FW-EVENT up_ms=\([0-9]*\) what=init-cmd.*/\1/p' "$sc")
	n=$(awk -v t="$kill" '$3 < t { n = $1 } END { print n }' "$work/enomem.index")
	en=$(js enomem "$n" .migrator.status.enomem)
	b=$(js enomem "$n" .migrator.promoted_pages)
	check enomem refused "$(yes [ "$en" -gt 0 ])" \
		"with node 0 full and min_free_mb = 0: $b pages moved, $en refused -ENOMEM before the hog left"
	# 12 s of a full node: a refused page is tried at 0, 1, 3 and 7 s; a
	# pass every 200 ms (60 tries) without the failure cooldown.  The
	# pages at stake are those not yet moved when the first refusal came
	# (reclaim may make room later, so all of them can end up moved).
	local i b0=$b e1
	for i in $(awk -v t="$kill" '$3 < t { print $1 }' "$work/enomem.index"); do
		e1=$(js enomem "$i" .migrator.status.enomem)
		if [ "${e1:-0}" -gt 0 ]; then
			b0=$(js enomem "$i" .migrator.promoted_pages)
			break
		fi
	done
	check enomem retries_bounded "$(yes [ "$en" -le $((5 * (hot - b0))) ])" \
		"enomem $en <= 5 x the $((hot - b0)) pages not yet moved at the first refusal"
	res=$(grep -m1 '^FW-RESULT' "$sc")
	check enomem recovered "$(yes [ "$(kv "$res" hot_on0)" = "$hot" ])" \
		"after the hog left: $(kv "$res" hot_on0) of $hot hot pages on node 0"
}

judge_thp() {
	local sc=$work/sc.thp ev f n q0 q1 res wl
	wl=$(grep -m1 '^FW-WORKLOAD' "$sc")
	ev=$(grep -m1 '^FW-EVENT .*what=split' "$sc")
	check thp huge_pages "$(yes [ "$(kv "$wl" anon_huge_kb)" -ge 16384 ])" \
		"populated with $(kv "$wl" anon_huge_kb) kB of THPs (8 hot 2 MiB granules need 16384)"
	check thp split_mid_promotion "$(yes [ -n "$ev" ] && [ "$(kv "$ev" granules)" -gt 0 ])" \
		"split $(kv "$ev" granules) granules still on node 1 ($(kv "$ev" holes) by a 4 KiB munmap), AnonHugePages $(kv "$ev" anon_huge_kb_before) -> $(kv "$ev" after) kB"
	res=$(grep -m1 '^FW-RESULT' "$sc")
	check thp all_moved "$(yes [ "$(kv "$res" hot_on1)" = 0 ] && [ "$(kv "$res" hot_on0)" -gt 0 ])" \
		"hot granules' mapped pages: $(kv "$res" hot_on0) on node 0, $(kv "$res" hot_on1) on node 1"
	f=$(final_n thp)
	n=$(block_at thp $(( $(kv "$res" up_ms) - 4000 )))
	q0=$(js thp "$n" .migrator.pages_queried) q1=$(js thp "$f" .migrator.pages_queried)
	check thp settled "$(yes [ -n "$n" ] && [ "$q0" = "$q1" ])" \
		"pages_queried $q0 four seconds before the end, $q1 at the end"
}

infra=
if [ "${timed_out:-0}" = 1 ]; then
	infra="qemu killed after ${timeout_s}s"
elif grep -q '^FW-FATAL' "$C"; then
	infra=$(grep -m1 '^FW-FATAL' "$C")
elif ! grep -q '^FW-END rc=0' "$C"; then
	infra="the guest did not finish (no FW-END rc=0; qemu rc=${qemu_rc:-?})"
fi
guest_judge_tiers "$C"
split_console
for s in $scenarios; do
	if [ ! -f "$work/sc.$s" ] || ! grep -q '^FW-SCENARIO-END' "$work/sc.$s"; then
		check "$s" ran 0 "scenario did not complete"
		continue
	fi
	check_common "$s" && "judge_$s"
done

echo "---- faults summary: kernel ${kernel_name:-$kernel} (${elapsed_s:-0}s) ----"
[ -n "$tiers_pass" ] && echo "  PASS tiers: $tiers_pass"
printf '%s\n' "${results[@]}"
[ -n "$tiers_fail" ] && { echo "  FAIL tiers: $tiers_fail"; nfail=$((nfail + 1)); }
[ -n "$infra" ] && { echo "  FAIL run: $infra"; nfail=$((nfail + 1)); }
if [ "$nfail" -gt 0 ] || [ "$keep" = 1 ]; then
	mkdir -p "$artifact_dir"
	dest=$artifact_dir/tierd-faults-$(date +%Y%m%d-%H%M%S).log
	cp "$log" "$dest" && echo "console log: $dest"
fi
if [ "$nfail" -gt 0 ]; then
	echo "RESULT: FAIL ($nfail)"
	exit 1
fi
echo "RESULT: PASS"
