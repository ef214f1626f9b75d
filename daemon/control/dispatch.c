// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "control/dispatch.h"
#include "lib/textfmt.h"

void ctl_service_init(struct ctl_service *svc, const struct ctl_ops *ops,
		      void *ctx)
{
	svc->ops = ops;
	svc->ctx = ctx;
	svc->counters = (struct control_counters){ 0 };
}

void ctl_log(struct ctl_service *svc, int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	svc->ops->log(svc->ctx, prio, line);
}

static void fill_stats(struct ctl_service *svc)
{
	svc->ops->fill_stats(svc->ctx, &svc->stats);
	svc->stats.control_requests = svc->counters.requests;
	svc->stats.control_errors = svc->counters.errors;
}

static void reply_status(struct ctl_service *svc, bool json,
			 struct strbuf *reply)
{
	const struct tierd_stats *st = &svc->stats;
	struct tierd_status_view v;

	fill_stats(svc);
	svc->ops->summary(svc->ctx, svc->summary, sizeof(svc->summary));
	v = (struct tierd_status_view){
		.summary = svc->summary,
		.config_path = svc->ops->config_path(svc->ctx),
		.socket_path = svc->ops->config(svc->ctx)->socket_path,
		.uptime_ms = st->uptime_ms,
		.paused = st->paused,
		.reloads = st->reloads,
		.reload_failures = st->reload_failures,
		.src = st->src,
		.nr_nodes = st->nr_nodes,
		.node = st->node,
		.private_nodes = st->private_nodes,
	};
	if (json)
		status_render_json(&v, reply);
	else
		status_render_table(&v, reply);
}

/*
 * The reason is one line per problem: all of them go to the log, the
 * first (the one to fix first) to the client, whose reply is one line.
 */
static int reply_reload(struct ctl_service *svc, struct strbuf *reply)
{
	char *why = svc->text, *line, *save = NULL;
	bool first = true;
	int r;

	why[0] = '\0';
	r = svc->ops->reload(svc->ctx, why, sizeof(svc->text));
	if (r >= 0) {
		sb_printf(reply, "reloaded %s\n",
			  svc->ops->config_path(svc->ctx));
		return 0;
	}
	if (!why[0])
		snprintf(why, sizeof(svc->text), "%s", strerror(-r));
	ctl_reply_error(reply, "reload failed, running configuration kept: "
			"%.*s", (int)strcspn(why, "\n"), why);
	for (line = strtok_r(why, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (first)
			ctl_log(svc, LOG_ERR, "reload failed: keeping the "
				"running configuration: %s", line);
		else
			ctl_log(svc, LOG_ERR, "%s", line);
		first = false;
	}
	return r;
}

/*
 * The op's one line may carry what the sender chose (its comm): only
 * printable bytes reach the reply and the log.
 */
static int reply_track(struct ctl_service *svc, const struct ctl_request *req,
		       struct strbuf *reply)
{
	char *msg = svc->summary;
	int r;

	svc->text[0] = '\0';
	r = svc->ops->track(svc->ctx, req, svc->text, sizeof(svc->text));
	text_printable(msg, sizeof(svc->summary), svc->text,
		       strcspn(svc->text, "\n"));
	if (r < 0) {
		ctl_reply_error(reply, "%s", msg[0] ? msg : strerror(-r));
		ctl_log(svc, LOG_INFO, "track: pid %d uid %u refused: %s",
			(int)req->peer_pid, (unsigned int)req->peer_uid,
			msg[0] ? msg : strerror(-r));
		return r;
	}
	sb_printf(reply, "%s\n", msg);
	ctl_log(svc, LOG_INFO, "track: pid %d uid %u: %s", (int)req->peer_pid,
		(unsigned int)req->peer_uid, msg);
	return 0;
}

int ctl_dispatch(struct ctl_service *svc, const struct ctl_request *req,
		 struct strbuf *reply)
{
	const struct ctl_ops *ops = svc->ops;
	size_t n;
	int r;

	switch (req->verb) {
	case CTL_STATS:
		fill_stats(svc);
		if (req->json)
			stats_render_json(&svc->stats, reply);
		else
			stats_render_table(&svc->stats, reply);
		return 0;
	case CTL_METRICS:
		fill_stats(svc);
		stats_render_prometheus(&svc->stats, reply);
		return 0;
	case CTL_STATUS:
		reply_status(svc, req->json, reply);
		return 0;
	case CTL_CONFIG:
		r = tierd_config_format(ops->config(svc->ctx), svc->text,
					sizeof(svc->text));
		if (r < 0) {
			ctl_reply_error(reply, "cannot format the config: %s",
					strerror(-r));
			return r;
		}
		sb_append(reply, svc->text);
		return 0;
	case CTL_FOLIOS:
		n = ops->top_folios(svc->ctx, req->pid, svc->folios,
				    CTL_FOLIOS_MAX);
		if (n > CTL_FOLIOS_MAX)
			n = CTL_FOLIOS_MAX;
		if (req->json)
			folios_render_json(svc->folios, n, reply);
		else
			folios_render_table(svc->folios, n, reply);
		return 0;
	case CTL_HELP:
		ctl_help(reply);
		return 0;
	case CTL_PAUSE:
	case CTL_RESUME:
		ops->set_paused(svc->ctx, req->verb == CTL_PAUSE);
		sb_append(reply, req->verb == CTL_PAUSE ? "paused\n" :
			  "resumed\n");
		return 0;
	case CTL_RELOAD:
		return reply_reload(svc, reply);
	case CTL_TRACK:
		return reply_track(svc, req, reply);
	case CTL_VERB_NR:
		break;
	}
	/* No default: a verb added to CTL_VERBS without a case warns. */
	ctl_reply_error(reply, "request not implemented");
	return -EINVAL;
}
