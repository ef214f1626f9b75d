/* SPDX-License-Identifier: GPL-2.0 */
/*
 * userfaultfd(2) and its ioctls, one thin call each.  Shared by tierd (the
 * uffd source) and libtierd-track (the client that opts a process in), so
 * it uses nothing but libc.  Every call returns 0 (or a count) or -errno.
 *
 * The ioctls act on the descriptor's address space (the process that
 * created it), whoever calls them: that is what lets tierd register,
 * protect and fill ranges of another process through a descriptor it was
 * handed.
 */
#ifndef TIERD_OS_UFFD_H
#define TIERD_OS_UFFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A new userfaultfd of the calling process, close-on-exec, non-blocking,
 * user-mode faults only (allowed unprivileged since Linux 5.11).  Where the
 * syscall is refused (seccomp, -ENOSYS, -EPERM) /dev/userfaultfd is tried
 * (*@via_dev says so).  Returns the descriptor or the syscall's -errno.
 */
int uffd_create(bool *via_dev);

/*
 * UFFDIO_API asking for @want.  On success *@offered (may be NULL) holds
 * every feature the kernel offers.  A descriptor takes one handshake.
 */
int uffd_handshake(int fd, uint64_t want, uint64_t *offered);

/* The features this kernel offers, through a throw-away descriptor. */
int uffd_offered_features(uint64_t *features);

int uffd_register(int fd, uint64_t start, uint64_t len, uint64_t mode);
int uffd_unregister(int fd, uint64_t start, uint64_t len);
/* UFFDIO_WRITEPROTECT: set (@protect) or clear write protection, no wake. */
int uffd_writeprotect(int fd, uint64_t start, uint64_t len, bool protect);
/* UFFDIO_RWPROTECT (unreleased RWP series, os/uffd_uapi.h): the same. */
int uffd_rwprotect(int fd, uint64_t start, uint64_t len, bool protect);
/* UFFDIO_COPY @len bytes of the caller's @src to @dst of the descriptor's mm. */
int uffd_copy(int fd, uint64_t dst, const void *src, uint64_t len);

/*
 * Whether @fd (of the calling process) is a userfaultfd: 0 with the
 * features its handshake enabled in *@features (fdinfo's "API:" line),
 * -ENOTTY when it is something else (@what names it: "pipe:[1234]"), or
 * -errno of reading /proc/self.
 */
int uffd_identify(int fd, uint64_t *features, char *what, size_t whatlen);

#endif /* TIERD_OS_UFFD_H */
