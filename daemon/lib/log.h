/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging.  Under systemd (stderr is the stream $JOURNAL_STREAM names)
 * every message goes to the journal natively, with the fields of struct
 * log_fields beside MESSAGE= and PRIORITY=, so a person can ask
 * `journalctl -u tierd TIERD_PID=1234` or `TIERD_SOURCE=numa_hint`.  In
 * the foreground it is plain stderr: "tierd: warning: ...".
 */
#ifndef TIERD_LOG_H
#define TIERD_LOG_H

#include <stdbool.h>
#include <sys/types.h>
#include <syslog.h>

/*
 * Set once by main() before anything logs: the highest priority printed
 * (LOG_INFO by default, LOG_DEBUG with -v) and the program name (the
 * journal's SYSLOG_IDENTIFIER=).  Finds out whether stderr is the journal.
 * This is write-once process configuration, not state that changes while
 * running.
 */
void log_setup(const char *progname, int max_level);

/*
 * Where messages go, instead of what log_setup() found: "journal" (native
 * journal entries; stderr when journald cannot be reached), "stderr" or
 * "auto" (the journal when stderr is connected to it).  -EINVAL for any
 * other word.  Write-once like log_setup(), called right after it.
 */
int log_set_target(const char *target);

/*
 * Fields a person can filter the journal on.  Zero (NULL) means absent;
 * a node is present only through LOG_NODE(), since node 0 is a node.
 */
struct log_fields {
	const char *source;	/* TIERD_SOURCE=soft_dirty */
	const char *setting;	/* TIERD_SETTING=kernel/numa_balancing */
	pid_t pid;		/* TIERD_PID= the process acted on */
	int node;		/* TIERD_NODE= */
	bool has_node;
	int err;		/* ERRNO= from a negative errno (-EPERM) */
};

#define LOG_NODE(n)	.node = (n), .has_node = true
/* log_fields(LOG_WARNING, LOG_FIELDS(.pid = pid, .err = r), "...") */
#define LOG_FIELDS(...)	(&(const struct log_fields){ __VA_ARGS__ })

void tierd_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same with fields; @f may be NULL. */
void tierd_log_fields(int prio, const struct log_fields *f, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

#define log_err(...)    tierd_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)   tierd_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) tierd_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)   tierd_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)  tierd_log(LOG_DEBUG, __VA_ARGS__)
#define log_fields(prio, f, ...) tierd_log_fields(prio, f, __VA_ARGS__)

#endif /* TIERD_LOG_H */
