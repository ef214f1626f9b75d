/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Promotion policy: pure C, no syscalls.  Takes candidates (hottest first),
 * the fast node's free memory and the config; returns per-pid batches of
 * addresses to move, and counts why the rest were held back.
 */
#ifndef TIERD_POLICY_H
#define TIERD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "core/hotness.h"

/* Token bucket in bytes; rate 0 means unlimited. */
struct token_bucket {
	double rate_bytes_per_ms;
	double burst_bytes;
	double tokens;
	uint64_t last_ms;
};

void token_bucket_init(struct token_bucket *tb, uint64_t rate_bytes_per_s,
		       uint64_t burst_bytes, uint64_t now_ms);
/* Refill to @now_ms; grant whole units of @unit bytes, up to @want_units. */
uint64_t token_bucket_take(struct token_bucket *tb, uint64_t now_ms,
			   uint64_t unit, uint64_t want_units);
/* Give back units that were granted but not used (failed moves). */
void token_bucket_refund(struct token_bucket *tb, uint64_t bytes);

/* What the scope filter knows about a process. */
struct scope_proc {
	pid_t pid;
	const char *comm;
	const char *cgroup;	/* cgroup v2 path, "/" for the root; may be NULL */
};

/*
 * Exclude rules win; with no include rules every process is in scope;
 * otherwise a process must match an include pid, comm, or cgroup (a cgroup
 * rule matches that cgroup and every cgroup below it).
 */
bool scope_match(const struct tierd_config *cfg, const struct scope_proc *p);

/* One move_pages() call's worth of pages of one process. */
struct promo_batch {
	pid_t pid;
	uint32_t nr;
	uint64_t *addrs;	/* points into the plan's storage */
};

struct promo_plan {
	uint32_t nr_batches;
	struct promo_batch *batches;
	uint64_t nr_pages;
	uint64_t bytes;
	uint64_t rate_limited;		/* candidates held back by the bucket */
	uint64_t headroom_blocked;	/* held back by DRAM headroom */
	/* storage, owned by the plan */
	uint32_t cap_batches;
	uint64_t cap_addrs;
	uint64_t *addr_store;
};

struct policy_input {
	const struct hot_candidate *cand;	/* hottest first */
	size_t nr_cand;
	uint64_t page_bytes;		/* bytes moved per candidate (granule) */
	uint64_t fast_free_bytes;	/* free memory on the fast node now */
	uint64_t min_free_bytes;	/* headroom to keep */
	uint32_t batch_pages;		/* max addresses per batch */
	uint64_t now_ms;
};

void promo_plan_init(struct promo_plan *plan);
void promo_plan_free(struct promo_plan *plan);

/*
 * Build @plan from @in: candidates are taken hottest first while the bucket
 * grants bytes and the fast node stays above the headroom, grouped by pid
 * (first-seen order), each pid's pages split into batches of at most
 * batch_pages.  Returns 0 or -ENOMEM.
 */
int policy_plan(const struct policy_input *in, struct token_bucket *tb,
		struct promo_plan *plan);

#endif /* TIERD_POLICY_H */
