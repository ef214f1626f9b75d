/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One process the uffd source holds a userfaultfd of: proving the
 * descriptor is the process's (uffd_proc.c), keeping its registrations
 * and slow-tier ranges current (uffd_ranges.c), and the per-tick scan
 * that collects and re-arms them (uffd_scan.c).  Internal to the source.
 */
#ifndef TIERD_SOURCES_UFFD_PROC_H
#define TIERD_SOURCES_UFFD_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "core/ranges.h"
#include "os/uffd_uapi.h"
#include "sources/source.h"

struct uffd_proc {
	pid_t pid;
	uid_t uid;
	char comm[TIERD_COMM_LEN];
	int uffd;			/* our duplicate of its descriptor */
	int peer_fdno;			/* its own number of the descriptor */
	int pidfd;			/* readable once it exits */
	int pagemap;			/* /proc/PID/pagemap of its mm */
	bool rwp;			/* registered read-write-protect-async */
	uint64_t canary;		/* never registered by us */
	struct range_set registered;	/* mappings known registered */
	struct range_set scan;		/* slow-tier ranges, scanned per tick */
	uint64_t refreshed_ms;		/* 0 = never */
	bool refresh_due;		/* a scan found a range out of date */
};

/* Buffers reused by every process's refresh and scan. */
struct uffd_scratch {
	struct page_region *vec;
	size_t vec_len;
	uint64_t *addrs;		/* move_pages query */
	int *status;
	size_t query_len;
	struct range_set next, diff;
};

/* What the source counts (stats: TIERD_SOURCE_COUNTERS). */
struct uffd_counts {
	uint64_t vmas_registered;
	uint64_t scans;
	uint64_t pages_reported;
	uint64_t scan_time_ns;
	uint64_t refreshes;
	uint64_t refresh_time_ns;
	uint64_t rearm_errors;
};

/* uffd_proc.c */
/*
 * Verify @a (a userfaultfd, async, of the sender's own address space,
 * still held by it) and keep a duplicate.  0 with the process in *@out,
 * or -errno with the reason in @msg; nothing is left open on failure.
 */
int uffd_proc_adopt(const struct source_adopt *a, struct uffd_proc **out,
		    char *msg, size_t msglen);
/* Close every descriptor of @p and free it. */
void uffd_proc_free(struct uffd_proc *p);
/* The mode a process registered with ("wp", "rwp"). */
const char *uffd_proc_mode(const struct uffd_proc *p);

int uffd_scratch_init(struct uffd_scratch *sc);
void uffd_scratch_free(struct uffd_scratch *sc);

/* uffd_ranges.c */
/*
 * Once a second (or when a scan found a range out of date): whether the
 * process still holds its descriptor, register the anonymous and shmem
 * mappings it made since, and recompute the ranges whose pages are on a
 * node of @slow_mask.  Ranges that became slow are armed; ranges that
 * left (pages promoted) are released, so DRAM-resident pages take no
 * tracking fault.  0; -EPIPE (it closed the descriptor) or -ESRCH (it
 * exited or exec'd) with the reason in @why: drop it.
 */
int uffd_proc_refresh(struct uffd_proc *p, uint64_t slow_mask,
		      struct uffd_scratch *sc, struct uffd_counts *cnt,
		      char *why, size_t whylen);

/* uffd_scan.c */
/* Pages [start, end) of @p were written (or accessed) since last time. */
typedef void (*uffd_pages_fn)(void *ctx, const struct uffd_proc *p,
			      uint64_t start, uint64_t end);
/*
 * Every tick: one PAGEMAP_SCAN per slow-tier range (more only when the
 * output buffer fills) that reports the pages written since the last scan
 * and write-protects them again; in RWP mode the scan reports accessed
 * pages and UFFDIO_RWPROTECT re-arms them.  0, or -ESRCH: the address
 * space is gone.
 */
int uffd_proc_scan(struct uffd_proc *p, struct uffd_scratch *sc,
		   struct uffd_counts *cnt, uffd_pages_fn fn, void *ctx);
/* Arm (@protect) or release the ranges of @set (WP or RWP as @p uses). */
void uffd_proc_protect(struct uffd_proc *p, const struct range_set *set,
		       bool protect, struct uffd_counts *cnt);

#endif /* TIERD_SOURCES_UFFD_PROC_H */
