// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/uffd.h"
#include "os/uffd_uapi.h"

#define UFFD_FLAGS (O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY)

static int ioctl_errno(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

int uffd_create(bool *via_dev)
{
	int fd, dev, e;

	*via_dev = false;
	fd = (int)syscall(SYS_userfaultfd, UFFD_FLAGS);
	if (fd >= 0)
		return fd;
	e = errno;
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -e;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, UFFD_FLAGS);
	close(dev);
	if (fd < 0)
		return -e;
	*via_dev = true;
	return fd;
}

int uffd_handshake(int fd, uint64_t want, uint64_t *offered)
{
	struct uffdio_api api = { .api = UFFD_API, .features = want };
	int r = ioctl_errno(fd, UFFDIO_API, &api);

	if (!r && offered)
		*offered = api.features;
	return r;
}

int uffd_offered_features(uint64_t *features)
{
	bool via_dev;
	int fd, r;

	fd = uffd_create(&via_dev);
	if (fd < 0)
		return fd;
	r = uffd_handshake(fd, 0, features);
	close(fd);
	return r;
}

int uffd_register(int fd, uint64_t start, uint64_t len, uint64_t mode)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = len }, .mode = mode,
	};

	return ioctl_errno(fd, UFFDIO_REGISTER, &reg);
}

int uffd_unregister(int fd, uint64_t start, uint64_t len)
{
	struct uffdio_range range = { .start = start, .len = len };

	return ioctl_errno(fd, UFFDIO_UNREGISTER, &range);
}

int uffd_writeprotect(int fd, uint64_t start, uint64_t len, bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = start, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP :
				  UFFDIO_WRITEPROTECT_MODE_DONTWAKE,
	};

	return ioctl_errno(fd, UFFDIO_WRITEPROTECT, &wp);
}

int uffd_rwprotect(int fd, uint64_t start, uint64_t len, bool protect)
{
	struct uffdio_rwprotect rwp = {
		.range = { .start = start, .len = len },
		.mode = protect ? UFFDIO_RWPROTECT_MODE_RWP :
				  UFFDIO_RWPROTECT_MODE_DONTWAKE,
	};

	return ioctl_errno(fd, UFFDIO_RWPROTECT, &rwp);
}

int uffd_copy(int fd, uint64_t dst, const void *src, uint64_t len)
{
	struct uffdio_copy copy = {
		.dst = dst, .src = (uint64_t)(uintptr_t)src, .len = len,
		.mode = UFFDIO_COPY_MODE_DONTWAKE,
	};
	int r = ioctl_errno(fd, UFFDIO_COPY, &copy);

	if (r)
		return copy.copy < 0 ? (int)copy.copy : r;
	return copy.copy == (int64_t)len ? 0 : -EAGAIN;
}

int uffd_identify(int fd, uint64_t *features, char *what, size_t whatlen)
{
	char path[64], buf[1024], *api;
	unsigned long long ver, feat;
	ssize_t n;
	int f;

	if (fd < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	snprintf(what, whatlen, "%s", buf);
	/* only the kernel names an anonymous inode */
	if (strcmp(buf, "anon_inode:[userfaultfd]"))
		return -ENOTTY;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	api = strstr(buf, "\nAPI:");
	if (!api || sscanf(api + 5, " %llx:%llx", &ver, &feat) != 2)
		return -ENOTTY;
	*features = feat;
	return 0;
}
