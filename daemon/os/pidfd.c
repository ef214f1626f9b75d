// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "os/pidfd.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int pidfd_of(pid_t pid)
{
	/* pidfds are close-on-exec by construction */
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}

bool pidfd_exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

int proc_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr,
				.iov_len = len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int proc_holds_file(pid_t pid, int peer_fd, int fd)
{
	long r = syscall(SYS_kcmp, pid, getpid(), KCMP_FILE, peer_fd, fd);

	if (r == 0)
		return 1;
	if (r > 0 || errno == EBADF)
		return 0;
	return -errno;
}
