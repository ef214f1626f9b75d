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
#include <stdint.h>
#include <sys/types.h>

#include "lib/strbuf.h"

#define CTL_REQUEST_MAX 4096		/* bytes in one request */
#define CTL_REPLY_MAX   (192 * 1024)	/* bytes in one reply */

/* What a request takes besides its verb. */
#define CTL_TAKES_JSON	0x1	/* "json": render the body as JSON */
#define CTL_TAKES_PID	0x2	/* a process id */
#define CTL_TAKES_FD	0x4	/* one SCM_RIGHTS descriptor */
#define CTL_TAKES_ADDR	0x8	/* an address, hex with 0x (required) */
#define CTL_TAKES_FDNO	0x10	/* the sender's number of that descriptor */
/*
 * Not an argument but who may ask: a request a process makes about
 * itself, which any local user may make on the track socket (the only
 * kind that socket answers).
 */
#define CTL_SELF_SERVICE 0x20

/*
 * Every request tierd understands, written once: the enum, the parser,
 * `help`, tierctl's commands and its usage text all come from this list.
 *   X(id, name, mutating (root only), what it takes, help text)
 */
#define CTL_VERBS(X)							\
	X(STATS, "stats", false, CTL_TAKES_JSON,			\
	  "counters of every stage")					\
	X(STATUS, "status", false, CTL_TAKES_JSON,			\
	  "one-line summary, sources and their state")			\
	X(CONFIG, "config", false, 0,					\
	  "the effective configuration as INI")				\
	X(METRICS, "metrics", false, 0,					\
	  "counters in Prometheus text format")				\
	X(FOLIOS, "folios", false, CTL_TAKES_PID | CTL_TAKES_JSON,	\
	  "hottest tracked folios, of PID or of all")			\
	X(HELP, "help", false, 0,					\
	  "the requests tierd understands")				\
	X(PAUSE, "pause", true, 0,					\
	  "stop promoting (collection goes on)")			\
	X(RESUME, "resume", true, 0,					\
	  "resume promoting")						\
	X(RELOAD, "reload", true, 0,					\
	  "re-read the config file")					\
	X(TRACK, "track", false,					\
	  CTL_TAKES_ADDR | CTL_TAKES_FDNO | CTL_TAKES_FD | CTL_SELF_SERVICE, \
	  "hand tierd the sender's userfaultfd (sent by libtierd-track)")

enum ctl_verb {
#define CTL_VERB_ENUM(id, name, mutating, takes, help) CTL_##id,
	CTL_VERBS(CTL_VERB_ENUM)
#undef CTL_VERB_ENUM
	CTL_VERB_NR,
};

struct ctl_verb_info {
	const char *name;
	bool mutating;		/* changes the daemon: root only */
	unsigned int takes;	/* CTL_TAKES_* */
	const char *help;	/* one line, without "root only" */
};

struct ctl_request {
	enum ctl_verb verb;
	bool json;		/* "json" argument (stats, status, folios) */
	pid_t pid;		/* folios PID, 0 = all */
	uint64_t addr;		/* track: the canary page */
	int fdno;		/* track: the sender's number of its descriptor */
	/* Not from the text: ctl_handle() fills them from the connection. */
	pid_t peer_pid;
	uid_t peer_uid;
	gid_t peer_gid;
	int fd;			/* descriptor that came with it, or -1 */
};

/* What a connected peer may do, decided once from its credentials. */
enum ctl_access {
	CTL_ACCESS_NONE = 0,
	CTL_ACCESS_SELF,	/* a peer of the track socket: self-service only */
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

/* The table entry of @v, or NULL when @v is out of range. */
const struct ctl_verb_info *ctl_verb_info(enum ctl_verb v);
/* The verb called @name, or -ENOENT. */
int ctl_verb_lookup(const char *name);
const char *ctl_verb_name(enum ctl_verb v);
bool ctl_verb_mutating(enum ctl_verb v);
/*
 * "folios [PID] [json]", "track ADDR FD": the request as `help` and parse
 * errors show it.
 */
void ctl_verb_usage(enum ctl_verb v, char *buf, size_t len);

/* A process id as requests carry it: decimal, 1 .. INT_MAX.  0 or -EINVAL. */
int ctl_parse_pid(const char *s, pid_t *pid);

/*
 * Parse one request of @len bytes (not NUL-terminated); the peer fields
 * are left 0 and fd -1.  Returns 0, or -EINVAL / -EMSGSIZE with the reason
 * (without "error: ") in @err.
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
