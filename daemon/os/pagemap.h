/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/PID/pagemap: the PAGEMAP_SCAN ioctl (Linux 6.7) and single
 * entries.  A pagemap descriptor stays bound to the address space it was
 * opened on: after the process exits or execs, calls on it fail with
 * -ESRCH instead of reaching whoever got the pid next.
 */
#ifndef TIERD_OS_PAGEMAP_H
#define TIERD_OS_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "os/uffd_uapi.h"

/* /proc/@pid/pagemap, read-only.  The descriptor or -errno (-ESRCH: gone). */
int pagemap_open(pid_t pid);

/* One PAGEMAP_SCAN: the categories and the flags of struct pm_scan_arg. */
struct pagemap_scan_req {
	uint64_t start, end;		/* page-aligned */
	uint64_t flags;			/* PM_SCAN_* */
	uint64_t category_mask;		/* pages must have all of these */
	uint64_t return_mask;		/* categories reported per region */
};

/*
 * Scan [start, end) of @fd's address space into @vec (at most @vec_len
 * regions).  Returns the number of regions, *@walk_end where the walk
 * stopped (== end unless @vec filled up), or -errno: -EPERM when
 * PM_SCAN_CHECK_WPASYNC met a VMA not registered write-protect-async,
 * -ESRCH when the address space is gone, -ENOTTY without PAGEMAP_SCAN.
 */
int pagemap_scan(int fd, const struct pagemap_scan_req *req,
		 struct page_region *vec, size_t vec_len, uint64_t *walk_end);

/* Whether this kernel has PAGEMAP_SCAN (tried on /proc/self/pagemap). */
bool pagemap_scan_supported(void);

/* The 64-bit pagemap entry of the page at @addr. */
int pagemap_entry(int fd, uint64_t addr, uint64_t *entry);

#endif /* TIERD_OS_PAGEMAP_H */
