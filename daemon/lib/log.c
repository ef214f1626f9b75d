// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/log.h"

static struct {
	const char *progname;
	int max_level;
	bool journal;
} log_cfg = { "tierd", LOG_INFO, false };

void log_setup(const char *progname, int max_level)
{
	log_cfg.progname = progname;
	log_cfg.max_level = max_level;
	/* systemd sets JOURNAL_STREAM when stderr is connected to journald */
	log_cfg.journal = getenv("JOURNAL_STREAM") != NULL;
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

void tierd_log(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (prio > log_cfg.max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so concurrent writers do not interleave. */
	if (log_cfg.journal)
		fprintf(stderr, "<%d>%s\n", prio, line);
	else
		fprintf(stderr, "%s: %s%s\n", log_cfg.progname, prio_word(prio),
			line);
}
