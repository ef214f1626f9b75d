// SPDX-License-Identifier: GPL-2.0
/*
 * Ingest benchmark: synthetic ring-buffer records (struct tierd_event)
 * through the daemon's own hotness and policy code on one core.
 *
 * For each table size it measures
 *   - insert rate: records for folios the table has not seen,
 *   - update rate: records for random folios already tracked (cache-miss
 *     bound on big tables, the steady state of a busy daemon),
 *   - eviction rate: new folios into a full table (sampled eviction),
 *   - memory per tracked folio, as the table accounts it,
 *   - one candidates + plan pass over the whole filled table,
 *   - the steady tick: --tick-records records (a tenth of the folios hot),
 *     then the tick's own work (candidates, ageing), TICKS times; the
 *     median tick is printed, and the first (which may build state).
 *
 * Under valgrind --tool=callgrind (bench/instructions.sh) each phase is
 * dumped apart, so instructions per record and per tick can be read off:
 * a figure that does not move with the load of a shared machine.  The
 * benchmark calls only the hotness API that older trees have too, so
 * bench/compare-old.sh can build it against an older core.
 *
 *   bench_ingest [--max-folios N] [--updates N] [--tick-records N] [--seed N]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
/* only the measured code is collected (run with --collect-atstart=no) */
#define MEASURE_ON() CALLGRIND_TOGGLE_COLLECT
#define MEASURE_OFF() CALLGRIND_TOGGLE_COLLECT
#define PHASE_START() CALLGRIND_ZERO_STATS
#define PHASE_END(name, ops) do {					\
	if (RUNNING_ON_VALGRIND) {					\
		CALLGRIND_DUMP_STATS_AT(name);				\
		printf("callgrind-phase %s %" PRIu64 "\n", name,	\
		       (uint64_t)(ops));				\
	}								\
} while (0)
#else
#define MEASURE_ON() do { } while (0)
#define MEASURE_OFF() do { } while (0)
#define PHASE_START() do { } while (0)
#define PHASE_END(name, ops) do { } while (0)
#endif

#include <linux/types.h>
#include "bpf/tierd.h"
#include "core/hotness.h"
#include "core/policy.h"
#include "rng.h"

#define CHUNK		65536
#define PAGE		4096ULL
#define NR_TGIDS	8
#define CAND_MAX	65536u
#define TICKS		7
#define TICK_MS		1000	/* synthetic time between ticks */
#define AGE_FLOOR	0.05	/* the pipeline's */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Folio number i of the synthetic address space: a few processes, 4 KiB. */
static uint32_t folio_tgid(uint64_t i)
{
	return 1000 + (uint32_t)(i % NR_TGIDS);
}

static uint64_t folio_addr(uint64_t i)
{
	return 0x7f0000000000ULL + (i / NR_TGIDS) * PAGE;
}

struct feed {
	struct hotness_table *t;
	struct tierd_event *ev;
	uint64_t ts_ns;		/* synthetic clock: 1 us per record */
	double secs;		/* time spent inside hotness_record() loops */
	uint64_t evicted;
};

static int feed_chunk(struct feed *f, size_t n)
{
	struct hot_record_result res;
	double t0 = now_s();

	MEASURE_ON();
	for (size_t i = 0; i < n; i++) {
		const struct tierd_event *e = &f->ev[i];
		int r = hotness_record(f->t, e->tgid, e->addr, e->faults,
				       e->source == TIERD_SRC_PRIVATE_NODE,
				       e->ts_ns / 1000000, &res);
		if (r < 0) {
			MEASURE_OFF();
			return r;
		}
		f->evicted += res.evicted;
	}
	MEASURE_OFF();
	f->secs += now_s() - t0;
	return 0;
}

static void make_event(struct feed *f, size_t slot, uint64_t folio,
		       uint32_t faults)
{
	struct tierd_event *e = &f->ev[slot];

	memset(e, 0, sizeof(*e));
	e->tgid = folio_tgid(folio);
	e->addr = folio_addr(folio);
	e->ts_ns = (f->ts_ns += 1000);
	e->faults = faults;
	e->nid = TIERD_NID_NONE;
	e->source = TIERD_SRC_PRIVATE_NODE;
}

/* One record each for folios first .. first+count-1 (the hash scatters them). */
static int feed_new(struct feed *f, uint64_t first, uint64_t count,
		    struct rng *r)
{
	for (uint64_t done = 0; done < count;) {
		size_t n = count - done < CHUNK ? count - done : CHUNK;

		for (size_t i = 0; i < n; i++)
			make_event(f, i, first + done + i,
				   1 + (uint32_t)(rng_next(r) % 8));
		int ret = feed_chunk(f, n);
		if (ret < 0)
			return ret;
		done += n;
	}
	return 0;
}

/* Records for random folios among first .. first+range-1; a tenth are hot. */
static int feed_updates(struct feed *f, uint64_t first, uint64_t range,
			uint64_t count, struct rng *r)
{
	uint64_t hot = range / 10 ? range / 10 : 1;

	for (uint64_t done = 0; done < count;) {
		size_t n = count - done < CHUNK ? count - done : CHUNK;

		for (size_t i = 0; i < n; i++) {
			uint64_t x = rng_next(r);
			uint64_t folio = (x & 1) ? (x >> 1) % hot : (x >> 1) % range;

			make_event(f, i, first + folio, 1 + (uint32_t)(x >> 60));
		}
		int ret = feed_chunk(f, n);
		if (ret < 0)
			return ret;
		done += n;
	}
	return 0;
}

struct row {
	uint64_t folios;
	double insert_rps, update_rps, evict_rps;
	double bytes_per_folio;
	size_t nr_cand;
	double cand_ms, plan_ms;
	uint32_t nr_batches;
	double tick_first_ms, tick_ms;	/* first and median steady tick */
	size_t tick_cand;		/* candidates of the last tick */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The steady state of a busy daemon: between two ticks the ring buffer
 * brings @records records, then the tick selects candidates and ages.
 * Only the tick is timed; the records were timed as updates.
 */
static int run_ticks(struct feed *f, uint64_t first, uint64_t folios,
		     uint64_t records,
		     struct hot_candidate *cand, struct rng *r,
		     struct row *row)
{
	double ms[TICKS];

	for (int k = 0; k < TICKS; k++) {
		uint64_t now_ms;
		double t0;
		int ret;

		f->ts_ns += (uint64_t)TICK_MS * 1000000;
		if (k == TICKS - 1)
			PHASE_START();
		ret = feed_updates(f, first, folios, records, r);
		if (ret < 0)
			return ret;
		if (k == TICKS - 1) {
			PHASE_END("tick-records", records);
			PHASE_START();
		}
		now_ms = f->ts_ns / 1000000;
		t0 = now_s();
		MEASURE_ON();
		row->tick_cand = hotness_candidates(f->t, now_ms, 4.0, cand,
						    CAND_MAX, NULL, NULL);
		hotness_age(f->t, now_ms, AGE_FLOOR);
		MEASURE_OFF();
		ms[k] = (now_s() - t0) * 1e3;
		if (k == TICKS - 1)
			PHASE_END("tick-pass", 1);
	}
	row->tick_first_ms = ms[0];
	qsort(ms + 1, TICKS - 1, sizeof(ms[0]), cmp_double);
	row->tick_ms = ms[1 + (TICKS - 1) / 2];
	return 0;
}

static int run_size(uint64_t folios, uint64_t updates, uint64_t tick_records,
		    uint64_t seed, struct row *row)
{
	struct hotness_params p = {
		.cap = (uint32_t)folios,
		.window_ms = 1000,
		.decay = 0.5,
		.cooldown_ms = 10000,
		.pingpong_backoff = 2,
	};
	struct rng r = { seed };
	struct feed f = { 0 };
	struct hot_candidate *cand = NULL;
	struct hotness_stats st;
	struct promo_plan plan;
	struct token_bucket tb;
	uint64_t evict_n;
	double t0;
	int ret;

	promo_plan_init(&plan);
	memset(row, 0, sizeof(*row));
	row->folios = folios;
	f.ev = calloc(CHUNK, sizeof(*f.ev));
	cand = calloc(CAND_MAX, sizeof(*cand));
	if (!f.ev || !cand) {
		ret = -ENOMEM;
		goto out;
	}
	ret = hotness_create(&p, &f.t);
	if (ret < 0)
		goto out;

	PHASE_START();
	ret = feed_new(&f, 0, folios, &r);
	if (ret < 0)
		goto out;
	PHASE_END("insert", folios);
	row->insert_rps = (double)folios / f.secs;
	hotness_get_stats(f.t, &st);
	row->bytes_per_folio = (double)st.bytes / (double)st.size;

	f.secs = 0;
	PHASE_START();
	ret = feed_updates(&f, 0, folios, updates, &r);
	if (ret < 0)
		goto out;
	PHASE_END("update", updates);
	row->update_rps = (double)updates / f.secs;

	/* the table is full: every new folio now evicts one */
	evict_n = folios < updates ? folios : updates;
	f.secs = 0;
	f.evicted = 0;
	PHASE_START();
	ret = feed_new(&f, folios, evict_n, &r);
	if (ret < 0)
		goto out;
	PHASE_END("evict", evict_n);
	row->evict_rps = (double)evict_n / f.secs;
	if (f.evicted != evict_n)
		fprintf(stderr, "bench_ingest: expected %" PRIu64
			" evictions, saw %" PRIu64 "\n", evict_n, f.evicted);

	t0 = now_s();
	row->nr_cand = hotness_candidates(f.t, f.ts_ns / 1000000, 4.0, cand,
					  CAND_MAX, NULL, NULL);
	row->cand_ms = (now_s() - t0) * 1e3;

	token_bucket_init(&tb, 0, 0, 0);
	struct policy_input in = {
		.cand = cand,
		.nr_cand = row->nr_cand,
		.page_bytes = PAGE,
		.fast_free_bytes = 64ULL << 30,
		.min_free_bytes = 1ULL << 30,
		.batch_pages = 512,
		.now_ms = f.ts_ns / 1000000,
	};
	t0 = now_s();
	ret = policy_plan(&in, &tb, &plan);
	row->plan_ms = (now_s() - t0) * 1e3;
	row->nr_batches = plan.nr_batches;
	if (ret < 0)
		goto out;
	/*
	 * Records for tracked folios: when the eviction phase replaced the
	 * whole table those are its newcomers (only the tick is timed, so a
	 * record that evicts does not distort it either way).
	 */
	ret = run_ticks(&f, evict_n == folios ? folios : 0, folios,
			tick_records, cand, &r, row);
out:
	promo_plan_free(&plan);
	hotness_destroy(f.t);
	free(cand);
	free(f.ev);
	return ret;
}

static int parse_u64(const char *opt, const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "bench_ingest: %s: not a number: '%s'\n", opt, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-folios", required_argument, NULL, 'm' },
		{ "updates", required_argument, NULL, 'u' },
		{ "tick-records", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const uint64_t sizes[] = { 10000, 1000000, 10000000 };
	uint64_t max_folios = 10000000, updates = 4000000, seed = 1;
	uint64_t tick_records = 100000;
	int c;

	while ((c = getopt_long(argc, argv, "m:u:t:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_u64("--max-folios", optarg, &max_folios) < 0)
				return 2;
			break;
		case 'u':
			if (parse_u64("--updates", optarg, &updates) < 0)
				return 2;
			break;
		case 't':
			if (parse_u64("--tick-records", optarg, &tick_records) < 0)
				return 2;
			break;
		case 's':
			if (parse_u64("--seed", optarg, &seed) < 0)
				return 2;
			break;
		case 'h':
			printf("usage: %s [--max-folios N] [--updates N] "
			       "[--tick-records N] [--seed N]\n", argv[0]);
			return 0;
		default:
			return 2;
		}
	}
	if (max_folios > HOTNESS_CAP_MAX) {
		fprintf(stderr, "bench_ingest: --max-folios: at most %u\n",
			HOTNESS_CAP_MAX);
		return 2;
	}
	if (updates == 0) {
		fprintf(stderr, "bench_ingest: --updates: must be at least 1\n");
		return 2;
	}

	printf("tierd ingest benchmark: struct tierd_event (%zu bytes) -> "
	       "hotness_record -> candidates -> policy_plan, one core\n",
	       sizeof(struct tierd_event));
	printf("full pass: candidates over the filled table; tick: %" PRIu64
	       " records, then candidates + ageing (median of %d, and the first)\n",
	       tick_records, TICKS - 1);
	printf("%10s %12s %12s %12s %11s %10s %9s %9s %8s %9s %9s %8s\n",
	       "folios", "insert/s", "update/s", "evict/s", "bytes/folio",
	       "cand", "cand_ms", "plan_ms", "batches", "tick_ms",
	       "first_ms", "tick_cand");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct row row;
		int ret;

		if (sizes[i] > max_folios)
			break;
		ret = run_size(sizes[i], updates, tick_records, seed, &row);
		if (ret < 0) {
			fprintf(stderr, "bench_ingest: %" PRIu64 " folios: %s\n",
				sizes[i], strerror(-ret));
			return 1;
		}
		printf("%10" PRIu64 " %12.3e %12.3e %12.3e %11.1f %10zu %9.2f %9.2f %8u %9.2f %9.2f %8zu\n",
		       row.folios, row.insert_rps, row.update_rps,
		       row.evict_rps, row.bytes_per_folio, row.nr_cand,
		       row.cand_ms, row.plan_ms, row.nr_batches,
		       row.tick_ms, row.tick_first_ms, row.tick_cand);
		fflush(stdout);
	}
	return 0;
}
