// SPDX-License-Identifier: GPL-2.0
/* One request over tierd's SOCK_SEQPACKET control socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/control_proto.h"
#include "tierctl/client.h"

static int connect_to(const struct ctl_target *t, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(t->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path '%s' is too long", t->path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, t->path, strlen(t->path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "socket: %s", strerror(e));
		return -e;
	}
	/* connect() on AF_UNIX honours SO_SNDTIMEO when the backlog is full. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &t->timeout,
		       sizeof(t->timeout)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t->timeout,
		       sizeof(t->timeout)) < 0) {
		e = errno;
		snprintf(err, errlen, "setsockopt: %s", strerror(e));
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	e = errno;
	if (e == EAGAIN || e == EINPROGRESS)
		snprintf(err, errlen, "timed out after %s s connecting to %s",
			 t->timeout_s, t->path);
	else if (e == EACCES || e == EPERM)
		snprintf(err, errlen, "cannot connect to %s: %s (needs root "
			 "or membership of tierd's stats_group)", t->path,
			 strerror(e));
	else
		snprintf(err, errlen, "tierd is not running? cannot connect "
			 "to %s: %s", t->path, strerror(e));
fail:
	close(fd);
	return -e;
}

int ctl_request(const struct ctl_target *t, const char *req, char **body,
		size_t *len, char *err, size_t errlen)
{
	const size_t cap = 2 * CTL_REPLY_MAX;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	char *buf = NULL, *nl;
	int fd, ret = EXIT_NO_DAEMON;
	ssize_t n;

	*body = NULL;
	*len = 0;
	fd = connect_to(t, err, errlen);
	if (fd < 0)
		return EXIT_NO_DAEMON;
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		snprintf(err, errlen, "sending to %s: %s", t->path,
			 strerror(errno));
		goto out;
	}
	buf = malloc(cap + 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	iov.iov_base = buf;
	iov.iov_len = cap;
	n = recvmsg(fd, &mh, 0);
	if (n < 0) {
		if (errno == EAGAIN)
			snprintf(err, errlen, "timed out after %s s waiting "
				 "for tierd's reply on %s", t->timeout_s,
				 t->path);
		else
			snprintf(err, errlen, "reading from %s: %s", t->path,
				 strerror(errno));
		goto out;
	}
	if (n == 0) {
		snprintf(err, errlen, "tierd closed %s without replying",
			 t->path);
		goto out;
	}
	ret = EXIT_ERROR_REPLY;
	if (mh.msg_flags & MSG_TRUNC) {
		snprintf(err, errlen, "reply larger than %zu bytes", cap);
		goto out;
	}
	buf[n] = '\0';
	if (!strncmp(buf, "ok\n", 3)) {
		memmove(buf, buf + 3, (size_t)n - 2);	/* with the NUL */
		*body = buf;
		*len = (size_t)n - 3;
		buf = NULL;
		ret = 0;
		goto out;
	}
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	if (!strncmp(buf, "error: ", 7))
		snprintf(err, errlen, "%s", buf);
	else
		snprintf(err, errlen, "malformed reply from tierd: '%.80s'",
			 buf);
out:
	free(buf);
	close(fd);
	return ret;
}
