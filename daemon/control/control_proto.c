// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/control_proto.h"

static const struct {
	const char *name;
	bool mutating;
	bool takes_json;
	bool takes_pid;
	const char *usage;
	const char *help;
} verbs[CTL_VERB_NR] = {
	[CTL_STATS] = { "stats", false, true, false, "stats [json]",
			"counters of every stage" },
	[CTL_STATUS] = { "status", false, true, false, "status [json]",
			 "one-line summary, sources and their state" },
	[CTL_CONFIG] = { "config", false, false, false, "config",
			 "the effective configuration as INI" },
	[CTL_METRICS] = { "metrics", false, false, false, "metrics",
			  "counters in Prometheus text format" },
	[CTL_FOLIOS] = { "folios", false, true, true, "folios [PID] [json]",
			 "hottest tracked folios, of PID or of all" },
	[CTL_HELP] = { "help", false, false, false, "help", "this list" },
	[CTL_PAUSE] = { "pause", true, false, false, "pause",
			"stop promoting (collection goes on); root only" },
	[CTL_RESUME] = { "resume", true, false, false, "resume",
			 "resume promoting; root only" },
	[CTL_RELOAD] = { "reload", true, false, false, "reload",
			 "re-read the config file; root only" },
};

const char *ctl_verb_name(enum ctl_verb v)
{
	return (unsigned int)v < CTL_VERB_NR ? verbs[v].name : "invalid";
}

bool ctl_verb_mutating(enum ctl_verb v)
{
	/* Unknown verbs count as mutating so they are never let through. */
	return (unsigned int)v < CTL_VERB_NR ? verbs[v].mutating : true;
}

/*
 * Copy client text into an error message: printable ASCII only, shortened,
 * so replies and logs never carry control characters.
 */
static void quote_client_text(char *dst, size_t dstlen, const char *s,
			      size_t n)
{
	size_t i, o = 0, max = 48;

	for (i = 0; i < n && o + 4 < dstlen; i++) {
		if (i == max) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		dst[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	}
	dst[o] = '\0';
}

static int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > INT_MAX)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

int ctl_parse(const char *msg, size_t len, struct ctl_request *req,
	      char *err, size_t errlen)
{
	char line[CTL_REQUEST_MAX + 1], shown[64];
	char *tok, *save = NULL;
	unsigned int v;
	bool have_pid = false;

	if (len > CTL_REQUEST_MAX) {
		snprintf(err, errlen, "request too large (%zu bytes, max %d)",
			 len, CTL_REQUEST_MAX);
		return -EMSGSIZE;
	}
	if (memchr(msg, '\0', len)) {
		snprintf(err, errlen, "request contains a NUL byte");
		return -EINVAL;
	}
	memcpy(line, msg, len);
	line[len] = '\0';
	/* One trailing newline (or CRLF) is allowed, nothing else. */
	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (strpbrk(line, "\n\r")) {
		snprintf(err, errlen,
			 "one request per message: embedded newline");
		return -EINVAL;
	}
	quote_client_text(shown, sizeof(shown), line, len);

	tok = strtok_r(line, " \t", &save);
	if (!tok) {
		snprintf(err, errlen, "empty request (try help)");
		return -EINVAL;
	}
	for (v = 0; v < CTL_VERB_NR; v++)
		if (!strcmp(tok, verbs[v].name))
			break;
	if (v == CTL_VERB_NR) {
		snprintf(err, errlen, "unknown request '%s' (try help)", shown);
		return -EINVAL;
	}

	memset(req, 0, sizeof(*req));
	req->verb = v;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char arg[64];

		if (verbs[v].takes_json && !req->json && !strcmp(tok, "json")) {
			req->json = true;
			continue;
		}
		if (verbs[v].takes_pid && !have_pid &&
		    !parse_pid(tok, &req->pid)) {
			have_pid = true;
			continue;
		}
		quote_client_text(arg, sizeof(arg), tok, strlen(tok));
		snprintf(err, errlen,
			 "unknown request '%s': bad argument '%s', usage: %s "
			 "(try help)", shown, arg, verbs[v].usage);
		return -EINVAL;
	}
	return 0;
}

enum ctl_access ctl_peer_access(const struct ctl_peer *peer, bool have_group,
				gid_t stats_gid)
{
	size_t i;

	if (peer->uid == 0)
		return CTL_ACCESS_ALL;
	if (!have_group)
		return CTL_ACCESS_NONE;
	if (peer->gid == stats_gid)
		return CTL_ACCESS_READ;
	for (i = 0; i < peer->nr_groups; i++)
		if (peer->groups[i] == stats_gid)
			return CTL_ACCESS_READ;
	return CTL_ACCESS_NONE;
}

bool ctl_allowed(enum ctl_access access, enum ctl_verb verb)
{
	switch (access) {
	case CTL_ACCESS_ALL:
		return (unsigned int)verb < CTL_VERB_NR;
	case CTL_ACCESS_READ:
		return !ctl_verb_mutating(verb);
	default:
		return false;
	}
}

void ctl_reply_ok(struct strbuf *sb)
{
	sb_reset(sb);
	sb_append(sb, "ok\n");
}

void ctl_reply_error(struct strbuf *sb, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	sb_reset(sb);
	sb_printf(sb, "error: %s\n", reason);
}

void ctl_help(struct strbuf *sb)
{
	unsigned int v;

	for (v = 0; v < CTL_VERB_NR; v++)
		sb_printf(sb, "%-22s %s\n", verbs[v].usage, verbs[v].help);
}
