// SPDX-License-Identifier: GPL-2.0
/*
 * Logs one message of each kind through lib/log.h, for test_log_journal.sh:
 * a message with every journal field, and a plain one.
 *
 * usage: log_probe auto|journal|stderr
 */
#include <errno.h>
#include <stdio.h>

#include "lib/log.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: log_probe auto|journal|stderr\n");
		return 2;
	}
	log_setup("log_probe", LOG_INFO);
	if (log_set_target(argv[1]) < 0) {
		fprintf(stderr, "log_probe: '%s' is not a log target\n", argv[1]);
		return 2;
	}
	log_fields(LOG_WARNING, LOG_FIELDS(.source = "numa_hint",
		   .setting = "kernel/numa_balancing", .pid = 1234,
		   LOG_NODE(0), .err = -EPERM),
		   "fields %d", 7);
	log_info("plain %s", "line");
	log_debug("not shown at LOG_INFO");
	return 0;
}
