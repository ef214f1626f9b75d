// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "control/request.h"

/* Answer "error: <reason>", count it, and note it in the debug log. */
__attribute__((format(printf, 4, 5)))
static void refuse(struct ctl_service *svc, const struct ctl_sender *from,
		   struct strbuf *reply, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	ctl_log(svc, LOG_DEBUG, "control: pid %d uid %u: %s", (int)from->pid,
		(unsigned int)from->uid, reason);
	ctl_reply_error(reply, "%s", reason);
	svc->counters.errors++;
}

bool ctl_handle(struct ctl_service *svc, const struct ctl_sender *from,
		bool have_group, const struct ctl_message *msg,
		struct strbuf *reply)
{
	struct ctl_request req;
	const char *verb;
	bool takes_fd;
	char err[256];
	int r;

	svc->counters.requests++;
	if (msg->truncated || msg->len > CTL_REQUEST_MAX) {
		refuse(svc, from, reply, "request too large (max %d bytes)",
		       CTL_REQUEST_MAX);
		return true;
	}
	if (msg->ctrunc) {
		refuse(svc, from, reply, "control data truncated: at most one "
		       "descriptor per request");
		return false;
	}
	r = ctl_parse(msg->data, msg->len, &req, err, sizeof(err));
	if (r < 0) {
		refuse(svc, from, reply, "%s", err);
		return r == -EMSGSIZE;
	}
	verb = ctl_verb_name(req.verb);
	if (!ctl_allowed(from->access, req.verb)) {
		ctl_log(svc, LOG_NOTICE, "control: pid %d uid %u denied '%s'",
			(int)from->pid, (unsigned int)from->uid, verb);
		if (from->access == CTL_ACCESS_READ)
			ctl_reply_error(reply, "permission denied: '%s' needs "
					"root", verb);
		else if (from->access == CTL_ACCESS_SELF)
			ctl_reply_error(reply, "permission denied: the track "
					"socket answers only track");
		else
			ctl_reply_error(reply, "permission denied: needs root%s",
					have_group ? " or the stats group" : "");
		svc->counters.errors++;
		return false;
	}
	takes_fd = ctl_verb_info(req.verb)->takes & CTL_TAKES_FD;
	if (msg->nr_fds && !takes_fd) {
		refuse(svc, from, reply, "request '%s' takes no descriptor",
		       verb);
		return false;
	}
	if (takes_fd && (msg->nr_fds != 1 || msg->fd < 0)) {
		refuse(svc, from, reply, "request '%s' takes one descriptor "
		       "(SCM_RIGHTS), got %u", verb, msg->nr_fds);
		return false;
	}
	req.peer_pid = from->pid;
	req.peer_uid = from->uid;
	req.peer_gid = from->gid;
	req.fd = takes_fd ? msg->fd : -1;
	if (ctl_verb_mutating(req.verb))
		ctl_log(svc, LOG_INFO, "control: '%s' requested by pid %d "
			"uid %u", verb, (int)req.peer_pid,
			(unsigned int)req.peer_uid);
	ctl_reply_ok(reply);
	r = ctl_dispatch(svc, &req, reply);
	if (!r && reply->err) {
		ctl_reply_error(reply, "reply too large (max %d bytes)",
				CTL_REPLY_MAX);
		r = -ENOSPC;
	}
	if (r < 0)
		svc->counters.errors++;
	return false;
}
