/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF programs' per-folio window rule (bpf/tierd.bpf.c, aggregate())
 * for a source that sees accesses in user space: accesses of a
 * (tgid, granule) count inside a window of window_ms; the ones that bring
 * the count to the threshold, twice it, four times it ... make a record,
 * `reports` records per window at most, each carrying the accesses since
 * the window's previous one.  So every source hands the hotness table the
 * same kind of record.  Pure; the table is bounded and preallocated, like
 * the kernel map.
 */
#ifndef TIERD_CORE_WINDOW_H
#define TIERD_CORE_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

struct window_table;

/* What window_add() decided. */
struct window_verdict {
	bool record;		/* send a record now */
	uint32_t faults;	/* record: accesses since the window's last one */
	uint32_t writes;	/* of which writes */
};

/*
 * Room for @cap folios (rounded up to a power of two), up to @reports
 * records per folio per window (1..TIERD_REPORTS_MAX of bpf/tierd.h,
 * clamped).  0 or
 * -ENOMEM.
 */
int window_create(uint32_t cap, uint32_t window_ms, uint32_t threshold,
		  uint32_t reports, struct window_table **out);
void window_destroy(struct window_table *t);
void window_set(struct window_table *t, uint32_t window_ms,
		uint32_t threshold, uint32_t reports);

/*
 * @n accesses (@writes of them writes) of the folio at @addr of @tgid at
 * @now_ms.  -ENOSPC when the table has no free slot near the folio's
 * (counted in window_full()), else 0 with the verdict in *@v.
 */
int window_add(struct window_table *t, uint32_t tgid, uint64_t addr,
	       uint32_t n, uint32_t writes, uint64_t now_ms,
	       struct window_verdict *v);

/* Forget every folio of @tgid (the process is no longer tracked). */
void window_forget_tgid(struct window_table *t, uint32_t tgid);

uint64_t window_full(const struct window_table *t);
uint64_t window_resets(const struct window_table *t);

#endif /* TIERD_CORE_WINDOW_H */
