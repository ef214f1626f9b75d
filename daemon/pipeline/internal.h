/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pipeline's state, shared by its files: pipeline.c (lifecycle, tick,
 * reload), procs.c (which processes are tracked), promote.c (one promotion
 * pass against the os/ edges) and snapshot.c (stats).  Not for use outside
 * daemon/pipeline/.
 */
#ifndef TIERD_PIPELINE_INTERNAL_H
#define TIERD_PIPELINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "core/hotness.h"
#include "core/movers.h"
#include "core/policy.h"
#include "core/tiers.h"
#include "os/owned.h"
#include "os/probe.h"
#include "sources/collector.h"
#include "stats/stats.h"

#define BASE_PAGE		4096ULL

struct tracked_proc {
	pid_t pid;
	bool slow;		/* holds memory on a slow node */
	bool perm_warned;	/* logged that move_pages was refused */
	uint64_t slow_checked_ms;	/* numa_maps last read */
	char comm[TIERD_COMM_LEN];
	uint64_t records;
	uint64_t faults;
	uint64_t promoted_pages;
	/* folios of it the kernel promoted itself (private-node records) */
	uint64_t kernel_promoted;
	/* resident 4 KiB pages on slow and fast nodes, as numa_maps said */
	uint64_t slow_pages, fast_pages;
	uint64_t skipped_rate, skipped_headroom;
};

struct pipeline {
	struct tierd_config cfg;
	struct numa_topology topo;
	struct tier_choice tiers;
	struct kernel_features feat;
	struct owned *owned;		/* system settings tierd changed */
	struct collector *col;
	struct hotness_table *hot;
	struct token_bucket bucket;
	struct promo_plan plan;
	bool paused;
	pid_t self;
	uint64_t start_ms;
	uint64_t now_ms;		/* time of the event or tick in progress */
	uint64_t scanned_ms;		/* last scope rescan, 0 = never */
	uint64_t rearmed_ms;		/* last re-arm, 0 = never */
	uint64_t prev_rearmed_ms;	/* the one before */

	/* processes in scope, sorted by pid */
	struct tracked_proc *procs;
	size_t nr_procs, cap_procs;
	/* the same, as the sources see them */
	struct source_proc *src_procs;
	size_t cap_src_procs;
	bool overflow_warned;		/* logged that the scope overflowed */
	pid_t other_tierd;		/* another tierd seen by the scan */

	/* other movers, checked every MOVERS_RECHECK_MS */
	struct movers_verdict movers;
	uint64_t movers_checked_ms;

	/* scratch buffers of a promotion pass, reused every tick */
	struct hot_candidate *cand;
	size_t cap_cand;
	uint64_t *pages, *move;
	int *where, *status, *owner, *target, *again;
	size_t cap_pages;
	/* bytes each fast node can still take this pass above min_free */
	uint64_t room[TIERD_MAX_NODES];
	uint64_t headroom_low;		/* fast nodes at min_free, logged */
	int promote_err;		/* last pass's error, logged on change */

	/* counters the pipeline owns (main-loop fields stay zero here) */
	struct tierd_stats cnt;
};

static inline uint64_t granule_bytes(const struct tierd_config *cfg)
{
	return (uint64_t)cfg->granule_kb * 1024;
}

/* Grow *@buf to hold @need elements of @elem bytes.  0 or -ENOMEM. */
int pipeline_grow(void **buf, size_t *cap, size_t need, size_t elem);

/* procs.c */
struct tracked_proc *pipeline_find_proc(struct pipeline *p, pid_t pid);
/* Rebuild the scope from /proc and hand the tracked tgids to the sources. */
int pipeline_scan_processes(struct pipeline *p);
/* Let the sources re-arm the processes in scope. */
void pipeline_arm_sources(struct pipeline *p);

/* promote.c: one promotion pass.  0 or -errno. */
int pipeline_promote(struct pipeline *p);

/* movers.c: look for other movers, apply [promotion] take_over. */
void pipeline_check_movers(struct pipeline *p);

#endif /* TIERD_PIPELINE_INTERNAL_H */
