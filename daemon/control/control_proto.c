// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/control_proto.h"

static const struct ctl_verb_info verbs[CTL_VERB_NR] = {
#define CTL_VERB_ENTRY(id, name_, mutating_, takes_, help_)		\
	[CTL_##id] = { .name = name_, .mutating = mutating_,		\
		       .takes = takes_, .help = help_ },
	CTL_VERBS(CTL_VERB_ENTRY)
#undef CTL_VERB_ENTRY
};

const struct ctl_verb_info *ctl_verb_info(enum ctl_verb v)
{
	return (unsigned int)v < CTL_VERB_NR ? &verbs[v] : NULL;
}

int ctl_verb_lookup(const char *name)
{
	unsigned int v;

	for (v = 0; v < CTL_VERB_NR; v++)
		if (!strcmp(name, verbs[v].name))
			return (int)v;
	return -ENOENT;
}

const char *ctl_verb_name(enum ctl_verb v)
{
	return (unsigned int)v < CTL_VERB_NR ? verbs[v].name : "invalid";
}

bool ctl_verb_mutating(enum ctl_verb v)
{
	/* Unknown verbs count as mutating so they are never let through. */
	return (unsigned int)v < CTL_VERB_NR ? verbs[v].mutating : true;
}

void ctl_verb_usage(enum ctl_verb v, char *buf, size_t len)
{
	const struct ctl_verb_info *vi = ctl_verb_info(v);

	if (!vi) {
		snprintf(buf, len, "invalid");
		return;
	}
	snprintf(buf, len, "%s%s%s%s%s", vi->name,
		 vi->takes & CTL_TAKES_ADDR ? " ADDR" : "",
		 vi->takes & CTL_TAKES_FDNO ? " FD" : "",
		 vi->takes & CTL_TAKES_PID ? " [PID]" : "",
		 vi->takes & CTL_TAKES_JSON ? " [json]" : "");
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

int ctl_parse_pid(const char *s, pid_t *pid)
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

/* "0x" and 1..16 hex digits, not 0. */
static int parse_addr(const char *s, uint64_t *addr)
{
	unsigned long long v;
	char *end;

	if (strncmp(s, "0x", 2) || !isxdigit((unsigned char)s[2]) ||
	    strlen(s) > 18)
		return -EINVAL;
	errno = 0;
	v = strtoull(s + 2, &end, 16);
	if (errno || *end || !v)
		return -EINVAL;
	*addr = v;
	return 0;
}

/* A descriptor number: decimal, 0 .. INT_MAX. */
static int parse_fdno(const char *s, int *fd)
{
	pid_t v;

	if (!strcmp(s, "0")) {
		*fd = 0;
		return 0;
	}
	if (ctl_parse_pid(s, &v))
		return -EINVAL;
	*fd = v;
	return 0;
}

int ctl_parse(const char *msg, size_t len, struct ctl_request *req,
	      char *err, size_t errlen)
{
	char line[CTL_REQUEST_MAX + 1], shown[64], usage[64];
	char *tok, *save = NULL;
	bool have_pid = false, have_addr = false, have_fdno = false;
	unsigned int takes;
	int v;

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
	v = ctl_verb_lookup(tok);
	if (v < 0) {
		snprintf(err, errlen, "unknown request '%s' (try help)", shown);
		return -EINVAL;
	}

	memset(req, 0, sizeof(*req));
	req->fd = -1;
	req->verb = v;
	takes = verbs[v].takes;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char arg[64];

		if ((takes & CTL_TAKES_JSON) && !req->json &&
		    !strcmp(tok, "json")) {
			req->json = true;
			continue;
		}
		if ((takes & CTL_TAKES_PID) && !have_pid &&
		    !ctl_parse_pid(tok, &req->pid)) {
			have_pid = true;
			continue;
		}
		/* ADDR then FD, in that order */
		if ((takes & CTL_TAKES_ADDR) && !have_addr &&
		    !parse_addr(tok, &req->addr)) {
			have_addr = true;
			continue;
		}
		if ((takes & CTL_TAKES_FDNO) && have_addr && !have_fdno &&
		    !parse_fdno(tok, &req->fdno)) {
			have_fdno = true;
			continue;
		}
		quote_client_text(arg, sizeof(arg), tok, strlen(tok));
		ctl_verb_usage(v, usage, sizeof(usage));
		snprintf(err, errlen,
			 "unknown request '%s': bad argument '%s', usage: %s "
			 "(try help)", shown, arg, usage);
		return -EINVAL;
	}
	if (((takes & CTL_TAKES_ADDR) && !have_addr) ||
	    ((takes & CTL_TAKES_FDNO) && !have_fdno)) {
		ctl_verb_usage(v, usage, sizeof(usage));
		snprintf(err, errlen, "request '%s' is incomplete, usage: %s",
			 shown, usage);
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
	case CTL_ACCESS_SELF:
		return (unsigned int)verb < CTL_VERB_NR &&
		       (verbs[verb].takes & CTL_SELF_SERVICE);
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
	char usage[64];
	unsigned int v;

	for (v = 0; v < CTL_VERB_NR; v++) {
		ctl_verb_usage(v, usage, sizeof(usage));
		sb_printf(sb, "%-22s %s%s\n", usage, verbs[v].help,
			  verbs[v].mutating ? "; root only" : "");
	}
}
