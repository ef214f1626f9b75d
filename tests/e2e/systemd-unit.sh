#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The real tierd.service under systemd as PID 1, in the two-node NUMA qemu
# guest of run-e2e.sh (docs/e2e.md).
#
# The guest root is an initramfs assembled from the host's own systemd (PID 1,
# systemctl, journald, their libraries, the .target units), busybox for the
# shell tools, tierd, tierctl and e2e-workload.  There is no
# /etc/initrd-release, so systemd boots it as a normal system.  The unit is
# the build's generated tierd.service, byte for byte: tierd is installed at
# the path its ExecStart names and reads the default /etc/tierd.conf.  The
# only addition is a drop-in that shortens WatchdogSec so the watchdog check
# fits in seconds.
#
# A service started at boot (sdu-check) drives systemctl and tierctl and
# prints SDU-* lines on the serial console; this script judges them.
#
# Exit: 0 PASS, 1 FAIL, 77 SKIP (no qemu/kernel/busybox/systemd), 2 usage.
set -uo pipefail

tierd_bin= tierctl_bin= workload_bin= unit=
timeout_s=${E2E_TIMEOUT:-240}
artifact_dir=${E2E_ARTIFACT_DIR:-${TMPDIR:-/tmp}}
kernel=${E2E_KERNEL:-}
keep=0
verbose=0
watchdog_s=3

usage() {
	cat <<EOF
usage: $0 --unit tierd.service --tierd PATH --tierctl PATH --workload PATH [options]
  --unit PATH        the generated tierd.service (build dir)
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

. "$(dirname "$0")/guest-lib.sh"
guest_need_tools
sd=/lib/systemd/systemd
[ -x "$sd" ] || skip "no $sd on this host (systemd)"
for b in /lib/systemd/systemd-journald "$(command -v systemctl)" "$(command -v journalctl)"; do
	[ -x "$b" ] || skip "systemd tool '$b' missing on this host"
done
# Where the unit runs tierd from, and the capability mask it promises.
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit" | head -n 1)
case "$exec_start" in
/*) ;;
*) echo "systemd-unit: $unit: no absolute ExecStart= path ('$exec_start')" >&2; exit 2 ;;
esac
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

# Copies keep the host's usr-merged paths; /bin, /sbin, /lib, /lib64 are
# symlinks into /usr in the guest too.
guest_path() {
	case "$1" in
	/usr/*) echo "$1" ;;
	/bin/*|/sbin/*|/lib/*|/lib64/*) echo "/usr$1" ;;
	*) echo "$1" ;;
	esac
}

build_root() {
	local d a u
	mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{proc,sys,dev,run,tmp,var/tmp,home,root,etc/systemd/system,sdu} || return 1
	ln -s usr/bin "$root/bin" && ln -s usr/sbin "$root/sbin" &&
		ln -s usr/lib "$root/lib" && ln -s usr/lib64 "$root/lib64" || return 1
	chmod 1777 "$root/tmp" "$root/var/tmp"

	copy_with_libs "$sd" || return 1
	for b in /lib/systemd/systemd-journald /lib/systemd/systemd-shutdown \
		 "$(command -v systemctl)" "$(command -v journalctl)"; do
		copy_with_libs "$b" || return 1
	done
	copy_with_libs "$tierd_bin" "$exec_start" || return 1
	copy_with_libs "$tierctl_bin" /usr/bin/tierctl || return 1
	copy_with_libs "$workload_bin" /usr/bin/e2e-workload || return 1

	# busybox applets, without shadowing systemd's tools or PID 1
	cp "$busybox" "$root/usr/bin/busybox" || return 1
	for a in $("$busybox" --list-full); do
		u=/usr/${a#usr/}
		case "${a##*/}" in
		init|linuxrc|poweroff|reboot|halt|busybox) continue ;;
		esac
		[ -e "$root$u" ] || [ -L "$root$u" ] && continue
		mkdir -p "$root${u%/*}" && ln -s /usr/bin/busybox "$root$u" || return 1
	done

	# units: every target (their .wants are left out), journald, tierd
	d=$root/usr/lib/systemd/system
	mkdir -p "$d" || return 1
	cp /lib/systemd/system/*.target "$d/" || return 1
	for u in systemd-journald.service systemd-journald.socket \
		 systemd-journald-dev-log.socket systemd-journald-audit.socket; do
		cp "/lib/systemd/system/$u" "$d/" || return 1
	done
	mkdir -p "$root/etc/systemd/system/sockets.target.wants" \
		 "$root/etc/systemd/system/sysinit.target.wants" || return 1
	ln -s "/usr/lib/systemd/system/systemd-journald.socket" \
		"$root/etc/systemd/system/sockets.target.wants/" || return 1
	ln -s "/usr/lib/systemd/system/systemd-journald-dev-log.socket" \
		"$root/etc/systemd/system/sockets.target.wants/" || return 1
	ln -s "/usr/lib/systemd/system/systemd-journald.service" \
		"$root/etc/systemd/system/sysinit.target.wants/" || return 1
	install -m 0644 "$unit" "$d/tierd.service" || return 1
	mkdir -p "$root/etc/systemd/system/tierd.service.d" || return 1
	cat > "$root/etc/systemd/system/tierd.service.d/50-e2e-watchdog.conf" <<EOF
# tests/e2e/systemd-unit.sh: a short watchdog so the test is short
[Service]
WatchdogSec=${watchdog_s}s
EOF

	cat > "$d/sdu.target" <<EOF
[Unit]
Description=tierd unit e2e test
Requires=basic.target sdu-check.service
After=basic.target
AllowIsolate=yes
EOF
	cat > "$d/sdu-check.service" <<EOF
[Unit]
Description=tierd unit e2e checks
After=basic.target systemd-journald.service

[Service]
Type=simple
ExecStart=/bin/sh /sdu/check.sh
StandardOutput=journal
StandardError=journal
EOF

	cp /etc/os-release "$root/etc/os-release" 2>/dev/null ||
		cp /usr/lib/os-release "$root/etc/os-release" || return 1
	echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
	echo "root:x:0:" > "$root/etc/group"
	printf 'passwd: files\ngroup: files\nshadow: files\n' > "$root/etc/nsswitch.conf"
	echo 0123456789abcdef0123456789abcdef > "$root/etc/machine-id"
	: > "$root/etc/fstab"

	cat > "$root/sdu/params" <<EOF
SOCKET=$socket
TIERD_BIN=$exec_start
WATCHDOG_S=$watchdog_s
EOF
	cat > "$root/etc/tierd.conf" <<EOF
# generated by tests/e2e/systemd-unit.sh
[nodes]
slow = 1
fast = 0

[sources]
private_node = auto
soft_dirty = on
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
	write_check > "$root/sdu/check.sh" || return 1
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initramfs.gz"
}

# The guest side.  It reports raw values; the host decides.  It only gives up
# by itself (SDU-FATAL) when a wait is over its bound, so a hang is named.
write_check() {
	cat <<'EOF'
#!/bin/sh
exec >/dev/ttyS0 2>&1
export PATH=/usr/local/sbin:/usr/sbin:/usr/bin
. /sdu/params

finish() {
	echo "SDU-END rc=$1"
	sync
	busybox poweroff -f
	sleep 10
}
diag() {
	echo "SDU-DIAG-BEGIN"
	systemctl status --no-pager -l tierd
	journalctl -b --no-pager -o short-monotonic | grep -v 'sdu/check' | tail -n 120
	echo "SDU-DIAG-END"
}
fatal() {
	echo "SDU-FATAL reason=\"$*\""
	diag
	finish 1
}
prop() {	# prop NAME: one property of tierd.service
	systemctl show -p "$1" --value tierd
}
stat_num() {	# stat_num KEY: first "KEY": N in tierctl stats --json
	tierctl stats --json 2>/dev/null |
		sed -n "s/.*\"$1\": *\([0-9][0-9]*\).*/\1/p" | head -n 1
}
wait_until() {	# wait_until SECONDS CMD...: poll CMD every 0.2 s
	n=$(( $1 * 5 )); shift
	while ! "$@"; do
		n=$((n - 1))
		[ $n -le 0 ] && return 1
		usleep 200000
	done
}

echo "SDU-BEGIN pid1=$(cat /proc/1/comm) $(systemctl --version | head -n 1 | tr ' ' '_')"
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
# Debian's kernels default to perf_event_paranoid=3, where perf_event_open
# (and so a tp/ BPF attach) needs CAP_SYS_ADMIN, which the unit does not keep.
echo "SDU-ENV state=$(systemctl is-system-running) cgroup=$(awk '$2 == "/sys/fs/cgroup" { print $3 }' /proc/mounts) perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)"
echo 0 > /proc/sys/kernel/numa_balancing

# A workload on node 1 with a hot set, waiting for SIGUSR2 to start.
e2e-workload --size-mb 32 --hot-pages 512 --duration-ms 600000 \
	--sample-ms 5000 --wait-go > /tmp/wl.out 2>&1 &
wait_until 60 grep -q '^E2E-READY' /tmp/wl.out ||
	{ cat /tmp/wl.out; fatal "workload not ready in 60 s"; }
WL_PID=$(sed -n 's/^E2E-READY pid=\([0-9]*\).*/\1/p' /tmp/wl.out)

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
echo "SDU-RUNDIR $(stat -c 'mode=%a owner=%U' /run/tierd)"

# --- promotion under the hardening ---------------------------------------
kill -USR2 $WL_PID
pp() { p=$(stat_num promoted_pages); [ "${p:-0}" -gt 0 ]; }
wait_until 90 pp || echo "SDU-NOTE no promoted pages after 90 s"
echo "SDU-STATS-BEGIN"
tierctl stats --json
echo "SDU-STATS-END rc=$?"

# --- reload: broken, then good --------------------------------------------
tierctl config > /tmp/cfg.before
cp /etc/tierd.conf /tmp/good.conf
sed 's/^threshold = .*/threshold = banana/' /tmp/good.conf > /etc/tierd.conf
systemctl reload tierd
rc=$?
rf() { [ "$(stat_num reload_failures)" = 1 ]; }
wait_until 30 rf || echo "SDU-NOTE reload_failures not 1 after 30 s"
tierctl config > /tmp/cfg.after
cmp -s /tmp/cfg.before /tmp/cfg.after && same=1 || same=0
echo "SDU-RELOAD-BAD rc=$rc active=$(systemctl is-active tierd) pid=$(prop MainPID) reload_failures=$(stat_num reload_failures) reloads=$(stat_num reloads) config_unchanged=$same"
journalctl -b --no-pager -u tierd | grep -m 1 banana | sed 's/^/SDU-RELOAD-BAD-LOG /'

sed 's/^rate_limit_mbps = .*/rate_limit_mbps = 3/' /tmp/good.conf > /etc/tierd.conf
systemctl reload tierd
rc=$?
rl() { [ "$(stat_num reloads)" = 1 ]; }
wait_until 30 rl || echo "SDU-NOTE reloads not 1 after 30 s"
echo "SDU-RELOAD-GOOD rc=$rc active=$(systemctl is-active tierd) pid=$(prop MainPID) reloads=$(stat_num reloads) reload_failures=$(stat_num reload_failures) rate_limit_mbps=$(tierctl config | sed -n 's/^rate_limit_mbps = //p')"

# --- watchdog ---------------------------------------------------------------
ts0=$(prop WatchdogTimestampMonotonic)
pid0=$(prop MainPID)
sleep $((WATCHDOG_S * 3))
echo "SDU-WATCHDOG usec=$(prop WatchdogUSec) slept_s=$((WATCHDOG_S * 3)) active=$(systemctl is-active tierd) pid_before=$pid0 pid_after=$(prop MainPID) nrestarts=$(prop NRestarts) ping_before=$ts0 ping_after=$(prop WatchdogTimestampMonotonic)"

# --- Restart=on-failure -------------------------------------------------------
kill -SEGV $pid0
restarted() {
	[ "$(prop NRestarts)" = 1 ] && [ "$(systemctl is-active tierd)" = active ] &&
		[ "$(prop MainPID)" != "$pid0" ] && [ "$(prop MainPID)" != 0 ]
}
wait_until 60 restarted || echo "SDU-NOTE no restart after 60 s"
tierctl stats > /dev/null 2>&1 && ctl=1 || ctl=0
echo "SDU-RESTART nrestarts=$(prop NRestarts) active=$(systemctl is-active tierd) pid_before=$pid0 pid_after=$(prop MainPID) tierctl=$ctl"
journalctl -b --no-pager -u tierd | grep -m 1 -i 'SEGV\|segmentation' | sed 's/^/SDU-RESTART-LOG /'

# --- stop -------------------------------------------------------------------
systemctl stop tierd
rc=$?
echo "SDU-STOP rc=$rc state=$(systemctl is-active tierd) result=$(prop Result) main_code=$(prop ExecMainCode) main_status=$(prop ExecMainStatus) socket_gone=$([ -e $SOCKET ] && echo 0 || echo 1) rundir_gone=$([ -e /run/tierd ] && echo 0 || echo 1)"
echo "SDU-TIERD-LOG-BEGIN"
journalctl -b --no-pager -o short-monotonic -u tierd | tail -n 60
echo "SDU-TIERD-LOG-END"
kill $WL_PID 2>/dev/null
finish 0
EOF
}

build_root || { echo "FAIL: could not build the initramfs in $work"; exit 1; }

# ---- boot -------------------------------------------------------------------

echo "systemd-unit: kernel=$kernel accel=${E2E_ACCEL:-tcg} timeout=${timeout_s}s tierd at $exec_start, cap mask $cap_hex"
guest_boot "rdinit=/usr/lib/systemd/systemd systemd.unit=sdu.target systemd.show_status=0"

# ---- judge ------------------------------------------------------------------

tr -d '\r' < "$log" > "$work/console.clean" 2>/dev/null
C=$work/console.clean
failures=()
passes=()
check() {	# check NAME OK(0/1) DETAIL
	if [ "$2" = 1 ]; then passes+=("$1: $3"); else failures+=("$1: $3"); fi
}
kv() {	# kv LINE KEY
	sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<<"$1" | head -n 1
}
line() {
	grep -m1 "^$1 " "$C"
}

infra_fail=
if [ "$timed_out" = 1 ]; then
	infra_fail="qemu killed after ${timeout_s}s timeout (last SDU line: $(grep '^SDU-' "$C" | tail -n 1))"
elif ! grep -q '^SDU-BEGIN' "$C"; then
	infra_fail="systemd never started the check service (qemu rc=$qemu_rc; console tail: $(grep -v '^$' "$C" | tail -n 3 | tr '\n' ' '))"
elif grep -q '^SDU-FATAL' "$C"; then
	infra_fail="guest: $(grep -m1 '^SDU-FATAL' "$C" | sed 's/^SDU-FATAL reason=//')"
elif ! grep -q '^SDU-END rc=0' "$C"; then
	infra_fail="guest did not finish its checks (no SDU-END rc=0)"
fi

grep '^SDU-' "$C" | grep -v '^SDU-STATS-\|^SDU-TIERD-LOG-\|^SDU-DIAG-' | sed 's/^/  /'

if [ -z "$infra_fail" ]; then
	l=$(line SDU-BEGIN)
	check systemd_pid1 $( [ "$(kv "$l" pid1)" = systemd ] && echo 1 || echo 0) "PID 1 is '$(kv "$l" pid1)'"

	l=$(line SDU-START)
	st=$(grep -m1 '^SDU-STATUSTEXT' "$C" | sed 's/^SDU-STATUSTEXT //')
	check notify_start $( [ "$(kv "$l" rc)" = 0 ] && [ "$(kv "$l" active)" = active ] &&
		[ "$(kv "$l" type)" = notify ] && [ "$(kv "$l" socket)" = 1 ] && echo 1 || echo 0) \
		"systemctl start rc=$(kv "$l" rc), then $(kv "$l" active)/$(kv "$l" sub), Type=$(kv "$l" type), socket present=$(kv "$l" socket)"
	check status_text $( grep -Eq '; sources: [a-z_,]+; tracking [0-9]+ process' <<<"$st" && echo 1 || echo 0) \
		"StatusText right after start: '$st'"

	l=$(line SDU-PROC)
	check exec_path $( [ "$(kv "$l" exe)" = "$exec_start" ] && echo 1 || echo 0) "MainPID runs $(kv "$l" exe)"
	check cap_bounding $( [ "$(kv "$l" CapBnd)" = "$cap_hex" ] && echo 1 || echo 0) \
		"CapBnd=$(kv "$l" CapBnd), unit's CapabilityBoundingSet= is $cap_hex"
	check cap_effective $( [ "$(kv "$l" CapEff)" = "$cap_hex" ] && [ "$(kv "$l" CapAmb)" = 0000000000000000 ] && echo 1 || echo 0) \
		"CapEff=$(kv "$l" CapEff) CapPrm=$(kv "$l" CapPrm) CapAmb=$(kv "$l" CapAmb)"
	check no_new_privs $( [ "$(kv "$l" NoNewPrivs)" = 1 ] && [ "$(kv "$l" Seccomp)" = 2 ] && echo 1 || echo 0) \
		"NoNewPrivs=$(kv "$l" NoNewPrivs) Seccomp=$(kv "$l" Seccomp)"

	sed -n '/^SDU-STATS-BEGIN/,/^SDU-STATS-END/p' "$C" | sed '1d;$d' > "$work/stats.json"
	if jq -e . "$work/stats.json" >/dev/null 2>&1; then
		check stats_json 1 "tierctl stats --json over $socket (RuntimeDirectory=)"
		sd_active=$(jq -r '.sources.soft_dirty.active' "$work/stats.json")
		check bpf_soft_dirty $( [ "$sd_active" = true ] && echo 1 || echo 0) "sources.soft_dirty.active=$sd_active ($(jq -r '.sources.soft_dirty.state' "$work/stats.json"))"
		pp=$(jq -r '[paths(type == "number") as $p | select($p[-1] == "promoted_pages")
			| {d: ($p | length), v: getpath($p)}] | sort_by(.d) | .[0].v // 0' "$work/stats.json")
		check promoted $( [ "$pp" -gt 0 ] && echo 1 || echo 0) "promoted_pages=$pp under the unit's hardening"
	else
		check stats_json 0 "tierctl stats --json gave no valid JSON ($(grep -m1 '^SDU-STATS-END' "$C"))"
	fi

	l=$(line SDU-RELOAD-BAD)
	check reload_bad $( [ "$(kv "$l" active)" = active ] && [ "$(kv "$l" reload_failures)" = 1 ] &&
		[ "$(kv "$l" reloads)" = 0 ] && [ "$(kv "$l" config_unchanged)" = 1 ] &&
		[ "$(kv "$l" pid)" = "$(kv "$(line SDU-PROC)" pid)" ] && echo 1 || echo 0) \
		"broken config: reload rc=$(kv "$l" rc), $(kv "$l" active), reload_failures=$(kv "$l" reload_failures), config unchanged=$(kv "$l" config_unchanged)"
	l=$(line SDU-RELOAD-GOOD)
	check reload_good $( [ "$(kv "$l" rc)" = 0 ] && [ "$(kv "$l" active)" = active ] &&
		[ "$(kv "$l" reloads)" = 1 ] && [ "$(kv "$l" rate_limit_mbps)" = 3 ] && echo 1 || echo 0) \
		"good config: reload rc=$(kv "$l" rc), $(kv "$l" active), reloads=$(kv "$l" reloads), rate_limit_mbps=$(kv "$l" rate_limit_mbps)"

	l=$(line SDU-WATCHDOG)
	check watchdog $( [ "$(kv "$l" usec)" = "${watchdog_s}s" ] && [ "$(kv "$l" active)" = active ] &&
		[ "$(kv "$l" pid_before)" = "$(kv "$l" pid_after)" ] && [ "$(kv "$l" nrestarts)" = 0 ] &&
		[ "$(kv "$l" ping_after)" -gt "$(kv "$l" ping_before)" ] && echo 1 || echo 0) \
		"WatchdogUSec=$(kv "$l" usec); after $(kv "$l" slept_s) s: $(kv "$l" active), same pid, NRestarts=$(kv "$l" nrestarts), last ping $(kv "$l" ping_before) -> $(kv "$l" ping_after) us"

	l=$(line SDU-RESTART)
	check restart_on_failure $( [ "$(kv "$l" nrestarts)" = 1 ] && [ "$(kv "$l" active)" = active ] &&
		[ "$(kv "$l" pid_after)" != "$(kv "$l" pid_before)" ] && [ "$(kv "$l" tierctl)" = 1 ] && echo 1 || echo 0) \
		"SIGSEGV to $(kv "$l" pid_before): NRestarts=$(kv "$l" nrestarts), $(kv "$l" active) as $(kv "$l" pid_after), tierctl answers=$(kv "$l" tierctl)"

	l=$(line SDU-STOP)
	check stop $( [ "$(kv "$l" rc)" = 0 ] && [ "$(kv "$l" state)" = inactive ] &&
		[ "$(kv "$l" result)" = success ] && [ "$(kv "$l" main_status)" = 0 ] &&
		[ "$(kv "$l" socket_gone)" = 1 ] && [ "$(kv "$l" rundir_gone)" = 1 ] && echo 1 || echo 0) \
		"systemctl stop rc=$(kv "$l" rc): $(kv "$l" state), Result=$(kv "$l" result), exit status $(kv "$l" main_status), socket gone=$(kv "$l" socket_gone), /run/tierd gone=$(kv "$l" rundir_gone)"
fi

echo "---- e2e summary: systemd unit (${elapsed_s}s) ----"
for p in "${passes[@]}"; do echo "  PASS $p"; done
for f in "${failures[@]}"; do echo "  FAIL $f"; done
[ -n "$infra_fail" ] && echo "  FAIL run: $infra_fail"

result=PASS
[ -n "$infra_fail" ] || [ ${#failures[@]} -gt 0 ] && result=FAIL
if [ "$result" = FAIL ]; then
	sed -n '/^SDU-DIAG-BEGIN/,/^SDU-DIAG-END/p' "$C"
	sed -n '/^SDU-TIERD-LOG-BEGIN/,/^SDU-TIERD-LOG-END/p' "$C"
fi
echo "RESULT: $result"
if [ "$result" = FAIL ] || [ "$keep" = 1 ]; then
	mkdir -p "$artifact_dir" 2>/dev/null
	dest=$artifact_dir/tierd-e2e-systemd-unit-$(date +%Y%m%d-%H%M%S).log
	cp "$log" "$dest" 2>/dev/null && echo "console log: $dest"
fi
[ "$result" = PASS ]
