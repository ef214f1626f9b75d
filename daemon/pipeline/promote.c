// SPDX-License-Identifier: GPL-2.0
/*
 * One promotion pass: candidates from the hotness table, a plan from the
 * policy, per batch a location query and a move through os/migrate, and
 * the settlement of every candidate by core/settle.  Decisions are the
 * core's; this file only carries data between it and the syscalls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/settle.h"
#include "lib/log.h"
#include "os/migrate.h"
#include "os/numa_nodes.h"
#include "pipeline/internal.h"

/* Never plan more than this many candidates in one tick. */
#define MAX_CANDIDATES		65536

static struct settle_ctx settle_ctx_of(struct pipeline *p)
{
	return (struct settle_ctx){
		.hot = p->hot,
		.bucket = &p->bucket,
		.cnt = &p->cnt,
		.now_ms = p->now_ms,
		.granule = granule_bytes(&p->cfg),
		.slow_mask = p->tiers.slow_mask,
		.fast_mask = p->tiers.fast_mask,
		.target = p->tiers.target,
		.room = p->room,
	};
}

/* All scratch arrays share cap_pages. */
static int grow_scratch(struct pipeline *p, size_t nr_pages)
{
	size_t cap = p->cap_pages;
	int **ints[] = { &p->where, &p->status, &p->owner, &p->target,
			 &p->again };
	void *m;

	if (pipeline_grow((void **)&p->pages, &cap, nr_pages,
			  sizeof(*p->pages)) < 0)
		return -ENOMEM;
	if (cap == p->cap_pages && p->move)
		return 0;
	m = realloc(p->move, cap * sizeof(*p->move));
	if (!m)
		return -ENOMEM;
	p->move = m;
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		m = realloc(*ints[i], cap * sizeof(int));
		if (!m)
			return -ENOMEM;
		*ints[i] = m;
	}
	p->cap_pages = cap;
	return 0;
}

/*
 * A whole call failed: log it once per process (the settle counts it).
 * ESRCH and EINVAL (a process that exited, not yet reaped, has no memory)
 * are a process leaving, not a problem.
 */
static void call_failed(struct pipeline *p, struct settle_ctx *sc,
			const struct promo_batch *b, const int *idx,
			uint32_t nr, uint64_t nr_pages, int err)
{
	struct tracked_proc *proc = pipeline_find_proc(p, b->pid);

	if (err != -ESRCH && err != -EINVAL && proc && !proc->perm_warned) {
		log_fields(LOG_WARNING, LOG_FIELDS(.pid = b->pid, .err = err),
			   "move_pages for pid %d (%s) failed: %s",
			   (int)b->pid, proc->comm, strerror(-err));
		proc->perm_warned = true;
	}
	settle_call_failed(sc, b->pid, b->addrs, idx, nr, nr_pages, err);
}

/*
 * After a move that did not report every page: ask where those pages are
 * now, so each is counted as what really happened to it.
 */
static void requery_unreported(struct pipeline *p, pid_t pid, size_t nr_move,
			       int call_ret)
{
	/* p->pages is free again once the moves are planned */
	size_t n = settle_unreported(p->move, p->status, nr_move, p->pages);
	int ret;

	if (!n)
		return;
	p->cnt.pages_requeried += n;
	ret = migrate_query(pid, (uint32_t)n, p->pages, p->again);
	settle_fill_unreported(p->status, p->target, nr_move, p->again,
			       ret < 0 ? ret : 0, call_ret);
}

/*
 * One batch of one process: ask where its pages are, move those on a slow
 * node, settle every candidate.
 */
static int promote_batch(struct pipeline *p, struct settle_ctx *sc,
			 const struct promo_batch *b)
{
	uint32_t per = (uint32_t)(granule_bytes(&p->cfg) / BASE_PAGE);
	size_t nr_pages = (size_t)b->nr * per, nr_move;
	struct tracked_proc *proc;
	uint64_t moved, blocked;
	int ret;

	if (grow_scratch(p, nr_pages) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->nr; i++)
		for (uint32_t j = 0; j < per; j++)
			p->pages[(size_t)i * per + j] = b->addrs[i] + j * BASE_PAGE;

	p->cnt.pages_queried += nr_pages;
	ret = migrate_query(b->pid, (uint32_t)nr_pages, p->pages, p->where);
	if (ret < 0) {
		call_failed(p, sc, b, NULL, b->nr, nr_pages, ret);
		return 0;
	}
	blocked = p->cnt.headroom_blocked;
	nr_move = settle_plan_moves(sc, b->pid, b->addrs, b->nr, p->pages,
				    p->where, p->move, p->owner, p->where,
				    p->target);
	proc = pipeline_find_proc(p, b->pid);
	if (proc)
		proc->skipped_headroom += p->cnt.headroom_blocked - blocked;
	if (!nr_move)
		return 0;

	p->cnt.move_calls++;
	p->cnt.move_pages_requested += nr_move;
	for (size_t k = 0; k < nr_move; k++)
		p->status[k] = SETTLE_NO_STATUS;
	ret = migrate_move(b->pid, (uint32_t)nr_move, p->move, p->target,
			   p->status);
	/* ENOMEM comes from a migration under way: some pages may have moved */
	if (ret < 0 && ret != -ENOMEM) {
		/* owners ascend: list each candidate of the call once */
		uint32_t nr = 0;

		for (size_t k = 0; k < nr_move; k++)
			if (!nr || p->status[nr - 1] != p->owner[k])
				p->status[nr++] = p->owner[k];
		call_failed(p, sc, b, p->status, nr, nr_move, ret);
		return 0;
	}
	requery_unreported(p, b->pid, nr_move, ret);
	moved = settle_moves(sc, b->pid, b->addrs, nr_move, p->owner, p->where,
			     p->target, p->status);
	if (proc)
		proc->promoted_pages += moved;
	return 0;
}

/*
 * Headroom per fast node.  The planner cannot know a candidate's target
 * before its pages are queried, so it is held to the sum of what the
 * targets can take (exact with one fast node), and settle_plan_moves()
 * holds each page to its own target's room.
 */
static int measure_room(struct pipeline *p, uint64_t *total)
{
	uint64_t min_free = p->cfg.min_free_mb << 20;

	*total = 0;
	for (int t = 0; t < TIERD_MAX_NODES; t++) {
		uint64_t free_b;
		bool low;
		int ret;

		if (!(p->tiers.fast_mask & (1ULL << t)))
			continue;
		ret = numa_node_memory(t, &free_b, NULL);
		if (ret < 0)
			return ret;
		p->room[t] = free_b > min_free ? free_b - min_free : 0;
		*total += p->room[t];
		/* once when a node crosses its headroom, not every pass */
		low = !p->room[t];
		if (low == !!(p->headroom_low & (1ULL << t)))
			continue;
		p->headroom_low ^= 1ULL << t;
		log_fields(low ? LOG_NOTICE : LOG_INFO, LOG_FIELDS(LOG_NODE(t)),
			   "node %d: %llu MiB free, %s min_free_mb = %llu: %s",
			   t, (unsigned long long)(free_b >> 20),
			   low ? "not above" : "above",
			   (unsigned long long)p->cfg.min_free_mb,
			   low ? "no promotion to it" : "promoting to it again");
	}
	return 0;
}

/*
 * The plan is a prefix of the ranked candidates (hottest first); every
 * candidate past it was held back for one reason, charged to its process.
 */
static void attribute_skips(struct pipeline *p, size_t nr)
{
	uint64_t held = p->plan.rate_limited + p->plan.headroom_blocked;
	bool rate = p->plan.rate_limited > 0;

	for (size_t i = held < nr ? nr - held : 0; i < nr; i++) {
		struct tracked_proc *proc =
			pipeline_find_proc(p, (pid_t)p->cand[i].tgid);

		if (!proc)
			continue;
		if (rate)
			proc->skipped_rate++;
		else
			proc->skipped_headroom++;
	}
}

int pipeline_promote(struct pipeline *p)
{
	uint64_t gran = granule_bytes(&p->cfg), nr_cooldown = 0;
	uint64_t nr_qualified = 0, room;
	size_t max = MAX_CANDIDATES, nr;
	bool rate_shaped = false;
	struct policy_input in;
	struct settle_ctx sc;
	int ret;

	if (p->cfg.rate_limit_mbps) {
		/* no point ranking more than one burst can move */
		uint64_t budget = (uint64_t)p->bucket.burst_bytes / gran + 1;

		if (budget < max) {
			max = (size_t)budget;
			rate_shaped = true;
		}
	}
	if (pipeline_grow((void **)&p->cand, &p->cap_cand, max,
			  sizeof(*p->cand)) < 0)
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

	ret = measure_room(p, &room);
	if (ret < 0)
		return ret;
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
	attribute_skips(p, nr);

	sc = settle_ctx_of(p);
	for (uint32_t i = 0; i < p->plan.nr_batches; i++) {
		ret = promote_batch(p, &sc, &p->plan.batches[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}
