// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the promotion policy (daemon/policy.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/policy.h"

#define PAGE 4096ULL

/* ---- token bucket ---- */

static void test_bucket_burst_and_refill(void **state)
{
	struct token_bucket tb;

	/* 1024 bytes/ms (one page per 4 ms), burst 2 pages */
	token_bucket_init(&tb, 1024000, 2 * PAGE, 1000);
	assert_int_equal(token_bucket_take(&tb, 1000, PAGE, 5), 2);
	assert_int_equal(token_bucket_take(&tb, 1000, PAGE, 5), 0);
	/* 3 ms refill 3/4 of a page: not a whole unit yet */
	assert_int_equal(token_bucket_take(&tb, 1003, PAGE, 5), 0);
	assert_int_equal(token_bucket_take(&tb, 1004, PAGE, 5), 1);
	/* a long idle never refills past the burst */
	assert_int_equal(token_bucket_take(&tb, 100000, PAGE, 5), 2);
	/* want fewer than available: only what was asked */
	assert_int_equal(token_bucket_take(&tb, 101000, PAGE, 1), 1);
	assert_int_equal(token_bucket_take(&tb, 101000, PAGE, 5), 1);
	/* time stepping back neither mints nor burns */
	assert_int_equal(token_bucket_take(&tb, 50000, PAGE, 5), 0);
	assert_int_equal(token_bucket_take(&tb, 101004, PAGE, 5), 1);
}

static void test_bucket_whole_units(void **state)
{
	struct token_bucket tb;

	/* burst 10000 bytes grants two 4096-byte units, keeps the 1808 rest */
	token_bucket_init(&tb, 1000, 10000, 0);
	assert_int_equal(token_bucket_take(&tb, 0, PAGE, 3), 2);
	assert_true(tb.tokens == 10000.0 - 2 * 4096.0);
	/* 1808 + 2288 ms * 1 byte/ms = 4096 */
	assert_int_equal(token_bucket_take(&tb, 2287, PAGE, 3), 0);
	assert_int_equal(token_bucket_take(&tb, 2288, PAGE, 3), 1);
}

static void test_bucket_unlimited(void **state)
{
	struct token_bucket tb;

	token_bucket_init(&tb, 0, 0, 0);
	assert_int_equal(token_bucket_take(&tb, 0, PAGE, 1000000), 1000000);
	assert_int_equal(token_bucket_take(&tb, 0, PAGE, 1000000), 1000000);
	token_bucket_refund(&tb, PAGE);
	assert_int_equal(token_bucket_take(&tb, 1, 2 << 20, 7), 7);
}

static void test_bucket_refund(void **state)
{
	struct token_bucket tb;

	token_bucket_init(&tb, PAGE, 4 * PAGE, 0);
	assert_int_equal(token_bucket_take(&tb, 0, PAGE, 4), 4);
	token_bucket_refund(&tb, 3 * PAGE);
	assert_int_equal(token_bucket_take(&tb, 0, PAGE, 4), 3);
	/* refunds are capped at the burst too */
	token_bucket_refund(&tb, 100 * PAGE);
	assert_int_equal(token_bucket_take(&tb, 0, PAGE, 100), 4);
}

/* ---- scope ---- */

static struct tierd_config empty_cfg(void)
{
	struct tierd_config c;

	memset(&c, 0, sizeof(c));
	return c;
}

static bool in_scope(const struct tierd_config *c, pid_t pid, const char *comm,
		     const char *cg)
{
	struct scope_proc p = { .pid = pid, .comm = comm, .cgroup = cg };

	return scope_match(c, &p);
}

static void test_scope_empty_include_all(void **state)
{
	struct tierd_config c = empty_cfg();

	assert_true(in_scope(&c, 1, "init", "/"));
	assert_true(in_scope(&c, 42, NULL, NULL));
}

static void test_scope_pids_comms(void **state)
{
	struct tierd_config c = empty_cfg();

	c.include.nr_pids = 2;
	c.include.pids[0] = 100;
	c.include.pids[1] = 200;
	c.include.nr_comms = 1;
	strcpy(c.include.comms[0], "postgres");

	assert_true(in_scope(&c, 100, "bash", "/"));
	assert_true(in_scope(&c, 200, NULL, NULL));
	assert_true(in_scope(&c, 7, "postgres", "/"));
	assert_false(in_scope(&c, 7, "postgre", "/"));
	assert_false(in_scope(&c, 7, "postgres2", "/"));
	assert_false(in_scope(&c, 7, NULL, "/"));
	/* entries past nr are not rules */
	c.include.pids[2] = 300;
	assert_false(in_scope(&c, 300, "x", "/"));
}

static void test_scope_cgroup_prefix(void **state)
{
	struct tierd_config c = empty_cfg();

	c.include.nr_cgroups = 2;
	strcpy(c.include.cgroups[0], "/a");
	strcpy(c.include.cgroups[1], "/sys.slice/db.service/");

	assert_true(in_scope(&c, 1, "x", "/a"));
	assert_true(in_scope(&c, 1, "x", "/a/b"));
	assert_true(in_scope(&c, 1, "x", "/a/b/c"));
	assert_false(in_scope(&c, 1, "x", "/ab"));
	assert_false(in_scope(&c, 1, "x", "/"));
	assert_false(in_scope(&c, 1, "x", "/b/a"));
	assert_false(in_scope(&c, 1, "x", NULL));
	/* trailing slash on the rule is not part of the name */
	assert_true(in_scope(&c, 1, "x", "/sys.slice/db.service"));
	assert_true(in_scope(&c, 1, "x", "/sys.slice/db.service/worker"));
	assert_false(in_scope(&c, 1, "x", "/sys.slice/db.service2"));
	assert_false(in_scope(&c, 1, "x", "/sys.slice"));

	/* the root rule covers everything */
	strcpy(c.include.cgroups[0], "/");
	assert_true(in_scope(&c, 1, "x", "/"));
	assert_true(in_scope(&c, 1, "x", "/anything/below"));
}

static void test_scope_exclude_wins(void **state)
{
	struct tierd_config c = empty_cfg();

	c.include.nr_cgroups = 1;
	strcpy(c.include.cgroups[0], "/app");
	c.exclude.nr_cgroups = 1;
	strcpy(c.exclude.cgroups[0], "/app/batch");
	c.exclude.nr_comms = 1;
	strcpy(c.exclude.comms[0], "backup");
	c.exclude.nr_pids = 1;
	c.exclude.pids[0] = 66;

	assert_true(in_scope(&c, 1, "svc", "/app/web"));
	assert_false(in_scope(&c, 1, "svc", "/app/batch"));
	assert_false(in_scope(&c, 1, "svc", "/app/batch/job1"));
	assert_true(in_scope(&c, 1, "svc", "/app/batchy"));
	assert_false(in_scope(&c, 1, "backup", "/app/web"));
	assert_false(in_scope(&c, 66, "svc", "/app/web"));

	/* exclude with an empty include: everything else is in */
	c.include.nr_cgroups = 0;
	assert_true(in_scope(&c, 1, "svc", "/other"));
	assert_false(in_scope(&c, 66, "svc", "/other"));
	c.include.nr_pids = 1;
	c.include.pids[0] = 66;
	assert_false(in_scope(&c, 66, "svc", "/other"));
}

/* ---- planning ---- */

static struct hot_candidate cands[64];

static struct policy_input input(size_t n, uint64_t free_b, uint64_t min_b,
				 uint32_t batch)
{
	return (struct policy_input) {
		.cand = cands,
		.nr_cand = n,
		.page_bytes = PAGE,
		.fast_free_bytes = free_b,
		.min_free_bytes = min_b,
		.batch_pages = batch,
		.now_ms = 0,
	};
}

static void fill_cands(size_t n, const uint32_t *tgids)
{
	for (size_t i = 0; i < n; i++) {
		cands[i].tgid = tgids ? tgids[i] : 1;
		cands[i].addr = (i + 1) * PAGE;
		cands[i].score = 1000.0 - (double)i;
	}
}

static void test_plan_headroom_boundary(void **state)
{
	struct token_bucket tb;
	struct promo_plan plan;
	struct policy_input in;

	promo_plan_init(&plan);
	token_bucket_init(&tb, 0, 0, 0);
	fill_cands(10, NULL);

	/* exactly 3 pages above min_free: 3 fit, the 4th would dip under */
	in = input(10, 100 * PAGE + 3 * PAGE, 100 * PAGE, 64);
	assert_int_equal(policy_plan(&in, &tb, &plan), 0);
	assert_int_equal(plan.nr_pages, 3);
	assert_int_equal(plan.bytes, 3 * PAGE);
	assert_int_equal(plan.headroom_blocked, 7);
	assert_int_equal(plan.rate_limited, 0);
	assert_true(in.fast_free_bytes - plan.bytes >= in.min_free_bytes);

	/* one byte short of the third page */
	in.fast_free_bytes -= 1;
	assert_int_equal(policy_plan(&in, &tb, &plan), 0);
	assert_int_equal(plan.nr_pages, 2);
	assert_int_equal(plan.headroom_blocked, 8);

	/* already under the headroom: nothing */
	in.fast_free_bytes = 50 * PAGE;
	assert_int_equal(policy_plan(&in, &tb, &plan), 0);
	assert_int_equal(plan.nr_pages, 0);
	assert_int_equal(plan.nr_batches, 0);
	assert_int_equal(plan.headroom_blocked, 10);

	/* plenty of room: all of them, nothing held back */
	in.fast_free_bytes = 1000 * PAGE;
	assert_int_equal(policy_plan(&in, &tb, &plan), 0);
	assert_int_equal(plan.nr_pages, 10);
	assert_int_equal(plan.headroom_blocked, 0);
	promo_plan_free(&plan);
}

static void test_plan_rate_limited(void **state)
{
	struct token_bucket tb;
	struct promo_plan plan;
	struct policy_input in;

	promo_plan_init(&plan);
	fill_cands(10, NULL);
	token_bucket_init(&tb, 1024000, 4 * PAGE, 0);	/* a page per 4 ms */
	in = input(10, 1000 * PAGE, 0, 64);
	assert_int_equal(policy_plan(&in, &tb, &plan), 0);
	assert_int_equal(plan.nr_pages, 4);
	assert_int_equal(plan.rate_limited, 6);
	assert_int_equal(plan.headroom_blocked, 0);
	/* the hottest four */
	for (int i = 0; i < 4; i++)
		assert_true(plan.batches[0].addrs[i] == cands[i].addr);

	/* dry bucket: all rate limited */
	assert_int_equal(policy_plan(&in, &tb, &plan), 0);
	assert_int_equal(plan.nr_pages, 0);
	assert_int_equal(plan.rate_limited, 10);

	/* 8 ms later two pages, and headroom for only one: headroom stops it */
	in.now_ms = 8;
	in.fast_free_bytes = PAGE;
	assert_int_equal(policy_plan(&in, &tb, &plan), 0);
	assert_int_equal(plan.nr_pages, 1);
	assert_int_equal(plan.headroom_blocked, 9);
	assert_int_equal(plan.rate_limited, 0);
	/* the bucket kept the token headroom did not use */
	assert_int_equal(token_bucket_take(&tb, 8, PAGE, 5), 1);
	promo_plan_free(&plan);
}

static void test_plan_batches_grouping(void **state)
{
	/* pids interleaved: 7 first seen, then 3, then 9 */
	static const uint32_t tg[11] = { 7, 3, 7, 7, 9, 3, 7, 7, 3, 7, 9 };
	struct token_bucket tb;
	struct promo_plan plan;
	struct policy_input in;
	static const struct { pid_t pid; uint32_t nr; uint32_t first; } want[] = {
		{ 7, 3, 0 }, { 7, 3, 6 }, { 3, 3, 1 }, { 9, 2, 4 },
	};
	uint64_t total = 0;

	promo_plan_init(&plan);
	token_bucket_init(&tb, 0, 0, 0);
	fill_cands(11, tg);
	in = input(11, 1000 * PAGE, 0, 3);
	assert_int_equal(policy_plan(&in, &tb, &plan), 0);
	assert_int_equal(plan.nr_pages, 11);
	assert_int_equal(plan.nr_batches, 4);
	for (uint32_t b = 0; b < plan.nr_batches; b++) {
		assert_int_equal(plan.batches[b].pid, want[b].pid);
		assert_int_equal(plan.batches[b].nr, want[b].nr);
		assert_true(plan.batches[b].addrs[0] == cands[want[b].first].addr);
		total += plan.batches[b].nr;
	}
	assert_int_equal(total, 11);
	/* pid 7's pages in hotness order across its two batches */
	static const int order7[] = { 0, 2, 3, 6, 7, 9 };
	for (int i = 0; i < 6; i++)
		assert_true(plan.batches[i / 3].addrs[i % 3] ==
			    cands[order7[i]].addr);
	/* pid 9's second page */
	assert_true(plan.batches[3].addrs[1] == cands[10].addr);

	/* reuse the plan with batch size 1: one batch per page */
	in.batch_pages = 1;
	assert_int_equal(policy_plan(&in, &tb, &plan), 0);
	assert_int_equal(plan.nr_batches, 11);
	for (uint32_t b = 0; b < plan.nr_batches; b++)
		assert_int_equal(plan.batches[b].nr, 1);
	/* and again with a smaller set: old contents do not leak through */
	in.nr_cand = 2;
	in.batch_pages = 64;
	assert_int_equal(policy_plan(&in, &tb, &plan), 0);
	assert_int_equal(plan.nr_batches, 2);
	assert_int_equal(plan.batches[0].pid, 7);
	assert_int_equal(plan.batches[1].pid, 3);
	promo_plan_free(&plan);
	assert_null(plan.batches);
	assert_null(plan.addr_store);
}

static void test_plan_bad_input(void **state)
{
	struct token_bucket tb;
	struct promo_plan plan;
	struct policy_input in;

	promo_plan_init(&plan);
	token_bucket_init(&tb, 0, 0, 0);
	fill_cands(4, NULL);
	in = input(4, 1000 * PAGE, 0, 0);
	assert_int_equal(policy_plan(&in, &tb, &plan), -EINVAL);
	in = input(4, 1000 * PAGE, 0, 8);
	in.page_bytes = 0;
	assert_int_equal(policy_plan(&in, &tb, &plan), -EINVAL);
	/* no candidates: empty plan */
	in = input(0, 1000 * PAGE, 0, 8);
	assert_int_equal(policy_plan(&in, &tb, &plan), 0);
	assert_int_equal(plan.nr_batches, 0);
	assert_int_equal(plan.nr_pages, 0);
	promo_plan_free(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_burst_and_refill),
		cmocka_unit_test(test_bucket_whole_units),
		cmocka_unit_test(test_bucket_unlimited),
		cmocka_unit_test(test_bucket_refund),
		cmocka_unit_test(test_scope_empty_include_all),
		cmocka_unit_test(test_scope_pids_comms),
		cmocka_unit_test(test_scope_cgroup_prefix),
		cmocka_unit_test(test_scope_exclude_wins),
		cmocka_unit_test(test_plan_headroom_boundary),
		cmocka_unit_test(test_plan_rate_limited),
		cmocka_unit_test(test_plan_batches_grouping),
		cmocka_unit_test(test_plan_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
