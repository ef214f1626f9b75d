// SPDX-License-Identifier: GPL-2.0
/* What the pipeline shows: stats, the status line, the hottest folios. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/numa_nodes.h"
#include "pipeline/internal.h"
#include "pipeline/pipeline.h"

static int cmp_pid_records(const void *a, const void *b)
{
	const struct tracked_proc *x = *(struct tracked_proc *const *)a;
	const struct tracked_proc *y = *(struct tracked_proc *const *)b;

	if (x->records != y->records)
		return x->records < y->records ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The kernel's own per-node counters, where it has them. */
static void node_vmstat(int node, struct tierd_node_stats *ns)
{
	static const char *const names[TIERD_NODE_VMSTAT_NR] = {
#define NAME(f, prom, col, help) [TIERD_NODE_VMSTAT_##f] = #f,
		TIERD_NODE_VMSTAT(NAME)
#undef NAME
	};
	uint64_t v[TIERD_NODE_VMSTAT_NR] = { 0 };
	int found = numa_node_vmstat("", node, names, TIERD_NODE_VMSTAT_NR, v);

	ns->vmstat_present = found > 0 ? (uint32_t)found : 0;
#define COPY(f, prom, col, help) ns->f = v[TIERD_NODE_VMSTAT_##f];
	TIERD_NODE_VMSTAT(COPY)
#undef COPY
}

static void node_stats(struct pipeline *p, struct tierd_stats *st)
{
	st->nr_nodes = p->topo.nr_nodes;
	for (unsigned int i = 0; i < p->topo.nr_nodes && i < 64; i++) {
		struct tierd_node_stats *ns = &st->node[i];

		*ns = p->cnt.node[i];
		ns->present = p->topo.mem_mask & (1ULL << i);
		ns->slow = p->tiers.tiering && (p->tiers.slow_mask & (1ULL << i));
		ns->fast = p->tiers.tiering &&
			   (p->tiers.fast_mask & (1ULL << i));
		ns->memtier = p->topo.memtiers ? p->topo.memtier[i] : -1;
		snprintf(ns->why, sizeof(ns->why), "%s", p->tiers.node_why[i]);
		if (ns->present) {
			numa_node_memory((int)i, &ns->free_bytes,
					 &ns->total_bytes);
			node_vmstat((int)i, ns);
		}
	}
	tiers_private_describe(&p->topo, st->private_nodes,
			       sizeof(st->private_nodes));
}

/* The busiest processes first. */
static void pid_stats(struct pipeline *p, uint64_t now_ms,
		      struct tierd_stats *st)
{
	struct tracked_proc **order;
	unsigned int n;

	st->nr_pids = 0;
	if (!p->nr_procs)
		return;
	order = malloc(p->nr_procs * sizeof(*order));
	if (!order)
		return;
	for (size_t i = 0; i < p->nr_procs; i++)
		order[i] = &p->procs[i];
	qsort(order, p->nr_procs, sizeof(*order), cmp_pid_records);
	for (n = 0; n < p->nr_procs && n < TIERD_STATS_MAX_PIDS; n++) {
		struct tierd_pid_stats *ps = &st->pid[n];
		const struct tracked_proc *tp = order[n];
		uint32_t tracked, hot;

		ps->pid = tp->pid;
		snprintf(ps->comm, sizeof(ps->comm), "%s", tp->comm);
		ps->records = tp->records;
		ps->faults = tp->faults;
		ps->promoted_pages = tp->promoted_pages;
		ps->kernel_promoted = tp->kernel_promoted;
		ps->slow_pages = tp->slow_pages;
		ps->fast_pages = tp->fast_pages;
		ps->skipped_rate = tp->skipped_rate;
		ps->skipped_headroom = tp->skipped_headroom;
		hotness_tgid_summary(p->hot, (uint32_t)tp->pid, now_ms,
				     p->cfg.promote_score, &tracked, &hot);
		ps->folios_tracked = tracked;
		ps->folios_hot = hot;
	}
	st->nr_pids = n;
	free(order);
}

void pipeline_get_stats(struct pipeline *p, uint64_t now_ms,
			struct tierd_stats *st)
{
	struct hotness_stats hs;

	/* the pipeline's own counters; the main loop's stay as they are */
#define COPY_PIPELINE(group, f, json, prom, type, help)			\
	if (strcmp(#group, "daemon") && strcmp(#group, "loop"))	\
		st->f = p->cnt.f;
	TIERD_STATS_COUNTERS(COPY_PIPELINE)
#undef COPY_PIPELINE
	memcpy(st->move_status, p->cnt.move_status, sizeof(st->move_status));

	collector_read_stats(p->col, st->src);

	hotness_get_stats(p->hot, &hs);
	st->table_size = hs.size;
	st->table_cap = hs.cap;
	st->table_evictions = hs.evictions;
	st->table_bytes = hs.bytes;
	st->pingpongs = hs.pingpongs;

	node_stats(p, st);
	pid_stats(p, now_ms, st);
}

void pipeline_summary(const struct pipeline *p, char *buf, size_t len)
{
	struct tierd_source_stats st[TIERD_SRC_NR];
	char srcs[128] = "";
	size_t off = 0;

	collector_read_stats(p->col, st);
	for (int s = 0; s < TIERD_SRC_NR; s++)
		if (st[s].active && off < sizeof(srcs))
			off += snprintf(srcs + off, sizeof(srcs) - off, "%s%s",
					off ? "," : "", tierd_source_name(s));
	if (!off)
		snprintf(srcs, sizeof(srcs), "none");

	if (!p->tiers.tiering)
		snprintf(buf, len, "%s: %s; sources: %s; tracking %llu process%s",
			 p->paused ? "idle, paused" : "idle",
			 p->tiers.reason, srcs,
			 (unsigned long long)p->cnt.tracked_pids,
			 p->cnt.tracked_pids == 1 ? "" : "es");
	else
		snprintf(buf, len, "%s: %s; sources: %s; tracking %llu process%s; %llu pages promoted%s%s",
			 p->paused ? "paused" :
			 !p->cfg.promote_enabled ? "observing (promotion disabled)" :
			 !p->movers.promote ? "observing (another mover is active)" :
			 "promoting",
			 p->tiers.reason, srcs,
			 (unsigned long long)p->cnt.tracked_pids,
			 p->cnt.tracked_pids == 1 ? "" : "es",
			 (unsigned long long)p->cnt.promoted_pages,
			 p->movers.any ? "; other movers: " : "",
			 p->movers.any ? p->movers.why : "");
}

size_t pipeline_top_folios(struct pipeline *p, pid_t pid, uint64_t now_ms,
			   struct folio_info *out, size_t max)
{
	struct hot_candidate *tmp;
	size_t n;

	tmp = malloc((max ? max : 1) * sizeof(*tmp));
	if (!tmp)
		return 0;
	n = hotness_top(p->hot, pid > 0 ? (uint32_t)pid : 0, now_ms, tmp, max);
	for (size_t i = 0; i < n; i++)
		out[i] = (struct folio_info){ .pid = (int32_t)tmp[i].tgid,
					      .addr = tmp[i].addr,
					      .score = tmp[i].score };
	free(tmp);
	return n;
}
