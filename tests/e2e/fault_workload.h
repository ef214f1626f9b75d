/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fault-workload (tests/e2e/faults.sh): a region on the slow node with a
 * known hot set, and the faults it makes happen to itself while tierd
 * promotes it.  Shared by fault_workload.c (region, hot loop, faults) and
 * fault_pins.c (mlock, io_uring, vmsplice).
 */
#ifndef TIERD_E2E_FAULT_WORKLOAD_H
#define TIERD_E2E_FAULT_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_PAGE		4096UL
/* each page: a tag at 0, a pass counter at COUNTER_OFF (hot pages only) */
#define FW_COUNTER_OFF	64

struct fw_region {
	char *base;
	uint64_t nr_pages;
	uint64_t nr_hot;
	uint64_t stride;	/* hot page i is page i * stride */
	bool *gone;		/* per page: unmapped by the workload */
	uint64_t passes;	/* passes over the hot set so far */
};

/* Page index of hot page @i. */
static inline uint64_t fw_hot_page(const struct fw_region *r, uint64_t i)
{
	return i * r->stride;
}

static inline char *fw_page_addr(const struct fw_region *r, uint64_t pg)
{
	return r->base + pg * FW_PAGE;
}

/*
 * Pin hot pages [@from, @to) (indices into the hot set) with @how: "mlock",
 * "io_uring" (registered buffers: a long-term pin) or "vmsplice" (pages
 * held by a pipe).  Prints FW-PIN; returns 0 or -errno.  What it holds
 * stays held until the process exits.
 */
int fw_pin(struct fw_region *r, const char *how, uint64_t from, uint64_t to);

#endif /* TIERD_E2E_FAULT_WORKLOAD_H */
