// SPDX-License-Identifier: GPL-2.0
/*
 * The promotion pipeline.  Glue only: every decision is made in the pure
 * core (hotness.c, policy.c, tier_choose()), every syscall sits in a thin
 * module (collector.c, migrate.c, procfs.c, numa_nodes.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sources/collector.h"
#include "core/hotness.h"
#include "lib/log.h"
#include "os/migrate.h"
#include "os/numa_nodes.h"
#include "pipeline/pipeline.h"
#include "core/policy.h"
#include "os/procfs.h"

#define BASE_PAGE		4096ULL
/* Entries whose decayed score falls below this carry no information. */
#define AGE_FLOOR		0.05
/* numa_maps is a page walk: look for slow-tier users only this often. */
#define SLOW_USER_RECHECK_MS	10000
/*
 * The scope rescan reads three /proc files per process; re-arming must
 * happen every tick, but a process that appears is picked up within this.
 */
#define SCOPE_RESCAN_MS		1000
/* Never plan more than this many candidates in one tick. */
#define MAX_CANDIDATES		65536

struct tracked_proc {
	pid_t pid;
	bool rearm;		/* re-arm its write faults (soft-dirty) */
	bool seen;		/* found by the current scan */
	bool perm_warned;	/* logged that move_pages was refused */
	uint64_t slow_checked_ms;
	char comm[TIERD_COMM_LEN];
	uint64_t records;
	uint64_t faults;
	uint64_t promoted_pages;
};

struct pipeline {
	struct tierd_config cfg;
	struct numa_topology topo;
	struct tier_choice tiers;
	struct collector_features feat;
	bool rearm_ok;			/* clear_refs=4 re-arms write faults */
	struct collector *col;
	struct hotness_table *hot;
	struct token_bucket bucket;
	struct promo_plan plan;
	bool paused;
	pid_t self;
	uint64_t start_ms;
	uint64_t now_ms;		/* time of the event or tick in progress */
	uint64_t scanned_ms;		/* last scope rescan, 0 = never */

	/* processes in scope, sorted by pid */
	struct tracked_proc *procs;
	size_t nr_procs, cap_procs;

	/* scratch buffers, reused every tick */
	struct hot_candidate *cand;
	size_t cap_cand;
	uint64_t *pages, *move;
	int *where, *status, *owner, *target;
	size_t cap_pages;
	/* bytes each fast node can still take this pass above min_free */
	uint64_t room[TIERD_MAX_NODES];

	/* counters the pipeline owns (main-loop fields stay zero here) */
	struct tierd_stats cnt;
	uint64_t rearm_errors;
	bool overflow_warned;		/* logged that the scope overflowed */
};

static uint64_t granule_bytes(const struct tierd_config *cfg)
{
	return (uint64_t)cfg->granule_kb * 1024;
}

static struct hotness_params hotness_params_of(const struct tierd_config *cfg)
{
	return (struct hotness_params) {
		.cap = cfg->table_max_folios,
		.window_ms = cfg->window_ms,
		.decay = cfg->decay,
		.cooldown_ms = cfg->cooldown_ms,
		.pingpong_backoff = cfg->pingpong_backoff,
	};
}

/*
 * The bucket holds one second of rate, or two ticks if ticks are longer, and
 * never less than one granule: a tick that runs late (a busy machine) must
 * not forfeit the budget of the time it was late by.
 */
static void bucket_setup(struct pipeline *p, uint64_t now_ms)
{
	uint64_t rate = (uint64_t)p->cfg.rate_limit_mbps << 20;
	uint64_t span_ms = 2ULL * p->cfg.rearm_interval_ms;
	uint64_t burst = rate * (span_ms > 1000 ? span_ms : 1000) / 1000;

	if (burst < granule_bytes(&p->cfg))
		burst = granule_bytes(&p->cfg);
	token_bucket_init(&p->bucket, rate, burst, now_ms);
}

static int cmp_proc(const void *a, const void *b)
{
	const struct tracked_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static struct tracked_proc *find_proc(struct pipeline *p, pid_t pid)
{
	struct tracked_proc key = { .pid = pid };

	/* bsearch() wants a non-NULL array even when it is empty */
	if (!p->nr_procs)
		return NULL;
	return bsearch(&key, p->procs, p->nr_procs, sizeof(key), cmp_proc);
}

static void on_event(void *ctx, const struct tierd_event *ev)
{
	struct pipeline *p = ctx;
	struct hot_record_result res;
	struct tracked_proc *proc;
	/* only the private-node source knows the folio is on a slow node */
	bool on_slow = ev->source == TIERD_SRC_PRIVATE_NODE;
	/*
	 * Records already in the ring buffer when a reload changed the
	 * granule carry the old alignment; the table keys on the new one.
	 */
	uint64_t addr = ev->addr & ~(granule_bytes(&p->cfg) - 1);

	/* sent before the process left the scope: not ours any more */
	proc = find_proc(p, (pid_t)ev->tgid);
	if (!proc) {
		p->cnt.scope_rejected++;
		return;
	}
	if (hotness_record(p->hot, ev->tgid, addr, ev->faults, on_slow,
			   p->now_ms, &res) < 0)
		return;
	proc->records++;
	proc->faults += ev->faults;
}

static bool has_include_rules(const struct tierd_config *cfg)
{
	return cfg->include.nr_pids || cfg->include.nr_comms ||
	       cfg->include.nr_cgroups;
}

/*
 * Which processes to re-arm: those the config names explicitly, or, with no
 * include rules, those that actually hold memory on a slow node: clearing
 * soft-dirty bits of every process on the machine would make all of them
 * take write faults for nothing.
 */
static bool want_rearm(struct pipeline *p, struct tracked_proc *proc)
{
	int ret;

	if (has_include_rules(&p->cfg))
		return true;
	if (!p->tiers.tiering)
		return false;
	if (proc->slow_checked_ms &&
	    p->now_ms - proc->slow_checked_ms < SLOW_USER_RECHECK_MS)
		return proc->rearm;
	proc->slow_checked_ms = p->now_ms;
	ret = procfs_uses_nodes(proc->pid, p->tiers.slow_mask);
	return ret > 0;
}

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
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

/* Rebuild the scope set from /proc and hand the tgids to the collector. */
static int scan_processes(struct pipeline *p)
{
	bool private_on = p->col &&
		collector_source_active(p->col, TIERD_SRC_PRIVATE_NODE);
	bool sd_on = p->col &&
		collector_source_active(p->col, TIERD_SRC_SOFT_DIRTY);
	struct tracked_proc *old = p->procs;
	size_t nr_old = p->nr_procs, nr = 0, cap = 0;
	struct tracked_proc *procs = NULL;
	pid_t *pids = NULL, *tgids = NULL;
	size_t left_out;
	int n, ret = 0;

	if (!private_on && !sd_on)
		return 0;
	n = procfs_list_pids(&pids);
	if (n < 0)
		return n;

	for (int i = 0; i < n; i++) {
		char comm[TIERD_COMM_LEN], cgroup[TIERD_CGROUP_LEN];
		struct scope_proc sp = { .pid = pids[i] };
		struct tracked_proc *prev, *cur;

		if (pids[i] == p->self)
			continue;
		if (procfs_read_comm(pids[i], comm, sizeof(comm)) < 0)
			continue;
		sp.comm = comm;
		sp.cgroup = procfs_read_cgroup(pids[i], cgroup,
					       sizeof(cgroup)) == 0 ? cgroup : NULL;
		if (!scope_match(&p->cfg, &sp))
			continue;
		if (grow((void **)&procs, &cap, nr + 1, sizeof(*procs)) < 0) {
			ret = -ENOMEM;
			goto out;
		}
		cur = &procs[nr++];
		prev = nr_old ? bsearch(&(struct tracked_proc){ .pid = pids[i] },
					old, nr_old, sizeof(*old), cmp_proc) :
				NULL;
		if (prev)
			*cur = *prev;	/* keep its counters */
		else
			*cur = (struct tracked_proc){ .pid = pids[i] };
		snprintf(cur->comm, sizeof(cur->comm), "%s", comm);
		cur->seen = true;
		cur->rearm = sd_on && want_rearm(p, cur);
	}
	/* /proc lists in pid order, but do not rely on it */
	if (nr)
		qsort(procs, nr, sizeof(*procs), cmp_proc);

	/* processes that left the scope or exited: forget their folios */
	for (size_t i = 0; i < nr_old; i++)
		if (!nr || !bsearch(&old[i], procs, nr, sizeof(*procs),
				    cmp_proc))
			hotness_forget_tgid(p->hot, (uint32_t)old[i].pid);

	free(p->procs);
	p->procs = procs;
	p->nr_procs = nr;
	p->cap_procs = cap;
	procs = NULL;

	/*
	 * The private-node source tracks the whole scope; the soft-dirty one
	 * sees only first-touch faults of processes it does not re-arm, so it
	 * tracks just the re-armed ones.
	 */
	tgids = malloc((p->nr_procs ? p->nr_procs : 1) * sizeof(*tgids));
	if (!tgids) {
		ret = -ENOMEM;
		goto out;
	}
	/*
	 * The BPF map holds TIERD_TRACKED_MAX tgids: past that, processes
	 * that hold slow-tier memory (the re-armed ones) go first.
	 */
	n = 0;
	left_out = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->nr_procs; i++) {
			bool first = p->procs[i].rearm;

			if ((pass == 0) != first || !(private_on || first))
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
			 (size_t)n + left_out, TIERD_TRACKED_MAX, left_out);
	p->overflow_warned = left_out > 0;
	ret = collector_set_tracked(p->col, tgids, (size_t)n, true);
	if (ret < 0)
		log_warn("cannot update the tracked-process map: %s",
			 strerror(-ret));
	p->cnt.tracked_pids = (uint64_t)n;
out:
	free(procs);
	free(tgids);
	free(pids);
	return ret;
}

static void rearm_write_faults(struct pipeline *p)
{
	if (!p->rearm_ok || !p->col ||
	    !collector_source_active(p->col, TIERD_SRC_SOFT_DIRTY))
		return;
	for (size_t i = 0; i < p->nr_procs; i++) {
		int ret;

		if (!p->procs[i].rearm)
			continue;
		ret = procfs_clear_soft_dirty(p->procs[i].pid);
		if (ret < 0 && ret != -ESRCH) {
			p->rearm_errors++;
			log_debug("clear_refs of pid %d: %s",
				  (int)p->procs[i].pid, strerror(-ret));
		}
	}
}

static enum tierd_move_status move_status_of(int err)
{
	switch (err) {
	case -ENOENT: return TIERD_MOVE_ENOENT;
	case -EBUSY: return TIERD_MOVE_EBUSY;
	case -EFAULT: return TIERD_MOVE_EFAULT;
	case -EACCES: return TIERD_MOVE_EACCES;
	case -ENOMEM: return TIERD_MOVE_ENOMEM;
	case -ESRCH: return TIERD_MOVE_ESRCH;
	case -EPERM: return TIERD_MOVE_EPERM;
	default: return TIERD_MOVE_OTHER;
	}
}

/* Errors that retrying will not fix: the folio leaves the table. */
static bool permanent_failure(int err)
{
	return err == -ENOENT || err == -EFAULT || err == -EACCES;
}

/*
 * A whole query or move call failed, so nothing in it moved.  @nr_pages
 * pages of @nr candidates of @b were in the call: those at the indices in
 * @idx, or the first @nr when @idx is NULL.  Only they get their tokens
 * back: candidates settled before a failed move (found on the fast node,
 * gone) were refunded and counted already.
 */
static void batch_call_failed(struct pipeline *p, const struct promo_batch *b,
			      const int *idx, uint32_t nr, uint64_t nr_pages,
			      int err)
{
	struct tracked_proc *proc = find_proc(p, b->pid);

	p->cnt.move_status[move_status_of(err)] += nr_pages;
	token_bucket_refund(&p->bucket, nr * granule_bytes(&p->cfg));
	if (err == -ESRCH) {
		hotness_forget_tgid(p->hot, (uint32_t)b->pid);
		return;
	}
	if (proc && !proc->perm_warned) {
		log_warn("move_pages for pid %d (%s) failed: %s", (int)b->pid,
			 proc->comm, strerror(-err));
		proc->perm_warned = true;
	}
	for (uint32_t i = 0; i < nr; i++) {
		uint32_t c = idx ? (uint32_t)idx[i] : i;

		hotness_forget(p->hot, (uint32_t)b->pid, b->addrs[c]);
	}
}

/*
 * One batch of one process: ask where its pages are, move those on a slow
 * node, settle every candidate's state in the hotness table.
 */
static int promote_batch(struct pipeline *p, const struct promo_batch *b)
{
	uint64_t gran = granule_bytes(&p->cfg);
	uint32_t per = (uint32_t)(gran / BASE_PAGE);
	size_t nr_pages = (size_t)b->nr * per, nr_move = 0;
	struct tracked_proc *proc = find_proc(p, b->pid);
	int ret;

	if (grow((void **)&p->pages, &p->cap_pages, nr_pages,
		 sizeof(*p->pages)) < 0)
		return -ENOMEM;
	/* all scratch arrays share cap_pages */
	{
		size_t cap = p->cap_pages;
		void *m = realloc(p->move, cap * sizeof(*p->move));

		if (!m)
			return -ENOMEM;
		p->move = m;
		if (!(m = realloc(p->where, cap * sizeof(int))))
			return -ENOMEM;
		p->where = m;
		if (!(m = realloc(p->status, cap * sizeof(int))))
			return -ENOMEM;
		p->status = m;
		if (!(m = realloc(p->owner, cap * sizeof(int))))
			return -ENOMEM;
		p->owner = m;
		if (!(m = realloc(p->target, cap * sizeof(int))))
			return -ENOMEM;
		p->target = m;
	}

	for (uint32_t i = 0; i < b->nr; i++)
		for (uint32_t j = 0; j < per; j++)
			p->pages[(size_t)i * per + j] = b->addrs[i] + j * BASE_PAGE;

	ret = migrate_query(b->pid, (uint32_t)nr_pages, p->pages, p->where);
	if (ret < 0) {
		batch_call_failed(p, b, NULL, b->nr, nr_pages, ret);
		return 0;
	}

	for (uint32_t i = 0; i < b->nr; i++) {
		uint32_t queued = 0, blocked = 0, on_fast = 0;

		for (uint32_t j = 0; j < per; j++) {
			size_t k = (size_t)i * per + j;
			int w = p->where[k];
			int t;

			if (w >= 0 && w < TIERD_MAX_NODES &&
			    (p->tiers.slow_mask & (1ULL << w))) {
				/* each slow node has its own fast node */
				t = p->tiers.target[w];
				if (p->room[t] < BASE_PAGE) {
					p->cnt.headroom_blocked++;
					blocked++;
					continue;
				}
				p->room[t] -= BASE_PAGE;
				p->move[nr_move] = p->pages[k];
				p->owner[nr_move] = (int)i;
				p->where[nr_move] = w;	/* k >= nr_move */
				p->target[nr_move] = t;
				nr_move++;
				queued++;
			} else if (w >= 0 && w < TIERD_MAX_NODES &&
				   (p->tiers.fast_mask & (1ULL << w))) {
				on_fast++;
			} else {
				/* nothing mapped there any more, or a third node */
				int st = w < 0 ? w : -EINVAL;

				p->cnt.move_status[move_status_of(st)]++;
			}
		}
		/*
		 * Pages not asked to move get their status here, also those
		 * of a 2 MiB candidate whose other pages do move.
		 */
		p->cnt.move_status[TIERD_MOVE_ALREADY] += on_fast;
		if (queued || blocked)
			hotness_mark_on_slow(p->hot, (uint32_t)b->pid,
					     b->addrs[i], p->now_ms);
		if (queued)
			continue;
		token_bucket_refund(&p->bucket, gran);
		/* its target node is full: a candidate again next pass */
		if (blocked)
			continue;
		if (on_fast)
			hotness_mark_on_fast(p->hot, (uint32_t)b->pid,
					     b->addrs[i], p->now_ms);
		else
			hotness_forget(p->hot, (uint32_t)b->pid, b->addrs[i]);
	}
	if (!nr_move)
		return 0;

	p->cnt.move_calls++;
	p->cnt.move_pages_requested += nr_move;
	ret = migrate_move(b->pid, (uint32_t)nr_move, p->move, p->target,
			   p->status);
	if (ret < 0) {
		/* owners ascend: list each candidate of the call once */
		uint32_t nr = 0;

		for (size_t k = 0; k < nr_move; k++)
			if (!nr || p->status[nr - 1] != p->owner[k])
				p->status[nr++] = p->owner[k];
		batch_call_failed(p, b, p->status, nr, nr_move, ret);
		return 0;
	}

	/* settle per candidate: moved if any of its pages moved */
	{
		int cur = -1, moved = 0, err = 0;

		for (size_t k = 0; k <= nr_move; k++) {
			int o = k < nr_move ? p->owner[k] : -1;

			if (o != cur && cur >= 0) {
				uint64_t addr = b->addrs[cur];

				if (moved)
					hotness_mark_promoted(p->hot,
						(uint32_t)b->pid, addr,
						p->now_ms);
				else if (permanent_failure(err))
					hotness_forget(p->hot,
						(uint32_t)b->pid, addr);
				token_bucket_refund(&p->bucket,
					gran - (uint64_t)moved * BASE_PAGE);
				moved = 0;
				err = 0;
			}
			if (k == nr_move)
				break;
			cur = o;
			if (p->status[k] == p->target[k]) {
				moved++;
				p->cnt.move_status[TIERD_MOVE_OK]++;
				p->cnt.promoted_pages++;
				p->cnt.promoted_bytes += BASE_PAGE;
				p->cnt.node[p->where[k]].promoted_from_pages++;
				p->cnt.node[p->target[k]].promoted_to_pages++;
				if (proc)
					proc->promoted_pages++;
			} else {
				err = p->status[k] < 0 ? p->status[k] : -EAGAIN;
				p->cnt.move_status[move_status_of(err)]++;
			}
		}
	}
	return 0;
}

static int promote(struct pipeline *p)
{
	uint64_t gran = granule_bytes(&p->cfg), nr_cooldown = 0;
	uint64_t min_free = p->cfg.min_free_mb << 20, room = 0;
	uint64_t nr_qualified = 0;
	size_t max = MAX_CANDIDATES, nr;
	bool rate_shaped = false;
	struct policy_input in;
	int ret;

	if (p->cfg.rate_limit_mbps) {
		/* no point ranking more than one burst can move */
		uint64_t budget = (uint64_t)p->bucket.burst_bytes / gran + 1;

		if (budget < max) {
			max = (size_t)budget;
			rate_shaped = true;
		}
	}
	if (grow((void **)&p->cand, &p->cap_cand, max, sizeof(*p->cand)) < 0)
		return -ENOMEM;
	nr = hotness_candidates(p->hot, p->now_ms, p->cfg.promote_score,
				p->cand, max, &nr_cooldown, &nr_qualified);
	p->cnt.cooldown_skipped += nr_cooldown;
	p->cnt.candidates += nr_qualified;
	/* not even ranked: one burst could not have moved them */
	if (rate_shaped)
		p->cnt.rate_limited += nr_qualified - nr;
	if (!nr)
		return 0;

	/*
	 * Headroom per fast node.  The planner cannot know a candidate's
	 * target before its pages are queried, so it is held to the sum of
	 * what the targets can take (exact with one fast node) and
	 * promote_batch() holds each page to its own target's room.
	 */
	for (int t = 0; t < TIERD_MAX_NODES; t++) {
		uint64_t free_b;

		if (!(p->tiers.fast_mask & (1ULL << t)))
			continue;
		ret = numa_node_memory(t, &free_b, NULL);
		if (ret < 0)
			return ret;
		p->room[t] = free_b > min_free ? free_b - min_free : 0;
		room += p->room[t];
	}
	in = (struct policy_input) {
		.cand = p->cand,
		.nr_cand = nr,
		.page_bytes = gran,
		.fast_free_bytes = room,
		.min_free_bytes = 0,
		.batch_pages = p->cfg.batch_pages * BASE_PAGE / gran ?
			       (uint32_t)(p->cfg.batch_pages * BASE_PAGE / gran) : 1,
		.now_ms = p->now_ms,
	};
	ret = policy_plan(&in, &p->bucket, &p->plan);
	if (ret < 0)
		return ret;
	p->cnt.rate_limited += p->plan.rate_limited;
	p->cnt.headroom_blocked += p->plan.headroom_blocked;

	for (uint32_t i = 0; i < p->plan.nr_batches; i++) {
		ret = promote_batch(p, &p->plan.batches[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int pipeline_create(const struct tierd_config *cfg, uint64_t now_ms,
		    struct pipeline **out, char *err, size_t errlen)
{
	struct hotness_params hp = hotness_params_of(cfg);
	struct collector_features f;
	struct pipeline *p;
	int ret;

	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->cfg = *cfg;
	p->self = getpid();
	p->start_ms = p->now_ms = now_ms;
	promo_plan_init(&p->plan);

	numa_topology_read(&p->topo);
	ret = tier_choose(&p->topo, cfg, &p->tiers);
	if (ret < 0) {
		snprintf(err, errlen, "%s", p->tiers.reason);
		goto fail;
	}

	collector_detect(&p->feat);
	f = p->feat;
	p->rearm_ok = f.soft_dirty;
	if (cfg->src_soft_dirty == TIERD_ON && !f.soft_dirty &&
	    f.page_fault_user_tp) {
		/*
		 * Asked for explicitly: collect anyway.  Without soft-dirty
		 * nothing re-arms a page, so only first-touch write faults
		 * (and faults after MADV_DONTNEED) are seen.
		 */
		log_warn("[sources] soft_dirty = on, but this kernel cannot clear soft-dirty bits (CONFIG_MEM_SOFT_DIRTY): collecting first-touch write faults only, no re-arming");
		f.soft_dirty = true;
	}
	ret = collector_open(cfg, &f, on_event, p, &p->col, err, errlen);
	if (ret < 0)
		goto fail;

	ret = hotness_create(&hp, &p->hot);
	if (ret < 0) {
		snprintf(err, errlen, "cannot create the hotness table (%u folios): %s",
			 cfg->table_max_folios, strerror(-ret));
		goto fail;
	}
	bucket_setup(p, now_ms);

	log_info("nodes: %s", p->tiers.reason);
	{
		struct tierd_source_stats st[TIERD_SRC_NR];

		collector_read_stats(p->col, st);
		for (int s = 0; s < TIERD_SRC_NR; s++)
			log_info("source %s: %s", tierd_source_name(s),
				 st[s].state);
	}
	*out = p;
	return 0;
fail:
	pipeline_destroy(p);
	return ret;
}

void pipeline_destroy(struct pipeline *p)
{
	if (!p)
		return;
	if (p->col)
		collector_close(p->col);
	if (p->hot)
		hotness_destroy(p->hot);
	promo_plan_free(&p->plan);
	free(p->procs);
	free(p->cand);
	free(p->pages);
	free(p->move);
	free(p->where);
	free(p->status);
	free(p->owner);
	free(p->target);
	free(p);
}

int pipeline_event_fd(const struct pipeline *p)
{
	return p->col ? collector_ring_fd(p->col) : -1;
}

int pipeline_on_events(struct pipeline *p, uint64_t now_ms)
{
	int ret;

	p->now_ms = now_ms;
	ret = collector_consume(p->col);
	return ret < 0 ? ret : 0;
}

uint32_t pipeline_tick_ms(const struct pipeline *p)
{
	return p->cfg.rearm_interval_ms;
}

int pipeline_tick(struct pipeline *p, uint64_t now_ms)
{
	int ret;

	p->now_ms = now_ms;
	p->cnt.intervals++;
	/* records that arrived since the last wake-up count for this pass */
	if (pipeline_event_fd(p) >= 0)
		collector_consume(p->col);

	if (!p->scanned_ms || now_ms - p->scanned_ms >= SCOPE_RESCAN_MS) {
		ret = scan_processes(p);
		if (ret < 0)
			log_warn("process scan failed: %s", strerror(-ret));
		p->scanned_ms = now_ms;
	}
	rearm_write_faults(p);
	hotness_age(p->hot, now_ms, AGE_FLOOR);

	if (p->paused || !p->tiers.tiering || !p->cfg.promote_enabled)
		return 0;
	ret = promote(p);
	if (ret < 0)
		log_warn("promotion pass failed: %s", strerror(-ret));
	return ret;
}

static bool sources_changed(const struct tierd_config *a,
			    const struct tierd_config *b)
{
	return a->src_private_node != b->src_private_node ||
	       a->src_soft_dirty != b->src_soft_dirty ||
	       a->kernel_map_folios != b->kernel_map_folios;
}

int pipeline_reconfigure(struct pipeline *p, const struct tierd_config *cfg,
			 char *err, size_t errlen)
{
	struct hotness_params hp = hotness_params_of(cfg);
	struct hotness_table *new_hot = NULL;
	struct collector *new_col = NULL;
	struct numa_topology topo;
	struct tier_choice tiers;
	int ret;

	/* everything that can fail happens before anything is replaced */
	numa_topology_read(&topo);
	ret = tier_choose(&topo, cfg, &tiers);
	if (ret < 0) {
		snprintf(err, errlen, "%s", tiers.reason);
		return ret;
	}
	if (sources_changed(&p->cfg, cfg)) {
		struct collector_features f = p->feat;

		if (cfg->src_soft_dirty == TIERD_ON && !f.soft_dirty &&
		    f.page_fault_user_tp)
			f.soft_dirty = true;
		ret = collector_open(cfg, &f, on_event, p, &new_col, err,
				     errlen);
		if (ret < 0)
			return ret;
	}
	if (cfg->granule_kb != p->cfg.granule_kb) {
		/* keys are granule-aligned addresses: start a fresh table */
		ret = hotness_create(&hp, &new_hot);
	} else {
		ret = hotness_set_params(p->hot, &hp);
	}
	if (ret < 0) {
		snprintf(err, errlen, "cannot resize the hotness table to %u folios: %s",
			 cfg->table_max_folios, strerror(-ret));
		if (new_col)
			collector_close(new_col);
		return ret;
	}

	if (new_col) {
		collector_close(p->col);
		p->col = new_col;
	} else {
		ret = collector_reconfigure(p->col, cfg);
		if (ret < 0)
			log_warn("BPF tunables not updated: %s", strerror(-ret));
	}
	if (new_hot) {
		hotness_destroy(p->hot);
		p->hot = new_hot;
	}
	p->topo = topo;
	p->tiers = tiers;
	p->cfg = *cfg;
	/* new scope, or a new collector with an empty tracked map */
	p->scanned_ms = 0;
	bucket_setup(p, p->now_ms);
	log_info("nodes: %s", p->tiers.reason);
	return 0;
}

void pipeline_set_paused(struct pipeline *p, bool paused)
{
	p->paused = paused;
}

bool pipeline_paused(const struct pipeline *p)
{
	return p->paused;
}

static int cmp_pid_records(const void *a, const void *b)
{
	const struct tracked_proc *x = *(struct tracked_proc *const *)a;
	const struct tracked_proc *y = *(struct tracked_proc *const *)b;

	if (x->records != y->records)
		return x->records < y->records ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

void pipeline_get_stats(struct pipeline *p, uint64_t now_ms,
			struct tierd_stats *st)
{
	struct tracked_proc **order = NULL;
	struct hotness_stats hs;
	unsigned int n;

	/* counters the pipeline owns */
	st->intervals = p->cnt.intervals;
	st->candidates = p->cnt.candidates;
	st->cooldown_skipped = p->cnt.cooldown_skipped;
	st->scope_rejected = p->cnt.scope_rejected;
	st->rate_limited = p->cnt.rate_limited;
	st->headroom_blocked = p->cnt.headroom_blocked;
	st->tracked_pids = p->cnt.tracked_pids;
	st->move_calls = p->cnt.move_calls;
	st->move_pages_requested = p->cnt.move_pages_requested;
	st->promoted_pages = p->cnt.promoted_pages;
	st->promoted_bytes = p->cnt.promoted_bytes;
	memcpy(st->move_status, p->cnt.move_status, sizeof(st->move_status));

	collector_read_stats(p->col, st->src);
	if (!p->rearm_ok && st->src[TIERD_SRC_SOFT_DIRTY].active)
		snprintf(st->src[TIERD_SRC_SOFT_DIRTY].state,
			 sizeof(st->src[TIERD_SRC_SOFT_DIRTY].state),
			 "active without re-arm: kernel lacks CONFIG_MEM_SOFT_DIRTY, first-touch write faults only");

	hotness_get_stats(p->hot, &hs);
	st->table_size = hs.size;
	st->table_cap = hs.cap;
	st->table_evictions = hs.evictions;
	st->table_bytes = hs.bytes;
	st->pingpongs = hs.pingpongs;

	st->nr_nodes = p->topo.nr_nodes;
	for (unsigned int i = 0; i < p->topo.nr_nodes && i < 64; i++) {
		struct tierd_node_stats *ns = &st->node[i];

		*ns = p->cnt.node[i];
		ns->present = p->topo.mem_mask & (1ULL << i);
		ns->slow = p->tiers.tiering && (p->tiers.slow_mask & (1ULL << i));
		ns->fast = p->tiers.tiering &&
			   (p->tiers.fast_mask & (1ULL << i));
		if (ns->present)
			numa_node_memory((int)i, &ns->free_bytes,
					 &ns->total_bytes);
	}

	/* the busiest processes first */
	st->nr_pids = 0;
	if (p->nr_procs)
		order = malloc(p->nr_procs * sizeof(*order));
	if (!order)
		return;
	for (size_t i = 0; i < p->nr_procs; i++)
		order[i] = &p->procs[i];
	qsort(order, p->nr_procs, sizeof(*order), cmp_pid_records);
	for (n = 0; n < p->nr_procs && n < TIERD_STATS_MAX_PIDS; n++) {
		struct tierd_pid_stats *ps = &st->pid[n];
		const struct tracked_proc *tp = order[n];

		ps->pid = tp->pid;
		snprintf(ps->comm, sizeof(ps->comm), "%s", tp->comm);
		ps->records = tp->records;
		ps->faults = tp->faults;
		ps->promoted_pages = tp->promoted_pages;
		hotness_tgid_summary(p->hot, (uint32_t)tp->pid, now_ms,
				     p->cfg.promote_score, &ps->folios_tracked,
				     &ps->folios_hot);
	}
	st->nr_pids = n;
	free(order);
}

void pipeline_summary(const struct pipeline *p, char *buf, size_t len)
{
	struct tierd_source_stats st[TIERD_SRC_NR];
	char srcs[64] = "";
	size_t off = 0;

	collector_read_stats(p->col, st);
	for (int s = 0; s < TIERD_SRC_NR; s++)
		if (st[s].active)
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
		snprintf(buf, len, "%s: %s; sources: %s; tracking %llu process%s; %llu pages promoted",
			 p->paused ? "paused" :
			 p->cfg.promote_enabled ? "promoting" :
			 "observing (promotion disabled)",
			 p->tiers.reason, srcs,
			 (unsigned long long)p->cnt.tracked_pids,
			 p->cnt.tracked_pids == 1 ? "" : "es",
			 (unsigned long long)p->cnt.promoted_pages);
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
