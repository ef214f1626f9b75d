/* SPDX-License-Identifier: GPL-2.0 */
/* Thin wrapper around move_pages(2) through libnuma.  The only migrator. */
#ifndef TIERD_MIGRATE_H
#define TIERD_MIGRATE_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Query where @nr pages of @pid live: status[i] is a node id or -errno.
 * Returns 0 or -errno of the whole call (-ESRCH: process gone).
 */
int migrate_query(pid_t pid, uint32_t nr, const uint64_t *addrs, int *status);

/*
 * Move page i of @nr pages of @pid to nodes[i] (MPOL_MF_MOVE: pages mapped
 * only by @pid), in one call whatever the mix of targets.  status[i] is the
 * node the page is on afterwards or -errno.  Returns the number of pages
 * not moved (>= 0, as the syscall does) or -errno.
 */
int migrate_move(pid_t pid, uint32_t nr, const uint64_t *addrs,
		 const int *nodes, int *status);

#endif /* TIERD_MIGRATE_H */
