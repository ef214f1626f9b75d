/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every counter tierd exposes, each written once in one of the lists
 * below.  The lists generate the struct fields, and stats_render.c walks
 * them for JSON, Prometheus and the tables; the collector fills the BPF
 * ones from bpf/tierd.h's list.  Adding a counter is one line here plus
 * the code that counts it (DEVELOPERS.md shows an example).
 *
 * Flat, so a snapshot is a struct copy.
 */
#ifndef TIERD_STATS_H
#define TIERD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/tierd.h"

/*
 * Counters of the daemon as a whole, by group:
 * X(group, field, JSON name, Prometheus name, Prometheus type, help).
 * Group "daemon" sits at the top level of the JSON object; the others are
 * objects of their own, in this order.  The main loop fills "daemon" and
 * "loop" (stats/loop_stats.h), the pipeline the rest.
 */
#define TIERD_STATS_COUNTERS(X)						\
	X(daemon, reloads, "reloads", "reloads_total", counter,		\
	  "Configuration reloads applied.")				\
	X(daemon, reload_failures, "reload_failures",			\
	  "reload_failures_total", counter,				\
	  "Configuration reloads refused (old config kept).")		\
	X(daemon, control_requests, "control_requests",			\
	  "control_requests_total", counter,				\
	  "Control socket requests received.")				\
	X(daemon, control_errors, "control_errors",			\
	  "control_errors_total", counter,				\
	  "Control socket requests answered with an error.")		\
	X(table, table_size, "size", "table_folios", gauge,		\
	  "Folios in the hotness table.")				\
	X(table, table_cap, "cap", "table_capacity_folios", gauge,	\
	  "Hotness table capacity.")					\
	X(table, table_evictions, "evictions", "table_evictions_total",	\
	  counter, "Folios evicted from the full hotness table.")	\
	X(table, table_bytes, "bytes", "table_bytes", gauge,		\
	  "Memory held by the hotness table.")				\
	X(policy, intervals, "intervals", "policy_intervals_total",	\
	  counter, "Policy passes run.")				\
	X(policy, candidates, "candidates", "policy_candidates_total",	\
	  counter, "Folios found at or above promote_score, summed over passes.") \
	X(policy, cooldown_skipped, "cooldown_skipped",			\
	  "policy_cooldown_skipped_total", counter,			\
	  "Candidates skipped because of their cooldown.")		\
	X(policy, scope_rejected, "scope_rejected",			\
	  "policy_scope_rejected_total", counter,			\
	  "Records of processes outside the configured scope.")		\
	X(policy, rate_limited, "rate_limited",				\
	  "policy_rate_limited_total", counter,				\
	  "Candidates deferred by the rate limit.")			\
	X(policy, headroom_blocked, "headroom_blocked",			\
	  "policy_headroom_blocked_total", counter,			\
	  "Pages refused to keep fast-node free memory headroom.")	\
	X(policy, pingpongs, "pingpongs", "policy_pingpongs_total",	\
	  counter, "Promoted folios seen on the slow tier again.")	\
	X(policy, tracked_pids, "tracked_pids", "policy_tracked_pids",	\
	  gauge, "Processes tracked by the sources.")			\
	X(migrator, move_calls, "move_calls", "move_calls_total",	\
	  counter, "move_pages() calls.")				\
	X(migrator, pages_queried, "pages_queried",			\
	  "move_pages_queried_total", counter,				\
	  "Pages whose node was asked before a move; each gets one status " \
	  "or counts in headroom_blocked.")				\
	X(migrator, move_pages_requested, "pages_requested",		\
	  "move_pages_requested_total", counter,			\
	  "Pages passed to move_pages().")				\
	X(migrator, pages_requeried, "pages_requeried",			\
	  "move_pages_requeried_total", counter,			\
	  "Pages a move left without a status, whose node was asked again.") \
	X(migrator, promoted_pages, "promoted_pages",			\
	  "promoted_pages_total", counter,				\
	  "Pages promoted to the fast tier.")				\
	X(migrator, promoted_bytes, "promoted_bytes",			\
	  "promoted_bytes_total", counter,				\
	  "Bytes promoted to the fast tier.")				\
	X(loop, tick_lag_max_us, "tick_lag_max_us",			\
	  "loop_tick_lag_max_microseconds", gauge,			\
	  "Longest a tick started after its due time (the loop was busy).") \
	X(loop, ticks_late_100ms, "ticks_late_100ms",			\
	  "loop_ticks_late_100ms_total", counter,			\
	  "Ticks that started more than 100 ms after their due time.")	\
	X(loop, ticks_late_1s, "ticks_late_1s", "loop_ticks_late_1s_total", \
	  counter, "Ticks that started more than 1 s after their due time.") \
	X(loop, tick_run_max_us, "tick_run_max_us",			\
	  "loop_tick_run_max_microseconds", gauge,			\
	  "Longest pipeline tick.")					\
	X(loop, tick_run_us, "tick_run_us",				\
	  "loop_tick_run_microseconds_total", counter,			\
	  "Time spent in pipeline ticks.")				\
	X(loop, drain_max_us, "drain_max_us",				\
	  "loop_drain_max_microseconds", gauge,				\
	  "Longest drain of the sources' records in one wake-up.")	\
	X(loop, drains_cut, "drains_cut", "loop_drains_cut_total", counter, \
	  "Drains that stopped at their record or time bound.")

/*
 * Per-page move_pages() outcomes we count by name; the rest go to other.
 * X(id, name)
 */
#define TIERD_MOVE_STATUSES(X)						\
	X(OK, ok)		/* now on the fast node */		\
	X(ALREADY, already)	/* was already on the fast node */	\
	X(ENOENT, enoent)	/* not present / zero page */		\
	X(EBUSY, ebusy)							\
	X(EAGAIN, eagain)	/* not moved, no reason given: pinned, busy */ \
	X(EFAULT, efault)						\
	X(EACCES, eacces)						\
	X(ENOMEM, enomem)						\
	X(ESRCH, esrch)		/* the process vanished (whole call) */	\
	X(EPERM, eperm)		/* whole call refused */		\
	X(OTHER, other)

enum tierd_move_status {
#define TIERD_MOVE_ENUM(id, name) TIERD_MOVE_##id,
	TIERD_MOVE_STATUSES(TIERD_MOVE_ENUM)
#undef TIERD_MOVE_ENUM
	TIERD_MOVE_NR,
};

/*
 * Per-source counters: X(field, Prometheus name, help, table column or
 * NULL).  Those that bpf/tierd.h's TIERD_BPF_COUNTERS names are read from
 * the BPF counter map; the others come from the source module.  The JSON
 * name is the field name.
 */
#define TIERD_SOURCE_COUNTERS(X)					\
	X(faults_seen, "source_faults_seen_total",			\
	  "Fault tracepoint invocations.", "FAULTS_SEEN")		\
	X(faults_tracked, "source_faults_tracked_total",		\
	  "Faults of tracked processes.", "TRACKED")			\
	X(records, "source_records_total",				\
	  "Records sent to the daemon.", "RECORDS")			\
	X(rb_drops, "source_ringbuf_drops_total",			\
	  "Ring buffer records lost because the buffer was full.", "RB_DROPS") \
	X(map_full, "source_map_full_total",				\
	  "Failed updates of the in-kernel folio map.", "MAP_FULL")	\
	X(window_resets, "source_window_resets_total",			\
	  "Folio windows that expired and restarted in BPF.", NULL)	\
	X(kernel_migrate_ok, "source_kernel_migrate_ok_total",		\
	  "Successful kernel migrations seen on the private node.", NULL) \
	X(kernel_migrate_fail, "source_kernel_migrate_fail_total",	\
	  "Failed kernel migrations seen on the private node.", NULL)	\
	X(kernel_chose_migrate, "source_kernel_chose_migrate_total",	\
	  "Hint faults on which the kernel chose to migrate the folio itself.", NULL) \
	X(writes, "source_writes_total",				\
	  "Faults of tracked processes that were writes.", "WRITES")	\
	X(kernel_promoted, "source_kernel_promoted_total",		\
	  "Faulted folios the kernel moved off their node itself (not moved again by tierd).", \
	  "K_PROMOTED")							\
	X(kernel_promote_failed, "source_kernel_promote_failed_total",	\
	  "Faults whose kernel promotion moved nothing (handed to tierd at once).", \
	  NULL)								\
	X(rearm_errors, "source_rearm_errors_total",			\
	  "Re-arming a process's tracking failed.", NULL)		\
	X(descriptors_accepted, "source_descriptors_accepted_total",	\
	  "Tracking descriptors processes handed over and the source kept.", NULL) \
	X(descriptors_refused, "source_descriptors_refused_total",	\
	  "Tracking descriptors refused (not verified, over a bound).", NULL) \
	X(descriptors_dropped, "source_descriptors_dropped_total",	\
	  "Tracking descriptors let go (exit, exec, closed by the process).", NULL) \
	X(vmas_registered, "source_vmas_registered_total",		\
	  "Mappings registered through the held descriptor on rescans (a first sight registers again what the process registered).", NULL) \
	X(scans, "source_scans_total",					\
	  "PAGEMAP_SCAN calls that collected and re-armed a range.", NULL) \
	X(pages_reported, "source_pages_reported_total",		\
	  "Pages those scans reported written (or accessed).", NULL)	\
	X(scan_time_ns, "source_scan_time_ns_total",			\
	  "Time spent collecting and re-arming, in ns.", NULL)		\
	X(refreshes, "source_refreshes_total",				\
	  "Rescans of a tracked process's mappings and page locations.", NULL) \
	X(refresh_time_ns, "source_refresh_time_ns_total",		\
	  "Time those rescans took (maps, numa_maps, move_pages), in ns.", NULL) \
	X(prog_run_cnt, "source_prog_run_count_total",			\
	  "BPF program runs (needs kernel.bpf_stats_enabled=1).", NULL)	\
	X(prog_run_time_ns, "source_prog_run_time_ns_total",		\
	  "BPF program run time in ns (needs kernel.bpf_stats_enabled=1).", NULL)

/* A process a source holds a tracking descriptor of (uffd). */
struct tierd_source_held {
	int32_t pid;
	uint32_t uid;
	char comm[16];
	char mode[8];			/* "wp" or "rwp" */
	uint32_t ranges;		/* slow-tier ranges it scans */
	uint64_t range_bytes;		/* their size */
};

#define TIERD_SOURCE_HELD_MAX 16

struct tierd_source_stats {
	bool active;
	char state[256];		/* "active (...)" or why it is off */
	unsigned int nr_held;		/* entries in held[] */
	uint64_t held_total;		/* processes held, listed or not */
	struct tierd_source_held held[TIERD_SOURCE_HELD_MAX];
#define TIERD_SOURCE_FIELD(f, prom, help, col) uint64_t f;
	TIERD_SOURCE_COUNTERS(TIERD_SOURCE_FIELD)
#undef TIERD_SOURCE_FIELD
	bool prog_stats_enabled;	/* kernel.bpf_stats_enabled was 1 */
};

/* Per-node fields: X(field, Prometheus name, type, help). */
#define TIERD_NODE_COUNTERS(X)						\
	X(total_bytes, "node_total_bytes", gauge, "Node memory size.")	\
	X(free_bytes, "node_free_bytes", gauge,				\
	  "Node free memory (MemFree of the node's meminfo).")		\
	X(promoted_from_pages, "node_promoted_from_pages_total", counter, \
	  "Pages tierd promoted out of this (slow) node.")		\
	X(promoted_to_pages, "node_promoted_to_pages_total", counter,	\
	  "Pages tierd promoted into this (fast) node.")

/*
 * Per-node counters the kernel keeps in nodeN/vmstat, shown as read, and
 * only for nodes whose kernel has them (the RFC's newest generation):
 * X(field = the vmstat name, Prometheus name, table column, help).
 */
#define TIERD_NODE_VMSTAT(X)						\
	X(pgpromote_fence, "node_pgpromote_fence_total", "FENCE_PROMO",	\
	  "Writes to write-fenced folios of this node the kernel promoted itself (nodeN/vmstat).") \
	X(pgpromote_fence_failed, "node_pgpromote_fence_failed_total",	\
	  "FENCE_FAIL",							\
	  "Writes to write-fenced folios of this node whose kernel promotion failed (nodeN/vmstat).")

enum tierd_node_vmstat {
#define TIERD_NODE_VMSTAT_ENUM(f, prom, col, help) TIERD_NODE_VMSTAT_##f,
	TIERD_NODE_VMSTAT(TIERD_NODE_VMSTAT_ENUM)
#undef TIERD_NODE_VMSTAT_ENUM
	TIERD_NODE_VMSTAT_NR,
};

struct tierd_node_stats {
	bool present;
	bool slow;
	bool fast;
	int32_t memtier;		/* the kernel's memory tier, -1 unknown */
	char why[112];			/* how tierd classed the node, and why */
#define TIERD_NODE_FIELD(f, prom, type, help) uint64_t f;
	TIERD_NODE_COUNTERS(TIERD_NODE_FIELD)
#undef TIERD_NODE_FIELD
	/* bit TIERD_NODE_VMSTAT_<field>: the kernel has that counter */
	uint32_t vmstat_present;
#define TIERD_NODE_VMSTAT_FIELD(f, prom, col, help) uint64_t f;
	TIERD_NODE_VMSTAT(TIERD_NODE_VMSTAT_FIELD)
#undef TIERD_NODE_VMSTAT_FIELD
};

#define TIERD_STATS_MAX_PIDS 64

/*
 * Per-process fields: X(field, table column, Prometheus name, type, help).
 * The metrics carry only the busiest few processes (stats_render.h
 * TIERD_PROM_TOP_PIDS), labelled by pid and comm.
 */
#define TIERD_PID_COUNTERS(X)						\
	X(records, "RECORDS", "pid_records_total", counter,		\
	  "Records received for the process.")				\
	X(faults, "FAULTS", "pid_faults_total", counter,		\
	  "Accesses the process's records carried.")			\
	X(folios_tracked, "FOLIOS", "pid_folios_tracked", gauge,	\
	  "The process's folios in the hotness table.")		\
	X(folios_hot, "HOT", "pid_folios_hot", gauge,			\
	  "The process's folios at or above promote_score.")		\
	X(promoted_pages, "PROMOTED", "pid_promoted_pages_total",	\
	  counter, "The process's pages promoted to the fast tier.")	\
	/* folios the kernel promoted itself, so tierd did not */	\
	X(kernel_promoted, "K_PROMOTED", "pid_kernel_promoted_total",	\
	  counter, "The process's folios the kernel promoted itself (tierd left them).") \
	/* resident 4 KiB pages, from numa_maps every 10 s */		\
	X(slow_pages, "ON_SLOW", "pid_slow_pages", gauge,		\
	  "The process's resident 4 KiB pages on slow nodes (numa_maps, every 10 s).") \
	X(fast_pages, "ON_FAST", "pid_fast_pages", gauge,		\
	  "The process's resident 4 KiB pages on fast nodes (numa_maps, every 10 s).") \
	/* candidates of this pid held back, by reason */		\
	X(skipped_rate, "SKIP_RATE", "pid_skipped_rate_total", counter,	\
	  "The process's candidates deferred by the rate limit.")	\
	X(skipped_headroom, "SKIP_ROOM", "pid_skipped_headroom_total",	\
	  counter, "The process's candidates refused to keep fast-node headroom.")

struct tierd_pid_stats {
	int32_t pid;
	char comm[16];
#define TIERD_PID_FIELD(f, col, prom, type, help) uint64_t f;
	TIERD_PID_COUNTERS(TIERD_PID_FIELD)
#undef TIERD_PID_FIELD
};

struct tierd_stats {
	uint64_t uptime_ms;
	bool paused;
#define TIERD_STATS_FIELD(group, f, json, prom, type, help) uint64_t f;
	TIERD_STATS_COUNTERS(TIERD_STATS_FIELD)
#undef TIERD_STATS_FIELD
	uint64_t move_status[TIERD_MOVE_NR];

	struct tierd_source_stats src[TIERD_SRC_NR];

	unsigned int nr_nodes;		/* highest node id + 1 */
	struct tierd_node_stats node[64];
	/* the kernel's private memory nodes: generation, what tierd does there */
	char private_nodes[320];

	unsigned int nr_pids;
	struct tierd_pid_stats pid[TIERD_STATS_MAX_PIDS];
};

/* One of the hottest tracked folios (`tierctl folios`). */
struct folio_info {
	int32_t pid;
	uint64_t addr;
	double score;
};

const char *tierd_move_status_name(enum tierd_move_status st);
/* The nodeN/vmstat name of TIERD_NODE_VMSTAT entry @i. */
const char *tierd_node_vmstat_name(enum tierd_node_vmstat i);
const char *tierd_source_name(enum tierd_source src);

/* Copy the BPF counters of one source (@v: its TIERD_CNT_NR block). */
void tierd_source_stats_from_bpf(struct tierd_source_stats *st,
				 const uint64_t *v);

#endif /* TIERD_STATS_H */
