/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Settling one promotion batch: pure C, no syscalls.  The pipeline asks
 * the kernel where a batch's pages are and moves some of them; these
 * functions decide, from the kernel's answers, which pages to move, what
 * each candidate becomes in the hotness table, which tokens go back to the
 * bucket and how every page is counted.  Every refund of the token bucket
 * happens here.
 */
#ifndef TIERD_CORE_SETTLE_H
#define TIERD_CORE_SETTLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/hotness.h"
#include "core/policy.h"
#include "stats/stats.h"

#include <limits.h>

#define SETTLE_PAGE	4096ULL
#define SETTLE_MAX_NODES 64
/*
 * What a move's status array holds before the call: move_pages() leaves
 * it untouched for pages it gives no status (when a migration fails it
 * returns how many pages were not moved, or -ENOMEM, and skips the
 * statuses of the chunk, some of whose pages may have moved).
 */
#define SETTLE_NO_STATUS INT_MIN

/* What one pass settles against. */
struct settle_ctx {
	struct hotness_table *hot;
	struct token_bucket *bucket;
	struct tierd_stats *cnt;	/* counters the pass adds to */
	uint64_t now_ms;
	uint64_t granule;		/* bytes per candidate */
	uint64_t slow_mask, fast_mask;
	const int8_t *target;		/* slow node -> its fast node */
	uint64_t *room;			/* bytes each fast node can still take */
};

/*
 * The pages to move of one batch of @nr candidates at @addrs, from the
 * location query: @pages lists every base page of every candidate in
 * order (granule / 4 KiB per candidate), @where the node or -errno of
 * each.  Fills @move (addresses), @owner (candidate index), @src (node,
 * may alias @where) and @dst (target node) of the pages to move, holding
 * each page to its target's room, and returns how many.  A candidate with
 * nothing to move is settled here (found on the fast node, gone, or held
 * back by headroom) and its tokens refunded.
 */
size_t settle_plan_moves(struct settle_ctx *sc, pid_t pid,
			 const uint64_t *addrs, uint32_t nr,
			 const uint64_t *pages, int *where,
			 uint64_t *move, int *owner, int *src, int *dst);

/*
 * After move_pages(): @status[k] is the node page k is on now, or -errno.
 * A candidate is promoted if any of its pages moved; the tokens of the
 * pages that did not move go back.  Returns the pages moved.
 */
uint64_t settle_moves(struct settle_ctx *sc, pid_t pid, const uint64_t *addrs,
		      size_t nr_move, const int *owner, const int *src,
		      const int *dst, const int *status);

/*
 * The pages of a move whose @status is still SETTLE_NO_STATUS, or -EBUSY
 * (which the kernel also reports for the other pages of a huge page it
 * moves through its first): their addresses, in order, into @addrs (room
 * for @nr_move).  Returns how many.
 */
size_t settle_unreported(const uint64_t *move, const int *status,
			 size_t nr_move, uint64_t *addrs);

/*
 * Give those pages a status from a location query made after the move:
 * @where[i] for the i-th of them, or @query_err for all when the query
 * failed.  A page on its target moved; one elsewhere keeps its -EBUSY, or
 * failed with the move's error (@call_ret < 0) or -EAGAIN (@call_ret > 0:
 * not migrated, no reason given); a page the query cannot find gets the
 * query's error.
 */
void settle_fill_unreported(int *status, const int *dst, size_t nr_move,
			    const int *where, int query_err, int call_ret);

/*
 * A whole query or move call failed with @err, so nothing in it moved:
 * @nr_pages pages of @nr candidates, those at the indices @idx, or the
 * first @nr when @idx is NULL.  They get their tokens back; they leave the
 * table (the whole process for -ESRCH and -EINVAL, which is what the
 * kernel says of a process that exited and has no memory left) if the
 * error is permanent or -EPERM, else they wait out a failure cooldown.
 */
void settle_call_failed(struct settle_ctx *sc, pid_t pid,
			const uint64_t *addrs, const int *idx, uint32_t nr,
			uint64_t nr_pages, int err);

/* The counter a per-page or per-call error goes to. */
enum tierd_move_status settle_status_of(int err);

#endif /* TIERD_CORE_SETTLE_H */
