/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket: AF_UNIX SOCK_SEQPACKET server on the main loop's
 * sd_event.  It accepts, checks credentials, parses and frames; what a
 * request does is the handler's business.
 */
#ifndef TIERD_CONTROL_H
#define TIERD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "control/control_proto.h"
#include "lib/strbuf.h"

#define CONTROL_MAX_CLIENTS    64
#define CONTROL_IDLE_TIMEOUT_MS 5000

struct control_server;

/* Owned by the main loop so they survive re-creating the socket. */
struct control_counters {
	uint64_t requests;
	uint64_t errors;	/* requests answered "error: ..." */
};

/*
 * Handle a request the peer is allowed to make.  @reply already holds
 * "ok\n"; append the body, or replace it with ctl_reply_error().  Return
 * 0, or -errno when the reply is an error (it is counted as one).
 */
typedef int (*control_handler_fn)(void *ctx, const struct ctl_request *req,
				  struct strbuf *reply);

/*
 * Resolve @group ("" = none: root only) to a gid.  Returns 0, or -ENOENT
 * with the reason in @err.
 */
int control_resolve_group(const char *group, bool *have_group, gid_t *gid,
			  char *err, size_t errlen);

/*
 * Listen on @path (parent directories created 0755, a stale socket nobody
 * listens on replaced, mode 0660, group @group).  Fails with the reason in
 * @err if another process listens there.
 */
int control_server_open(sd_event *event, const char *path, const char *group,
			control_handler_fn fn, void *fn_ctx,
			struct control_counters *counters,
			struct control_server **out, char *err, size_t errlen);
/* Drop every client, close and unlink the socket. */
void control_server_close(struct control_server *srv);

/* Change the group of a running socket (a reload changed stats_group). */
int control_server_set_group(struct control_server *srv, bool have_group,
			     gid_t gid, char *err, size_t errlen);

const char *control_server_path(const struct control_server *srv);

#endif /* TIERD_CONTROL_H */
