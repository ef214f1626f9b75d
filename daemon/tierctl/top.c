// SPDX-License-Identifier: GPL-2.0
/*
 * tierctl top: ask tierd for `stats json` every interval, keep the last
 * two samples, show the view.  --once and --json take two samples an
 * interval apart (so the rates are measured, not guessed), print one
 * snapshot and need no terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lib/strbuf.h"
#include "tierctl/stats_parse.h"
#include "tierctl/top.h"
#include "tierctl/top_term.h"
#include "tierctl/top_view.h"

#define SCREEN_MAX (256 * 1024)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Fill @s from tierd; tierctl's exit code, the reason in @err. */
static int take_sample(const struct ctl_target *t, struct top_sample *s,
		       char *err, size_t errlen)
{
	char perr[192], *body;
	size_t len;
	int r;

	r = ctl_request(t, "stats json\n", &body, &len, err, errlen);
	if (r)
		return r;
	s->t_ms = now_ms();
	r = stats_parse_json(body, &s->st, perr, sizeof(perr));
	free(body);
	if (r < 0) {
		snprintf(err, errlen, "tierd's stats reply: %s", perr);
		return EXIT_ERROR_REPLY;
	}
	return 0;
}

static void clock_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!localtime_r(&now, &tm) || !strftime(buf, len, "%H:%M:%S", &tm))
		snprintf(buf, len, "--:--:--");
}

/* --once and --json: two samples, one snapshot on stdout. */
static int snapshot(const struct ctl_target *t, const struct top_opts *o,
		    struct top_sample smp[2], struct strbuf *sb)
{
	char err[512], clock[16];
	unsigned int cols = 511, rows = 100000;
	struct top_view v;
	struct timespec ts = {
		.tv_sec = o->interval_ms / 1000,
		.tv_nsec = (long)(o->interval_ms % 1000) * 1000000,
	};
	struct winsize ws;
	int r;

	/* a person's terminal: its width; a pipe: whole lines */
	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) &&
	    ws.ws_col)
		cols = ws.ws_col < TOP_MIN_COLS ? TOP_MIN_COLS : ws.ws_col;
	r = take_sample(t, &smp[0], err, sizeof(err));
	if (!r) {
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		r = take_sample(t, &smp[1], err, sizeof(err));
	}
	if (r) {
		fprintf(stderr, "tierctl: %s\n", err);
		return r;
	}
	top_view_compute(&smp[0], &smp[1], &v);
	if (o->json) {
		top_render_json(&v, sb);
	} else {
		clock_now(clock, sizeof(clock));
		top_render_screen(&v, cols, rows, clock, sb);
	}
	if (sb->err) {
		fprintf(stderr, "tierctl: the view does not fit in %d bytes\n",
			SCREEN_MAX);
		return EXIT_ERROR_REPLY;
	}
	fwrite(sb->buf, 1, sb->len, stdout);
	return fflush(stdout) ? EXIT_ERROR_REPLY : 0;
}

static int draw(struct top_term *term, const struct top_view *v,
		struct strbuf *sb)
{
	unsigned int cols, rows;
	char clock[16];
	int r;

	top_term_size(term, &cols, &rows);
	clock_now(clock, sizeof(clock));
	sb_reset(sb);
	r = top_render_screen(v, cols, rows, clock, sb);
	return top_term_draw(term, sb->buf, r < 0);
}

static int live(const struct ctl_target *t, const struct top_opts *o,
		struct top_sample smp[2], struct strbuf *sb)
{
	struct top_sample *prev = NULL, *cur = &smp[0];
	char err[512] = "";
	struct top_term term;
	struct top_view v;
	uint64_t next = 0, now;
	int r, ret = 0, signo = 0;

	if (top_term_usable(err, sizeof(err)) < 0) {
		fprintf(stderr, "tierctl: top: %s\n", err);
		return EXIT_USAGE;
	}
	/* the first sample before the screen changes: fail plainly */
	r = take_sample(t, cur, err, sizeof(err));
	if (r) {
		fprintf(stderr, "tierctl: %s\n", err);
		return r;
	}
	next = cur->t_ms + o->interval_ms;
	top_view_compute(NULL, cur, &v);
	if (top_term_open(&term, err, sizeof(err)) < 0) {
		fprintf(stderr, "tierctl: top: %s\n", err);
		return EXIT_USAGE;
	}
	for (;;) {
		if (draw(&term, &v, sb) < 0) {
			snprintf(err, sizeof(err), "top: cannot write to the "
				 "terminal: %s", strerror(errno));
			ret = EXIT_ERROR_REPLY;
			break;
		}
		now = now_ms();
		switch (top_term_wait(&term, next > now ? (int)(next - now) : 0,
				      &signo)) {
		case TOP_EV_QUIT:
			goto out;
		case TOP_EV_SIGNAL:
			ret = 128 + signo;
			goto out;
		case TOP_EV_ERROR:
			snprintf(err, sizeof(err), "top: the terminal went "
				 "away");
			ret = EXIT_ERROR_REPLY;
			goto out;
		case TOP_EV_REDRAW:
			continue;
		case TOP_EV_TIMEOUT:
			break;
		}
		prev = cur;
		cur = cur == &smp[0] ? &smp[1] : &smp[0];
		r = take_sample(t, cur, err, sizeof(err));
		if (r) {
			ret = r;
			goto out;
		}
		top_view_compute(prev, cur, &v);
		next += o->interval_ms;
		if (next <= cur->t_ms)		/* fell behind: resynchronise */
			next = cur->t_ms + o->interval_ms;
	}
out:
	/* the terminal first, so the message lands on the normal screen */
	top_term_close(&term);
	if (*err)
		fprintf(stderr, "tierctl: %s%s\n", ret == EXIT_NO_DAEMON ?
			"top: lost tierd: " : "", err);
	return ret;
}

int top_run(const struct ctl_target *t, const struct top_opts *o)
{
	struct top_sample *smp = calloc(2, sizeof(*smp));
	char *buf = malloc(SCREEN_MAX);
	struct strbuf sb;
	int ret;

	if (!smp || !buf) {
		fprintf(stderr, "tierctl: out of memory\n");
		ret = EXIT_ERROR_REPLY;
		goto out;
	}
	sb_init(&sb, buf, SCREEN_MAX);
	ret = o->once || o->json ? snapshot(t, o, smp, &sb) :
				   live(t, o, smp, &sb);
out:
	free(buf);
	free(smp);
	return ret;
}
