// SPDX-License-Identifier: GPL-2.0
/* Control protocol without sockets: parsing, permissions, reply framing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control/control_proto.h"

static int parse(const char *s, struct ctl_request *req, char *err,
		 size_t errlen)
{
	return ctl_parse(s, strlen(s), req, err, errlen);
}

static void expect_ok(const char *s, enum ctl_verb verb, bool json, pid_t pid)
{
	struct ctl_request req;
	char err[256] = "";
	int r;

	r = parse(s, &req, err, sizeof(err));
	if (r != 0)
		fail_msg("'%s' rejected: %s", s, err);
	assert_int_equal(req.verb, verb);
	assert_int_equal(req.json, json);
	assert_int_equal(req.pid, pid);
	/* text never carries a descriptor or who sent it */
	assert_int_equal(req.fd, -1);
	assert_int_equal(req.peer_pid, 0);
	assert_int_equal(req.peer_uid, 0);
}

static void expect_err(const char *s, int want, const char *needle)
{
	struct ctl_request req;
	char err[256] = "";
	int r;

	r = parse(s, &req, err, sizeof(err));
	if (r != want)
		fail_msg("'%s': got %d, want %d (%s)", s, r, want, err);
	if (!strstr(err, needle))
		fail_msg("'%s': error '%s' lacks '%s'", s, err, needle);
}

static void test_every_verb(void **state)
{
	expect_ok("stats", CTL_STATS, false, 0);
	expect_ok("stats json", CTL_STATS, true, 0);
	expect_ok("status", CTL_STATUS, false, 0);
	expect_ok("status json\n", CTL_STATUS, true, 0);
	expect_ok("config", CTL_CONFIG, false, 0);
	expect_ok("metrics", CTL_METRICS, false, 0);
	expect_ok("folios", CTL_FOLIOS, false, 0);
	expect_ok("folios 1234", CTL_FOLIOS, false, 1234);
	expect_ok("folios json", CTL_FOLIOS, true, 0);
	expect_ok("folios 42 json", CTL_FOLIOS, true, 42);
	expect_ok("folios json 42", CTL_FOLIOS, true, 42);
	expect_ok("help", CTL_HELP, false, 0);
	expect_ok("pause", CTL_PAUSE, false, 0);
	expect_ok("resume", CTL_RESUME, false, 0);
	expect_ok("reload", CTL_RELOAD, false, 0);
}

static void test_whitespace(void **state)
{
	expect_ok("stats\n", CTL_STATS, false, 0);
	expect_ok("stats\r\n", CTL_STATS, false, 0);
	expect_ok("  stats \t json  ", CTL_STATS, true, 0);
	expect_ok("\tfolios   7\n", CTL_FOLIOS, false, 7);
}

static void test_junk(void **state)
{
	expect_err("xyz", -EINVAL, "unknown request 'xyz' (try help)");
	expect_err("STATS", -EINVAL, "unknown request 'STATS'");
	expect_err("stats foo", -EINVAL, "bad argument 'foo'");
	expect_err("stats json json", -EINVAL, "bad argument 'json'");
	expect_err("config json", -EINVAL, "usage: config");
	expect_err("pause now", -EINVAL, "bad argument 'now'");
	expect_err("folios 0", -EINVAL, "bad argument '0'");
	expect_err("folios -1", -EINVAL, "bad argument '-1'");
	expect_err("folios 12 13", -EINVAL, "bad argument '13'");
	expect_err("folios 12abc", -EINVAL, "bad argument '12abc'");
	expect_err("folios 99999999999", -EINVAL, "bad argument");
	expect_err("stats\nstats", -EINVAL, "embedded newline");
	expect_err("\x01\x02zz", -EINVAL, "unknown request '??zz'");
}

static void test_empty(void **state)
{
	expect_err("", -EINVAL, "empty request");
	expect_err("\n", -EINVAL, "empty request");
	expect_err("   \t ", -EINVAL, "empty request");
}

static void test_nul_byte(void **state)
{
	struct ctl_request req;
	char err[256] = "";

	assert_int_equal(ctl_parse("stats\0json", 10, &req, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "NUL"));
}

static void test_oversize(void **state)
{
	static char big[CTL_REQUEST_MAX + 2];
	struct ctl_request req;
	char err[256] = "";

	/* Exactly the limit is still a request. */
	memset(big, ' ', CTL_REQUEST_MAX);
	memcpy(big, "stats", 5);
	assert_int_equal(ctl_parse(big, CTL_REQUEST_MAX, &req, err,
				   sizeof(err)), 0);
	assert_int_equal(req.verb, CTL_STATS);
	/* One byte more is not. */
	big[CTL_REQUEST_MAX] = ' ';
	assert_int_equal(ctl_parse(big, CTL_REQUEST_MAX + 1, &req, err,
				   sizeof(err)), -EMSGSIZE);
	assert_non_null(strstr(err, "request too large"));
}

static void test_long_junk_is_shortened(void **state)
{
	char req_text[1000];
	struct ctl_request req;
	char err[256] = "";

	memset(req_text, 'a', sizeof(req_text) - 1);
	req_text[sizeof(req_text) - 1] = '\0';
	assert_int_equal(parse(req_text, &req, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "...' (try help)"));
	assert_true(strlen(err) < 120);
}

static const enum ctl_verb read_only[] = {
	CTL_STATS, CTL_STATUS, CTL_CONFIG, CTL_METRICS, CTL_FOLIOS, CTL_HELP,
};
static const enum ctl_verb mutating[] = { CTL_PAUSE, CTL_RESUME, CTL_RELOAD };

static void check_matrix(enum ctl_access a, bool may_read, bool may_write)
{
	size_t i;

	for (i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
		assert_int_equal(ctl_allowed(a, read_only[i]), may_read);
	for (i = 0; i < sizeof(mutating) / sizeof(mutating[0]); i++)
		assert_int_equal(ctl_allowed(a, mutating[i]), may_write);
}

static void test_permission_matrix(void **state)
{
	const gid_t stats_gid = 4321;
	const gid_t other_groups[] = { 10, 20 };
	const gid_t member_groups[] = { 10, stats_gid, 20 };
	struct ctl_peer root = { .pid = 1, .uid = 0, .gid = 0 };
	struct ctl_peer primary = { .pid = 2, .uid = 1000, .gid = stats_gid };
	struct ctl_peer supplementary = {
		.pid = 3, .uid = 1000, .gid = 1000,
		.groups = member_groups, .nr_groups = 3,
	};
	struct ctl_peer other = {
		.pid = 4, .uid = 1000, .gid = 1000,
		.groups = other_groups, .nr_groups = 2,
	};
	/* Root's group is no privilege: only uid 0 is. */
	struct ctl_peer gid_root = { .pid = 5, .uid = 65534, .gid = 0 };

	assert_int_equal(ctl_peer_access(&root, true, stats_gid),
			 CTL_ACCESS_ALL);
	assert_int_equal(ctl_peer_access(&root, false, 0), CTL_ACCESS_ALL);
	assert_int_equal(ctl_peer_access(&primary, true, stats_gid),
			 CTL_ACCESS_READ);
	assert_int_equal(ctl_peer_access(&supplementary, true, stats_gid),
			 CTL_ACCESS_READ);
	assert_int_equal(ctl_peer_access(&other, true, stats_gid),
			 CTL_ACCESS_NONE);
	/* No stats_group configured: members of nothing get nothing. */
	assert_int_equal(ctl_peer_access(&primary, false, 0),
			 CTL_ACCESS_NONE);
	assert_int_equal(ctl_peer_access(&gid_root, false, 0),
			 CTL_ACCESS_NONE);

	check_matrix(CTL_ACCESS_ALL, true, true);
	check_matrix(CTL_ACCESS_READ, true, false);
	check_matrix(CTL_ACCESS_NONE, false, false);
	/* An out-of-range verb is never allowed. */
	assert_false(ctl_allowed(CTL_ACCESS_ALL, CTL_VERB_NR));
	assert_true(ctl_verb_mutating(CTL_VERB_NR));
}

static void test_reply_framing(void **state)
{
	char buf[64];
	struct strbuf sb;

	sb_init(&sb, buf, sizeof(buf));
	ctl_reply_ok(&sb);
	sb_append(&sb, "body\n");
	assert_string_equal(buf, "ok\nbody\n");
	assert_int_equal(sb.len, 8);

	/* An error replaces a half-built body. */
	ctl_reply_error(&sb, "permission denied: '%s' needs root", "pause");
	assert_string_equal(buf, "error: permission denied: 'pause' needs "
			    "root\n");
	assert_int_equal(sb.err, 0);

	/* A body that does not fit is flagged, the buffer stays a string. */
	ctl_reply_ok(&sb);
	sb_printf(&sb, "%0100d", 7);
	assert_int_equal(sb.err, -ENOSPC);
	assert_string_equal(buf, "ok\n");
	sb_append(&sb, "x");
	assert_string_equal(buf, "ok\n");
	/* ...and the error reply that follows resets it. */
	ctl_reply_error(&sb, "reply too large");
	assert_int_equal(sb.err, 0);
	assert_string_equal(buf, "error: reply too large\n");
}

static void test_help_lists_every_verb(void **state)
{
	char buf[4096];
	struct strbuf sb;
	unsigned int v;

	sb_init(&sb, buf, sizeof(buf));
	ctl_help(&sb);
	assert_int_equal(sb.err, 0);
	for (v = 0; v < CTL_VERB_NR; v++) {
		unsigned int takes = ctl_verb_info(v)->takes;
		char line[64];

		snprintf(line, sizeof(line), "%s", ctl_verb_name(v));
		if (!strstr(buf, line))
			fail_msg("help lacks '%s'", line);
		/* What help names, parse accepts, with the arguments it needs. */
		snprintf(line, sizeof(line), "%s%s%s", ctl_verb_name(v),
			 takes & CTL_TAKES_ADDR ? " 0x7f0000001000" : "",
			 takes & CTL_TAKES_FDNO ? " 3" : "");
		expect_ok(line, v, false, 0);
	}
}

/* track ADDR FD: both required, in that order; nothing else. */
static void test_parse_track(void **state)
{
	struct ctl_request req;
	char err[256];

	assert_int_equal(parse("track 0x7f0000001000 5\n", &req, err,
			       sizeof(err)), 0);
	assert_int_equal(req.verb, CTL_TRACK);
	assert_int_equal(req.addr, 0x7f0000001000ULL);
	assert_int_equal(req.fdno, 5);
	assert_int_equal(req.fd, -1);
	assert_int_equal(parse("track 0x1000 0", &req, err, sizeof(err)), 0);
	assert_int_equal(req.fdno, 0);
	expect_err("track", -EINVAL,
		   "request 'track' is incomplete, usage: track ADDR FD");
	expect_err("track 0x1000", -EINVAL,
		   "request 'track 0x1000' is incomplete, usage: track ADDR FD");
	expect_err("track 5 0x1000", -EINVAL, "bad argument '5'");
	expect_err("track 0x0 5", -EINVAL, "bad argument '0x0'");
	expect_err("track 1000 5", -EINVAL, "bad argument '1000'");
	expect_err("track 0x1000 -1", -EINVAL, "bad argument '-1'");
	expect_err("track 0x1000 5 json", -EINVAL, "bad argument 'json'");
	expect_err("track 0x10000000000000000 5", -EINVAL,
		   "bad argument '0x10000000000000000'");
}

/* The track socket's peers may make self-service requests only. */
static void test_self_service_access(void **state)
{
	for (unsigned int v = 0; v < CTL_VERB_NR; v++) {
		bool self = ctl_verb_info(v)->takes & CTL_SELF_SERVICE;

		assert_int_equal(ctl_allowed(CTL_ACCESS_SELF, v), self);
		assert_false(ctl_allowed(CTL_ACCESS_NONE, v));
	}
	assert_true(ctl_allowed(CTL_ACCESS_SELF, CTL_TRACK));
	/* root and the stats group may track on the control socket too */
	assert_true(ctl_allowed(CTL_ACCESS_READ, CTL_TRACK));
	assert_true(ctl_allowed(CTL_ACCESS_ALL, CTL_TRACK));
}

static void test_verb_table(void **state)
{
	char usage[64];
	unsigned int v;

	for (v = 0; v < CTL_VERB_NR; v++) {
		const struct ctl_verb_info *vi = ctl_verb_info(v);

		assert_non_null(vi);
		assert_int_equal(ctl_verb_lookup(vi->name), (int)v);
		assert_int_equal(ctl_verb_mutating(v), vi->mutating);
		assert_true(vi->help[0] && !strchr(vi->help, '\n'));
	}
	assert_null(ctl_verb_info(CTL_VERB_NR));
	assert_int_equal(ctl_verb_lookup("bogus"), -ENOENT);
	assert_int_equal(ctl_verb_lookup(""), -ENOENT);

	ctl_verb_usage(CTL_FOLIOS, usage, sizeof(usage));
	assert_string_equal(usage, "folios [PID] [json]");
	ctl_verb_usage(CTL_STATS, usage, sizeof(usage));
	assert_string_equal(usage, "stats [json]");
	ctl_verb_usage(CTL_PAUSE, usage, sizeof(usage));
	assert_string_equal(usage, "pause");
}

static void test_parse_pid(void **state)
{
	pid_t pid = 0;

	assert_int_equal(ctl_parse_pid("4711", &pid), 0);
	assert_int_equal(pid, 4711);
	assert_int_equal(ctl_parse_pid("2147483647", &pid), 0);
	assert_int_equal(ctl_parse_pid("2147483648", &pid), -EINVAL);
	assert_int_equal(ctl_parse_pid("0", &pid), -EINVAL);
	assert_int_equal(ctl_parse_pid("-1", &pid), -EINVAL);
	assert_int_equal(ctl_parse_pid("+1", &pid), -EINVAL);
	assert_int_equal(ctl_parse_pid("12x", &pid), -EINVAL);
	assert_int_equal(ctl_parse_pid("", &pid), -EINVAL);
}

static char *read_whole(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* The docs describe the verbs of the table, every one of them. */
static void test_docs_name_every_verb(void **state)
{
	char *man = read_whole(TIERD_TIERCTL_MAN);
	char *proto = read_whole(TIERD_PROTO_DOC);
	char needle[80], usage[64], *row;
	unsigned int v;

	for (v = 0; v < CTL_VERB_NR; v++) {
		const char *name = ctl_verb_name(v);

		snprintf(needle, sizeof(needle), "\n.B %s\n", name);
		if (!strstr(man, needle)) {
			snprintf(needle, sizeof(needle), "\n.BR %s ", name);
			if (!strstr(man, needle))
				fail_msg("%s does not document '%s'",
					 TIERD_TIERCTL_MAN, name);
		}
		ctl_verb_usage(v, usage, sizeof(usage));
		snprintf(needle, sizeof(needle), "\n| `%s`", usage);
		row = strstr(proto, needle);
		if (!row)
			fail_msg("%s does not document '%s'", TIERD_PROTO_DOC,
				 usage);
		/* the next column says whether it is mutating (root only) */
		row = strchr(row + 2, '|');
		row += strspn(row + 1, " ") + 1;
		if (strncmp(row, ctl_verb_mutating(v) ? "yes" : "no ", 3))
			fail_msg("%s: '%s' mutating column is wrong",
				 TIERD_PROTO_DOC, usage);
	}
	free(man);
	free(proto);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_verb),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_junk),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_long_junk_is_shortened),
		cmocka_unit_test(test_permission_matrix),
		cmocka_unit_test(test_reply_framing),
		cmocka_unit_test(test_help_lists_every_verb),
		cmocka_unit_test(test_verb_table),
		cmocka_unit_test(test_parse_pid),
		cmocka_unit_test(test_docs_name_every_verb),
		cmocka_unit_test(test_parse_track),
		cmocka_unit_test(test_self_service_access),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
