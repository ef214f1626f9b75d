// SPDX-License-Identifier: GPL-2.0
/* Renderers: JSON validity and content, Prometheus syntax, human tables. */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control/control_proto.h"	/* CTL_REPLY_MAX */
#include "lib/json.h"
#include "stats/loop_stats.h"
#include "stats/stats_render.h"

#include "json_check.h"

static void test_checker_rejects_bad_json(void **state)
{
	/* The checker must be able to fail, or the tests below prove nothing. */
	assert_true(json_valid("{\"a\":[1,2.5,-3e4,true,null,\"x\\u0001\"]}"));
	assert_false(json_valid("{\"a\":1,}"));
	assert_false(json_valid("{\"a\" 1}"));
	assert_false(json_valid("[1 2]"));
	assert_false(json_valid("\"raw\ttab\""));
	assert_false(json_valid("{\"a\":01}"));
	assert_false(json_valid("{} x"));
	assert_false(json_valid("{\"a\":nan}"));
}

/* ---- fixtures ---- */

static struct tierd_stats *sample_stats(void)
{
	struct tierd_stats *st = calloc(1, sizeof(*st));
	unsigned int i;

	assert_non_null(st);
	st->uptime_ms = 3723004;	/* 1h02m03.004s */
	st->paused = true;
	st->reloads = 3;
	st->reload_failures = 1;
	st->control_requests = 17;
	st->control_errors = 2;
	st->src[TIERD_SRC_SOFT_DIRTY].active = true;
	snprintf(st->src[TIERD_SRC_SOFT_DIRTY].state,
		 sizeof(st->src[0].state), "active");
	st->src[TIERD_SRC_SOFT_DIRTY].faults_seen = 900001;
	st->src[TIERD_SRC_SOFT_DIRTY].records = 4242;
	st->src[TIERD_SRC_SOFT_DIRTY].rb_drops = 5;
	snprintf(st->src[TIERD_SRC_PRIVATE_NODE].state,
		 sizeof(st->src[0].state),
		 "off: tracepoint \"node_private\" missing\n(stock kernel)");
	st->table_size = 1000;
	st->table_cap = 1048576;
	st->table_evictions = 9;
	st->table_bytes = 65536;
	st->intervals = 77;
	st->candidates = 12;
	st->pingpongs = 6;
	st->tracked_pids = 2;
	st->move_calls = 31;
	st->move_pages_requested = 2000;
	st->pages_queried = 2100;
	st->pages_requeried = 7;
	st->promoted_pages = 1234;
	st->promoted_bytes = 1234 * 4096ULL;
	for (i = 0; i < TIERD_MOVE_NR; i++)
		st->move_status[i] = 100 + i;
	st->nr_nodes = 3;
	st->node[0] = (struct tierd_node_stats){ .present = true, .fast = true,
		.total_bytes = 8ULL << 30, .free_bytes = 3ULL << 30,
		.promoted_to_pages = 1234, .memtier = 4,
		.why = "fast: memory_tier4, the top tier" };
	/* node 1 is absent: it must not be listed */
	st->node[2] = (struct tierd_node_stats){ .present = true, .slow = true,
		.total_bytes = 16ULL << 30, .free_bytes = 15ULL << 30,
		.promoted_from_pages = 1234, .memtier = 54,
		.why = "slow: memory_tier54, below memory_tier4",
		/* a kernel of the RFC's newest state counts fenced writes */
		.vmstat_present = 3, .pgpromote_fence = 77,
		.pgpromote_fence_failed = 2 };
	st->nr_pids = 2;
	st->pid[0] = (struct tierd_pid_stats){ .pid = 4711, .records = 40,
		.faults = 400, .folios_tracked = 90, .folios_hot = 8,
		.promoted_pages = 1000 };
	memcpy(st->pid[0].comm, "db\"x\\y\x01\xff", 9);
	/* comm filling all 16 bytes, no NUL */
	st->pid[1].pid = 4712;
	memcpy(st->pid[1].comm, "abcdefghijklmnop", 16);
	return st;
}

static char *render(void (*fn)(const struct tierd_stats *, struct strbuf *),
		    const struct tierd_stats *st)
{
	static char buf[256 * 1024];
	struct strbuf sb;

	sb_init(&sb, buf, sizeof(buf));
	fn(st, &sb);
	assert_int_equal(sb.err, 0);
	assert_int_equal(strlen(buf), sb.len);
	return buf;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("output lacks '%s':\n%s", needle, hay);
}

/* ---- JSON ---- */

static void test_json_escape(void **state)
{
	char buf[128];
	struct strbuf sb;

	sb_init(&sb, buf, sizeof(buf));
	json_escape(&sb, "a\"b\\c\nd\te\x01\x7f\xc3\xa9");
	assert_string_equal(buf, "\"a\\\"b\\\\c\\nd\\te\\u0001\\u007f"
			    "\\ufffd\\ufffd\"");
}

static void test_stats_json(void **state)
{
	struct tierd_stats *st = sample_stats();
	const char *out = render(stats_render_json, st);

	if (!json_valid(out))
		fail_msg("invalid JSON:\n%s", out);
	assert_contains(out, "{\"uptime_ms\":3723004,\"paused\":true,"
			"\"reloads\":3,\"reload_failures\":1,"
			"\"control_requests\":17,\"control_errors\":2,");
	assert_contains(out, "\"soft_dirty\":{\"active\":true,"
			"\"state\":\"active\",\"faults_seen\":900001");
	assert_contains(out, "\"records\":4242,\"rb_drops\":5");
	assert_contains(out, "\"state\":\"off: tracepoint \\\"node_private"
			"\\\" missing\\n(stock kernel)\"");
	assert_contains(out, "\"table\":{\"size\":1000,\"cap\":1048576,"
			"\"evictions\":9,\"bytes\":65536}");
	assert_contains(out, "\"policy\":{\"intervals\":77,\"candidates\":12,");
	assert_contains(out, "\"pingpongs\":6,\"tracked_pids\":2}");
	assert_contains(out, "\"migrator\":{\"move_calls\":31,"
			"\"pages_queried\":2100,\"pages_requested\":2000,"
			"\"pages_requeried\":7,\"promoted_pages\":1234,"
			"\"promoted_bytes\":5054464,\"status\":{\"ok\":100,"
			"\"already\":101,\"enoent\":102,\"ebusy\":103,"
			"\"eagain\":104,");
	assert_contains(out, "\"other\":110}}");
	assert_contains(out, "{\"id\":0,\"slow\":false,\"fast\":true,"
			"\"total_bytes\":8589934592,\"free_bytes\":3221225472,"
			"\"promoted_from_pages\":0,\"promoted_to_pages\":1234,\"memtier\":4}");
	assert_contains(out, "{\"id\":2,\"slow\":true,\"fast\":false,");
	/* the kernel's counters only where it has them */
	assert_contains(out, "\"promoted_to_pages\":0,\"pgpromote_fence\":77,"
			"\"pgpromote_fence_failed\":2,\"memtier\":54}");
	assert_null(strstr(out, "\"id\":1,"));
	assert_contains(out, "{\"pid\":4711,\"comm\":\"db\\\"x\\\\y\\u0001"
			"\\ufffd\",\"records\":40,\"faults\":400,"
			"\"folios_tracked\":90,\"folios_hot\":8,"
			"\"promoted_pages\":1000,\"kernel_promoted\":0,\"slow_pages\":0,\"fast_pages\":0,\"skipped_rate\":0,\"skipped_headroom\":0}");
	assert_contains(out, "\"comm\":\"abcdefghijklmnop\"");
	free(st);
}

static void test_empty_stats_json(void **state)
{
	struct tierd_stats *st = calloc(1, sizeof(*st));
	const char *out;

	assert_non_null(st);
	out = render(stats_render_json, st);
	if (!json_valid(out))
		fail_msg("invalid JSON:\n%s", out);
	assert_contains(out, "\"nodes\":[],\"pids\":[]}");
	free(st);
}

static void test_json_overflow_flagged(void **state)
{
	struct tierd_stats *st = sample_stats();
	char buf[512];
	struct strbuf sb;

	sb_init(&sb, buf, sizeof(buf));
	stats_render_json(st, &sb);
	assert_int_equal(sb.err, -ENOSPC);
	assert_true(strlen(buf) < sizeof(buf));
	free(st);
}

/* ---- Prometheus ---- */

static bool prom_name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return false;
	for (i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' ||
		      s[i] == ':'))
			return false;
	return true;
}

/* name{label="v",...} value -- returns false on any syntax error. */
static bool prom_sample_ok(const char *line, char *name, size_t namelen)
{
	const char *p = line, *q;
	char *end;
	size_t n;

	while (*p && *p != '{' && *p != ' ')
		p++;
	n = (size_t)(p - line);
	if (!prom_name_ok(line, n) || n >= namelen)
		return false;
	memcpy(name, line, n);
	name[n] = '\0';
	if (*p == '{') {
		p++;
		for (;;) {
			q = p;
			while (*p && *p != '=')
				p++;
			if (!prom_name_ok(q, (size_t)(p - q)) || *p != '=' ||
			    p[1] != '"')
				return false;
			p += 2;
			while (*p && *p != '"') {
				/* the format's only escapes: \\ \" \n */
				if (*p == '\\') {
					if (p[1] != '\\' && p[1] != '"' &&
					    p[1] != 'n')
						return false;
					p++;
				} else if ((unsigned char)*p < 0x20) {
					return false;
				}
				p++;
			}
			if (*p++ != '"')
				return false;
			if (*p == ',') {
				p++;
				continue;
			}
			if (*p++ != '}')
				return false;
			break;
		}
	}
	if (*p++ != ' ')
		return false;
	strtod(p, &end);
	return end != p && *end == '\0';
}

static void test_prometheus(void **state)
{
	struct tierd_stats *st = sample_stats();
	char *out = strdup(render(stats_render_prometheus, st));
	char help_for[128] = "", type_for[128] = "", name[128];
	unsigned int samples = 0, families = 0;
	char *line, *save = NULL;

	assert_non_null(out);
	assert_int_equal(out[strlen(out) - 1], '\n');
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7)) {
			sscanf(line + 7, "%127s", help_for);
			assert_true(prom_name_ok(help_for, strlen(help_for)));
			assert_true(strlen(line) > 8 + strlen(help_for));
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			char type[32] = "";

			sscanf(line + 7, "%127s %31s", type_for, type);
			assert_string_equal(type_for, help_for);
			if (strcmp(type, "counter") && strcmp(type, "gauge"))
				fail_msg("bad type: %s", line);
			/* counters are named *_total by convention */
			if (!strcmp(type, "counter")) {
				size_t l = strlen(type_for);

				assert_true(l > 6 && !strcmp(type_for + l - 6,
							     "_total"));
			}
			families++;
			continue;
		}
		if (!prom_sample_ok(line, name, sizeof(name)))
			fail_msg("malformed sample line: '%s'", line);
		/* every sample belongs to the family announced before it */
		assert_string_equal(name, type_for);
		assert_int_equal(strncmp(name, "tierd_", 6), 0);
		samples++;
	}
	free(out);

	out = render(stats_render_prometheus, st);
	assert_contains(out, "\ntierd_uptime_seconds 3723.004\n");
	assert_contains(out, "\ntierd_paused 1\n");
	assert_contains(out, "\ntierd_promoted_pages_total 1234\n");
	assert_contains(out, "\ntierd_source_records_total{source=\"soft_dirty\"}"
			" 4242\n");
	assert_contains(out, "\ntierd_source_active{source=\"private_node\"} 0\n");
	assert_contains(out, "\ntierd_move_pages_status_total{status=\"ebusy\"}"
			" 103\n");
	assert_contains(out, "\ntierd_node_free_bytes{node=\"2\"} 16106127360\n");
	assert_null(strstr(out, "node=\"1\""));
	assert_contains(out, "\ntierd_node_pgpromote_fence_total{node=\"2\"} 77\n");
	assert_contains(out, "\ntierd_node_pgpromote_fence_failed_total{node=\"2\"} 2\n");
	assert_null(strstr(out, "tierd_node_pgpromote_fence_total{node=\"0\"}"));
	assert_contains(out, "\ntierd_source_kernel_promoted_total{source=\"private_node\"} 0\n");
	assert_true(families >= 30);
	assert_true(samples > families);
	free(st);
}

/* Hostile comms: the three escapes of the format, nothing raw, UTF-8 only. */
static void test_prom_label_escape(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
		{ "a\"b\\c\nd", 7, "a\\\"b\\\\c\\nd" },
		{ "tab\there\r", 9, "tab?here?" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },		/* valid UTF-8 kept */
		{ "cut\xe2\x82", 5, "cut\xef\xbf\xbd\xef\xbf\xbd" }, /* truncated */
		{ "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong '/' */
		{ "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf0\x9f\x98\x80!", 5, "\xf0\x9f\x98\x80!" },	/* 4-byte kept */
		{ "stop\0hidden", 11, "stop" },
		{ "\x7f\x01", 2, "??" },
	};
	char buf[128];
	struct strbuf sb;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sb_init(&sb, buf, sizeof(buf));
		prom_escape_label(&sb, cases[i].in, cases[i].n);
		assert_int_equal(sb.err, 0);
		if (strcmp(buf, cases[i].out))
			fail_msg("case %zu: got '%s', want '%s'", i, buf,
				 cases[i].out);
	}
}

/* Per-process families: the sample's two processes, labelled and escaped. */
static void test_prometheus_pids(void **state)
{
	struct tierd_stats *st = sample_stats();
	const char *out = render(stats_render_prometheus, st);

	assert_contains(out, "\n# TYPE tierd_pid_records_total counter\n");
	assert_contains(out, "\n# TYPE tierd_pid_folios_hot gauge\n");
	assert_contains(out, "\n# TYPE tierd_pid_slow_pages gauge\n");
	assert_contains(out, "\ntierd_pid_records_total{pid=\"4711\","
			"comm=\"db\\\"x\\\\y?\xef\xbf\xbd\"} 40\n");
	assert_contains(out, "\ntierd_pid_promoted_pages_total{pid=\"4711\","
			"comm=\"db\\\"x\\\\y?\xef\xbf\xbd\"} 1000\n");
	/* 16 comm bytes without a NUL: all 16, nothing past them */
	assert_contains(out, "\ntierd_pid_records_total{pid=\"4712\","
			"comm=\"abcdefghijklmnop\"} 0\n");
	assert_contains(out, "\ntierd_pids_exported 2\n");
	/* busiest first */
	assert_true(strstr(out, "pid=\"4711\"") < strstr(out, "pid=\"4712\""));
	/* per node: free, promoted in (to) and out (from) */
	assert_contains(out, "\ntierd_node_promoted_to_pages_total{node=\"0\"} 1234\n");
	assert_contains(out, "\ntierd_node_promoted_from_pages_total{node=\"2\"} 1234\n");
	assert_contains(out, "\ntierd_node_free_bytes{node=\"0\"} 3221225472\n");
	free(st);
}

/* However many processes are tracked, each family has at most N samples:
 * the N with the most records, ties broken by the lower pid. */
static void test_prometheus_pid_bound(void **state)
{
	struct tierd_stats *st = sample_stats();
	char want[64], *out;
	unsigned int i, n;
	const char *p;

	st->nr_pids = TIERD_STATS_MAX_PIDS;
	for (i = 0; i < TIERD_STATS_MAX_PIDS; i++) {
		st->pid[i] = (struct tierd_pid_stats){ .pid = (int32_t)(1000 + i) };
		/* shuffled; pids 1000+2k and 1001+2k share a count */
		st->pid[i].records = (uint64_t)((i * 37) % TIERD_STATS_MAX_PIDS) / 2;
		snprintf(st->pid[i].comm, sizeof(st->pid[i].comm), "w%u", i);
	}
	out = render(stats_render_prometheus, st);
	snprintf(want, sizeof(want), "\ntierd_pids_exported %d\n",
		 TIERD_PROM_TOP_PIDS);
	assert_contains(out, want);
	for (n = 0, p = out; (p = strstr(p, "\ntierd_pid_faults_total{")); p++)
		n++;
	assert_int_equal(n, TIERD_PROM_TOP_PIDS);
	/* the expected order: records 31, 31, 30, 30, ... lower pid first */
	p = strstr(out, "\ntierd_pid_records_total{");
	assert_non_null(p);
	for (i = 0; i < TIERD_PROM_TOP_PIDS; i++) {
		unsigned int rec = 31 - i / 2, k, pid = 0, got_pid, got_rec;

		/* the lower of the two pids whose shuffled index gives rec */
		for (k = 0; k < TIERD_STATS_MAX_PIDS; k++)
			if (st->pid[k].records == rec) {
				pid = (unsigned int)st->pid[k].pid;
				if (i % 2 == 0)
					break;
			}
		assert_int_equal(sscanf(p, "\ntierd_pid_records_total{pid=\"%u\","
					"comm=\"w%*u\"} %u", &got_pid, &got_rec), 2);
		assert_int_equal(got_rec, rec);
		assert_int_equal(got_pid, pid);
		p = strchr(p + 1, '\n');
	}
	assert_null(strstr(p, "tierd_pid_records_total{"));

	/* none tracked: the families are announced, with no sample */
	st->nr_pids = 0;
	out = render(stats_render_prometheus, st);
	assert_contains(out, "\ntierd_pids_exported 0\n");
	assert_contains(out, "# TYPE tierd_pid_records_total counter\n# HELP");
	assert_null(strstr(out, "tierd_pid_records_total{"));
	free(st);
}

/* ---- tables ---- */

static void test_table(void **state)
{
	struct tierd_stats *st = sample_stats();
	const char *out = render(stats_render_table, st);

	assert_contains(out, "tierd: up 1h02m03s, PAUSED\n");
	assert_contains(out, "\ndaemon     reloads 3, reload_failures 1, "
			"control_requests 17, control_errors 2\n");
	assert_contains(out, "soft_dirty    yes          900001");
	assert_contains(out, "\ntable      size 1000, cap 1048576, "
			"evictions 9, bytes 64.0 KiB\n");
	assert_contains(out, "\nmigrator   move_calls 31, pages_queried 2100, "
			"pages_requested 2000,\n           pages_requeried 7, "
			"promoted_pages 1234, promoted_bytes 4.8 MiB\n");
	assert_contains(out, "\npolicy     intervals 77, candidates 12, ");
	assert_contains(out, "ebusy 103");
	assert_contains(out, "\n0     fast       8.0 GiB      3.0 GiB ");
	assert_contains(out, "\n2     slow      16.0 GiB     15.0 GiB ");
	assert_contains(out, "PROMOTED_TO  FENCE_PROMO  FENCE_FAIL\n");
	assert_contains(out, "          1234            0           77           2\n");
	assert_contains(out, "             0         1234            -           -\n");
	/* control bytes and newlines never reach a table */
	assert_contains(out, "\n4711     db\"x\\y?? ");
	assert_contains(out, "  private_node: off: tracepoint \"node_private\" "
			"missing?(stock kernel)\n");
	assert_contains(out, "abcdefghijklmnop");
	free(st);
}

static void test_status_and_folios(void **state)
{
	struct tierd_stats *st = sample_stats();
	struct tierd_status_view v = {
		.summary = "1 slow node (2) -> node 0; source soft_dirty",
		.config_path = "/etc/tierd.conf",
		.socket_path = "/run/tierd/tierd.sock",
		.uptime_ms = 61000, .paused = false, .reloads = 1,
		.src = st->src, .nr_nodes = st->nr_nodes, .node = st->node,
		.private_nodes = "RFC, newest stored state (has_common_memory only): node 2; tierd only observes\n\x01",
	};
	const struct folio_info f[] = {
		{ 4711, 0x7f0000001000ULL, 9.5 },
		{ 4711, 0x100000000000000ULL, 2.25 },
	};
	static char buf[64 * 1024];
	struct strbuf sb;

	sb_init(&sb, buf, sizeof(buf));
	status_render_json(&v, &sb);
	assert_int_equal(sb.err, 0);
	if (!json_valid(buf))
		fail_msg("invalid JSON:\n%s", buf);
	assert_contains(buf, "\"summary\":\"1 slow node (2) -> node 0; "
			"source soft_dirty\",\"paused\":false");
	/* each present node with its class and why, absent node 1 left out */
	assert_contains(buf, "\"nodes\":[{\"id\":0,\"tier\":\"fast\",\"memtier\":4,"
			"\"why\":\"fast: memory_tier4, the top tier\"},{\"id\":2,"
			"\"tier\":\"slow\",\"memtier\":54,\"why\":\"slow: memory_tier54, "
			"below memory_tier4\"}],\"private_nodes\":\"RFC, newest stored "
			"state (has_common_memory only): node 2; tierd only observes"
			"\\n\\u0001\"}");

	sb_reset(&sb);
	status_render_table(&v, &sb);
	assert_contains(buf, "state:    running, up 1m01s\n");
	assert_contains(buf, "source:   soft_dirty    active");
	assert_contains(buf, "\nnode:     2   slow  slow: memory_tier54, below memory_tier4\n");
	assert_contains(buf, "\nprivate:  RFC, newest stored state (has_common_memory only): node 2; tierd only observes??\n");

	sb_reset(&sb);
	folios_render_json(f, 2, &sb);
	if (!json_valid(buf))
		fail_msg("invalid JSON:\n%s", buf);
	assert_contains(buf, "{\"pid\":4711,\"addr\":\"0x7f0000001000\","
			"\"score\":9.5}");
	assert_contains(buf, "\"addr\":\"0x100000000000000\"");

	sb_reset(&sb);
	folios_render_json(f, 0, &sb);
	assert_string_equal(buf, "{\"folios\":[]}\n");

	sb_reset(&sb);
	folios_render_table(f, 2, &sb);
	assert_contains(buf, "4711     0x00007f0000001000       9.50\n");
	free(st);
}

/* The largest stats a pipeline can report still fit in one reply. */
static void test_full_stats_fit_a_reply(void **state)
{
	struct tierd_stats *st = sample_stats();
	static char buf[CTL_REPLY_MAX];
	void (*fn[])(const struct tierd_stats *, struct strbuf *) = {
		stats_render_json, stats_render_table,
		stats_render_prometheus,
	};
	struct strbuf sb;
	unsigned int i;

	st->nr_nodes = 64;
	for (i = 0; i < 64; i++) {
		st->node[i].present = true;
		st->node[i].total_bytes = UINT64_MAX;
		st->node[i].free_bytes = UINT64_MAX;
		st->node[i].promoted_from_pages = UINT64_MAX;
		st->node[i].promoted_to_pages = UINT64_MAX;
		st->node[i].vmstat_present = (1U << TIERD_NODE_VMSTAT_NR) - 1;
		st->node[i].pgpromote_fence = UINT64_MAX;
		st->node[i].pgpromote_fence_failed = UINT64_MAX;
	}
	st->nr_pids = TIERD_STATS_MAX_PIDS;
	for (i = 0; i < TIERD_STATS_MAX_PIDS; i++) {
		st->pid[i].pid = INT32_MAX;
		memset(st->pid[i].comm, '"', sizeof(st->pid[i].comm));
		st->pid[i].records = UINT64_MAX;
		st->pid[i].faults = UINT64_MAX;
		st->pid[i].promoted_pages = UINT64_MAX;
	}
	for (i = 0; i < TIERD_SRC_NR; i++) {
		memset(st->src[i].state, '\\', sizeof(st->src[i].state) - 1);
		st->src[i].nr_held = TIERD_SOURCE_HELD_MAX;
		st->src[i].held_total = UINT64_MAX;
		for (unsigned int k = 0; k < TIERD_SOURCE_HELD_MAX; k++) {
			struct tierd_source_held *h = &st->src[i].held[k];

			h->pid = INT32_MIN;
			h->uid = UINT32_MAX;
			memset(h->comm, '"', sizeof(h->comm));
			memset(h->mode, '"', sizeof(h->mode));
			h->ranges = UINT32_MAX;
			h->range_bytes = UINT64_MAX;
		}
	}
	for (i = 0; i < sizeof(fn) / sizeof(fn[0]); i++) {
		sb_init(&sb, buf, sizeof(buf) - 3);	/* room for "ok\n" */
		fn[i](st, &sb);
		assert_int_equal(sb.err, 0);
		printf("renderer %u: %zu of %d bytes\n", i, sb.len,
		       CTL_REPLY_MAX);
	}
	sb_init(&sb, buf, sizeof(buf));
	stats_render_json(st, &sb);
	assert_true(json_valid(buf));
	free(st);
}

/* The main loop's timing: worst lag and run, late ticks, cut drains. */
static void test_loop_stats(void **state)
{
	struct tierd_stats *ls = calloc(1, sizeof(*ls));
	struct tierd_stats *st = calloc(1, sizeof(*st));
	char *buf = malloc(CTL_REPLY_MAX);
	struct strbuf sb;

	assert_non_null(ls);
	assert_non_null(st);
	assert_non_null(buf);
	/* on time, 2 ms of work */
	loop_stats_tick(ls, 1000000, 1000000, 1002000);
	/* 150 ms late: one short-late tick */
	loop_stats_tick(ls, 2000000, 2150000, 2151000);
	/* 1.5 s late: both counters */
	loop_stats_tick(ls, 3000000, 4500000, 4500500);
	/* a start before its due time is no lag, an end before start no run */
	loop_stats_tick(ls, 6000000, 5999000, 5998000);
	assert_int_equal(ls->tick_lag_max_us, 1500000);
	assert_int_equal(ls->ticks_late_100ms, 2);
	assert_int_equal(ls->ticks_late_1s, 1);
	assert_int_equal(ls->tick_run_max_us, 2000);
	assert_int_equal(ls->tick_run_us, 2000 + 1000 + 500);

	loop_stats_drain(ls, 100, 900, false);
	loop_stats_drain(ls, 1000, 1300, true);
	assert_int_equal(ls->drain_max_us, 800);
	assert_int_equal(ls->drains_cut, 1);

	/* only the loop group is copied */
	st->promoted_pages = 7;
	ls->promoted_pages = 99;
	loop_stats_copy(st, ls);
	assert_int_equal(st->promoted_pages, 7);
	assert_int_equal(st->tick_lag_max_us, 1500000);
	assert_int_equal(st->drains_cut, 1);

	sb_init(&sb, buf, CTL_REPLY_MAX);
	stats_render_json(st, &sb);
	assert_true(json_valid(buf));
	assert_non_null(strstr(buf, "\"loop\":{\"tick_lag_max_us\":1500000,"
				    "\"ticks_late_100ms\":2,\"ticks_late_1s\":1,"
				    "\"tick_run_max_us\":2000,\"tick_run_us\":3500,"
				    "\"drain_max_us\":800,\"drains_cut\":1}"));
	free(buf);
	free(ls);
	free(st);
}

/* The processes the uffd source holds, in stats and status alike. */
static void test_held_processes(void **state)
{
	struct tierd_stats *st = sample_stats();
	struct tierd_source_stats *u = &st->src[TIERD_SRC_UFFD];
	struct tierd_status_view v = { .summary = "s", .config_path = "c",
				       .socket_path = "p", .src = st->src };
	static char buf[64 * 1024];
	struct strbuf sb;
	const char *out;

	u->active = true;
	u->nr_held = 1;
	u->held_total = 3;
	u->held[0] = (struct tierd_source_held){
		.pid = 4242, .uid = 1000, .comm = "db\nx", .mode = "wp",
		.ranges = 2, .range_bytes = 64ULL << 20,
	};
	u->scans = 17;
	u->pages_reported = 5;
	out = render(stats_render_json, st);
	assert_contains(out, "\"processes_held\":3,\"processes\":[{\"pid\":4242,"
			"\"uid\":1000,\"comm\":\"db\\nx\",\"mode\":\"wp\","
			"\"ranges\":2,\"range_bytes\":67108864}]");
	assert_contains(out, "\"scans\":17,\"pages_reported\":5");
	out = render(stats_render_table, st);
	assert_contains(out, "  uffd: ");
	assert_contains(out, "    scans 17, pages_reported 5\n");
	assert_contains(out, "    pid 4242 (db?x) uid 1000, wp-async, 2 slow-tier ranges, 64.0 MiB\n"
			"    ... and 2 more processes\n");

	sb_init(&sb, buf, sizeof(buf));
	status_render_json(&v, &sb);
	assert_true(json_valid(buf));
	assert_contains(buf, "\"uffd\":{\"active\":true,");
	assert_contains(buf, "\"processes\":[{\"pid\":4242,");
	sb_reset(&sb);
	status_render_table(&v, &sb);
	assert_contains(buf, "source:   uffd          active");
	assert_contains(buf, "\n    pid 4242 (db?x) uid 1000, wp-async");
	free(st);
}

static void test_names(void **state)
{
	unsigned int i, j;

	for (i = 0; i < TIERD_MOVE_NR; i++)
		for (j = i + 1; j < TIERD_MOVE_NR; j++)
			assert_string_not_equal(tierd_move_status_name(i),
						tierd_move_status_name(j));
	assert_string_equal(tierd_move_status_name(TIERD_MOVE_NR), "invalid");
	assert_string_equal(tierd_source_name(TIERD_SRC_PRIVATE_NODE),
			    "private_node");
	assert_string_equal(tierd_source_name(TIERD_SRC_SOFT_DIRTY),
			    "soft_dirty");
	assert_string_equal(tierd_source_name(TIERD_SRC_NR), "invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_rejects_bad_json),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_stats_json),
		cmocka_unit_test(test_empty_stats_json),
		cmocka_unit_test(test_json_overflow_flagged),
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_prom_label_escape),
		cmocka_unit_test(test_prometheus_pids),
		cmocka_unit_test(test_prometheus_pid_bound),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_status_and_folios),
		cmocka_unit_test(test_full_stats_fit_a_reply),
		cmocka_unit_test(test_loop_stats),
		cmocka_unit_test(test_held_processes),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
