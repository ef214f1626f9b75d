/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket's file: its path, parent directories, a stale socket
 * left by a crash, owner and mode.  Used by server.c.
 */
#ifndef TIERD_CONTROL_SOCKET_FILE_H
#define TIERD_CONTROL_SOCKET_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Resolve @group ("" = none: root only) to a gid.  Returns 0, or -ENOENT
 * with the reason in @err.
 */
int control_resolve_group(const char *group, bool *have_group, gid_t *gid,
			  char *err, size_t errlen);

/*
 * A non-blocking SOCK_SEQPACKET socket listening on @path: parent
 * directories created 0755, a stale socket nobody listens on replaced,
 * mode @mode (0660, or 0666 for the track socket), group @gid (root
 * without a group).  Returns 0 with the socket in *@fd, or -errno with the
 * reason in @err and nothing left behind; fails if another process listens
 * on @path.
 */
int control_socket_listen(const char *path, bool have_group, gid_t gid,
			  mode_t mode, int backlog, int *fd, char *err,
			  size_t errlen);

/* Owner group and mode @mode of the socket file at @path. */
int control_socket_set_owner(const char *path, bool have_group, gid_t gid,
			     mode_t mode, char *err, size_t errlen);

#endif /* TIERD_CONTROL_SOCKET_FILE_H */
