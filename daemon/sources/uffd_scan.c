// SPDX-License-Identifier: GPL-2.0
/*
 * The per-tick work of the uffd source: collect what was written (or,
 * with RWP, accessed) in each slow-tier range and arm it again.
 *
 * Write-protect-async: one PAGEMAP_SCAN with PM_SCAN_WP_MATCHING reports
 * the pages whose uffd-wp bit the kernel cleared on a write since the last
 * scan (PAGE_IS_WRITTEN) and sets it again in the same page-table walk,
 * so no write between report and re-arm is lost.  PM_SCAN_CHECK_WPASYNC
 * makes a range that is no longer registered (unmapped and mapped anew)
 * fail with -EPERM instead of being skipped silently.
 *
 * Read-write-protect-async (unreleased RWP series): PAGEMAP_SCAN may not
 * re-arm an RWP VMA (it refuses PM_SCAN_WP_MATCHING there), so the scan
 * only reports PAGE_IS_ACCESSED and each reported region is protected
 * again with UFFDIO_RWPROTECT.  Pages not reported are still protected;
 * an access to a reported page between its scan and its re-arm merges
 * into the access already reported.
 */
#include <errno.h>
#include <time.h>

#include "os/pagemap.h"
#include "os/uffd.h"
#include "sources/uffd_proc.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * [start, end) is not registered any more (unmapped and mapped anew):
 * forget it, so the next refresh registers what is there now.
 */
static void stale(struct uffd_proc *p, uint64_t start, uint64_t end)
{
	struct range one = { start, end };
	struct range_set gone = { .r = &one, .n = 1, .cap = 1 };
	struct range_set left;

	range_set_init(&left);
	if (!range_set_subtract(&p->registered, &gone, &left))
		range_set_move(&p->registered, &left);
	else
		range_set_free(&left);
	p->refresh_due = true;
}

void uffd_proc_protect(struct uffd_proc *p, const struct range_set *set,
		       bool protect, struct uffd_counts *cnt)
{
	const struct pagemap_scan_req arm = {
		.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
	};
	uint64_t t0 = mono_ns(), walk_end;

	for (size_t i = 0; i < set->n; i++) {
		const struct range *r = &set->r[i];
		struct pagemap_scan_req req = arm;
		int ret;

		if (p->rwp) {
			ret = uffd_rwprotect(p->uffd, r->start,
					     r->end - r->start, protect);
		} else if (protect) {
			/* no output: the kernel's fast path protects only */
			req.start = r->start;
			req.end = r->end;
			ret = pagemap_scan(p->pagemap, &req, NULL, 0, &walk_end);
		} else {
			ret = uffd_writeprotect(p->uffd, r->start,
						r->end - r->start, false);
		}
		/* a range released after it was unmapped is gone anyway */
		if (ret == -EPERM || (protect && ret == -ENOENT))
			stale(p, r->start, r->end);
	}
	cnt->scan_time_ns += mono_ns() - t0;
}

/* One range; 0, -ESRCH, or -EPERM when it is not registered any more. */
static int scan_range(struct uffd_proc *p, const struct range *r,
		      struct uffd_scratch *sc, struct uffd_counts *cnt,
		      uffd_pages_fn fn, void *ctx)
{
	uint64_t cat = p->rwp ? PAGE_IS_ACCESSED : PAGE_IS_WRITTEN;
	struct pagemap_scan_req req = {
		.start = r->start, .end = r->end,
		.flags = p->rwp ? 0 : PM_SCAN_WP_MATCHING |
				      PM_SCAN_CHECK_WPASYNC,
		.category_mask = cat, .return_mask = cat,
	};
	uint64_t walk_end;
	int n;

	for (;;) {
		n = pagemap_scan(p->pagemap, &req, sc->vec, sc->vec_len,
				 &walk_end);
		cnt->scans++;
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			const struct page_region *g = &sc->vec[i];

			cnt->pages_reported += (g->end - g->start) / 4096;
			if (p->rwp && uffd_rwprotect(p->uffd, g->start,
						     g->end - g->start,
						     true) < 0)
				cnt->rearm_errors++;
			fn(ctx, p, g->start, g->end);
		}
		/* the buffer filled before the range ended: go on from there */
		if ((size_t)n < sc->vec_len || walk_end >= req.end ||
		    walk_end <= req.start)
			return 0;
		req.start = walk_end;
	}
}

int uffd_proc_scan(struct uffd_proc *p, struct uffd_scratch *sc,
		   struct uffd_counts *cnt, uffd_pages_fn fn, void *ctx)
{
	uint64_t t0 = mono_ns();
	int ret = 0;

	for (size_t i = 0; i < p->scan.n; i++) {
		int r = scan_range(p, &p->scan.r[i], sc, cnt, fn, ctx);

		if (r == -ESRCH) {
			ret = r;
			break;
		}
		if (r == -EPERM || r == -ENOENT) {
			stale(p, p->scan.r[i].start, p->scan.r[i].end);
		} else if (r < 0) {
			cnt->rearm_errors++;
		}
	}
	cnt->scan_time_ns += mono_ns() - t0;
	return ret;
}
