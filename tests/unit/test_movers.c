// SPDX-License-Identifier: GPL-2.0
/* movers_decide(): other movers and [promotion] take_over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/movers.h"

static void test_nobody(void **state)
{
	struct movers_seen s = { .nb_known = true, .nb_mode = 0,
				 .nb_rate_mbps = 65536 };
	struct movers_verdict v;

	movers_decide(&s, false, &v);
	assert_true(v.promote);
	assert_false(v.any);
	assert_int_equal(v.set_nb_mode, -1);
	assert_int_equal(v.set_nb_rate_mbps, -1);
	assert_string_equal(v.why, "");

	/* tiering mode without kernel promotion (what numa_hint sets) */
	s.nb_mode = 2;
	s.nb_rate_mbps = 0;
	movers_decide(&s, false, &v);
	assert_true(v.promote);
	assert_false(v.any);
}

/* Kernel tiering with a rate: refused, and nothing is changed. */
static void test_kernel_tiering_refused(void **state)
{
	struct movers_seen s = { .nb_known = true, .nb_mode = 2,
				 .nb_rate_mbps = 65536 };
	struct movers_verdict v;

	movers_decide(&s, false, &v);
	assert_false(v.promote);
	assert_true(v.any);
	assert_int_equal(v.set_nb_mode, -1);
	assert_int_equal(v.set_nb_rate_mbps, -1);
	assert_string_equal(v.why,
		"the kernel promotes itself (kernel.numa_balancing = 2, numa_balancing_promote_rate_limit_MBps = 65536); tierd observes and does not promote ([promotion] take_over = yes to promote anyway)");
}

/* take_over: promote, and turn the kernel's promotion off. */
static void test_kernel_tiering_taken_over(void **state)
{
	struct movers_seen s = { .nb_known = true, .nb_mode = 3,
				 .nb_rate_mbps = 100 };
	struct movers_verdict v;

	movers_decide(&s, true, &v);
	assert_true(v.promote);
	assert_true(v.any);
	assert_int_equal(v.set_nb_mode, 2);		/* locality off */
	assert_int_equal(v.set_nb_rate_mbps, 0);
	assert_non_null(strstr(v.why, "locality (kernel.numa_balancing = 3)"));
	assert_non_null(strstr(v.why, "take_over = yes"));
}

/* DAMON schemes and another tierd: never touched, only reported. */
static void test_foreign_movers(void **state)
{
	struct movers_seen s = { .damos_migrate = 2, .other_tierd = 4711 };
	struct movers_verdict v;

	strcpy(s.damos_first, "kdamond 0: migrate_hot");
	movers_decide(&s, false, &v);
	assert_false(v.promote);
	assert_string_equal(v.why,
		"2 DAMON migrate schemes tierd did not create (kdamond 0: migrate_hot); another tierd runs (pid 4711); tierd observes and does not promote ([promotion] take_over = yes to promote anyway)");
	movers_decide(&s, true, &v);
	assert_true(v.promote);
	assert_int_equal(v.set_nb_mode, -1);
	assert_int_equal(v.set_nb_rate_mbps, -1);
}

/* NUMA balancing unknown (no sysctl): not a mover. */
static void test_unknown(void **state)
{
	struct movers_seen s = { .nb_known = false, .nb_mode = 1 };
	struct movers_verdict v;

	movers_decide(&s, false, &v);
	assert_true(v.promote);
	assert_false(v.any);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nobody),
		cmocka_unit_test(test_kernel_tiering_refused),
		cmocka_unit_test(test_kernel_tiering_taken_over),
		cmocka_unit_test(test_foreign_movers),
		cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
