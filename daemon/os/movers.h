/* SPDX-License-Identifier: GPL-2.0 */
/* What might move pages besides tierd: NUMA balancing, DAMON schemes. */
#ifndef TIERD_OS_MOVERS_H
#define TIERD_OS_MOVERS_H

#include "core/movers.h"
#include "os/owned.h"

#define DAMON_ADMIN "/sys/kernel/mm/damon/admin"

/*
 * Fill @s except other_tierd: the NUMA-balancing sysctls (through @o's
 * root) and the running DAMON schemes under @damon_admin whose action
 * migrates pages.  Missing files mean "not there", never an error.
 */
void movers_detect(const struct owned *o, const char *damon_admin,
		   struct movers_seen *s);

#endif /* TIERD_OS_MOVERS_H */
