/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mappings of a process that userfaultfd tracking covers (anonymous
 * and shmem, from /proc/PID/maps) and where their pages live (numa_maps).
 * The line parsers are pure, for the tests; libtierd-track uses the maps
 * parser on its own process too.
 */
#ifndef TIERD_OS_VMAS_H
#define TIERD_OS_VMAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum vma_kind {
	VMA_OTHER = 0,		/* file-backed, special, hugetlb: not tracked */
	VMA_ANON,		/* private anonymous: heap, stack, mmap */
	VMA_SHMEM,		/* shared anonymous, memfd, SysV, /dev/shm */
};

struct vma_span {
	uint64_t start, end;
	enum vma_kind kind;
};

/*
 * One line of /proc/PID/maps.  Returns 0 with *@v filled (kind VMA_OTHER
 * for mappings tracking leaves alone) or -EINVAL for a malformed line.
 */
int vmas_parse_maps_line(const char *line, struct vma_span *v);

/*
 * The anonymous and shmem mappings of @pid (0 = the calling process), in
 * address order, in *@out (malloc'd, caller frees).  Returns how many or
 * -errno (-ESRCH: gone).
 */
int vmas_read(pid_t pid, struct vma_span **out);

/* Pages of one VMA as numa_maps counts them, split by @slow_mask. */
struct vma_nodes {
	uint64_t start;
	uint64_t slow_pages;	/* on a node of the mask */
	uint64_t other_pages;	/* on any other node */
};

/* One line of numa_maps.  0, or -EINVAL for a malformed line. */
int vmas_parse_numa_line(const char *line, uint64_t slow_mask,
			 struct vma_nodes *n);

/*
 * Every VMA of @pid from numa_maps (a page walk of the whole process), in
 * address order, in *@out (malloc'd).  Returns how many or -errno.
 */
int vmas_read_nodes(pid_t pid, uint64_t slow_mask, struct vma_nodes **out);

#endif /* TIERD_OS_VMAS_H */
