/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The terminal under tierctl top, with termios and a handful of ECMA-48
 * (ANSI) sequences: the alternate screen, cursor home and hide, erase to
 * end of line and of screen, reverse video.  Signals that end or stop the
 * view arrive on a signalfd, so the terminal is restored by ordinary code
 * on every way out; nothing is done inside a signal handler.
 */
#ifndef TIERCTL_TOP_TERM_H
#define TIERCTL_TOP_TERM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

struct top_term {
	int in_fd, out_fd;
	int sig_fd;		/* signalfd, -1 when closed */
	sigset_t old_mask;
	struct termios saved;
	bool raw;		/* saved is to be put back */
};

/* What top_term_wait() saw. */
enum top_event {
	TOP_EV_TIMEOUT,		/* time to refresh */
	TOP_EV_QUIT,		/* 'q' or Ctrl-C */
	TOP_EV_REDRAW,		/* resized, or continued after Ctrl-Z */
	TOP_EV_SIGNAL,		/* SIGTERM, SIGHUP or SIGQUIT: see *signo */
	TOP_EV_ERROR,		/* poll or read failed */
};

/*
 * Whether stdin and stdout are a terminal tierctl top can draw on; 0 or
 * -ENOTTY with the reason in @err.
 */
int top_term_usable(char *err, size_t errlen);

/* Raw input, alternate screen, hidden cursor, the signalfd. */
int top_term_open(struct top_term *t, char *err, size_t errlen);
/* Undo top_term_open(); safe to call twice. */
void top_term_close(struct top_term *t);

void top_term_size(const struct top_term *t, unsigned int *cols,
		   unsigned int *rows);
/* Draw @text (lines ending in '\n') from the top left; the first line in
 * reverse video unless @plain. */
int top_term_draw(struct top_term *t, const char *text, bool plain);
/* Wait at most @timeout_ms for a key or a signal. */
enum top_event top_term_wait(struct top_term *t, int timeout_ms, int *signo);

#endif /* TIERCTL_TOP_TERM_H */
