/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userfaultfd and PAGEMAP_SCAN UAPI tierd uses that Debian 12's kernel
 * headers (linux-libc-dev 6.1) do not have, in one place.  Include this
 * instead of <linux/userfaultfd.h> and <linux/fs.h>.
 *
 * Released UAPI (Linux 6.7+, values as in include/uapi/linux/userfaultfd.h
 * and fs.h of 6.12): WP_UNPOPULATED, WP_ASYNC, PAGEMAP_SCAN.
 *
 * Read-write protection (RWP) is NOT in a released kernel.  The values
 * below are those of the posted series "userfaultfd: working set tracking
 * for VM guest memory" (Kiryl Shutsemau): the UAPI diff of v7 09/15
 * "userfaultfd: add UFFDIO_REGISTER_MODE_RWP and UFFDIO_RWPROTECT
 * plumbing" (2026-06-29), of v8 11/15 "mm/pagemap: add PAGE_IS_ACCESSED
 * for RWP tracking" (2026-07-03) and of the RWP_ASYNC patch; v2 to v8 agree
 * on them.  Semantics tierd relies on, from the same mails: WP and RWP
 * cannot be combined on one VMA; RWP_ASYNC needs RWP; UFFDIO_RWPROTECT
 * protects only present pages; PAGE_IS_ACCESSED is reported only inside
 * RWP VMAs; PAGEMAP_SCAN refuses PM_SCAN_WP_MATCHING on an RWP VMA
 * (-EINVAL), so RWP re-arming is UFFDIO_RWPROTECT, not the scan.  They are
 * used only where UFFDIO_API reports UFFD_FEATURE_RWP.
 */
#ifndef TIERD_OS_UFFD_UAPI_H
#define TIERD_OS_UFFD_UAPI_H

#include <linux/fs.h>
#include <linux/types.h>
#include <linux/userfaultfd.h>

/* ---- released: Linux 6.7 ---- */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED	(1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC		(1 << 15)
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC			0xAA
#define USERFAULTFD_IOC_NEW		_IO(USERFAULTFD_IOC, 0x00)
#endif
/* fdinfo's "API:" line shows the context's features with this bit added */
#define UFFD_FEATURE_INITIALIZED	(1u << 31)

#ifndef PAGEMAP_SCAN
struct page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

struct pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define PROCFS_IOCTL_MAGIC		'f'
#define PAGEMAP_SCAN	_IOWR(PROCFS_IOCTL_MAGIC, 16, struct pm_scan_arg)
#define PAGE_IS_WPALLOWED		(1 << 0)
#define PAGE_IS_WRITTEN			(1 << 1)
#define PAGE_IS_FILE			(1 << 2)
#define PAGE_IS_PRESENT			(1 << 3)
#define PAGE_IS_SWAPPED			(1 << 4)
#define PAGE_IS_PFNZERO			(1 << 5)
#define PAGE_IS_HUGE			(1 << 6)
#define PAGE_IS_SOFT_DIRTY		(1 << 7)
#define PM_SCAN_WP_MATCHING		(1 << 0)
#define PM_SCAN_CHECK_WPASYNC		(1 << 1)
#endif

/* /proc/PID/pagemap entry: the PTE carries the uffd bit (wp or RWP). */
#define PAGEMAP_UFFD_WP			(1ULL << 57)
#define PAGEMAP_PRESENT			(1ULL << 63)

/* ---- posted, unreleased: the RWP series (see the top comment) ---- */
#ifndef UFFD_FEATURE_RWP
#define UFFD_FEATURE_RWP		(1 << 17)
#endif
#ifndef UFFD_FEATURE_RWP_ASYNC
#define UFFD_FEATURE_RWP_ASYNC		(1 << 18)
#endif
#ifndef UFFDIO_REGISTER_MODE_RWP
#define UFFDIO_REGISTER_MODE_RWP	((__u64)1 << 3)
#endif
#ifndef PAGE_IS_ACCESSED
#define PAGE_IS_ACCESSED		(1 << 9)
#endif
#ifndef UFFDIO_RWPROTECT
#define _UFFDIO_RWPROTECT		(0x09)
struct uffdio_rwprotect {
	struct uffdio_range range;
	/* without MODE_RWP the ioctl removes the protection */
#define UFFDIO_RWPROTECT_MODE_RWP	((__u64)1 << 0)
#define UFFDIO_RWPROTECT_MODE_DONTWAKE	((__u64)1 << 1)
	__u64 mode;
};
#define UFFDIO_RWPROTECT	_IOWR(UFFDIO, _UFFDIO_RWPROTECT, \
				      struct uffdio_rwprotect)
#endif

#endif /* TIERD_OS_UFFD_UAPI_H */
