/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control protocol without the sockets: request parsing, who may do
 * what, and reply framing.  See docs/control-protocol.md.
 *
 * A request is one SOCK_SEQPACKET message of text: a verb and
 * space-separated arguments, optionally ending in a newline.  A reply is
 * one message: "ok\n" followed by the body, or "error: <reason>\n".
 */
#ifndef TIERD_CONTROL_PROTO_H
#define TIERD_CONTROL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/strbuf.h"

#define CTL_REQUEST_MAX 4096		/* bytes in one request */
#define CTL_REPLY_MAX   (192 * 1024)	/* bytes in one reply */

enum ctl_verb {
	CTL_STATS = 0,
	CTL_STATUS,
	CTL_CONFIG,
	CTL_METRICS,
	CTL_FOLIOS,
	CTL_HELP,
	CTL_PAUSE,
	CTL_RESUME,
	CTL_RELOAD,
	CTL_VERB_NR,
};

struct ctl_request {
	enum ctl_verb verb;
	bool json;		/* "json" argument (stats, status, folios) */
	pid_t pid;		/* folios PID, 0 = all */
};

/* What a connected peer may do, decided once from its credentials. */
enum ctl_access {
	CTL_ACCESS_NONE = 0,
	CTL_ACCESS_READ,	/* members of stats_group: read-only verbs */
	CTL_ACCESS_ALL,		/* uid 0 */
};

/* Credentials of a peer as the kernel reported them at connect(). */
struct ctl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	size_t nr_groups;
	const gid_t *groups;	/* supplementary groups */
};

const char *ctl_verb_name(enum ctl_verb v);
bool ctl_verb_mutating(enum ctl_verb v);

/*
 * Parse one request of @len bytes (not NUL-terminated).  Returns 0, or
 * -EINVAL / -EMSGSIZE with the reason (without "error: ") in @err.
 */
int ctl_parse(const char *msg, size_t len, struct ctl_request *req,
	      char *err, size_t errlen);

/*
 * @have_group is false when stats_group is empty (root only).
 */
enum ctl_access ctl_peer_access(const struct ctl_peer *peer, bool have_group,
				gid_t stats_gid);
bool ctl_allowed(enum ctl_access access, enum ctl_verb verb);

/* Start an "ok" reply; the caller appends the body. */
void ctl_reply_ok(struct strbuf *sb);
/* Replace whatever is in @sb by "error: <reason>\n". */
void ctl_reply_error(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Fill @sb with the `help` body. */
void ctl_help(struct strbuf *sb);

#endif /* TIERD_CONTROL_PROTO_H */
