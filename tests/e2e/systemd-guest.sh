# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by systemd-unit.sh and systemd-deb.sh: a guest root in which the
# host's own systemd boots as PID 1 (two-node guest of guest-lib.sh), a boot
# service that runs the caller's checks (/sdu/check.sh, printing SDU-*
# lines on the serial console), and the host-side judging helpers.
# Source it after guest-lib.sh and guest_workdir; it defines functions.
#
# The root is an initramfs: the host's systemd (PID 1, systemctl,
# journald, their libraries, the .target units), busybox for the shell
# tools, whatever the caller adds.  There is no /etc/initrd-release, so
# systemd boots it as a normal system, into sdu.target.

# Copies keep the host's usr-merged paths; /bin, /sbin, /lib, /lib64 are
# symlinks into /usr in the guest too.
guest_path() {
	case "$1" in
	/usr/*) echo "$1" ;;
	/bin/*|/sbin/*|/lib/*|/lib64/*) echo "/usr$1" ;;
	*) echo "$1" ;;
	esac
}

# Skips (77) unless this host has the systemd tools the root is made of.
sd_need_tools() {
	[ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd on this host (systemd)"
	local b
	for b in /lib/systemd/systemd-journald "$(command -v systemctl)" \
		 "$(command -v journalctl)"; do
		[ -x "$b" ] || skip "systemd tool '$b' missing on this host"
	done
}

# sd_root_base: the directory tree, systemd, journald, the targets, the
# check service, a root-only passwd/group.
sd_root_base() {
	local d u b
	mkdir -p "$root"/usr/{bin,sbin,lib,lib64} \
		 "$root"/{proc,sys,dev,run,tmp,var/tmp,var/lib,home,root,etc/systemd/system,sdu} || return 1
	ln -s usr/bin "$root/bin" && ln -s usr/sbin "$root/sbin" &&
		ln -s usr/lib "$root/lib" && ln -s usr/lib64 "$root/lib64" || return 1
	chmod 1777 "$root/tmp" "$root/var/tmp"

	for b in /lib/systemd/systemd /lib/systemd/systemd-journald \
		 /lib/systemd/systemd-shutdown "$(command -v systemctl)" \
		 "$(command -v journalctl)"; do
		copy_with_libs "$b" || return 1
	done

	# units: every target (their .wants are left out), journald
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

	cat > "$d/sdu.target" <<EOF
[Unit]
Description=tierd systemd e2e test
Requires=basic.target sdu-check.service
After=basic.target
AllowIsolate=yes
EOF
	cat > "$d/sdu-check.service" <<EOF
[Unit]
Description=tierd systemd e2e checks
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
	echo "root:*:19000:0:99999:7:::" > "$root/etc/shadow"
	echo "root:*::" > "$root/etc/gshadow"
	chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
	printf 'passwd: files\ngroup: files\nshadow: files\n' > "$root/etc/nsswitch.conf"
	echo 0123456789abcdef0123456789abcdef > "$root/etc/machine-id"
	: > "$root/etc/fstab"
}

# _sd_pick GROUP: the installed package that satisfies one dependency
# group ("a (>= 1) | b"): the first alternative installed, or an installed
# package that provides one.
_sd_pick() {
	local g a pick
	local -a alts
	g=$(sed 's/([^)]*)//g; s/:any//g; s/[[:space:]]//g' <<<"$1")
	IFS='|' read -ra alts <<<"$g"
	for a in "${alts[@]}"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$a" 2>/dev/null | grep -q '^ii' &&
			{ echo "$a"; return 0; }
	done
	for a in "${alts[@]}"; do
		pick=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null |
			awk -v v="$a" '$1 == "ii" { for (i = 3; i <= NF; i++) {
				q = $i; gsub(/,/, "", q); if (q == v) { print $2; exit } } }')
		[ -n "$pick" ] && { echo "$pick"; return 0; }
	done
	return 1
}

# sd_root_packages DEPENDS...: each argument a dependency list as in a
# package's Depends ("libc6 (>= 2.34), systemd | systemd-sysusers"):
# every file of the packages that satisfy them and of what those depend
# on (Pre-Depends, Depends), as the host has them, and a dpkg database in
# the guest that lists exactly those packages, so dpkg there checks a
# package's dependencies against what really is in the root.
# Documentation, man pages and locales are left out, and so are the
# .wants links the packages ship, so only what sd_root_base enables runs.
# Sets sd_packages to the list.
sd_root_packages() {
	local -A seen=()
	local -a queue=() groups
	local p g pick f
	local db=$root/var/lib/dpkg

	for g in "$@"; do
		IFS=, read -ra groups <<<"$g"
		queue+=("${groups[@]}")
	done
	while [ ${#queue[@]} -gt 0 ]; do
		g=${queue[0]}
		queue=("${queue[@]:1}")
		[ -n "${g//[[:space:],]/}" ] || continue
		pick=$(_sd_pick "$g") ||
			{ echo "systemd-guest: nothing installed on this host provides '$g'" >&2; return 1; }
		[ -n "${seen[$pick]:-}" ] && continue
		seen[$pick]=1
		IFS=, read -ra groups <<<"$(dpkg-query -W -f='${Pre-Depends},${Depends}' "$pick")"
		queue+=("${groups[@]}")
	done

	mkdir -p "$db/info" "$db/updates" "$db/triggers" "$db/alternatives" || return 1
	: > "$db/status"
	: > "$db/available"
	for p in $(printf '%s\n' "${!seen[@]}" | sort); do
		dpkg-query -s "$p" >> "$db/status" && echo >> "$db/status" || return 1
		for f in "/var/lib/dpkg/info/$p.list" "/var/lib/dpkg/info/$p:amd64.list"; do
			[ -e "$f" ] && cp "$f" "$db/info/"
		done
		dpkg-query -L "$p" 2>/dev/null
	done | grep -v -e '^/usr/share/\(doc\|man\|locale\|info\)/' -e '\.wants/' \
			-e '\.requires/' -e '^/\(bin\|sbin\|lib\|lib32\|lib64\|libx32\)$' |
		while IFS= read -r f; do
			# directories come with their files
			if [ -L "$f" ] || { [ -e "$f" ] && [ ! -d "$f" ]; }; then
				printf '%s\0' "${f#/}"
			fi
		done | sort -zu > "$work/package-files"
	# /lib, /bin ... in the root are links into /usr: tar keeps them
	tar -C / --no-recursion --null -T "$work/package-files" -cf - |
		tar -C "$root" --keep-directory-symlink -xpf - || return 1
	sd_packages=$(printf '%s\n' "${!seen[@]}" | sort | tr '\n' ' ')
}

# sd_root_finish: busybox applets for the commands no directory on PATH
# has yet (busybox's own dpkg, say, must not shadow the real one), the
# check script, the initramfs.  write_check (the caller's) prints
# /sdu/check.sh.
sd_root_finish() {
	local a u d have
	cp "$busybox" "$root/usr/bin/busybox" || return 1
	for a in $("$busybox" --list-full); do
		u=/usr/${a#usr/}
		case "${a##*/}" in
		init|linuxrc|poweroff|reboot|halt|busybox) continue ;;
		esac
		have=0
		for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin; do
			[ -e "$root$d/${a##*/}" ] || [ -L "$root$d/${a##*/}" ] && have=1
		done
		[ $have = 1 ] && continue
		mkdir -p "$root${u%/*}" && ln -s /usr/bin/busybox "$root$u" || return 1
	done
	write_check > "$root/sdu/check.sh" || return 1
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initramfs.gz"
}

# The guest's helpers, for the start of each check.sh.
sd_check_prelude() {
	cat <<'EOF'
#!/bin/sh
exec >/dev/ttyS0 2>&1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin
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
wait_until() {	# wait_until SECONDS CMD...: poll CMD every 0.2 s
	n=$(( $1 * 5 )); shift
	while ! "$@"; do
		n=$((n - 1))
		[ $n -le 0 ] && return 1
		usleep 200000
	done
}
EOF
}

# ---- judging, on the host ----------------------------------------------

# sd_judge_begin: the console without CRs in $C, infra_fail set when the
# guest did not run its checks to the end; prints the SDU- lines.
sd_judge_begin() {
	tr -d '\r' < "$log" > "$work/console.clean" 2>/dev/null
	C=$work/console.clean
	failures=()
	passes=()
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
	grep '^SDU-' "$C" | grep -v '^SDU-[A-Z-]*-BEGIN\|^SDU-[A-Z-]*-END\|^SDU-J ' | sed 's/^/  /'
}

check() {	# check NAME OK(0/1) DETAIL
	if [ "$2" = 1 ]; then passes+=("$1: $3"); else failures+=("$1: $3"); fi
}
kv() {	# kv LINE KEY
	sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<<"$1" | head -n 1
}
line() {
	grep -m1 "^$1 " "$C"
}

# sd_judge_end TITLE: the summary, the diagnostics on failure, the kept
# console log; returns 0 on PASS.
sd_judge_end() {
	local p f result=PASS dest
	echo "---- e2e summary: $1 (${elapsed_s}s) ----"
	for p in "${passes[@]}"; do echo "  PASS $p"; done
	for f in "${failures[@]}"; do echo "  FAIL $f"; done
	[ -n "$infra_fail" ] && echo "  FAIL run: $infra_fail"
	[ -n "$infra_fail" ] || [ ${#failures[@]} -gt 0 ] && result=FAIL
	if [ "$result" = FAIL ]; then
		sed -n '/^SDU-DIAG-BEGIN/,/^SDU-DIAG-END/p' "$C"
		sed -n '/^SDU-TIERD-LOG-BEGIN/,/^SDU-TIERD-LOG-END/p' "$C"
	fi
	echo "RESULT: $result"
	if [ "$result" = FAIL ] || [ "$keep" = 1 ]; then
		mkdir -p "$artifact_dir" 2>/dev/null
		dest=$artifact_dir/tierd-e2e-$guest_prog-$(date +%Y%m%d-%H%M%S).log
		cp "$log" "$dest" 2>/dev/null && echo "console log: $dest"
	fi
	[ "$result" = PASS ]
}
