// SPDX-License-Identifier: GPL-2.0
/*
 * Three ways to hold pages of the hot set in place while tierd tries to
 * move them: mlock (the kernel still migrates mlocked pages), io_uring
 * registered buffers (FOLL_PIN | FOLL_LONGTERM: migration fails on the
 * extra references) and vmsplice (a pipe holds references to the pages).
 * No liburing: two raw syscalls do what is needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fault_workload.h"

static struct iovec *hot_iovecs(struct fw_region *r, uint64_t from,
				uint64_t to)
{
	struct iovec *iov = calloc(to - from, sizeof(*iov));

	if (!iov)
		return NULL;
	for (uint64_t i = from; i < to; i++) {
		iov[i - from].iov_base = fw_page_addr(r, fw_hot_page(r, i));
		iov[i - from].iov_len = FW_PAGE;
	}
	return iov;
}

static int pin_mlock(struct fw_region *r, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		if (mlock(fw_page_addr(r, fw_hot_page(r, i)), FW_PAGE) < 0)
			return -errno;
	return 0;
}

static int pin_io_uring(struct fw_region *r, uint64_t from, uint64_t to)
{
	struct io_uring_params p;
	struct iovec *iov;
	int fd, ret = 0;

	memset(&p, 0, sizeof(p));
	fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0)
		return -errno;
	iov = hot_iovecs(r, from, to);
	if (!iov)
		return -ENOMEM;
	/* the ring stays open, and with it the pins, until exit */
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, iov,
		    (unsigned int)(to - from)) < 0)
		ret = -errno;
	free(iov);
	return ret;
}

static int pin_vmsplice(struct fw_region *r, uint64_t from, uint64_t to)
{
	struct iovec *iov = hot_iovecs(r, from, to);
	uint64_t done = 0;
	int fds[2], ret = 0;

	if (!iov)
		return -ENOMEM;
	if (pipe(fds) < 0) {
		ret = -errno;
		goto out;
	}
	/* one pipe buffer per page; root may grow a pipe past pipe-max-size */
	if (fcntl(fds[1], F_SETPIPE_SZ, (int)((to - from) * FW_PAGE)) < 0) {
		ret = -errno;
		goto out;
	}
	while (done < to - from) {
		ssize_t n = vmsplice(fds[1], iov + done,
				     (to - from - done) > 1024 ? 1024 :
				     (to - from - done), 0);

		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			goto out;
		}
		done += (uint64_t)n / FW_PAGE;
	}
	/* never read: the pipe keeps its references until exit */
out:
	free(iov);
	return ret;
}

int fw_pin(struct fw_region *r, const char *how, uint64_t from, uint64_t to)
{
	int ret;

	if (!strcmp(how, "mlock"))
		ret = pin_mlock(r, from, to);
	else if (!strcmp(how, "io_uring"))
		ret = pin_io_uring(r, from, to);
	else if (!strcmp(how, "vmsplice"))
		ret = pin_vmsplice(r, from, to);
	else
		ret = -EINVAL;
	printf("FW-PIN how=%s from=%llu to=%llu rc=%d err=\"%s\"\n", how,
	       (unsigned long long)from, (unsigned long long)to, ret,
	       ret < 0 ? strerror(-ret) : "");
	fflush(stdout);
	return ret;
}
