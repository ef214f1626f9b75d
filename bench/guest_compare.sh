#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tierd against the kernel's own promotion mechanisms on the same workloads,
# in the e2e guest (tests/e2e/run-e2e.sh, docs/e2e.md): node 0 = 2 CPUs +
# 1 GiB DRAM, node 1 = 1 GiB CPU-less memory in a lower tier (HMAT), TCG.
#
#   bench/guest_compare.sh BUILD_DIR [options]
#
# Part 1, hot set: e2e-workload's 64 MiB region on node 1 with a 2048-page
# hot set, read, written or both (--access), 24 s.  Per mechanism: time to
# 90 % and 95 % of the hot set on node 0, migrations, cold pages moved,
# mechanism CPU and the workload's own CPU.
# Part 2, DRAM pressure: e2e-pressure (DRAM full, working set larger than
# it, demotion enabled), hit rate over time, promotions, demotions and
# ping-pongs.
#
# Mechanisms (--mechanisms, --pressure-mechanisms):
#   tierd        tierd, the e2e config (rate limit --rate MiB/s)
#   tierd-free0  the same with min_free_mb = 0: no DRAM headroom of its own
#   nb2          kernel.numa_balancing = 2 at its default promotion rate limit
#   nb2-rate     the same at --rate MB/s (tierd's rate budget)
#   nb1          kernel.numa_balancing = 1 (classic)
#   damon        DAMOS migrate_hot over node 1 (paddr), no quota
#   damon-rate   the same with a --rate MiB/s quota
#   none         nothing moves pages (baseline for the workload's CPU)
# Every run drops the workload's MPOL_BIND after populating (NUMA
# balancing skips bound VMAs; tierd's numa_hint source relies on it).
#
# Options:
#   --access "read write mixed"   hot-set access modes (default all three)
#   --mechanisms LIST             default "tierd nb2 nb2-rate damon damon-rate none"
#   --pressure-mechanisms LIST    default "tierd tierd-free0 nb2 nb2-rate";
#                                 "" skips part 2
#   --rate MBPS                   rate budget of tierd, nb2-rate, damon-rate
#                                 (default 2, the e2e config's)
#   --pressure-rate MBPS          the same for part 2 (default 32)
#   --pressure-ms MS              length of a pressure run (default 120000)
#   --pressure-args ARGS          more e2e-pressure options
#   --figures DIR                 write the PNGs there (default: the logs dir)
#   --migrate                     also run migrate_bench in the guest and host
#   --uffd                        also run bench_uffd_rearm (re-arm cost:
#                                 clear_refs against PAGEMAP_SCAN) in the
#                                 guest, which has soft-dirty, and on the host
#   --judge DIR                   do not boot: tabulate the logs kept in DIR
#
# Prints markdown tables (also in LOGS/results.md) and writes
# hotset-ACCESS.png and pressure-hit.png with bench/plot.sh.  Figures come
# from a TCG guest: compare the columns with each other, not with hardware.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
run=$here/../tests/e2e/run-e2e.sh
build=${1:?usage: $0 BUILD_DIR [options] (see the header of $0)}
shift
accesses="read write mixed"
mechs="tierd nb2 nb2-rate damon damon-rate none"
pmechs="tierd tierd-free0 nb2 nb2-rate"
rate=2 prate=32 pms=120000 pargs= figures= migrate=0 uffd=0 judge=
while [ $# -gt 0 ]; do
	case "$1" in
	--access) accesses=$2; shift ;;
	--mechanisms) mechs=$2; shift ;;
	--pressure-mechanisms) pmechs=$2; shift ;;
	--rate) rate=$2; shift ;;
	--pressure-rate) prate=$2; shift ;;
	--pressure-ms) pms=$2; shift ;;
	--pressure-args) pargs=$2; shift ;;
	--figures) figures=$2; shift ;;
	--migrate) migrate=1 ;;
	--uffd) uffd=1 ;;
	--judge) judge=$2; shift ;;
	*) echo "guest_compare: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

# find_bin NAME: the build's binary, wherever the build tree puts it
find_bin() {
	local d
	for d in "$build" "$build/daemon" "$build/tests/e2e" "$build/bench"; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	echo "guest_compare: $1 not found under $build (build it first)" >&2
	return 1
}

if [ -n "$judge" ]; then
	out=$judge
else
	out=$(mktemp -d "${TMPDIR:-/tmp}/guest-compare.XXXXXX")
	wl=$(find_bin e2e-workload) && pr=$(find_bin e2e-pressure) &&
		td=$(find_bin tierd) && tc=$(find_bin tierctl) || exit 2
fi
: "${figures:=$out}"
mkdir -p "$figures"

# mech_args MECH RATE: run-e2e.sh arguments of a mechanism
mech_args() {
	case "$1" in
	tierd) echo "--scenario tierd --reset-policy --tierd $td --tierctl $tc --set promotion.rate_limit_mbps=$2" ;;
	tierd-free0) echo "$(mech_args tierd "$2") --set promotion.min_free_mb=0" ;;
	nb2) echo "--scenario numa-balancing --nb-mode 2" ;;
	nb2-rate) echo "--scenario numa-balancing --nb-mode 2 --nb-promote-rate $2" ;;
	nb1) echo "--scenario numa-balancing --nb-mode 1" ;;
	damon) echo "--scenario damon --reset-policy" ;;
	damon-rate) echo "--scenario damon --reset-policy --damon-quota-mbps $2" ;;
	none) echo "--scenario numa-balancing --nb-mode 0" ;;
	*) echo "guest_compare: unknown mechanism '$1'" >&2; return 1 ;;
	esac
}

# run_one NAME ARGS...: one guest run, its console log kept as $out/NAME.log
run_one() {
	local name=$1 log
	shift
	echo "== $name ($(date -u +%T))" >&2
	"$run" --keep --artifacts "$out/art-$name" --workload "$wl" "$@" > "$out/$name.out" 2>&1
	log=$(sed -n 's/^console log: //p' "$out/$name.out")
	if [ -z "$log" ] || [ ! -f "$log" ]; then
		echo "guest_compare: $name produced no console log; see $out/$name.out" >&2
		tail -n 15 "$out/$name.out" >&2
		return 1
	fi
	tr -d '\r' < "$log" > "$out/$name.log"
	rm -rf "$out/art-$name" "$(sed -n 's/^run-e2e: kept //p' "$out/$name.out")"
	grep -E '^(  (PASS|FAIL)|RESULT)' "$out/$name.out" >&2
}

if [ -z "$judge" ]; then
	for a in $accesses; do
		for m in $mechs; do
			# shellcheck disable=SC2046 # word splitting intended
			run_one "$a-$m" $(mech_args "$m" "$rate") --access "$a"
		done
	done
	for m in $pmechs; do
		# shellcheck disable=SC2046
		run_one "pressure-$m" $(mech_args "$m" "$prate") --pressure \
			--pressure-workload "$pr" --access read --duration-ms "$pms" \
			--timeout $((pms / 1000 + 300)) ${pargs:+--pressure-args "$pargs"}
	done
fi

# ---- tabulate -------------------------------------------------------------

# facts LOG: every key=value this report needs from one console log, as
# shell assignments (vmstat deltas as d_NAME, tierd stats as st_NAME).
facts() {
	awk '
	function kv(line, pre,   n, i, a, eq) {
		n = split(line, a, " ")
		for (i = 1; i <= n; i++)
			if ((eq = index(a[i], "=")) > 1)
				v[pre substr(a[i], 1, eq - 1)] = substr(a[i], eq + 1)
	}
	/^E2E-WORKLOAD / { kv($0, "wl_") }
	/^E2E-SAMPLE / {
		delete v; kv($0, ""); t = v["t_ms"]
		h = v["hot_on0"] + 0
		if (t90 == "" && h * 100 >= nhot * 90) t90 = t
		if (t95 == "" && h * 100 >= nhot * 95) t95 = t
		if (v["hit_pct"] != "" && h90 == "" && v["hit_pct"] >= 90) h90 = t
		end_hit = v["hit_pct"]
	}
	/^E2E-PLACEMENT / { delete v; kv($0, ""); end_hot = v["hot_on0"]; end_cold = v["cold_on0"]
		end_cold_prom = v["seen_cold_promoted"]; end_pp = v["seen_pingpongs"]
		end_prom = v["seen_promoted"]; end_dem = v["seen_demoted"] }
	/^E2E-WORKLOAD-DONE / { delete v; kv($0, ""); wcpu = v["cpu_ms"]; wsys = v["stime_ms"]
		passes = v["passes"]; whit = v["hit_pct"] }
	/^E2E-VMSTAT when=before/ { delete v; kv($0, ""); for (k in v) b[k] = v[k] }
	/^E2E-VMSTAT when=after/ { delete v; kv($0, ""); for (k in v) a[k] = v[k] }
	/^E2E-TIERD-CPU / { delete v; kv($0, ""); tcpu = v["ticks"] * 10 }
	/^E2E-DAMON-CPU / { delete v; kv($0, ""); dcpu = v["ticks"] * 10 }
	/^E2E-KTHREAD-CPU / { delete v; kv($0, ""); kcpu = v["ticks"] * 10 }
	/^E2E-DAMON-STATS / { delete v; kv($0, ""); dtried = v["sz_tried"]; dapplied = v["sz_applied"] }
	/^E2E-WORKLOAD / { nhot = v["wl_hot"] }
	END {
		printf "hot=%s t90=%s t95=%s h90=%s end_hot=%s end_cold=%s\n", nhot, t90, t95, h90, end_hot, end_cold
		printf "end_cold_prom=%s end_pp=%s end_prom=%s end_dem=%s end_hit=%s whit=%s\n", end_cold_prom, end_pp, end_prom, end_dem, end_hit, whit
		printf "wcpu=%s wsys=%s passes=%s tcpu=%s dcpu=%s kcpu=%s dtried=%s dapplied=%s\n", wcpu, wsys, passes, tcpu, dcpu, kcpu, dtried, dapplied
		for (k in a) if (k in b) printf "d_%s=%d\n", k, a[k] - b[k]
	}' "$1"
	# tierd's global counters: the shallowest member of each name (per-pid
	# and per-node members reuse some names)
	sed -n '/^E2E-STATS-BEGIN/,/^E2E-STATS-END/p' "$1" | sed '1d;$d' |
		jq -r '[paths(type == "number") as $p | {k: $p[-1], d: ($p | length), v: getpath($p)}]
			| map(select(.k | IN("promoted_pages", "pingpongs", "headroom_blocked", "rate_limited")))
			| group_by(.k)[] | min_by(.d) | "st_\(.k)=\(.v)"' 2>/dev/null
}

# value LOG KEY: one fact of a log ("-" when the log has none)
value() {
	local v
	v=$(grep -m1 "^$2=" "$1.facts" 2>/dev/null | cut -d= -f2)
	echo "${v:--}"
}
# for facts printed several to a line
split_facts() {
	facts "$1.log" | tr ' ' '\n' | grep = > "$1.facts"
}
sec() {	# milliseconds as seconds, "never" when empty
	if [ "$1" = - ]; then echo never; else awk -v m="$1" 'BEGIN { printf "%.1f s", m / 1000 }'; fi
}
minus() {	# minus A B: A - B, "-" when either is missing
	if [ "$1" = - ] || [ "$2" = - ]; then echo -; else echo $(($1 - $2)); fi
}

# timeline F RATE NAMES... > TABLE: one column per run of the value in field F of
# its E2E-SAMPLE lines (hot_pct or hit_pct), samples put on whole seconds
timeline() {
	local f=$1 r=$2 n
	shift 2
	printf 't_ms'; for n in "$@"; do printf ' %s' "$(label "$n" "$r")"; done; echo
	for n in "$@"; do
		awk -v n="$n" -v f="$f" '
		/^E2E-WORKLOAD / { for (i = 2; i <= NF; i++) if ($i ~ /^hot=/) hot = substr($i, 5) }
		/^E2E-SAMPLE / {
			for (i = 2; i <= NF; i++) { split($i, kv, "="); s[kv[1]] = kv[2] }
			val = f == "hit_pct" ? s["hit_pct"] : 100 * s["hot_on0"] / hot
			printf "%d %s %.2f\n", int(s["t_ms"] / 1000 + 0.5) * 1000, n, val
		}' "$out/$n.log"
	done | awk -v names="$*" '
		BEGIN { k = split(names, col, " ") }
		{ v[$1, $2] = $3; t[$1] = 1 }
		END {
			n = 0; for (x in t) ts[++n] = x + 0
			for (i = 2; i <= n; i++) for (j = i; j > 1 && ts[j-1] > ts[j]; j--) { x = ts[j]; ts[j] = ts[j-1]; ts[j-1] = x }
			for (i = 1; i <= n; i++) {
				printf "%d", ts[i]
				for (c = 1; c <= k; c++) printf " %s", ((ts[i], col[c]) in v) ? v[ts[i], col[c]] : "-"
				printf "\n"
			}
		}'
}

# label RUN RATE: the column title of run ACCESS-MECH (no spaces: it is
# a plot legend too), e.g. read-nb2-rate -> nb2-2MBps
label() {
	local m=${1#*-}
	case "$m" in
	*-rate) echo "${m%-rate}-${2}MBps" ;;
	*) echo "$m" ;;
	esac
}

row() {	# row LABEL VALUES...: one markdown table row
	local l=$1
	shift
	printf '| %s |' "$l"; printf ' %s |' "$@"; echo
}

report_hotset() {	# report_hotset ACCESS NAMES...
	local a=$1 n base_sys
	shift
	base_sys=-
	[ -f "$out/$a-none.facts" ] && base_sys=$(value "$out/$a-none" wsys)
	echo
	echo "### Hot set: access=$a (2048 of 16384 pages; tierd and the -${rate}MBps columns at $rate MiB/s)"
	echo
	printf '| |'; for n in "$@"; do printf ' %s |' "$(label "$n" "$rate")"; done; echo
	printf '|---|'; for n in "$@"; do printf -- '---|'; done; echo
	local L=() k
	for k in t90 t95; do
		L=(); for n in "$@"; do L+=("$(sec "$(value "$out/$n" $k)")"); done
		row "hot set ${k#t} % on node 0 after" "${L[@]}"
	done
	L=(); for n in "$@"; do L+=("$(value "$out/$n" end_hot)"); done; row "hot pages on node 0 at 24 s" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" end_cold)"); done; row "cold pages moved (of 14336)" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" d_pgmigrate_success)"); done; row "pgmigrate_success" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" d_pgpromote_success)"); done; row "pgpromote_success" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" st_promoted_pages)"); done; row "tierd promoted_pages" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" d_numa_hint_faults)"); done; row "NUMA hint faults" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" tcpu)"); done; row "tierd CPU ms" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" kcpu)"); done; row "kernel threads CPU ms (kworker, kswapd, kdamond)" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" wcpu)"); done; row "workload CPU ms" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" wsys)"); done; row "workload system CPU ms" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(minus "$(value "$out/$n" wsys)" "$base_sys")"); done
	row "system CPU charged to the workload above none (ms)" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" passes)"); done; row "workload passes" "${L[@]}"
}

report_pressure() {	# report_pressure NAMES...
	local n L=() w
	w=$(grep -m1 '^E2E-WORKLOAD ' "$out/$1.log")
	echo
	echo "### DRAM pressure ($((pms / 1000)) s; tierd and the -${prate}MBps columns at $prate MiB/s)"
	echo
	echo "Workload: $(sed -n 's/.* pages=\([0-9]*\).*/\1/p' <<<"$w") pages, hot set $(sed -n 's/.* hot=\([0-9]*\).*/\1/p' <<<"$w"), $(sed -n 's/.* fill_pages=\([0-9]*\).*/\1/p' <<<"$w") fill pages on node 0 at the start, sweep every $(sed -n 's/.* sweep_s=\([0-9]*\).*/\1/p' <<<"$w") s."
	echo
	printf '| |'; for n in "$@"; do printf ' %s |' "$(label "$n" "$prate")"; done; echo
	printf '|---|'; for n in "$@"; do printf -- '---|'; done; echo
	L=(); for n in "$@"; do L+=("$(value "$out/$n" whit)"); done; row "hit rate over the run (%)" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" end_hit)"); done; row "hit rate in the last second (%)" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(sec "$(value "$out/$n" h90)")"); done; row "hit rate 90 % after" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" end_hot)"); done; row "hot pages on node 0 at the end" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" d_pgpromote_success)"); done; row "pgpromote_success" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" st_promoted_pages)"); done; row "tierd promoted_pages" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(( $(value "$out/$n" d_pgdemote_kswapd) + $(value "$out/$n" d_pgdemote_direct) ))"); done
	row "pgdemote_kswapd + pgdemote_direct" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" d_pgmigrate_success)"); done; row "pgmigrate_success" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" end_cold_prom)"); done; row "cold pages promoted (seen)" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" end_pp)"); done; row "ping-pongs (seen: promoted, demoted, promoted)" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" st_pingpongs)"); done; row "tierd pingpongs counter" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" st_headroom_blocked)"); done; row "tierd headroom_blocked" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" tcpu)"); done; row "tierd CPU ms" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" kcpu)"); done; row "kernel threads CPU ms (kworker, kswapd)" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" wcpu)"); done; row "workload CPU ms" "${L[@]}"
	L=(); for n in "$@"; do L+=("$(value "$out/$n" wsys)"); done; row "workload system CPU ms" "${L[@]}"
}

{
	echo "## Guest comparison, $(date -u +%F), kernel $(sed -n 's/^E2E-KERNEL release=//p' "$(ls "$out"/*.log | head -n 1)" | head -n 1)"
	for a in $accesses; do
		names=()
		for m in $mechs; do [ -f "$out/$a-$m.log" ] && split_facts "$out/$a-$m" && names+=("$a-$m"); done
		[ ${#names[@]} -gt 0 ] || continue
		report_hotset "$a" "${names[@]}"
		timeline hot_pct "$rate" "${names[@]}" > "$out/hotset-$a.txt"
		bash "$here/plot.sh" --title "Hot set on DRAM (node 0), access=$a: 2048 of 16384 pages" \
			"$out/hotset-$a.txt" "$figures/hotset-$a.png" ||
			echo "(no figure: plot.sh failed)"
	done
	names=()
	for m in $pmechs; do [ -f "$out/pressure-$m.log" ] && split_facts "$out/pressure-$m" && names+=("pressure-$m"); done
	if [ ${#names[@]} -gt 0 ]; then
		report_pressure "${names[@]}"
		timeline hit_pct "$prate" "${names[@]}" > "$out/pressure-hit.txt"
		bash "$here/plot.sh" --title "DRAM pressure: share of the workload's accesses served from DRAM" \
			--ylabel "% of accesses on DRAM" "$out/pressure-hit.txt" "$figures/pressure-hit.png" ||
			echo "(no figure: plot.sh failed)"
	fi
} | tee "$out/results.md"

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

if [ "$migrate" = 1 ] && [ -z "$judge" ]; then
	mb=$(find_bin migrate_bench) || exit 1
	echo
	echo "migrate_bench in the guest (node 1 -> node 0, TCG, 64 MiB, best of 3):"
	"$run" --scenario exec --workload "$wl" --add-bin "$mb" \
		--exec "migrate_bench --size-mb 64 --reps 3" 2>&1 | migrate_table
	echo
	echo "migrate_bench on the host ($(numactl --hardware 2>/dev/null | head -n 1)):"
	"$mb" --size-mb 64 --reps 3 | migrate_table
fi
if [ "$uffd" = 1 ] && [ -z "$judge" ]; then
	ub=$(find_bin bench_uffd_rearm) || exit 1
	echo
	echo "bench_uffd_rearm in the guest (6.12, soft-dirty; the slow tenth on node 1, TCG):"
	"$run" --scenario exec --workload "$wl" --add-bin "$ub" \
		--exec "bench_uffd_rearm --sizes 64,128,256,512" 2>&1 |
		grep -E '^(#| *size_MiB| *[0-9]+ )'
	echo
	echo "bench_uffd_rearm on the host ($(uname -r)):"
	"$ub" --sizes 64,256,1024
fi
echo
echo "logs, tables and figure data: $out; figures: $figures"
