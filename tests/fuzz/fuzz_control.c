// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as one control-socket request.
 *
 * The input is the request message as the daemon receives it; the same
 * bytes, repeated, also fill the stats, folio list and status strings the
 * replies are rendered from, so hostile counters, node/pid counts and
 * strings reach the renderers too.  For a root, a stats-group and an
 * unrelated peer the request goes through what control.c and tierd.c do:
 * parse, decide access, answer.  Invariants:
 *  - a parsed request is consistent (verb in range, json/pid only where
 *    the verb takes them), a refused one has a one-line printable reason;
 *  - access is ALL for uid 0, READ for a stats-group member when a group
 *    is configured, NONE otherwise; READ never allows a mutating verb;
 *  - every reply is "ok\n..." ending in a newline or "error: reason\n" on
 *    one printable line, and fits CTL_REPLY_MAX;
 *  - every json reply body is valid JSON.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "control/control_proto.h"
#include "json_check.h"
#include "stats/stats_render.h"

#define FOLIOS_MAX 100		/* TIERD_FOLIOS_MAX in tierd.c */
#define STATS_GID 4242

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct world {
	struct tierd_stats st;
	struct folio_info folios[FOLIOS_MAX];
	size_t nr_folios;
	struct tierd_config cfg;
	char text[64 * 1024];		/* config as INI, like tierd.c */
	char *str;			/* the input as a C string */
	const uint8_t *data;
	size_t size;
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
	w->nr_folios = size ? data[0] % (FOLIOS_MAX + 1) : 0;

	tierd_config_defaults(&w->cfg);
	w->str = malloc(size + 1);
	if (!w->str)
		abort();
	memcpy(w->str, data, size);
	w->str[size] = '\0';
}

/* What tierd.c's control_handler does, minus the pipeline. */
static int handle(struct world *w, const struct ctl_request *req,
		  struct strbuf *reply)
{
	struct tierd_config_errors *errs;
	struct tierd_config cfg;
	struct tierd_status_view v;
	int r;

	switch (req->verb) {
	case CTL_STATS:
		if (req->json)
			stats_render_json(&w->st, reply);
		else
			stats_render_table(&w->st, reply);
		return 0;
	case CTL_METRICS:
		stats_render_prometheus(&w->st, reply);
		return 0;
	case CTL_STATUS:
		v = (struct tierd_status_view){
			.summary = w->str,
			.config_path = w->str,
			.socket_path = w->cfg.socket_path,
			.uptime_ms = w->st.uptime_ms,
			.paused = w->st.paused,
			.reloads = w->st.reloads,
			.reload_failures = w->st.reload_failures,
			.src = w->st.src,
		};
		if (req->json)
			status_render_json(&v, reply);
		else
			status_render_table(&v, reply);
		return 0;
	case CTL_CONFIG:
		r = tierd_config_format(&w->cfg, w->text, sizeof(w->text));
		if (r < 0) {
			ctl_reply_error(reply, "cannot format the config: %s",
					strerror(-r));
			return r;
		}
		sb_append(reply, w->text);
		return 0;
	case CTL_FOLIOS:
		if (req->json)
			folios_render_json(w->folios, w->nr_folios, reply);
		else
			folios_render_table(w->folios, w->nr_folios, reply);
		return 0;
	case CTL_HELP:
		ctl_help(reply);
		return 0;
	case CTL_PAUSE:
	case CTL_RESUME:
		sb_append(reply, req->verb == CTL_PAUSE ? "paused\n" :
			  "resumed\n");
		return 0;
	case CTL_RELOAD:
		/* the input doubles as the config file being reloaded */
		errs = malloc(sizeof(*errs));
		if (!errs)
			abort();
		r = tierd_config_load_string("fuzz.conf", w->str, &cfg, errs);
		if (r < 0)
			ctl_reply_error(reply, "reload failed, running "
					"configuration kept: %s",
					errs->nr ? errs->err[0].text : "?");
		else
			sb_printf(reply, "reloaded %s\n", "fuzz.conf");
		free(errs);
		return r;
	default:
		ctl_reply_error(reply, "request not implemented");
		return -EINVAL;
	}
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

/* control.c's handle_request, for one peer. */
static void serve(struct world *w, const struct ctl_peer *peer,
		  bool have_group, enum ctl_access want, char *buf)
{
	struct ctl_request req;
	struct strbuf sb;
	enum ctl_access access;
	char err[256];
	int r;

	access = ctl_peer_access(peer, have_group, STATS_GID);
	if (access != want) {
		fprintf(stderr, "uid %u gid %u group %d: access %d, want %d\n",
			peer->uid, peer->gid, have_group, access, want);
		abort();
	}
	sb_init(&sb, buf, CTL_REPLY_MAX);
	err[0] = '\0';
	r = ctl_parse((const char *)w->data, w->size, &req, err, sizeof(err));
	if (r < 0) {
		if ((r != -EINVAL && r != -EMSGSIZE) || !err[0]) {
			fprintf(stderr, "parse returned %d '%s'\n", r, err);
			abort();
		}
		check_one_line("parse error", err, false);
		ctl_reply_error(&sb, "%s", err);
		check_reply(&sb, NULL);
		return;
	}
	check_request(&req);
	if (ctl_allowed(access, req.verb) !=
	    (access == CTL_ACCESS_ALL ||
	     (access == CTL_ACCESS_READ && !ctl_verb_mutating(req.verb)))) {
		fprintf(stderr, "access %d to %s decided wrongly\n", access,
			ctl_verb_name(req.verb));
		abort();
	}
	if (!ctl_allowed(access, req.verb)) {
		ctl_reply_error(&sb, "permission denied: '%s' needs root",
				ctl_verb_name(req.verb));
		check_reply(&sb, NULL);
		return;
	}
	ctl_reply_ok(&sb);
	r = handle(w, &req, &sb);
	if (!r && sb.err)
		ctl_reply_error(&sb, "reply too large (max %d bytes)",
				CTL_REPLY_MAX);
	check_reply(&sb, r || !strncmp(sb.buf, "error: ", 7) ? NULL : &req);
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
	bool have_group;
	unsigned int i;

	if (!w || !buf)
		abort();
	build_world(w, data, size);
	have_group = size && (data[size - 1] & 1);

	/* groups the input picks, never the stats group ... */
	for (i = 0; i < 8; i++)
		groups[i] = size ? 1000 + data[i % size] % 64 : 1000;
	serve(w, &root, have_group, CTL_ACCESS_ALL, buf);
	serve(w, &other, have_group, CTL_ACCESS_NONE, buf);
	/* ... then the stats group at a position the input picks */
	groups[size ? data[0] % 8 : 0] = STATS_GID;
	serve(w, &member, have_group,
	      have_group ? CTL_ACCESS_READ : CTL_ACCESS_NONE, buf);
	member.nr_groups = 0;
	member.gid = STATS_GID;
	serve(w, &member, have_group,
	      have_group ? CTL_ACCESS_READ : CTL_ACCESS_NONE, buf);

	free(w->str);
	free(w);
	free(buf);
	return 0;
}
