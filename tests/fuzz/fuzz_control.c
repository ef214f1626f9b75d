// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as one control-socket request.
 *
 * The input is the request message as the daemon receives it; the same
 * bytes, repeated, also fill the stats, folio list and status strings the
 * replies are rendered from, so hostile counters, node/pid counts and
 * strings reach the renderers too.  For a root, a stats-group and an
 * unrelated peer, with and without a descriptor (and truncated control
 * data) the message goes through the functions tierd itself calls:
 * ctl_handle() and ctl_dispatch() over a fake ops table.  Invariants:
 *  - a parsed request is consistent (verb in range, json/pid only where
 *    the verb takes them), a refused one has a one-line printable reason;
 *  - access is ALL for uid 0, READ for a stats-group member when a group
 *    is configured, NONE otherwise; READ never allows a mutating verb;
 *  - every reply is "ok\n..." ending in a newline or "error: reason\n" on
 *    one printable line, and fits CTL_REPLY_MAX;
 *  - every json reply body is valid JSON;
 *  - a descriptor with a verb that takes none, or truncated control data,
 *    always gets an error reply, and nothing is done for it;
 *  - pause/resume/reload run only for root, for a well-formed request;
 *  - every request is counted, every error reply counted as an error;
 *  - every log line is one printable line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "control/request.h"
#include "json_check.h"

#define STATS_GID 4242

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct world {
	struct tierd_stats st;
	struct folio_info folios[CTL_FOLIOS_MAX];
	size_t nr_folios;
	struct tierd_config cfg;
	char *str;			/* the input as a C string */
	const uint8_t *data;
	size_t size;
	unsigned int mutations;		/* set_paused and reload calls */
	unsigned int dispatched;	/* any op but log */
	struct ctl_service svc;
};

/* The input bytes, repeated and varied per round, as a byte stream. */
static void fill(void *dst, size_t len, const uint8_t *data, size_t size,
		 size_t skew)
{
	uint8_t *d = dst;
	size_t i;

	if (!size) {
		memset(dst, 0, len);
		return;
	}
	for (i = 0; i < len; i++)
		d[i] = data[(i + skew) % size] ^
		       (uint8_t)(((i + skew) / size) * 0x9d);
}

/* A bool may only hold 0 or 1; loading anything else is UB. */
static void fix_bool(bool *b)
{
	unsigned char c;

	memcpy(&c, b, 1);
	c &= 1;
	memcpy(b, &c, 1);
}

static void build_world(struct world *w, const uint8_t *data, size_t size)
{
	unsigned int i;

	w->data = data;
	w->size = size;
	fill(&w->st, sizeof(w->st), data, size, 0);
	fix_bool(&w->st.paused);
	for (i = 0; i < TIERD_SRC_NR; i++) {
		fix_bool(&w->st.src[i].active);
		fix_bool(&w->st.src[i].prog_stats_enabled);
	}
	for (i = 0; i < sizeof(w->st.node) / sizeof(w->st.node[0]); i++) {
		fix_bool(&w->st.node[i].present);
		fix_bool(&w->st.node[i].slow);
		fix_bool(&w->st.node[i].fast);
	}
	fill(w->folios, sizeof(w->folios), data, size, 7);
	/* more than CTL_FOLIOS_MAX: a daemon returning too many is cut */
	w->nr_folios = size ? data[0] % (CTL_FOLIOS_MAX + 8) : 0;

	tierd_config_defaults(&w->cfg);
	w->str = malloc(size + 1);
	if (!w->str)
		abort();
	memcpy(w->str, data, size);
	w->str[size] = '\0';
}

static void check_one_line(const char *what, const char *s, bool nl_end)
{
	size_t n = strlen(s), i;

	if (nl_end) {
		if (!n || s[n - 1] != '\n') {
			fprintf(stderr, "%s: no final newline: '%s'\n", what, s);
			abort();
		}
		n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c == 0x7f) {
			fprintf(stderr, "%s: control character 0x%02x at %zu: '%s'\n",
				what, c, i, s);
			abort();
		}
	}
}

/* ---- the fake daemon: the ops tierd.c implements, over the input ---- */

static void fake_fill_stats(void *ctx, struct tierd_stats *st)
{
	struct world *w = ctx;

	w->dispatched++;
	*st = w->st;
}

static void fake_summary(void *ctx, char *buf, size_t len)
{
	struct world *w = ctx;

	w->dispatched++;
	snprintf(buf, len, "%s", w->str);
}

static const struct tierd_config *fake_config(void *ctx)
{
	struct world *w = ctx;

	w->dispatched++;
	return &w->cfg;
}

static const char *fake_config_path(void *ctx)
{
	return ((struct world *)ctx)->str;
}

static size_t fake_top_folios(void *ctx, pid_t pid, struct folio_info *out,
			      size_t max)
{
	struct world *w = ctx;
	size_t n = w->nr_folios < max ? w->nr_folios : max;

	w->dispatched++;
	memcpy(out, w->folios, n * sizeof(*out));
	return w->nr_folios;
}

static void fake_set_paused(void *ctx, bool paused)
{
	struct world *w = ctx;

	w->dispatched++;
	w->mutations++;
}

/* The input doubles as the config file being reloaded. */
static int fake_reload(void *ctx, char *why, size_t whylen)
{
	struct world *w = ctx;
	struct tierd_config_errors *errs;
	struct tierd_config cfg;
	struct strbuf sb;
	unsigned int i;
	int r;

	w->dispatched++;
	w->mutations++;
	errs = malloc(sizeof(*errs));
	if (!errs)
		abort();
	r = tierd_config_load_string("fuzz.conf", w->str, &cfg, errs);
	sb_init(&sb, why, whylen);
	for (i = 0; r < 0 && i < errs->nr; i++)
		sb_printf(&sb, "%s%s", i ? "\n" : "", errs->err[i].text);
	free(errs);
	return r;
}

/* A descriptor reaches the op only with track, and it is the one sent. */
static int fake_track(void *ctx, const struct ctl_request *req, char *msg,
		      size_t msglen)
{
	struct world *w = ctx;

	w->dispatched++;
	if (req->fd != 1000 || req->verb != CTL_TRACK) {
		fprintf(stderr, "track op got fd %d for %s\n", req->fd,
			ctl_verb_name(req->verb));
		abort();
	}
	/* the input doubles as the op's answer, one line or several */
	snprintf(msg, msglen, "%s", w->str);
	return w->size && (w->data[0] & 1) ? -EPERM : 0;
}

static void fake_log(void *ctx, int prio, const char *line)
{
	check_one_line("log line", line, false);
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

static void check_reply(const struct strbuf *sb, const struct ctl_request *req)
{
	if (sb->err || sb->len >= CTL_REPLY_MAX || sb->len != strlen(sb->buf)) {
		fprintf(stderr, "reply buffer state: err %d len %zu\n",
			sb->err, sb->len);
		abort();
	}
	if (!strncmp(sb->buf, "error: ", 7)) {
		if (sb->len == 8) {
			fprintf(stderr, "error reply without a reason\n");
			abort();
		}
		check_one_line("error reply", sb->buf, true);
		return;
	}
	if (strncmp(sb->buf, "ok\n", 3)) {
		fprintf(stderr, "reply neither ok nor error: '%.80s'\n", sb->buf);
		abort();
	}
	if (sb->buf[sb->len - 1] != '\n') {
		fprintf(stderr, "ok reply without a final newline\n");
		abort();
	}
	if (req && req->json && !json_valid(sb->buf + 3)) {
		fprintf(stderr, "invalid JSON for %s:\n%s\n",
			ctl_verb_name(req->verb), sb->buf + 3);
		abort();
	}
}

static void check_request(const struct ctl_request *req)
{
	if ((unsigned int)req->verb >= CTL_VERB_NR) {
		fprintf(stderr, "verb %d out of range\n", req->verb);
		abort();
	}
	if (req->json && req->verb != CTL_STATS && req->verb != CTL_STATUS &&
	    req->verb != CTL_FOLIOS) {
		fprintf(stderr, "json on %s\n", ctl_verb_name(req->verb));
		abort();
	}
	if (req->pid < 0 || (req->pid && req->verb != CTL_FOLIOS)) {
		fprintf(stderr, "pid %d on %s\n", req->pid,
			ctl_verb_name(req->verb));
		abort();
	}
}

/* What can come along with the message, chosen by the input. */
enum attachment { ATTACH_NONE, ATTACH_FD, ATTACH_FDS, ATTACH_CTRUNC,
		  ATTACH_NR };

/* One message from one peer, through what server.c calls. */
static void serve(struct world *w, const struct ctl_peer *peer,
		  bool have_group, enum ctl_access want,
		  enum attachment att, char *buf)
{
	bool fd_ok;
	struct ctl_sender from;
	struct ctl_message msg = {
		.data = (const char *)w->data, .len = w->size, .fd = -1,
	};
	struct control_counters before = w->svc.counters;
	unsigned int mutations = w->mutations, dispatched = w->dispatched;
	struct ctl_request req;
	struct strbuf sb;
	bool parsed, error, close_after;
	char err[256];
	int r;

	from = (struct ctl_sender){
		.pid = peer->pid, .uid = peer->uid, .gid = peer->gid,
		.access = ctl_peer_access(peer, have_group, STATS_GID),
	};
	/* the track socket gives every peer self-service access */
	if (want == CTL_ACCESS_SELF)
		from.access = CTL_ACCESS_SELF;
	if (from.access != want) {
		fprintf(stderr, "uid %u gid %u group %d: access %d, want %d\n",
			peer->uid, peer->gid, have_group, from.access, want);
		abort();
	}
	switch (att) {
	case ATTACH_FD:
		msg.fd = 1000;
		msg.nr_fds = 1;
		break;
	case ATTACH_FDS:
		msg.fd = 1000;
		msg.nr_fds = 2;
		break;
	case ATTACH_CTRUNC:
		msg.ctrunc = true;
		break;
	default:
		break;
	}

	/* the parser on its own: what the request is */
	err[0] = '\0';
	r = ctl_parse(msg.data, msg.len, &req, err, sizeof(err));
	parsed = r == 0;
	if (!parsed) {
		if ((r != -EINVAL && r != -EMSGSIZE) || !err[0]) {
			fprintf(stderr, "parse returned %d '%s'\n", r, err);
			abort();
		}
		check_one_line("parse error", err, false);
	} else {
		check_request(&req);
		if (ctl_allowed(from.access, req.verb) !=
		    (from.access == CTL_ACCESS_ALL ||
		     (from.access == CTL_ACCESS_READ &&
		      !ctl_verb_mutating(req.verb)) ||
		     (from.access == CTL_ACCESS_SELF &&
		      (ctl_verb_info(req.verb)->takes & CTL_SELF_SERVICE)))) {
			fprintf(stderr, "access %d to %s decided wrongly\n",
				from.access, ctl_verb_name(req.verb));
			abort();
		}
	}

	/* the whole handling, as the daemon does it */
	sb_init(&sb, buf, CTL_REPLY_MAX);
	close_after = ctl_handle(&w->svc, &from, have_group, &msg, &sb);
	error = !strncmp(sb.buf, "error: ", 7);
	check_reply(&sb, !error && parsed ? &req : NULL);

	if (w->svc.counters.requests != before.requests + 1 ||
	    w->svc.counters.errors != before.errors + error) {
		fprintf(stderr, "counters %llu/%llu -> %llu/%llu, error %d\n",
			(unsigned long long)before.requests,
			(unsigned long long)before.errors,
			(unsigned long long)w->svc.counters.requests,
			(unsigned long long)w->svc.counters.errors, error);
		abort();
	}
	if (close_after && !error) {
		fprintf(stderr, "connection closed after an ok reply\n");
		abort();
	}
	/* exactly one descriptor with the verbs that take one, else none */
	fd_ok = parsed && (att == ATTACH_FD) ==
		!!(ctl_verb_info(req.verb)->takes & CTL_TAKES_FD);
	if (!parsed || !ctl_allowed(from.access, req.verb) || !fd_ok) {
		/* refused: an error, and nothing done for it */
		if (!error || w->dispatched != dispatched) {
			fprintf(stderr, "%s reply with attachment %d, parsed "
				"%d: '%.80s'\n", error ? "error" : "ok", att,
				parsed, sb.buf);
			abort();
		}
		return;
	}
	if (w->mutations != mutations &&
	    (from.access != CTL_ACCESS_ALL || !ctl_verb_mutating(req.verb))) {
		fprintf(stderr, "%s mutated for access %d\n",
			ctl_verb_name(req.verb), from.access);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world *w = malloc(sizeof(*w));
	char *buf = malloc(CTL_REPLY_MAX);
	gid_t groups[8];
	struct ctl_peer root = { .pid = 1, .uid = 0, .gid = 0 };
	struct ctl_peer member = { .pid = 2, .uid = 1000, .gid = 1000,
				   .nr_groups = 8, .groups = groups };
	struct ctl_peer other = { .pid = 3, .uid = 1001, .gid = 1001,
				  .nr_groups = 8, .groups = groups };
	enum attachment att;
	bool have_group;
	unsigned int i;

	if (!w || !buf)
		abort();
	build_world(w, data, size);
	ctl_service_init(&w->svc, &fake_ops, w);
	have_group = size && (data[size - 1] & 1);

	/* groups the input picks, never the stats group ... */
	for (att = ATTACH_NONE; att < ATTACH_NR; att++) {
		for (i = 0; i < 8; i++)
			groups[i] = size ? 1000 + data[i % size] % 64 : 1000;
		member.nr_groups = 8;
		member.gid = 1000;
		serve(w, &root, have_group, CTL_ACCESS_ALL, att, buf);
		serve(w, &other, have_group, CTL_ACCESS_SELF, att, buf);
		serve(w, &other, have_group, CTL_ACCESS_NONE, att, buf);
		/* ... then the stats group at a position the input picks */
		groups[size ? data[0] % 8 : 0] = STATS_GID;
		serve(w, &member, have_group,
		      have_group ? CTL_ACCESS_READ : CTL_ACCESS_NONE, att,
		      buf);
		member.nr_groups = 0;
		member.gid = STATS_GID;
		serve(w, &member, have_group,
		      have_group ? CTL_ACCESS_READ : CTL_ACCESS_NONE, att,
		      buf);
	}

	free(w->str);
	free(w);
	free(buf);
	return 0;
}
