// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
/* CODE_FILE= etc. would name log.c, not the caller: leave them out */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "lib/log.h"

#define FIELD_MAX	8
#define LINE_MAX_LEN	1024
/* where sd_journal_sendv() writes */
#define JOURNAL_SOCKET	"/run/systemd/journal/socket"

/*
 * native: sd_journal_sendv() with fields.  Otherwise stderr: "<4>text"
 * when journald reads it (it takes the prefix as the priority), else
 * "tierd: warning: text".
 */
static struct {
	const char *progname;
	int max_level;
	bool stderr_is_journal;
	bool native;
} log_cfg = { "tierd", LOG_INFO, false, false };

/*
 * systemd puts "DEV:INODE" of the stream it connected to stderr in
 * $JOURNAL_STREAM.  A child whose stderr was redirected inherits the
 * variable, so it counts only when stderr still is that stream.
 */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/*
 * sd_journal_sendv() drops a message silently when journald's socket is
 * missing; without one the messages go to stderr instead.
 */
static bool journal_socket_exists(void)
{
	struct stat st;

	return stat(JOURNAL_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode);
}

void log_setup(const char *progname, int max_level)
{
	log_cfg.progname = progname;
	log_cfg.max_level = max_level;
	log_cfg.stderr_is_journal = stderr_is_journal();
	log_cfg.native = log_cfg.stderr_is_journal && journal_socket_exists();
}

int log_set_target(const char *target)
{
	if (!strcmp(target, "journal"))
		log_cfg.native = journal_socket_exists();
	else if (!strcmp(target, "stderr"))
		log_cfg.native = false;
	else if (!strcmp(target, "auto"))
		log_cfg.native = log_cfg.stderr_is_journal &&
				 journal_socket_exists();
	else
		return -EINVAL;
	return 0;
}

static const char *prio_word(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

/* "NAME=value" into @buf as iovec @iov[*n]. */
__attribute__((format(printf, 5, 6)))
static void add_field(struct iovec *iov, int *n, char *buf, size_t len,
		      const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	iov[*n].iov_base = buf;
	iov[*n].iov_len = (size_t)w < len ? (size_t)w : len - 1;
	(*n)++;
}

static int send_journal(int prio, const struct log_fields *f, const char *line)
{
	char msg[LINE_MAX_LEN + 16], pri[16], ident[64];
	char source[64], setting[128], pid[32], node[32], err[32];
	struct iovec iov[FIELD_MAX];
	int n = 0;

	add_field(iov, &n, msg, sizeof(msg), "MESSAGE=%s", line);
	add_field(iov, &n, pri, sizeof(pri), "PRIORITY=%d", prio);
	add_field(iov, &n, ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s",
		  log_cfg.progname);
	if (f && f->source)
		add_field(iov, &n, source, sizeof(source), "TIERD_SOURCE=%s",
			  f->source);
	if (f && f->setting)
		add_field(iov, &n, setting, sizeof(setting),
			  "TIERD_SETTING=%s", f->setting);
	if (f && f->pid > 0)
		add_field(iov, &n, pid, sizeof(pid), "TIERD_PID=%d",
			  (int)f->pid);
	if (f && f->has_node)
		add_field(iov, &n, node, sizeof(node), "TIERD_NODE=%d",
			  f->node);
	if (f && f->err)
		add_field(iov, &n, err, sizeof(err), "ERRNO=%d",
			  f->err < 0 ? -f->err : f->err);
	return sd_journal_sendv(iov, n);
}

static void vlog(int prio, const struct log_fields *f, const char *fmt,
		 va_list ap)
{
	char line[LINE_MAX_LEN];

	if (prio > log_cfg.max_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* journald gone (or never there): the line still goes somewhere */
	if (log_cfg.native && send_journal(prio, f, line) >= 0)
		return;
	/* One fprintf per line so concurrent writers do not interleave. */
	if (log_cfg.stderr_is_journal)
		fprintf(stderr, "<%d>%s\n", prio, line);
	else
		fprintf(stderr, "%s: %s%s\n", log_cfg.progname, prio_word(prio),
			line);
}

void tierd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, NULL, fmt, ap);
	va_end(ap);
}

void tierd_log_fields(int prio, const struct log_fields *f, const char *fmt,
		      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, f, fmt, ap);
	va_end(ap);
}
