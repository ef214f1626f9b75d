// SPDX-License-Identifier: GPL-2.0
/*
 * One request on tierd's track socket: "track CANARY FD" with the
 * userfaultfd as SCM_RIGHTS, one reply ("ok ..." or "error: ...").  The
 * protocol is docs/control-protocol.md's; SOCK_SEQPACKET keeps the
 * message whole.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "track/track.h"

/* tierd answers at once; a daemon that does not is treated as absent. */
#define REPLY_TIMEOUT_S 5

static int send_request(int s, int uffd, uint64_t canary)
{
	char msg[96];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = { .iov_base = msg };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *cm;

	iov.iov_len = (size_t)snprintf(msg, sizeof(msg),
				       "track 0x%" PRIx64 " %d\n", canary, uffd);
	memset(cbuf.buf, 0, sizeof(cbuf.buf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &uffd, sizeof(int));
	return sendmsg(s, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int track_handoff(const char *path, int uffd, uint64_t canary, char *why,
		  size_t whylen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	char reply[1024];
	ssize_t n;
	int s, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(why, whylen, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0) {
		r = -errno;
		snprintf(why, whylen, "socket: %s", strerror(-r));
		return r;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(why, whylen, "no tierd listening on %s (%s)", path,
			 strerror(-r));
		goto out;
	}
	r = send_request(s, uffd, canary);
	if (r < 0) {
		snprintf(why, whylen, "sending to %s: %s", path, strerror(-r));
		goto out;
	}
	n = recv(s, reply, sizeof(reply) - 1, 0);
	if (n <= 0) {
		r = n < 0 ? -errno : -ECONNRESET;
		snprintf(why, whylen, "no answer from tierd on %s: %s", path,
			 n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ?
			 "timed out" : strerror(-r));
		goto out;
	}
	reply[n] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	if (!strcmp(reply, "ok")) {
		r = 0;
		goto out;
	}
	r = -EPERM;
	snprintf(why, whylen, "tierd refused: %s",
		 strncmp(reply, "error: ", 7) ? reply : reply + 7);
out:
	close(s);
	return r;
}
