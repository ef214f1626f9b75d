# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by run-e2e.sh and systemd-unit.sh: the host tools a guest run
# needs, the guest kernel by name, and booting the two-node NUMA guest (qemu
# TCG; node 0 with both vCPUs and 1 GiB, node 1 memory-only with 1 GiB,
# distance 20, HMAT: node 1 slower) with a bounded wait, one guest at a time
# machine-wide.  Source it; it defines functions and sets nothing else.

guest_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# One guest at a time on the machine: TCG guests are CPU-bound.
guest_lock_file=/tmp/tierd-guest.lock

skip() {
	echo "SKIP: $*"
	exit 77
}

# $kernel is a name (6.12, the default, or 6.1: a Debian kernel cached by
# scripts/guest-kernels.sh) or a path (anything with a "/").  Sets $kernel
# to the image's path and $kernel_name to the name ("" for a path).
guest_resolve_kernel() {
	local dir rc
	kernel_name=
	case "${kernel:=6.12}" in
	*/*) ;;
	*)
		kernel_name=$kernel
		dir=$(bash "$guest_lib_dir/../../scripts/guest-kernels.sh" --path "$kernel_name" 2>&1)
		rc=$?
		if [ $rc = 2 ]; then
			echo "$dir" >&2
			exit 2
		fi
		[ $rc = 0 ] || skip "$dir"
		kernel=$dir/vmlinuz
		;;
	esac
}

# Skips (exit 77) unless qemu, cpio, jq, flock and a static busybox are
# there and the guest kernel is found; sets $busybox, $kernel and
# $kernel_name (guest_resolve_kernel).
guest_need_tools() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (scripts/install-deps.sh)"
	command -v cpio >/dev/null || skip "cpio not installed"
	command -v jq >/dev/null || skip "jq not installed (scripts/install-deps.sh)"
	command -v flock >/dev/null || skip "flock not installed (util-linux)"
	busybox=$(command -v busybox) || skip "busybox-static not installed"
	ldd "$busybox" >/dev/null 2>&1 && skip "$busybox is dynamically linked; install busybox-static"
	guest_resolve_kernel
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

# guest_lock: wait for the machine-wide guest lock (flock on
# $guest_lock_file).  A caller that already holds it (e.g. the whole run
# under `flock /tmp/tierd-guest.lock ...`) passed its descriptor down to
# us: lock that same open file again, which cannot wait on itself.
guest_lock() {
	local fd
	guest_lock_fd=
	for fd in /proc/$$/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$guest_lock_file" ] || continue
		fd=${fd##*/}
		flock -n "$fd" && return 0
	done
	# read-only when another user created it: flock needs no write access
	if [ -e "$guest_lock_file" ] && [ ! -w "$guest_lock_file" ]; then
		exec {guest_lock_fd}<"$guest_lock_file" || return 1
	else
		exec {guest_lock_fd}>>"$guest_lock_file" || return 1
	fi
	if ! flock -n "$guest_lock_fd"; then
		echo "$guest_prog: waiting for $guest_lock_file (another guest is running)"
		flock "$guest_lock_fd" || return 1
	fi
}

guest_unlock() {
	[ -n "$guest_lock_fd" ] && exec {guest_lock_fd}>&-
	guest_lock_fd=
}

# The qemu arguments of the two-node guest.  HMAT gives node 1 (initiator:
# node 0's CPUs) 3x the latency and a quarter of the bandwidth of node 0,
# so kernels that place tiers by HMAT (6.7+) put it in a lower tier.
# E2E_HMAT=0 leaves HMAT out (to compare; the tiers check then fails on
# 6.12).
guest_qemu_numa_args() {
	local lb="-numa hmat-lb,initiator=0,hierarchy=memory" init=,initiator=0
	[ "${E2E_HMAT:-1}" = 0 ] && init=
	echo "-smp 2 -m 2G
		-object memory-backend-ram,id=m0,size=1G
		-object memory-backend-ram,id=m1,size=1G
		-numa node,nodeid=0,cpus=0-1,memdev=m0
		-numa node,nodeid=1,memdev=m1$init
		-numa dist,src=0,dst=1,val=20"
	[ -n "$init" ] || return 0
	echo "-machine hmat=on
		$lb,target=0,data-type=access-latency,latency=100
		$lb,target=0,data-type=access-bandwidth,bandwidth=20G
		$lb,target=1,data-type=access-latency,latency=300
		$lb,target=1,data-type=access-bandwidth,bandwidth=5G"
}

# guest_boot_emulator_crash LOG: the guest kernel took an int3 trap that
# no text patch claimed ("Oops: int3").  Linux patches its own code
# (static keys, tracepoints, BPF trampolines: every tierd start and stop
# flips some) by writing an int3 first and removing it once every CPU is
# synced; QEMU's multi-threaded TCG can keep running a stale translation
# with the int3 in it after that.  Seen here three times in four suite
# runs on 2026-12-02, at boot (sched_clock_cpu) and while systemd
# restarted tierd (exc_page_fault); hardware cannot do it.
guest_boot_emulator_crash() {
	grep -q 'Oops: int3' "$1" 2>/dev/null
}

# guest_boot EXTRA_CMDLINE: guest_boot_once, and once more when the guest
# kernel hit guest_boot_emulator_crash (the first console kept beside the
# log as LOG.emulator-crash).
guest_boot() {
	guest_boot_once "$@"
	[ "$timed_out" = 0 ] && guest_boot_emulator_crash "$log" || return 0
	echo "$guest_prog: the guest kernel took a stray int3 (QEMU TCG, console kept in $log.emulator-crash): booting it again"
	mv "$log" "$log.emulator-crash"
	guest_boot_once "$@"
}

# guest_boot_once EXTRA_CMDLINE: boot $kernel with $work/initramfs.gz,
# serial console to $log, killed after $timeout_s (counted once the guest
# lock is held); with $verbose=1 the console is followed on stdout.  Sets
# qemu_rc, timed_out and elapsed_s; $qemu_pid holds the pid while it runs
# so guest_cleanup can kill it.
guest_boot_once() {
	local accel=tcg tail_pid= start_s
	local -a args

	[ "${E2E_ACCEL:-}" = kvm ] && accel=kvm
	# shellcheck disable=SC2207 # the list has no globs or quoted spaces
	args=(
		-accel "$accel" -display none -monitor none -no-reboot
		$(guest_qemu_numa_args)
		-kernel "$kernel" -initrd "$work/initramfs.gz"
		-append "console=ttyS0 panic=-1 oops=panic loglevel=4 transparent_hugepage=madvise${1:+ $1}"
		-serial "file:$log"
	)
	if [ "$accel" = tcg ]; then args+=(-cpu max); else args+=(-cpu host); fi

	guest_lock || { echo "$guest_prog: cannot lock $guest_lock_file"; exit 1; }
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
	guest_unlock
	[ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null
	elapsed_s=$(( $(date +%s) - start_s ))
	return 0
}

# guest_node_tier CONSOLE NODE: the memory_tierN whose nodelist (E2E-MEMTIER
# lines, e.g. "0-1" or "0,2-3") holds NODE.
guest_node_tier() {
	awk -v n="$2" '/^E2E-MEMTIER tier=/ {
		t = $2; sub("tier=", "", t); l = $3; sub("nodes=", "", l)
		k = split(l, part, ",")
		for (i = 1; i <= k; i++) {
			lo = part[i] + 0; hi = lo
			if (index(part[i], "-"))
				hi = substr(part[i], index(part[i], "-") + 1) + 0
			if (n + 0 >= lo && n + 0 <= hi) { print t; exit }
		}
	}' "$1"
}

# guest_judge_tiers CONSOLE: the tiers the guest booted with (E2E-KERNEL,
# E2E-MEMTIER, E2E-HMAT lines).  Kernels from 6.12 on (the measured main
# target; HMAT-based tiers came in 6.7) must put node 1 in a tier below
# node 0, i.e. a larger memory_tier id; older ones (6.1) keep one tier for
# both nodes, which is reported.  Fills tiers_pass, tiers_fail (a failure:
# the platform is not the one the tests assume) and tiers_info.
guest_judge_tiers() {
	local rel t0 t1 id0 id1 hmat maj min
	tiers_pass= tiers_fail= tiers_info=
	rel=$(sed -n 's/^E2E-KERNEL release=//p' "$1" | head -n 1)
	[ -n "$rel" ] || return 0
	t0=$(guest_node_tier "$1" 0)
	t1=$(guest_node_tier "$1" 1)
	hmat=$(sed -n 's/^E2E-HMAT node=\([0-9]*\) /node \1: /p' "$1" | tr '\n' ';' | sed 's/;$//; s/;/; /g')
	tiers_info="HMAT access0: ${hmat:-no E2E-HMAT lines}"
	maj=${rel%%.*} min=${rel#*.} min=${min%%[!0-9]*}
	id0=${t0#memory_tier} id1=${t1#memory_tier}
	if [ "$maj" -gt 6 ] || { [ "$maj" = 6 ] && [ "${min:-0}" -ge 12 ]; }; then
		if [ -n "$t0" ] && [ -n "$t1" ] && [ "$id1" -gt "$id0" ]; then
			tiers_pass="kernel $rel: node 1 in $t1, below node 0 in $t0"
		else
			tiers_fail="kernel $rel: node 1 is not in a tier below node 0 (node 0: ${t0:-no tier}, node 1: ${t1:-no tier}); the HMAT figures (qemu -numa hmat-lb) should have put it lower"
		fi
	elif [ -n "$t0" ] && [ "$t0" = "$t1" ]; then
		tiers_info="kernel $rel: both nodes share $t0 (expected: this kernel does not place tiers by HMAT); $tiers_info"
	else
		tiers_info="kernel $rel: node 0 in ${t0:-no tier}, node 1 in ${t1:-no tier}; $tiers_info"
	fi
}
