// SPDX-License-Identifier: GPL-2.0
/*
 * The pure pieces of the uffd source: range sets (what it scans) and the
 * window rule (when a scanned access makes a record).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/ranges.h"
#include "core/window.h"

#define P 4096ULL

static void expect_ranges(const struct range_set *s, size_t n,
			  const uint64_t *pairs)
{
	assert_int_equal(s->n, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(s->r[i].start, pairs[2 * i]);
		assert_int_equal(s->r[i].end, pairs[2 * i + 1]);
	}
}

static void test_add_merges(void **state)
{
	struct range_set s;

	range_set_init(&s);
	assert_int_equal(range_set_add(&s, 10 * P, 12 * P), 0);
	assert_int_equal(range_set_add(&s, 12 * P, 13 * P), 0);   /* touches */
	assert_int_equal(range_set_add(&s, 20 * P, 21 * P), 0);
	assert_int_equal(range_set_add(&s, 2 * P, 3 * P), 0);     /* before */
	expect_ranges(&s, 3, (uint64_t[]){ 2 * P, 3 * P, 10 * P, 13 * P,
					   20 * P, 21 * P });
	/* bridges the last two */
	assert_int_equal(range_set_add(&s, 11 * P, 20 * P), 0);
	expect_ranges(&s, 2, (uint64_t[]){ 2 * P, 3 * P, 10 * P, 21 * P });
	assert_int_equal(range_set_add(&s, 5 * P, 5 * P), -EINVAL);
	assert_int_equal(range_set_bytes(&s), 12 * P);
	assert_true(range_set_covers(&s, 10 * P, 21 * P));
	assert_false(range_set_covers(&s, 2 * P, 11 * P));
	assert_true(range_set_contains(&s, 2 * P));
	assert_false(range_set_contains(&s, 3 * P));
	range_set_free(&s);
}

static void test_subtract(void **state)
{
	struct range_set a, b, out;

	range_set_init(&a);
	range_set_init(&b);
	range_set_init(&out);
	range_set_add(&a, 0, 10 * P);
	range_set_add(&a, 20 * P, 30 * P);
	range_set_add(&b, 2 * P, 3 * P);
	range_set_add(&b, 9 * P, 22 * P);
	range_set_add(&b, 29 * P, 40 * P);
	assert_int_equal(range_set_subtract(&a, &b, &out), 0);
	expect_ranges(&out, 3, (uint64_t[]){ 0, 2 * P, 3 * P, 9 * P,
					     22 * P, 29 * P });
	/* nothing taken away, and everything */
	assert_int_equal(range_set_subtract(&b, &(struct range_set){ 0 },
					    &out), 0);
	expect_ranges(&out, 3, (uint64_t[]){ 2 * P, 3 * P, 9 * P, 22 * P,
					     29 * P, 40 * P });
	assert_int_equal(range_set_subtract(&b, &b, &out), 0);
	assert_int_equal(out.n, 0);
	range_set_free(&a);
	range_set_free(&b);
	range_set_free(&out);
}

/* move_pages statuses: runs on slow node 1, holes and fast pages split */
static void test_runs_from_status(void **state)
{
	int st[] = { 1, 1, 0, 1, -ENOENT, 1, 1, 1, 0, 2 };
	struct range_set s;

	range_set_init(&s);
	assert_int_equal(range_set_add_runs(&s, 100 * P, P, st, 10, 0x6), 0);
	expect_ranges(&s, 4, (uint64_t[]){ 100 * P, 102 * P, 103 * P, 104 * P,
					   105 * P, 108 * P, 109 * P, 110 * P });
	range_set_free(&s);
}

static void test_window_threshold_once(void **state)
{
	struct window_table *t;
	struct window_verdict v;

	/* one record per window: the rule before reports_per_window */
	assert_int_equal(window_create(100, 1000, 2, 1, &t), 0);
	assert_int_equal(window_add(t, 7, 0x1000, 1, 1, 10, &v), 0);
	assert_false(v.record);
	assert_int_equal(window_add(t, 7, 0x1000, 1, 1, 200, &v), 0);
	assert_true(v.record);
	assert_int_equal(v.faults, 2);
	assert_int_equal(v.writes, 2);
	/* once per window */
	assert_int_equal(window_add(t, 7, 0x1000, 1, 0, 400, &v), 0);
	assert_false(v.record);
	assert_int_equal(window_add(t, 7, 0x1000, 5, 0, 500, &v), 0);
	assert_false(v.record);
	/* another tgid, same address: its own count */
	assert_int_equal(window_add(t, 8, 0x1000, 2, 0, 400, &v), 0);
	assert_true(v.record);
	assert_int_equal(v.faults, 2);
	/* the window restarts */
	assert_int_equal(window_add(t, 7, 0x1000, 1, 0, 1010, &v), 0);
	assert_false(v.record);
	assert_int_equal(window_resets(t), 1);
	assert_int_equal(window_add(t, 7, 0x1000, 1, 0, 1011, &v), 0);
	assert_true(v.record);
	assert_int_equal(v.faults, 2);
	window_forget_tgid(t, 7);
	assert_int_equal(window_add(t, 7, 0x1000, 1, 0, 1020, &v), 0);
	assert_false(v.record);
	window_destroy(t);
}

/*
 * Records at threshold x 1, 2, 4, 8 with the accesses since the previous
 * one, so the sum of a window's records is its count at the last mark;
 * an add that passes several marks sends one record and spends them.
 */
static void test_window_doubling_marks(void **state)
{
	static const uint32_t marks[] = { 3, 6, 12, 24 };
	struct window_table *t;
	struct window_verdict v;
	uint32_t sum = 0, nrec = 0, writes = 0, m = 0;

	assert_int_equal(window_create(100, 1000, 3, 4, &t), 0);
	for (uint32_t i = 1; i <= 60; i++) {
		/* every other access a write */
		assert_int_equal(window_add(t, 7, 0x2000, 1, i & 1, i, &v), 0);
		if (m < 4 && i == marks[m]) {
			assert_true(v.record);
			assert_int_equal(v.faults, m ? marks[m] - marks[m - 1] :
						       marks[0]);
			sum += v.faults;
			writes += v.writes;
			nrec++;
			m++;
		} else {
			assert_false(v.record);
		}
	}
	assert_int_equal(nrec, 4);
	assert_int_equal(sum, 24);
	assert_int_equal(writes, 12);

	/* a 10-page granule: passes 3 and 6 at once, then 12 */
	assert_int_equal(window_add(t, 9, 0x200000, 10, 10, 5, &v), 0);
	assert_true(v.record);
	assert_int_equal(v.faults, 10);
	assert_int_equal(v.writes, 10);
	assert_int_equal(window_add(t, 9, 0x200000, 1, 0, 6, &v), 0);
	assert_false(v.record);
	assert_int_equal(window_add(t, 9, 0x200000, 1, 0, 7, &v), 0);
	assert_true(v.record);
	assert_int_equal(v.faults, 2);
	assert_int_equal(v.writes, 0);

	/* a reload to one report a window: the folio at 12 sent its last */
	window_set(t, 1000, 3, 1);
	assert_int_equal(window_add(t, 9, 0x200000, 20, 0, 8, &v), 0);
	assert_false(v.record);
	/* out-of-range report counts are clamped, never zero */
	window_set(t, 1000, 3, 0);
	assert_int_equal(window_add(t, 10, 0x1000, 3, 0, 9, &v), 0);
	assert_true(v.record);
	window_destroy(t);
}

/* A full table drops and counts; expired slots are reused. */
static void test_window_full_and_reuse(void **state)
{
	struct window_table *t;
	struct window_verdict v;
	int full = 0;

	assert_int_equal(window_create(64, 1000, 1, 4, &t), 0);
	for (uint64_t i = 0; i < 200; i++)
		if (window_add(t, 1, i * P, 1, 0, 5, &v) == -ENOSPC)
			full++;
	assert_true(full >= 200 - 64);
	assert_int_equal(window_full(t), (uint64_t)full);
	/*
	 * A window later every slot is free again: any probe of 32 slots
	 * still has one free after fewer than 32 inserts.
	 */
	for (uint64_t i = 0; i < 31; i++) {
		assert_int_equal(window_add(t, 2, i * P, 1, 0, 2000, &v), 0);
		assert_true(v.record);
	}
	assert_int_equal(window_full(t), (uint64_t)full);
	window_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_merges),
		cmocka_unit_test(test_subtract),
		cmocka_unit_test(test_runs_from_status),
		cmocka_unit_test(test_window_threshold_once),
		cmocka_unit_test(test_window_doubling_marks),
		cmocka_unit_test(test_window_full_and_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
