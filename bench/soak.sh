#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Soak: tierd for --minutes in the two-node e2e guest (tests/e2e/guest-lib.sh:
# Debian 6.12, HMAT tiers, node 1 slow) while soak-churn workers come and go
# (bench/soak-init.sh).  Prints a table sampled every --sample-s seconds:
# tierd's RSS and descriptors, its tick lag and run time, promotions and the
# hotness table, then a short summary.  A figure, not a test: ctest does not
# run it.  It holds the machine-wide guest lock for the whole run.
#
#   bench/soak.sh BUILD_DIR [--minutes 32] [--sample-s 30] [--workers 4]
#                 [--kernel 6.12] [--keep] [--log FILE]
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: $0 BUILD_DIR [--minutes M] [--sample-s S] [--workers N] [--kernel K] [--keep] [--log FILE]}
shift
minutes=32 sample_s=30 workers=4 kernel=6.12 keep=0 keep_log=
while [ $# -gt 0 ]; do
	case "$1" in
	--minutes) minutes=$2; shift ;;
	--sample-s) sample_s=$2; shift ;;
	--workers) workers=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--keep) keep=1 ;;
	--log) keep_log=$2; shift ;;
	*) echo "soak: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
tierd_bin=$build/daemon/tierd tierctl_bin=$build/daemon/tierctl
churn_bin=$build/bench/soak-churn
for b in "$tierd_bin" "$tierctl_bin" "$churn_bin"; do
	[ -x "$b" ] || { echo "soak: $b missing (cmake --build $build)" >&2; exit 2; }
done

. "$here/../tests/e2e/guest-lib.sh"
guest_need_tools
guest_workdir soak tierd-soak
timeout_s=$((minutes * 60 + 300))

mkdir -p "$root"/{bin,sbin,proc,sys,dev,run,tmp,e2e/bin,etc}
cp "$busybox" "$root/bin/busybox"
install -m 0755 "$here/soak-init.sh" "$root/init"
copy_with_libs "$tierd_bin" /e2e/bin/tierd
copy_with_libs "$tierctl_bin" /e2e/bin/tierctl
copy_with_libs "$churn_bin" /e2e/bin/soak-churn
echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
cat > "$root/e2e/params" <<P
SOAK_S=$((minutes * 60))
SAMPLE_S=$sample_s
NR_WORKERS=$workers
P
# The shipped defaults, but for the 1 GiB DRAM node's headroom, a scope
# by name (workers come and go) and a rate that keeps promotion busy.
cat > "$root/e2e/tierd.conf" <<C
[nodes]
slow = auto
fast = auto
[sources]
soft_dirty = on
numa_hint = auto
[promotion]
rate_limit_mbps = 16
min_free_mb = 64
[scope]
include_comms = soak-churn
[control]
socket = /run/tierd/tierd.sock
C
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initramfs.gz"

echo "soak: $minutes min, sample every ${sample_s}s, $workers workers, kernel ${kernel_name:-$kernel}, started $(date -u '+%Y-%m-%d %H:%M UTC')"
guest_boot
tr -d '\r' < "$log" > "$work/console"
C=$work/console
[ -n "$keep_log" ] && cp "$C" "$keep_log"

if ! grep -q '^SOAK-END rc=0' "$C"; then
	echo "soak: the guest did not finish (timed_out=$timed_out, qemu rc=$qemu_rc)"
	grep -E '^SOAK-FATAL' "$C"
	tail -n 30 "$C"
	keep=1
	exit 1
fi

kv() {	# kv LINE KEY
	sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<<" $1" | head -n 1
}

# one JSON file per sample
awk -v d="$work" '/^SOAK-STATS-BEGIN/ { t = $2; sub("t_s=", "", t); f = d "/stats." t ".json"; next }
	/^SOAK-STATS-END/ { f = ""; next } f { print > f }' "$C"

printf '%6s %8s %8s %4s %7s %6s %9s %8s %9s %9s %8s %7s %7s %6s\n' \
	t_s rss_kb hwm_kb fds cpu_s workers ticks lag_max late100 run_avg_us promoted table rb_drop exited
prev_int=0 prev_run=0
while read -r line; do
	t=$(kv "$line" t_s)
	j=$work/stats.$t.json
	[ -f "$j" ] || continue
	read -r ints run lag late prom size drops < <(jq -r '[.policy.intervals, .loop.tick_run_us,
		.loop.tick_lag_max_us, .loop.ticks_late_100ms, .migrator.promoted_pages,
		.table.size, ([.sources[].rb_drops] | add)] | @tsv' "$j")
	d=$((ints - prev_int))
	avg=$([ "$d" -gt 0 ] && echo $(( (run - prev_run) / d )) || echo -)
	prev_int=$ints prev_run=$run
	printf '%6s %8s %8s %4s %7s %6s %9s %8s %9s %9s %8s %7s %7s %6s\n' "$t" \
		"$(kv "$line" rss_kb)" "$(kv "$line" hwm_kb)" "$(kv "$line" fds)" \
		"$(( $(kv "$line" cpu_ticks) / 100 ))" "$(kv "$line" workers)" \
		"$ints" "$lag" "$late" "$avg" "$prom" "$size" "$drops" "$(kv "$line" exited)"
done < <(grep '^SOAK-SAMPLE' "$C")

first=$(grep -m1 '^SOAK-SAMPLE' "$C"); last=$(grep '^SOAK-SAMPLE' "$C" | tail -n 1)
nw=$(grep -c '^SOAK-WORKER-EXIT' "$C")
bad=$(grep '^SOAK-WORKER-EXIT' "$C" | sed -n 's/.* bad=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
badrc=$(grep '^SOAK-WORKER-EXIT' "$C" | grep -vc ' rc=0 ')
echo "summary: $(( $(kv "$last" t_s) / 60 )) min sampled; workers: $nw exited (tags wrong: $bad; non-zero exits: $badrc)"
echo "  tierd RSS $(kv "$first" rss_kb) -> $(kv "$last" rss_kb) kB (peak $(kv "$last" hwm_kb) kB), fds $(kv "$first" fds) -> $(kv "$last" fds)"
echo "  $(grep -m1 '^SOAK-TIERD-EXIT' "$C")"
lastj=$work/stats.$(kv "$last" t_s).json
jq -c '{loop, migrator: {move_calls: .migrator.move_calls, promoted_pages: .migrator.promoted_pages, status: .migrator.status}, policy: {pingpongs: .policy.pingpongs, candidates: .policy.candidates}}' "$lastj"
echo "  tierd warnings and errors (last 40):"
sed -n '/^SOAK-LOG-BEGIN/,/^SOAK-LOG-END/p' "$C" | sed '1d;$d' | sed 's/^/    /'
