#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the soak guest (bench/soak.sh).  tierd runs for SOAK_S seconds
# while soak-churn workers come and go: NR_WORKERS at a time, each with its
# own size, hot fraction, access mode and lifetime, its hot set moving
# every few seconds.  Every SAMPLE_S seconds it prints tierd's RSS,
# descriptors and CPU time, the worker counts and tierctl stats --json.
# The guest only reports (SOAK-* lines); bench/soak.sh makes the table.

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
echo 1 > /proc/sys/kernel/printk

. /e2e/params
SOCK=/run/tierd/tierd.sock

finish() {
	echo "SOAK-END rc=$1"
	sync
	poweroff -f
	sleep 10
}

up_s() {
	awk '{ printf "%d\n", $1 }' /proc/uptime
}

proc_field() {	# proc_field PID KEY: a kB value of /proc/PID/status
	awk -v k="$2:" '$1 == k { print $2 }' /proc/$1/status 2>/dev/null
}

cpu_ticks() {
	line=$(cat /proc/$1/stat 2>/dev/null) || { echo 0; return; }
	set -- ${line#*) }
	echo $((${12} + ${13}))
}

# The kernel turns NUMA balancing on (mode 1) on a two-node machine, and
# tierd then stays an observer.  Off, as in the e2e guest: tierd's
# numa_hint source sets it the way it needs (and restores it at exit).
echo 0 > /proc/sys/kernel/numa_balancing
echo "SOAK-BEGIN kernel=$(uname -r) soak_s=$SOAK_S sample_s=$SAMPLE_S workers=$NR_WORKERS"
echo "SOAK-CONFIG-BEGIN"
cat /e2e/tierd.conf
echo "SOAK-CONFIG-END"
tierd -c /e2e/tierd.conf 2> /tmp/tierd.log &
TIERD=$!
i=0
while [ ! -S $SOCK ]; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $TIERD 2>/dev/null; then
		echo "SOAK-FATAL reason=\"tierd did not start\""
		tail -n 50 /tmp/tierd.log
		finish 1
	fi
	usleep 100000
done
echo "SOAK-TIERD pid=$TIERD"

spawned=0
exited=0
live=
# one worker: 16-112 MiB, 5-25 % hot, hot set moving every 5-30 s, alive
# for 30-180 s, writes, reads (policy dropped: NUMA hint faults) or both
spawn() {
	size=$((16 + RANDOM % 7 * 16))
	pct=$((5 + RANDOM % 5 * 5))
	shift_s=$((5 + RANDOM % 6 * 5))
	life=$((30 + RANDOM % 151))
	case $((RANDOM % 3)) in
	0) acc="--access write" ;;
	1) acc="--access read --reset-policy" ;;
	*) acc="--access mixed" ;;
	esac
	spawned=$((spawned + 1))
	soak-churn --size-mb $size --hot-pct $pct --shift-s $shift_s \
		--lifetime-s $life $acc --seed $spawned \
		> /tmp/w.$spawned.out 2>&1 &
	live="$live $!:$spawned"
}

# running, not a zombie the shell has not waited for yet
alive() {
	st=$(awk '{ print $3 }' /proc/$1/stat 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

# reap the workers that exited (the shell waits for them: no zombies)
reap() {
	still=
	for e in $live; do
		pid=${e%%:*}
		if alive $pid; then
			still="$still $e"
		else
			wait $pid
			echo "SOAK-WORKER-EXIT n=${e#*:} rc=$? $(grep '^CHURN-EXIT' /tmp/w.${e#*:}.out | sed 's/^CHURN-EXIT //')"
			exited=$((exited + 1))
		fi
	done
	live=$still
}

sample() {
	t=$(( $(up_s) - T0 ))
	n=0
	for e in $live; do n=$((n + 1)); done
	echo "SOAK-SAMPLE t_s=$t rss_kb=$(proc_field $TIERD VmRSS) hwm_kb=$(proc_field $TIERD VmHWM) fds=$(ls /proc/$TIERD/fd | wc -l) cpu_ticks=$(cpu_ticks $TIERD) workers=$n spawned=$spawned exited=$exited node0_free_kb=$(awk '/MemFree/ { print $4 }' /sys/devices/system/node/node0/meminfo) node1_free_kb=$(awk '/MemFree/ { print $4 }' /sys/devices/system/node/node1/meminfo)"
	echo "SOAK-STATS-BEGIN t_s=$t"
	tierctl --socket $SOCK stats --json
	echo "SOAK-STATS-END rc=$?"
}

T0=$(up_s)
next=$T0
while [ $(( $(up_s) - T0 )) -lt "$SOAK_S" ]; do
	if ! kill -0 $TIERD 2>/dev/null; then
		echo "SOAK-FATAL reason=\"tierd died\""
		tail -n 50 /tmp/tierd.log
		finish 1
	fi
	reap
	n=0
	for e in $live; do n=$((n + 1)); done
	while [ $n -lt "$NR_WORKERS" ]; do
		spawn
		n=$((n + 1))
	done
	if [ $(up_s) -ge $next ]; then
		sample
		next=$((next + SAMPLE_S))
	fi
	sleep 1
done

# the rest stop early and check their data
for e in $live; do kill -TERM ${e%%:*} 2>/dev/null; done
sleep 2
reap
sample
kill -TERM $TIERD
i=0
while kill -0 $TIERD 2>/dev/null && [ $i -lt 100 ]; do
	i=$((i + 1))
	usleep 100000
done
wait $TIERD
echo "SOAK-TIERD-EXIT rc=$? after_ms=$((i * 100))"
echo "SOAK-LOG-BEGIN"
grep -E 'warn|err|crit' /tmp/tierd.log | tail -n 40
echo "SOAK-LOG-END"
finish 0
