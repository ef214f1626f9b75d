/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging to stderr.  Under systemd (JOURNAL_STREAM set) every line carries
 * a "<N>" syslog priority prefix that journald turns into the priority;
 * on a terminal it reads "tierd: warning: ...".
 */
#ifndef TIERD_LOG_H
#define TIERD_LOG_H

#include <syslog.h>

/*
 * Set once by main() before anything logs: the highest priority printed
 * (LOG_INFO by default, LOG_DEBUG with -v) and the program name.  This is
 * write-once process configuration, not state that changes while running.
 */
void log_setup(const char *progname, int max_level);

void tierd_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)    tierd_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)   tierd_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) tierd_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)   tierd_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)  tierd_log(LOG_DEBUG, __VA_ARGS__)

#endif /* TIERD_LOG_H */
