// SPDX-License-Identifier: GPL-2.0
/*
 * Trace-driven placement simulator.
 *
 * Replays a synthetic access trace against a two-tier memory (DRAM capacity
 * in pages, everything else on the slow tier) and compares placement
 * policies.  The "tierd" policy runs the daemon's own code: a model of the
 * BPF per-window pre-aggregation (doubling reports: a record when a
 * folio's faults in its window reach threshold, 2 x threshold, 4 x
 * threshold, ..., at most --reports of them, each carrying the faults since
 * the window's previous record), then hotness_record / hotness_candidates
 * / hotness_age / policy_plan and the token bucket, exactly as the
 * pipeline calls them.
 *
 * Model:
 *   - time advances a fixed --gap-ns per access, so every policy sees the
 *     same ticks; the access cost (DRAM or slow ns) is accounted apart;
 *   - a write to a slow page faults only the first time per re-arm interval
 *     (soft-dirty semantics); a page arriving on the slow tier is armed;
 *   - the kernel demotes: at every --tick-ms, if DRAM free pages < high
 *     watermark, it demotes least-recently-used DRAM pages until free ==
 *     high.  tierd keeps min_free at the low watermark.  The same kernel
 *     runs under every policy, so promotions can ping-pong;
 *   - tierd ages and promotes at every re-arm (the daemon's tick) and
 *     promotes every --pass-ms between re-arms (pipeline_pass());
 *   - a ping-pong is a promotion of a page that a policy promoted before
 *     and the kernel demoted since.
 *
 * Policies: tierd; tierd-prev (the daemon before this change: one record
 * per folio per window, promotion only at the re-arm, no re-arm latency
 * among equal scores); oracle-static (top
 * pages by total frequency, placed at start); hindsight (best static
 * placement recomputed for each phase of --phase accesses, moves
 * counted); first-write (promote on the first write fault); none.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hotness.h"
#include "core/policy.h"
#include "rng.h"

#define PAGE		4096ULL
#define WRITE_BIT	(1u << 31)
#define NIL		UINT32_MAX
#define SIM_TGID	4242
#define SIM_BASE	0x7f0000000000ULL
/* pipeline.c's: scores below it carry no information */
#define AGE_FLOOR	0.05

enum workload { WL_ZIPF, WL_SHIFT, WL_SCAN, WL_MIXED, WL_NR };
enum policy { POL_TIERD, POL_TIERD_PREV, POL_ORACLE, POL_HINDSIGHT,
	      POL_FIRST_WRITE, POL_NONE, POL_NR };

static const char *const wl_name[WL_NR] = { "zipf", "shift", "scan", "mixed" };

/* mixed: the Zipf part's working set in DRAM sizes, whatever --ws-factor */
#define MIXED_WS_FACTOR		2
/* mixed: a scanned page is streamed through, several cache lines */
#define MIXED_SCAN_PER_PAGE	8
static const char *const pol_name[POL_NR] = {
	"tierd", "tierd-prev", "oracle-static", "hindsight", "first-write", "none",
};

struct sim_cfg {
	uint64_t seed;
	uint32_t dram_pages;
	uint32_t ws_factor;		/* working set = ws_factor * dram_pages */
	uint64_t accesses;
	uint64_t gap_ns;		/* simulated time between accesses */
	double dram_ns, slow_ns;
	double write_frac;
	double zipf_s;
	double scan_frac;		/* scan workload: share of scan accesses */
	double mixed_scan_frac;		/* mixed workload: share of its scan */
	uint64_t shift_every;		/* shift workload: accesses per phase */
	uint64_t phase;			/* hindsight: accesses per phase */
	uint64_t bucket;		/* hit-rate sampling for t90 */
	bool first_touch;		/* initial placement: first touch fills DRAM */
	int only_workload;		/* -1 = all */
	double low_wm_frac, high_wm_frac;

	/* tierd (defaults are conf/tierd.conf's) */
	uint32_t tick_ms;
	uint32_t rearm_ms;
	uint32_t pass_ms;		/* promotion passes between re-arms */
	uint32_t window_ms;
	double decay;
	uint32_t threshold;
	uint32_t reports;		/* records per folio per window, at most */
	double promote_score;
	uint32_t cooldown_ms;
	uint32_t backoff;
	uint32_t rate_mbps;
	uint32_t batch_pages;
};

static void shuffle(uint32_t *a, uint32_t n, struct rng *r)
{
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = (uint32_t)(rng_next(r) % i);
		uint32_t t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* ---- traces ---- */

struct trace {
	uint32_t *acc;			/* page | WRITE_BIT */
	uint64_t n;
	uint32_t pages;
};

static uint32_t *identity_perm(uint32_t n, struct rng *r)
{
	uint32_t *p = malloc((size_t)n * sizeof(*p));

	if (!p)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		p[i] = i;
	shuffle(p, n, r);
	return p;
}

static uint32_t with_write(uint32_t page, const struct sim_cfg *c,
			   struct rng *r)
{
	return rng_unit(r) < c->write_frac ? page | WRITE_BIT : page;
}

/* Cumulative Zipf(s) weights of ranks [0, n); NULL on -ENOMEM. */
static double *zipf_cdf(uint32_t n, double s)
{
	double *cdf = malloc((size_t)n * sizeof(*cdf));
	double sum = 0;

	if (!cdf)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		sum += 1.0 / pow((double)i + 1, s);
		cdf[i] = sum;
	}
	return cdf;
}

/* A rank drawn from zipf_cdf(@n, s). */
static uint32_t zipf_draw(const double *cdf, uint32_t n, struct rng *r)
{
	double u = rng_unit(r) * cdf[n - 1];
	uint32_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Zipf(s) over the working set, ranks scattered by a random permutation. */
static int gen_zipf(const struct sim_cfg *c, struct trace *t, struct rng *r)
{
	uint32_t *perm = identity_perm(t->pages, r);
	double *cdf = zipf_cdf(t->pages, c->zipf_s);
	int ret = 0;

	if (!cdf || !perm) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint64_t i = 0; i < t->n; i++)
		t->acc[i] = with_write(perm[zipf_draw(cdf, t->pages, r)], c, r);
out:
	free(cdf);
	free(perm);
	return ret;
}

/*
 * 90% of accesses go to a hot set of half the DRAM size, 10% anywhere; the
 * hot set moves to fresh pages every shift_every accesses.
 */
static int gen_shift(const struct sim_cfg *c, struct trace *t, struct rng *r)
{
	uint32_t *perm = identity_perm(t->pages, r);
	uint32_t hot = c->dram_pages / 2 ? c->dram_pages / 2 : 1;
	uint32_t base = 0;

	if (!perm)
		return -ENOMEM;
	for (uint64_t i = 0; i < t->n; i++) {
		uint32_t page;

		if (i && i % c->shift_every == 0)
			base = (base + hot) % t->pages;
		if (rng_unit(r) < 0.9)
			page = perm[(base + rng_next(r) % hot) % t->pages];
		else
			page = perm[rng_next(r) % t->pages];
		t->acc[i] = with_write(page, c, r);
	}
	free(perm);
	return 0;
}

/*
 * A fixed hot set of half the DRAM size, and --scan-frac of the accesses
 * writing a sequential scan over the rest of the working set, so every
 * scanned page is written once per pass: bait for promote-on-first-write.
 * Both are scattered: candidates of equal score go in address order, and
 * a hot set at the lowest addresses would be handed to tierd first.
 */
static int gen_scan(const struct sim_cfg *c, struct trace *t, struct rng *r)
{
	uint32_t *perm = identity_perm(t->pages, r);
	uint32_t hot = c->dram_pages / 2 ? c->dram_pages / 2 : 1;
	uint32_t scan_len = t->pages - hot, pos = 0;

	if (!perm)
		return -ENOMEM;
	/* perm[0, hot) is the hot set, the rest is scanned in perm's order */
	for (uint64_t i = 0; i < t->n; i++) {
		if (rng_unit(r) >= c->scan_frac || scan_len == 0) {
			t->acc[i] = with_write(perm[rng_next(r) % hot], c, r);
		} else {
			t->acc[i] = perm[hot + pos] | WRITE_BIT;
			pos = (pos + 1) % scan_len;
		}
	}
	free(perm);
	return 0;
}

/* mixed: accesses of the scan, and the pages it streams through */
static uint64_t mixed_scan_accesses(const struct sim_cfg *c)
{
	return (uint64_t)llround((double)c->accesses * c->mixed_scan_frac);
}

static uint64_t mixed_scan_pages(const struct sim_cfg *c)
{
	return (mixed_scan_accesses(c) + MIXED_SCAN_PER_PAGE - 1) /
	       MIXED_SCAN_PER_PAGE;
}

/* Pages of @wl's trace; the caller checks them against WRITE_BIT. */
static uint64_t workload_pages(const struct sim_cfg *c, enum workload wl)
{
	if (wl == WL_MIXED)
		return (uint64_t)c->dram_pages * MIXED_WS_FACTOR +
		       mixed_scan_pages(c);
	return (uint64_t)c->dram_pages * c->ws_factor;
}

/*
 * Zipf(s) over twice the DRAM size, plus a one-pass sequential scan taking
 * --mixed-scan-frac of the accesses: it writes fresh pages nothing else
 * touches, MIXED_SCAN_PER_PAGE accesses in a row each, every page once in
 * the trace.  The oracle keeps the Zipf head; a scanned page written once
 * is bait for promote-on-first-write and worth nothing in DRAM.  All pages
 * are scattered, as in gen_scan().
 */
static int gen_mixed(const struct sim_cfg *c, struct trace *t, struct rng *r)
{
	uint32_t ws = c->dram_pages * MIXED_WS_FACTOR;
	uint32_t *perm = identity_perm(t->pages, r);
	double *cdf = zipf_cdf(ws, c->zipf_s);
	uint64_t scan_left = mixed_scan_accesses(c), scanned = 0;
	int ret = 0;

	if (!cdf || !perm) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint64_t i = 0; i < t->n; i++) {
		/* selection sampling: exactly scan_left of the n - i left */
		if (rng_next(r) % (t->n - i) < scan_left) {
			uint64_t page = ws + scanned / MIXED_SCAN_PER_PAGE;

			t->acc[i] = perm[page] | WRITE_BIT;
			scanned++;
			scan_left--;
		} else {
			t->acc[i] = with_write(perm[zipf_draw(cdf, ws, r)], c, r);
		}
	}
out:
	free(cdf);
	free(perm);
	return ret;
}

/* ---- tier state shared by all policies ---- */

struct pagestate {
	uint32_t prev, next;		/* DRAM LRU, NIL when on slow */
	uint32_t fault_epoch;		/* 1 + re-arm epoch of the last fault; 0 armed */
	uint32_t win_start_ms;		/* BPF pre-aggregation window */
	/*
	 * Saturates: a report due past UINT16_MAX never comes, but soft-dirty
	 * faults a page once per re-arm, so a window holds window_ms /
	 * rearm_ms + 1 of them at most.
	 */
	uint16_t win_faults;
	uint8_t reports;		/* records sent in this window */
	uint8_t on_fast : 1, promoted_once : 1, demoted_since : 1, touched : 1;
};

struct tiers {
	struct pagestate *pg;
	uint32_t pages;
	uint32_t cap, used;
	uint32_t low_wm, high_wm;
	uint32_t head, tail;		/* MRU .. LRU */
	uint64_t promotions, demotions, pingpongs;
};

static void lru_unlink(struct tiers *s, uint32_t p)
{
	struct pagestate *x = &s->pg[p];

	if (x->prev != NIL)
		s->pg[x->prev].next = x->next;
	else
		s->head = x->next;
	if (x->next != NIL)
		s->pg[x->next].prev = x->prev;
	else
		s->tail = x->prev;
	x->prev = x->next = NIL;
}

static void lru_push_front(struct tiers *s, uint32_t p)
{
	struct pagestate *x = &s->pg[p];

	x->prev = NIL;
	x->next = s->head;
	if (s->head != NIL)
		s->pg[s->head].prev = p;
	s->head = p;
	if (s->tail == NIL)
		s->tail = p;
}

static void place_fast(struct tiers *s, uint32_t p)
{
	s->pg[p].on_fast = 1;
	s->used++;
	lru_push_front(s, p);
}

/* A policy moves @p to DRAM. */
static void promote(struct tiers *s, uint32_t p)
{
	struct pagestate *x = &s->pg[p];

	if (x->demoted_since)
		s->pingpongs++;
	x->promoted_once = 1;
	x->demoted_since = 0;
	place_fast(s, p);
	s->promotions++;
}

static void demote(struct tiers *s, uint32_t p)
{
	struct pagestate *x = &s->pg[p];

	lru_unlink(s, p);
	x->on_fast = 0;
	x->fault_epoch = 0;		/* arrives write-protected */
	if (x->promoted_once)
		x->demoted_since = 1;
	s->used--;
	s->demotions++;
}

/* kswapd: restore the high watermark from the cold end of the LRU. */
static void kernel_demote(struct tiers *s)
{
	while (s->cap - s->used < s->high_wm && s->tail != NIL)
		demote(s, s->tail);
}

static int tiers_init(struct tiers *s, const struct sim_cfg *c, uint32_t pages)
{
	memset(s, 0, sizeof(*s));
	s->pg = calloc(pages, sizeof(*s->pg));
	if (!s->pg)
		return -ENOMEM;
	for (uint32_t i = 0; i < pages; i++)
		s->pg[i].prev = s->pg[i].next = NIL;
	s->pages = pages;
	s->cap = c->dram_pages;
	s->low_wm = (uint32_t)ceil(c->dram_pages * c->low_wm_frac);
	s->high_wm = (uint32_t)ceil(c->dram_pages * c->high_wm_frac);
	if (s->high_wm < s->low_wm)
		s->high_wm = s->low_wm;
	if (s->high_wm >= s->cap)
		s->high_wm = s->cap - 1;
	s->head = s->tail = NIL;
	return 0;
}

/* ---- static placements for the oracles ---- */

struct page_count {
	uint32_t page;
	uint32_t count;
};

static int cmp_count_desc(const void *a, const void *b)
{
	const struct page_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->page < y->page ? -1 : (x->page > y->page);
}

/*
 * Mark in @want the @m most accessed pages of acc[from, to).  @pc is
 * scratch of t->pages entries.
 */
static void best_static(const struct trace *t, uint64_t from, uint64_t to,
			uint32_t m, struct page_count *pc, uint8_t *want)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->pages; i++)
		pc[i] = (struct page_count) { .page = i };
	for (uint64_t i = from; i < to; i++)
		pc[t->acc[i] & ~WRITE_BIT].count++;
	for (uint32_t i = 0; i < t->pages; i++)
		if (pc[i].count)
			pc[n++] = pc[i];
	qsort(pc, n, sizeof(*pc), cmp_count_desc);
	memset(want, 0, t->pages);
	for (uint32_t i = 0; i < n && i < m; i++)
		want[pc[i].page] = 1;
}

/* Move to exactly the pages in @want; @count says whether moves are migrations. */
static void apply_static(struct tiers *s, const uint8_t *want, bool count)
{
	uint64_t pro = s->promotions, dem = s->demotions, pp = s->pingpongs;

	for (uint32_t p = 0; p < s->pages; p++)
		if (s->pg[p].on_fast && !want[p])
			demote(s, p);
	for (uint32_t p = 0; p < s->pages; p++)
		if (!s->pg[p].on_fast && want[p])
			promote(s, p);
	if (!count) {
		s->promotions = pro;
		s->demotions = dem;
		s->pingpongs = pp;
	}
}

/* ---- tierd ---- */

struct tierd_sim {
	struct hotness_table *t;
	struct token_bucket tb;
	struct promo_plan plan;
	struct hot_candidate *cand;
	size_t cand_max;
	uint32_t reports;		/* records per folio per window, at most */
	uint64_t records;
	bool timed;			/* records carry their re-arm latency */
};

static int tierd_init(struct tierd_sim *d, const struct sim_cfg *c,
		      uint32_t pages, uint32_t reports)
{
	struct hotness_params hp = {
		.cap = pages,
		.window_ms = c->window_ms,
		.decay = c->decay,
		.cooldown_ms = c->cooldown_ms,
		.pingpong_backoff = c->backoff,
	};
	const char *why = hotness_params_invalid(&hp);
	int r;

	memset(d, 0, sizeof(*d));
	if (why) {
		fprintf(stderr, "placement_sim: hotness parameters: %s\n", why);
		return -EINVAL;
	}
	r = hotness_create(&hp, &d->t);
	if (r < 0)
		return r;
	/*
	 * The daemon's bucket (pipeline.c, bucket_setup()): one second of
	 * rate or two re-arm intervals, at least one page, starting empty.
	 */
	uint64_t rate = (uint64_t)c->rate_mbps << 20;
	uint64_t span_ms = 2ULL * c->rearm_ms;
	uint64_t burst = rate * (span_ms > 1000 ? span_ms : 1000) / 1000;
	if (burst < PAGE)
		burst = PAGE;
	token_bucket_init(&d->tb, rate, burst, 0);
	d->tb.tokens = 0;
	promo_plan_init(&d->plan);
	d->reports = reports;
	d->cand_max = c->dram_pages;
	d->cand = calloc(d->cand_max, sizeof(*d->cand));
	return d->cand ? 0 : -ENOMEM;
}

static void tierd_fini(struct tierd_sim *d)
{
	hotness_destroy(d->t);
	promo_plan_free(&d->plan);
	free(d->cand);
}

/*
 * BPF side: count faults per window; send a record when the count reaches
 * threshold << k for k < reports, carrying the faults since the window's
 * previous record, so the score follows the fault rate instead of stopping
 * at one threshold's worth per window.
 */
static int tierd_fault(struct tierd_sim *d, const struct sim_cfg *c,
		       struct pagestate *x, uint32_t page, uint32_t now_ms)
{
	struct hot_fault f;
	uint64_t last, due;

	if (x->win_faults == 0 || now_ms - x->win_start_ms >= c->window_ms) {
		x->win_start_ms = now_ms;
		x->win_faults = 0;
		x->reports = 0;
	}
	if (x->win_faults < UINT16_MAX)
		x->win_faults++;
	if (x->reports >= d->reports)
		return 0;
	/* the count at the window's last record; none sent yet: 0 */
	last = x->reports ? (uint64_t)c->threshold << (x->reports - 1) : 0;
	due = (uint64_t)c->threshold << x->reports;
	if (x->win_faults < due)
		return 0;
	x->reports++;
	d->records++;
	/* the pipeline's arm_latency_of(): since the re-arm before it */
	f = (struct hot_fault) {
		.addr = SIM_BASE + page * PAGE, .tgid = SIM_TGID,
		.faults = (uint32_t)(x->win_faults - last), .on_slow = true,
		.arm_latency = d->timed ? (uint8_t)((uint64_t)(now_ms % c->rearm_ms) *
						    255 / c->rearm_ms) :
				       HOTNESS_LATENCY_UNKNOWN,
	};
	return hotness_record_fault(d->t, &f, now_ms, NULL);
}

/*
 * pipeline_tick() at a re-arm (@rearm: ageing, then a promotion pass), or
 * pipeline_pass() between re-arms (the pass alone).
 */
static int tierd_tick(struct tierd_sim *d, const struct sim_cfg *c,
		      struct tiers *s, uint64_t now_ms, bool rearm)
{
	size_t n;
	struct policy_input in = {
		.cand = d->cand,
		.page_bytes = PAGE,
		.fast_free_bytes = (uint64_t)(s->cap - s->used) * PAGE,
		.min_free_bytes = (uint64_t)s->low_wm * PAGE,
		.batch_pages = c->batch_pages,
		.now_ms = now_ms,
	};
	int r;

	if (rearm)
		hotness_age(d->t, now_ms, AGE_FLOOR);
	n = hotness_candidates(d->t, now_ms, c->promote_score, d->cand,
			       d->cand_max, NULL, NULL);
	in.nr_cand = n;
	r = policy_plan(&in, &d->tb, &d->plan);
	if (r < 0)
		return r;
	for (uint32_t b = 0; b < d->plan.nr_batches; b++) {
		const struct promo_batch *pb = &d->plan.batches[b];

		for (uint32_t i = 0; i < pb->nr; i++) {
			uint64_t addr = pb->addrs[i];
			uint32_t page = (uint32_t)((addr - SIM_BASE) / PAGE);

			if (s->pg[page].on_fast) {
				hotness_mark_on_fast(d->t, SIM_TGID, addr, now_ms);
				token_bucket_refund(&d->tb, PAGE);
			} else {
				promote(s, page);
				hotness_mark_promoted(d->t, SIM_TGID, addr, now_ms);
			}
		}
	}
	return 0;
}

/* ---- the replay ---- */

struct result {
	double hit;
	double avg_ns;
	uint64_t promotions, demotions, pingpongs;
	double t90_ms;			/* <0: never */
	uint64_t t90_acc;
	uint64_t tierd_records, tierd_pingpongs;
	double *bucket_hit;
	uint64_t nr_buckets;
};

static int replay(const struct sim_cfg *c, const struct trace *t,
		  enum policy pol, struct result *res)
{
	/* the tierd rows differ only in the BPF model's records per window */
	uint32_t reports = pol == POL_TIERD ? c->reports :
			   pol == POL_TIERD_PREV ? 1 : 0;
	bool tierd = reports > 0;
	/* tierd-prev: the daemon before passes between re-arms */
	uint32_t pass_ms = pol == POL_TIERD && c->pass_ms < c->rearm_ms ?
			   c->pass_ms : c->rearm_ms;
	struct tierd_sim d = { 0 };
	struct tiers s;
	struct page_count *pc = NULL;
	uint8_t *want = NULL;
	uint64_t hits = 0, bucket_hits = 0, next_tick_ms = c->tick_ms;
	uint64_t next_pass_ms = pass_ms, next_rearm_ms = c->rearm_ms;
	uint64_t next_phase = 0;
	uint32_t static_pages;
	int r;

	r = tiers_init(&s, c, t->pages);
	if (r < 0)
		return r;
	static_pages = s.cap - s.high_wm;
	res->nr_buckets = (t->n + c->bucket - 1) / c->bucket;
	res->bucket_hit = calloc(res->nr_buckets, sizeof(double));
	if (!res->bucket_hit) {
		r = -ENOMEM;
		goto out;
	}
	if (pol == POL_ORACLE || pol == POL_HINDSIGHT) {
		pc = malloc((size_t)t->pages * sizeof(*pc));
		want = malloc(t->pages);
		if (!pc || !want) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (pol == POL_ORACLE) {
		best_static(t, 0, t->n, static_pages, pc, want);
		apply_static(&s, want, false);
	}
	if (tierd) {
		r = tierd_init(&d, c, t->pages, reports);
		if (r < 0)
			goto out;
		d.timed = pol == POL_TIERD;
	}

	for (uint64_t i = 0; i < t->n; i++) {
		uint64_t now_ns = i * c->gap_ns;
		uint64_t now_ms = now_ns / 1000000;
		uint32_t page = t->acc[i] & ~WRITE_BIT;
		bool write = t->acc[i] & WRITE_BIT;
		struct pagestate *x = &s.pg[page];

		if (pol == POL_HINDSIGHT && i == next_phase) {
			uint64_t end = i + c->phase < t->n ? i + c->phase : t->n;

			best_static(t, i, end, static_pages, pc, want);
			apply_static(&s, want, i != 0);
			next_phase = end;
		}
		/* the kernel's demotion and tierd's pass, in time order */
		while (now_ms >= next_tick_ms || now_ms >= next_pass_ms) {
			if (next_tick_ms <= next_pass_ms) {
				kernel_demote(&s);
				next_tick_ms += c->tick_ms;
				continue;
			}
			bool rearm = next_pass_ms >= next_rearm_ms;

			if (tierd) {
				r = tierd_tick(&d, c, &s, next_pass_ms, rearm);
				if (r < 0)
					goto out;
			}
			if (rearm)
				next_rearm_ms += c->rearm_ms;
			next_pass_ms += pass_ms;
			/* a pass due at a re-arm is the re-arm's own */
			if (next_pass_ms > next_rearm_ms)
				next_pass_ms = next_rearm_ms;
		}

		if (!x->touched) {
			x->touched = 1;
			/* allocation, not migration */
			if (c->first_touch && pol != POL_ORACLE &&
			    pol != POL_HINDSIGHT && !x->on_fast &&
			    s.cap - s.used > s.high_wm)
				place_fast(&s, page);
		}
		if (x->on_fast) {
			hits++;
			bucket_hits++;
			if (s.head != page) {
				lru_unlink(&s, page);
				lru_push_front(&s, page);
			}
		} else if (write) {
			uint32_t epoch = (uint32_t)(now_ms / c->rearm_ms) + 1;

			if (x->fault_epoch != epoch) {
				x->fault_epoch = epoch;
				if (tierd) {
					r = tierd_fault(&d, c, x, page,
							(uint32_t)now_ms);
					if (r < 0)
						goto out;
				} else if (pol == POL_FIRST_WRITE &&
					   s.cap - s.used > s.low_wm) {
					promote(&s, page);
				}
			}
		}
		if ((i + 1) % c->bucket == 0 || i + 1 == t->n) {
			uint64_t len = (i % c->bucket) + 1;

			res->bucket_hit[i / c->bucket] = (double)bucket_hits / len;
			bucket_hits = 0;
		}
	}
	res->hit = (double)hits / (double)t->n;
	res->avg_ns = (hits * c->dram_ns + (t->n - hits) * c->slow_ns) /
		      (double)t->n;
	res->promotions = s.promotions;
	res->demotions = s.demotions;
	res->pingpongs = s.pingpongs;
	if (tierd) {
		struct hotness_stats st;

		hotness_get_stats(d.t, &st);
		res->tierd_records = d.records;
		res->tierd_pingpongs = st.pingpongs;
	}
out:
	if (tierd)
		tierd_fini(&d);
	free(pc);
	free(want);
	free(s.pg);
	return r;
}

/* First bucket whose hit rate reaches @target: time at its end. */
static void time_to(const struct sim_cfg *c, const struct trace *t,
		    struct result *res, double target)
{
	res->t90_ms = -1;
	for (uint64_t b = 0; b < res->nr_buckets; b++) {
		if (res->bucket_hit[b] >= target) {
			uint64_t end = (b + 1) * c->bucket;

			if (end > t->n)
				end = t->n;
			res->t90_acc = end;
			res->t90_ms = (double)end * c->gap_ns / 1e6;
			return;
		}
	}
}

static int run_workload(const struct sim_cfg *c, enum workload wl)
{
	struct trace t = { 0 };
	struct result res[POL_NR];
	struct rng r = { c->seed * 0x100000001b3ULL + wl };
	uint64_t writes = 0;
	int ret;

	memset(res, 0, sizeof(res));
	t.pages = (uint32_t)workload_pages(c, wl);
	t.n = c->accesses;
	t.acc = malloc(t.n * sizeof(*t.acc));
	if (!t.acc)
		return -ENOMEM;
	switch (wl) {
	case WL_ZIPF:
		ret = gen_zipf(c, &t, &r);
		break;
	case WL_SHIFT:
		ret = gen_shift(c, &t, &r);
		break;
	case WL_SCAN:
		ret = gen_scan(c, &t, &r);
		break;
	case WL_MIXED:
		ret = gen_mixed(c, &t, &r);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (ret < 0)
		goto out;
	for (uint64_t i = 0; i < t.n; i++)
		writes += !!(t.acc[i] & WRITE_BIT);

	printf("\n== %s: %u pages (%.0f MiB), DRAM %u pages, %" PRIu64
	       " accesses over %.1f s simulated, %.0f%% writes",
	       wl_name[wl], t.pages, t.pages * PAGE / 1048576.0, c->dram_pages,
	       t.n, t.n * c->gap_ns / 1e9, 100.0 * writes / t.n);
	if (wl == WL_ZIPF)
		printf(", s=%.2f", c->zipf_s);
	if (wl == WL_SHIFT)
		printf(", shift every %" PRIu64, c->shift_every);
	if (wl == WL_SCAN)
		printf(", scan share %.2f", c->scan_frac);
	if (wl == WL_MIXED)
		printf(", s=%.2f over %u pages, one-pass scan share %.2f over %"
		       PRIu64 " pages of %u accesses", c->zipf_s,
		       c->dram_pages * MIXED_WS_FACTOR, c->mixed_scan_frac,
		       mixed_scan_pages(c), MIXED_SCAN_PER_PAGE);
	printf("\n");
	for (int p = 0; p < POL_NR; p++) {
		ret = replay(c, &t, p, &res[p]);
		if (ret < 0)
			goto out;
	}
	printf("%-14s %7s %8s %11s %11s %10s %9s %12s\n", "policy", "hit%",
	       "avg_ns", "promotions", "demotions", "pingpongs", "t90_ms",
	       "t90_access");
	for (int p = 0; p < POL_NR; p++) {
		time_to(c, &t, &res[p], 0.9 * res[POL_ORACLE].hit);
		printf("%-14s %7.2f %8.1f %11" PRIu64 " %11" PRIu64 " %10" PRIu64,
		       pol_name[p], 100 * res[p].hit, res[p].avg_ns,
		       res[p].promotions, res[p].demotions, res[p].pingpongs);
		if (res[p].t90_ms < 0)
			printf(" %9s %12s\n", "never", "-");
		else
			printf(" %9.0f %12" PRIu64 "\n", res[p].t90_ms,
			       res[p].t90_acc);
	}
	for (int p = POL_TIERD; p <= POL_TIERD_PREV; p++)
		printf("%s: %" PRIu64 " records from the BPF model, %" PRIu64
		       " ping-pongs seen by the hotness table\n", pol_name[p],
		       res[p].tierd_records, res[p].tierd_pingpongs);
out:
	for (int p = 0; p < POL_NR; p++)
		free(res[p].bucket_hit);
	free(t.acc);
	return ret;
}

/* ---- command line ---- */

static int parse_u64(const char *opt, const char *s, uint64_t min,
		     uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "placement_sim: %s: want an integer in [%" PRIu64
			", %" PRIu64 "], got '%s'\n", opt, min, max, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_double(const char *opt, const char *s, double min, double max,
			double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "placement_sim: %s: want a number in [%g, %g], got '%s'\n",
			opt, min, max, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static void usage(const char *prog)
{
	printf("usage: %s [options]\n"
	       "  --workload zipf|shift|scan|mixed|all  (all)\n"
	       "  --seed N                 PRNG seed (1)\n"
	       "  --dram-pages N           DRAM capacity in 4 KiB pages (32768)\n"
	       "  --ws-factor N            working set = N x DRAM, not mixed (4)\n"
	       "  --accesses N             trace length (20000000)\n"
	       "  --gap-ns N               simulated time per access (1000)\n"
	       "  --dram-ns X, --slow-ns X access cost (100, 250)\n"
	       "  --write-frac X           share of writes, zipf/shift/hot (0.5)\n"
	       "  --zipf-s X               Zipf exponent (0.99)\n"
	       "  --scan-frac X            scan workload: share of scan accesses (0.5)\n"
	       "  --mixed-scan-frac X      mixed workload: share of its one-pass scan (0.25)\n"
	       "  --shift-every N          shift workload phase (4000000)\n"
	       "  --phase N                hindsight phase length (4000000)\n"
	       "  --bucket N               hit-rate sample for t90 (100000)\n"
	       "  --init slow|first-touch  initial placement (slow)\n"
	       "  --tick-ms N              kernel demotion check interval (100)\n"
	       "  --rearm-ms N             soft-dirty re-arm and tierd tick interval (500)\n"
	       "  --pass-ms N              tierd's promotion passes between re-arms (100)\n"
	       "  --reports N              tierd's records per folio per window (4; 1..16)\n"
	       "  --window-ms N --decay X --threshold N\n"
	       "  --promote-score X --cooldown-ms N --backoff N --rate-mbps N\n"
	       "  --batch N                tierd settings (conf/tierd.conf defaults)\n",
	       prog);
}

int main(int argc, char **argv)
{
	enum {
		O_WL = 256, O_SEED, O_DRAM, O_WSF, O_ACC, O_GAP, O_DNS, O_SNS,
		O_WF, O_ZS, O_SCAN, O_SHIFT, O_PHASE, O_BUCKET, O_INIT, O_TICK,
		O_REARM, O_WIN, O_DECAY, O_THR, O_PSCORE, O_COOL, O_BACK,
		O_RATE, O_BATCH, O_REPORTS, O_MSCAN, O_PASS,
	};
	static const struct option opts[] = {
		{ "workload", required_argument, NULL, O_WL },
		{ "seed", required_argument, NULL, O_SEED },
		{ "dram-pages", required_argument, NULL, O_DRAM },
		{ "ws-factor", required_argument, NULL, O_WSF },
		{ "accesses", required_argument, NULL, O_ACC },
		{ "gap-ns", required_argument, NULL, O_GAP },
		{ "dram-ns", required_argument, NULL, O_DNS },
		{ "slow-ns", required_argument, NULL, O_SNS },
		{ "write-frac", required_argument, NULL, O_WF },
		{ "zipf-s", required_argument, NULL, O_ZS },
		{ "scan-frac", required_argument, NULL, O_SCAN },
		{ "mixed-scan-frac", required_argument, NULL, O_MSCAN },
		{ "shift-every", required_argument, NULL, O_SHIFT },
		{ "phase", required_argument, NULL, O_PHASE },
		{ "bucket", required_argument, NULL, O_BUCKET },
		{ "init", required_argument, NULL, O_INIT },
		{ "tick-ms", required_argument, NULL, O_TICK },
		{ "rearm-ms", required_argument, NULL, O_REARM },
		{ "pass-ms", required_argument, NULL, O_PASS },
		{ "window-ms", required_argument, NULL, O_WIN },
		{ "decay", required_argument, NULL, O_DECAY },
		{ "threshold", required_argument, NULL, O_THR },
		{ "reports", required_argument, NULL, O_REPORTS },
		{ "promote-score", required_argument, NULL, O_PSCORE },
		{ "cooldown-ms", required_argument, NULL, O_COOL },
		{ "backoff", required_argument, NULL, O_BACK },
		{ "rate-mbps", required_argument, NULL, O_RATE },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sim_cfg c = {
		.seed = 1,
		.dram_pages = 32768,
		.ws_factor = 4,
		.accesses = 20000000,
		.gap_ns = 1000,
		.dram_ns = 100,
		.slow_ns = 250,
		.write_frac = 0.5,
		.zipf_s = 0.99,
		.scan_frac = 0.5,
		.mixed_scan_frac = 0.25,
		.shift_every = 4000000,
		.phase = 4000000,
		.bucket = 100000,
		.only_workload = -1,
		.low_wm_frac = 0.01,
		.high_wm_frac = 0.02,
		.tick_ms = 100,
		.rearm_ms = 500,
		.pass_ms = 100,
		.window_ms = 2000,
		.decay = 0.5,
		.threshold = 2,
		.reports = 4,
		.promote_score = 1.0,
		.cooldown_ms = 10000,
		.backoff = 2,
		.rate_mbps = 256,
		.batch_pages = 512,
	};
	uint64_t v;
	int o, ret = 0;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case O_WL:
			c.only_workload = -2;
			for (int w = 0; w < WL_NR; w++)
				if (!strcmp(optarg, wl_name[w]))
					c.only_workload = w;
			if (!strcmp(optarg, "all"))
				c.only_workload = -1;
			if (c.only_workload == -2) {
				fprintf(stderr, "placement_sim: --workload: unknown '%s' (zipf, shift, scan, mixed, all)\n",
					optarg);
				return 2;
			}
			break;
		case O_INIT:
			if (!strcmp(optarg, "slow")) {
				c.first_touch = false;
			} else if (!strcmp(optarg, "first-touch")) {
				c.first_touch = true;
			} else {
				fprintf(stderr, "placement_sim: --init: unknown '%s' (slow, first-touch)\n",
					optarg);
				return 2;
			}
			break;
#define U64(ID, NAME, MIN, MAX, FIELD)					\
		case ID:						\
			ret = parse_u64(NAME, optarg, MIN, MAX, &v);	\
			FIELD = v;					\
			break
#define DBL(ID, NAME, MIN, MAX, FIELD)					\
		case ID:						\
			ret = parse_double(NAME, optarg, MIN, MAX, &FIELD); \
			break
		U64(O_SEED, "--seed", 0, UINT64_MAX, c.seed);
		U64(O_DRAM, "--dram-pages", 64, 1u << 24, c.dram_pages);
		U64(O_WSF, "--ws-factor", 1, 64, c.ws_factor);
		U64(O_ACC, "--accesses", 1, 1ULL << 30, c.accesses);
		U64(O_GAP, "--gap-ns", 1, 1000000000, c.gap_ns);
		DBL(O_DNS, "--dram-ns", 0, 1e9, c.dram_ns);
		DBL(O_SNS, "--slow-ns", 0, 1e9, c.slow_ns);
		DBL(O_WF, "--write-frac", 0, 1, c.write_frac);
		DBL(O_ZS, "--zipf-s", 0, 10, c.zipf_s);
		DBL(O_SCAN, "--scan-frac", 0, 1, c.scan_frac);
		DBL(O_MSCAN, "--mixed-scan-frac", 0, 1, c.mixed_scan_frac);
		U64(O_SHIFT, "--shift-every", 1, UINT64_MAX, c.shift_every);
		U64(O_PHASE, "--phase", 1, UINT64_MAX, c.phase);
		U64(O_BUCKET, "--bucket", 1, UINT64_MAX, c.bucket);
		U64(O_TICK, "--tick-ms", 1, 3600000, c.tick_ms);
		U64(O_REARM, "--rearm-ms", 1, 3600000, c.rearm_ms);
		U64(O_PASS, "--pass-ms", 1, 3600000, c.pass_ms);
		U64(O_WIN, "--window-ms", 1, 3600000, c.window_ms);
		DBL(O_DECAY, "--decay", 1e-9, 0.999999, c.decay);
		U64(O_THR, "--threshold", 1, 65535, c.threshold);
		U64(O_REPORTS, "--reports", 1, 16, c.reports);
		DBL(O_PSCORE, "--promote-score", 0, 1e12, c.promote_score);
		U64(O_COOL, "--cooldown-ms", 0, UINT32_MAX, c.cooldown_ms);
		U64(O_BACK, "--backoff", 1, 1000, c.backoff);
		U64(O_RATE, "--rate-mbps", 0, 1u << 20, c.rate_mbps);
		U64(O_BATCH, "--batch", 1, 1u << 20, c.batch_pages);
#undef U64
#undef DBL
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
		if (ret < 0)
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "placement_sim: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	for (int w = 0; w < WL_NR; w++) {
		if (c.only_workload >= 0 && c.only_workload != w)
			continue;
		if (workload_pages(&c, w) < WRITE_BIT)
			continue;
		fprintf(stderr, "placement_sim: %s: %s: too many pages\n",
			wl_name[w], w == WL_MIXED ?
			"--dram-pages x 2 + --accesses x --mixed-scan-frac / 8" :
			"--dram-pages x --ws-factor");
		return 2;
	}

	printf("placement_sim: seed %" PRIu64 ", DRAM %.0f ns, slow %.0f ns, "
	       "init %s, watermarks low %.0f%% high %.0f%%, kernel tick %u ms\n"
	       "tierd: rearm %u ms, pass %u ms, window %u ms, decay %.2f, "
	       "threshold %u, reports %u, promote_score %.1f, cooldown %u ms, backoff %u, "
	       "rate %u MiB/s, batch %u\n",
	       c.seed, c.dram_ns, c.slow_ns, c.first_touch ? "first-touch" : "slow",
	       100 * c.low_wm_frac, 100 * c.high_wm_frac, c.tick_ms, c.rearm_ms,
	       c.pass_ms < c.rearm_ms ? c.pass_ms : c.rearm_ms, c.window_ms, c.decay, c.threshold, c.reports, c.promote_score,
	       c.cooldown_ms,
	       c.backoff, c.rate_mbps, c.batch_pages);
	for (int w = 0; w < WL_NR; w++) {
		if (c.only_workload >= 0 && c.only_workload != w)
			continue;
		ret = run_workload(&c, w);
		if (ret < 0) {
			fprintf(stderr, "placement_sim: %s: %s\n", wl_name[w],
				strerror(-ret));
			return 1;
		}
		fflush(stdout);
	}
	return 0;
}
