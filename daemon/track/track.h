/* SPDX-License-Identifier: GPL-2.0 */
/* libtierd-track's internals, shared by its files. */
#ifndef TIERD_TRACK_INTERNAL_H
#define TIERD_TRACK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define TRACK_API __attribute__((visibility("default")))

/*
 * Hand @uffd to the tierd at @path with the request "track CANARY FD"
 * and wait for its verdict.  0 when tierd answered ok, -errno otherwise,
 * with tierd's reason (or ours) in @why.
 */
int track_handoff(const char *path, int uffd, uint64_t canary, char *why,
		  size_t whylen);

/*
 * Register what mremap(2) left at @addr if it is an anonymous or shmem
 * mapping (read from /proc/self/maps: mremap is rare).
 */
int tierd_track_remapped(void *addr, size_t len);

#endif /* TIERD_TRACK_INTERNAL_H */
