// SPDX-License-Identifier: GPL-2.0
/*
 * The control request handling and verb dispatch (request.c, dispatch.c)
 * through a fake ops table: what the daemon answers, counts and logs for
 * each kind of message, descriptors included.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <cmocka.h>

#include "control/request.h"
#include "json_check.h"

#define FAKE_CONFIG_PATH "/etc/fake-tierd.conf"

struct fake {
	struct tierd_config cfg;
	unsigned int fill_calls;
	unsigned int pause_calls;
	bool paused;
	unsigned int reload_calls;
	int reload_ret;
	const char *reload_why;
	size_t nr_folios;
	unsigned int nr_log;
	int log_prio[16];
	char log[16][1024];
	unsigned int track_calls;
	struct ctl_request last_track;
	int track_ret;
};

static void fake_fill_stats(void *ctx, struct tierd_stats *st)
{
	struct fake *f = ctx;

	f->fill_calls++;
	memset(st, 0, sizeof(*st));
	st->uptime_ms = 1234;
	st->paused = f->paused;
	st->reloads = 3;
}

static void fake_summary(void *ctx, char *buf, size_t len)
{
	snprintf(buf, len, "fake summary");
}

static const struct tierd_config *fake_config(void *ctx)
{
	return &((struct fake *)ctx)->cfg;
}

static const char *fake_config_path(void *ctx)
{
	return FAKE_CONFIG_PATH;
}

static size_t fake_top_folios(void *ctx, pid_t pid, struct folio_info *out,
			      size_t max)
{
	struct fake *f = ctx;
	size_t i;

	for (i = 0; i < f->nr_folios && i < max; i++)
		out[i] = (struct folio_info){
			.pid = pid ? pid : 100 + (int)i,
			.addr = 0x7f0000000000ULL + i * 4096,
			.score = 10.0 * (double)(i + 1),
		};
	return f->nr_folios;
}

static void fake_set_paused(void *ctx, bool paused)
{
	struct fake *f = ctx;

	f->pause_calls++;
	f->paused = paused;
}

static int fake_reload(void *ctx, char *why, size_t whylen)
{
	struct fake *f = ctx;

	f->reload_calls++;
	if (f->reload_ret < 0 && f->reload_why)
		snprintf(why, whylen, "%s", f->reload_why);
	return f->reload_ret;
}

static int fake_track(void *ctx, const struct ctl_request *req, char *msg,
		      size_t msglen)
{
	struct fake *f = ctx;

	f->track_calls++;
	f->last_track = *req;
	if (f->track_ret < 0)
		snprintf(msg, msglen, "pid %d: refused by the fake",
			 (int)req->peer_pid);
	else
		snprintf(msg, msglen, "tracking pid %d", (int)req->peer_pid);
	return f->track_ret;
}

static void fake_log(void *ctx, int prio, const char *line)
{
	struct fake *f = ctx;

	if (f->nr_log < 16) {
		f->log_prio[f->nr_log] = prio;
		snprintf(f->log[f->nr_log], sizeof(f->log[0]), "%s", line);
	}
	f->nr_log++;
}

static const struct ctl_ops fake_ops = {
	.fill_stats = fake_fill_stats,
	.summary = fake_summary,
	.config = fake_config,
	.config_path = fake_config_path,
	.top_folios = fake_top_folios,
	.set_paused = fake_set_paused,
	.reload = fake_reload,
	.track = fake_track,
	.log = fake_log,
};

struct world {
	struct fake fake;
	struct ctl_service svc;
	char buf[CTL_REPLY_MAX];
	struct strbuf reply;
};

static const struct ctl_sender root = {
	.pid = 77, .uid = 0, .gid = 0, .access = CTL_ACCESS_ALL,
};
static const struct ctl_sender member = {
	.pid = 78, .uid = 1000, .gid = 4321, .access = CTL_ACCESS_READ,
};
static const struct ctl_sender other = {
	.pid = 79, .uid = 1001, .gid = 1001, .access = CTL_ACCESS_NONE,
};
/* a peer of the track socket */
static const struct ctl_sender tracker = {
	.pid = 80, .uid = 1002, .gid = 1002, .access = CTL_ACCESS_SELF,
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	tierd_config_defaults(&w->fake.cfg);
	ctl_service_init(&w->svc, &fake_ops, &w->fake);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Send @text (with what came along in @m) and return the reply text. */
static const char *ask_msg(struct world *w, const struct ctl_sender *from,
			   struct ctl_message m, bool *close_after)
{
	bool c;

	sb_init(&w->reply, w->buf, sizeof(w->buf));
	c = ctl_handle(&w->svc, from, true, &m, &w->reply);
	if (close_after)
		*close_after = c;
	assert_int_equal(w->reply.err, 0);
	return w->buf;
}

static const char *ask(struct world *w, const struct ctl_sender *from,
		       const char *text)
{
	struct ctl_message m = {
		.data = text, .len = strlen(text), .fd = -1,
	};
	bool c;
	const char *r = ask_msg(w, from, m, &c);

	assert_false(c);
	return r;
}

static bool logged(const struct fake *f, int prio, const char *needle)
{
	unsigned int i;

	for (i = 0; i < f->nr_log && i < 16; i++)
		if (f->log_prio[i] == prio && strstr(f->log[i], needle))
			return true;
	return false;
}

static void test_stats(void **state)
{
	struct world *w = *state;
	const char *r;

	r = ask(w, &member, "stats\n");
	assert_int_equal(strncmp(r, "ok\n", 3), 0);
	assert_non_null(strstr(r, "\ntable "));
	r = ask(w, &member, "stats json");
	assert_int_equal(strncmp(r, "ok\n", 3), 0);
	assert_true(json_valid(r + 3));
	/* the control counters come from the service, this request included */
	assert_non_null(strstr(r, "\"control_requests\":2"));
	assert_non_null(strstr(r, "\"control_errors\":0"));
	assert_non_null(strstr(r, "\"uptime_ms\":1234"));
	assert_int_equal(w->fake.fill_calls, 2);
	assert_int_equal(w->svc.counters.requests, 2);
	assert_int_equal(w->svc.counters.errors, 0);
}

static void test_read_verbs(void **state)
{
	struct world *w = *state;
	char text[CTL_TEXT_MAX], help[4096];
	struct strbuf sb;
	const char *r;

	r = ask(w, &member, "status json");
	assert_true(json_valid(r + 3));
	assert_non_null(strstr(r, "fake summary"));
	assert_non_null(strstr(r, FAKE_CONFIG_PATH));
	assert_non_null(strstr(r, TIERD_DEFAULT_SOCKET));

	assert_true(tierd_config_format(&w->fake.cfg, text, sizeof(text)) > 0);
	r = ask(w, &member, "config");
	assert_int_equal(strncmp(r, "ok\n", 3), 0);
	assert_string_equal(r + 3, text);

	r = ask(w, &member, "metrics");
	assert_non_null(strstr(r, "tierd_uptime_seconds 1.234"));

	w->fake.nr_folios = 3;
	r = ask(w, &member, "folios 4711 json");
	assert_true(json_valid(r + 3));
	assert_non_null(strstr(r, "\"pid\":4711"));
	/* a daemon that returns more than asked is cut to the reply's size */
	w->fake.nr_folios = 1000;
	r = ask(w, &member, "folios");
	assert_int_equal(strncmp(r, "ok\n", 3), 0);

	sb_init(&sb, help, sizeof(help));
	ctl_help(&sb);
	r = ask(w, &member, "help");
	assert_string_equal(r + 3, help);
	assert_int_equal(w->svc.counters.errors, 0);
}

static void test_fd_refused(void **state)
{
	struct world *w = *state;
	struct ctl_message m = { .fd = 42, .nr_fds = 1 };
	char want[128];
	unsigned int v;
	const char *r;
	bool c;

	for (v = 0; v < CTL_VERB_NR; v++) {
		if (ctl_verb_info(v)->takes & CTL_TAKES_FD)
			continue;
		m.data = ctl_verb_name(v);
		m.len = strlen(m.data);
		r = ask_msg(w, &root, m, &c);
		snprintf(want, sizeof(want),
			 "error: request '%s' takes no descriptor\n",
			 ctl_verb_name(v));
		assert_string_equal(r, want);
		assert_false(c);
	}
	/* nothing was done for any of them */
	assert_int_equal(w->fake.fill_calls, 0);
	assert_int_equal(w->fake.pause_calls, 0);
	assert_int_equal(w->fake.reload_calls, 0);
	assert_int_equal(w->svc.counters.errors, w->svc.counters.requests);

	/* two descriptors that fit in the room for one */
	m = (struct ctl_message){ .data = "stats json", .len = 10, .fd = 5,
				  .nr_fds = 2 };
	r = ask_msg(w, &root, m, &c);
	assert_string_equal(r, "error: request 'stats' takes no descriptor\n");
	assert_true(logged(&w->fake, LOG_DEBUG,
			   "pid 77 uid 0: request 'stats' takes no descriptor"));
}

static void test_fd_with_bad_request(void **state)
{
	struct world *w = *state;
	struct ctl_message m = { .data = "xyz", .len = 3, .fd = 42,
				 .nr_fds = 1 };
	const char *r;

	/* the request's own error comes first; the caller still closes */
	r = ask_msg(w, &root, m, NULL);
	assert_string_equal(r, "error: unknown request 'xyz' (try help)\n");
	m.data = "pause";
	m.len = 5;
	r = ask_msg(w, &member, m, NULL);
	assert_string_equal(r, "error: permission denied: 'pause' needs "
			    "root\n");
	assert_int_equal(w->fake.pause_calls, 0);
}

static void test_ctrunc(void **state)
{
	struct world *w = *state;
	struct ctl_message m = { .data = "stats", .len = 5, .fd = -1,
				 .ctrunc = true };
	const char *r;
	bool c;

	r = ask_msg(w, &root, m, &c);
	assert_string_equal(r, "error: control data truncated: at most one "
			    "descriptor per request\n");
	assert_false(c);
	/* with one descriptor kept and the rest dropped by the kernel */
	m.fd = 9;
	m.nr_fds = 2;
	r = ask_msg(w, &root, m, &c);
	assert_int_equal(strncmp(r, "error: control data truncated", 29), 0);
	assert_int_equal(w->fake.fill_calls, 0);
	assert_int_equal(w->svc.counters.errors, 2);
}

static void test_too_large(void **state)
{
	struct world *w = *state;
	static char big[CTL_REQUEST_MAX + 1];
	struct ctl_message m = { .data = big, .fd = -1 };
	const char *r;
	bool c;

	memset(big, ' ', sizeof(big));
	memcpy(big, "stats", 5);
	m.len = CTL_REQUEST_MAX;
	r = ask_msg(w, &root, m, &c);
	assert_int_equal(strncmp(r, "ok\n", 3), 0);
	assert_false(c);

	/* one byte more, or cut by the kernel: error, then hang up */
	m.len = CTL_REQUEST_MAX + 1;
	r = ask_msg(w, &root, m, &c);
	assert_string_equal(r, "error: request too large (max 4096 bytes)\n");
	assert_true(c);
	m.len = 10;
	m.truncated = true;
	m.fd = 3;
	m.nr_fds = 1;
	r = ask_msg(w, &root, m, &c);
	assert_string_equal(r, "error: request too large (max 4096 bytes)\n");
	assert_true(c);
	assert_int_equal(w->svc.counters.errors, 2);
}

static void test_access(void **state)
{
	struct world *w = *state;
	struct ctl_message m = { .data = "stats", .len = 5, .fd = -1 };
	struct strbuf sb;

	assert_string_equal(ask(w, &member, "pause"),
			    "error: permission denied: 'pause' needs root\n");
	assert_true(logged(&w->fake, LOG_NOTICE, "pid 78 uid 1000 denied "
			   "'pause'"));
	assert_string_equal(ask(w, &other, "stats"),
			    "error: permission denied: needs root or the "
			    "stats group\n");
	/* without a stats_group there is no group to name */
	sb_init(&sb, w->buf, sizeof(w->buf));
	ctl_handle(&w->svc, &other, false, &m, &sb);
	assert_string_equal(w->buf, "error: permission denied: needs root\n");
	assert_int_equal(w->fake.pause_calls, 0);
	assert_int_equal(w->fake.fill_calls, 0);
	assert_int_equal(w->svc.counters.errors, 3);
}

static void test_pause_resume(void **state)
{
	struct world *w = *state;

	assert_string_equal(ask(w, &root, "pause"), "ok\npaused\n");
	assert_true(w->fake.paused);
	/* a mutating request is logged with who made it, before it runs */
	assert_true(logged(&w->fake, LOG_INFO, "'pause' requested by pid 77 "
			   "uid 0"));
	assert_string_equal(ask(w, &root, "resume\n"), "ok\nresumed\n");
	assert_false(w->fake.paused);
	assert_int_equal(w->fake.pause_calls, 2);
}

static void test_reload(void **state)
{
	struct world *w = *state;

	assert_string_equal(ask(w, &root, "reload"),
			    "ok\nreloaded " FAKE_CONFIG_PATH "\n");
	assert_int_equal(w->svc.counters.errors, 0);

	/* every problem to the log, once; the first one to the client */
	w->fake.nr_log = 0;
	w->fake.reload_ret = -EINVAL;
	w->fake.reload_why = "a.conf:2: [hotness] decay: bad\n"
			     "a.conf:5: [nodes] slow: worse";
	assert_string_equal(ask(w, &root, "reload"),
			    "error: reload failed, running configuration kept: "
			    "a.conf:2: [hotness] decay: bad\n");
	assert_int_equal(w->fake.nr_log, 3);	/* requested, 2 problems */
	assert_int_equal(w->fake.log_prio[1], LOG_ERR);
	assert_string_equal(w->fake.log[1], "reload failed: keeping the "
			    "running configuration: a.conf:2: [hotness] decay: "
			    "bad");
	assert_int_equal(w->fake.log_prio[2], LOG_ERR);
	assert_string_equal(w->fake.log[2], "a.conf:5: [nodes] slow: worse");
	assert_int_equal(w->svc.counters.errors, 1);

	/* a failure without a reason still says something */
	w->fake.reload_why = NULL;
	w->fake.reload_ret = -EACCES;
	assert_string_equal(ask(w, &root, "reload"),
			    "error: reload failed, running configuration kept: "
			    "Permission denied\n");
}

static void test_reply_too_large(void **state)
{
	struct world *w = *state;
	struct ctl_message m = { .data = "stats", .len = 5, .fd = -1 };
	char small[64];
	struct strbuf sb;

	sb_init(&sb, small, sizeof(small));
	assert_false(ctl_handle(&w->svc, &root, true, &m, &sb));
	assert_string_equal(small, "error: reply too large (max 196608 "
			    "bytes)\n");
	assert_int_equal(w->svc.counters.errors, 1);
}

static void test_parse_error_counted(void **state)
{
	struct world *w = *state;

	assert_string_equal(ask(w, &root, "stats foo"),
			    "error: unknown request 'stats foo': bad argument "
			    "'foo', usage: stats [json] (try help)\n");
	assert_true(logged(&w->fake, LOG_DEBUG, "pid 77 uid 0: unknown "
			   "request 'stats foo'"));
	assert_int_equal(w->svc.counters.requests, 1);
	assert_int_equal(w->svc.counters.errors, 1);
}

/*
 * `track` on the track socket: the descriptor, the canary and the
 * sender's own number reach the op with the sender's credentials; the
 * reply is the op's line, ok or error, and it is logged once.
 */
static void test_track(void **state)
{
	struct world *w = *state;
	const char text[] = "track 0x7f0000001000 5\n";
	struct ctl_message m = { .data = text, .len = sizeof(text) - 1,
				 .fd = 42, .nr_fds = 1 };
	const char *r;

	r = ask_msg(w, &tracker, m, NULL);
	assert_string_equal(r, "ok\ntracking pid 80\n");
	assert_int_equal(w->fake.track_calls, 1);
	assert_int_equal(w->fake.last_track.fd, 42);
	assert_int_equal(w->fake.last_track.fdno, 5);
	assert_int_equal(w->fake.last_track.addr, 0x7f0000001000ULL);
	assert_int_equal(w->fake.last_track.peer_pid, 80);
	assert_int_equal(w->fake.last_track.peer_uid, 1002);
	assert_true(logged(&w->fake, LOG_INFO,
			   "track: pid 80 uid 1002: tracking pid 80"));

	w->fake.track_ret = -EPERM;
	r = ask_msg(w, &tracker, m, NULL);
	assert_string_equal(r, "error: pid 80: refused by the fake\n");
	assert_true(logged(&w->fake, LOG_INFO,
			   "track: pid 80 uid 1002 refused: pid 80: refused by the fake"));

	/* without its descriptor: refused before the op */
	m.fd = -1;
	m.nr_fds = 0;
	r = ask_msg(w, &tracker, m, NULL);
	assert_string_equal(r, "error: request 'track' takes one descriptor (SCM_RIGHTS), got 0\n");
	assert_int_equal(w->fake.track_calls, 2);
}

/* The track socket answers nothing but track; the control socket does. */
static void test_track_socket_access(void **state)
{
	struct world *w = *state;
	const char text[] = "track 0x1000 3";
	struct ctl_message m = { .data = text, .len = sizeof(text) - 1,
				 .fd = 9, .nr_fds = 1 };

	assert_string_equal(ask(w, &tracker, "stats"),
			    "error: permission denied: the track socket answers only track\n");
	assert_string_equal(ask(w, &tracker, "reload"),
			    "error: permission denied: the track socket answers only track\n");
	assert_int_equal(w->fake.reload_calls, 0);
	assert_int_equal(w->fake.fill_calls, 0);
	/* non-members cannot use the control socket for it */
	assert_string_equal(ask_msg(w, &other, m, NULL),
			    "error: permission denied: needs root or the stats group\n");
	assert_string_equal(ask_msg(w, &member, m, NULL),
			    "ok\ntracking pid 78\n");
	assert_int_equal(w->fake.track_calls, 1);
}

static void test_dispatch_without_handle(void **state)
{
	struct world *w = *state;
	struct ctl_request req = { .verb = CTL_RELOAD, .fd = -1 };
	char buf[256];
	struct strbuf sb;

	/* what SIGHUP does: the reload request, not counted as a request */
	sb_init(&sb, buf, sizeof(buf));
	ctl_reply_ok(&sb);
	assert_int_equal(ctl_dispatch(&w->svc, &req, &sb), 0);
	assert_string_equal(buf, "ok\nreloaded " FAKE_CONFIG_PATH "\n");
	assert_int_equal(w->svc.counters.requests, 0);

	req.verb = CTL_VERB_NR;
	assert_int_equal(ctl_dispatch(&w->svc, &req, &sb), -EINVAL);
	assert_string_equal(buf, "error: request not implemented\n");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_stats),
		T(test_read_verbs),
		T(test_fd_refused),
		T(test_track),
		T(test_track_socket_access),
		T(test_fd_with_bad_request),
		T(test_ctrunc),
		T(test_too_large),
		T(test_access),
		T(test_pause_resume),
		T(test_reload),
		T(test_reply_too_large),
		T(test_parse_error_counted),
		T(test_dispatch_without_handle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
