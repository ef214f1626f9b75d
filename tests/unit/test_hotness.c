// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the hotness table (daemon/core/hotness.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/hotness.h"

#define W 1000		/* window_ms in most tests */
#define PG 0x1000ULL

static struct hotness_params params(uint32_t cap, double decay)
{
	return (struct hotness_params) {
		.cap = cap,
		.window_ms = W,
		.decay = decay,
		.cooldown_ms = 5000,
		.pingpong_backoff = 2,
		.failure_cooldown_ms = 1000,
	};
}

static struct hotness_table *mk(uint32_t cap, double decay)
{
	struct hotness_params p = params(cap, decay);
	struct hotness_table *t = NULL;

	assert_int_equal(hotness_create(&p, &t), 0);
	assert_non_null(t);
	return t;
}

static void rec(struct hotness_table *t, uint32_t tgid, uint64_t addr,
		uint32_t faults, bool on_slow, uint64_t now)
{
	assert_int_equal(hotness_record(t, tgid, addr, faults, on_slow, now,
					NULL), 0);
}

static uint64_t table_size(struct hotness_table *t)
{
	struct hotness_stats st;

	hotness_get_stats(t, &st);
	return st.size;
}

static void test_params_rejected(void **state)
{
	struct hotness_params p = params(10, 0.5);
	struct hotness_table *t = NULL;

	p.cap = 0;
	assert_int_equal(hotness_create(&p, &t), -EINVAL);
	assert_non_null(hotness_params_invalid(&p));
	p = params(10, 0.0);
	assert_int_equal(hotness_create(&p, &t), -EINVAL);
	p = params(10, 1.0);
	assert_int_equal(hotness_create(&p, &t), -EINVAL);
	p = params(10, NAN);
	assert_int_equal(hotness_create(&p, &t), -EINVAL);
	p = params(10, 0.5);
	p.window_ms = 0;
	assert_int_equal(hotness_create(&p, &t), -EINVAL);
	p = params(10, 0.5);
	p.pingpong_backoff = 0;
	assert_int_equal(hotness_create(&p, &t), -EINVAL);
	p = params(HOTNESS_CAP_MAX + 1u, 0.5);
	assert_int_equal(hotness_create(&p, &t), -EINVAL);
	assert_null(t);
	p = params(10, 0.5);
	assert_null(hotness_params_invalid(&p));
}

static void test_decay_exact(void **state)
{
	struct hotness_table *t = mk(100, 0.5);

	rec(t, 1, PG, 16, true, 10000);
	/* 0 windows, and partial windows, do not decay */
	assert_true(hotness_score(t, 1, PG, 10000) == 16.0);
	assert_true(hotness_score(t, 1, PG, 10999) == 16.0);
	/* 1 window */
	assert_true(hotness_score(t, 1, PG, 11000) == 8.0);
	assert_true(hotness_score(t, 1, PG, 11999) == 8.0);
	/* 3 windows from the first stamp: time in partial windows is kept */
	assert_true(hotness_score(t, 1, PG, 13000) == 2.0);
	/* record adds to the decayed score: 2 + 5 */
	rec(t, 1, PG, 5, true, 13500);
	assert_true(hotness_score(t, 1, PG, 13500) == 7.0);
	/* the window stamp stayed on the 1 s grid of the first record */
	assert_true(hotness_score(t, 1, PG, 14000) == 3.5);
	assert_true(hotness_score(t, 1, PG, 20000) == 7.0 / 128.0);
	/* absent */
	assert_true(hotness_score(t, 2, PG, 20000) == -1.0);
	/* long idle: pow() path beyond the table, underflows to 0 at worst */
	assert_true(hotness_score(t, 1, PG, 20000 + 100ULL * W) ==
		    7.0 / 128.0 * pow(0.5, 100));
	hotness_destroy(t);
}

static void test_decay_non_dyadic(void **state)
{
	struct hotness_table *t = mk(100, 0.9);

	rec(t, 7, PG, 100, true, 0);
	assert_float_equal(hotness_score(t, 7, PG, 0), 100.0, 0);
	assert_float_equal(hotness_score(t, 7, PG, 1000), 90.0, 1e-12);
	assert_float_equal(hotness_score(t, 7, PG, 3000), 72.9, 1e-12);
	hotness_destroy(t);
}

static void test_candidates_threshold_order(void **state)
{
	struct hotness_table *t = mk(100, 0.5);
	struct hot_candidate c[8];
	uint64_t cool = 99;
	size_t n;

	rec(t, 1, 1 * PG, 3, true, 0);
	rec(t, 1, 2 * PG, 10, true, 0);
	rec(t, 2, 3 * PG, 6, true, 0);
	rec(t, 2, 4 * PG, 4, true, 0);
	rec(t, 3, 5 * PG, 8, true, 0);

	n = hotness_candidates(t, 0, 4.0, c, 8, &cool, NULL);
	assert_int_equal(n, 4);
	assert_int_equal(cool, 0);
	assert_true(c[0].addr == 2 * PG && c[0].score == 10.0);
	assert_true(c[1].addr == 5 * PG && c[1].tgid == 3);
	assert_true(c[2].addr == 3 * PG);
	assert_true(c[3].addr == 4 * PG && c[3].score == 4.0);	/* >= */

	/* max truncates to the hottest */
	n = hotness_candidates(t, 0, 4.0, c, 2, NULL, NULL);
	assert_int_equal(n, 2);
	assert_true(c[0].addr == 2 * PG && c[1].addr == 5 * PG);

	/*
	 * After one window 10 -> 5 and 8 -> 4 still reach the threshold;
	 * 6 -> 3 and 4 -> 2 reached it before and are held (a hold lasts
	 * until the score is four windows of decay below the threshold:
	 * 0.25 here).  3 never reached it and is not a candidate.
	 */
	n = hotness_candidates(t, 1000, 4.0, c, 8, NULL, NULL);
	assert_int_equal(n, 4);
	assert_true(c[0].score == 5.0 && c[1].score == 4.0);
	assert_true(c[2].score == 3.0 && c[3].score == 2.0);

	assert_int_equal(hotness_candidates(t, 1000, 4.0, NULL, 0, NULL, NULL), 0);
	/* five windows: 0.3125 and 0.25 are held still, 0.1875 and 0.125 not */
	n = hotness_candidates(t, 5000, 4.0, c, 8, NULL, NULL);
	assert_int_equal(n, 2);
	assert_true(c[0].addr == 2 * PG && c[1].addr == 5 * PG);
	/* a hold that ran out does not come back at the held level */
	rec(t, 2, 3 * PG, 1, true, 5000);
	assert_int_equal(hotness_candidates(t, 5000, 4.0, c, 8, NULL, NULL), 2);
	hotness_destroy(t);

	/* a promotion ends a hold (no cooldown, so only the hold could keep it) */
	struct hotness_params p = params(100, 0.5);

	p.cooldown_ms = 0;
	assert_int_equal(hotness_create(&p, &t), 0);
	rec(t, 1, PG, 8, true, 0);
	assert_int_equal(hotness_candidates(t, 0, 4.0, c, 8, NULL, NULL), 1);
	hotness_mark_promoted(t, 1, PG, 0);
	/* 4: at the threshold, offered as a re-check */
	assert_int_equal(hotness_candidates(t, 1000, 4.0, c, 8, NULL, NULL), 1);
	assert_true(c[0].recheck);
	/* 2: below it, and no longer held */
	assert_int_equal(hotness_candidates(t, 2000, 4.0, c, 8, NULL, NULL), 0);
	hotness_destroy(t);
}

static void test_cooldown(void **state)
{
	struct hotness_table *t = mk(100, 0.5);
	struct hot_candidate c[4];
	uint64_t cool;

	rec(t, 1, PG, 100, true, 0);
	rec(t, 1, 2 * PG, 100, true, 0);
	hotness_mark_promoted(t, 1, PG, 0);
	hotness_mark_on_fast(t, 1, 2 * PG, 100);

	assert_int_equal(hotness_candidates(t, 0, 1.0, c, 4, &cool, NULL), 0);
	assert_int_equal(cool, 2);
	assert_int_equal(hotness_candidates(t, 4999, 1.0, c, 4, &cool, NULL), 0);
	assert_int_equal(cool, 2);
	/* cooldown_ms = 5000: PG is back at 5000, 2*PG at 5100 */
	assert_int_equal(hotness_candidates(t, 5000, 1.0, c, 4, &cool, NULL), 1);
	assert_true(c[0].addr == PG);
	assert_int_equal(cool, 1);
	assert_int_equal(hotness_candidates(t, 5100, 1.0, c, 4, &cool, NULL), 2);
	assert_int_equal(cool, 0);

	/* top ignores cooldown */
	hotness_mark_promoted(t, 1, PG, 6000);
	assert_int_equal(hotness_top(t, 0, 6000, c, 4), 2);

	/* marking an unknown folio does not create it */
	hotness_mark_promoted(t, 9, PG, 6000);
	assert_true(hotness_score(t, 9, PG, 6000) == -1.0);
	assert_false(hotness_mark_on_slow(t, 9, PG, 6000));
	hotness_destroy(t);
}

/*
 * A folio believed on the fast node is only re-checked, so it must not take
 * a slot from a colder folio still on the slow tier when the budget is one.
 */
static void test_recheck_ranks_after_slow(void **state)
{
	struct hotness_table *t = mk(100, 0.5);
	struct hot_candidate c[4];

	/* five windows of decay 0.5 later: 100, 10 and 50 */
	rec(t, 1, PG, 3200, false, 0);
	rec(t, 1, 2 * PG, 320, false, 0);
	rec(t, 1, 3 * PG, 1600, false, 0);
	hotness_mark_promoted(t, 1, PG, 0);
	hotness_mark_on_fast(t, 1, 3 * PG, 0);

	/* after the cooldown all three qualify; budget of one */
	assert_int_equal(hotness_candidates(t, 5000, 1.0, c, 1, NULL, NULL), 1);
	assert_true(c[0].addr == 2 * PG);
	assert_false(c[0].recheck);

	/* with room for all: slow first, then re-checks hottest first */
	assert_int_equal(hotness_candidates(t, 5000, 1.0, c, 4, NULL, NULL), 3);
	assert_true(c[0].addr == 2 * PG && !c[0].recheck);
	assert_true(c[1].addr == PG && c[1].recheck);
	assert_true(c[2].addr == 3 * PG && c[2].recheck);

	/* found back on the slow tier: a regular candidate again */
	assert_true(hotness_mark_on_slow(t, 1, PG, 5000));
	assert_int_equal(hotness_candidates(t, 5000, 1.0, c, 4, NULL, NULL), 3);
	assert_true(c[0].addr == PG && !c[0].recheck);
	hotness_destroy(t);
}

static void test_pingpong_backoff(void **state)
{
	struct hotness_table *t = mk(100, 0.5);
	struct hot_record_result res;
	struct hot_candidate c[2];
	struct hotness_stats st;
	uint64_t now = 0;

	rec(t, 1, PG, 100, true, now);
	hotness_mark_promoted(t, 1, PG, now);
	/* first cooldown: 5000 */
	assert_int_equal(hotness_candidates(t, now + 4999, 0, c, 2, NULL, NULL), 0);
	assert_int_equal(hotness_candidates(t, now + 5000, 0, c, 2, NULL, NULL), 1);

	/* seen on slow again: ping-pong 1 */
	now = 10000;
	assert_int_equal(hotness_record(t, 1, PG, 1, true, now, &res), 0);
	assert_true(res.pingpong && !res.inserted && !res.evicted);
	/* state went back to ON_SLOW: a second fault is no ping-pong */
	assert_int_equal(hotness_record(t, 1, PG, 1, true, now, &res), 0);
	assert_false(res.pingpong);

	hotness_mark_promoted(t, 1, PG, now);
	assert_int_equal(hotness_candidates(t, now + 9999, 0, c, 2, NULL, NULL), 0);
	assert_int_equal(hotness_candidates(t, now + 10000, 0, c, 2, NULL, NULL), 1);

	/* ping-pong 2 via a location query: cooldown 5000 * 2^2 */
	now = 30000;
	assert_true(hotness_mark_on_slow(t, 1, PG, now));
	assert_false(hotness_mark_on_slow(t, 1, PG, now));
	hotness_mark_promoted(t, 1, PG, now);
	assert_int_equal(hotness_candidates(t, now + 19999, 0, c, 2, NULL, NULL), 0);
	assert_int_equal(hotness_candidates(t, now + 20000, 0, c, 2, NULL, NULL), 1);

	/* faults with unknown location on a PROMOTED folio are no ping-pong */
	hotness_mark_promoted(t, 1, PG, now);
	assert_int_equal(hotness_record(t, 1, PG, 1, false, now, &res), 0);
	assert_false(res.pingpong);

	/* ON_FAST seen on slow is a demotion we did not cause: no ping-pong */
	rec(t, 1, 2 * PG, 1, true, now);
	hotness_mark_on_fast(t, 1, 2 * PG, now);
	assert_int_equal(hotness_record(t, 1, 2 * PG, 1, true, now, &res), 0);
	assert_false(res.pingpong);

	/*
	 * A PROMOTED folio a re-check finds still on fast stays PROMOTED:
	 * demoted after that, it is a ping-pong (an application moving its
	 * pages back with mbind would otherwise dodge the backoff)
	 */
	rec(t, 1, 3 * PG, 1, true, now);
	hotness_mark_promoted(t, 1, 3 * PG, now);
	hotness_mark_on_fast(t, 1, 3 * PG, now + 5000);
	assert_true(hotness_mark_on_slow(t, 1, 3 * PG, now + 6000));

	hotness_get_stats(t, &st);
	assert_int_equal(st.pingpongs, 3);
	hotness_destroy(t);
}

/*
 * A failed move: not a candidate for 1000 ms, then 2000, 4000 ... after
 * each further failure in a row, at most HOTNESS_COOLDOWN_MAX_MS; a
 * promotion ends the run, and a base of 0 never waits.
 */
static void test_failure_backoff(void **state)
{
	struct hotness_params p = params(10, 0.99);
	struct hotness_table *t = mk(10, 0.99);
	struct hot_candidate c[1];
	uint64_t now = 0, wait = 1000;

	rec(t, 1, PG, 100, true, now);
	for (unsigned int i = 1; i <= 30; i++) {
		hotness_mark_failed(t, 1, PG, now);
		assert_int_equal(hotness_failures(t, 1, PG), i);
		assert_int_equal(hotness_candidates(t, now + wait - 1, 0, c, 1,
						    NULL, NULL), 0);
		assert_int_equal(hotness_candidates(t, now + wait, 0, c, 1,
						    NULL, NULL), 1);
		/* the entry survives ageing while it waits */
		hotness_age(t, now + wait - 1, 1e300);
		assert_int_equal(table_size(t), 1);
		now += wait;
		rec(t, 1, PG, 100, true, now);
		wait = wait * 2 < HOTNESS_COOLDOWN_MAX_MS ? wait * 2 :
							    HOTNESS_COOLDOWN_MAX_MS;
	}
	assert_int_equal(wait, HOTNESS_COOLDOWN_MAX_MS);
	hotness_mark_promoted(t, 1, PG, now);
	assert_int_equal(hotness_failures(t, 1, PG), 0);
	/* the next failure starts from the base again */
	now += 5000;
	hotness_mark_failed(t, 1, PG, now);
	assert_int_equal(hotness_candidates(t, now + 1000, 0, c, 1, NULL, NULL), 1);
	/* an entry that is gone: nothing to mark */
	hotness_mark_failed(t, 1, 7 * PG, now);
	assert_int_equal(hotness_failures(t, 1, 7 * PG), 0);
	hotness_destroy(t);

	p.failure_cooldown_ms = 0;
	assert_int_equal(hotness_create(&p, &t), 0);
	rec(t, 1, PG, 100, true, 0);
	hotness_mark_failed(t, 1, PG, 0);
	hotness_mark_failed(t, 1, PG, 0);
	assert_int_equal(hotness_candidates(t, 0, 0, c, 1, NULL, NULL), 1);
	hotness_destroy(t);
}

static void test_backoff_capped(void **state)
{
	struct hotness_params p = params(10, 0.5);
	struct hotness_table *t = NULL;
	struct hot_candidate c[1];
	uint64_t now = 0;

	p.pingpong_backoff = UINT32_MAX;
	p.cooldown_ms = 1000;
	assert_int_equal(hotness_create(&p, &t), 0);
	rec(t, 1, PG, 1, true, 0);
	for (int i = 0; i < 40; i++) {
		hotness_mark_promoted(t, 1, PG, now);
		now += 1;
		assert_true(hotness_mark_on_slow(t, 1, PG, now));
	}
	hotness_mark_promoted(t, 1, PG, now);
	assert_int_equal(hotness_candidates(t, now + HOTNESS_COOLDOWN_MAX_MS - 1,
					    0, c, 1, NULL, NULL), 0);
	assert_int_equal(hotness_candidates(t, now + HOTNESS_COOLDOWN_MAX_MS,
					    0, c, 1, NULL, NULL), 1);
	hotness_destroy(t);
}

static void test_eviction_hot_survive(void **state)
{
	const uint32_t cap = 1024, hot = 512;
	struct hotness_table *t = mk(cap, 0.5);
	struct hot_record_result res;
	struct hotness_stats st;
	uint64_t evicted = 0;

	for (uint32_t i = 0; i < hot; i++)
		rec(t, 1, (uint64_t)i * PG, 50, true, 0);
	/* a flood of one-fault folios, 100x the cap */
	for (uint32_t i = 0; i < 100 * cap; i++) {
		assert_int_equal(hotness_record(t, 2, (uint64_t)i * PG, 1, true,
						0, &res), 0);
		assert_true(res.inserted);
		evicted += res.evicted;
		assert_true(table_size(t) <= cap);
	}
	assert_int_equal(table_size(t), cap);
	for (uint32_t i = 0; i < hot; i++)
		assert_true(hotness_score(t, 1, (uint64_t)i * PG, 0) == 50.0);
	hotness_get_stats(t, &st);
	assert_int_equal(st.evictions, evicted);
	assert_int_equal(evicted, 100 * cap - (cap - hot));
	/* the newest cold folio made it in */
	assert_true(hotness_score(t, 2, (uint64_t)(100 * cap - 1) * PG, 0) == 1.0);
	hotness_destroy(t);
}

static void test_eviction_prefers_decayed(void **state)
{
	struct hotness_table *t = mk(4, 0.5);
	struct hot_record_result res;

	/* old folio had 64 faults, 10 windows ago: 0.0625 now */
	rec(t, 1, PG, 64, true, 0);
	rec(t, 1, 2 * PG, 2, true, 10000);
	rec(t, 1, 3 * PG, 2, true, 10000);
	rec(t, 1, 4 * PG, 2, true, 10000);
	assert_int_equal(hotness_record(t, 1, 5 * PG, 1, true, 10000, &res), 0);
	assert_true(res.evicted);
	assert_true(hotness_score(t, 1, PG, 10000) == -1.0);
	assert_int_equal(table_size(t), 4);
	hotness_destroy(t);
}

static void test_cap_one(void **state)
{
	struct hotness_table *t = mk(1, 0.5);

	for (uint64_t i = 0; i < 10; i++) {
		rec(t, 1, i * PG, 1, true, i);
		assert_int_equal(table_size(t), 1);
		assert_true(hotness_score(t, 1, i * PG, i) == 1.0);
	}
	hotness_destroy(t);
}

static void test_many_insert_forget(void **state)
{
	/* exercises growth, rehash and backward-shift deletion */
	const uint32_t n = 50000;
	struct hotness_table *t = mk(n, 0.5);

	for (uint32_t i = 0; i < n; i++)
		rec(t, i % 7, (uint64_t)i * PG, i % 13 + 1, true, 0);
	assert_int_equal(table_size(t), n);
	for (uint32_t i = 0; i < n; i += 2)
		hotness_forget(t, i % 7, (uint64_t)i * PG);
	assert_int_equal(table_size(t), n / 2);
	for (uint32_t i = 0; i < n; i++) {
		double want = (i % 2) ? (double)(i % 13 + 1) : -1.0;

		assert_true(hotness_score(t, i % 7, (uint64_t)i * PG, 0) == want);
	}
	/* forgetting an absent key changes nothing */
	hotness_forget(t, 99, PG);
	assert_int_equal(table_size(t), n / 2);
	hotness_destroy(t);
}

static void test_forget_tgid_and_summary(void **state)
{
	struct hotness_table *t = mk(1000, 0.5);
	struct hot_candidate c[16];
	uint32_t tracked = 0, hot = 0;

	for (uint64_t i = 0; i < 300; i++)
		rec(t, 10 + i % 3, i * PG, (uint32_t)(i % 3 ? 1 : 20), true, 0);
	hotness_tgid_summary(t, 10, 0, 10.0, &tracked, &hot);
	assert_int_equal(tracked, 100);
	assert_int_equal(hot, 100);
	hotness_tgid_summary(t, 11, 0, 10.0, &tracked, &hot);
	assert_int_equal(tracked, 100);
	assert_int_equal(hot, 0);

	assert_int_equal(hotness_top(t, 11, 0, c, 16), 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(c[i].tgid, 11);
	assert_int_equal(hotness_top(t, 0, 0, c, 16), 16);
	for (int i = 0; i < 16; i++)
		assert_true(c[i].tgid == 10 && c[i].score == 20.0);

	hotness_forget_tgid(t, 10);
	assert_int_equal(table_size(t), 200);
	hotness_tgid_summary(t, 10, 0, 10.0, &tracked, &hot);
	assert_int_equal(tracked, 0);
	assert_int_equal(hotness_top(t, 10, 0, c, 16), 0);
	for (uint64_t i = 0; i < 300; i++)
		assert_true((hotness_score(t, 10 + i % 3, i * PG, 0) < 0) ==
			    (i % 3 == 0));
	hotness_destroy(t);
}

static void test_age(void **state)
{
	struct hotness_table *t = mk(100, 0.5);

	rec(t, 1, 1 * PG, 8, true, 0);
	rec(t, 1, 2 * PG, 2, true, 0);
	rec(t, 1, 3 * PG, 1, true, 0);
	rec(t, 1, 4 * PG, 1, true, 0);
	hotness_mark_promoted(t, 1, 4 * PG, 0);		/* cooldown to 5000 */

	/* after 2 windows: 2, 0.5, 0.25, 0.25 */
	hotness_age(t, 2000, 0.5);
	assert_int_equal(table_size(t), 3);
	assert_true(hotness_score(t, 1, 1 * PG, 2000) == 2.0);
	assert_true(hotness_score(t, 1, 2 * PG, 2000) == 0.5);	/* not under */
	assert_true(hotness_score(t, 1, 3 * PG, 2000) == -1.0);
	/* in cooldown: kept for ping-pong detection */
	assert_true(hotness_score(t, 1, 4 * PG, 2000) == 0.25);

	/* 5000: 0.25, 0.0625, and 4*PG's cooldown is over at 0.03125 */
	hotness_age(t, 5000, 0.2);
	assert_int_equal(table_size(t), 1);
	assert_true(hotness_score(t, 1, 1 * PG, 5000) == 0.25);
	hotness_destroy(t);
}

static void test_set_params_shrink_grow(void **state)
{
	struct hotness_table *t = mk(5000, 0.5);
	struct hotness_params p = params(100, 0.25);
	struct hotness_stats st;

	for (uint64_t i = 0; i < 5000; i++)
		rec(t, 1, i * PG, (uint32_t)i + 1, true, 0);
	assert_int_equal(hotness_set_params(t, &p), 0);
	hotness_get_stats(t, &st);
	assert_int_equal(st.size, 100);
	assert_int_equal(st.cap, 100);
	assert_int_equal(st.evictions, 4900);
	/* exactly the 100 hottest survive */
	for (uint64_t i = 0; i < 5000; i++)
		assert_true((hotness_score(t, 1, i * PG, 0) >= 0) == (i >= 4900));
	/* the new decay applies */
	assert_true(hotness_score(t, 1, 4999 * PG, 1000) == 5000.0 / 4);

	/* a bad reload changes nothing */
	p.decay = 2.0;
	assert_int_equal(hotness_set_params(t, &p), -EINVAL);
	assert_true(hotness_score(t, 1, 4999 * PG, 2000) == 5000.0 / 16);

	/* grow again: room for new folios without eviction */
	p = params(3000, 0.5);
	assert_int_equal(hotness_set_params(t, &p), 0);
	for (uint64_t i = 0; i < 2900; i++)
		rec(t, 2, i * PG, 1, true, 2000);
	hotness_get_stats(t, &st);
	assert_int_equal(st.size, 3000);
	assert_int_equal(st.evictions, 4900);
	assert_true(st.bytes > 0);
	hotness_destroy(t);
}

static void test_shrink_uses_decayed_scores(void **state)
{
	struct hotness_table *t = mk(10, 0.5);
	struct hotness_params p = params(1, 0.5);

	rec(t, 1, PG, 100, true, 0);		/* 100 / 2^10 by t = 10 s */
	rec(t, 1, 2 * PG, 1, true, 10000);
	assert_int_equal(hotness_set_params(t, &p), 0);
	assert_true(hotness_score(t, 1, PG, 10000) == -1.0);
	assert_true(hotness_score(t, 1, 2 * PG, 10000) == 1.0);
	hotness_destroy(t);
}

/* xorshift64: the traces below are the same on every run */
static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void assert_same_candidates(struct hotness_table *inc,
				   struct hotness_table *ref, uint64_t now,
				   double min_score, size_t max)
{
	static struct hot_candidate a[512], b[512];
	uint64_t cool_a = 7, cool_b = 8, qual_a = 7, qual_b = 8;
	size_t na, nb;

	assert_true(max <= 512);
	na = hotness_candidates(inc, now, min_score, a, max, &cool_a, &qual_a);
	nb = hotness_candidates_scan(ref, now, min_score, b, max, &cool_b,
				     &qual_b);
	assert_int_equal(na, nb);
	assert_int_equal(cool_a, cool_b);
	assert_int_equal(qual_a, qual_b);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].tgid, b[i].tgid);
		assert_int_equal(a[i].addr, b[i].addr);
		assert_int_equal(a[i].recheck, b[i].recheck);
		assert_true(a[i].score == b[i].score);
	}
}

/*
 * The candidate set against the full scan it replaced: two tables fed the
 * same random trace (records, promotions, re-checks, failures, forgets,
 * exits, ageing, threshold and decay changes, evictions from a small cap)
 * give the same candidates, in the same order, with the same counts.
 * Decays of 0.5 and 0.25 keep every score exact, so equal means equal.
 */
/*
 * Equal scores: the folio that faulted sooner after its re-arm first,
 * unknown latency last, then tgid and address; a higher score still
 * wins whatever its latency.  A tgid past the key's 24 bits is refused.
 */
static void test_equal_scores_by_arm_latency(void **state)
{
	struct hotness_params p = params(64, 0.5);
	struct hotness_table *t;
	struct hot_candidate out[8];
	const struct hot_fault recs[] = {
		{ .addr = 1 * PG, .tgid = 5, .faults = 2, .on_slow = true,
		  .arm_latency = HOTNESS_LATENCY_UNKNOWN },
		{ .addr = 2 * PG, .tgid = 5, .faults = 2, .on_slow = true,
		  .arm_latency = 200 },
		{ .addr = 3 * PG, .tgid = 5, .faults = 2, .on_slow = true,
		  .arm_latency = 10 },
		{ .addr = 4 * PG, .tgid = 4, .faults = 2, .on_slow = true,
		  .arm_latency = 10 },
		{ .addr = 5 * PG, .tgid = HOTNESS_TGID_MAX, .faults = 3,
		  .on_slow = true, .arm_latency = 250 },
	};
	const uint64_t want_addr[] = { 5 * PG, 4 * PG, 3 * PG, 2 * PG, 1 * PG };
	const struct hot_fault bad = { .addr = PG, .tgid = HOTNESS_TGID_MAX + 1,
				       .faults = 1 };
	size_t n;

	assert_int_equal(hotness_create(&p, &t), 0);
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		assert_int_equal(hotness_record_fault(t, &recs[i], 100, NULL), 0);
	for (int pass = 0; pass < 2; pass++) {
		n = pass ? hotness_candidates_scan(t, 100, 1.0, out, 8, NULL, NULL) :
			   hotness_candidates(t, 100, 1.0, out, 8, NULL, NULL);
		assert_int_equal(n, 5);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out[i].addr, want_addr[i]);
		assert_int_equal(out[0].tgid, HOTNESS_TGID_MAX);
		assert_int_equal(out[1].tgid, 4);
		assert_true(out[0].score == 3.0);
	}
	/* a record without latency (hotness_record) forgets the old one */
	rec(t, 5, 3 * PG, 0, true, 100);
	n = hotness_candidates(t, 100, 1.0, out, 8, NULL, NULL);
	assert_int_equal(out[2].addr, 2 * PG);
	assert_int_equal(out[3].addr, 1 * PG);
	assert_int_equal(out[4].addr, 3 * PG);
	assert_int_equal(hotness_record_fault(t, &bad, 100, NULL), -EINVAL);
	assert_int_equal(hotness_record(t, HOTNESS_TGID_MAX + 1, PG, 1, true,
					100, NULL), -EINVAL);
	assert_true(hotness_score(t, HOTNESS_TGID_MAX + 1, PG, 100) < 0);
	hotness_destroy(t);
}

static void test_incremental_matches_scan(void **state)
{
	static const uint32_t caps[] = { 150, 600, 5000 };
	static const double decays[] = { 0.5, 0.25 };
	static const size_t maxes[] = { 0, 1, 7, 64, 512 };
	static const double thresholds[] = { 1.0, 2.0, 3.5 };

	for (unsigned int ci = 0; ci < 3; ci++)
	for (unsigned int di = 0; di < 2; di++) {
		struct hotness_params p = params(caps[ci], decays[di]);
		struct hotness_table *inc = NULL, *ref = NULL;
		uint64_t x = 0x9e3779b97f4a7c15ULL + ci * 31 + di, now = 1000;
		double min_score = 2.0;

		assert_int_equal(hotness_create(&p, &inc), 0);
		assert_int_equal(hotness_create(&p, &ref), 0);
		/* empty, and nothing qualifying yet: no keys to sort */
		assert_same_candidates(inc, ref, now, min_score, 64);
		rec(inc, 9, PG, 1, true, now);
		rec(ref, 9, PG, 1, true, now);
		assert_same_candidates(inc, ref, now, 5.0, 64);
		for (int step = 0; step < 4000; step++) {
			uint64_t r = next_rand(&x);
			uint32_t tgid = 1 + (uint32_t)(r % 3);
			uint64_t addr = ((r >> 8) % 700) * PG;
			unsigned int op = (unsigned int)(r >> 40) % 100;

			now += (r >> 20) % 300;
			if (op < 70) {
				struct hot_fault f = {
					.addr = addr, .tgid = tgid,
					.faults = 1 + (uint32_t)((r >> 50) % 4),
					.on_slow = (r >> 60) & 1,
					/* few values: equal scores tie on it */
					.arm_latency = (uint8_t)((r >> 30) % 4 * 85),
				};

				assert_int_equal(hotness_record_fault(inc, &f, now, NULL), 0);
				assert_int_equal(hotness_record_fault(ref, &f, now, NULL), 0);
			} else if (op < 76) {
				hotness_mark_promoted(inc, tgid, addr, now);
				hotness_mark_promoted(ref, tgid, addr, now);
			} else if (op < 80) {
				hotness_mark_on_fast(inc, tgid, addr, now);
				hotness_mark_on_fast(ref, tgid, addr, now);
			} else if (op < 84) {
				hotness_mark_on_slow(inc, tgid, addr, now);
				hotness_mark_on_slow(ref, tgid, addr, now);
			} else if (op < 88) {
				hotness_mark_failed(inc, tgid, addr, now);
				hotness_mark_failed(ref, tgid, addr, now);
			} else if (op < 91) {
				hotness_forget(inc, tgid, addr);
				hotness_forget(ref, tgid, addr);
			} else if (op < 92) {
				hotness_forget_tgid(inc, tgid);
				hotness_forget_tgid(ref, tgid);
			} else if (op < 96) {
				hotness_age(inc, now, 0.3);
				hotness_age(ref, now, 0.3);
			} else if (op < 98) {
				min_score = thresholds[(r >> 56) % 3];
			} else if (op < 99) {
				p.decay = decays[(r >> 56) & 1];
				assert_int_equal(hotness_set_params(inc, &p), 0);
				assert_int_equal(hotness_set_params(ref, &p), 0);
			}
			assert_same_candidates(inc, ref, now, min_score,
					       maxes[step % 5]);
		}
		assert_int_equal(table_size(inc), table_size(ref));
		hotness_destroy(inc);
		hotness_destroy(ref);
	}
}

/* More qualified than asked for: the top ones, in order (quickselect). */
static void test_incremental_top_of_many(void **state)
{
	struct hotness_table *inc = mk(20000, 0.5), *ref = mk(20000, 0.5);
	uint64_t x = 12345;

	for (int i = 0; i < 20000; i++) {
		uint64_t r = next_rand(&x);
		uint32_t faults = 1 + (uint32_t)(r % 1000);

		rec(inc, 1 + (uint32_t)(r >> 40) % 5, (uint64_t)i * PG, faults,
		    true, 0);
		rec(ref, 1 + (uint32_t)(r >> 40) % 5, (uint64_t)i * PG, faults,
		    true, 0);
	}
	for (size_t max = 1; max <= 512; max = max * 3 + 1)
		assert_same_candidates(inc, ref, 0, 1.0, max);
	hotness_destroy(inc);
	hotness_destroy(ref);
}

/*
 * A big table is aged a slice per call, sized to what was inserted since:
 * cold entries go within a bounded number of calls, the hot and those in
 * cooldown stay.
 */
static void test_age_sweeps_slices(void **state)
{
	const uint32_t n = 40000;
	struct hotness_table *t = mk(n, 0.5);
	int calls = 0;

	for (uint32_t i = 0; i < n; i++)
		rec(t, 1, (uint64_t)i * PG, 1, true, 0);
	rec(t, 2, PG, 1u << 20, true, 0);		/* hot */
	rec(t, 3, PG, 1, true, 0);
	hotness_mark_promoted(t, 3, PG, 9000);		/* cooling */
	/* the first call pays for the inserts: a full sweep */
	hotness_age(t, 10000, 0.05);
	assert_int_equal(table_size(t), 2);
	/* now refill without inserts counted: slices of 4096 */
	hotness_forget_tgid(t, 2);
	hotness_forget_tgid(t, 3);
	for (uint32_t i = 0; i < n; i++)
		rec(t, 1, (uint64_t)i * PG, 1, true, 20000);
	hotness_age(t, 20000, 0.05);	/* takes the insert credit, drops none */
	assert_int_equal(table_size(t), n);
	hotness_age(t, 30000, 0.05);
	assert_int_equal(table_size(t), n - 4096);
	while (table_size(t) > 0 && calls < 20) {
		hotness_age(t, 30000, 0.05);
		calls++;
	}
	assert_int_equal(table_size(t), 0);
	assert_true(calls <= (int)(n / 4096));
	hotness_destroy(t);
}

/*
 * Times are 32-bit inside the table: across 2^32 ms (49 days) and more,
 * decay, cooldowns and the candidate set still work.
 */
static void test_clock_beyond_32_bits(void **state)
{
	struct hotness_table *t = mk(100, 0.5);
	struct hot_candidate c[4];
	const uint64_t day = 86400000ULL;
	uint64_t now = 60 * day;

	rec(t, 1, PG, 16, true, now);
	assert_int_equal(hotness_candidates(t, now, 4.0, c, 4, NULL, NULL), 1);
	hotness_mark_promoted(t, 1, PG, now);
	/* cooldown 5000: over at now + 5000 */
	assert_int_equal(hotness_candidates(t, now + 4999, 4.0, c, 4, NULL, NULL), 0);
	/* five windows: 16 -> 0.5 */
	assert_int_equal(hotness_candidates(t, now + 5000, 0.5, c, 4, NULL, NULL), 1);
	assert_true(hotness_score(t, 1, PG, now + 5000) == 0.5);
	/* 30 days on: the table rebases; the old score is gone, a new one counts */
	now += 30 * day;
	rec(t, 1, 2 * PG, 8, true, now);
	assert_true(hotness_score(t, 1, PG, now) == 0.0);
	assert_true(hotness_score(t, 1, 2 * PG, now + W) == 4.0);
	assert_int_equal(hotness_candidates(t, now + W, 4.0, c, 4, NULL, NULL), 1);
	assert_int_equal(c[0].addr, 2 * PG);
	/* and again, 100 days on, in small steps and in one jump */
	for (int i = 0; i < 100; i++) {
		now += day;
		rec(t, 1, 2 * PG, 8, true, now);
	}
	assert_true(hotness_score(t, 1, 2 * PG, now) == 8.0);
	now += 400 * day;
	assert_true(hotness_score(t, 1, 2 * PG, now) == 0.0);
	hotness_destroy(t);
}

/* Issue 13's memory target: at most 48 bytes per tracked folio. */
static void test_bytes_per_folio(void **state)
{
	const uint32_t n = 200000;
	struct hotness_table *t = mk(n, 0.5);
	struct hotness_stats st;

	for (uint32_t i = 0; i < n; i++)
		rec(t, 1 + i % 4, (uint64_t)i * PG, 1, true, 0);
	hotness_get_stats(t, &st);
	assert_int_equal(st.size, n);
	assert_true(st.bytes <= 48ULL * n);
	hotness_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_rejected),
		cmocka_unit_test(test_decay_exact),
		cmocka_unit_test(test_decay_non_dyadic),
		cmocka_unit_test(test_candidates_threshold_order),
		cmocka_unit_test(test_cooldown),
		cmocka_unit_test(test_recheck_ranks_after_slow),
		cmocka_unit_test(test_pingpong_backoff),
		cmocka_unit_test(test_failure_backoff),
		cmocka_unit_test(test_backoff_capped),
		cmocka_unit_test(test_eviction_hot_survive),
		cmocka_unit_test(test_eviction_prefers_decayed),
		cmocka_unit_test(test_cap_one),
		cmocka_unit_test(test_many_insert_forget),
		cmocka_unit_test(test_forget_tgid_and_summary),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_set_params_shrink_grow),
		cmocka_unit_test(test_shrink_uses_decayed_scores),
		cmocka_unit_test(test_equal_scores_by_arm_latency),
		cmocka_unit_test(test_incremental_matches_scan),
		cmocka_unit_test(test_incremental_top_of_many),
		cmocka_unit_test(test_age_sweeps_slices),
		cmocka_unit_test(test_clock_beyond_32_bits),
		cmocka_unit_test(test_bytes_per_folio),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
