/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every counter tierd exposes.  Filled by the pipeline, rendered by
 * stats_render.c as JSON, Prometheus text or a human table.  Flat, so a
 * snapshot is a struct copy.
 */
#ifndef TIERD_STATS_H
#define TIERD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "bpf/tierd.h"

/* Per-page move_pages() outcomes we count by name; the rest go to OTHER. */
enum tierd_move_status {
	TIERD_MOVE_OK = 0,		/* now on the fast node */
	TIERD_MOVE_ALREADY,		/* was already on the fast node */
	TIERD_MOVE_ENOENT,		/* not present / zero page */
	TIERD_MOVE_EBUSY,
	TIERD_MOVE_EFAULT,
	TIERD_MOVE_EACCES,
	TIERD_MOVE_ENOMEM,
	TIERD_MOVE_ESRCH,		/* the process vanished (whole call) */
	TIERD_MOVE_EPERM,		/* whole call refused */
	TIERD_MOVE_OTHER,
	TIERD_MOVE_NR,
};

struct tierd_source_stats {
	bool active;
	char state[160];		/* "active" or why it is off */
	uint64_t faults_seen;
	uint64_t faults_tracked;
	uint64_t records;		/* ring buffer records received */
	uint64_t rb_drops;
	uint64_t map_full;
	uint64_t window_resets;
	uint64_t kernel_migrate_ok;
	uint64_t kernel_migrate_fail;
	uint64_t prog_run_cnt;		/* from bpf_prog_info, bpf_stats only */
	uint64_t prog_run_time_ns;
	bool prog_stats_enabled;	/* kernel.bpf_stats_enabled was 1 */
};

struct tierd_node_stats {
	bool present;
	bool slow;
	bool fast;
	uint64_t total_bytes;
	uint64_t free_bytes;
	uint64_t promoted_from_pages;	/* pages moved off this node */
	uint64_t promoted_to_pages;	/* pages moved onto this node */
};

#define TIERD_STATS_MAX_PIDS 64

struct tierd_pid_stats {
	int32_t pid;
	char comm[16];
	uint64_t records;		/* ring buffer records for this pid */
	uint64_t faults;		/* faults those records carried */
	uint32_t folios_tracked;	/* entries in the hotness table */
	uint32_t folios_hot;		/* entries at or above promote_score */
	uint64_t promoted_pages;
};

struct tierd_stats {
	uint64_t uptime_ms;
	bool paused;
	uint64_t reloads;
	uint64_t reload_failures;
	uint64_t control_requests;
	uint64_t control_errors;

	struct tierd_source_stats src[TIERD_SRC_NR];

	/* hotness table */
	uint64_t table_size;
	uint64_t table_cap;
	uint64_t table_evictions;
	uint64_t table_bytes;		/* memory held by the table */

	/* policy */
	uint64_t intervals;		/* policy passes run */
	uint64_t candidates;		/* folios at or above promote_score */
	uint64_t cooldown_skipped;
	uint64_t scope_rejected;
	uint64_t rate_limited;		/* pages deferred by the token bucket */
	uint64_t headroom_blocked;	/* pages refused for DRAM headroom */
	uint64_t pingpongs;		/* promoted folio seen on slow tier again */
	uint64_t tracked_pids;

	/* migrator */
	uint64_t move_calls;		/* move_pages() calls */
	uint64_t move_pages_requested;
	uint64_t promoted_pages;
	uint64_t promoted_bytes;
	uint64_t move_status[TIERD_MOVE_NR];

	unsigned int nr_nodes;		/* highest node id + 1 */
	struct tierd_node_stats node[64];

	unsigned int nr_pids;
	struct tierd_pid_stats pid[TIERD_STATS_MAX_PIDS];
};

const char *tierd_move_status_name(enum tierd_move_status st);
const char *tierd_source_name(enum tierd_source src);

#endif /* TIERD_STATS_H */
