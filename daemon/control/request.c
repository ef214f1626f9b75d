// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <syslog.h>

#include "control/request.h"

bool ctl_handle(struct ctl_service *svc, const struct ctl_sender *from,
		bool have_group, const struct ctl_message *msg,
		struct strbuf *reply)
{
	struct ctl_request req;
	const char *verb;
	char err[256];
	int r;

	svc->counters.requests++;
	if (msg->truncated || msg->len > CTL_REQUEST_MAX) {
		ctl_reply_error(reply, "request too large (max %d bytes)",
				CTL_REQUEST_MAX);
		svc->counters.errors++;
		return true;
	}
	r = ctl_parse(msg->data, msg->len, &req, err, sizeof(err));
	if (r < 0) {
		ctl_log(svc, LOG_DEBUG, "control: pid %d uid %u: %s",
			(int)from->pid, (unsigned int)from->uid, err);
		ctl_reply_error(reply, "%s", err);
		svc->counters.errors++;
		return r == -EMSGSIZE;
	}
	verb = ctl_verb_name(req.verb);
	if (!ctl_allowed(from->access, req.verb)) {
		ctl_log(svc, LOG_NOTICE, "control: pid %d uid %u denied '%s'",
			(int)from->pid, (unsigned int)from->uid, verb);
		if (from->access == CTL_ACCESS_READ)
			ctl_reply_error(reply, "permission denied: '%s' needs "
					"root", verb);
		else
			ctl_reply_error(reply, "permission denied: needs root%s",
					have_group ? " or the stats group" : "");
		svc->counters.errors++;
		return false;
	}
	if (ctl_verb_mutating(req.verb))
		ctl_log(svc, LOG_INFO, "control: '%s' requested by pid %d "
			"uid %u", verb, (int)from->pid,
			(unsigned int)from->uid);
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
