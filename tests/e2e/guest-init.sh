#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the e2e guest.  Runs one scenario and reports on the serial
# console; every line the host parses starts with "E2E-".  The host writes
# /e2e/params (shell variables) and /e2e/tierd.conf.in (@PID@ = workload pid).
# The guest never decides PASS/FAIL for the promotion checks: it reports raw
# numbers and the host judges them, so one parser holds all the rules.

/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/e2e/bin
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf
mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup
# Keep kernel chatter off the console lines we parse.
echo 1 > /proc/sys/kernel/printk

. /e2e/params
TIERD_PID=

fatal() {
	echo "E2E-FATAL reason=\"$*\""
	finish 1
}

finish() {
	echo "E2E-END rc=$1"
	sync
	poweroff -f
	sleep 10
}

# uptime in ms, from /proc/uptime (10 ms resolution)
now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

check_kernel() {
	echo "E2E-KERNEL release=$(uname -r)"
	[ -r /sys/kernel/btf/vmlinux ] ||
		fatal "kernel has no BTF: /sys/kernel/btf/vmlinux missing"
	echo "E2E-CHECK name=btf ok=1"

	nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
	[ "$nodes" -eq 2 ] ||
		fatal "expected 2 NUMA nodes, kernel sees $nodes (CONFIG_NUMA? qemu -numa?)"
	cpus1=$(cat /sys/devices/system/node/node1/cpulist)
	echo "E2E-CHECK name=numa ok=1 nodes=$nodes node0_cpus=$(cat /sys/devices/system/node/node0/cpulist) node1_cpus=${cpus1:-none}"

	e2e-workload --check-soft-dirty ||
		fatal "soft-dirty tracking does not work (see E2E-CHECK soft_dirty)"

	[ -d /sys/kernel/tracing/events/exceptions/page_fault_user ] &&
		echo "E2E-CHECK name=page_fault_user ok=1" ||
		echo "E2E-CHECK name=page_fault_user ok=0 reason=\"tracepoint missing\""

	report_tiers
	# The kernel turns NUMA balancing on by default on multi-node boxes.
	# Off unless it is the mechanism under test: its PROT_NONE hinting PTEs
	# make move_pages report -ENOENT on 6.1 and would blur who moved what.
	echo "E2E-NB-DEFAULT value=$(cat /proc/sys/kernel/numa_balancing)"
	echo 0 > /proc/sys/kernel/numa_balancing
	demote=$(cat /sys/kernel/mm/numa/demotion_enabled 2>/dev/null)
	echo "E2E-MEMTIER demotion_enabled=${demote:-missing}"
}

# Report, never assert (the host judges, guest-lib.sh): where the kernel
# put each node in its tiers, and the HMAT figures it read for each node
# (access class 0, from its nearest initiators; ns and MB/s).
report_tiers() {
	for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
		[ -d "$t" ] || continue
		echo "E2E-MEMTIER tier=${t##*/} nodes=$(cat $t/nodelist 2>/dev/null)"
	done
	[ -d /sys/devices/virtual/memory_tiering ] ||
		echo "E2E-MEMTIER none=\"/sys/devices/virtual/memory_tiering missing\""
	for n in /sys/devices/system/node/node[0-9]*; do
		a=$n/access0/initiators
		if [ ! -d "$a" ]; then
			echo "E2E-HMAT node=${n##*node} access0=missing"
			continue
		fi
		line="E2E-HMAT node=${n##*node} initiators=$(ls -d $a/node* 2>/dev/null | sed 's,.*/node,,' | tr '\n' ',' | sed 's/,$//')"
		for f in read_latency write_latency read_bandwidth write_bandwidth; do
			line="$line $f=$(cat $a/$f 2>/dev/null || echo missing)"
		done
		echo "$line"
	done
}

node0_free_kb() {
	awk '/MemFree/ { print $4 }' /sys/devices/system/node/node0/meminfo
}

# The NUMA balancing counters while it runs: do hint faults keep coming,
# and how many of them turn into promotions.
sample_nb() {
	echo "E2E-NB-SAMPLE t_ms=$(( $(now_ms) - GO_MS )) $(grep -E '^(numa_pte_updates|numa_hint_faults|pgpromote_candidate|pgpromote_success|pgmigrate_success|pgdemote_kswapd|pgdemote_direct) ' /proc/vmstat | tr ' ' '=' | tr '\n' ' ')"
}

vmstat_numa() {
	grep -E '^(numa_|pgpromote|pgdemote|pgmigrate)' /proc/vmstat | tr ' ' '=' | tr '\n' ' '
}

# Kernel threads whose CPU time counts as "the kernel's mechanism": kworkers,
# kswapd/kcompactd (demotion) and kdamond (damon scenario; task_numa_work
# runs in the task itself and is charged to the workload's system time).
kthread_cpu_ticks() {
	total=0
	for s in /proc/[0-9]*/stat; do
		line=$(cat "$s" 2>/dev/null) || continue
		case "$line" in
		*"(kworker"*|*"(kswapd"*|*"(kcompactd"*|*"(kmigrate"*|*"(kdamond"*)
			set -- ${line#*) }
			total=$((total + ${12} + ${13}))
			;;
		esac
	done
	echo $total
}

proc_cpu_ticks() {
	line=$(cat /proc/$1/stat 2>/dev/null) || { echo 0; return; }
	set -- ${line#*) }
	echo $((${12} + ${13}))
}

start_workload() {
	( $WL_ENV ${WL_BIN:-e2e-workload} $WL_ARGS --wait-go 2>&1; echo "E2E-WORKLOAD-EXIT rc=$?" ) |
		tee /tmp/wl.out &
	i=0
	while ! grep -q '^E2E-READY' /tmp/wl.out 2>/dev/null; do
		grep -q '^E2E-WORKLOAD-EXIT' /tmp/wl.out 2>/dev/null &&
			fatal "workload exited before it was ready"
		i=$((i + 1))
		[ $i -gt 1800 ] && fatal "workload not ready after 180 s"
		usleep 100000
	done
	WL_PID=$(sed -n 's/^E2E-READY pid=\([0-9]*\).*/\1/p' /tmp/wl.out)
	WL_BASE=$(sed -n 's/^E2E-WORKLOAD .* base=\(0x[0-9a-f]*\).*/\1/p' /tmp/wl.out)
}

wait_workload() {
	i=0
	live=
	while ! grep -q '^E2E-WORKLOAD-EXIT' /tmp/wl.out; do
		# one snapshot while the workload is alive: per-pid counters
		# vanish from the stats once it has exited
		if [ -n "$TIERD_PID" ] && [ -z "$live" ] &&
		   [ $(( $(now_ms) - GO_MS )) -ge $((WL_DURATION_MS - 2000)) ]; then
			live=1
			echo "E2E-LIVESTATS-BEGIN"
			tierctl --socket "$TIERD_SOCKET" stats --json
			echo "E2E-LIVESTATS-END rc=$?"
		fi
		i=$((i + 1))
		[ $i -gt $(( (WL_DURATION_MS + 60000) / 500 )) ] &&
			fatal "workload still running long after its duration"
		sample_free
		sample_nb
		usleep 500000
	done
}

sample_free() {
	echo "E2E-NODE0-FREE t_ms=$(( $(now_ms) - GO_MS )) kb=$(node0_free_kb)"
}

start_tierd() {
	sed "s/@PID@/$WL_PID/g" /e2e/tierd.conf.in > /e2e/tierd.conf
	echo "E2E-CONFIG-BEGIN"
	cat /e2e/tierd.conf
	echo "E2E-CONFIG-END"
	tierd -c /e2e/tierd.conf -v 2> /tmp/tierd.log &
	TIERD_PID=$!
	i=0
	while [ ! -S "$TIERD_SOCKET" ]; do
		if ! kill -0 $TIERD_PID 2>/dev/null; then
			wait $TIERD_PID
			rc=$?
			dump_tierd_log
			fatal "tierd exited with status $rc before creating $TIERD_SOCKET"
		fi
		i=$((i + 1))
		[ $i -gt 300 ] && { dump_tierd_log; fatal "tierd did not create $TIERD_SOCKET within 30 s"; }
		usleep 100000
	done
	echo "E2E-TIERD-STARTED pid=$TIERD_PID after_ms=$((i * 100))"
}

dump_tierd_log() {
	echo "E2E-TIERD-LOG-BEGIN lines=$(wc -l < /tmp/tierd.log)"
	tail -n 150 /tmp/tierd.log
	echo "E2E-TIERD-LOG-END"
}

stop_tierd() {
	kill -TERM $TIERD_PID
	i=0
	while kill -0 $TIERD_PID 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "E2E-TIERD-EXIT rc=timeout socket_gone=0"
			kill -KILL $TIERD_PID
			dump_tierd_log
			return
		fi
		usleep 100000
	done
	wait $TIERD_PID
	rc=$?
	gone=1
	[ -e "$TIERD_SOCKET" ] && gone=0
	echo "E2E-TIERD-EXIT rc=$rc socket_gone=$gone after_ms=$((i * 100))"
	dump_tierd_log
}

go() {
	[ "${DEMOTION:-0}" = 1 ] && enable_demotion
	GO_MS=$(now_ms)
	echo "E2E-GO uptime_ms=$GO_MS"
	kill -USR2 $WL_PID
}

run_tierd() {
	echo "E2E-VMSTAT when=before $(vmstat_numa)"
	k0=$(kthread_cpu_ticks)
	start_workload
	# another mover first: the kernel's own tiering at its default rate
	if [ "$SCENARIO" = tierd-mover ]; then
		echo 65536 > /proc/sys/kernel/numa_balancing_promote_rate_limit_MBps
		echo 2 > /proc/sys/kernel/numa_balancing
	fi
	start_tierd
	# what tierd runs with, defaults included, for the host's rate checks
	echo "E2E-EFFECTIVE-BEGIN"
	tierctl --socket "$TIERD_SOCKET" config
	echo "E2E-EFFECTIVE-END rc=$?"
	echo "E2E-STATUS-BEGIN"
	tierctl --socket "$TIERD_SOCKET" status
	echo "E2E-STATUS-END rc=$?"
	go
	wait_workload
	# Stats after the workload's final placement query, so they cover every
	# move the workload saw; tierd may still move pages in between, which
	# the host tolerates only in the "more moved than reported" direction.
	echo "E2E-STATS-BEGIN"
	tierctl --socket "$TIERD_SOCKET" stats --json
	echo "E2E-STATS-END rc=$?"
	echo "E2E-TIERD-CPU ticks=$(proc_cpu_ticks $TIERD_PID) hz=100"
	stop_tierd
	echo "E2E-NB-AFTER mode=$(cat /proc/sys/kernel/numa_balancing) rate=$(cat /proc/sys/kernel/numa_balancing_promote_rate_limit_MBps 2>/dev/null)"
	echo "E2E-VMSTAT when=after $(vmstat_numa)"
	echo "E2E-KTHREAD-CPU ticks=$(( $(kthread_cpu_ticks) - k0 )) hz=100"
}

run_numa_balancing() {
	echo "E2E-VMSTAT when=before $(vmstat_numa)"
	k0=$(kthread_cpu_ticks)
	start_workload
	sysctl -w kernel.numa_balancing=$NB_MODE ||
		fatal "cannot set kernel.numa_balancing=$NB_MODE"
	rl=/proc/sys/kernel/numa_balancing_promote_rate_limit_MBps
	if [ -n "$NB_PROMOTE_RATE" ]; then
		[ -w $rl ] || fatal "no $rl in this kernel (--nb-promote-rate)"
		echo "$NB_PROMOTE_RATE" > $rl ||
			fatal "cannot set $rl to $NB_PROMOTE_RATE"
	fi
	echo "E2E-NB mode=$(cat /proc/sys/kernel/numa_balancing) promote_rate_limit_MBps=$(cat $rl 2>/dev/null || echo missing)"
	go
	wait_workload
	echo "E2E-VMSTAT when=after $(vmstat_numa)"
	echo "E2E-KTHREAD-CPU ticks=$(( $(kthread_cpu_ticks) - k0 )) hz=100"
}

# The workload opts itself in through the preload shim, so tierd runs
# first; the stderr line the shim prints when refused says why.
run_tierd_uffd() {
	start_tierd
	WL_ENV="env LD_PRELOAD=$TRACK_LIB TIERD_TRACK_SOCKET=${TIERD_SOCKET%/*}/track.sock"
	start_workload
	WL_ENV=
	grep 'tierd-track:' /tmp/wl.out
	echo "E2E-TRACK-STATUS-BEGIN"
	tierctl --socket "$TIERD_SOCKET" status
	echo "E2E-TRACK-STATUS-END rc=$?"
	echo "E2E-EFFECTIVE-BEGIN"
	tierctl --socket "$TIERD_SOCKET" config
	echo "E2E-EFFECTIVE-END rc=$?"
	go
	wait_workload
	echo "E2E-STATS-BEGIN"
	tierctl --socket "$TIERD_SOCKET" stats --json
	echo "E2E-STATS-END rc=$?"
	echo "E2E-TIERD-CPU ticks=$(proc_cpu_ticks $TIERD_PID) hz=100"
	stop_tierd
}

# A stand-in promoter that knows the hot set: proves the harness's positive
# path and the cross-process move_pages path without tierd.
run_oracle() {
	start_workload
	go
	sleep 2
	e2e-workload $WL_ARGS --oracle $WL_PID --base $WL_BASE ||
		echo "E2E-ORACLE failed rc=$?"
	wait_workload
}

# migratepages moves everything, hot and cold: the cold check must catch it.
run_migratepages() {
	start_workload
	go
	sleep 2
	migratepages $WL_PID 1 0 && echo "E2E-MIGRATEPAGES rc=0" ||
		echo "E2E-MIGRATEPAGES rc=$?"
	wait_workload
}

# DRAM pressure (run-e2e.sh --pressure): the kernel demotes under reclaim.
# kswapd calls a node balanced when any of its zones is, and node 0's 15 MiB
# DMA zone is (its reserve against movable allocations is DMA32/256, 4 MiB),
# so kswapd would never reclaim DMA32, the zone holding the node's memory.
# A DMA lowmem_reserve_ratio of 1 reserves it as a server's much larger
# Normal zone does.  Node 0's watermarks say when kswapd wakes and how much
# it frees.
enable_demotion() {
	echo true > /sys/kernel/mm/numa/demotion_enabled ||
		fatal "cannot enable /sys/kernel/mm/numa/demotion_enabled"
	echo "E2E-MEMTIER demotion_enabled=$(cat /sys/kernel/mm/numa/demotion_enabled) (set for --pressure)"
	set -- $(cat /proc/sys/vm/lowmem_reserve_ratio)
	shift
	echo 1 "$@" > /proc/sys/vm/lowmem_reserve_ratio ||
		fatal "cannot set vm.lowmem_reserve_ratio"
	echo "E2E-WMARK lowmem_reserve_ratio=\"$(cat /proc/sys/vm/lowmem_reserve_ratio | tr '\t' ' ')\""
	awk '/^Node 0, zone/ { z = $4 } z != "" && $1 ~ /^(min|low|high|promo)$/ {
		printf "E2E-WMARK node=0 zone=%s %s_kb=%d\n", z, $1, $2 * 4 }
		/^Node 1/ { z = "" }' /proc/zoneinfo
}

# DAMON's own promotion: a kdamond over node 1's physical memory (paddr
# operations) with one DAMOS migrate_hot scheme to node 0.  A region counts
# as hot when one sample in an aggregation saw it accessed; a "young" filter
# that does not match (matching N) keeps only pages accessed since DAMON
# last checked them, so a region holding a few hot pages does not move its
# cold ones.  Every range of the access pattern is 0..0 until set (so
# nothing matches): size and age are opened fully.  DAMON_QUOTA_MBPS: a bytes quota per second (0: none); DAMON
# charges the quota with the bytes of the regions it tries, not the pages
# it moves.
damon_setup() {
	D=/sys/kernel/mm/damon/admin
	[ -d $D/kdamonds ] || fatal "no DAMON sysfs (/sys/kernel/mm/damon/admin: CONFIG_DAMON_SYSFS)"
	bs=$(cat /sys/devices/system/memory/block_size_bytes)
	first= last=
	for b in $(ls -d /sys/devices/system/node/node1/memory[0-9]* | sed 's,.*/memory,,' | sort -n); do
		[ -n "$first" ] || first=$b
		last=$b
	done
	[ -n "$first" ] || fatal "node 1 has no memory blocks in sysfs"
	start=$((first * 0x$bs)) end=$(((last + 1) * 0x$bs))
	echo 1 > $D/kdamonds/nr_kdamonds &&
	K=$D/kdamonds/0 && echo 1 > $K/contexts/nr_contexts &&
	C=$K/contexts/0 && grep -qw paddr $C/avail_operations &&
	echo paddr > $C/operations &&
	echo 1 > $C/targets/nr_targets &&
	echo 1 > $C/targets/0/regions/nr_regions &&
	echo $start > $C/targets/0/regions/0/start &&
	echo $end > $C/targets/0/regions/0/end &&
	echo 1 > $C/schemes/nr_schemes &&
	S=$C/schemes/0 && echo migrate_hot > $S/action &&
	echo 0 > $S/target_nid &&
	echo 1 > $S/access_pattern/nr_accesses/min &&
	echo 4294967295 > $S/access_pattern/nr_accesses/max &&
	echo 18446744073709551615 > $S/access_pattern/sz/max &&
	echo 4294967295 > $S/access_pattern/age/max &&
	echo $(( ${DAMON_QUOTA_MBPS:-0} * 1048576 )) > $S/quotas/bytes &&
	echo 1000 > $S/quotas/reset_interval_ms &&
	echo 1 > $S/filters/nr_filters &&
	echo young > $S/filters/0/type && echo N > $S/filters/0/matching ||
		fatal "cannot set up DAMON's migrate_hot scheme in $D"
	M=$C/monitoring_attrs
	echo "E2E-DAMON ops=paddr start=$start end=$end action=$(cat $S/action) target_nid=$(cat $S/target_nid) quota_bytes=$(cat $S/quotas/bytes) reset_interval_ms=$(cat $S/quotas/reset_interval_ms) filter=$(cat $S/filters/0/type):matching=$(cat $S/filters/0/matching) sample_us=$(cat $M/intervals/sample_us) aggr_us=$(cat $M/intervals/aggr_us) update_us=$(cat $M/intervals/update_us) regions=$(cat $M/nr_regions/min)-$(cat $M/nr_regions/max)"
}

damon_stats() {
	echo update_schemes_stats > $K/state
	line="E2E-DAMON-STATS"
	for f in nr_tried sz_tried nr_applied sz_applied qt_exceeds; do
		line="$line $f=$(cat $S/stats/$f)"
	done
	echo "$line"
}

run_damon() {
	echo "E2E-VMSTAT when=before $(vmstat_numa)"
	k0=$(kthread_cpu_ticks)
	start_workload
	damon_setup
	echo on > $K/state || fatal "cannot start kdamond ($K/state)"
	DAMON_PID=$(cat $K/pid)
	go
	wait_workload
	damon_stats
	echo "E2E-DAMON-CPU ticks=$(proc_cpu_ticks $DAMON_PID) hz=100"
	echo "E2E-KTHREAD-CPU ticks=$(( $(kthread_cpu_ticks) - k0 )) hz=100"
	echo off > $K/state
	echo "E2E-VMSTAT when=after $(vmstat_numa)"
}

# Anything else (benchmarks): run the command the host passed, report only.
run_exec() {
	echo "E2E-EXEC-BEGIN"
	sh /e2e/exec.sh
	echo "E2E-EXEC-END rc=$?"
}

echo "E2E-BEGIN scenario=$SCENARIO"
check_kernel
case "$SCENARIO" in
tierd-uffd) run_tierd_uffd ;;
tierd|tierd-disabled|tierd-*) run_tierd ;;
numa-balancing) run_numa_balancing ;;
damon) run_damon ;;
oracle) run_oracle ;;
migratepages) run_migratepages ;;
exec) run_exec ;;
*) fatal "unknown scenario '$SCENARIO'" ;;
esac
finish 0
