/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tierctl's side of the control socket: one request, one reply, with the
 * reasons a user can act on when it fails.  Errors are filled into @err
 * (without "tierctl: "); the caller prints them.
 */
#ifndef TIERCTL_CLIENT_H
#define TIERCTL_CLIENT_H

#include <stddef.h>
#include <sys/time.h>

/* tierctl's exit codes, also what ctl_request() returns on failure. */
enum {
	EXIT_ERROR_REPLY = 1,	/* tierd answered "error: ..." or garbage */
	EXIT_USAGE = 2,
	EXIT_NO_DAEMON = 3,	/* cannot connect, no reply in time */
};

struct ctl_target {
	const char *path;		/* the socket */
	struct timeval timeout;		/* connect, send and receive */
	const char *timeout_s;		/* as the user wrote it, for messages */
};

/*
 * Send @req (one line, with its newline) and receive the reply.  On "ok"
 * returns 0 with the body (after "ok\n") NUL-terminated in *@body (the
 * caller frees it) and its length in *@len.  Otherwise returns
 * EXIT_ERROR_REPLY or EXIT_NO_DAEMON with the reason in @err.
 */
int ctl_request(const struct ctl_target *t, const char *req, char **body,
		size_t *len, char *err, size_t errlen);

#endif /* TIERCTL_CLIENT_H */
