// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "os/pagemap.h"

#define PAGE_SHIFT 12

int pagemap_open(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return fd;
}

int pagemap_scan(int fd, const struct pagemap_scan_req *req,
		 struct page_region *vec, size_t vec_len, uint64_t *walk_end)
{
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.flags = req->flags,
		.start = req->start,
		.end = req->end,
		.vec = (uint64_t)(uintptr_t)vec,
		.vec_len = vec_len,
		.category_mask = req->category_mask,
		.return_mask = req->return_mask,
	};
	long n = ioctl(fd, PAGEMAP_SCAN, &arg);

	if (n < 0)
		return -errno;
	*walk_end = arg.walk_end;
	return (int)n;
}

bool pagemap_scan_supported(void)
{
	/* size 0 is refused with -EINVAL by a kernel that knows the ioctl */
	struct pm_scan_arg arg = { .size = 0 };
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = ioctl(fd, PAGEMAP_SCAN, &arg) < 0 && errno == EINVAL;
	close(fd);
	return ok;
}

int pagemap_entry(int fd, uint64_t addr, uint64_t *entry)
{
	ssize_t n = pread(fd, entry, sizeof(*entry),
			  (off_t)(addr >> PAGE_SHIFT) * sizeof(*entry));

	if (n < 0)
		return -errno;
	return n == sizeof(*entry) ? 0 : -ESRCH;
}
