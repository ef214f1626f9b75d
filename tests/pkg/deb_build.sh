#!/usr/bin/env bash
# The Debian package builds from this tree with scripts/build-deb.sh, twice
# (the changelog's version and a later one, for the upgrade the guest test
# does), is lintian clean but for the overrides debian/ justifies, and holds
# what it must: the binaries, the unit, /etc/tierd.conf as a conffile naming
# the tierd group, the group's sysusers.d file created in postinst before
# the service starts, the man pages.
#   deb_build.sh SOURCE_DIR OUTDIR
# Writes OUTDIR/debs: the two .deb paths, older first (the guest test's
# input).  Exit 0 PASS, 1 FAIL, 77 SKIP (no dpkg-buildpackage/lintian).
set -uo pipefail
top=$1 out=$2
for t in dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null ||
		{ echo "SKIP: $t not installed (scripts/install-deps.sh)"; exit 77; }
done
rm -rf "$out"
mkdir -p "$out"
fails=0
check() {	# check OK(0/1) TEXT
	if [ "$1" = 1 ]; then echo "PASS: $2"; else echo "FAIL: $2"; fails=$((fails + 1)); fi
}

ver=$(cd "$top" && dpkg-parsechangelog -S Version) ||
	{ echo "FAIL: cannot read debian/changelog"; exit 1; }
up=$ver+upgrade1
deb1=$(bash "$top/scripts/build-deb.sh" "$out" | tail -n 1) ||
	{ echo "FAIL: building $ver"; exit 1; }
deb2=$(bash "$top/scripts/build-deb.sh" "$out" --version "$up" | tail -n 1) ||
	{ echo "FAIL: building $up"; exit 1; }
check 1 "built $(basename "$deb1") and $(basename "$deb2")"
printf '%s\n%s\n' "$deb1" "$deb2" > "$out/debs"
dpkg --compare-versions "$up" gt "$ver"
check "$([ $? = 0 ] && echo 1 || echo 0)" "$up is a later version than $ver"

for deb in "$deb1" "$deb2"; do
	lintian --pedantic --display-info --fail-on error,warning,info,pedantic \
		"$deb" > "$out/lintian.out" 2>&1
	rc=$?
	l=$(grep -v '^running with root privileges' "$out/lintian.out")
	[ -n "$l" ] && echo "$l" | sed 's/^/  lintian: /'
	check "$([ "$rc" = 0 ] && echo 1 || echo 0)" \
		"lintian --pedantic $(basename "$deb"): exit $rc, $(grep -c '^[EWIPX]:' <<<"$l") tags not overridden"
done

x=$out/x
dpkg-deb -R "$deb1" "$x" || { echo "FAIL: dpkg-deb -R $deb1"; exit 1; }
for f in usr/sbin/tierd usr/bin/tierctl lib/systemd/system/tierd.service \
	 etc/tierd.conf usr/lib/sysusers.d/tierd.conf \
	 usr/share/man/man8/tierd.8.gz usr/share/man/man8/tierctl.8.gz \
	 usr/share/man/man5/tierd.conf.5.gz usr/share/doc/tierd/copyright; do
	check "$([ -e "$x/$f" ] && echo 1 || echo 0)" "ships /$f"
done
check "$(grep -qx /etc/tierd.conf "$x/DEBIAN/conffiles" && echo 1 || echo 0)" \
	"/etc/tierd.conf is a conffile ($(tr '\n' ' ' < "$x/DEBIAN/conffiles"))"
check "$(grep -qx 'stats_group = tierd' "$x/etc/tierd.conf" && echo 1 || echo 0)" \
	"/etc/tierd.conf sets stats_group = tierd"
check "$(grep -qx 'g tierd - -' "$x/usr/lib/sysusers.d/tierd.conf" && echo 1 || echo 0)" \
	"sysusers.d creates the group tierd"
check "$("$x/usr/sbin/tierd" --check-config "$x/etc/tierd.conf" >/dev/null 2>&1 && echo 1 || echo 0)" \
	"the shipped /etc/tierd.conf is valid (tierd --check-config)"
check "$(grep -qx 'ExecStart=/usr/sbin/tierd' "$x/lib/systemd/system/tierd.service" &&
	grep -q '^ExecReload=/usr/bin/tierctl ' "$x/lib/systemd/system/tierd.service" && echo 1 || echo 0)" \
	"the unit runs /usr/sbin/tierd and reloads with /usr/bin/tierctl"
# the group must exist before the service starts (the socket gets it)
su=$(grep -n 'systemd-sysusers' "$x/DEBIAN/postinst" | head -n 1 | cut -d: -f1)
st=$(grep -n 'deb-systemd-invoke \$_dh_action' "$x/DEBIAN/postinst" | head -n 1 | cut -d: -f1)
check "$([ -n "$su" ] && [ -n "$st" ] && [ "$su" -lt "$st" ] && echo 1 || echo 0)" \
	"postinst creates the group (line ${su:-none}) before it starts tierd (line ${st:-none})"
bv=$("$x/usr/sbin/tierd" --version 2>&1)
check "$([ "$bv" = "tierd ${ver%%[-+~]*}" ] && echo 1 || echo 0)" \
	"the packaged tierd says '$bv' for package version $ver (CMakeLists.txt and debian/changelog agree)"
deps=$(dpkg-deb -f "$deb1" Depends)
check "$(grep -q 'libbpf1' <<<"$deps" && grep -q 'systemd' <<<"$deps" && echo 1 || echo 0)" \
	"Depends: $deps"
exit $((fails != 0))
