/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Other movers: pure C.  Something else may migrate pages between tiers
 * while tierd runs: the kernel's NUMA balancing (its locality mode, or its
 * tiering mode with a non-zero promotion rate limit), a DAMON scheme with
 * a migrate action, a second tierd.  From what os/movers.c saw and the
 * [promotion] take_over setting this decides whether tierd promotes, what
 * it changes to take over, and says why in one line.
 */
#ifndef TIERD_CORE_MOVERS_H
#define TIERD_CORE_MOVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NB_MODE_NORMAL	1	/* NUMA_BALANCING_NORMAL: locality */
#define NB_MODE_TIERING	2	/* NUMA_BALANCING_MEMORY_TIERING */

struct movers_seen {
	bool nb_known;		/* the two sysctls could be read */
	long nb_mode;		/* kernel.numa_balancing */
	long nb_rate_mbps;	/* kernel.numa_balancing_promote_rate_limit_MBps */
	unsigned int damos_migrate;	/* running foreign migrate schemes */
	char damos_first[64];	/* where the first one is, for the message */
	pid_t other_tierd;	/* another tierd process, 0 = none */
};

struct movers_verdict {
	bool promote;		/* tierd may promote */
	bool any;		/* some other mover is active */
	/* values to write to take over, -1 = leave as is */
	long set_nb_mode;
	long set_nb_rate_mbps;
	char why[320];		/* the movers and what tierd does about them */
};

void movers_decide(const struct movers_seen *s, bool take_over,
		   struct movers_verdict *v);

#endif /* TIERD_CORE_MOVERS_H */
