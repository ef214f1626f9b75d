// SPDX-License-Identifier: GPL-2.0
/*
 * tierctl top without a terminal: the stats JSON the daemon renders parses
 * back to the same counters, rates come from deltas (and only then), the
 * screen fits the terminal or says it is too small, the JSON snapshot is
 * valid.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stats/stats_render.h"
#include "tierctl/stats_parse.h"
#include "tierctl/top_view.h"

#include "json_check.h"

static char buf[256 * 1024];

static void fill(struct tierd_stats *st, uint64_t k)
{
	memset(st, 0, sizeof(*st));
	st->uptime_ms = 10000 + k * 1000;
	st->promoted_pages = 100 * k;
	st->rate_limited = 7 * k;
	st->tracked_pids = 2;
	st->src[TIERD_SRC_NUMA_HINT].active = true;
	snprintf(st->src[TIERD_SRC_NUMA_HINT].state,
		 sizeof(st->src[0].state), "active (numa_balancing=2)");
	st->src[TIERD_SRC_NUMA_HINT].records = 50 * k;
	st->nr_nodes = 2;
	st->node[0] = (struct tierd_node_stats){ .present = true, .fast = true,
		.total_bytes = 1ULL << 30, .free_bytes = 512ULL << 20,
		.promoted_to_pages = 100 * k };
	st->node[1] = (struct tierd_node_stats){ .present = true, .slow = true,
		.total_bytes = 1ULL << 30, .free_bytes = 900ULL << 20,
		.promoted_from_pages = 100 * k };
	st->nr_pids = 2;
	st->pid[0] = (struct tierd_pid_stats){ .pid = 4711, .records = 40 * k,
		.faults = 400, .folios_tracked = 90, .folios_hot = 2048,
		.promoted_pages = 100 * k, .slow_pages = 16384 - 100 * k,
		.fast_pages = 100 * k, .skipped_rate = 3 * k,
		.skipped_headroom = 1 };
	snprintf(st->pid[0].comm, sizeof(st->pid[0].comm), "e2e-workload");
	/* a process that is new in the second sample gets no rate */
	st->pid[1] = (struct tierd_pid_stats){ .pid = 4712 + (int32_t)k,
		.records = 5 };
	memcpy(st->pid[1].comm, "ev\"il\n\x01", 8);
}

/* Render @st as the daemon does, parse it as tierctl does. */
static void roundtrip(const struct tierd_stats *st, struct top_sample *s,
		      uint64_t t_ms)
{
	struct strbuf sb;
	char err[256];

	sb_init(&sb, buf, sizeof(buf));
	stats_render_json(st, &sb);
	assert_int_equal(sb.err, 0);
	if (stats_parse_json(buf, &s->st, err, sizeof(err)) < 0)
		fail_msg("parse: %s\n%s", err, buf);
	s->t_ms = t_ms;
}

static void test_parse_roundtrip(void **state)
{
	struct tierd_stats *st = calloc(1, sizeof(*st));
	struct top_sample *s = calloc(1, sizeof(*s));

	fill(st, 3);
	st->move_status[TIERD_MOVE_EBUSY] = 9;
	st->pid[0].kernel_promoted = 12;
	st->node[1].vmstat_present = 1U << TIERD_NODE_VMSTAT_pgpromote_fence;
	st->node[1].pgpromote_fence = 77;
	st->pid[0].records = UINT64_MAX;	/* above INT64_MAX */
	roundtrip(st, s, 0);
	assert_int_equal(s->st.uptime_ms, 13000);
	assert_int_equal(s->st.promoted_pages, 300);
	assert_int_equal(s->st.rate_limited, 21);
	assert_int_equal(s->st.move_status[TIERD_MOVE_EBUSY], 9);
	assert_true(s->st.src[TIERD_SRC_NUMA_HINT].active);
	assert_string_equal(s->st.src[TIERD_SRC_NUMA_HINT].state,
			    "active (numa_balancing=2)");
	assert_int_equal(s->st.src[TIERD_SRC_NUMA_HINT].records, 150);
	assert_int_equal(s->st.nr_nodes, 2);
	assert_true(s->st.node[1].slow && s->st.node[1].present);
	assert_int_equal(s->st.node[1].promoted_from_pages, 300);
	assert_int_equal(s->st.node[0].free_bytes, 512ULL << 20);
	/* a kernel counter the node has comes back, one it lacks stays out */
	assert_int_equal(s->st.node[1].pgpromote_fence, 77);
	assert_int_equal(s->st.node[1].vmstat_present,
			 1U << TIERD_NODE_VMSTAT_pgpromote_fence);
	assert_int_equal(s->st.node[0].vmstat_present, 0);
	assert_int_equal(s->st.pid[0].kernel_promoted, 12);
	assert_int_equal(s->st.nr_pids, 2);
	assert_int_equal(s->st.pid[0].pid, 4711);
	assert_string_equal(s->st.pid[0].comm, "e2e-workload");
	assert_true(s->st.pid[0].records == UINT64_MAX);
	assert_int_equal(s->st.pid[0].slow_pages, 16384 - 300);
	assert_int_equal(s->st.pid[0].skipped_rate, 9);
	/* the JSON escapes came back as the bytes they stand for */
	assert_memory_equal(s->st.pid[1].comm, "ev\"il\n\x01", 8);
	free(st);
	free(s);
}

static void test_parse_rejects(void **state)
{
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "not json", "not JSON" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"uptime_ms\":\"x\"}", "uptime_ms: not an integer" },
		{ "{\"policy\":{\"candidates\":-1}}", "policy.candidates: negative" },
		{ "{\"pids\":[{\"pid\":0}]}", "pids[0].pid: missing" },
		{ "{\"pids\":[{\"pid\":1,\"records\":true}]}",
		  "pids[0].records: not an integer" },
		{ "{\"nodes\":[{\"id\":64}]}", "nodes[0].id: missing or not" },
		{ "{\"nodes\":{}}", "nodes: not an array" },
		{ "{\"sources\":{\"soft_dirty\":{\"active\":1}}}",
		  "sources.soft_dirty.active: not a boolean" },
	};
	struct tierd_stats *st = calloc(1, sizeof(*st));
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(stats_parse_json(bad[i].json, st, err,
						  sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].why))
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].json,
				 err, bad[i].why);
	}
	/* unknown members (a newer tierd) are no error */
	assert_int_equal(stats_parse_json("{\"uptime_ms\":5,\"new\":[{}]}", st,
					  err, sizeof(err)), 0);
	assert_int_equal(st->uptime_ms, 5);
	free(st);
}

static void test_rates(void **state)
{
	struct tierd_stats *st = calloc(1, sizeof(*st));
	struct top_sample *s = calloc(2, sizeof(*s));
	struct top_view v;

	fill(st, 1);
	roundtrip(st, &s[0], 1000);
	fill(st, 3);
	roundtrip(st, &s[1], 3000);	/* 2 s later */

	top_view_compute(NULL, &s[1], &v);
	assert_false(v.promoted.known);
	assert_false(v.pid[0].promoted.known);

	top_view_compute(&s[0], &s[1], &v);
	assert_int_equal(v.interval_ms, 2000);
	assert_true(v.promoted.known);
	assert_true(v.promoted.per_s == 100.0);
	assert_true(v.node_in[0].per_s == 100.0);
	assert_true(v.node_out[1].per_s == 100.0);
	assert_true(v.src_records[TIERD_SRC_NUMA_HINT].per_s == 50.0);
	assert_true(v.pid[0].promoted.known);
	assert_true(v.pid[0].promoted.per_s == 100.0);
	assert_true(v.pid[0].skipped_rate.per_s == 3.0);
	assert_true(v.pid[0].records.per_s == 40.0);
	assert_false(v.pid[1].promoted.known);	/* not in the first sample */

	/* tierd restarted in between: no rate is made up */
	s[1].st.uptime_ms = 100;
	top_view_compute(&s[0], &s[1], &v);
	assert_false(v.promoted.known);
	assert_false(v.pid[0].promoted.known);
	free(st);
	free(s);
}

static unsigned int count_lines(const char *s, size_t *longest)
{
	unsigned int n = 0;

	*longest = 0;
	while (*s) {
		const char *nl = strchr(s, '\n');

		assert_non_null(nl);
		if ((size_t)(nl - s) > *longest)
			*longest = (size_t)(nl - s);
		for (const char *c = s; c < nl; c++)
			assert_true(*c >= 0x20 && *c < 0x7f);
		s = nl + 1;
		n++;
	}
	return n;
}

static void test_screen(void **state)
{
	struct tierd_stats *st = calloc(1, sizeof(*st));
	struct top_sample *s = calloc(2, sizeof(*s));
	struct top_view v;
	struct strbuf sb;
	size_t longest;
	unsigned int n;

	fill(st, 1);
	roundtrip(st, &s[0], 1000);
	fill(st, 3);
	roundtrip(st, &s[1], 3000);
	top_view_compute(&s[0], &s[1], &v);

	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(top_render_screen(&v, 80, 24, "12:34:56", &sb), 0);
	n = count_lines(buf, &longest);
	assert_true(n <= 24);
	assert_true(longest <= 80);
	assert_non_null(strstr(buf, "tierd top - up 0m13s, running, 2 tracked"));
	assert_non_null(strstr(buf, "12:34:56  q: quit\n"));
	assert_non_null(strstr(buf, "promoted 1.2M (300 pages) at 100.0/s; held back: rate limit 21, headroom 0\n"));
	assert_non_null(strstr(buf, "\n0    fast "));
	assert_non_null(strstr(buf, "\n1    slow "));
	assert_non_null(strstr(buf, "\nnuma_hint     yes          50.0          150  active"));
	assert_non_null(strstr(buf, "\nprivate_node  no            0.0            0\n"));
	/* slow 16084 pages = 62.8 MiB, fast 300 pages = 1.2 MiB, 2048 hot */
	assert_non_null(strstr(buf, "\n4711    e2e-workload     62.8M   1.2M   2048    100.0     300       9       1\n"));
	/* new process: no rate; its comm made printable */
	assert_non_null(strstr(buf, "\n4715    ev\"il??          "));
	assert_non_null(strstr(buf, "      -       0"));

	/* narrower than the tables: says so, in the width it has */
	sb_reset(&sb);
	assert_int_equal(top_render_screen(&v, 40, 8, "x", &sb), -ENOSPC);
	n = count_lines(buf, &longest);
	assert_true(n <= 8 && longest <= 40);
	assert_non_null(strstr(buf, "terminal too small: 40x8;"));
	assert_non_null(strstr(buf, "78x"));

	/* too few rows for one process line */
	sb_reset(&sb);
	assert_int_equal(top_render_screen(&v, 100, 12, "x", &sb), -ENOSPC);
	free(st);
	free(s);
}

/* More processes than rows: as many as fit, and how many are left out. */
static void test_screen_truncates(void **state)
{
	struct tierd_stats *st = calloc(1, sizeof(*st));
	struct top_sample *s = calloc(1, sizeof(*s));
	struct top_view v;
	struct strbuf sb;
	size_t longest;

	fill(st, 1);
	st->nr_pids = TIERD_STATS_MAX_PIDS;
	for (unsigned int i = 0; i < TIERD_STATS_MAX_PIDS; i++) {
		st->pid[i] = (struct tierd_pid_stats){ .pid = 100 + (int32_t)i };
		snprintf(st->pid[i].comm, sizeof(st->pid[i].comm), "p%u", i);
	}
	roundtrip(st, s, 1);
	top_view_compute(NULL, s, &v);
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(top_render_screen(&v, 78, 24, "x", &sb), 0);
	assert_int_equal(count_lines(buf, &longest), 24);
	assert_true(longest <= 78);
	/*
	 * 10 lines and one per source before the rows: 24 - that - 1 shown,
	 * the rest counted
	 */
	{
		unsigned int shown = 24 - (10 + TIERD_SRC_NR) - 1;
		char want[64];

		snprintf(want, sizeof(want), "\n%u     p%u ", 100 + shown - 1,
			 shown - 1);
		assert_non_null(strstr(buf, want));
		snprintf(want, sizeof(want), "\n%u     p%u ", 100 + shown, shown);
		assert_null(strstr(buf, want));
		snprintf(want, sizeof(want), "\n... %u more processes",
			 TIERD_STATS_MAX_PIDS - shown);
		assert_non_null(strstr(buf, want));
	}
	free(st);
	free(s);
}

static void test_json_snapshot(void **state)
{
	struct tierd_stats *st = calloc(1, sizeof(*st));
	struct top_sample *s = calloc(2, sizeof(*s));
	struct top_view v;
	struct strbuf sb;

	fill(st, 1);
	roundtrip(st, &s[0], 1000);
	fill(st, 3);
	roundtrip(st, &s[1], 3000);
	top_view_compute(&s[0], &s[1], &v);
	sb_init(&sb, buf, sizeof(buf));
	top_render_json(&v, &sb);
	assert_int_equal(sb.err, 0);
	if (!json_valid(buf))
		fail_msg("invalid JSON:\n%s", buf);
	assert_non_null(strstr(buf, "{\"interval_ms\":2000,\"uptime_ms\":13000,"
			       "\"paused\":false,\"promoted_pages\":300,"
			       "\"promoted_pages_per_s\":100,"));
	assert_non_null(strstr(buf, "{\"id\":1,\"tier\":\"slow\","));
	assert_non_null(strstr(buf, "\"promoted_out_pages\":300,"
			       "\"promoted_in_pages_per_s\":0,"
			       "\"promoted_out_pages_per_s\":100}"));
	assert_non_null(strstr(buf, "\"name\":\"numa_hint\",\"active\":true,"));
	assert_non_null(strstr(buf, "\"promoted_pages\":300,"
			       "\"promoted_pages_per_s\":100,"));
	/* the new process: counters, no rates */
	assert_non_null(strstr(buf, "\"comm\":\"ev\\\"il\\n\\u0001\""));
	assert_non_null(strstr(buf, "\"skipped_headroom\":0}]}\n"));
	free(st);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_roundtrip),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_screen),
		cmocka_unit_test(test_screen_truncates),
		cmocka_unit_test(test_json_snapshot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
