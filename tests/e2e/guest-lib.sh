# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by run-e2e.sh and systemd-unit.sh: the host tools a guest run
# needs, and booting the two-node NUMA guest (qemu TCG; node 0 with both
# vCPUs and 1 GiB, node 1 memory-only with 1 GiB, distance 20) with a
# bounded wait.  Source it; it defines functions and sets nothing else.

skip() {
	echo "SKIP: $*"
	exit 77
}

# Skips (exit 77) unless qemu, cpio, jq and a static busybox are there and
# a guest kernel is found; sets $busybox, and $kernel when it was empty.
guest_need_tools() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (scripts/install-deps.sh)"
	command -v cpio >/dev/null || skip "cpio not installed"
	command -v jq >/dev/null || skip "jq not installed (scripts/install-deps.sh)"
	busybox=$(command -v busybox) || skip "busybox-static not installed"
	ldd "$busybox" >/dev/null 2>&1 && skip "$busybox is dynamically linked; install busybox-static"
	if [ -z "$kernel" ]; then
		kernel=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
		[ -n "$kernel" ] || skip "no guest kernel in /boot (linux-image-amd64)"
	fi
	[ -r "$kernel" ] || skip "guest kernel $kernel is not readable"
}

# Where a host file goes in the guest root: the same path, unless the
# caller redefines this (systemd-unit.sh maps into its usr-merged root).
guest_path() {
	echo "$1"
}

# copy_with_libs SRC [DEST]: install SRC into $root at DEST (default its
# guest_path), with every shared library ldd names for it.
copy_with_libs() {
	local bin=$1 dest=${2:-$(guest_path "$1")} lib
	install -D -m 0755 "$bin" "$root$dest" || return 1
	# ldd prints "name => /path (addr)" and "/lib64/ld-linux... (addr)"
	for lib in $(ldd "$bin" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		[ -e "$root$(guest_path "$lib")" ] && continue
		install -D -m 0755 "$(readlink -f "$lib")" \
			"$root$(guest_path "$lib")" || return 1
	done
}

# guest_workdir PROG PREFIX: a fresh $work (with $root and $log in it),
# removed at exit unless $keep=1, with a still-running qemu killed.
guest_workdir() {
	guest_prog=$1
	work=$(mktemp -d "${TMPDIR:-/tmp}/$2.XXXXXX") || exit 1
	root=$work/root
	log=$work/console.log
	qemu_pid=
	trap guest_cleanup EXIT
	trap 'exit 1' INT TERM
}

guest_cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	if [ "${keep:-0}" = 1 ]; then
		echo "$guest_prog: kept $work"
	else
		rm -rf "$work"
	fi
}

# guest_boot EXTRA_CMDLINE: boot $kernel with $work/initramfs.gz, serial
# console to $log, killed after $timeout_s; with $verbose=1 the console is
# followed on stdout.  Sets qemu_rc, timed_out and elapsed_s; $qemu_pid
# holds the pid while it runs so guest_cleanup can kill it.
guest_boot() {
	local accel=tcg tail_pid= start_s
	local -a args

	[ "${E2E_ACCEL:-}" = kvm ] && accel=kvm
	args=(
		-accel "$accel" -smp 2 -m 2G -display none -monitor none -no-reboot
		-object memory-backend-ram,id=m0,size=1G
		-object memory-backend-ram,id=m1,size=1G
		-numa node,nodeid=0,cpus=0-1,memdev=m0
		-numa node,nodeid=1,memdev=m1
		-numa dist,src=0,dst=1,val=20
		-kernel "$kernel" -initrd "$work/initramfs.gz"
		-append "console=ttyS0 panic=-1 oops=panic loglevel=4 transparent_hugepage=madvise${1:+ $1}"
		-serial "file:$log"
	)
	if [ "$accel" = tcg ]; then args+=(-cpu max); else args+=(-cpu host); fi

	start_s=$(date +%s)
	qemu-system-x86_64 "${args[@]}" </dev/null >"$work/qemu.out" 2>&1 &
	qemu_pid=$!
	if [ "${verbose:-0}" = 1 ]; then
		tail -F "$log" 2>/dev/null &
		tail_pid=$!
	fi
	timed_out=0
	while kill -0 "$qemu_pid" 2>/dev/null; do
		if [ $(( $(date +%s) - start_s )) -ge "$timeout_s" ]; then
			timed_out=1
			kill "$qemu_pid" 2>/dev/null
			sleep 2
			kill -KILL "$qemu_pid" 2>/dev/null
			break
		fi
		sleep 1
	done
	wait "$qemu_pid" 2>/dev/null
	qemu_rc=$?
	qemu_pid=
	[ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null
	elapsed_s=$(( $(date +%s) - start_s ))
	return 0
}
