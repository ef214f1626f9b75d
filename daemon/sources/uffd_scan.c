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
 * Promotions fragment the slow tier: a spread-out hot set moved to DRAM
 * leaves one range per gap, and a call per range costs more than walking
 * the gaps.  Ranges close together are scanned as one span instead: one
 * PAGEMAP_SCAN without re-arming reports what is unprotected in the span,
 * and the hits inside the ranges are re-armed with UFFDIO_WRITEPROTECT,
 * run by run (few: writes are sparse).  Pages between the ranges, released
 * or never armed, show in the report and are ignored, never armed.
 *
 * Read-write-protect-async (unreleased RWP series): PAGEMAP_SCAN may not
 * re-arm an RWP VMA (it refuses PM_SCAN_WP_MATCHING there), so every range
 * goes the span way: the scan reports PAGE_IS_ACCESSED and each hit is
 * protected again with UFFDIO_RWPROTECT.  Pages not reported are still
 * protected; an access to a hit page between its scan and its re-arm
 * merges into the hit.
 */
#include <errno.h>
#include <time.h>

#include "os/pagemap.h"
#include "os/uffd.h"
#include "sources/uffd_proc.h"

#define PAGE 4096

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

/*
 * One range, exactly: a single PAGEMAP_SCAN reports what was written and
 * write-protects it in the same walk.  0, -ESRCH, or -EPERM when the range
 * is not registered any more.
 */
static int scan_exact(struct uffd_proc *p, const struct range *r,
		      struct uffd_scratch *sc, struct uffd_counts *cnt,
		      uffd_pages_fn fn, void *ctx)
{
	struct pagemap_scan_req req = {
		.start = r->start, .end = r->end,
		.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = PAGE_IS_WRITTEN,
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
			cnt->pages_reported += (sc->vec[i].end -
						sc->vec[i].start) / PAGE;
			fn(ctx, p, sc->vec[i].start, sc->vec[i].end);
		}
		/* the buffer filled before the range ended: go on from there */
		if ((size_t)n < sc->vec_len || walk_end >= req.end ||
		    walk_end <= req.start)
			return 0;
		req.start = walk_end;
	}
}

/* Report and re-arm [start, end), pages of the scan set that were hit. */
static void hit(struct uffd_proc *p, uint64_t start, uint64_t end,
		struct uffd_counts *cnt, uffd_pages_fn fn, void *ctx)
{
	int r = p->rwp ? uffd_rwprotect(p->uffd, start, end - start, true) :
			 uffd_writeprotect(p->uffd, start, end - start, true);

	cnt->pages_reported += (end - start) / PAGE;
	fn(ctx, p, start, end);
	/* not registered there any more: the next refresh looks again */
	if (r == -ENOENT || r == -EPERM)
		stale(p, start, end);
	else if (r < 0)
		cnt->rearm_errors++;
}

/*
 * Ranges [first, last] of the scan set through one span: PAGEMAP_SCAN
 * reports, without re-arming, the pages that are not protected in the
 * span (pages released or never armed between the ranges show too), the
 * hits inside the ranges are re-armed run by run.  A write to a hit page
 * between the scan and its re-arm merges into the hit.  0 or -ESRCH.
 */
static int scan_span(struct uffd_proc *p, size_t first, size_t last,
		     struct uffd_scratch *sc, struct uffd_counts *cnt,
		     uffd_pages_fn fn, void *ctx)
{
	const struct range *rs = p->scan.r;
	uint64_t cat = p->rwp ? PAGE_IS_ACCESSED : PAGE_IS_WRITTEN;
	struct pagemap_scan_req req = {
		.start = rs[first].start, .end = rs[last].end,
		.category_mask = cat, .return_mask = cat,
	};
	size_t k = first;
	uint64_t walk_end;
	int n;

	for (;;) {
		n = pagemap_scan(p->pagemap, &req, sc->vec, sc->vec_len,
				 &walk_end);
		cnt->scans++;
		if (n < 0)
			return n == -ESRCH ? n : (cnt->rearm_errors++, 0);
		/* regions and ranges are both in address order */
		for (int i = 0; i < n; i++) {
			const struct page_region *g = &sc->vec[i];

			while (k <= last && rs[k].end <= g->start)
				k++;
			for (size_t j = k; j <= last && rs[j].start < g->end;
			     j++) {
				uint64_t a = g->start > rs[j].start ?
					     g->start : rs[j].start;
				uint64_t b = g->end < rs[j].end ? g->end :
					     rs[j].end;

				hit(p, a, b, cnt, fn, ctx);
			}
		}
		if ((size_t)n < sc->vec_len || walk_end >= req.end ||
		    walk_end <= req.start)
			return 0;
		req.start = walk_end;
	}
}

/*
 * A PAGEMAP_SCAN call costs about as much as walking this many PTEs
 * (bench/uffd_rearm.c: scan_frag against scan_all): ranges closer than
 * that go through one span, so a slow tier fragmented by promotions costs
 * a walk of its span, not a call per range.
 */
#define SPAN_PAGES_PER_RANGE 1024

/* The last range that joins a span starting at @first. */
static size_t span_end(const struct range_set *s, size_t first)
{
	size_t last = first;

	while (last + 1 < s->n &&
	       (s->r[last + 1].end - s->r[first].start) / PAGE <=
	       (uint64_t)SPAN_PAGES_PER_RANGE * (last + 2 - first))
		last++;
	return last;
}

int uffd_proc_scan(struct uffd_proc *p, struct uffd_scratch *sc,
		   struct uffd_counts *cnt, uffd_pages_fn fn, void *ctx)
{
	uint64_t t0 = mono_ns();
	int ret = 0;

	for (size_t i = 0; i < p->scan.n;) {
		size_t last = span_end(&p->scan, i);
		struct range one = p->scan.r[i];
		int r;

		/* RWP is never re-armed by the scan itself */
		if (last == i && !p->rwp)
			r = scan_exact(p, &one, sc, cnt, fn, ctx);
		else
			r = scan_span(p, i, last, sc, cnt, fn, ctx);
		if (r == -ESRCH) {
			ret = r;
			break;
		}
		if (r == -EPERM || r == -ENOENT)
			stale(p, one.start, one.end);
		else if (r < 0)
			cnt->rearm_errors++;
		i = last + 1;
	}
	cnt->scan_time_ns += mono_ns() - t0;
	return ret;
}
