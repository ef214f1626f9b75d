/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Another process, held by a pidfd (Linux 5.3) so that its exit is seen
 * and a reused pid never stands in for it; and reading its memory.
 */
#ifndef TIERD_OS_PIDFD_H
#define TIERD_OS_PIDFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A pidfd of @pid (close-on-exec), or -errno (-ESRCH: no such process). */
int pidfd_of(pid_t pid);

/* Whether the process behind @pidfd has exited (its pidfd polls readable). */
bool pidfd_exited(int pidfd);

/*
 * Read @len bytes at @addr of @pid into @buf (process_vm_readv: needs
 * ptrace access).  0, or -errno (-EFAULT: not mapped there).
 */
int proc_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len);

/*
 * Whether descriptor @peer_fd of @pid is the same open file as our @fd
 * (kcmp(2) KCMP_FILE): 1 yes, 0 no (or not open), -errno when it cannot
 * be told (-ESRCH: gone, -ENOSYS: no kcmp).
 */
int proc_holds_file(pid_t pid, int peer_fd, int fd);

#endif /* TIERD_OS_PIDFD_H */
