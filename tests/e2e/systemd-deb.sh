#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package's life under systemd as PID 1, in the two-node guest
# (systemd-guest.sh): dpkg -i (the group created, the unit enabled and
# started by postinst), systemctl start, a local edit of /etc/tierd.conf
# applied by systemctl reload, an upgrade to a later version that keeps
# the edit and restarts tierd, dpkg -r (tierd stopped, the sysctls it set
# back, the unit and binaries gone, the conffile kept), dpkg -P (the
# conffile and the unit's enablement gone; the tierd group kept, as Debian
# does for system groups).
#
# The guest has a real dpkg database: every package the root is made of
# (dpkg, perl-base and init-system-helpers for deb-systemd-helper, systemd
# for systemctl and systemd-sysusers, and the libraries the tierd package
# depends on, with their own dependencies) is copied whole from the host
# and listed in /var/lib/dpkg/status, so dpkg checks the package's
# Depends against what is really there.
#
# Exit: 0 PASS, 1 FAIL, 77 SKIP (no qemu/kernel/busybox/systemd/dpkg), 2 usage.
set -uo pipefail

deb1= deb2=
timeout_s=${E2E_TIMEOUT:-240}
artifact_dir=${E2E_ARTIFACT_DIR:-${TMPDIR:-/tmp}}
kernel=${E2E_KERNEL:-}
keep=0
verbose=0

usage() {
	cat <<EOF
usage: $0 --deb OLD.deb --upgrade NEW.deb [options]
       $0 --debs LIST   (a file with the two paths, older first: tests/pkg)
  --timeout S        bound on the whole qemu run (default $timeout_s)
  --artifacts DIR    where the console log is kept on failure
  --kernel K         guest kernel: 6.12 (default), 6.1 or a path (guest-lib.sh)
  --keep             keep the console log and initramfs even on PASS
  -v                 echo the console log while it is written
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--deb) deb1=$2; shift ;;
	--upgrade) deb2=$2; shift ;;
	--debs) deb1=$(sed -n 1p "$2" 2>/dev/null); deb2=$(sed -n 2p "$2" 2>/dev/null); shift ;;
	--timeout) timeout_s=$2; shift ;;
	--artifacts) artifact_dir=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--keep) keep=1 ;;
	-v) verbose=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "systemd-deb: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
for d in "$deb1" "$deb2"; do
	[ -n "$d" ] && [ -r "$d" ] ||
		{ echo "systemd-deb: '$d' is not a readable .deb (--deb, --upgrade or --debs)" >&2; exit 2; }
done
v1=$(dpkg-deb -f "$deb1" Version) && v2=$(dpkg-deb -f "$deb2" Version) ||
	{ echo "systemd-deb: cannot read the packages' versions" >&2; exit 2; }
dpkg --compare-versions "$v2" gt "$v1" ||
	{ echo "systemd-deb: $v2 is not later than $v1" >&2; exit 2; }

. "$(dirname "$0")/guest-lib.sh"
. "$(dirname "$0")/systemd-guest.sh"
guest_need_tools
sd_need_tools
command -v dpkg-deb >/dev/null || skip "dpkg-deb missing"

guest_workdir systemd-deb tierd-sdd

build_root() {
	sd_root_base || return 1
	# what dpkg and the maintainer scripts run, and what tierd needs
	sd_root_packages "dpkg, libc-bin, tar, perl-base, init-system-helpers, systemd" \
		"$(dpkg-deb -f "$deb1" Pre-Depends)" "$(dpkg-deb -f "$deb1" Depends)" \
		"$(dpkg-deb -f "$deb2" Depends)" || return 1
	mkdir -p "$root/var/log" "$root/var/cache" || return 1
	cp "$deb1" "$root/sdu/old.deb" && cp "$deb2" "$root/sdu/new.deb" || return 1
	cat > "$root/sdu/params" <<EOF
V1=$v1
V2=$v2
EOF
	sd_root_finish
}

# The guest side: raw values on SDU- lines, the host decides.
write_check() {
	sd_check_prelude
	cat <<'EOF'
dstat() {	# dstat: tierd's dpkg status and version, "ii0.2.0", or none
	s=$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' tierd 2>/dev/null | tr -d ' ')
	echo "${s:-none}"
}
state() {	# state: what a person would look at
	e=$(systemctl is-enabled tierd 2>/dev/null)
	echo "active=$(systemctl is-active tierd) enabled=${e:-none} load=$(prop LoadState) pid=$(prop MainPID) dpkg=$(dstat) unit_file=$([ -e /lib/systemd/system/tierd.service ] && echo 1 || echo 0) tierd_bin=$([ -e /usr/sbin/tierd ] && echo 1 || echo 0) conf=$([ -e /etc/tierd.conf ] && echo 1 || echo 0) group=$(grep -c '^tierd:' /etc/group) nb=$(cat /proc/sys/kernel/numa_balancing) nb_rate=$(cat /proc/sys/kernel/numa_balancing_promote_rate_limit_MBps)"
}
conf_rate() { sed -n 's/^rate_limit_mbps = //p' /etc/tierd.conf; }
running_rate() { tierctl config 2>/dev/null | sed -n 's/^rate_limit_mbps = //p'; }

echo "SDU-BEGIN pid1=$(cat /proc/1/comm) $(systemctl --version | head -n 1 | tr ' ' '_') dpkg=$(dpkg-query -W -f='${Version}' dpkg) packages=$(dpkg-query -W -f='.\n' | wc -l)"
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
# values of our own, so that "back to what it was" means something
echo 0 > /proc/sys/kernel/numa_balancing
echo 4321 > /proc/sys/kernel/numa_balancing_promote_rate_limit_MBps
echo "SDU-BEFORE $(state)"

# busybox's sh runs its own applets first (dpkg is one): the real dpkg by path
# --- install: postinst creates the group, enables and starts tierd ----------
/usr/bin/dpkg -i /sdu/old.deb > /tmp/dpkg.out 2>&1
rc=$?
sed 's/^/SDU-DPKG /' /tmp/dpkg.out
up() { [ "$(systemctl is-active tierd)" = active ] && tierctl status >/dev/null 2>&1; }
wait_until 30 up
systemctl start tierd
src=$?
echo "SDU-INSTALL rc=$rc start_rc=$src $(state) sock_group=$(stat -c %G /run/tierd/tierd.sock 2>/dev/null) wants=$([ -L /etc/systemd/system/multi-user.target.wants/tierd.service ] && echo 1 || echo 0) conf_group=$(sed -n 's/^stats_group = //p' /etc/tierd.conf)"
echo "SDU-INSTALL-STATUS $(prop StatusText)"
PID1=$(prop MainPID)

# --- a local edit, applied by reload ------------------------------------------
sed -i 's/^#\{0,1\}rate_limit_mbps = .*/rate_limit_mbps = 7/' /etc/tierd.conf
systemctl reload tierd
rc=$?
echo "SDU-RELOAD rc=$rc conf_rate=$(conf_rate) running_rate=$(running_rate) $(state)"

# --- upgrade: the edit stays, tierd is restarted on the new package ---------
md5_before=$(md5sum /etc/tierd.conf | cut -d' ' -f1)
/usr/bin/dpkg -i /sdu/new.deb > /tmp/dpkg.out 2>&1
rc=$?
sed 's/^/SDU-DPKG /' /tmp/dpkg.out
newpid() { p=$(prop MainPID); [ "$p" != 0 ] && [ "$p" != "$PID1" ] && up; }
wait_until 30 newpid
echo "SDU-UPGRADE rc=$rc $(state) pid_before=$PID1 conf_rate=$(conf_rate) running_rate=$(running_rate) conf_same=$([ "$(md5sum /etc/tierd.conf | cut -d' ' -f1)" = "$md5_before" ] && echo 1 || echo 0) leftovers=$(ls /etc/tierd.conf.* 2>/dev/null | wc -l)"

# --- remove: stopped, settings back, files gone, conffile kept -------------
/usr/bin/dpkg -r tierd > /tmp/dpkg.out 2>&1
rc=$?
sed 's/^/SDU-DPKG /' /tmp/dpkg.out
echo "SDU-REMOVE rc=$rc $(state) conf_rate=$(conf_rate) tierctl_bin=$([ -e /usr/bin/tierctl ] && echo 1 || echo 0) rundir=$([ -e /run/tierd ] && echo 1 || echo 0)"

# --- purge: the conffile and the enablement go, the group stays ----------------
/usr/bin/dpkg -P tierd > /tmp/dpkg.out 2>&1
rc=$?
sed 's/^/SDU-DPKG /' /tmp/dpkg.out
echo "SDU-PURGE rc=$rc $(state) wants=$([ -L /etc/systemd/system/multi-user.target.wants/tierd.service ] && echo 1 || echo 0) dsh_state=$(ls /var/lib/systemd/deb-systemd-helper-enabled/ 2>/dev/null | grep -c tierd)"
echo "SDU-TIERD-LOG-BEGIN"
journalctl -b --no-pager -o short-monotonic -u tierd | tail -n 60
echo "SDU-TIERD-LOG-END"
finish 0
EOF
}

build_root || { echo "FAIL: could not build the initramfs in $work"; exit 1; }
echo "systemd-deb: kernel=$kernel accel=${E2E_ACCEL:-tcg} timeout=${timeout_s}s $(basename "$deb1") -> $(basename "$deb2"); root of $(echo "$sd_packages" | wc -w) packages, initramfs $(( $(stat -c %s "$work/initramfs.gz") >> 20 )) MiB"
guest_boot "rdinit=/usr/lib/systemd/systemd systemd.unit=sdu.target systemd.show_status=0"

sd_judge_begin
if [ -z "$infra_fail" ]; then
	l=$(line SDU-BEGIN)
	check systemd_pid1 "$( [ "$(kv "$l" pid1)" = systemd ] && echo 1 || echo 0)" \
		"PID 1 is '$(kv "$l" pid1)', dpkg $(kv "$l" dpkg), $(kv "$l" packages) packages in the dpkg database"

	l=$(line SDU-INSTALL)
	check install "$( [ "$(kv "$l" rc)" = 0 ] && [ "$(kv "$l" dpkg)" = "ii$v1" ] && echo 1 || echo 0)" \
		"dpkg -i $(basename "$deb1"): rc=$(kv "$l" rc), status $(kv "$l" dpkg)"
	check group_created "$( [ "$(kv "$l" group)" = 1 ] && [ "$(kv "$l" conf_group)" = tierd ] &&
		[ "$(kv "$l" sock_group)" = tierd ] && echo 1 || echo 0)" \
		"group tierd in /etc/group: $(kv "$l" group); stats_group = $(kv "$l" conf_group); socket group $(kv "$l" sock_group)"
	check enabled_started "$( [ "$(kv "$l" active)" = active ] && [ "$(kv "$l" enabled)" = enabled ] &&
		[ "$(kv "$l" wants)" = 1 ] && [ "$(kv "$l" start_rc)" = 0 ] && echo 1 || echo 0)" \
		"after install: $(kv "$l" active), $(kv "$l" enabled) (multi-user.target.wants link: $(kv "$l" wants)); systemctl start rc=$(kv "$l" start_rc)"
	st=$(grep -m1 '^SDU-INSTALL-STATUS' "$C" | sed 's/^SDU-INSTALL-STATUS //')
	check status_text "$(grep -Eq '; sources: [a-z_,]+; tracking [0-9]+ process' <<<"$st" && echo 1 || echo 0)" \
		"StatusText: '$st'"

	l=$(line SDU-RELOAD)
	check reload "$( [ "$(kv "$l" rc)" = 0 ] && [ "$(kv "$l" running_rate)" = 7 ] && echo 1 || echo 0)" \
		"local edit rate_limit_mbps = 7, systemctl reload rc=$(kv "$l" rc): tierd runs with $(kv "$l" running_rate)"

	l=$(line SDU-UPGRADE)
	check upgrade "$( [ "$(kv "$l" rc)" = 0 ] && [ "$(kv "$l" dpkg)" = "ii$v2" ] &&
		[ "$(kv "$l" active)" = active ] && [ "$(kv "$l" pid)" != "$(kv "$l" pid_before)" ] && echo 1 || echo 0)" \
		"dpkg -i $(basename "$deb2"): rc=$(kv "$l" rc), status $(kv "$l" dpkg), $(kv "$l" active), restarted: pid $(kv "$l" pid_before) -> $(kv "$l" pid)"
	check upgrade_keeps_conffile "$( [ "$(kv "$l" conf_same)" = 1 ] && [ "$(kv "$l" conf_rate)" = 7 ] &&
		[ "$(kv "$l" running_rate)" = 7 ] && [ "$(kv "$l" leftovers)" = 0 ] && echo 1 || echo 0)" \
		"/etc/tierd.conf unchanged=$(kv "$l" conf_same), rate_limit_mbps = $(kv "$l" conf_rate) in the file and $(kv "$l" running_rate) in the new tierd, $(kv "$l" leftovers) .dpkg-* files"

	b=$(line SDU-BEFORE)
	l=$(line SDU-REMOVE)
	check remove "$( [ "$(kv "$l" rc)" = 0 ] && [ "$(kv "$l" active)" = inactive ] &&
		[ "$(kv "$l" unit_file)" = 0 ] && [ "$(kv "$l" load)" = not-found ] &&
		[ "$(kv "$l" tierd_bin)" = 0 ] && [ "$(kv "$l" tierctl_bin)" = 0 ] &&
		[ "$(kv "$l" rundir)" = 0 ] && echo 1 || echo 0)" \
		"dpkg -r: rc=$(kv "$l" rc), $(kv "$l" active), LoadState=$(kv "$l" load), unit file=$(kv "$l" unit_file), tierd=$(kv "$l" tierd_bin) tierctl=$(kv "$l" tierctl_bin), /run/tierd=$(kv "$l" rundir)"
	check remove_keeps_conffile "$( [ "$(kv "$l" conf)" = 1 ] && [ "$(kv "$l" conf_rate)" = 7 ] &&
		[ "$(kv "$l" dpkg)" = "rc$v2" ] && echo 1 || echo 0)" \
		"after dpkg -r: /etc/tierd.conf present=$(kv "$l" conf) (rate $(kv "$l" conf_rate)), dpkg status $(kv "$l" dpkg)"
	check sysctls_restored "$( [ "$(kv "$l" nb)" = "$(kv "$b" nb)" ] && [ "$(kv "$l" nb_rate)" = "$(kv "$b" nb_rate)" ] && echo 1 || echo 0)" \
		"kernel.numa_balancing $(kv "$b" nb) / promote_rate_limit_MBps $(kv "$b" nb_rate) before install, $(kv "$l" nb) / $(kv "$l" nb_rate) after dpkg -r"

	l=$(line SDU-PURGE)
	check purge "$( [ "$(kv "$l" rc)" = 0 ] && [ "$(kv "$l" conf)" = 0 ] && [ "$(kv "$l" wants)" = 0 ] &&
		[ "$(kv "$l" dsh_state)" = 0 ] && [ "$(kv "$l" dpkg)" = none ] && echo 1 || echo 0)" \
		"dpkg -P: rc=$(kv "$l" rc), /etc/tierd.conf present=$(kv "$l" conf), wants link=$(kv "$l" wants), deb-systemd-helper state=$(kv "$l" dsh_state), dpkg status '$(kv "$l" dpkg)'"
	check purge_keeps_group "$( [ "$(kv "$l" group)" = 1 ] && echo 1 || echo 0)" \
		"group tierd after purge: $(kv "$l" group) (kept: files may still carry its gid)"
fi
sd_judge_end "Debian package under systemd"
