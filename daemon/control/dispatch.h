/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a request does, without the daemon: the verb dispatch over an ops
 * table the main loop fills.  Pure, so tierd and the fuzzer run the same
 * code; see request.h for the step before it (message -> request).
 */
#ifndef TIERD_CONTROL_DISPATCH_H
#define TIERD_CONTROL_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "control/control_proto.h"
#include "lib/strbuf.h"
#include "stats/stats_render.h"

#define CTL_FOLIOS_MAX 100		/* folios in one `folios` reply */
#define CTL_TEXT_MAX   (64 * 1024)	/* config text, reload reasons */

/*
 * What the daemon provides.  Every callback gets the ops' @ctx and none may
 * be NULL.  Strings the daemon returns stay valid until the next callback.
 */
struct ctl_ops {
	/* Counters of every stage now (the control_* ones are ours). */
	void (*fill_stats)(void *ctx, struct tierd_stats *st);
	/* The one-line summary of what tierd found and does. */
	void (*summary)(void *ctx, char *buf, size_t len);
	/* The config in force (its socket_path is the one served). */
	const struct tierd_config *(*config)(void *ctx);
	const char *(*config_path)(void *ctx);
	/* Up to @max hottest folios of @pid (0 = all); returns how many. */
	size_t (*top_folios)(void *ctx, pid_t pid, struct folio_info *out,
			     size_t max);
	void (*set_paused)(void *ctx, bool paused);
	/*
	 * Re-read the config file and apply it whole, or keep everything.
	 * Returns 0, or -errno with the reason in @why: one line per
	 * problem, each a complete message (FILE:LINE: ...), not logged.
	 */
	int (*reload)(void *ctx, char *why, size_t whylen);
	/*
	 * Take the sender's userfaultfd, req->fd (req->addr: its canary
	 * page, req->fdno: its own number of the descriptor, req->peer_*:
	 * who sent it).  A descriptor kept must be duplicated: the caller
	 * closes req->fd afterwards.  0 with what tierd now does in @msg,
	 * or -errno with the reason, one line, in @msg.
	 */
	int (*track)(void *ctx, const struct ctl_request *req, char *msg,
		     size_t msglen);
	/* Log one line at syslog priority @prio. */
	void (*log)(void *ctx, int prio, const char *line);
};

/* Owned by the main loop so they survive re-creating the socket. */
struct control_counters {
	uint64_t requests;
	uint64_t errors;	/* requests answered "error: ..." */
};

/* The control service of one daemon: its ops and scratch for replies. */
struct ctl_service {
	const struct ctl_ops *ops;
	void *ctx;
	struct control_counters counters;

	/* Scratch, kept here to stay off the stack. */
	struct tierd_stats stats;
	struct folio_info folios[CTL_FOLIOS_MAX];
	char summary[512];
	char text[CTL_TEXT_MAX];
};

void ctl_service_init(struct ctl_service *svc, const struct ctl_ops *ops,
		      void *ctx);

/*
 * Answer @req, which the peer is allowed to make.  @reply already holds
 * "ok\n"; the body is appended, or the reply replaced with an error.
 * Returns 0, or -errno when the reply is an error.  A body too large for
 * @reply shows as reply->err; the caller decides what to answer then.
 */
int ctl_dispatch(struct ctl_service *svc, const struct ctl_request *req,
		 struct strbuf *reply);

/* Log one line through the ops: printf-style, cut at 1 KiB. */
void ctl_log(struct ctl_service *svc, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* TIERD_CONTROL_DISPATCH_H */
