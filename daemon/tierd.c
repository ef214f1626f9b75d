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
#include "control/dispatch.h"
#include "control/server.h"
#include "lib/log.h"
#include "lib/strbuf.h"
#include "pipeline/pipeline.h"
#include "stats/loop_stats.h"

/* sd-event's default timer slack is 250 ms, longer than a short tick. */
#define TIERD_TICK_ACCURACY_USEC 1000

struct tierd_ctx {
	const char *config_path;
	struct tierd_config cfg;		/* the config in force */
	struct tierd_config next_cfg;		/* reload scratch */
	struct tierd_config_errors errs;	/* reload scratch */

	sd_event *event;
	sd_event_source *tick_src;
	sd_event_source *pass_src;		/* promotion passes between ticks */
	sd_event_source *pipe_src;
	int pipe_fd;				/* fd pipe_src watches, or -1 */

	struct pipeline *pipe;

	struct control_server *ctl;
	struct control_server *track;		/* the track socket */
	/* What the control requests do: the ops below, over this ctx. */
	struct ctl_service svc;

	uint64_t start_ms;
	uint64_t reloads;
	uint64_t reload_failures;
	/* the "loop" group: how late ticks ran, how long drains took */
	struct tierd_stats loop;
};

/* Now, not the loop iteration's cached time: for how long work took. */
static uint64_t clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

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

/*
 * What tierd_config_load() found wrong, one line per problem: the form the
 * log, a reload's reason and --check-config all show.
 */
static void config_errors_text(const struct tierd_config_errors *errs, int r,
			       const char *path, char *buf, size_t len)
{
	struct strbuf sb;
	unsigned int i;

	sb_init(&sb, buf, len);
	for (i = 0; i < errs->nr && i < 32; i++)
		sb_printf(&sb, "%s%s", i ? "\n" : "", errs->err[i].text);
	if (errs->dropped)
		sb_printf(&sb, "\n%s: ... and %u more errors", path,
			  errs->dropped);
	if (!errs->nr)
		sb_printf(&sb, "%s: %s", path, strerror(-r));
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
	uint64_t start = clock_us();
	int r;

	r = pipeline_on_events(ctx->pipe, now_ms(ctx));
	if (r < 0)
		log_warn("draining pipeline events: %s", strerror(-r));
	loop_stats_drain(&ctx->loop, start, clock_us(), r > 0);
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

/* Fire the one-shot timer @s again in @ms; a timer that cannot ends the loop. */
static int rearm_timer(struct tierd_ctx *ctx, sd_event_source *s,
		       uint32_t ms, const char *what)
{
	int r = sd_event_source_set_time_relative(s, ms * 1000ULL);

	if (r >= 0)
		r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	if (r < 0) {
		log_err("cannot re-arm the %s timer: %s", what, strerror(-r));
		return sd_event_exit(ctx->event, 1);
	}
	return 0;
}

/*
 * The pass timer's period: passes between ticks, or, with none wanted,
 * a look again a tick later (so a reload that turns passes on or off
 * needs nothing here).
 */
static uint32_t pass_timer_ms(const struct tierd_ctx *ctx)
{
	uint32_t every = pipeline_pass_ms(ctx->pipe);

	return every ? every : pipeline_tick_ms(ctx->pipe);
}

/* The pipeline logs what fails in a tick or a pass, once. */
static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct tierd_ctx *ctx = userdata;
	uint64_t start = clock_us();

	(void)pipeline_tick(ctx->pipe, now_ms(ctx));
	/* @usec is when the timer was due, on the same clock */
	loop_stats_tick(&ctx->loop, usec, start, clock_us());
	return rearm_timer(ctx, s, pipeline_tick_ms(ctx->pipe), "tick");
}

static int on_pass(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct tierd_ctx *ctx = userdata;

	(void)usec;
	if (pipeline_pass_ms(ctx->pipe))
		(void)pipeline_pass(ctx->pipe, now_ms(ctx));
	return rearm_timer(ctx, s, pass_timer_ms(ctx), "promotion pass");
}

/* ---- reload ---- */

/*
 * Re-read the config file and apply it whole, or keep everything as it is.
 * Returns 0 or -errno with the reason in @why (one line per problem), for
 * the caller to report: ctl_ops.reload.
 */
static int tierd_reload(void *userdata, char *why, size_t whylen)
{
	struct tierd_ctx *ctx = userdata;
	struct tierd_config *next = &ctx->next_cfg;
	struct control_change chg, tchg;
	char err[512], track[TIERD_PATH_LEN];
	int r;

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)now_ms(ctx) * 1000ULL);
	log_info("reloading %s", ctx->config_path);

	r = tierd_config_load(ctx->config_path, next, &ctx->errs);
	if (r < 0) {
		config_errors_text(&ctx->errs, r, ctx->config_path, why,
				   whylen);
		goto fail;
	}

	r = control_server_prepare(ctx->ctl, next->socket_path,
				   next->stats_group, &chg, err, sizeof(err));
	if (r < 0) {
		snprintf(why, whylen, "%s: [control]: %s", ctx->config_path,
			 err);
		goto fail;
	}
	/* the config check made sure the path fits */
	tierd_config_track_socket(next, track, sizeof(track));
	r = control_track_server_prepare(ctx->track, track, &tchg, err,
					 sizeof(err));
	if (r < 0) {
		snprintf(why, whylen, "%s: [control] track_socket: %s",
			 ctx->config_path, err);
		control_server_discard(&chg);
		goto fail;
	}
	r = pipeline_reconfigure(ctx->pipe, next, err, sizeof(err));
	if (r < 0) {
		snprintf(why, whylen, "%s: %s", ctx->config_path, err);
		control_server_discard(&chg);
		control_server_discard(&tchg);
		goto fail;
	}
	/* a new path only: nothing of it can fail here */
	control_server_apply(&ctx->track, &tchg, err, sizeof(err));
	if (control_server_apply(&ctx->ctl, &chg, err, sizeof(err)) < 0) {
		/* The rest applied; say what is really in force. */
		log_warn("%s; keeping stats_group '%s'", err,
			 ctx->cfg.stats_group);
		memcpy(next->stats_group, ctx->cfg.stats_group,
		       sizeof(next->stats_group));
	}
	ctx->cfg = *next;
	ctx->reloads++;
	sync_pipe_fd(ctx);
	log_info("reloaded %s", ctx->config_path);
	notify_ready(ctx);
	return 0;
fail:
	ctx->reload_failures++;
	notify_ready(ctx);
	return r < 0 ? r : -EINVAL;
}

/* ---- control requests: what struct ctl_ops asks of the daemon ---- */

static void ops_fill_stats(void *userdata, struct tierd_stats *st)
{
	struct tierd_ctx *ctx = userdata;
	uint64_t now = now_ms(ctx);

	memset(st, 0, sizeof(*st));
	pipeline_get_stats(ctx->pipe, now, st);
	st->uptime_ms = now - ctx->start_ms;
	st->paused = pipeline_paused(ctx->pipe);
	st->reloads = ctx->reloads;
	st->reload_failures = ctx->reload_failures;
	loop_stats_copy(st, &ctx->loop);
}

static void ops_summary(void *userdata, char *buf, size_t len)
{
	struct tierd_ctx *ctx = userdata;

	pipeline_summary(ctx->pipe, buf, len);
}

static const char *ops_config_path(void *userdata)
{
	return ((struct tierd_ctx *)userdata)->config_path;
}

static const struct tierd_config *ops_config(void *userdata)
{
	return &((struct tierd_ctx *)userdata)->cfg;
}

static size_t ops_top_folios(void *userdata, pid_t pid, struct folio_info *out,
			     size_t max)
{
	struct tierd_ctx *ctx = userdata;

	return pipeline_top_folios(ctx->pipe, pid, now_ms(ctx), out, max);
}

static void ops_set_paused(void *userdata, bool paused)
{
	struct tierd_ctx *ctx = userdata;

	pipeline_set_paused(ctx->pipe, paused);
	log_notice("promotion %s", paused ? "paused" : "resumed");
	notify_ready(ctx);
}

static int ops_track(void *userdata, const struct ctl_request *req,
		     char *msg, size_t msglen)
{
	struct tierd_ctx *ctx = userdata;
	const struct source_adopt a = {
		.pid = req->peer_pid,
		.uid = req->peer_uid,
		.fd = req->fd,
		.peer_fdno = req->fdno,
		.canary = req->addr,
	};

	return pipeline_track(ctx->pipe, &a, now_ms(ctx), msg, msglen);
}

static void ops_log(void *userdata, int prio, const char *line)
{
	tierd_log(prio, "%s", line);
}

static const struct ctl_ops tierd_ctl_ops = {
	.fill_stats = ops_fill_stats,
	.summary = ops_summary,
	.config = ops_config,
	.config_path = ops_config_path,
	.top_folios = ops_top_folios,
	.set_paused = ops_set_paused,
	.reload = tierd_reload,
	.track = ops_track,
	.log = ops_log,
};

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
	const struct ctl_request req = { .verb = CTL_RELOAD, .fd = -1 };
	char buf[1024];
	struct strbuf reply;

	/* The same reload, reported the same way, as `tierctl reload`. */
	sb_init(&reply, buf, sizeof(buf));
	ctl_dispatch(&ctx->svc, &req, &reply);
	return 0;
}

/* ---- start and stop ---- */

static void tierd_ctx_free(struct tierd_ctx *ctx)
{
	control_server_close(ctx->track);
	control_server_close(ctx->ctl);
	sd_event_source_disable_unref(ctx->tick_src);
	sd_event_source_disable_unref(ctx->pass_src);
	sd_event_source_disable_unref(ctx->pipe_src);
	/* Detaches the BPF programs. */
	if (ctx->pipe)
		pipeline_destroy(ctx->pipe);
	sd_event_unref(ctx->event);
	free(ctx);
}

static int tierd_start(struct tierd_ctx *ctx)
{
	char err[512], summary[512], track[TIERD_PATH_LEN], *line, *save = NULL;
	sigset_t mask;
	int r;

	r = tierd_config_load(ctx->config_path, &ctx->cfg, &ctx->errs);
	if (r < 0) {
		/* nothing is served yet: the control scratch is free */
		config_errors_text(&ctx->errs, r, ctx->config_path,
				   ctx->svc.text, sizeof(ctx->svc.text));
		for (line = strtok_r(ctx->svc.text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			log_err("%s", line);
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
	r = sd_event_add_time_relative(ctx->event, &ctx->pass_src,
				       CLOCK_MONOTONIC,
				       pass_timer_ms(ctx) * 1000ULL,
				       TIERD_TICK_ACCURACY_USEC, on_pass, ctx);
	if (r < 0) {
		log_err("cannot add the promotion pass timer: %s",
			strerror(-r));
		return r;
	}

	r = control_server_open(ctx->event, ctx->cfg.socket_path,
				ctx->cfg.stats_group, &ctx->svc, &ctx->ctl, err,
				sizeof(err));
	if (r < 0) {
		log_err("control socket: %s", err);
		return r;
	}
	log_info("listening on %s", ctx->cfg.socket_path);
	tierd_config_track_socket(&ctx->cfg, track, sizeof(track));
	r = control_track_server_open(ctx->event, track, &ctx->svc,
				      &ctx->track, err, sizeof(err));
	if (r < 0) {
		log_err("track socket: %s", err);
		return r;
	}
	log_info("listening on %s for track requests", track);
	notify_ready(ctx);
	return 0;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tierd [-c FILE] [-v] [--log-target=TARGET]\n"
		"       tierd --check-config [FILE]\n"
		"Memory-tiering promotion daemon.\n\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -v, --verbose         log debug messages\n"
		"      --log-target=auto|journal|stderr\n"
		"                        where messages go (default auto: the\n"
		"                        journal when stderr is connected to it)\n"
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
	char *text;
	int r, ret = 1;

	cfg = malloc(sizeof(*cfg));
	errs = malloc(sizeof(*errs));
	text = malloc(CTL_TEXT_MAX);
	if (!cfg || !errs || !text) {
		fprintf(stderr, "tierd: out of memory\n");
		goto out;
	}
	r = tierd_config_load(path, cfg, errs);
	if (r == 0) {
		printf("%s: OK\n", path);
		ret = 0;
		goto out;
	}
	config_errors_text(errs, r, path, text, CTL_TEXT_MAX);
	fprintf(stderr, "%s\n", text);
out:
	free(cfg);
	free(errs);
	free(text);
	return ret;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 0x100, OPT_LOG_TARGET };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check-config", optional_argument, NULL, OPT_CHECK },
		{ "log-target", required_argument, NULL, OPT_LOG_TARGET },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *config_path = TIERD_DEFAULT_CONFIG, *log_target = "auto";
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
		case OPT_LOG_TARGET:
			log_target = optarg;
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
	if (log_set_target(log_target) < 0)
		return usage_error("--log-target: '%s' is not auto, journal or stderr",
				   log_target);
	if (check)
		return check_config(config_path);

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		log_err("out of memory");
		return 1;
	}
	ctx->config_path = config_path;
	ctx->pipe_fd = -1;
	ctl_service_init(&ctx->svc, &tierd_ctl_ops, ctx);
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
