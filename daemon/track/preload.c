// SPDX-License-Identifier: GPL-2.0
/*
 * The LD_PRELOAD shim: LD_PRELOAD=libtierd-track.so PROGRAM opts PROGRAM
 * in.  A constructor starts tracking before main(); mmap(2), mmap64 and
 * mremap(2) are interposed so the mappings the program makes itself are
 * registered as they appear.  The real calls are made with syscall(2):
 * looking them up with dlsym() could allocate, and malloc may map.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "track/tierd-track.h"
#include "track/track.h"

__attribute__((constructor))
static void tierd_track_preload(void)
{
	const char *off = getenv("TIERD_TRACK");
	char why[512];

	if (off && !strcmp(off, "0"))
		return;
	/* once, then the program runs on as if nothing happened */
	if (tierd_track_start(getenv("TIERD_TRACK_SOCKET"), why,
			      sizeof(why)) < 0)
		fprintf(stderr, "tierd-track: pid %d runs untracked: %s\n",
			(int)getpid(), why);
}

TRACK_API void *mmap(void *addr, size_t len, int prot, int flags, int fd,
		     off_t off)
{
	long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
	int e = errno;

	if (r == -1)
		return MAP_FAILED;
	tierd_track_mapped((void *)r, len, flags, fd);
	errno = e;
	return (void *)r;
}

TRACK_API void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
		       off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

TRACK_API void *mremap(void *old, size_t old_len, size_t new_len, int flags,
		       ...)
{
	void *new_addr = NULL;
	long r;
	int e;

	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		va_list ap;

		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	r = syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
	if (r == -1)
		return MAP_FAILED;
	e = errno;
	/*
	 * Without UFFD_FEATURE_EVENT_REMAP the kernel drops the moved
	 * range's registration, and a grown one has an unregistered tail.
	 */
	tierd_track_remapped((void *)r, new_len);
	errno = e;
	return (void *)r;
}
