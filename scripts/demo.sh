#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# See tierd work in about a minute, on any Debian 12 machine: no tiered
# memory needed.  Installs what it needs (scripts/install-deps.sh --demo),
# builds tierd, tierctl and the e2e workload, and boots a two-node guest
# (Debian's 6.12 kernel; node 0: 2 CPUs + 1 GiB DRAM, node 1: 1 GiB, no
# CPUs, slower by its HMAT figures, so the kernel puts it in a lower memory
# tier).  In it a workload keeps reading a hot set of 8 MiB spread over
# 64 MiB on node 1, and tierd runs beside it with the shipped tierd.conf
# (only min_free_mb lowered to fit the 1 GiB DRAM node).  The terminal
# shows, second by second, the hot set moving to DRAM, then `tierctl
# status` and `tierctl stats`; the guest powers off by itself.
# --plot FILE.png also draws that timeline (bench/plot.sh, gnuplot; the
# data beside it as FILE.dat).
#
# Usage: scripts/demo.sh [--plot FILE.png] [--accel auto|kvm|tcg] [--keep]
# Exit: 0 the hot set moved (and the PNG was drawn), 1 it did not or the
# guest failed or the PNG could not be drawn, 2 usage.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${TIERD_BUILD_DIR:-$top/build}
plot= accel=auto keep=0
ticks=15			# seconds shown live
timeout_s=300			# the whole guest run, once it has the lock

usage() {
	sed -n '3,/^# Exit/s/^# \{0,1\}//p' "$0"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--plot) [ $# -ge 2 ] || { echo "demo: --plot needs a file name" >&2; exit 2; }
		plot=$2; shift ;;
	--accel) [ $# -ge 2 ] || { echo "demo: --accel needs auto, kvm or tcg" >&2; exit 2; }
		accel=$2; shift ;;
	--keep) keep=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "demo: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$accel" in auto|kvm|tcg) ;; *) echo "demo: --accel: '$accel' is not auto, kvm or tcg" >&2; exit 2 ;; esac
if [ -n "$plot" ]; then
	case "$plot" in
	*.png) ;;
	*) echo "demo: --plot: '$plot' does not end in .png" >&2; exit 2 ;;
	esac
	[ -d "$(dirname -- "$plot")" ] ||
		{ echo "demo: --plot: directory '$(dirname -- "$plot")' does not exist" >&2; exit 2; }
fi

say() { printf '\n==> %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }
start_s=$(date +%s)

deps=(--demo ${plot:+--plot})
say "installing what the demo needs (scripts/install-deps.sh ${deps[*]})"
bash "$top/scripts/install-deps.sh" "${deps[@]}" ||
	die "scripts/install-deps.sh ${deps[*]} failed (see above); as root on Debian 12 it installs the packages and the 6.12 guest kernel"
[ -z "$plot" ] || command -v gnuplot >/dev/null ||
	die "--plot needs gnuplot, still missing after scripts/install-deps.sh: install Debian's gnuplot-nox package (apt-get install gnuplot-nox)"
qemu=$(command -v qemu-system-x86_64) && [ -x "$qemu" ] && [ ! -d "$qemu" ] ||
	die "qemu-system-x86_64 is still missing after scripts/install-deps.sh: install Debian's qemu-system-x86 package (apt-get install qemu-system-x86) and run the demo again"

say "building tierd, tierctl and the workload in $build"
mkdir -p "$build"
if ! { cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
       cmake --build "$build" -j"$(nproc)" --target tierd tierctl e2e-workload; } \
       > "$build/demo-build.log" 2>&1; then
	tail -n 30 "$build/demo-build.log" >&2
	die "the build failed (whole log: $build/demo-build.log)"
fi

. "$top/tests/e2e/guest-lib.sh"
# guest-lib skips a test that cannot run; the demo says why and fails.
skip() { die "cannot boot the guest: $*"; }
kernel=6.12
guest_need_tools

# KVM when a vCPU really runs on it (a nested /dev/kvm may open and still
# refuse the guest's CPU); else TCG: emulation, slower, the same result.
kvm_runs() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	# still running after 3 s (in the firmware, no disk): it works
	(timeout 3 qemu-system-x86_64 -accel kvm -cpu host -m 64 -nodefaults \
		-display none -monitor none -serial none -no-reboot >/dev/null 2>&1
	 [ $? = 124 ]) 2>/dev/null
}
case "$accel" in
auto)
	if kvm_runs; then
		accel=kvm accel_note=KVM
	else
		accel=tcg
		accel_note="TCG: KVM is not usable here (no /dev/kvm, or qemu cannot run a vCPU on it), so qemu emulates the CPU; slower, the same result"
	fi ;;
tcg) accel_note="TCG (--accel tcg): qemu emulates the CPU; slower, the same result" ;;
kvm) accel_note="KVM (--accel kvm)" ;;
esac
export E2E_ACCEL=$accel

guest_workdir demo tierd-demo

# The shipped defaults; only what the 1 GiB DRAM node needs changes.
conf_changes="[promotion] min_free_mb = 64"
build_initramfs() {
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,run,tmp,demo/bin,etc} || return 1
	cp "$busybox" "$root/bin/busybox" || return 1
	install -m 0755 "$top/scripts/demo-init.sh" "$root/init" || return 1
	copy_with_libs "$build/daemon/tierd" /demo/bin/tierd || return 1
	copy_with_libs "$build/daemon/tierctl" /demo/bin/tierctl || return 1
	copy_with_libs "$build/tests/e2e/e2e-workload" /demo/bin/e2e-workload || return 1
	echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
	echo "root:x:0:" > "$root/etc/group"
	awk '/^\[/ { sec = $0 } { print } sec == "[promotion]" && $0 == "[promotion]" { print "min_free_mb = 64" }' \
		"$top/conf/tierd.conf" > "$root/demo/tierd.conf" || return 1
	cat > "$root/demo/params" <<PARAMS
WL_ARGS="--size-mb 64 --hot-pages 2048 --access read --reset-policy --sample-ms 1000 --duration-ms $(( (ticks + 10) * 1000 ))"
TICKS=$ticks
CONF_CHANGES="$conf_changes"
PARAMS
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initramfs.gz"
}
build_initramfs || die "could not build the guest's initramfs in $work"

# kv LINE KEY: the value of KEY=... in LINE
kv() {
	[[ $1 =~ (^|[ ])$2=([^ ]*) ]] && echo "${BASH_REMATCH[2]}"
}

# The guest's DEMO lines as they reach the console log, drawn for a person;
# the ticks also go to $work/ticks (t_ms, percent of the hot set on node 0).
render() {
	local line t h0 h1 hot=0 pct n bar p
	while IFS= read -r line; do
		line=${line%$'\r'}
		case "$line" in
		"DEMO-STEP "*)
			echo "  ${line#DEMO-STEP }" ;;
		"DEMO-WORKLOAD "*)
			hot=$(kv "$line" hot)
			echo "  workload: $(( $(kv "$line" pages) * 4 / 1024 )) MiB on node 1, a hot set of $hot pages ($((hot * 4 / 1024)) MiB) spread across it, read over and over" ;;
		"DEMO-TICK "*)
			t=$(kv "$line" t_ms) h0=$(kv "$line" hot_on0) h1=$(kv "$line" hot_on1) p=$(kv "$line" promoted)
			[ -s "$work/ticks" ] || printf '\n  %7s  %-42s %6s %7s %7s %9s\n' t "hot set: # on node 0 (DRAM), . on node 1" "" node0 node1 promoted
			pct=$(( hot ? h0 * 1000 / hot : 0 ))
			n=$(( (pct * 40 + 500) / 1000 ))
			printf -v bar '%*s' "$n" ''; bar=${bar// /#}
			printf -v p1 '%*s' $((40 - n)) ''; bar+=${p1// /.}
			printf '  %5d s  [%s] %3d.%d%% %7d %7d %9s\n' $(( (t + 500) / 1000 )) "$bar" $((pct / 10)) $((pct % 10)) "$h0" "$h1" "$p"
			echo "$t $((pct / 10)).$((pct % 10))" >> "$work/ticks" ;;
		"DEMO-BLOCK "*)
			printf '\n==> %s\n' "${line#DEMO-BLOCK }" ;;
		"DEMO| "*|"DEMO|")
			echo "${line#DEMO| }" ;;
		"DEMO-FINAL "*)
			echo "$line" > "$work/final" ;;
		"DEMO-FATAL "*)
			echo "demo: in the guest: ${line#DEMO-FATAL }" ;;
		"DEMO-END "*)
			echo "$line" > "$work/end"
			return 0 ;;
		esac
	done
}

say "booting the two-node guest (kernel 6.12, HMAT tiers; $accel_note)"
: > "$log"
tail -F -n +1 --pid=$$ "$log" 2>/dev/null | render &
render_pid=$!
guest_boot
# the renderer stops at DEMO-END; without one (a crash) it is stopped here
for _ in $(seq 50); do kill -0 "$render_pid" 2>/dev/null || break; sleep 0.1; done
kill "$render_pid" 2>/dev/null
wait "$render_pid" 2>/dev/null

elapsed=$(( $(date +%s) - start_s ))
if [ "$timed_out" = 1 ]; then
	keep=1
	die "the guest did not finish within ${timeout_s} s; console log: $log"
fi
if [ ! -s "$work/end" ] || [ "$(kv "$(cat "$work/end")" rc)" != 0 ]; then
	keep=1
	die "the guest did not finish its run (qemu exit $qemu_rc); console log: $log"
fi
final=$(cat "$work/final" 2>/dev/null)
h0=$(kv "$final" hot_on0) c0=$(kv "$final" cold_on0)
wl=$(tr -d '\r' < "$log" | grep -m1 '^DEMO-WORKLOAD')
hot=$(kv "$wl" hot) pages=$(kv "$wl" pages)
first95=$(awk '$2 >= 95 { printf "%.0f", $1 / 1000; exit }' "$work/ticks")

plot_rc=0
if [ -n "$plot" ]; then
	data=${plot%.png}.dat
	{ echo "# t_ms tierd (hot set on node 0, %; scripts/demo.sh)"; cat "$work/ticks"; } > "$data" ||
		die "cannot write $data"
	echo
	echo "plot data (t_ms, % of the hot set on DRAM): $data"
	if bash "$top/bench/plot.sh" --title "tierd demo: read-hot set ($hot pages) on DRAM (node 0)" \
		"$data" "$plot"; then
		echo "PNG: $plot"
	else
		echo "demo: bench/plot.sh could not draw $plot (see above); the data is in $data" >&2
		plot_rc=1
	fi
fi

echo
if [ -n "$h0" ] && [ $((h0 * 100)) -ge $((hot * 95)) ]; then
	echo "demo: done in ${elapsed} s (the guest ${elapsed_s} s): tierd moved the hot set to DRAM: $h0 of $hot pages on node 0 at the end, 95% of it there after ${first95:-?} s; $c0 of $((pages - hot)) cold pages moved."
	echo "Next: README.md (install as a service), tierctl top (live view), docs/tierctl.8."
	exit "$plot_rc"
fi
keep=1
die "the hot set did not reach DRAM: ${h0:-?} of ${hot:-?} pages on node 0 at the end; console log: $log"
