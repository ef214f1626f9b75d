#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The real tierd.service under systemd as PID 1, in the two-node NUMA guest
# of run-e2e.sh (docs/e2e.md), root from systemd-guest.sh.  The unit is the
# build's generated tierd.service, byte for byte: tierd and tierctl are
# installed at the paths its ExecStart= and ExecReload= name and tierd
# reads the default /etc/tierd.conf.  The only addition is a drop-in that
# makes the watchdog and the restart delay short and lifts the start rate
# limit, so the checks fit in seconds.
#
# A service started at boot (sdu-check) drives systemctl, tierctl,
# journalctl and two e2e-workload processes and prints SDU-* lines on the
# serial console; this script judges them:
#   - start (Type=notify, READY), the capability sets, NoNewPrivs;
#   - numa_hint active under the hardening (CAP_SYS_ADMIN, the two sysctl
#     files writable under ProtectKernelTunables=yes) and a read-hot set
#     promoted through it;
#   - systemctl reload failing, with the reason in the journal and in
#     systemctl status, for a rejected file, and succeeding for a good one;
#   - the watchdog; the journal fields (TIERD_SOURCE=, TIERD_NODE=,
#     TIERD_SETTING=);
#   - tierd killed (SIGSEGV, then SIGKILL) at random points while it
#     promotes, restarted by systemd each time: every start READY and sane,
#     the sysctls re-owned, no page lost or duplicated (the workloads'
#     checksums), the rate limit held across the restarts;
#   - a clean stop that gives the sysctls their values from before start.
#
# Exit: 0 PASS, 1 FAIL, 77 SKIP (no qemu/kernel/busybox/systemd), 2 usage.
set -uo pipefail

tierd_bin= tierctl_bin= workload_bin= unit=
timeout_s=${E2E_TIMEOUT:-300}
artifact_dir=${E2E_ARTIFACT_DIR:-${TMPDIR:-/tmp}}
kernel=${E2E_KERNEL:-}
keep=0
verbose=0
watchdog_s=3
kills=10
# the crash loop promotes at this rate; its token bucket holds one second
loop_rate_mbps=1

usage() {
	cat <<EOF
usage: $0 --unit tierd.service --tierd PATH --tierctl PATH --workload PATH [options]
  --unit PATH        the generated tierd.service (build dir)
  --kills N          restarts in the crash loop (default $kills)
  --timeout S        bound on the whole qemu run (default $timeout_s)
  --artifacts DIR    where the console log is kept on failure
  --kernel K         guest kernel: 6.12 (default), 6.1 or a path (guest-lib.sh)
  --keep             keep the console log and initramfs even on PASS
  -v                 echo the console log while it is written
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--unit) unit=$2; shift ;;
	--tierd) tierd_bin=$2; shift ;;
	--tierctl) tierctl_bin=$2; shift ;;
	--workload) workload_bin=$2; shift ;;
	--kills) kills=$2; shift ;;
	--timeout) timeout_s=$2; shift ;;
	--artifacts) artifact_dir=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--keep) keep=1 ;;
	-v) verbose=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "systemd-unit: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

for pair in "--tierd:$tierd_bin" "--tierctl:$tierctl_bin" "--workload:$workload_bin"; do
	opt=${pair%%:*} path=${pair#*:}
	[ -n "$path" ] || { echo "systemd-unit: $opt PATH is required" >&2; exit 2; }
	[ -x "$path" ] || { echo "systemd-unit: $opt: '$path' is not an executable" >&2; exit 2; }
done
[ -n "$unit" ] && [ -r "$unit" ] ||
	{ echo "systemd-unit: --unit: '$unit' is not a readable unit file" >&2; exit 2; }
case "$kills" in
''|*[!0-9]*|0) echo "systemd-unit: --kills: '$kills' is not a positive number" >&2; exit 2 ;;
esac

. "$(dirname "$0")/guest-lib.sh"
. "$(dirname "$0")/systemd-guest.sh"
guest_need_tools
sd_need_tools
# Where the unit runs tierd and tierctl from, and the capability mask it
# promises.
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit" | head -n 1)
exec_reload=$(sed -n 's/^ExecReload=\([^ ]*\).*/\1/p' "$unit" | head -n 1)
for p in "$exec_start" "$exec_reload"; do
	case "$p" in
	/*) ;;
	*) echo "systemd-unit: $unit: no absolute ExecStart=/ExecReload= path ('$p')" >&2; exit 2 ;;
	esac
done
socket=/run/tierd/tierd.sock

cap_bit() {
	case "$1" in
	CAP_CHOWN) echo 0 ;; CAP_DAC_OVERRIDE) echo 1 ;; CAP_DAC_READ_SEARCH) echo 2 ;;
	CAP_FOWNER) echo 3 ;; CAP_KILL) echo 5 ;; CAP_SETGID) echo 6 ;; CAP_SETUID) echo 7 ;;
	CAP_NET_ADMIN) echo 12 ;; CAP_IPC_LOCK) echo 14 ;; CAP_SYS_PTRACE) echo 19 ;;
	CAP_SYS_ADMIN) echo 21 ;; CAP_SYS_NICE) echo 23 ;; CAP_SYS_RESOURCE) echo 24 ;;
	CAP_PERFMON) echo 38 ;; CAP_BPF) echo 39 ;;
	*) return 1 ;;
	esac
}
caps_line=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
[ -n "$caps_line" ] || { echo "systemd-unit: $unit has no CapabilityBoundingSet=" >&2; exit 2; }
cap_mask=0
for c in $caps_line; do
	bit=$(cap_bit "$c") || { echo "systemd-unit: $unit: capability '$c' not in this script's table; add it" >&2; exit 2; }
	cap_mask=$(( cap_mask | (1 << bit) ))
done
cap_hex=$(printf '%016x' "$cap_mask")

guest_workdir systemd-unit tierd-sdu

# ---- guest root -------------------------------------------------------------

build_root() {
	sd_root_base || return 1
	copy_with_libs "$tierd_bin" "$exec_start" || return 1
	copy_with_libs "$tierctl_bin" "$exec_reload" || return 1
	ln -sf "$exec_reload" "$root/usr/bin/tierctl" 2>/dev/null
	copy_with_libs "$workload_bin" /usr/bin/e2e-workload || return 1

	install -m 0644 "$unit" "$root/usr/lib/systemd/system/tierd.service" || return 1
	mkdir -p "$root/etc/systemd/system/tierd.service.d" || return 1
	cat > "$root/etc/systemd/system/tierd.service.d/50-e2e.conf" <<EOF
# tests/e2e/systemd-unit.sh: a short watchdog and restart delay, and no
# start rate limit (the crash loop restarts tierd $kills times), so the
# test is short
[Unit]
StartLimitIntervalSec=0

[Service]
WatchdogSec=${watchdog_s}s
RestartSec=200ms
EOF

	cat > "$root/sdu/params" <<EOF
SOCKET=$socket
TIERD_BIN=$exec_start
WATCHDOG_S=$watchdog_s
KILLS=$kills
LOOP_RATE=$loop_rate_mbps
EOF
	cat > "$root/etc/tierd.conf" <<EOF
# generated by tests/e2e/systemd-unit.sh
[nodes]
slow = 1
fast = 0

[sources]
private_node = auto
soft_dirty = on
numa_hint = on
rearm_interval_ms = 200

[hotness]
window_ms = 1000
threshold = 2
granule_kb = 4

[promotion]
enabled = yes
batch_pages = 64
rate_limit_mbps = 2
min_free_mb = 64

[scope]
include_comms = e2e-workload

[control]
socket = $socket
EOF
	sd_root_finish
}

# The guest side.  It reports raw values; the host decides.  It only gives up
# by itself (SDU-FATAL) when a wait is over its bound, so a hang is named.
write_check() {
	sd_check_prelude
	cat <<'EOF'
stat_num() {	# stat_num KEY: first "KEY": N in tierctl stats --json
	tierctl stats --json 2>/dev/null | grep -o "\"$1\": *[0-9]*" |
		head -n 1 | sed 's/.*: *//'
}
vmstat() { sed -n "s/^$1 //p" /proc/vmstat; }
now_us() { sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\20000/' /proc/uptime; }
nb() { echo "nb=$(cat /proc/sys/kernel/numa_balancing) nb_rate=$(cat /proc/sys/kernel/numa_balancing_promote_rate_limit_MBps)"; }
record_pid() { sed -n 's/^pid //p' /run/tierd/owned-settings 2>/dev/null; }
# checksum W: ask workload W (1 or 2) for its checksum, print it
checksum() {
	eval "wp=\$W$1"
	wout=/tmp/w$1.out
	ncs=$(grep -c '^E2E-CHECKSUM' $wout)
	kill -USR1 "$wp"
	more() { [ "$(grep -c '^E2E-CHECKSUM' $wout)" -gt "$ncs" ]; }
	wait_until 30 more || echo "SDU-NOTE workload $1 gave no checksum in 30 s"
	echo "SDU-CHECKSUM w=$1 $(grep '^E2E-CHECKSUM phase=populated' /tmp/w$1.out | sed 's/.* sum=\([^ ]*\).*/populated=\1/') $(grep '^E2E-CHECKSUM' /tmp/w$1.out | tail -n 1 | sed 's/^E2E-CHECKSUM //') $(grep '^E2E-REQUESTED' /tmp/w$1.out | tail -n 1 | sed 's/^E2E-REQUESTED //')"
}

echo "SDU-BEGIN pid1=$(cat /proc/1/comm) $(systemctl --version | head -n 1 | tr ' ' '_')"
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
# Values of our own before tierd starts, so that "back as it was" means
# something: NUMA balancing off, a promotion rate limit nobody would pick.
echo 0 > /proc/sys/kernel/numa_balancing
echo 4321 > /proc/sys/kernel/numa_balancing_promote_rate_limit_MBps
# Debian's kernels default to perf_event_paranoid=3: no perf_event_open
# without CAP_SYS_ADMIN or CAP_PERFMON.
echo "SDU-ENV state=$(systemctl is-system-running) cgroup=$(awk '$2 == "/sys/fs/cgroup" { print $3 }' /proc/mounts) perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid) $(nb)"

# Two workloads on node 1, waiting for SIGUSR2: W1 a read-hot set (only
# NUMA-hinting faults see it; its policy is reset so they reach it), W2 a
# write-hot set (soft-dirty sees it within two re-arms of a start) larger
# than the crash loop can move at its rate, so every restarted tierd has
# candidates at once and the rate limit, not the workload, bounds it.
e2e-workload --size-mb 32 --hot-pages 512 --access read --reset-policy \
	--checksum --duration-ms 600000 --sample-ms 600000 --wait-go > /tmp/w1.out 2>&1 &
e2e-workload --size-mb 96 --hot-pages 12288 --access write \
	--checksum --duration-ms 600000 --sample-ms 600000 --wait-go > /tmp/w2.out 2>&1 &
wl_ready() { grep -q '^E2E-READY' /tmp/w1.out && grep -q '^E2E-READY' /tmp/w2.out; }
wait_until 90 wl_ready || { cat /tmp/w1.out /tmp/w2.out; fatal "workloads not ready in 90 s"; }
W1=$(sed -n 's/^E2E-READY pid=\([0-9]*\).*/\1/p' /tmp/w1.out)
W2=$(sed -n 's/^E2E-READY pid=\([0-9]*\).*/\1/p' /tmp/w2.out)

# --- start: Type=notify --------------------------------------------------
systemctl start tierd
rc=$?
# Sampled right after systemctl returned: StatusText only comes from tierd's
# READY=1 message, so it being set here shows start waited for READY=1.
echo "SDU-START rc=$rc active=$(systemctl is-active tierd) sub=$(prop SubState) type=$(prop Type) socket=$([ -S $SOCKET ] && echo 1 || echo 0)"
echo "SDU-STATUSTEXT $(prop StatusText)"
[ $rc = 0 ] || fatal "systemctl start tierd failed with $rc"
PID=$(prop MainPID)
echo "SDU-PROC pid=$PID exe=$(readlink /proc/$PID/exe) $(grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/$PID/status | tr -d '\t' | tr ':' '=' | tr '\n' ' ')"
echo "SDU-RUNNING $(nb) record_pid=$(record_pid) record_lines=$(grep -c '^sysctl numa_hint ' /run/tierd/owned-settings 2>/dev/null) rundir=$(stat -c 'mode=%a,owner=%U' /run/tierd)"
echo "SDU-CTL-STATUS $(tierctl status 2>&1 | grep -E '^source: +numa_hint ' | head -n 1)"

# --- a read-hot set promoted through numa_hint ------------------------------
kill -USR2 $W1
t0=$(now_us)
hot() { p=$(stat_num promoted_pages); [ "${p:-0}" -ge 487 ]; }
wait_until 90 hot || echo "SDU-NOTE fewer than 487 pages promoted after 90 s"
echo "SDU-READHOT after_ms=$(( ($(now_us) - t0) / 1000 )) promoted_pages=$(stat_num promoted_pages)"
checksum 1
echo "SDU-STATS-BEGIN"
tierctl stats --json
echo "SDU-STATS-END rc=$?"

# --- reload: a rejected file fails systemctl reload ---------------------------
tierctl config > /tmp/cfg.before
cp /etc/tierd.conf /tmp/good.conf
sed 's/^threshold = .*/threshold = banana/' /tmp/good.conf > /etc/tierd.conf
systemctl reload tierd
rc=$?
tierctl config > /tmp/cfg.after
cmp -s /tmp/cfg.before /tmp/cfg.after && same=1 || same=0
echo "SDU-RELOAD-BAD rc=$rc active=$(systemctl is-active tierd) pid=$(prop MainPID) reload_failures=$(stat_num reload_failures) reloads=$(stat_num reloads) config_unchanged=$same"
echo "SDU-RELOAD-BAD-JOURNAL $(journalctl -b --no-pager -u tierd -t tierctl -o cat | grep -m 1 banana)"
echo "SDU-RELOAD-BAD-STATUS $(systemctl status --no-pager -l -n 20 tierd | grep -m 1 'tierctl.*banana' | sed 's/^ *//')"
echo "SDU-RELOAD-BAD-EXEC $(systemctl status --no-pager -l tierd | grep -m 1 'ExecReload=' | sed 's/^ *//')"

# --- reload: applied; W2 starts, held back by a headroom over node 0 ---------
sed "s/^rate_limit_mbps = .*/rate_limit_mbps = $LOOP_RATE/; s/^min_free_mb = .*/min_free_mb = 4096/" \
	/tmp/good.conf > /etc/tierd.conf
systemctl reload tierd
rc=$?
echo "SDU-RELOAD-GOOD rc=$rc active=$(systemctl is-active tierd) pid=$(prop MainPID) reloads=$(stat_num reloads) reload_failures=$(stat_num reload_failures) rate_limit_mbps=$(tierctl config | sed -n 's/^rate_limit_mbps = //p') min_free_mb=$(tierctl config | sed -n 's/^min_free_mb = //p')"
kill -USR2 $W2
pp0=$(stat_num promoted_pages)

# --- watchdog (and the headroom holding) -------------------------------------
ts0=$(prop WatchdogTimestampMonotonic)
pid0=$(prop MainPID)
sleep $((WATCHDOG_S * 3))
echo "SDU-WATCHDOG usec=$(prop WatchdogUSec) slept_s=$((WATCHDOG_S * 3)) active=$(systemctl is-active tierd) pid_before=$pid0 pid_after=$(prop MainPID) nrestarts=$(prop NRestarts) ping_before=$ts0 ping_after=$(prop WatchdogTimestampMonotonic)"
echo "SDU-HEADROOM promoted_before=$pp0 promoted_after=$(stat_num promoted_pages) headroom_blocked=$(stat_num headroom_blocked)"
sed "s/^rate_limit_mbps = .*/rate_limit_mbps = $LOOP_RATE/" /tmp/good.conf > /etc/tierd.conf
systemctl reload tierd
echo "SDU-RELOAD-BACK rc=$? reloads=$(stat_num reloads) min_free_mb=$(tierctl config | sed -n 's/^min_free_mb = //p')"
again() { journalctl -b -u tierd TIERD_NODE=0 -o cat | grep -q 'promoting to it again'; }
wait_until 20 again || echo "SDU-NOTE no 'promoting to it again' in 20 s"

# --- the journal's fields ------------------------------------------------------
echo "SDU-J-SOURCE $(journalctl -b -u tierd TIERD_SOURCE=numa_hint -o json --no-pager | grep -m 1 'source numa_hint: active')"
echo "SDU-J-NODE-LOW $(journalctl -b -u tierd TIERD_NODE=0 -o json --no-pager | grep -m 1 'no promotion to it')"
echo "SDU-J-NODE-AGAIN $(journalctl -b -u tierd TIERD_NODE=0 -o json --no-pager | grep -m 1 'promoting to it again')"

# --- crash loop: killed while promoting, restarted by systemd -------------------
# Lives count from the exec (ExecMainStartTimestamp), before tierd makes
# its token bucket, to the kill: a killed tierd moves nothing more (the
# instance alive when the loop starts counts from then).  READY came up to
# a few hundred ms after the bucket under TCG, and a tierd that promotes
# every 100 ms spends what its bucket gathered in that time.
l0=$(now_us)
m0=$(vmstat pgmigrate_success)
p0=$(vmstat pgpromote_success)
m_prev=$m0
prev=$PID
life0=$l0
alive_us=0
i=1
while [ $i -le $KILLS ]; do
	sig=KILL
	[ $i = 1 ] && sig=SEGV
	usleep $(( (RANDOM % 1000 + 300) * 1000 ))
	kill -$sig $prev
	k_us=$(now_us)
	m_kill=$(vmstat pgmigrate_success)
	alive_us=$(( alive_us + k_us - life0 ))
	restarted() {
		p=$(prop MainPID)
		[ "$(prop NRestarts)" = $i ] && [ "$(systemctl is-active tierd)" = active ] &&
			[ "$p" != "$prev" ] && [ "$p" != 0 ]
	}
	wait_until 60 restarted || fatal "kill $i: tierd not active again in 60 s"
	ready_us=$(prop ActiveEnterTimestampMonotonic)
	exec_us=$(prop ExecMainStartTimestampMonotonic)
	pid=$(prop MainPID)
	tierctl status > /tmp/status.out 2>&1 && ctl=1 || ctl=0
	echo "SDU-KILL i=$i sig=$sig pid=$prev life_ms=$(( (k_us - life0) / 1000 )) migrated=$((m_kill - m_prev)) new_pid=$pid nrestarts=$(prop NRestarts) active=$(systemctl is-active tierd) sub=$(prop SubState) ready_after_kill_ms=$(( (ready_us - k_us) / 1000 )) ctl=$ctl numa_hint=$(grep -Ec 'numa_hint +active' /tmp/status.out) $(nb) record_pid=$(record_pid) status_sources=$(prop StatusText | sed -n 's/.*sources: \([a-z_,]*\).*/\1/p')"
	m_prev=$m_kill
	prev=$pid
	life0=$exec_us
	i=$((i + 1))
done
usleep $(( (RANDOM % 1000 + 300) * 1000 ))
l1=$(now_us)
alive_us=$(( alive_us + l1 - life0 ))
echo "SDU-LOOP kills=$KILLS window_ms=$(( (l1 - l0) / 1000 )) alive_ms=$(( alive_us / 1000 )) migrated_pages=$(( $(vmstat pgmigrate_success) - m0 )) kernel_promoted=$(( $(vmstat pgpromote_success) - p0 )) rate_mbps=$LOOP_RATE"
echo "SDU-RESTORES left=$(journalctl -b -u tierd -o cat | grep -c 'left 2 changed settings: restoring') restored=$(journalctl -b -u tierd TIERD_SETTING=kernel/numa_balancing -o cat | grep -c '^restored kernel/numa_balancing = 0 ')"
journalctl -b --no-pager -u tierd | grep -m 1 'status=11/SEGV' | sed 's/^/SDU-SEGV-LOG /'
checksum 2
checksum 1

# --- stop -------------------------------------------------------------------
systemctl stop tierd
rc=$?
echo "SDU-STOP rc=$rc state=$(systemctl is-active tierd) result=$(prop Result) main_code=$(prop ExecMainCode) main_status=$(prop ExecMainStatus) socket_gone=$([ -e $SOCKET ] && echo 0 || echo 1) record_gone=$([ -e /run/tierd/owned-settings ] && echo 0 || echo 1) $(nb)"
echo "SDU-J-COUNTS errno=$(journalctl -b -u tierd -o json --no-pager | grep -c '"ERRNO"') tierd_pid=$(journalctl -b -u tierd -o json --no-pager | grep -c '"TIERD_PID"') setting=$(journalctl -b -u tierd -o json --no-pager | grep -c '"TIERD_SETTING"')"
echo "SDU-TIERD-LOG-BEGIN"
journalctl -b --no-pager -o short-monotonic -u tierd | tail -n 80
echo "SDU-TIERD-LOG-END"
kill $W1 $W2 2>/dev/null
finish 0
EOF
}

build_root || { echo "FAIL: could not build the initramfs in $work"; exit 1; }

# ---- boot -------------------------------------------------------------------

echo "systemd-unit: kernel=$kernel accel=${E2E_ACCEL:-tcg} timeout=${timeout_s}s tierd at $exec_start, tierctl at $exec_reload, cap mask $cap_hex, $kills kills"
guest_boot "rdinit=/usr/lib/systemd/systemd systemd.unit=sdu.target systemd.show_status=0"

# ---- judge ------------------------------------------------------------------

sd_judge_begin
if [ -z "$infra_fail" ]; then
	l=$(line SDU-BEGIN)
	check systemd_pid1 "$( [ "$(kv "$l" pid1)" = systemd ] && echo 1 || echo 0)" "PID 1 is '$(kv "$l" pid1)'"
	env_line=$(line SDU-ENV)

	l=$(line SDU-START)
	st=$(grep -m1 '^SDU-STATUSTEXT' "$C" | sed 's/^SDU-STATUSTEXT //')
	check notify_start "$( [ "$(kv "$l" rc)" = 0 ] && [ "$(kv "$l" active)" = active ] &&
		[ "$(kv "$l" type)" = notify ] && [ "$(kv "$l" socket)" = 1 ] && echo 1 || echo 0)" \
		"systemctl start rc=$(kv "$l" rc), then $(kv "$l" active)/$(kv "$l" sub), Type=$(kv "$l" type), socket present=$(kv "$l" socket)"
	check status_text "$( grep -Eq '; sources: [a-z_,]*numa_hint[a-z_,]*; tracking [0-9]+ process' <<<"$st" && echo 1 || echo 0)" \
		"StatusText right after start: '$st'"

	l=$(line SDU-PROC)
	check exec_path "$( [ "$(kv "$l" exe)" = "$exec_start" ] && echo 1 || echo 0)" "MainPID runs $(kv "$l" exe)"
	check cap_bounding "$( [ "$(kv "$l" CapBnd)" = "$cap_hex" ] && echo 1 || echo 0)" \
		"CapBnd=$(kv "$l" CapBnd), unit's CapabilityBoundingSet= is $cap_hex"
	check cap_effective "$( [ "$(kv "$l" CapEff)" = "$cap_hex" ] && [ "$(kv "$l" CapAmb)" = 0000000000000000 ] && echo 1 || echo 0)" \
		"CapEff=$(kv "$l" CapEff) CapPrm=$(kv "$l" CapPrm) CapAmb=$(kv "$l" CapAmb)"
	check no_new_privs "$( [ "$(kv "$l" NoNewPrivs)" = 1 ] && [ "$(kv "$l" Seccomp)" = 2 ] && echo 1 || echo 0)" \
		"NoNewPrivs=$(kv "$l" NoNewPrivs) Seccomp=$(kv "$l" Seccomp)"
	pid_first=$(kv "$l" pid)

	l=$(line SDU-RUNNING)
	check sysctls_owned "$( [ "$(kv "$l" nb)" = 2 ] && [ "$(kv "$l" nb_rate)" = 0 ] &&
		[ "$(kv "$l" record_pid)" = "$pid_first" ] && [ "$(kv "$l" record_lines)" = 2 ] && echo 1 || echo 0)" \
		"under ProtectKernelTunables=yes tierd set kernel.numa_balancing=$(kv "$l" nb) promote_rate_limit_MBps=$(kv "$l" nb_rate) (were $(kv "$env_line" nb) and $(kv "$env_line" nb_rate)); owned-settings by pid $(kv "$l" record_pid), $(kv "$l" record_lines) numa_hint lines"
	cs=$(grep -m1 '^SDU-CTL-STATUS' "$C" | sed 's/^SDU-CTL-STATUS //')
	check numa_hint_status "$( grep -Eq 'numa_hint +active' <<<"$cs" && echo 1 || echo 0)" "tierctl status: '$cs'"

	sed -n '/^SDU-STATS-BEGIN/,/^SDU-STATS-END/p' "$C" | sed '1d;$d' > "$work/stats.json"
	l=$(line SDU-READHOT)
	if jq -e . "$work/stats.json" >/dev/null 2>&1; then
		nh_active=$(jq -r '.sources.numa_hint.active' "$work/stats.json")
		nh_records=$(jq -r '.sources.numa_hint.records' "$work/stats.json")
		sd_active=$(jq -r '.sources.soft_dirty.active' "$work/stats.json")
		check sources_active "$( [ "$nh_active" = true ] && [ "$sd_active" = true ] && echo 1 || echo 0)" \
			"sources.numa_hint.active=$nh_active ($(jq -r '.sources.numa_hint.state' "$work/stats.json")), soft_dirty.active=$sd_active"
	else
		check stats_json 0 "tierctl stats --json gave no valid JSON ($(grep -m1 '^SDU-STATS-END' "$C"))"
		nh_records=?
	fi
	c1=$(grep -m1 '^SDU-CHECKSUM w=1 ' "$C")
	check read_hot_promoted "$( [ "$(kv "$c1" hot_on0)" -ge 487 ] 2>/dev/null && echo 1 || echo 0)" \
		"read-only hot set (--access read): $(kv "$c1" hot_on0) of 512 hot pages on node 0, $(kv "$l" promoted_pages) pages promoted $(kv "$l" after_ms) ms after it started, numa_hint records=$nh_records"

	l=$(line SDU-RELOAD-BAD)
	j=$(grep -m1 '^SDU-RELOAD-BAD-JOURNAL' "$C" | sed 's/^SDU-RELOAD-BAD-JOURNAL //')
	s=$(grep -m1 '^SDU-RELOAD-BAD-STATUS' "$C" | sed 's/^SDU-RELOAD-BAD-STATUS //')
	e=$(grep -m1 '^SDU-RELOAD-BAD-EXEC' "$C" | sed 's/^SDU-RELOAD-BAD-EXEC //')
	check reload_rejected_fails "$( [ "$(kv "$l" rc)" != 0 ] && [ "$(kv "$l" active)" = active ] &&
		[ "$(kv "$l" reload_failures)" = 1 ] && [ "$(kv "$l" reloads)" = 0 ] &&
		[ "$(kv "$l" config_unchanged)" = 1 ] && [ "$(kv "$l" pid)" = "$pid_first" ] && echo 1 || echo 0)" \
		"threshold = banana: systemctl reload rc=$(kv "$l" rc), still $(kv "$l" active) as the same pid, reload_failures=$(kv "$l" reload_failures), running config unchanged=$(kv "$l" config_unchanged)"
	check reload_reason_shown "$( grep -q 'reload failed.*banana' <<<"$j" && grep -q banana <<<"$s" &&
		grep -q 'status=1/FAILURE' <<<"$e" && echo 1 || echo 0)" \
		"journal: '$j'; systemctl status: '$s' / '$e'"
	l=$(line SDU-RELOAD-GOOD)
	check reload_applied "$( [ "$(kv "$l" rc)" = 0 ] && [ "$(kv "$l" active)" = active ] &&
		[ "$(kv "$l" reloads)" = 1 ] && [ "$(kv "$l" rate_limit_mbps)" = "$loop_rate_mbps" ] &&
		[ "$(kv "$l" min_free_mb)" = 4096 ] && echo 1 || echo 0)" \
		"good file: systemctl reload rc=$(kv "$l" rc), $(kv "$l" active), reloads=$(kv "$l" reloads), rate_limit_mbps=$(kv "$l" rate_limit_mbps), min_free_mb=$(kv "$l" min_free_mb)"

	l=$(line SDU-WATCHDOG)
	check watchdog "$( [ "$(kv "$l" usec)" = "${watchdog_s}s" ] && [ "$(kv "$l" active)" = active ] &&
		[ "$(kv "$l" pid_before)" = "$(kv "$l" pid_after)" ] && [ "$(kv "$l" nrestarts)" = 0 ] &&
		[ "$(kv "$l" ping_after)" -gt "$(kv "$l" ping_before)" ] && echo 1 || echo 0)" \
		"WatchdogUSec=$(kv "$l" usec); after $(kv "$l" slept_s) s: $(kv "$l" active), same pid, NRestarts=$(kv "$l" nrestarts), last ping $(kv "$l" ping_before) -> $(kv "$l" ping_after) us"
	l=$(line SDU-HEADROOM)
	check headroom_held "$( [ "$(kv "$l" promoted_after)" = "$(kv "$l" promoted_before)" ] &&
		[ "$(kv "$l" headroom_blocked)" -gt 0 ] && echo 1 || echo 0)" \
		"min_free_mb = 4096 over a 1 GiB node 0: promoted_pages $(kv "$l" promoted_before) -> $(kv "$l" promoted_after) in $((watchdog_s * 3)) s, headroom_blocked=$(kv "$l" headroom_blocked)"

	# the journal entries, as JSON, with their fields
	jfield() {	# jfield LINE-TAG FIELD
		grep -m1 "^$1 " "$C" | sed "s/^$1 //" | jq -r ".$2 // empty" 2>/dev/null
	}
	check journal_source_field "$( [ "$(jfield SDU-J-SOURCE TIERD_SOURCE)" = numa_hint ] &&
		[ "$(jfield SDU-J-SOURCE SYSLOG_IDENTIFIER)" = tierd ] &&
		[ "$(jfield SDU-J-SOURCE _SYSTEMD_UNIT)" = tierd.service ] &&
		[ "$(jfield SDU-J-SOURCE PRIORITY)" = 6 ] && echo 1 || echo 0)" \
		"journalctl TIERD_SOURCE=numa_hint: '$(jfield SDU-J-SOURCE MESSAGE)' (PRIORITY=$(jfield SDU-J-SOURCE PRIORITY), SYSLOG_IDENTIFIER=$(jfield SDU-J-SOURCE SYSLOG_IDENTIFIER), _SYSTEMD_UNIT=$(jfield SDU-J-SOURCE _SYSTEMD_UNIT))"
	check journal_node_field "$( [ "$(jfield SDU-J-NODE-LOW TIERD_NODE)" = 0 ] &&
		[ "$(jfield SDU-J-NODE-LOW PRIORITY)" = 5 ] && [ "$(jfield SDU-J-NODE-AGAIN TIERD_NODE)" = 0 ] && echo 1 || echo 0)" \
		"journalctl TIERD_NODE=0: '$(jfield SDU-J-NODE-LOW MESSAGE)', then after min_free_mb = 64: '$(jfield SDU-J-NODE-AGAIN MESSAGE)'"

	# the crash loop
	n=0
	bad=()
	active_lives=0
	while read -r l; do
		n=$((n + 1))
		[ "$(kv "$l" migrated)" -gt 0 ] 2>/dev/null && active_lives=$((active_lives + 1))
		[ "$(kv "$l" active)" = active ] && [ "$(kv "$l" sub)" = running ] &&
			[ "$(kv "$l" ctl)" = 1 ] && [ "$(kv "$l" numa_hint)" -ge 1 ] &&
			[ "$(kv "$l" nb)" = 2 ] && [ "$(kv "$l" nb_rate)" = 0 ] &&
			[ "$(kv "$l" record_pid)" = "$(kv "$l" new_pid)" ] &&
			[ "$(kv "$l" nrestarts)" = "$(kv "$l" i)" ] &&
			[ "$(kv "$l" ready_after_kill_ms)" -gt 0 ] &&
			grep -q numa_hint <<<"$(kv "$l" status_sources)" ||
			bad+=("kill $(kv "$l" i): $(kv "$l" active)/$(kv "$l" sub) ctl=$(kv "$l" ctl) numa_hint=$(kv "$l" numa_hint) nb=$(kv "$l" nb)/$(kv "$l" nb_rate) record_pid=$(kv "$l" record_pid) pid=$(kv "$l" new_pid) sources=$(kv "$l" status_sources)")
	done < <(grep '^SDU-KILL ' "$C")
	check restarts_clean "$( [ "$n" = "$kills" ] && [ ${#bad[@]} = 0 ] && echo 1 || echo 0)" \
		"$n of $kills kills (SIGSEGV, then SIGKILL, 0.3 to 1.3 s after the last check) each followed by a restart that came up READY (active/running), tierctl status answering, numa_hint active in status and StatusText, the sysctls 2/0 owned by the new pid${bad:+; not so: ${bad[*]}}"
	check killed_while_promoting "$( [ "$active_lives" -ge $(( (kills + 1) / 2 )) ] && echo 1 || echo 0)" \
		"$active_lives of $n killed tierds had pages moving in their life (pgmigrate_success rose)"
	l=$(line SDU-RESTORES)
	check crash_records_restored "$( [ "$(kv "$l" left)" = "$kills" ] && [ "$(kv "$l" restored)" -ge "$kills" ] && echo 1 || echo 0)" \
		"each start found the record the killed tierd left ($(kv "$l" left) times 'left 2 changed settings: restoring'), $(kv "$l" restored) journal entries TIERD_SETTING=kernel/numa_balancing 'restored ... = 0'"
	l=$(line SDU-LOOP)
	burst=$(( loop_rate_mbps << 20 ))	# max(1 s, 2 x 200 ms) of rate
	rate_bps=$(( loop_rate_mbps << 20 ))
	moved=$(( $(kv "$l" migrated_pages) * 4096 ))
	alive_ms=$(kv "$l" alive_ms)
	# lives from the exec, before the (empty) bucket is made
	bound=$(( rate_bps * alive_ms / 1000 + burst ))
	loose=$(( bound + kills * burst ))
	check rate_across_restarts "$( [ "$moved" -le "$bound" ] && [ "$(kv "$l" kernel_promoted)" = 0 ] && echo 1 || echo 0)" \
		"$((moved >> 10)) KiB moved in the loop's $(kv "$l" window_ms) ms, tierd alive (exec to exit) $alive_ms ms: at most rate x alive + one burst = $((bound >> 10)) KiB (a burst per restart would allow $((loose >> 10)) KiB); kernel promotions $(kv "$l" kernel_promoted)"
	bad=()
	for w in 1 2; do
		l=$(grep "^SDU-CHECKSUM w=$w " "$C" | tail -n 1)
		[ -n "$l" ] && [ "$(kv "$l" bad_pages)" = 0 ] && [ "$(kv "$l" sum)" = "$(kv "$l" populated)" ] ||
			bad+=("workload $w: sum $(kv "$l" populated) -> $(kv "$l" sum), bad_pages=$(kv "$l" bad_pages) first_bad=$(kv "$l" first_bad)")
	done
	l2=$(grep '^SDU-CHECKSUM w=2 ' "$C" | tail -n 1)
	check no_page_lost "$( [ ${#bad[@]} = 0 ] && echo 1 || echo 0)" \
		"both workloads' pages hold their own patterns after the loop (${bad[*]:-checksums equal, 0 bad pages}); workload 2: $(kv "$l2" hot_on0) of 12288 hot and $(kv "$l2" cold_on0) cold pages on node 0"
	l=$(grep -m1 '^SDU-SEGV-LOG' "$C")
	check segv_logged "$( [ -n "$l" ] && echo 1 || echo 0)" "${l:-no 'status=11/SEGV' in the journal}"

	l=$(line SDU-STOP)
	check stop "$( [ "$(kv "$l" rc)" = 0 ] && [ "$(kv "$l" state)" = inactive ] &&
		[ "$(kv "$l" result)" = success ] && [ "$(kv "$l" main_status)" = 0 ] &&
		[ "$(kv "$l" socket_gone)" = 1 ] && [ "$(kv "$l" record_gone)" = 1 ] && echo 1 || echo 0)" \
		"systemctl stop rc=$(kv "$l" rc): $(kv "$l" state), Result=$(kv "$l" result), exit status $(kv "$l" main_status), socket gone=$(kv "$l" socket_gone), owned-settings gone=$(kv "$l" record_gone)"
	check sysctls_restored "$( [ "$(kv "$l" nb)" = "$(kv "$env_line" nb)" ] && [ "$(kv "$l" nb_rate)" = "$(kv "$env_line" nb_rate)" ] && echo 1 || echo 0)" \
		"after stop kernel.numa_balancing=$(kv "$l" nb) promote_rate_limit_MBps=$(kv "$l" nb_rate), before start $(kv "$env_line" nb) and $(kv "$env_line" nb_rate)"
	l=$(line SDU-J-COUNTS)
	passes+=("INFO journal entries with ERRNO=: $(kv "$l" errno), TIERD_PID=: $(kv "$l" tierd_pid), TIERD_SETTING=: $(kv "$l" setting)")
fi
sd_judge_end "systemd unit"
