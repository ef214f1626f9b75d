#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the faults guest (tests/e2e/faults.sh).  For each scenario in
# $SCENARIOS: a fault-workload on node 1, a tierd of its own promoting it,
# the fault happening mid-promotion, tierctl stats every second.  The guest
# reports (FW-* lines, each scenario between FW-SCENARIO-BEGIN/END); the
# host judges.

/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/e2e/bin
umask 022
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf
mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo 1 > /proc/sys/kernel/printk
# NUMA balancing off: nobody but tierd (and the workload's own faults)
# moves pages, so every move is accounted for
echo 0 > /proc/sys/kernel/numa_balancing

. /e2e/params
SOCK=/run/tierd/tierd.sock
TIERD_PID=

finish() {
	echo "FW-END rc=$1"
	sync
	poweroff -f
	sleep 10
}

up_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

report_platform() {
	echo "E2E-KERNEL release=$(uname -r)"
	for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
		[ -d "$t" ] && echo "E2E-MEMTIER tier=${t##*/} nodes=$(cat $t/nodelist)"
	done
	grep -E '^Node|^ +(min|low|high|present) ' /proc/zoneinfo | tr -s ' ' |
		awk '/^Node/ { z = $2 $4 } !/^Node/ { printf "FW-ZONE %s %s=%s\n", z, $1, $2 }' |
		sed 's/,/ /'
	echo "FW-THP enabled=\"$(cat /sys/kernel/mm/transparent_hugepage/enabled)\" defrag=\"$(cat /sys/kernel/mm/transparent_hugepage/defrag)\""
}

# conf PID [SECTION.KEY=VALUE ...]: the scenario's tierd.conf
conf() {
	pid=$1
	shift
	{
		printf '[nodes]\nslow = auto\nfast = auto\n'
		printf '[sources]\nprivate_node = off\nsoft_dirty = on\nnuma_hint = off\nrearm_interval_ms = 200\n'
		printf '[hotness]\nwindow_ms = 1000\nthreshold = 2\n'
		printf '[promotion]\nmin_free_mb = 32\n'
		printf '[scope]\ninclude_pids = %s\n' "$pid"
		printf '[control]\nsocket = %s\n' "$SOCK"
	} > /tmp/tierd.conf.in
	for kv in "$@"; do
		sec=${kv%%.*} rest=${kv#*.} key=${rest%%=*} val=${rest#*=}
		awk -v sec="[$sec]" -v key="$key" -v val="$val" '
			function flush() { if (in_sec && !done) { print key " = " val; done = 1 } }
			/^\[/ { flush(); in_sec = ($0 == sec) }
			in_sec && $1 == key { print key " = " val; done = 1; next }
			{ print }
			END { flush() }' /tmp/tierd.conf.in > /tmp/tierd.conf.tmp &&
			mv /tmp/tierd.conf.tmp /tmp/tierd.conf.in
	done
	mv /tmp/tierd.conf.in /tmp/tierd.conf
	echo "FW-CONFIG-BEGIN"
	cat /tmp/tierd.conf
	echo "FW-CONFIG-END"
}

start_tierd() {
	tierd -c /tmp/tierd.conf 2> /tmp/tierd.log &
	TIERD_PID=$!
	i=0
	while [ ! -S $SOCK ]; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 $TIERD_PID 2>/dev/null; then
			echo "FW-FATAL reason=\"tierd did not start\""
			tail -n 40 /tmp/tierd.log
			finish 1
		fi
		usleep 100000
	done
	echo "FW-TIERD-STARTED pid=$TIERD_PID"
}

# The workload writes to the console too (through tee): the JSON goes out
# in one write(), which the tty never interleaves, and the host sorts the
# workload's lines out of a stats block.
stats() {	# stats TAG
	tierctl --socket $SOCK stats --json > /tmp/stats.json
	rc=$?
	echo "FW-STATS-BEGIN tag=$1 up_ms=$(up_ms)"
	cat /tmp/stats.json
	echo "FW-STATS-END rc=$rc"
}

stop_tierd() {
	alive=0
	kill -0 $TIERD_PID 2>/dev/null && alive=1
	kill -TERM $TIERD_PID
	i=0
	while kill -0 $TIERD_PID 2>/dev/null && [ $i -lt 100 ]; do
		i=$((i + 1))
		usleep 100000
	done
	wait $TIERD_PID
	echo "FW-TIERD-EXIT alive_before=$alive rc=$? after_ms=$((i * 100))"
	echo "FW-TIERD-LOG-BEGIN"
	grep -E 'warn|err|crit' /tmp/tierd.log | tail -n 20
	echo "FW-TIERD-LOG-END"
}

# start_wl ARGS...: the workload, its output on the console and in
# /tmp/wl.out; sets WL_PID once it is ready
start_wl() {
	rm -f /tmp/wl.out
	( fault-workload "$@" --wait-go 2>&1; echo "FW-WORKLOAD-EXIT rc=$?" ) | tee /tmp/wl.out &
	i=0
	while ! grep -q '^FW-READY' /tmp/wl.out 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ] || grep -q '^FW-WORKLOAD-EXIT' /tmp/wl.out 2>/dev/null; then
			echo "FW-FATAL reason=\"workload not ready\""
			finish 1
		fi
		usleep 100000
	done
	WL_PID=$(sed -n 's/^FW-READY pid=\([0-9]*\).*/\1/p' /tmp/wl.out)
}

go() {
	echo "FW-GO up_ms=$(up_ms)"
	kill -USR2 $WL_PID
}

# sample_until_exit [AT_MS CMD]: stats every second until the workload is
# done; CMD runs once AT_MS after go
sample_until_exit() {
	t0=$(up_ms)
	ran=
	while ! grep -q '^FW-WORKLOAD-EXIT' /tmp/wl.out; do
		stats sample
		if [ -n "$1" ] && [ -z "$ran" ] && [ $(( $(up_ms) - t0 )) -ge "$1" ]; then
			ran=1
			echo "FW-EVENT up_ms=$(up_ms) what=init-cmd cmd=\"$2\""
			eval "$2"
		fi
		if [ $(( $(up_ms) - t0 )) -gt 90000 ]; then
			echo "FW-FATAL reason=\"workload still running after 90 s\""
			finish 1
		fi
		sleep 1
	done
}

scenario_begin() {
	echo "FW-SCENARIO-BEGIN name=$1 up_ms=$(up_ms)"
}

scenario_end() {
	stats final
	stop_tierd
	echo "FW-SCENARIO-END name=$1 up_ms=$(up_ms)"
}

# The target exits at the first sign of its hot set moving: tierd has
# batches planned (or in flight) for a process that is gone.
run_exit() {
	start_wl --fault exit --size-mb 64 --hot 2048 --duration-ms 15000
	conf $WL_PID promotion.rate_limit_mbps=4 promotion.batch_pages=512
	start_tierd
	go
	sample_until_exit
	# tierd's scope rescan notices the exit within a second
	sleep 2
	stats after-exit
}

# Half the region is unmapped while its hot pages are candidates.
run_unmap() {
	start_wl --fault unmap --size-mb 64 --hot 2048 --duration-ms 14000
	conf $WL_PID promotion.rate_limit_mbps=4 hotness.decay=0.9 \
		promotion.cooldown_ms=60000
	start_tierd
	go
	sample_until_exit
}

# The workload moves its promoted pages back every 2 s (mbind
# MPOL_MF_MOVE): ping-pongs, and the backoff stretching them out.
run_mbind() {
	start_wl --fault mbind --size-mb 32 --hot 1024 --duration-ms 20000 --period-ms 2000
	conf $WL_PID promotion.rate_limit_mbps=0 promotion.cooldown_ms=1000 \
		promotion.pingpong_backoff=2
	start_tierd
	go
	sample_until_exit
}

# Quarters of the hot set pinned at 1.5 s (mlock, io_uring, vmsplice),
# with tierd paused until 2.5 s so every quarter is a candidate first.
run_pin() {
	start_wl --fault pin --size-mb 32 --hot 2048 --duration-ms 20000 --pin-at-ms 1500
	conf $WL_PID promotion.rate_limit_mbps=0 hotness.decay=0.95
	start_tierd
	tierctl --socket $SOCK pause
	go
	sample_until_exit 2500 "tierctl --socket $SOCK resume"
}

# node 0 filled to 4 MiB over its high watermarks (below the low ones the
# hog itself would crawl through reclaim), min_free_mb = 0: tierd believes
# the 32 MiB hot set fits, the kernel moves pages down to its min
# watermarks and refuses the rest (-ENOMEM); the hog leaves at 12 s and
# the rest must follow.
run_enomem() {
	whigh=$(awk '/^Node 0,/ { n0 = 1; next } /^Node/ { n0 = 0 } n0 && $1 == "high" { s += $2 } END { print s * 4 }' /proc/zoneinfo)
	rm -f /tmp/hog.out
	fault-workload --hog --leave-kb $((whigh + 4096)) > /tmp/hog.out 2>&1 &
	HOG_PID=$!
	i=0
	while ! grep -q '^FW-HOG' /tmp/hog.out 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 600 ] && { echo "FW-FATAL reason=\"hog did not fill node 0\""; finish 1; }
		usleep 100000
	done
	echo "$(cat /tmp/hog.out) high_watermarks_kb=$whigh"
	start_wl --fault plain --size-mb 64 --hot 8192 --duration-ms 22000
	conf $WL_PID promotion.rate_limit_mbps=0 promotion.min_free_mb=0
	start_tierd
	go
	sample_until_exit 12000 "kill -TERM $HOG_PID; wait $HOG_PID"
}

# 2 MiB granules of THPs, split (mprotect, partial munmap) while the
# first of them move.
run_thp() {
	start_wl --fault thp --thp --size-mb 64 --hot 8 --duration-ms 14000
	conf $WL_PID hotness.granule_kb=2048 promotion.rate_limit_mbps=8 \
		promotion.cooldown_ms=60000 promotion.batch_pages=512
	start_tierd
	go
	sample_until_exit
}

echo "FW-BEGIN scenarios=\"$SCENARIOS\""
report_platform
for s in $SCENARIOS; do
	scenario_begin $s
	run_$s
	scenario_end $s
done
finish 0
