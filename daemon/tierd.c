// SPDX-License-Identifier: GPL-2.0
/*
 * tierd: the main loop.
 *
 * The loop is libsystemd's sd-event.  We link libsystemd anyway for
 * sd_notify(), and sd-event gives exactly what a notify service needs:
 * signal sources over signalfd (no async-signal handlers, no flags to
 * poll), CLOCK_MONOTONIC timers for the pipeline tick and client idle
 * timeouts, and sd_event_set_watchdog(), which sends WATCHDOG=1 at half of
 * WATCHDOG_USEC by itself -- so a wedged loop stops feeding the watchdog and
 * systemd restarts us.
 *
 * Everything the daemon holds lives in one struct tierd_ctx.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config/config.h"
#include "control/server.h"
#include "lib/log.h"
#include "pipeline/pipeline.h"
#include "stats/stats_render.h"

#define TIERD_FOLIOS_MAX 100
/* sd-event's default timer slack is 250 ms, longer than a short tick. */
#define TIERD_TICK_ACCURACY_USEC 1000

struct tierd_ctx {
	const char *config_path;
	struct tierd_config cfg;		/* the config in force */
	struct tierd_config next_cfg;		/* reload scratch */
	struct tierd_config_errors errs;	/* reload scratch */

	sd_event *event;
	sd_event_source *tick_src;
	sd_event_source *pipe_src;
	int pipe_fd;				/* fd pipe_src watches, or -1 */

	struct pipeline *pipe;

	struct control_server *ctl;
	/* Replaced by a reload; closed once the current dispatch is done. */
	struct control_server *retired_ctl;
	sd_event_source *retire_src;
	struct control_counters ctl_counters;

	uint64_t start_ms;
	uint64_t reloads;
	uint64_t reload_failures;

	/* Scratch for replies, kept here to stay off the stack. */
	struct tierd_stats stats;
	struct folio_info folios[TIERD_FOLIOS_MAX];
	char text[64 * 1024];
};

static uint64_t now_ms(struct tierd_ctx *ctx)
{
	uint64_t usec;

	if (sd_event_now(ctx->event, CLOCK_MONOTONIC, &usec) < 0) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		usec = ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
	}
	return usec / 1000;
}

static void log_config_errors(const struct tierd_config_errors *errs, int r,
			      const char *path)
{
	unsigned int i;

	for (i = 0; i < errs->nr && i < 32; i++)
		log_err("%s", errs->err[i].text);
	if (errs->dropped)
		log_err("%s: ... and %u more errors", path, errs->dropped);
	if (!errs->nr)
		log_err("%s: %s", path, strerror(-r));
}

static void notify_ready(struct tierd_ctx *ctx)
{
	char summary[512];

	pipeline_summary(ctx->pipe, summary, sizeof(summary));
	/* the summary says "paused" itself */
	sd_notifyf(0, "READY=1\nSTATUS=%s", summary);
}

/* ---- pipeline event sources ---- */

static int on_pipe_events(sd_event_source *s, int fd, uint32_t revents,
			  void *userdata)
{
	struct tierd_ctx *ctx = userdata;
	int r;

	r = pipeline_on_events(ctx->pipe, now_ms(ctx));
	if (r < 0)
		log_warn("draining pipeline events: %s", strerror(-r));
	return 0;
}

/* Watch whatever fd the pipeline has now (a reload may change it). */
static int sync_pipe_fd(struct tierd_ctx *ctx)
{
	int fd = pipeline_event_fd(ctx->pipe);
	int r;

	if (ctx->pipe_src && fd == ctx->pipe_fd)
		return 0;
	ctx->pipe_src = sd_event_source_disable_unref(ctx->pipe_src);
	ctx->pipe_fd = -1;
	if (fd < 0)
		return 0;
	r = sd_event_add_io(ctx->event, &ctx->pipe_src, fd, EPOLLIN,
			    on_pipe_events, ctx);
	if (r < 0) {
		log_err("cannot watch the pipeline's event fd %d: %s", fd,
			strerror(-r));
		return r;
	}
	ctx->pipe_fd = fd;
	return 0;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct tierd_ctx *ctx = userdata;
	int r;

	r = pipeline_tick(ctx->pipe, now_ms(ctx));
	if (r < 0)
		log_warn("pipeline tick: %s", strerror(-r));
	r = sd_event_source_set_time_relative(s,
				pipeline_tick_ms(ctx->pipe) * 1000ULL);
	if (r >= 0)
		r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	if (r < 0) {
		log_err("cannot re-arm the tick timer: %s", strerror(-r));
		return sd_event_exit(ctx->event, 1);
	}
	return 0;
}

/* ---- reload ---- */

static int on_retire(sd_event_source *s, void *userdata)
{
	struct tierd_ctx *ctx = userdata;

	control_server_close(ctx->retired_ctl);
	ctx->retired_ctl = NULL;
	ctx->retire_src = sd_event_source_disable_unref(ctx->retire_src);
	return 0;
}

/*
 * The old socket may be the one whose client asked for the reload, so it is
 * closed from a defer source after this dispatch, not from under it.
 */
static void retire_control_server(struct tierd_ctx *ctx,
				  struct control_server *old)
{
	int r;

	if (ctx->retired_ctl)
		on_retire(NULL, ctx);
	ctx->retired_ctl = old;
	r = sd_event_add_defer(ctx->event, &ctx->retire_src, on_retire, ctx);
	if (r >= 0)
		r = sd_event_source_set_priority(ctx->retire_src,
						 SD_EVENT_PRIORITY_IMPORTANT);
	if (r < 0) {
		/* Cannot defer: leak-free fallback at exit (tierd_ctx_free). */
		log_warn("cannot schedule closing of the old control socket: "
			 "%s", strerror(-r));
	}
}

static int control_handler(void *ctx, const struct ctl_request *req,
			   struct strbuf *reply);

/*
 * Re-read the config file and apply it whole, or keep everything as it is.
 * Returns 0 or -errno with the reason in @why.
 */
static int tierd_reload(struct tierd_ctx *ctx, char *why, size_t whylen)
{
	struct tierd_config *next = &ctx->next_cfg;
	struct control_server *new_ctl = NULL;
	bool socket_changed, group_changed, have_group = false;
	char err[512];
	gid_t gid = 0;
	int r;

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)now_ms(ctx) * 1000ULL);
	log_info("reloading %s", ctx->config_path);

	r = tierd_config_load(ctx->config_path, next, &ctx->errs);
	if (r < 0) {
		log_config_errors(&ctx->errs, r, ctx->config_path);
		snprintf(why, whylen, "%s", ctx->errs.nr ?
			 ctx->errs.err[0].text : strerror(-r));
		goto fail;
	}

	socket_changed = strcmp(next->socket_path, ctx->cfg.socket_path);
	group_changed = strcmp(next->stats_group, ctx->cfg.stats_group);
	if (socket_changed) {
		r = control_server_open(ctx->event, next->socket_path,
					next->stats_group, control_handler,
					ctx, &ctx->ctl_counters, &new_ctl,
					err, sizeof(err));
	} else if (group_changed) {
		r = control_resolve_group(next->stats_group, &have_group,
					  &gid, err, sizeof(err));
	}
	if (r < 0) {
		log_err("%s: [control]: %s", ctx->config_path, err);
		snprintf(why, whylen, "%s: [control]: %s", ctx->config_path,
			 err);
		goto fail;
	}

	r = pipeline_reconfigure(ctx->pipe, next, err, sizeof(err));
	if (r < 0) {
		log_err("%s: %s", ctx->config_path, err);
		snprintf(why, whylen, "%s: %s", ctx->config_path, err);
		control_server_close(new_ctl);
		goto fail;
	}

	if (new_ctl) {
		retire_control_server(ctx, ctx->ctl);
		ctx->ctl = new_ctl;
		log_info("control socket moved to %s", next->socket_path);
	} else if (group_changed) {
		r = control_server_set_group(ctx->ctl, have_group, gid, err,
					     sizeof(err));
		if (r < 0) {
			/* The rest applied; say what is really in force. */
			log_warn("%s; keeping stats_group '%s'", err,
				 ctx->cfg.stats_group);
			memcpy(next->stats_group, ctx->cfg.stats_group,
			       sizeof(next->stats_group));
		}
	}
	ctx->cfg = *next;
	ctx->reloads++;
	sync_pipe_fd(ctx);
	log_info("reloaded %s", ctx->config_path);
	notify_ready(ctx);
	return 0;
fail:
	ctx->reload_failures++;
	log_err("reload failed: keeping the running configuration");
	notify_ready(ctx);
	return r < 0 ? r : -EINVAL;
}

/* ---- control requests ---- */

static void fill_stats(struct tierd_ctx *ctx, struct tierd_stats *st)
{
	uint64_t now = now_ms(ctx);

	memset(st, 0, sizeof(*st));
	pipeline_get_stats(ctx->pipe, now, st);
	st->uptime_ms = now - ctx->start_ms;
	st->paused = pipeline_paused(ctx->pipe);
	st->reloads = ctx->reloads;
	st->reload_failures = ctx->reload_failures;
	st->control_requests = ctx->ctl_counters.requests;
	st->control_errors = ctx->ctl_counters.errors;
}

static int control_handler(void *userdata, const struct ctl_request *req,
			   struct strbuf *reply)
{
	struct tierd_ctx *ctx = userdata;
	struct tierd_status_view v;
	char summary[512], why[1024];
	size_t n;
	int r;

	switch (req->verb) {
	case CTL_STATS:
		fill_stats(ctx, &ctx->stats);
		if (req->json)
			stats_render_json(&ctx->stats, reply);
		else
			stats_render_table(&ctx->stats, reply);
		return 0;
	case CTL_METRICS:
		fill_stats(ctx, &ctx->stats);
		stats_render_prometheus(&ctx->stats, reply);
		return 0;
	case CTL_STATUS:
		fill_stats(ctx, &ctx->stats);
		pipeline_summary(ctx->pipe, summary, sizeof(summary));
		v = (struct tierd_status_view){
			.summary = summary,
			.config_path = ctx->config_path,
			.socket_path = control_server_path(ctx->ctl),
			.uptime_ms = ctx->stats.uptime_ms,
			.paused = ctx->stats.paused,
			.reloads = ctx->reloads,
			.reload_failures = ctx->reload_failures,
			.src = ctx->stats.src,
		};
		if (req->json)
			status_render_json(&v, reply);
		else
			status_render_table(&v, reply);
		return 0;
	case CTL_CONFIG:
		r = tierd_config_format(&ctx->cfg, ctx->text,
					sizeof(ctx->text));
		if (r < 0) {
			ctl_reply_error(reply, "cannot format the config: %s",
					strerror(-r));
			return r;
		}
		sb_append(reply, ctx->text);
		return 0;
	case CTL_FOLIOS:
		n = pipeline_top_folios(ctx->pipe, req->pid, now_ms(ctx),
					ctx->folios, TIERD_FOLIOS_MAX);
		if (req->json)
			folios_render_json(ctx->folios, n, reply);
		else
			folios_render_table(ctx->folios, n, reply);
		return 0;
	case CTL_HELP:
		ctl_help(reply);
		return 0;
	case CTL_PAUSE:
	case CTL_RESUME:
		pipeline_set_paused(ctx->pipe, req->verb == CTL_PAUSE);
		log_notice("promotion %s", req->verb == CTL_PAUSE ?
			   "paused" : "resumed");
		notify_ready(ctx);
		sb_append(reply, req->verb == CTL_PAUSE ? "paused\n" :
			  "resumed\n");
		return 0;
	case CTL_RELOAD:
		r = tierd_reload(ctx, why, sizeof(why));
		if (r < 0) {
			ctl_reply_error(reply, "reload failed, running "
					"configuration kept: %s", why);
			return r;
		}
		sb_printf(reply, "reloaded %s\n", ctx->config_path);
		return 0;
	default:
		ctl_reply_error(reply, "request not implemented");
		return -EINVAL;
	}
}

/* ---- signals ---- */

static int on_exit_signal(sd_event_source *s,
			  const struct signalfd_siginfo *si, void *userdata)
{
	struct tierd_ctx *ctx = userdata;

	log_info("%s received, exiting", strsignal(si->ssi_signo));
	sd_notify(0, "STOPPING=1");
	return sd_event_exit(ctx->event, 0);
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si,
		  void *userdata)
{
	struct tierd_ctx *ctx = userdata;
	char why[1024];

	tierd_reload(ctx, why, sizeof(why));
	return 0;
}

/* ---- start and stop ---- */

static void tierd_ctx_free(struct tierd_ctx *ctx)
{
	if (ctx->retired_ctl)
		on_retire(NULL, ctx);
	control_server_close(ctx->ctl);
	sd_event_source_disable_unref(ctx->tick_src);
	sd_event_source_disable_unref(ctx->pipe_src);
	/* Detaches the BPF programs. */
	if (ctx->pipe)
		pipeline_destroy(ctx->pipe);
	sd_event_unref(ctx->event);
	free(ctx);
}

static int tierd_start(struct tierd_ctx *ctx)
{
	char err[512], summary[512];
	sigset_t mask;
	int r;

	r = tierd_config_load(ctx->config_path, &ctx->cfg, &ctx->errs);
	if (r < 0) {
		log_config_errors(&ctx->errs, r, ctx->config_path);
		log_err("cannot start: invalid configuration");
		return r;
	}

	r = sd_event_new(&ctx->event);
	if (r < 0) {
		log_err("sd_event_new: %s", strerror(-r));
		return r;
	}
	/* signalfd only sees signals that are blocked. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r = sd_event_add_signal(ctx->event, NULL, SIGTERM,
				     on_exit_signal, ctx)) < 0 ||
	    (r = sd_event_add_signal(ctx->event, NULL, SIGINT,
				     on_exit_signal, ctx)) < 0 ||
	    (r = sd_event_add_signal(ctx->event, NULL, SIGHUP, on_hup,
				     ctx)) < 0) {
		log_err("cannot set up signal handling: %s", strerror(-r));
		return r;
	}
	r = sd_event_set_watchdog(ctx->event, true);
	if (r < 0)
		log_warn("cannot enable the systemd watchdog: %s",
			 strerror(-r));
	else if (r > 0)
		log_debug("systemd watchdog enabled");
	ctx->start_ms = now_ms(ctx);

	r = pipeline_create(&ctx->cfg, ctx->start_ms, &ctx->pipe, err,
			    sizeof(err));
	if (r < 0) {
		log_err("cannot start the pipeline: %s", err);
		return r;
	}
	pipeline_summary(ctx->pipe, summary, sizeof(summary));
	log_notice("%s", summary);

	r = sync_pipe_fd(ctx);
	if (r < 0)
		return r;
	r = sd_event_add_time_relative(ctx->event, &ctx->tick_src,
				       CLOCK_MONOTONIC,
				       pipeline_tick_ms(ctx->pipe) * 1000ULL,
				       TIERD_TICK_ACCURACY_USEC, on_tick, ctx);
	if (r < 0) {
		log_err("cannot add the tick timer: %s", strerror(-r));
		return r;
	}

	r = control_server_open(ctx->event, ctx->cfg.socket_path,
				ctx->cfg.stats_group, control_handler, ctx,
				&ctx->ctl_counters, &ctx->ctl, err,
				sizeof(err));
	if (r < 0) {
		log_err("control socket: %s", err);
		return r;
	}
	log_info("listening on %s", ctx->cfg.socket_path);
	notify_ready(ctx);
	return 0;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tierd [-c FILE] [-v]\n"
		"       tierd --check-config [FILE]\n"
		"Memory-tiering promotion daemon.\n\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -v, --verbose         log debug messages\n"
		"      --check-config [FILE]\n"
		"                        validate the configuration, print every\n"
		"                        error, exit 0 if it is valid, 1 if not\n"
		"  -V, --version         print the version and exit\n"
		"  -h, --help            print this help and exit\n",
		TIERD_DEFAULT_CONFIG);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tierd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'tierd --help'.\n");
	return 2;
}

static int check_config(const char *path)
{
	struct tierd_config_errors *errs;
	struct tierd_config *cfg;
	unsigned int i;
	int r, ret = 1;

	cfg = malloc(sizeof(*cfg));
	errs = malloc(sizeof(*errs));
	if (!cfg || !errs) {
		fprintf(stderr, "tierd: out of memory\n");
		goto out;
	}
	r = tierd_config_load(path, cfg, errs);
	if (r == 0) {
		printf("%s: OK\n", path);
		ret = 0;
		goto out;
	}
	for (i = 0; i < errs->nr && i < 32; i++)
		fprintf(stderr, "%s\n", errs->err[i].text);
	if (errs->dropped)
		fprintf(stderr, "%s: ... and %u more errors\n", path,
			errs->dropped);
	if (!errs->nr)
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
out:
	free(cfg);
	free(errs);
	return ret;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 0x100 };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check-config", optional_argument, NULL, OPT_CHECK },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *config_path = TIERD_DEFAULT_CONFIG;
	bool verbose = false, check = false;
	struct tierd_ctx *ctx;
	int c, r;

	opterr = 0;	/* our messages name the option */
	while ((c = getopt_long(argc, argv, ":c:vVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case OPT_CHECK:
			check = true;
			if (optarg)
				config_path = optarg;
			break;
		case 'V':
			printf("tierd %s\n", TIERD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			if (optopt) {
				char opt[3] = { '-', (char)optopt, 0 };

				return usage_error("unknown option '%s'", opt);
			}
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (check && optind < argc)
		config_path = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);

	log_setup("tierd", verbose ? LOG_DEBUG : LOG_INFO);
	if (check)
		return check_config(config_path);

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		log_err("out of memory");
		return 1;
	}
	ctx->config_path = config_path;
	ctx->pipe_fd = -1;
	log_info("tierd %s starting with %s", TIERD_VERSION, config_path);
	r = tierd_start(ctx);
	if (r >= 0) {
		r = sd_event_loop(ctx->event);
		if (r < 0)
			log_err("event loop: %s", strerror(-r));
	}
	if (r < 0)
		sd_notifyf(0, "STATUS=failed: %s\nERRNO=%d", strerror(-r), -r);
	tierd_ctx_free(ctx);
	return r == 0 ? 0 : 1;
}
