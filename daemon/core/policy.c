// SPDX-License-Identifier: GPL-2.0
/*
 * Promotion policy: token bucket, scope filter and batch planning.  Pure:
 * time and free memory are passed in.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"

void token_bucket_init(struct token_bucket *tb, uint64_t rate_bytes_per_s,
		       uint64_t burst_bytes, uint64_t now_ms)
{
	tb->rate_bytes_per_ms = (double)rate_bytes_per_s / 1000.0;
	tb->burst_bytes = (double)burst_bytes;
	/* start full: the first tick after start may move a burst */
	tb->tokens = tb->burst_bytes;
	tb->last_ms = now_ms;
}

static bool bucket_unlimited(const struct token_bucket *tb)
{
	return tb->rate_bytes_per_ms <= 0.0;
}

static void bucket_refill(struct token_bucket *tb, uint64_t now_ms)
{
	/* a clock that steps back must not mint or burn tokens */
	if (now_ms <= tb->last_ms)
		return;
	tb->tokens += (double)(now_ms - tb->last_ms) * tb->rate_bytes_per_ms;
	if (tb->tokens > tb->burst_bytes)
		tb->tokens = tb->burst_bytes;
	tb->last_ms = now_ms;
}

/*
 * A burst smaller than one unit never grants anything with a finite rate;
 * config validation keeps burst >= one batch, so we do not paper over it.
 */
uint64_t token_bucket_take(struct token_bucket *tb, uint64_t now_ms,
			   uint64_t unit, uint64_t want_units)
{
	double avail;
	uint64_t n;

	if (bucket_unlimited(tb) || unit == 0) {
		if (now_ms > tb->last_ms)
			tb->last_ms = now_ms;
		return want_units;
	}
	bucket_refill(tb, now_ms);
	avail = floor(tb->tokens / (double)unit);
	n = avail < (double)want_units ? (uint64_t)avail : want_units;
	tb->tokens -= (double)n * (double)unit;
	return n;
}

void token_bucket_refund(struct token_bucket *tb, uint64_t bytes)
{
	if (bucket_unlimited(tb))
		return;
	tb->tokens += (double)bytes;
	if (tb->tokens > tb->burst_bytes)
		tb->tokens = tb->burst_bytes;
}

static bool pid_listed(const struct tierd_scope_list *l, pid_t pid)
{
	for (unsigned int i = 0; i < l->nr_pids && i < TIERD_MAX_SCOPE_PIDS; i++)
		if (l->pids[i] == pid)
			return true;
	return false;
}

static bool comm_listed(const struct tierd_scope_list *l, const char *comm)
{
	if (!comm)
		return false;
	for (unsigned int i = 0; i < l->nr_comms && i < TIERD_MAX_SCOPE_COMMS; i++)
		if (strncmp(l->comms[i], comm, TIERD_COMM_LEN) == 0)
			return true;
	return false;
}

/*
 * Prefix match on whole path components: "/a" covers "/a" and "/a/b" but
 * not "/ab".  Trailing slashes on the rule are ignored, so "/" covers all.
 */
static bool cgroup_covers(const char *rule, const char *path)
{
	size_t len = strnlen(rule, TIERD_CGROUP_LEN);

	while (len > 0 && rule[len - 1] == '/')
		len--;
	if (strncmp(rule, path, len) != 0)
		return false;
	return path[len] == '\0' || path[len] == '/';
}

static bool cgroup_listed(const struct tierd_scope_list *l, const char *cg)
{
	if (!cg)
		return false;
	for (unsigned int i = 0; i < l->nr_cgroups && i < TIERD_MAX_SCOPE_CGROUPS; i++)
		if (cgroup_covers(l->cgroups[i], cg))
			return true;
	return false;
}

static bool list_matches(const struct tierd_scope_list *l,
			 const struct scope_proc *p)
{
	return pid_listed(l, p->pid) || comm_listed(l, p->comm) ||
	       cgroup_listed(l, p->cgroup);
}

bool scope_match(const struct tierd_config *cfg, const struct scope_proc *p)
{
	const struct tierd_scope_list *inc = &cfg->include;

	if (list_matches(&cfg->exclude, p))
		return false;
	if (inc->nr_pids == 0 && inc->nr_comms == 0 && inc->nr_cgroups == 0)
		return true;
	return list_matches(inc, p);
}

void promo_plan_init(struct promo_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
}

void promo_plan_free(struct promo_plan *plan)
{
	free(plan->batches);
	free(plan->addr_store);
	promo_plan_init(plan);
}

static int plan_reserve(struct promo_plan *plan, uint64_t addrs,
			uint64_t batches)
{
	if (addrs > plan->cap_addrs) {
		uint64_t *a = realloc(plan->addr_store, addrs * sizeof(*a));

		if (!a)
			return -ENOMEM;
		plan->addr_store = a;
		plan->cap_addrs = addrs;
	}
	if (batches > plan->cap_batches) {
		struct promo_batch *b;

		if (batches > UINT32_MAX)
			return -ENOMEM;
		b = realloc(plan->batches, batches * sizeof(*b));
		if (!b)
			return -ENOMEM;
		plan->batches = b;
		plan->cap_batches = (uint32_t)batches;
	}
	return 0;
}

/* Candidates the fast node can take before dipping under the headroom. */
static uint64_t headroom_pages(const struct policy_input *in)
{
	if (in->fast_free_bytes < in->min_free_bytes)
		return 0;
	return (in->fast_free_bytes - in->min_free_bytes) / in->page_bytes;
}

struct pid_group {
	pid_t pid;
	uint32_t count;
	uint64_t pos;		/* where its addresses start in the store */
};

/* pid -> group index, open addressing; groups are numbered in first-seen order. */
struct group_map {
	uint32_t *slot;		/* group index + 1, 0 = empty */
	size_t mask;
	struct pid_group *g;
	uint32_t nr;
};

static uint32_t group_of(struct group_map *m, pid_t pid)
{
	size_t i = ((uint32_t)pid * 0x9e3779b1u) & m->mask;

	while (m->slot[i]) {
		if (m->g[m->slot[i] - 1].pid == pid)
			return m->slot[i] - 1;
		i = (i + 1) & m->mask;
	}
	m->g[m->nr] = (struct pid_group) { .pid = pid };
	m->slot[i] = ++m->nr;
	return m->nr - 1;
}

int policy_plan(const struct policy_input *in, struct token_bucket *tb,
		struct promo_plan *plan)
{
	struct group_map m = { 0 };
	uint32_t *gid = NULL;
	uint64_t want, take, room;
	size_t nslots = 16;
	int r = 0;

	plan->nr_batches = 0;
	plan->nr_pages = 0;
	plan->bytes = 0;
	plan->rate_limited = 0;
	plan->headroom_blocked = 0;
	if (in->page_bytes == 0 || in->batch_pages == 0 ||
	    (in->nr_cand && !in->cand))
		return -EINVAL;
	if (in->nr_cand == 0)
		return 0;

	room = headroom_pages(in);
	want = in->nr_cand < room ? in->nr_cand : room;
	if (want == 0) {
		plan->headroom_blocked = in->nr_cand;
		return 0;
	}

	/* all allocation happens before the bucket is charged */
	while (nslots < 2 * want)
		nslots <<= 1;
	m.slot = calloc(nslots, sizeof(*m.slot));
	m.g = malloc(want * sizeof(*m.g));
	gid = malloc(want * sizeof(*gid));
	if (!m.slot || !m.g || !gid) {
		r = -ENOMEM;
		goto out;
	}
	m.mask = nslots - 1;
	/* each batch holds at least one page */
	r = plan_reserve(plan, want, want);
	if (r < 0)
		goto out;

	take = token_bucket_take(tb, in->now_ms, in->page_bytes, want);
	if (take < want)
		plan->rate_limited = in->nr_cand - take;
	else
		plan->headroom_blocked = in->nr_cand - want;
	if (take == 0)
		goto out;

	for (uint64_t i = 0; i < take; i++) {
		gid[i] = group_of(&m, (pid_t)in->cand[i].tgid);
		m.g[gid[i]].count++;
	}
	for (uint64_t g = 0, pos = 0; g < m.nr; g++) {
		m.g[g].pos = pos;
		pos += m.g[g].count;
	}
	/* stable counting sort: hottest first inside each pid */
	for (uint32_t g = 0; g < m.nr; g++)
		m.g[g].count = 0;
	for (uint64_t i = 0; i < take; i++) {
		struct pid_group *pg = &m.g[gid[i]];

		plan->addr_store[pg->pos + pg->count++] = in->cand[i].addr;
	}
	for (uint32_t g = 0; g < m.nr; g++) {
		const struct pid_group *pg = &m.g[g];

		for (uint32_t off = 0; off < pg->count; off += in->batch_pages) {
			struct promo_batch *b = &plan->batches[plan->nr_batches++];
			uint32_t left = pg->count - off;

			b->pid = pg->pid;
			b->nr = left < in->batch_pages ? left : in->batch_pages;
			b->addrs = &plan->addr_store[pg->pos + off];
		}
	}
	plan->nr_pages = take;
	plan->bytes = take * in->page_bytes;
out:
	free(gid);
	free(m.g);
	free(m.slot);
	return r;
}
