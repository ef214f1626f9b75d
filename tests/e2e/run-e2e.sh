#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end test of tierd in a two-node NUMA guest (qemu TCG).
#
# Builds an initramfs (busybox + tests/e2e/guest-init.sh as /init + tierd,
# tierctl, e2e-workload and their shared libraries), boots it with node 0 =
# 2 CPUs + 1 GiB ("fast") and node 1 = 1 GiB without CPUs ("slow"), runs one
# scenario, then judges the E2E-* lines of the serial console here.
#
# Exit: 0 PASS, 1 FAIL, 77 SKIP (no qemu/kernel/busybox), 2 usage error.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
scenario=tierd
tierd_bin= tierctl_bin= workload_bin=
track_lib=
timeout_s=${E2E_TIMEOUT:-300}
artifact_dir=${E2E_ARTIFACT_DIR:-${TMPDIR:-/tmp}}
kernel=${E2E_KERNEL:-}
exec_cmd=
extra_bins=()
conf_sets=()
base_conf=
hot_within_ms=
judge_log=
expect_fail=
keep=0
verbose=0

# Scenario parameters.  The hot set is 2048 pages (8 MiB) spread over 64 MiB;
# the rate limit is low enough that promoting it takes several seconds, so
# the rate check measures the limiter rather than the promoter's speed.
size_mb=64
hot_pages=2048
duration_ms=${E2E_DURATION_MS:-24000}
sample_ms=1000
rate_mbps=2
min_free_mb=64
batch_pages=64
rearm_ms=200
hot_min_pct=95
cold_max_pct=5
nb_mode=2
nb_promote_rate=
access=write
reset_policy=0
damon_quota_mbps=0
pressure=0 pressure_bin= pressure_args=
socket=/run/tierd/tierd.sock

usage() {
	cat <<EOF
usage: $0 --workload PATH [--tierd PATH --tierctl PATH] [options]
  --scenario S       tierd (default) | tierd-disabled | tierd-headroom |
                     tierd-mover (kernel tiering promotes before tierd
                     starts; with --set promotion.take_over=yes tierd takes
                     over) | tierd-uffd | numa-balancing | damon | oracle |
                     migratepages | exec
  --track-lib PATH   tierd-uffd: libtierd-track.so, preloaded into the
                     workload (which opts in; the other sources are off)
  --exec CMD         scenario exec: run CMD in the guest (report only)
  --add-bin PATH     also copy PATH (and its libraries) to /e2e/bin
  --set SEC.KEY=VAL  override or add a key of the generated tierd.conf
  --conf FILE        start from FILE (e.g. the shipped conf/tierd.conf)
                     instead of the generated config; --set still applies
  --hot-within-ms MS the hot set must reach the threshold within MS
  --judge LOG        do not boot: judge a kept console log of SCENARIO again
  --nb-mode N        kernel.numa_balancing value for numa-balancing (default 2)
  --nb-promote-rate MBPS
                     numa-balancing: set kernel.numa_balancing_promote_rate_limit_MBps
                     (tiering mode's promotion limit; 0 stops promotion)
  --damon-quota-mbps N
                     damon: DAMOS quota in MiB/s of regions tried (default 0: none)
  --pressure         DRAM pressure (report only): run e2e-pressure instead of
                     e2e-workload, with demotion_enabled = true
  --pressure-workload PATH
                     the e2e-pressure binary (default: beside --workload)
  --pressure-args A  more e2e-pressure options (see e2e-pressure --help)
  --access MODE      what the workload does to its hot set: write (default),
                     read (loads only) or mixed (every other hot page read)
  --reset-policy     drop the workload's MPOL_BIND after populating (always
                     on in numa-balancing: NUMA balancing skips bound VMAs)
  --expect-fail CHK  invert: succeed only if the run completed and check CHK
                     failed (used by the negative ctest)
  --timeout S        bound on the whole qemu run (default 300)
  --artifacts DIR    where the console log is kept on failure
  --kernel K         guest kernel: 6.12 (default) or 6.1 (Debian kernels cached
                     by scripts/guest-kernels.sh), or a path containing "/"
  --duration-ms MS   workload hot phase (default $duration_ms)
  --sample-ms MS     placement timeline period (default $sample_ms)
  --keep             keep the console log and initramfs even on PASS
  -v                 echo the console log while it is written
Environment: E2E_ACCEL=kvm to try KVM (default TCG), E2E_TIMEOUT, E2E_KERNEL,
E2E_HMAT=0 to boot without HMAT (the tiers check then fails on 6.12).
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--scenario) scenario=$2; shift ;;
	--tierd) tierd_bin=$2; shift ;;
	--tierctl) tierctl_bin=$2; shift ;;
	--workload) workload_bin=$2; shift ;;
	--track-lib) track_lib=$2; shift ;;
	--nb-mode) nb_mode=$2; shift ;;
	--nb-promote-rate) nb_promote_rate=$2; shift ;;
	--access) access=$2; shift ;;
	--damon-quota-mbps) damon_quota_mbps=$2; shift ;;
	--pressure) pressure=1 ;;
	--pressure-workload) pressure_bin=$2; shift ;;
	--pressure-args) pressure_args=$2; shift ;;
	--reset-policy) reset_policy=1 ;;
	--exec) exec_cmd=$2; shift ;;
	--add-bin) extra_bins+=("$2"); shift ;;
	--set) conf_sets+=("$2"); shift ;;
	--conf) base_conf=$2; shift ;;
	--hot-within-ms) hot_within_ms=$2; shift ;;
	--judge) judge_log=$2; shift ;;
	--expect-fail) expect_fail=$2; shift ;;
	--timeout) timeout_s=$2; shift ;;
	--artifacts) artifact_dir=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--duration-ms) duration_ms=$2; shift ;;
	--sample-ms) sample_ms=$2; shift ;;
	--keep) keep=1 ;;
	-v) verbose=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run-e2e: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

case "$scenario" in
tierd|tierd-disabled|tierd-headroom|tierd-mover|tierd-uffd) needs_tierd=1 ;;
numa-balancing|damon|oracle|migratepages|exec) needs_tierd=0 ;;
*) echo "run-e2e: --scenario: unknown scenario '$scenario'" >&2; exit 2 ;;
esac
case "$access" in
read|write|mixed) ;;
*) echo "run-e2e: --access: '$access' is not read, write or mixed" >&2; exit 2 ;;
esac
case "$nb_promote_rate" in
''|*[!0-9]*)
	[ -z "$nb_promote_rate" ] ||
		{ echo "run-e2e: --nb-promote-rate: '$nb_promote_rate' is not a number of MB/s" >&2; exit 2; } ;;
esac
case "$damon_quota_mbps" in
''|*[!0-9]*) echo "run-e2e: --damon-quota-mbps: '$damon_quota_mbps' is not a number of MiB/s" >&2; exit 2 ;;
esac
[ "$scenario" = numa-balancing ] && reset_policy=1

. "$(dirname "$0")/guest-lib.sh"

need_exe() {	# need_exe OPTION PATH
	if [ -z "$2" ]; then
		echo "run-e2e: scenario $scenario needs $1 PATH" >&2
		exit 2
	fi
	[ -x "$2" ] || { echo "run-e2e: $1: '$2' is not an executable" >&2; exit 2; }
}
[ -n "$judge_log" ] && needs_tierd=0
[ -n "$judge_log" ] || need_exe --workload "$workload_bin"
if [ "$pressure" = 1 ] && [ -z "$judge_log" ]; then
	: "${pressure_bin:=$(dirname "$workload_bin")/e2e-pressure}"
	need_exe --pressure-workload "$pressure_bin"
	[ "$access" = mixed ] && { echo "run-e2e: --pressure: --access is read or write" >&2; exit 2; }
fi
if [ $needs_tierd = 1 ]; then
	need_exe --tierd "$tierd_bin"
	need_exe --tierctl "$tierctl_bin"
fi
if [ "$scenario" = tierd-uffd ] && [ -z "$judge_log" ]; then
	[ -r "$track_lib" ] || { echo "run-e2e: scenario tierd-uffd needs --track-lib PATH (libtierd-track.so)" >&2; exit 2; }
fi

guest_need_tools

guest_workdir run-e2e tierd-e2e

# ---- initramfs ------------------------------------------------------------

build_initramfs() {
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,run,tmp,e2e/bin,etc} || return 1
	cp "$busybox" "$root/bin/busybox" || return 1
	install -m 0755 "$here/guest-init.sh" "$root/init" || return 1
	copy_with_libs "$workload_bin" /e2e/bin/e2e-workload || return 1
	if [ "$pressure" = 1 ]; then
		copy_with_libs "$pressure_bin" /e2e/bin/e2e-pressure || return 1
	fi
	if [ $needs_tierd = 1 ]; then
		copy_with_libs "$tierd_bin" /e2e/bin/tierd || return 1
		copy_with_libs "$tierctl_bin" /e2e/bin/tierctl || return 1
	fi
	local b
	for b in "${extra_bins[@]}"; do
		copy_with_libs "$b" "/e2e/bin/${b##*/}" || return 1
	done
	if [ -n "$track_lib" ]; then
		copy_with_libs "$track_lib" /e2e/lib/libtierd-track.so || return 1
	fi
	if command -v migratepages >/dev/null; then
		copy_with_libs "$(command -v migratepages)" /e2e/bin/migratepages || return 1
	fi
	echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
	echo "root:x:0:" > "$root/etc/group"

	local enabled=yes min_free=$min_free_mb
	[ "$scenario" = tierd-disabled ] && enabled=no
	# more headroom than node 0 has: nothing may be promoted
	[ "$scenario" = tierd-headroom ] && min_free=2048
	cat > "$root/e2e/params" <<EOF
SCENARIO=$scenario
WL_ARGS="--size-mb $size_mb --hot-pages $hot_pages --duration-ms $duration_ms --sample-ms $sample_ms --access $access $([ $reset_policy = 1 ] && echo --reset-policy)"
WL_DURATION_MS=$duration_ms
TIERD_SOCKET=$socket
NB_MODE=$nb_mode
NB_PROMOTE_RATE=$nb_promote_rate
TRACK_LIB=$([ -n "$track_lib" ] && echo /e2e/lib/libtierd-track.so)
DAMON_QUOTA_MBPS=$damon_quota_mbps
EOF
	if [ "$pressure" = 1 ]; then
		cat >> "$root/e2e/params" <<EOF
WL_BIN=e2e-pressure
WL_ARGS="--duration-ms $duration_ms --sample-ms $sample_ms --access $access $pressure_args"
DEMOTION=1
EOF
	fi
	printf '%s\n' "$exec_cmd" > "$root/e2e/exec.sh"
	if [ -n "$base_conf" ]; then
		cp "$base_conf" "$root/e2e/tierd.conf.in" || return 1
	else
	cat > "$root/e2e/tierd.conf.in" <<EOF
# generated by tests/e2e/run-e2e.sh, scenario $scenario
[nodes]
# auto: the kernel's tiers (6.12 with HMAT) or the CPU-less rule (6.1)
slow = auto
fast = auto

[sources]
private_node = auto
soft_dirty = on
rearm_interval_ms = $rearm_ms

[hotness]
window_ms = 1000
threshold = 2
granule_kb = 4

[promotion]
enabled = $enabled
batch_pages = $batch_pages
rate_limit_mbps = $rate_mbps
min_free_mb = $min_free

[scope]
include_pids = @PID@

[control]
socket = $socket
EOF
	fi
	local kv sec key val
	for kv in "${conf_sets[@]}"; do
		sec=${kv%%.*} key=${kv#*.} key=${key%%=*} val=${kv#*=}
		if [ "$sec" = "$kv" ] || [ "$val" = "$kv" ] || [ -z "$key" ]; then
			echo "run-e2e: --set '$kv': expected SECTION.KEY=VALUE" >&2
			return 1
		fi
		# replace KEY inside [SEC], or add it at the end of [SEC]
		awk -v sec="[$sec]" -v key="$key" -v val="$val" '
			function flush() { if (in_sec && !done) { print key " = " val; done = 1 } }
			/^\[/ { flush(); in_sec = ($0 == sec); seen = seen || in_sec }
			in_sec && $1 == key { print key " = " val; done = 1; next }
			{ print }
			END { flush(); if (!seen) { print ""; print sec; print key " = " val } }' \
			"$root/e2e/tierd.conf.in" > "$root/e2e/tierd.conf.tmp" &&
			mv "$root/e2e/tierd.conf.tmp" "$root/e2e/tierd.conf.in" || return 1
	done
	# tierd-uffd: the workload opts itself in (libtierd-track), so tierd
	# starts first and finds it by name; the other sources stay out
	if [ "$scenario" = tierd-uffd ] && [ -z "$base_conf" ]; then
		sed -i 's/^soft_dirty = on$/soft_dirty = off\nnuma_hint = off\nuffd = on/;
			s/^private_node = auto$/private_node = off/;
			s/^include_pids = @PID@$/include_comms = e2e-workload/' \
			"$root/e2e/tierd.conf.in" || return 1
	fi
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initramfs.gz"
}

if [ -z "$judge_log" ]; then
build_initramfs || { echo "FAIL: could not build the initramfs in $work"; exit 1; }

# ---- boot -----------------------------------------------------------------

echo "run-e2e: scenario=$scenario access=$access reset_policy=$reset_policy kernel=${kernel_name:-path} ($kernel) accel=${E2E_ACCEL:-tcg} timeout=${timeout_s}s"
guest_boot
else
	cp "$judge_log" "$log" || exit 2
	timed_out=0 qemu_rc=0 elapsed_s=0
	echo "run-e2e: judging $judge_log as scenario $scenario"
fi

# ---- judge ----------------------------------------------------------------

# The console may carry \r and interleaved kernel lines; keep E2E lines only.
tr -d '\r' < "$log" > "$work/console.clean" 2>/dev/null
C=$work/console.clean

failures=()
passes=()
infos=()
failed_names=()
check() {	# check NAME OK(0/1) DETAIL
	if [ "$2" = 1 ]; then
		passes+=("$1: $3")
	else
		failures+=("$1: $3")
		failed_names+=("$1")
	fi
}

# kv LINE KEY: value of KEY=... in LINE
kv() {
	sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<<"$1" | head -n 1
}

infra_fail=
if [ "$timed_out" = 1 ]; then
	infra_fail="qemu killed after ${timeout_s}s timeout"
elif ! grep -q '^E2E-BEGIN' "$C"; then
	infra_fail="guest never reached /init (qemu rc=$qemu_rc: $(tail -n 3 "$work/qemu.out" | tr '\n' ' '))"
elif grep -q '^E2E-FATAL' "$C"; then
	infra_fail="guest: $(grep -m1 '^E2E-FATAL' "$C" | sed 's/^E2E-FATAL reason=//')"
elif ! grep -q '^E2E-END rc=0' "$C"; then
	infra_fail="guest did not finish its scenario (no E2E-END rc=0)"
fi

guest_judge_tiers "$C"

wl=$(grep -m1 '^E2E-WORKLOAD ' "$C")
# The rate checks use what tierd really ran with (defaults included).
effective() {	# effective KEY: value of KEY in tierctl config's output
	sed -n '/^E2E-EFFECTIVE-BEGIN/,/^E2E-EFFECTIVE-END/p' "$C" |
		sed -n "s/^$1 = \([^ ]*\)$/\1/p" | head -n 1
}
for pair in rate_mbps:rate_limit_mbps rearm_ms:rearm_interval_ms \
	    batch_pages:batch_pages min_free_mb:min_free_mb; do
	v=$(effective "${pair#*:}")
	[ -n "$v" ] && printf -v "${pair%%:*}" '%s' "$v"
done
final=$(grep -m1 '^E2E-PLACEMENT' "$C")
nr_hot=$(kv "$wl" hot)
nr_pages=$(kv "$wl" pages)
nr_cold=$(( ${nr_pages:-0} - ${nr_hot:-0} ))

# Timeline: t_ms, fraction of the hot set on node 0, pages on node 0.
timeline() {
	grep '^E2E-SAMPLE' "$C" | while read -r line; do
		t=$(kv "$line" t_ms); h0=$(kv "$line" hot_on0); c0=$(kv "$line" cold_on0)
		echo "$t $h0 $c0"
	done
}

if [ -z "$infra_fail" ] && [ -z "$final" ] && [ "$scenario" != exec ]; then
	infra_fail="the workload printed no E2E-PLACEMENT line"
fi

if [ -z "$infra_fail" ] && [ "$scenario" != exec ] && [ "$pressure" = 0 ]; then
	pop=$(grep -m1 '^E2E-POPULATED' "$C")
	pop_on1=$(( $(kv "$pop" hot_on1) + $(kv "$pop" cold_on1) ))
	check populated_on_slow $([ "$pop_on1" = "$nr_pages" ] && echo 1 || echo 0) \
		"$pop_on1 of $nr_pages pages on node 1 after populating"

	hot0=$(kv "$final" hot_on0)
	cold0=$(kv "$final" cold_on0)
	first95=$(timeline | awk -v n="$nr_hot" -v p="$hot_min_pct" \
		'$2 * 100 >= n * p { print $1; exit }')
	first90=$(timeline | awk -v n="$nr_hot" '$2 * 100 >= n * 90 { print $1; exit }')
	echo "timeline (t_ms hot_on_node0/$nr_hot cold_on_node0/$nr_cold):"
	timeline | awk '{ printf "  %6d ms  hot %5d (%5.1f%%)  cold %5d\n", $1, $2, 100 * $2 / '"$nr_hot"', $3 }'
fi

ms_or_never() {
	if [ -n "$1" ]; then echo "$1 ms"; else echo never; fi
}

judge_placement() {
	local ok
	ok=$([ $((hot0 * 100)) -ge $((nr_hot * hot_min_pct)) ] && echo 1 || echo 0)
	if [ "$ok" = 1 ] && [ -n "$hot_within_ms" ] &&
	   { [ -z "$first95" ] || [ "$first95" -gt "$hot_within_ms" ]; }; then
		check hot_promoted 0 "hot set too slow: ${hot_min_pct}% of it on node 0 first at ${first95:-never} ms, later than the ${hot_within_ms} ms required"
	elif [ "$ok" = 1 ]; then
		check hot_promoted 1 "$hot0/$nr_hot hot pages on node 0 (>= ${hot_min_pct}% first seen at ${first95} ms of ${duration_ms} ms)"
	else
		check hot_promoted 0 "hot pages stayed on node 1: only $hot0/$nr_hot on node 0 at the end of the ${duration_ms} ms run (need ${hot_min_pct}%)"
	fi
	ok=$([ $((cold0 * 100)) -le $((nr_cold * cold_max_pct)) ] && echo 1 || echo 0)
	check cold_kept "$ok" "$cold0/$nr_cold cold pages moved to node 0 (limit ${cold_max_pct}%)"
}

# jq: shallowest numeric field named $1 in the stats JSON (global counters
# sit above per-pid/per-node ones that reuse names).
stat() {
	jq -r --arg k "$1" '[paths(type == "number") as $p | select($p[-1] == $k)
		| {d: ($p | length), v: getpath($p)}] | sort_by(.d) | .[0].v // empty' \
		"$work/stats.json" 2>/dev/null
}

judge_tierd() {
	sed -n '/^E2E-STATS-BEGIN/,/^E2E-STATS-END/p' "$C" | sed '1d;$d' > "$work/stats.json"
	if ! jq -e . "$work/stats.json" >/dev/null 2>&1; then
		check stats_json 0 "tierctl stats --json did not print valid JSON ($(grep -m1 '^E2E-STATS-END' "$C"))"
		return
	fi
	local pp pb up moved limit_b burst_b span_ms
	pp=$(stat promoted_pages); pb=$(stat promoted_bytes); up=$(stat uptime_ms)
	moved=$((hot0 + cold0))
	# tierd may promote a few pages after the workload's last query and
	# before tierctl asked, so the counter may exceed what the workload saw
	# by at most one batch; it may never be lower.
	if [ -z "$pp" ]; then
		check stats_agree 0 "no promoted_pages counter in tierctl stats --json"
	elif [ "$pp" -ge "$moved" ] && [ "$pp" -le $((moved + batch_pages)) ]; then
		check stats_agree 1 "tierd promoted_pages=$pp, workload sees $moved pages on node 0"
	else
		check stats_agree 0 "tierd promoted_pages=$pp but the workload sees $moved pages on node 0"
	fi

	# Rate: bytes over tierd's lifetime, and page deltas between samples.
	# One burst is what tierd's token bucket holds when full: the rate
	# over max(1 s, two re-arm intervals), at least one page.
	span_ms=$((2 * rearm_ms)); [ "$span_ms" -lt 1000 ] && span_ms=1000
	burst_b=$((rate_mbps * 1048576 * span_ms / 1000))
	[ "$burst_b" -lt 4096 ] && burst_b=4096
	if [ "$scenario" = tierd ] && [ -n "$pb" ] && [ -n "$up" ]; then
		limit_b=$(( rate_mbps * 1048576 * up / 1000 + burst_b ))
		check rate_limit $([ "$pb" -le "$limit_b" ] && echo 1 || echo 0) \
			"promoted_bytes=$pb in ${up} ms, limit ${rate_mbps} MiB/s + burst = $limit_b"
		local worst
		# the 100 ms covers the placement query's own duration
		worst=$(timeline | awk -v r="$rate_mbps" -v b="$burst_b" '
			NR > 1 { moved = ($2 + $3 - p) * 4096; allow = r * 1048576 * ($1 - t + 100) / 1000 + b;
				 if (moved - allow > w) w = moved - allow; if (moved > m) m = moved }
			{ t = $1; p = $2 + $3 } END { printf "%d %d\n", w, m }')
		check rate_timeline $([ "${worst% *}" -le 0 ] && echo 1 || echo 0) \
			"largest bytes moved between samples: ${worst#* } (allowed ${rate_mbps} MiB/s x (interval + 100 ms) + $burst_b)"
	fi

	# With promotion off, the failure must be "not moved", not "not seen".
	if [ "$scenario" = tierd-disabled ]; then
		local live tracked hotf
		live=$(sed -n '/^E2E-LIVESTATS-BEGIN/,/^E2E-LIVESTATS-END/p' "$C" | sed '1d;$d')
		tracked=$(jq -r '[.. | objects | select(has("folios_tracked")) | .folios_tracked] | add // empty' \
			<<<"$live" 2>/dev/null)
		hotf=$(jq -r '[.. | objects | select(has("folios_hot")) | .folios_hot] | add // empty' \
			<<<"$live" 2>/dev/null)
		check hot_set_seen $([ $(( ${tracked:-0} * 100 )) -ge $((nr_hot * hot_min_pct)) ] && echo 1 || echo 0) \
			"with [promotion] enabled = no tierd still tracked ${tracked:-no} folios (${hotf:-?} rated hot) of the $nr_hot-page hot set 2 s before the end"
	fi
	# tierctl status explains each node: on a kernel that ranks tiers,
	# from the tiers; elsewhere from HMAT or the CPU-less rule.
	local st1
	# (tierd-uffd prints its status once the workload has opted in, as
	# E2E-TRACK-STATUS, instead of the plain E2E-STATUS block)
	st1=$(sed -n '/^E2E-\(TRACK-\)\?STATUS-BEGIN/,/^E2E-\(TRACK-\)\?STATUS-END/p' "$C" | grep -m1 '^node: *1 ')
	if [ -n "$tiers_pass" ]; then
		check status_tiers $(grep -q 'slow: memory_tier[0-9]*, below memory_tier' <<<"$st1" && echo 1 || echo 0) \
			"tierctl status: ${st1:-no line for node 1}"
	else
		check status_tiers $(grep -q '^node: *1 *slow *slow: ' <<<"$st1" && echo 1 || echo 0) \
			"tierctl status: ${st1:-no line for node 1}"
	fi
	# Why the hot set may be short: what tierd's policy did with it.
	infos+=("tierd policy: passes=$(stat intervals) candidates=$(stat candidates) rate_limited=$(stat rate_limited) cooldown_skipped=$(stat cooldown_skipped) move_calls=$(stat move_calls) status.already=$(stat already)")
	# Information, not a check: how close to the limit promotion ran.
	if [ -n "$first95" ] && [ "$first95" -gt 0 ]; then
		infos+=("hot set reached ${hot_min_pct}% at ${first95} ms: $(awk -v p="$hot0" -v t="$first95" \
			'BEGIN { printf "%.2f", p * 4096 / 1048576 / (t / 1000) }') MiB/s effective vs ${rate_mbps} MiB/s limit")
	fi

	local minfree
	minfree=$(grep '^E2E-NODE0-FREE' "$C" | sed 's/.* kb=//' | sort -n | head -n 1)
	if [ "$scenario" = tierd-headroom ]; then
		local hb
		hb=$(stat headroom_blocked)
		check headroom $([ "$moved" = 0 ] && [ "${hb:-0}" -gt 0 ] && echo 1 || echo 0) \
			"min_free_mb=2048 exceeds node 0: $moved pages moved, headroom_blocked=${hb:-missing}"
	elif [ -n "$minfree" ]; then
		check headroom $([ "$minfree" -ge $((min_free_mb * 1024)) ] && echo 1 || echo 0) \
			"node 0 MemFree never below $((minfree / 1024)) MiB (min_free_mb=$min_free_mb)"
	fi

	local ex
	ex=$(grep -m1 '^E2E-TIERD-EXIT' "$C")
	if [ "$(kv "$ex" rc)" = 0 ] && [ "$(kv "$ex" socket_gone)" = 1 ]; then
		check clean_shutdown 1 "SIGTERM: exit 0 in $(kv "$ex" after_ms) ms, socket removed"
	else
		check clean_shutdown 0 "SIGTERM: exit status $(kv "$ex" rc), socket_gone=$(kv "$ex" socket_gone)"
	fi
	local cpu
	cpu=$(grep -m1 '^E2E-TIERD-CPU' "$C")
	[ -n "$cpu" ] && echo "tierd CPU time: $(( $(kv "$cpu" ticks) * 10 )) ms"
}

# Kernel tiering was on (mode 2, its default rate) before tierd started.
judge_mover() {
	sed -n '/^E2E-STATS-BEGIN/,/^E2E-STATS-END/p' "$C" | sed '1d;$d' > "$work/stats.json"
	local pp st after take
	pp=$(stat promoted_pages)
	st=$(sed -n '/^E2E-STATUS-BEGIN/,/^E2E-STATUS-END/p' "$C" | sed -n 2p)
	after=$(grep -m1 '^E2E-NB-AFTER' "$C")
	take=$(effective take_over)
	if [ "$take" = yes ]; then
		judge_placement
		check took_over $([ "${pp:-0}" -gt 0 ] && echo 1 || echo 0) \
			"take_over = yes: tierd promoted ${pp:-no} pages itself (status: $st)"
	else
		check refused $([ "${pp:-1}" = 0 ] &&
			grep -q 'observing (another mover is active)' <<<"$st" &&
			grep -q 'the kernel promotes itself' <<<"$st" && echo 1 || echo 0) \
			"take_over = no: tierd promoted ${pp:-?} pages; status: $st"
	fi
	check restored $([ "$(kv "$after" mode)" = 2 ] &&
		[ "$(kv "$after" rate)" = 65536 ] && echo 1 || echo 0) \
		"after tierd stopped: $after (kernel.numa_balancing = 2 and rate 65536 before)"
}

# tierd-uffd: the userfaultfd source alone saw the hot set; how many
# tracking faults the workload took once its hot set lived in DRAM.
judge_uffd() {
	local acc held rep other
	acc=$(jq -r '.sources.uffd.descriptors_accepted // empty' "$work/stats.json")
	rep=$(jq -r '.sources.uffd.pages_reported // empty' "$work/stats.json")
	other=$(jq -r '[.sources | to_entries[] | select(.key != "uffd" and .value.active) | .key] | join(",")' "$work/stats.json")
	check uffd_source $([ "${acc:-0}" -ge 1 ] && [ "${rep:-0}" -gt 0 ] && [ -z "$other" ] && echo 1 || echo 0) \
		"descriptors_accepted=${acc:-missing} pages_reported=${rep:-missing}, other active sources: ${other:-none}"
	held=$(sed -n '/^E2E-LIVESTATS-BEGIN/,/^E2E-LIVESTATS-END/p' "$C" | sed '1d;$d' |
		jq -r '.sources.uffd.processes[0] | "\(.pid) \(.comm) \(.mode) ranges=\(.ranges) range_bytes=\(.range_bytes)"' 2>/dev/null)
	infos+=("uffd: held 2 s before the end: ${held:-none}; $(jq -r '.sources.uffd | "scans=\(.scans) scan_time_ns=\(.scan_time_ns) refreshes=\(.refreshes) refresh_time_ns=\(.refresh_time_ns) vmas_registered=\(.vmas_registered)"' "$work/stats.json")")
	infos+=("workload minor faults per sample (t_ms:faults): $(grep '^E2E-SAMPLE' "$C" | awk '{ t = ""; m = ""; for (i = 1; i <= NF; i++) { if ($i ~ /^t_ms=/) t = substr($i, 6); if ($i ~ /^minflt=/) m = substr($i, 8) } if (m != "") { printf "%s%s:%d", sep, t, m - p; sep = " "; p = m } }')")
}

# DRAM pressure: the fill part starts on node 0, so the placement rules do
# not apply; print what happened (bench/guest_compare.sh reads the log).
report_pressure() {
	local last
	echo "pressure: report only ($(kv "$wl" pages) pages, hot $(kv "$wl" hot), fill $(kv "$wl" fill_pages) on node 0 at start, sweep $(kv "$wl" sweep_s) s, churn $(kv "$wl" churn_mbps) MiB/s)"
	grep -E '^E2E-(MEMTIER demotion|WMARK|NB mode|DAMON )' "$C" | sed 's/^/  /'
	echo "  t_ms hot_on0/$(kv "$wl" hot) hit% seen_promoted seen_demoted seen_pingpongs"
	grep '^E2E-SAMPLE' "$C" | while read -r line; do
		echo "  $(kv "$line" t_ms) $(kv "$line" hot_on0) $(kv "$line" hit_pct) $(kv "$line" seen_promoted) $(kv "$line" seen_demoted) $(kv "$line" seen_pingpongs)"
	done
	grep -E '^E2E-(VMSTAT|KTHREAD-CPU|TIERD-CPU|DAMON-CPU|WORKLOAD-DONE)' "$C" | sed 's/^/  /'
	sed -n '/^E2E-STATS-BEGIN/,/^E2E-STATS-END/p' "$C" | sed '1d;$d' > "$work/stats.json"
	[ -s "$work/stats.json" ] &&
		infos+=("tierd: promoted_pages=$(stat promoted_pages) pingpongs=$(stat pingpongs) headroom_blocked=$(stat headroom_blocked) rate_limited=$(stat rate_limited)")
	last=$(grep -m1 '^E2E-WORKLOAD-DONE' "$C")
	passes+=("report: hit rate $(kv "$last" hit_pct)% over the run, $(kv "$final" hot_on0)/$(kv "$wl" hot) hot pages on node 0 at the end, $(kv "$final" seen_pingpongs) ping-pongs seen")
}

if [ -z "$infra_fail" ] && [ "$pressure" = 1 ]; then
	report_pressure
elif [ -z "$infra_fail" ]; then
	case "$scenario" in
	tierd|tierd-disabled)
		judge_placement
		judge_tierd
		;;
	tierd-uffd)
		judge_placement
		judge_tierd
		judge_uffd
		;;
	tierd-headroom)
		judge_tierd
		;;
	tierd-mover)
		judge_mover
		;;
	oracle|migratepages)
		judge_placement
		;;
	exec)
		sed -n '/^E2E-EXEC-BEGIN/,/^E2E-EXEC-END/p' "$C" | sed '1d;$d'
		ex=$(grep -m1 '^E2E-EXEC-END' "$C")
		check exec $([ "$(kv "$ex" rc)" = 0 ] && echo 1 || echo 0) "guest command exited $(kv "$ex" rc)"
		;;
	numa-balancing)
		echo "numa-balancing: report only ($(grep -m1 '^E2E-NB mode' "$C"))"
		grep '^E2E-MEMTIER' "$C" | sed 's/^/  /'
		grep '^E2E-VMSTAT' "$C" | sed 's/^/  /'
		grep '^E2E-KTHREAD-CPU' "$C" | sed 's/^/  /'
		echo "  kernel counters while the workload ran (every second sample):"
		grep '^E2E-NB-SAMPLE' "$C" | awk 'NR % 2 == 0' | sed 's/^E2E-NB-SAMPLE /    /'
		passes+=("report: $hot0/$nr_hot hot and $cold0/$nr_cold cold pages on node 0 at the end")
		infos+=("kernel promotion (access=$(kv "$wl" access)): hot set at 90% after $(ms_or_never "$first90"), at ${hot_min_pct}% after $(ms_or_never "$first95") of ${duration_ms} ms ($(grep -m1 '^E2E-NB ' "$C" | sed 's/^E2E-NB //'))")
		;;
	damon)
		echo "damon: report only"
		grep -E '^E2E-(DAMON|VMSTAT|KTHREAD-CPU)' "$C" | sed 's/^/  /'
		passes+=("report: $hot0/$nr_hot hot and $cold0/$nr_cold cold pages on node 0 at the end")
		infos+=("DAMON migrate_hot (access=$(kv "$wl" access)): hot set at 90% after $(ms_or_never "$first90"), at ${hot_min_pct}% after $(ms_or_never "$first95") of ${duration_ms} ms")
		;;
	esac
fi

echo "---- e2e summary: scenario=$scenario access=$access kernel=${kernel_name:-$kernel} (${elapsed_s}s) ----"
[ -n "$tiers_pass" ] && echo "  PASS tiers: $tiers_pass"
for p in "${passes[@]}"; do echo "  PASS $p"; done
for f in "${failures[@]}"; do echo "  FAIL $f"; done
[ -n "$tiers_info" ] && echo "  INFO tiers: $tiers_info"
for i in "${infos[@]}"; do echo "  INFO $i"; done
[ -n "$tiers_fail" ] && echo "  FAIL tiers: $tiers_fail"
[ -n "$infra_fail" ] && echo "  FAIL run: $infra_fail"

result=PASS
[ -n "$infra_fail" ] || [ -n "$tiers_fail" ] || [ ${#failures[@]} -gt 0 ] && result=FAIL

keep_log() {
	local dest
	mkdir -p "$artifact_dir" 2>/dev/null
	dest=$artifact_dir/tierd-e2e-$scenario-$(date +%Y%m%d-%H%M%S).log
	cp "$log" "$dest" 2>/dev/null && echo "console log: $dest"
}

if [ -n "$expect_fail" ]; then
	if [ -n "$infra_fail" ] || [ -n "$tiers_fail" ]; then
		echo "RESULT: FAIL (expected check '$expect_fail' to fail, but the run itself failed)"
		keep_log
		exit 1
	fi
	for n in "${failed_names[@]}"; do
		if [ "$n" = "$expect_fail" ]; then
			echo "RESULT: PASS (expected failure of '$expect_fail' observed)"
			[ "$keep" = 1 ] && keep_log
			exit 0
		fi
	done
	echo "RESULT: FAIL (check '$expect_fail' was expected to fail but did not)"
	keep_log
	exit 1
fi

echo "RESULT: $result"
if [ "$result" = FAIL ] || [ "$keep" = 1 ]; then
	keep_log
fi
[ "$result" = PASS ]
