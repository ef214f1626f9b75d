#!/usr/bin/env bash
# `cmake --install` puts every file in its usual place, under a DESTDIR.
#   install_layout.sh BUILD_DIR PREFIX   (PREFIX: the configured one)
set -euo pipefail
build=$1 prefix=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

DESTDIR=$dest cmake --install "$build" >/dev/null
fail=0
for f in "$prefix/sbin/tierd" "$prefix/bin/tierctl" /etc/tierd.conf \
	 /lib/systemd/system/tierd.service \
	 "$prefix/share/man/man8/tierd.8" "$prefix/share/man/man8/tierctl.8" \
	 "$prefix/share/man/man5/tierd.conf.5"; do
	if [ -e "$dest$f" ]; then
		echo "ok   $f"
	else
		echo "MISSING $f"
		fail=1
	fi
done
[ -x "$dest$prefix/sbin/tierd" ] && [ -x "$dest$prefix/bin/tierctl" ] || fail=1
# the unit starts the binary where it was installed
grep -qx "ExecStart=$prefix/sbin/tierd" "$dest/lib/systemd/system/tierd.service" ||
	{ echo "unit ExecStart does not name $prefix/sbin/tierd"; fail=1; }
# the installed default config is valid
"$dest$prefix/sbin/tierd" --check-config "$dest/etc/tierd.conf" || fail=1
exit $fail
