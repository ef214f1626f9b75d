// SPDX-License-Identifier: GPL-2.0
/* termios, ECMA-48 sequences and a signalfd for tierctl top. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "tierctl/top_term.h"

#define ESC "\x1b"
#define ENTER_VIEW ESC "[?1049h" ESC "[?25l"	/* alternate screen, no cursor */
#define LEAVE_VIEW ESC "[?25h" ESC "[?1049l"

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int top_term_usable(char *err, size_t errlen)
{
	const char *term = getenv("TERM");

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errlen, "standard %s is not a terminal; for "
			 "scripts use 'tierctl top --once' or 'tierctl top "
			 "--json'", isatty(STDIN_FILENO) ? "output" : "input");
		return -ENOTTY;
	}
	if (!term || !*term || !strcmp(term, "dumb")) {
		snprintf(err, errlen, "%s: the live view needs a terminal "
			 "that understands ANSI escape sequences; set TERM "
			 "(e.g. TERM=xterm) or use 'tierctl top --once'",
			 !term || !*term ? "TERM is not set" : "TERM=dumb");
		return -ENOTTY;
	}
	return 0;
}

/* Put the terminal in raw mode; @t->raw says it must be undone. */
static int enter_raw(struct top_term *t, char *err, size_t errlen)
{
	struct termios raw;

	if (tcgetattr(t->in_fd, &t->saved) < 0) {
		snprintf(err, errlen, "reading the terminal settings: %s",
			 strerror(errno));
		return -errno;
	}
	raw = t->saved;
	/* keys one at a time, unechoed; ISIG stays, so Ctrl-C is SIGINT */
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(t->in_fd, TCSANOW, &raw) < 0) {
		snprintf(err, errlen, "setting the terminal to raw mode: %s",
			 strerror(errno));
		return -errno;
	}
	t->raw = true;
	return write_all(t->out_fd, ENTER_VIEW, strlen(ENTER_VIEW));
}

static void leave_raw(struct top_term *t)
{
	if (!t->raw)
		return;
	write_all(t->out_fd, LEAVE_VIEW, strlen(LEAVE_VIEW));
	tcsetattr(t->in_fd, TCSADRAIN, &t->saved);
	t->raw = false;
}

int top_term_open(struct top_term *t, char *err, size_t errlen)
{
	sigset_t set;
	int r;

	memset(t, 0, sizeof(*t));
	t->in_fd = STDIN_FILENO;
	t->out_fd = STDOUT_FILENO;
	t->sig_fd = -1;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTSTP);
	sigaddset(&set, SIGCONT);
	/* blocked before the terminal changes: none can kill us mid-way */
	if (sigprocmask(SIG_BLOCK, &set, &t->old_mask) < 0) {
		snprintf(err, errlen, "sigprocmask: %s", strerror(errno));
		return -errno;
	}
	t->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (t->sig_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &t->old_mask, NULL);
		return r;
	}
	r = enter_raw(t, err, errlen);
	if (r < 0)
		top_term_close(t);
	return r;
}

void top_term_close(struct top_term *t)
{
	if (t->sig_fd < 0)
		return;
	leave_raw(t);
	close(t->sig_fd);
	t->sig_fd = -1;
	sigprocmask(SIG_SETMASK, &t->old_mask, NULL);
}

void top_term_size(const struct top_term *t, unsigned int *cols,
		   unsigned int *rows)
{
	struct winsize ws = { 0 };

	if (ioctl(t->out_fd, TIOCGWINSZ, &ws) < 0 || !ws.ws_col || !ws.ws_row)
		ws = (struct winsize){ .ws_col = 80, .ws_row = 24 };
	*cols = ws.ws_col;
	*rows = ws.ws_row;
}

int top_term_draw(struct top_term *t, const char *text, bool plain)
{
	size_t cap = strlen(text) * 2 + 64, len = 0;
	char *out = malloc(cap);
	const char *p = text, *nl;
	bool first = true;
	int r;

	if (!out)
		return -ENOMEM;
#define PUT(s, n) do { memcpy(out + len, (s), (n)); len += (n); } while (0)
	PUT(ESC "[H", 3);
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (!first)
			PUT("\r\n", 2);	/* never after the last: no scroll */
		if (first && !plain)
			PUT(ESC "[7m", 4);
		PUT(p, (size_t)(nl - p));
		if (first && !plain)
			PUT(ESC "[0m", 4);
		PUT(ESC "[K", 3);
		first = false;
		p = *nl ? nl + 1 : nl;
	}
	PUT(ESC "[J", 3);
#undef PUT
	r = write_all(t->out_fd, out, len);
	free(out);
	return r;
}

/* Ctrl-Z: give the terminal back, stop, take it again when continued. */
static void suspend(struct top_term *t)
{
	char err[128];

	leave_raw(t);
	kill(getpid(), SIGSTOP);
	enter_raw(t, err, sizeof(err));
}

enum top_event top_term_wait(struct top_term *t, int timeout_ms, int *signo)
{
	struct pollfd pfd[2] = {
		{ .fd = t->sig_fd, .events = POLLIN },
		{ .fd = t->in_fd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	char keys[64];
	ssize_t n;

	if (poll(pfd, 2, timeout_ms) < 0)
		return errno == EINTR ? TOP_EV_REDRAW : TOP_EV_ERROR;
	if (pfd[0].revents & POLLIN) {
		if (read(t->sig_fd, &si, sizeof(si)) != sizeof(si))
			return TOP_EV_REDRAW;
		switch (si.ssi_signo) {
		case SIGINT:
			return TOP_EV_QUIT;
		case SIGWINCH:
		case SIGCONT:
			return TOP_EV_REDRAW;
		case SIGTSTP:
			suspend(t);
			return TOP_EV_REDRAW;
		default:
			*signo = (int)si.ssi_signo;
			return TOP_EV_SIGNAL;
		}
	}
	if (pfd[1].revents & (POLLHUP | POLLERR))
		return TOP_EV_ERROR;
	if (pfd[1].revents & POLLIN) {
		n = read(t->in_fd, keys, sizeof(keys));
		if (n <= 0)
			return n < 0 && errno == EINTR ? TOP_EV_REDRAW :
							 TOP_EV_ERROR;
		for (ssize_t i = 0; i < n; i++)
			if (keys[i] == 'q' || keys[i] == 'Q' || keys[i] == 3)
				return TOP_EV_QUIT;
		return TOP_EV_REDRAW;
	}
	return TOP_EV_TIMEOUT;
}
