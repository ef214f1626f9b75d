#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tierd vs the kernel's NUMA balancing on the same workload, in the e2e
# guest (tests/e2e/run-e2e.sh): node 1 (1 GiB, no CPUs) holds a 64 MiB
# region with a 2048-page hot set; each mechanism gets the same run.
# Prints, side by side: fraction of the hot set on node 0 over time, pages
# migrated, and the CPU time each mechanism spent.
#
#   bench/guest_compare.sh BUILD_DIR [--nb-modes "2 1"] [--migrate] [--uffd]
#
# --nb-modes  kernel.numa_balancing values to run (2 = tiering mode,
#             1 = classic NUMA balancing); default "2 1"
# --migrate   also run migrate_bench in the guest and on the host
# --uffd      also run bench_uffd_rearm (re-arm cost: clear_refs against
#             PAGEMAP_SCAN) in the guest, which has soft-dirty, and on the host
#
# Figures come from a TCG guest: compare them with each other, not with
# hardware.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
run=$here/../tests/e2e/run-e2e.sh
build=${1:?usage: $0 BUILD_DIR [--nb-modes \"2 1\"] [--migrate]}
shift
nb_modes="2 1"
migrate=0
uffd=0
while [ $# -gt 0 ]; do
	case "$1" in
	--nb-modes) nb_modes=$2; shift ;;
	--migrate) migrate=1 ;;
	--uffd) uffd=1 ;;
	*) echo "guest_compare: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

out=$(mktemp -d "${TMPDIR:-/tmp}/guest-compare.XXXXXX")
bins=(--workload "$build/e2e-workload")
for b in e2e-workload; do
	[ -x "$build/$b" ] || { echo "guest_compare: $build/$b missing (build it first)" >&2; exit 2; }
done

# run_one NAME ARGS...: run a scenario, keep its console log as $out/NAME.log
run_one() {
	local name=$1 log
	shift
	echo "== $name" >&2
	"$run" --keep --artifacts "$out/art-$name" "$@" > "$out/$name.out" 2>&1
	log=$(sed -n 's/^console log: //p' "$out/$name.out")
	if [ -z "$log" ] || [ ! -f "$log" ]; then
		echo "guest_compare: $name produced no console log; see $out/$name.out" >&2
		tail -n 15 "$out/$name.out" >&2
		return 1
	fi
	tr -d '\r' < "$log" > "$out/$name.log"
	grep -E '^(  (PASS|FAIL)|RESULT)' "$out/$name.out" >&2
	# the work dir --keep left behind holds the initramfs; drop it
	rm -rf "$(sed -n 's/^run-e2e: kept //p' "$out/$name.out")"
}

names=()
if [ -x "$build/tierd" ] && [ -x "$build/tierctl" ]; then
	run_one tierd --scenario tierd "${bins[@]}" \
		--tierd "$build/tierd" --tierctl "$build/tierctl" && names+=(tierd)
else
	echo "guest_compare: no tierd/tierctl in $build, tierd column skipped" >&2
fi
for m in $nb_modes; do
	run_one "nb$m" --scenario numa-balancing --nb-mode "$m" "${bins[@]}" &&
		names+=("nb$m")
done

kv() {	# kv LINE KEY
	sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<<"$1" | head -n 1
}

# vmstat counter delta between the before/after lines of a log
vm_delta() {
	local b a
	b=$(kv " $(grep -m1 '^E2E-VMSTAT when=before' "$1")" "$2")
	a=$(kv " $(grep -m1 '^E2E-VMSTAT when=after' "$1")" "$2")
	[ -n "$b" ] && [ -n "$a" ] && echo $((a - b)) || echo -
}

[ ${#names[@]} -gt 0 ] || { echo "guest_compare: no scenario ran" >&2; exit 1; }

echo
echo "Fraction of the hot set (2048 pages) on node 0, by workload time:"
printf '%8s' t_s
for n in "${names[@]}"; do printf '%12s' "$n"; done
echo
for n in "${names[@]}"; do
	grep '^E2E-SAMPLE' "$out/$n.log" | awk -v n="$n" '
		{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		  printf "%d %s %.1f\n", int(f["t_ms"] / 1000 + 0.5), n,
			 100 * f["hot_on0"] / (f["hot_on0"] + f["hot_on1"] + f["hot_other"]) }'
done > "$out/timeline"
for t in $(awk '{ print $1 }' "$out/timeline" | sort -n | uniq); do
	printf '%8s' "$t"
	for n in "${names[@]}"; do
		v=$(awk -v t="$t" -v n="$n" '$1 == t && $2 == n { v = $3 } END { print v }' "$out/timeline")
		printf '%12s' "${v:+$v%}"
	done
	echo
done

echo
printf '%-34s' metric
for n in "${names[@]}"; do printf '%14s' "$n"; done
echo
row() {	# row LABEL VALUES...
	printf '%-34s' "$1"
	shift
	for v in "$@"; do printf '%14s' "$v"; done
	echo
}
hot=() cold=() migrated=() mech_cpu=() wl_cpu=() hint=()
for n in "${names[@]}"; do
	f=$(grep -m1 '^E2E-PLACEMENT' "$out/$n.log")
	hot+=("$(kv "$f" hot_on0)")
	cold+=("$(kv "$f" cold_on0)")
	d=$(grep -m1 '^E2E-WORKLOAD-DONE' "$out/$n.log")
	wl_cpu+=("$(kv "$d" cpu_ms)")
	if [ "$n" = tierd ]; then
		st=$(sed -n '/^E2E-STATS-BEGIN/,/^E2E-STATS-END/p' "$out/$n.log" | sed '1d;$d')
		migrated+=("$(jq -r '[paths(type == "number") as $p | select($p[-1] == "promoted_pages")
			| {d: ($p | length), v: getpath($p)}] | sort_by(.d) | .[0].v // "-"' <<<"$st" 2>/dev/null)")
		c=$(grep -m1 '^E2E-TIERD-CPU' "$out/$n.log")
		if [ -n "$c" ]; then mech_cpu+=("$(( $(kv "$c" ticks) * 10 ))"); else mech_cpu+=(-); fi
		hint+=("-")
	else
		migrated+=("$(vm_delta "$out/$n.log" pgmigrate_success)")
		c=$(grep -m1 '^E2E-KTHREAD-CPU' "$out/$n.log")
		mech_cpu+=("$(( $(kv "$c" ticks) * 10 ))")
		hint+=("$(vm_delta "$out/$n.log" numa_hint_faults)")
	fi
done
row "hot pages on node 0 at end" "${hot[@]}"
row "cold pages on node 0 at end" "${cold[@]}"
row "pages migrated (stats / vmstat)" "${migrated[@]}"
row "NUMA hinting faults" "${hint[@]}"
row "mechanism CPU ms (tierd / kthreads)" "${mech_cpu[@]}"
row "workload CPU ms (incl. task_numa_work)" "${wl_cpu[@]}"
echo
for n in "${names[@]}"; do
	case "$n" in nb*)
		echo "$n: $(grep -m1 '^E2E-NB mode' "$out/$n.log") $(grep '^E2E-MEMTIER' "$out/$n.log" | sed 's/^E2E-MEMTIER //' | tr '\n' ' ')"
		echo "    pgpromote_success=$(vm_delta "$out/$n.log" pgpromote_success) numa_pte_updates=$(vm_delta "$out/$n.log" numa_pte_updates) numa_pages_migrated=$(vm_delta "$out/$n.log" numa_pages_migrated)"
	esac
done

# BENCH-MIGRATE key=value lines -> one row per mode, beside memcpy.
migrate_table() {
	awk '/^BENCH-MIGRATE /{
		for (i = 2; i <= NF; i++) {
			eq = index($i, "=")
			v[substr($i, 1, eq - 1)] = substr($i, eq + 1)
		}
		m[++n] = v["mode"]; r[n] = v["mib_per_s"]; u[n] = v["units_per_s"]
		c[n] = v["calls"]; f[n] = v["failed"]; nt[n] = v["note"]
		if (v["mode"] == "memcpy") base = v["mib_per_s"]
		delete v
	}
	END {
		printf "%-14s %10s %10s %14s %8s %7s  %s\n", "mode", "MiB/s",
		       "vs memcpy", "pages|THPs/s", "calls", "failed", "note"
		for (i = 1; i <= n; i++)
			printf "%-14s %10.1f %10.3f %14s %8s %7s  %s\n", m[i], r[i],
			       base ? r[i] / base : 0, u[i], c[i], f[i], nt[i]
	}'
}

if [ "$migrate" = 1 ]; then
	[ -x "$build/migrate_bench" ] || { echo "guest_compare: $build/migrate_bench missing" >&2; exit 1; }
	echo
	echo "migrate_bench in the guest (node 1 -> node 0, TCG, 64 MiB, best of 3):"
	"$run" --scenario exec "${bins[@]}" --add-bin "$build/migrate_bench" \
		--exec "migrate_bench --size-mb 64 --reps 3" 2>&1 | migrate_table
	echo
	echo "migrate_bench on the host ($(numactl --hardware 2>/dev/null | head -n 1)):"
	"$build/migrate_bench" --size-mb 64 --reps 3 | migrate_table
fi
if [ "$uffd" = 1 ]; then
	ub=$build/bench_uffd_rearm
	[ -x "$ub" ] || ub=$build/bench/bench_uffd_rearm
	[ -x "$ub" ] || { echo "guest_compare: bench_uffd_rearm missing under $build" >&2; exit 1; }
	echo
	echo "bench_uffd_rearm in the guest (6.12, soft-dirty; the slow tenth on node 1, TCG):"
	"$run" --scenario exec "${bins[@]}" --add-bin "$ub" \
		--exec "bench_uffd_rearm --sizes 64,128,256,512" 2>&1 |
		grep -E '^(#| *size_MiB| *[0-9]+ )'
	echo
	echo "bench_uffd_rearm on the host ($(uname -r)):"
	"$ub" --sizes 64,256,1024
fi
echo
echo "logs: $out"
