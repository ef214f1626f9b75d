// SPDX-License-Identifier: GPL-2.0
/*
 * The client side of userfaultfd tracking.  It lives in somebody else's
 * process, which has no context struct of ours to hang state on: the one
 * static struct below is the library's whole state, set up by
 * tierd_track_start() under its lock and read by the mmap interposers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "os/uffd.h"
#include "os/uffd_uapi.h"
#include "os/vmas.h"
#include "track/tierd-track.h"
#include "track/track.h"

#define TMPFS_MAGIC	0x01021994

static struct {
	pthread_mutex_t lock;
	atomic_int fd;			/* -1 when not tracking */
	uint64_t mode;			/* UFFDIO_REGISTER_MODE_WP or _RWP */
	bool atfork_set;
} track = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/*
 * A child of fork() inherits the descriptor, but it belongs to the
 * parent's address space: registering the child's mappings through it
 * would register the parent's addresses.  The child lets it go.
 */
static void forget_in_child(void)
{
	int fd = atomic_exchange(&track.fd, -1);

	if (fd >= 0)
		close(fd);
	pthread_mutex_init(&track.lock, NULL);
}

/* RWP-async where offered, else WP-async; 0 with the mode, or -ENOTSUP. */
static int choose_mode(uint64_t offered, uint64_t *want, uint64_t *mode,
		       char *why, size_t whylen)
{
	if ((offered & UFFD_FEATURE_RWP) && (offered & UFFD_FEATURE_RWP_ASYNC)) {
		*want = UFFD_FEATURE_RWP | UFFD_FEATURE_RWP_ASYNC;
		*mode = UFFDIO_REGISTER_MODE_RWP;
		return 0;
	}
	if (!(offered & UFFD_FEATURE_WP_ASYNC)) {
		snprintf(why, whylen, "the kernel's userfaultfd has no UFFD_FEATURE_WP_ASYNC (needs Linux 6.7)");
		return -ENOTSUP;
	}
	*want = UFFD_FEATURE_WP_ASYNC |
		(offered & (UFFD_FEATURE_WP_UNPOPULATED |
			    UFFD_FEATURE_WP_HUGETLBFS_SHMEM));
	*mode = UFFDIO_REGISTER_MODE_WP;
	return 0;
}

/* Every anonymous and shmem mapping but the canary; how many took it. */
static int register_existing(int fd, uint64_t mode, uint64_t canary)
{
	struct vma_span *v = NULL;
	int n, ok = 0;

	n = vmas_read(0, &v);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (v[i].start == canary)
			continue;
		/* -EBUSY: the program tracks it with its own userfaultfd */
		if (!uffd_register(fd, v[i].start, v[i].end - v[i].start, mode))
			ok++;
	}
	free(v);
	return ok;
}

static void unregister_all(int fd)
{
	struct vma_span *v = NULL;
	int n = vmas_read(0, &v);

	for (int i = 0; i < n; i++)
		uffd_unregister(fd, v[i].start, v[i].end - v[i].start);
	free(v);
}

TRACK_API int tierd_track_start(const char *socket_path, char *why,
				size_t whylen)
{
	uint64_t offered = 0, want, mode;
	void *canary = MAP_FAILED;
	bool via_dev;
	int fd = -1, r;

	if (!socket_path)
		socket_path = TIERD_TRACK_DEFAULT_SOCKET;
	pthread_mutex_lock(&track.lock);
	if (atomic_load(&track.fd) >= 0) {
		r = 0;
		goto out_unlock;
	}
	r = uffd_offered_features(&offered);
	if (r < 0) {
		snprintf(why, whylen, "userfaultfd unavailable: %s", strerror(-r));
		goto out_unlock;
	}
	r = choose_mode(offered, &want, &mode, why, whylen);
	if (r < 0)
		goto out_unlock;
	fd = uffd_create(&via_dev);
	if (fd < 0) {
		r = fd;
		snprintf(why, whylen, "userfaultfd: %s", strerror(-r));
		goto out_unlock;
	}
	r = uffd_handshake(fd, want, NULL);
	if (r < 0) {
		snprintf(why, whylen, "UFFDIO_API: %s", strerror(-r));
		goto fail;
	}
	/* never touched: tierd proves the descriptor's mm by filling it */
	canary = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (canary == MAP_FAILED) {
		r = -errno;
		snprintf(why, whylen, "mapping the canary page: %s", strerror(-r));
		goto fail;
	}
	r = uffd_register(fd, (uintptr_t)canary, page_size(), mode);
	if (r < 0) {
		snprintf(why, whylen, "registering the canary page: %s", strerror(-r));
		goto fail;
	}
	r = register_existing(fd, mode, (uintptr_t)canary);
	if (r < 0) {
		snprintf(why, whylen, "reading /proc/self/maps: %s", strerror(-r));
		goto fail;
	}
	r = track_handoff(socket_path, fd, (uintptr_t)canary, why, whylen);
	if (r < 0)
		goto fail;
	munmap(canary, page_size());
	track.mode = mode;
	atomic_store(&track.fd, fd);
	if (!track.atfork_set && !pthread_atfork(NULL, NULL, forget_in_child))
		track.atfork_set = true;
	goto out_unlock;
fail:
	unregister_all(fd);
	close(fd);
	if (canary != MAP_FAILED)
		munmap(canary, page_size());
out_unlock:
	pthread_mutex_unlock(&track.lock);
	return r;
}

TRACK_API int tierd_track_mapped(void *addr, size_t len, int flags, int fd)
{
	int ufd = atomic_load(&track.fd);
	long psz = page_size();
	struct statfs sfs;

	if (ufd < 0 || !len || (flags & MAP_HUGETLB))
		return 0;
	if (!(flags & MAP_ANONYMOUS)) {
		/* a file: only shmem (memfd, /dev/shm), mapped shared */
		if (!(flags & MAP_SHARED) || fd < 0 || fstatfs(fd, &sfs) < 0 ||
		    sfs.f_type != TMPFS_MAGIC)
			return 0;
	}
	len = (len + psz - 1) & ~(size_t)(psz - 1);
	return uffd_register(ufd, (uintptr_t)addr, len, track.mode);
}

int tierd_track_remapped(void *addr, size_t len)
{
	uint64_t a = (uintptr_t)addr;
	struct vma_span *v = NULL;
	int ufd = atomic_load(&track.fd), n, r = 0;

	if (ufd < 0 || !len)
		return 0;
	n = vmas_read(0, &v);
	for (int i = 0; i < n; i++)
		if (v[i].start <= a && a < v[i].end) {
			r = uffd_register(ufd, v[i].start,
					  v[i].end - v[i].start, track.mode);
			break;
		}
	free(v);
	return n < 0 ? n : r;
}

TRACK_API void tierd_track_stop(void)
{
	int fd;

	pthread_mutex_lock(&track.lock);
	fd = atomic_exchange(&track.fd, -1);
	if (fd >= 0) {
		unregister_all(fd);
		close(fd);
	}
	pthread_mutex_unlock(&track.lock);
}

TRACK_API bool tierd_track_active(void)
{
	return atomic_load(&track.fd) >= 0;
}

TRACK_API const char *tierd_track_mode(void)
{
	if (atomic_load(&track.fd) < 0)
		return "off";
	return track.mode == UFFDIO_REGISTER_MODE_RWP ? "rwp" : "wp";
}
