/* SPDX-License-Identifier: GPL-2.0 */
/* Everything tierd reads from or writes to /proc/PID. */
#ifndef TIERD_PROCFS_H
#define TIERD_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Every user-space process (kernel threads skipped) in *@pids (malloc'd,
 * caller frees).  Returns the count or -errno.
 */
int procfs_list_pids(pid_t **pids);

/* comm of @pid.  Returns 0 or -errno (-ESRCH: gone). */
int procfs_read_comm(pid_t pid, char *buf, size_t len);

/* cgroup v2 path ("0::/x/y" -> "/x/y").  Returns 0 or -errno. */
int procfs_read_cgroup(pid_t pid, char *buf, size_t len);

/*
 * @pid's resident memory per node in 4 KiB pages (huge pages counted as
 * their size), from numa_maps: a page walk of the process, so callers
 * rate-limit it.  Returns 0 or -errno (-ESRCH: gone).
 */
int procfs_node_pages(pid_t pid, uint64_t pages[64]);

/*
 * Clear @pid's soft-dirty bits (clear_refs = 4), which write-protects its
 * PTEs so that the next write to each page faults.  Returns 0 or -errno.
 */
int procfs_clear_soft_dirty(pid_t pid);

#endif /* TIERD_PROCFS_H */
