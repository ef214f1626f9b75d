/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket: AF_UNIX SOCK_SEQPACKET server on the main loop's
 * sd_event.  It accepts, reads credentials, receives and sends; what a
 * message means is request.c's business (ctl_handle).
 */
#ifndef TIERD_CONTROL_H
#define TIERD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "config/config.h"		/* TIERD_GROUP_LEN */
#include "control/request.h"
#include "lib/strbuf.h"

#define CONTROL_MAX_CLIENTS    64
#define CONTROL_IDLE_TIMEOUT_MS 5000

struct control_server;

/*
 * Listen on @path (parent directories created 0755, a stale socket nobody
 * listens on replaced, mode 0660, group @group) and answer every request
 * through @svc, which must outlive the server.  Fails with the reason in
 * @err if another process listens there.
 */
int control_server_open(sd_event *event, const char *path, const char *group,
			struct ctl_service *svc, struct control_server **out,
			char *err, size_t errlen);
/*
 * The track socket: mode 0666, every peer (root too) may make only the
 * self-service requests (CTL_SELF_SERVICE: `track`).  It lets any local
 * process opt itself in without membership of stats_group; what it can
 * do is bounded by what it hands over, its own descriptor.
 */
int control_track_server_open(sd_event *event, const char *path,
			      struct ctl_service *svc,
			      struct control_server **out, char *err,
			      size_t errlen);
/* Drop every client, close and unlink the socket. */
void control_server_close(struct control_server *srv);

/*
 * A reload's [control] socket and stats_group, applied in two steps so
 * that nothing changes unless the whole reload does:
 * control_server_prepare() does what can fail (opening the socket at a
 * new path, looking up a new group), then control_server_apply() or
 * control_server_discard().
 */
struct control_change {
	struct control_server *moved;	/* the new socket, if the path changed */
	bool regroup;			/* same path, another stats_group */
	bool have_group;
	gid_t gid;
	char group[TIERD_GROUP_LEN];
};

int control_server_prepare(struct control_server *srv, const char *path,
			   const char *group, struct control_change *chg,
			   char *err, size_t errlen);
/* The same for the track socket, whose only setting is its path. */
int control_track_server_prepare(struct control_server *srv, const char *path,
				 struct control_change *chg, char *err,
				 size_t errlen);
/*
 * Switch *@srv to the prepared change (a moved socket replaces *@srv).
 * Returns 0, or -errno with the reason in @err when the new group could
 * not be set on the socket file: it keeps the group it had.
 */
int control_server_apply(struct control_server **srv,
			 struct control_change *chg, char *err, size_t errlen);
void control_server_discard(struct control_change *chg);

#endif /* TIERD_CONTROL_H */
