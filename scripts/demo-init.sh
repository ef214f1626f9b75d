#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the demo guest (scripts/demo.sh): a workload with a read-hot
# set on the slow node 1, tierd with the shipped configuration beside it,
# one DEMO-TICK line a second while the hot set moves, then tierctl
# status and stats.  Lines for the host start with "DEMO"; a block of
# command output is "DEMO-BLOCK title" and then "DEMO| " lines.  The host
# writes /demo/params (shell variables) and /demo/tierd.conf.

/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/demo/bin
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
echo 1 > /proc/sys/kernel/printk	# kernel chatter off the console

. /demo/params
SOCK=/run/tierd/tierd.sock
TIERD_PID=

finish() {
	[ -n "$TIERD_PID" ] && kill -TERM "$TIERD_PID" 2>/dev/null && wait "$TIERD_PID"
	echo "DEMO-END rc=$1"
	sync
	poweroff -f
	sleep 10
}

fatal() {
	echo "DEMO-FATAL $*"
	[ -s /tmp/tierd.log ] && tail -n 20 /tmp/tierd.log | sed 's/^/DEMO| /'
	finish 1
}

step() {
	echo "DEMO-STEP $*"
}

block() {	# block TITLE CMD...: CMD's output as a DEMO block
	title=$1
	shift
	echo "DEMO-BLOCK $title"
	"$@" 2>&1 | sed 's/^/DEMO| /'
}

now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

tiers() {
	sep=
	for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
		[ -d "$t" ] || continue
		printf '%s%s: node %s' "$sep" "${t##*/}" "$(cat "$t/nodelist")"
		sep=", "
	done
}

c1=$(cat /sys/devices/system/node/node1/cpulist)
step "guest up: kernel $(uname -r); node 0: CPUs $(cat /sys/devices/system/node/node0/cpulist), node 1: CPUs ${c1:-none}; tiers: $(tiers)"
# The kernel turns NUMA balancing on by default on multi-node machines;
# off, so that what moves the hot set is tierd (which takes the hinting
# faults it needs itself, without the kernel's own promotion).
echo 0 > /proc/sys/kernel/numa_balancing

e2e-workload $WL_ARGS --wait-go > /tmp/wl.out 2>&1 &
WL_PID=$!
i=0
while ! grep -q '^E2E-READY' /tmp/wl.out; do
	kill -0 $WL_PID 2>/dev/null || fatal "the workload exited: $(tail -n 3 /tmp/wl.out | tr '\n' ' ')"
	i=$((i + 1))
	[ $i -gt 600 ] && fatal "the workload was not ready after 60 s"
	usleep 100000
done
wl=$(grep -m1 '^E2E-WORKLOAD ' /tmp/wl.out)
pop=$(grep -m1 '^E2E-POPULATED' /tmp/wl.out)
echo "DEMO-WORKLOAD $wl"
echo "DEMO-POPULATED $pop"

tierd -c /demo/tierd.conf 2> /tmp/tierd.log &
TIERD_PID=$!
i=0
while [ ! -S $SOCK ]; do
	kill -0 $TIERD_PID 2>/dev/null || { TIERD_PID=; fatal "tierd exited before it listened"; }
	i=$((i + 1))
	[ $i -gt 300 ] && fatal "tierd did not create $SOCK within 30 s"
	usleep 100000
done
step "$(tierd --version 2>/dev/null | head -n 1) started with the shipped tierd.conf, changed only: $CONF_CHANGES"
step "tierctl status: $(tierctl status | head -n 1)"

kill -USR2 $WL_PID	# go: the workload starts reading its hot set
step "workload reading its hot set; each line: the hot set's pages on DRAM (node 0) and the slow tier (node 1)"
# TICKS samples (one a second), then status and stats while the workload
# still runs (its per-process counters leave with it)
seen=0
while [ "$seen" -lt "$TICKS" ]; do
	n=$(grep -c '^E2E-SAMPLE' /tmp/wl.out)
	while [ "$seen" -lt "$n" ] && [ "$seen" -lt "$TICKS" ]; do
		seen=$((seen + 1))
		s=$(grep '^E2E-SAMPLE' /tmp/wl.out | sed -n "${seen}p")
		p=$(tierctl metrics 2>/dev/null | sed -n 's/^tierd_promoted_pages_total //p')
		echo "DEMO-TICK ${s#E2E-SAMPLE } promoted=${p:-?}"
	done
	kill -0 $WL_PID 2>/dev/null || fatal "the workload exited early: $(tail -n 3 /tmp/wl.out | tr '\n' ' ')"
	usleep 200000
done

block "tierctl status" tierctl status
block "tierctl stats" tierctl stats
wait $WL_PID
echo "DEMO-FINAL $(grep -m1 '^E2E-PLACEMENT' /tmp/wl.out)"
finish 0
