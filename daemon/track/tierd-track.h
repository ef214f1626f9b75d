/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libtierd-track: opt a process into tierd's userfaultfd tracking.
 *
 * The process creates a userfaultfd, registers its anonymous and shmem
 * mappings with it in write-protect-async mode (read-write-protect-async
 * where the kernel offers RWP), and hands the descriptor to tierd over its
 * track socket.  tierd then finds the written (or accessed) slow-tier
 * pages with PAGEMAP_SCAN and re-protects them every interval; the
 * process itself does nothing more.  Tracking ends when the process
 * closes its descriptor (tierd_track_stop()), execs or exits.
 *
 * Preloaded (LD_PRELOAD=libtierd-track.so), the shared library does all
 * of it for an unmodified program, and registers the mappings the
 * program makes with mmap(2) and mremap(2) itself; tierd registers the
 * ones libc makes internally (malloc arenas, thread stacks) on its
 * rescans.  Environment: TIERD_TRACK_SOCKET (default below) and
 * TIERD_TRACK=0 (do nothing).  See libtierd-track(3).
 */
#ifndef TIERD_TRACK_H
#define TIERD_TRACK_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TIERD_TRACK_DEFAULT_SOCKET "/run/tierd/track.sock"

/*
 * Start tracking the calling process through the tierd listening on
 * @socket_path (NULL: the default).  Returns 0 once tierd holds the
 * descriptor; otherwise -errno, with nothing left registered, the
 * descriptor closed and the reason in @why (tierd's own when it refused).
 * Calling it while tracking returns 0.
 */
int tierd_track_start(const char *socket_path, char *why, size_t whylen);

/*
 * Register a mapping the process just made at @addr, @len bytes, if it
 * is anonymous or shmem (@flags and @fd as given to mmap(2)).  Does
 * nothing when not tracking.  0 or -errno.
 */
int tierd_track_mapped(void *addr, size_t len, int flags, int fd);

/* Close the descriptor: tierd sees it and stops tracking the process. */
void tierd_track_stop(void);

/* Whether tierd holds this process's descriptor; "wp" or "rwp" mode. */
bool tierd_track_active(void);
const char *tierd_track_mode(void);

#ifdef __cplusplus
}
#endif

#endif /* TIERD_TRACK_H */
