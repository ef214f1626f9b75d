#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The e2e guest kernels, from Debian packages, without touching the host's
# /boot: `apt-get download` the image package, `dpkg-deb -x` it into a
# scratch directory, keep vmlinuz, its config and the package record in a
# cache directory named after the package and version, and point a symlink
# named after the kernel (6.12, 6.1) at it.  A complete cache entry is
# re-used; an older one for the same name is removed once the newer is in.
#
#   6.12  newest linux-image-6.12.N+deb12-amd64-unsigned (bookworm-security):
#         the main target (DAMON, HMAT memory tiers, PAGEMAP_SCAN)
#   6.1   the image linux-image-amd64 depends on (Debian 12's own kernel)
#
# The guest initramfs loads no modules, so every feature the e2e tests use
# must be built in: the config is checked against the list below and a
# feature that is a module (or missing) fails the fetch, naming it.
#
# Usage: guest-kernels.sh [NAME...]      fetch (default: all names)
#        guest-kernels.sh --path NAME    print NAME's cache directory (holds
#                                        vmlinuz, config, package); exit 1
#                                        with a message when not cached
# Exit: 0 done, 1 failure (named on stderr), 2 unknown kernel name.
# Cache: $TIERD_GUEST_KERNELS, default /var/cache/tierd/guest-kernels.
set -euo pipefail

cache=${TIERD_GUEST_KERNELS:-/var/cache/tierd/guest-kernels}
known=(6.12 6.1)

# Built-in options every guest kernel needs: initramfs boot on the serial
# console, NUMA with HMAT tiers, BPF with BTF, the tracking interfaces.
need_all=(
	BLK_DEV_INITRD RD_GZIP DEVTMPFS TMPFS SERIAL_8250 SERIAL_8250_CONSOLE
	NUMA ACPI_NUMA ACPI_HMAT HMEM_REPORTING NUMA_BALANCING MIGRATION
	BPF_SYSCALL DEBUG_INFO_BTF DEBUG_FS FTRACE CGROUPS
	MEM_SOFT_DIRTY USERFAULTFD TRANSPARENT_HUGEPAGE
)
# ... and on 6.12 the read-hot sources: DAMON (vaddr, paddr, sysfs) and
# userfaultfd write-protect markers (WP-async / PAGEMAP_SCAN).
need_6_12=(DAMON DAMON_VADDR DAMON_PADDR DAMON_SYSFS PTE_MARKER_UFFD_WP)

die() {
	echo "guest-kernels: $*" >&2
	exit 1
}

# candidate VERSION of package $1, empty when apt does not know it
candidate() {
	apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

# package NAME: the Debian package that holds guest kernel NAME
package_for() {
	case "$1" in
	6.12)
		apt-cache pkgnames linux-image-6.12. 2>/dev/null |
			grep -E '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' |
			sort -V | tail -n 1
		;;
	6.1)
		apt-cache depends linux-image-amd64 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-6\.1\./ { print $2; exit }'
		;;
	esac
}

known_name() {
	local k
	for k in "${known[@]}"; do [ "$k" = "$1" ] && return 0; done
	echo "guest-kernels: unknown guest kernel '$1' (known: ${known[*]})" >&2
	exit 2
}

# check_config NAME FILE: every needed option is =y
check_config() {
	local opt val bad=()
	local -a want=("${need_all[@]}")
	[ "$1" = 6.12 ] && want+=("${need_6_12[@]}")
	for opt in "${want[@]}"; do
		val=$(sed -n "s/^CONFIG_$opt=//p" "$2")
		case "$val" in
		y) ;;
		m) bad+=("CONFIG_$opt is a module (the guest initramfs loads none)") ;;
		*) bad+=("CONFIG_$opt is not set") ;;
		esac
	done
	[ ${#bad[@]} -eq 0 ] && return 0
	printf 'guest-kernels: %s: %s\n' "$2" "${bad[@]}" >&2
	return 1
}

print_path() {
	local dir=$cache/$1
	if [ -e "$dir/.complete" ] && [ -r "$dir/vmlinuz" ]; then
		readlink -f "$dir"
		return 0
	fi
	echo "guest-kernels: guest kernel '$1' is not in $cache (run scripts/install-deps.sh or scripts/guest-kernels.sh $1 as root)" >&2
	return 1
}

fetch() {	# fetch NAME
	local name=$1 pkg ver entry dir old
	pkg=$(package_for "$name")
	if [ -z "$pkg" ] || [ -z "$(candidate "$pkg")" ]; then
		# a fresh machine may never have read its package lists
		[ -n "${updated:-}" ] || { apt-get update -qq || true; updated=1; }
		pkg=$(package_for "$name")
	fi
	[ -n "$pkg" ] || die "no Debian package for guest kernel $name in the apt lists (is bookworm-security in /etc/apt/sources.list?)"
	ver=$(candidate "$pkg")
	[ -n "$ver" ] || die "$pkg has no installable version (apt-cache policy $pkg)"
	entry=${pkg}_${ver//:/%3a}
	dir=$cache/$entry
	if [ -e "$dir/.complete" ]; then
		echo "guest-kernels: $name: $pkg $ver cached in $dir"
	else
		unpack "$name" "$pkg" "$ver" "$dir"
	fi
	ln -sfn "$entry" "$cache/$name"
	# drop what this name pointed to before
	for old in "$cache"/*/; do
		old=${old%/}
		[ -L "$old" ] || [ "$old" = "$dir" ] && continue
		grep -qsx "name=$name" "$old/package" && rm -rf "$old"
	done
	return 0
}

unpack() {	# unpack NAME PACKAGE VERSION DIR
	local name=$1 pkg=$2 ver=$3 dir=$4 tmp deb release
	echo "guest-kernels: $name: downloading $pkg $ver"
	rm -rf "$dir"
	tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
	# apt drops root to _apt for downloads: let it write here
	chmod 0755 "$tmp"
	id _apt >/dev/null 2>&1 && chown _apt "$tmp"
	if ! (cd "$tmp" && apt-get download -qq "$pkg=$ver"); then
		rm -rf "$tmp"
		die "apt-get download $pkg=$ver failed (network? apt sources?)"
	fi
	deb=$(ls "$tmp"/*.deb)
	if ! dpkg-deb -x "$deb" "$tmp/x"; then
		rm -rf "$tmp"
		die "dpkg-deb -x $deb failed"
	fi
	release=$(ls "$tmp/x/boot" | sed -n 's/^vmlinuz-//p' | head -n 1)
	if [ -z "$release" ] || [ ! -r "$tmp/x/boot/config-$release" ]; then
		rm -rf "$tmp"
		die "$pkg $ver holds no /boot/vmlinuz-* with its config"
	fi
	if ! check_config "$name" "$tmp/x/boot/config-$release"; then
		rm -rf "$tmp"
		die "$pkg $ver lacks built-in features the guest needs (above)"
	fi
	mkdir -p "$dir"
	cp "$tmp/x/boot/vmlinuz-$release" "$dir/vmlinuz"
	cp "$tmp/x/boot/config-$release" "$dir/config"
	printf 'name=%s\npackage=%s\nversion=%s\nrelease=%s\n' \
		"$name" "$pkg" "$ver" "$release" > "$dir/package"
	chmod -R a+rX "$dir"
	touch "$dir/.complete"
	rm -rf "$tmp"
	echo "guest-kernels: $name: $pkg $ver ($release) in $dir"
}

if [ "${1:-}" = --path ]; then
	[ $# -eq 2 ] || die "usage: $0 --path NAME"
	known_name "$2"
	print_path "$2"
	exit
fi
case "${1:-}" in -h|--help) sed -n '3,/^set -e/{/^set -e/d; s/^# \{0,1\}//p}' "$0"; exit 0 ;; esac
names=("${known[@]}")
[ $# -gt 0 ] && names=("$@")
for n in "${names[@]}"; do known_name "$n"; done

if [ "$(id -u)" -ne 0 ]; then
	missing=()
	for n in "${names[@]}"; do print_path "$n" >/dev/null 2>&1 || missing+=("$n"); done
	[ ${#missing[@]} -eq 0 ] && exit 0
	die "need root to fetch guest kernel(s) ${missing[*]} into $cache"
fi
mkdir -p "$cache"
chmod 0755 "$cache"
# one fetch at a time (two worktrees may run install-deps at once)
exec {lock}>"$cache/.lock"
flock "$lock"
rm -rf "$cache"/.fetch.*	# left by a fetch that was killed
for n in "${names[@]}"; do
	fetch "$n"
done
