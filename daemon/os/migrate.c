// SPDX-License-Identifier: GPL-2.0
/*
 * move_pages(2) through libnuma.  Addresses arrive as uint64_t; the syscall
 * wants void *, so each call converts into a caller-sized stack or heap
 * array.  MPOL_MF_MOVE (not _ALL): pages shared with other processes are
 * left alone and reported -EACCES, so we never move memory on behalf of a
 * process that did not make it hot.
 */
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdlib.h>

#include "os/migrate.h"

static int call_move_pages(pid_t pid, uint32_t nr, const uint64_t *addrs,
			   const int *nodes, int *status)
{
	void *stack_pages[256];
	void **pages = stack_pages;
	long ret;

	if (nr == 0)
		return 0;
	if (nr > sizeof(stack_pages) / sizeof(stack_pages[0])) {
		pages = malloc(nr * sizeof(*pages));
		if (!pages)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < nr; i++)
		pages[i] = (void *)(uintptr_t)addrs[i];

	ret = numa_move_pages(pid, nr, pages, nodes, status, MPOL_MF_MOVE);
	if (ret < 0)
		ret = -errno;
	if (pages != stack_pages)
		free(pages);
	return (int)ret;
}

int migrate_query(pid_t pid, uint32_t nr, const uint64_t *addrs, int *status)
{
	int ret = call_move_pages(pid, nr, addrs, NULL, status);

	return ret > 0 ? 0 : ret;
}

int migrate_move(pid_t pid, uint32_t nr, const uint64_t *addrs,
		 const int *nodes, int *status)
{
	return call_move_pages(pid, nr, addrs, nodes, status);
}
