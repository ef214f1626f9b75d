#!/bin/sh
# Verify the generated systemd unit with systemd-analyze.  The unit names
# the installed binary, which need not exist at test time, so a copy with
# ExecStart pointing at the built tierd is verified instead.
# usage: test_unit_file.sh GENERATED_UNIT BUILT_TIERD
set -eu
unit=$1
tierd=$2

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze not installed"
	exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

for key in Type=notify NotifyAccess=main WatchdogSec=30s \
	   Restart=on-failure 'ExecReload=/bin/kill -HUP $MAINPID' \
	   RuntimeDirectory=tierd NoNewPrivileges=yes ProtectSystem=strict \
	   RestrictAddressFamilies=AF_UNIX; do
	if ! grep -qxF "$key" "$unit"; then
		echo "FAIL: $unit lacks '$key'"
		exit 1
	fi
done
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
for cap in CAP_BPF CAP_PERFMON CAP_SYS_PTRACE CAP_DAC_OVERRIDE; do
	case " $caps " in
	*" $cap "*) ;;
	*) echo "FAIL: CapabilityBoundingSet lacks $cap: '$caps'"; exit 1 ;;
	esac
done
case " $caps " in
*CAP_SYS_ADMIN*) echo "FAIL: CAP_SYS_ADMIN must not be granted"; exit 1 ;;
esac
grep -q '^ExecStart=/.*/tierd$' "$unit" || {
	echo "FAIL: ExecStart is not an absolute path to tierd"; exit 1; }

sed "s|^ExecStart=.*|ExecStart=$tierd|" "$unit" > "$dir/tierd.service"
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
