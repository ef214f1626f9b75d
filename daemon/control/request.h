/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One received message in, one reply out: size check, parse, access
 * check, dispatch, error replies and the request/error counters.  Pure;
 * server.c calls it for every message it receives, and so does the fuzzer.
 */
#ifndef TIERD_CONTROL_REQUEST_H
#define TIERD_CONTROL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "control/control_proto.h"
#include "control/dispatch.h"
#include "lib/strbuf.h"

/* Who sent a message, as the kernel recorded it at connect(). */
struct ctl_sender {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	enum ctl_access access;
};

/* One message as recvmsg() returned it. */
struct ctl_message {
	const char *data;
	size_t len;
	bool truncated;		/* MSG_TRUNC: longer than CTL_REQUEST_MAX */
	bool ctrunc;		/* MSG_CTRUNC: the kernel dropped control data */
	int fd;			/* the first SCM_RIGHTS descriptor, or -1 */
	unsigned int nr_fds;	/* descriptors received, @fd included */
};

/*
 * Answer @msg from @from into @reply (room for CTL_REPLY_MAX bytes).
 * @have_group says whether a stats_group is configured (for the wording
 * of a refusal).  A descriptor reaches the dispatch only with a verb that
 * takes one (CTL_TAKES_FD); ctl_handle never closes it: the caller closes
 * msg->fd (and any others it received) afterwards, whatever the reply.
 * Returns true when the connection must be closed after the reply.
 */
bool ctl_handle(struct ctl_service *svc, const struct ctl_sender *from,
		bool have_group, const struct ctl_message *msg,
		struct strbuf *reply);

#endif /* TIERD_CONTROL_REQUEST_H */
