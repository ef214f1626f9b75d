// SPDX-License-Identifier: GPL-2.0
/*
 * Settling a promotion batch.  A candidate (one granule) is in one of
 * these states after its batch:
 *  - some pages queued and moved: promoted, cooldown starts;
 *  - some pages queued, none moved: it leaves the table if the error is
 *    permanent (ENOENT, EFAULT, EACCES, ESRCH), else it is tried again
 *    after a failure cooldown that doubles with each failure in a row;
 *  - nothing queued because its target is full: stays a candidate;
 *  - nothing on a slow node but pages on a fast one: already there;
 *  - nothing mapped: it leaves the table.
 * Tokens are taken per granule by the planner; each page that does not
 * move gives its 4 KiB back.
 */
#include <errno.h>

#include "core/settle.h"

enum tierd_move_status settle_status_of(int err)
{
	switch (err) {
	case -ENOENT: return TIERD_MOVE_ENOENT;
	case -EBUSY: return TIERD_MOVE_EBUSY;
	case -EAGAIN: return TIERD_MOVE_EAGAIN;
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
	return err == -ENOENT || err == -EFAULT || err == -EACCES ||
	       err == -ESRCH;
}

static bool in_mask(uint64_t mask, int node)
{
	return node >= 0 && node < SETTLE_MAX_NODES && (mask & (1ULL << node));
}

size_t settle_plan_moves(struct settle_ctx *sc, pid_t pid,
			 const uint64_t *addrs, uint32_t nr,
			 const uint64_t *pages, int *where,
			 uint64_t *move, int *owner, int *src, int *dst)
{
	uint32_t per = (uint32_t)(sc->granule / SETTLE_PAGE);
	size_t nr_move = 0;

	for (uint32_t i = 0; i < nr; i++) {
		uint32_t queued = 0, blocked = 0, on_fast = 0;

		for (uint32_t j = 0; j < per; j++) {
			size_t k = (size_t)i * per + j;
			int w = where[k];

			if (in_mask(sc->slow_mask, w)) {
				/* each slow node has its own fast node */
				int t = sc->target[w];

				if (sc->room[t] < SETTLE_PAGE) {
					sc->cnt->headroom_blocked++;
					blocked++;
					continue;
				}
				sc->room[t] -= SETTLE_PAGE;
				move[nr_move] = pages[k];
				owner[nr_move] = (int)i;
				src[nr_move] = w;	/* k >= nr_move: no overlap */
				dst[nr_move] = t;
				nr_move++;
				queued++;
			} else if (in_mask(sc->fast_mask, w)) {
				on_fast++;
			} else {
				/* nothing mapped there any more, or a third node */
				sc->cnt->move_status[settle_status_of(
					w < 0 ? w : -EINVAL)]++;
			}
		}
		/*
		 * Pages not asked to move get their status here, also those
		 * of a 2 MiB candidate whose other pages do move.
		 */
		sc->cnt->move_status[TIERD_MOVE_ALREADY] += on_fast;
		if (queued || blocked)
			hotness_mark_on_slow(sc->hot, (uint32_t)pid, addrs[i],
					     sc->now_ms);
		if (queued)
			continue;
		token_bucket_refund(sc->bucket, sc->granule);
		/* its target node is full: a candidate again next pass */
		if (blocked)
			continue;
		if (on_fast)
			hotness_mark_on_fast(sc->hot, (uint32_t)pid, addrs[i],
					     sc->now_ms);
		else
			hotness_forget(sc->hot, (uint32_t)pid, addrs[i]);
	}
	return nr_move;
}

/* One candidate's pages of a move call are done: settle it. */
static void settle_candidate(struct settle_ctx *sc, pid_t pid, uint64_t addr,
			     uint32_t moved, int err)
{
	if (moved)
		hotness_mark_promoted(sc->hot, (uint32_t)pid, addr, sc->now_ms);
	else if (permanent_failure(err))
		hotness_forget(sc->hot, (uint32_t)pid, addr);
	else
		hotness_mark_failed(sc->hot, (uint32_t)pid, addr, sc->now_ms);
	token_bucket_refund(sc->bucket,
			    sc->granule - (uint64_t)moved * SETTLE_PAGE);
}

uint64_t settle_moves(struct settle_ctx *sc, pid_t pid, const uint64_t *addrs,
		      size_t nr_move, const int *owner, const int *src,
		      const int *dst, const int *status)
{
	uint64_t total = 0;
	uint32_t moved = 0;
	int cur = -1, err = 0;

	/* owners ascend: a candidate's pages are contiguous */
	for (size_t k = 0; k < nr_move; k++) {
		if (owner[k] != cur) {
			if (cur >= 0)
				settle_candidate(sc, pid, addrs[cur], moved, err);
			cur = owner[k];
			moved = 0;
			err = 0;
		}
		if (status[k] == dst[k]) {
			moved++;
			total++;
			sc->cnt->move_status[TIERD_MOVE_OK]++;
			sc->cnt->node[src[k]].promoted_from_pages++;
			sc->cnt->node[dst[k]].promoted_to_pages++;
		} else {
			err = status[k] < 0 ? status[k] : -EAGAIN;
			sc->cnt->move_status[settle_status_of(err)]++;
		}
	}
	if (cur >= 0)
		settle_candidate(sc, pid, addrs[cur], moved, err);
	sc->cnt->promoted_pages += total;
	sc->cnt->promoted_bytes += total * SETTLE_PAGE;
	return total;
}

/*
 * No status, or -EBUSY: the kernel could not isolate the page, which is
 * also what it says of the second page of a huge page whose folio it
 * already isolated through the first, and then moves with it.
 */
static bool unsure(int status)
{
	return status == SETTLE_NO_STATUS || status == -EBUSY;
}

size_t settle_unreported(const uint64_t *move, const int *status,
			 size_t nr_move, uint64_t *addrs)
{
	size_t n = 0;

	for (size_t k = 0; k < nr_move; k++)
		if (unsure(status[k]))
			addrs[n++] = move[k];
	return n;
}

void settle_fill_unreported(int *status, const int *dst, size_t nr_move,
			    const int *where, int query_err, int call_ret)
{
	/* the kernel names no reason for the pages it counted as not moved */
	int failed = call_ret < 0 ? call_ret : -EAGAIN;
	size_t n = 0;

	for (size_t k = 0; k < nr_move; k++) {
		int w;

		if (!unsure(status[k]))
			continue;
		w = query_err ? query_err : where[n++];
		if (w == dst[k])
			status[k] = w;		/* moved, just not reported */
		else if (status[k] == -EBUSY)
			continue;		/* the kernel's reason stands */
		else if (w < 0)
			status[k] = w;		/* gone meanwhile: the query says why */
		else
			status[k] = failed;
	}
}

void settle_call_failed(struct settle_ctx *sc, pid_t pid,
			const uint64_t *addrs, const int *idx, uint32_t nr,
			uint64_t nr_pages, int err)
{
	sc->cnt->move_status[settle_status_of(err)] += nr_pages;
	token_bucket_refund(sc->bucket, nr * sc->granule);
	/* EINVAL for a whole call: the process has no memory any more */
	if (err == -ESRCH || err == -EINVAL) {
		hotness_forget_tgid(sc->hot, (uint32_t)pid);
		return;
	}
	for (uint32_t i = 0; i < nr; i++) {
		uint64_t addr = addrs[idx ? (uint32_t)idx[i] : i];

		if (permanent_failure(err) || err == -EPERM)
			hotness_forget(sc->hot, (uint32_t)pid, addr);
		else
			hotness_mark_failed(sc->hot, (uint32_t)pid, addr,
					    sc->now_ms);
	}
}
