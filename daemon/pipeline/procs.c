// SPDX-License-Identifier: GPL-2.0
/*
 * Which processes the pipeline tracks: the [scope] rules applied to /proc,
 * which of them hold slow-tier memory, and the tgids handed to the sources.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "os/procfs.h"
#include "pipeline/internal.h"

/* numa_maps is a page walk: look for slow-tier users only this often. */
#define SLOW_USER_RECHECK_MS	10000

static int cmp_proc(const void *a, const void *b)
{
	const struct tracked_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static struct tracked_proc *find_in(struct tracked_proc *v, size_t n,
				    pid_t pid)
{
	struct tracked_proc key = { .pid = pid };

	/* bsearch() wants a non-NULL array even when it is empty */
	if (!n)
		return NULL;
	return bsearch(&key, v, n, sizeof(key), cmp_proc);
}

struct tracked_proc *pipeline_find_proc(struct pipeline *p, pid_t pid)
{
	return find_in(p->procs, p->nr_procs, pid);
}

int pipeline_grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 64;
	void *n;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*buf, ncap * elem);
	if (!n)
		return -ENOMEM;
	*buf = n;
	*cap = ncap;
	return 0;
}

static bool has_include_rules(const struct tierd_config *cfg)
{
	return cfg->include.nr_pids || cfg->include.nr_comms ||
	       cfg->include.nr_cgroups;
}

/* Where @proc's memory is, from numa_maps, at most every recheck period. */
static void read_residency(struct pipeline *p, struct tracked_proc *proc)
{
	uint64_t pages[64];

	if (proc->slow_checked_ms &&
	    p->now_ms - proc->slow_checked_ms < SLOW_USER_RECHECK_MS)
		return;
	proc->slow_checked_ms = p->now_ms;
	proc->slow_pages = proc->fast_pages = 0;
	if (procfs_node_pages(proc->pid, pages) < 0)
		return;
	for (int n = 0; n < 64; n++) {
		if (p->tiers.slow_mask & (1ULL << n))
			proc->slow_pages += pages[n];
		else if (p->tiers.fast_mask & (1ULL << n))
			proc->fast_pages += pages[n];
	}
}

/*
 * Whether @proc holds slow-tier memory: those the config names explicitly
 * count as such; with no include rules, numa_maps says.  Arming every
 * process on the machine would make all of them take faults for nothing.
 */
static bool holds_slow_memory(struct pipeline *p, struct tracked_proc *proc)
{
	if (!p->tiers.tiering)
		return has_include_rules(&p->cfg);
	read_residency(p, proc);
	return has_include_rules(&p->cfg) || proc->slow_pages > 0;
}

/*
 * The tgids for the sources: the BPF map holds TIERD_TRACKED_MAX, so past
 * that, processes that hold slow-tier memory go first.
 */
static int update_tracked(struct pipeline *p, bool slow_users,
			  bool whole_scope)
{
	size_t n = 0, left_out = 0;
	pid_t *tgids;

	tgids = malloc((p->nr_procs ? p->nr_procs : 1) * sizeof(*tgids));
	if (!tgids)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->nr_procs; i++) {
			bool first = p->procs[i].slow;

			if ((pass == 0) != first || !(whole_scope || first))
				continue;
			if (n == TIERD_TRACKED_MAX) {
				left_out++;
				continue;
			}
			tgids[n++] = p->procs[i].pid;
		}
	/* once per episode, not once per scan */
	if (left_out && !p->overflow_warned)
		log_warn("%zu processes in scope, the BPF map holds %u: %zu left untracked (narrow [scope])",
			 n + left_out, TIERD_TRACKED_MAX, left_out);
	p->overflow_warned = left_out > 0;
	/* it logs its own failure; the old set stays until the next scan */
	collector_set_tracked(p->col, tgids, n, true);
	p->cnt.tracked_pids = n;
	free(tgids);
	return 0;
}

int pipeline_scan_processes(struct pipeline *p)
{
	struct tracked_proc *old = p->procs, *procs = NULL;
	size_t nr_old = p->nr_procs, nr = 0, cap = 0;
	bool slow_users, whole_scope;
	pid_t *pids = NULL;
	int n, ret = 0;

	collector_tracking(p->col, &slow_users, &whole_scope);
	if (!slow_users && !whole_scope)
		return 0;
	n = procfs_list_pids(&pids);
	if (n < 0)
		return n;
	p->other_tierd = 0;

	for (int i = 0; i < n; i++) {
		char comm[TIERD_COMM_LEN], cgroup[TIERD_CGROUP_LEN];
		struct scope_proc sp = { .pid = pids[i] };
		struct tracked_proc *prev, *cur;

		if (pids[i] == p->self)
			continue;
		if (procfs_read_comm(pids[i], comm, sizeof(comm)) < 0)
			continue;
		/* a second promoter: the movers check reports it */
		if (!strcmp(comm, "tierd"))
			p->other_tierd = pids[i];
		sp.comm = comm;
		sp.cgroup = procfs_read_cgroup(pids[i], cgroup,
					       sizeof(cgroup)) == 0 ? cgroup : NULL;
		if (!scope_match(&p->cfg, &sp))
			continue;
		if (pipeline_grow((void **)&procs, &cap, nr + 1,
				  sizeof(*procs)) < 0) {
			ret = -ENOMEM;
			goto out;
		}
		cur = &procs[nr++];
		prev = find_in(old, nr_old, pids[i]);
		/* a known process keeps its counters */
		*cur = prev ? *prev : (struct tracked_proc){ .pid = pids[i] };
		snprintf(cur->comm, sizeof(cur->comm), "%s", comm);
		cur->slow = slow_users && holds_slow_memory(p, cur);
	}
	/* /proc lists in pid order, but do not rely on it */
	if (nr)
		qsort(procs, nr, sizeof(*procs), cmp_proc);

	/* processes that left the scope or exited: forget their folios */
	for (size_t i = 0; i < nr_old; i++)
		if (!find_in(procs, nr, old[i].pid))
			hotness_forget_tgid(p->hot, (uint32_t)old[i].pid);

	free(p->procs);
	p->procs = procs;
	p->nr_procs = nr;
	p->cap_procs = cap;
	procs = NULL;
	ret = update_tracked(p, slow_users, whole_scope);
out:
	free(procs);
	free(pids);
	return ret;
}

void pipeline_arm_sources(struct pipeline *p)
{
	if (pipeline_grow((void **)&p->src_procs, &p->cap_src_procs,
			  p->nr_procs, sizeof(*p->src_procs)) < 0) {
		log_warn("out of memory: sources not re-armed this tick");
		return;
	}
	for (size_t i = 0; i < p->nr_procs; i++)
		p->src_procs[i] = (struct source_proc){
			.pid = p->procs[i].pid, .slow = p->procs[i].slow };
	collector_arm(p->col, p->src_procs, p->nr_procs, p->now_ms);
}
