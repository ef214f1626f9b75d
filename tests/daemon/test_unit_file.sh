#!/bin/sh
# Verify the generated systemd unit with systemd-analyze.  The unit names
# the installed binaries, which need not exist at test time, so a copy with
# ExecStart and ExecReload pointing at the built tierd and tierctl is
# verified instead.
# usage: test_unit_file.sh GENERATED_UNIT BUILT_TIERD BUILT_TIERCTL
set -eu
unit=$1
tierd=$2
tierctl=$3

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze not installed"
	exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

for key in Type=notify NotifyAccess=main WatchdogSec=30s \
	   Restart=on-failure RuntimeDirectory=tierd \
	   RuntimeDirectoryPreserve=yes NoNewPrivileges=yes \
	   ProtectSystem=strict ProtectKernelTunables=yes \
	   ReadWritePaths=-/proc/sys/kernel/numa_balancing \
	   ReadWritePaths=-/proc/sys/kernel/numa_balancing_promote_rate_limit_MBps \
	   RestrictAddressFamilies=AF_UNIX; do
	if ! grep -qxF "$key" "$unit"; then
		echo "FAIL: $unit lacks '$key'"
		exit 1
	fi
done
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
for cap in CAP_BPF CAP_PERFMON CAP_SYS_PTRACE CAP_DAC_OVERRIDE CAP_CHOWN \
	   CAP_SYS_ADMIN; do
	case " $caps " in
	*" $cap "*) ;;
	*) echo "FAIL: CapabilityBoundingSet lacks $cap: '$caps'"; exit 1 ;;
	esac
done
grep -q '^ExecStart=/.*/tierd$' "$unit" || {
	echo "FAIL: ExecStart is not an absolute path to tierd"; exit 1; }
# systemctl reload must report a rejected file: tierctl waits for it
grep -q '^ExecReload=/.*/tierctl .*reload$' "$unit" || {
	echo "FAIL: ExecReload is not tierctl ... reload"; exit 1; }

sed "s|^ExecStart=.*|ExecStart=$tierd|; s|^ExecReload=[^ ]*|ExecReload=$tierctl|" \
	"$unit" > "$dir/tierd.service"
# man: pages are not installed in the build tree; verify the rest.
out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
	"$dir/tierd.service" 2>&1) || {
	echo "$out"
	echo "FAIL: systemd-analyze verify"
	exit 1
}
if [ -n "$out" ]; then
	echo "$out"
	echo "FAIL: systemd-analyze verify printed warnings"
	exit 1
fi
echo "PASS: $unit verifies ($(grep -c . "$unit") lines)"
