// SPDX-License-Identifier: GPL-2.0
/*
 * Which parts of a tracked process the uffd source scans: its anonymous
 * and shmem mappings (registered through the held descriptor when the
 * process or its libc made them after the handover), narrowed to the
 * pages on slow nodes.  numa_maps tells per VMA: all on slow nodes (the
 * whole VMA is one range), none (skipped), or mixed, which a move_pages
 * query splits into runs.  Pages promoted since leave the ranges and are
 * released, so from then on DRAM pages take no tracking faults.
 *
 * This reads /proc files that walk the whole process, so it runs once a
 * second, not every tick; the per-tick scan touches only the ranges.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/migrate.h"
#include "os/pidfd.h"
#include "os/uffd.h"
#include "os/vmas.h"
#include "sources/uffd_proc.h"

#define PAGE 4096

/*
 * Register what is not known registered; keep what the maps still show.
 * A mapping seen for the first time is registered even if the process did
 * it already (the same descriptor registering again is a no-op): only
 * UFFDIO_REGISTER tells ours from the program's own userfaultfd (-EBUSY),
 * whose VMAs must never be scanned.
 */
static int register_new(struct uffd_proc *p, const struct vma_span *v,
			int n, struct uffd_scratch *sc,
			struct uffd_counts *cnt)
{
	uint64_t mode = p->rwp ? UFFDIO_REGISTER_MODE_RWP :
				 UFFDIO_REGISTER_MODE_WP;

	range_set_clear(&sc->next);
	for (int i = 0; i < n; i++) {
		uint64_t len = v[i].end - v[i].start;

		if (v[i].start <= p->canary && p->canary < v[i].end)
			continue;
		if (!range_set_covers(&p->registered, v[i].start, v[i].end)) {
			/* -EBUSY: the program's own userfaultfd has it */
			if (uffd_register(p->uffd, v[i].start, len, mode) < 0)
				continue;
			cnt->vmas_registered++;
		}
		if (range_set_add(&sc->next, v[i].start, v[i].end) < 0)
			return -ENOMEM;
	}
	range_set_move(&p->registered, &sc->next);
	return 0;
}

/* The runs of a mixed VMA whose pages are on slow nodes. */
static int add_slow_runs(struct uffd_proc *p, uint64_t start, uint64_t end,
			 uint64_t slow_mask, struct uffd_scratch *sc,
			 struct range_set *out)
{
	for (uint64_t a = start; a < end;) {
		size_t n = 0;
		int r;

		while (n < sc->query_len && a + n * PAGE < end) {
			sc->addrs[n] = a + n * PAGE;
			n++;
		}
		r = migrate_query(p->pid, (uint32_t)n, sc->addrs, sc->status);
		if (r < 0)
			return r;
		r = range_set_add_runs(out, a, PAGE, sc->status, n, slow_mask);
		if (r < 0)
			return r;
		a += n * PAGE;
	}
	return 0;
}

/* The registered VMAs' slow-tier ranges, into @out. */
static int slow_ranges(struct uffd_proc *p, const struct vma_span *v, int n,
		       uint64_t slow_mask, struct uffd_scratch *sc,
		       struct range_set *out)
{
	struct vma_nodes *nodes = NULL;
	int nn, j = 0, r = 0;

	range_set_clear(out);
	if (!slow_mask)
		return 0;
	nn = vmas_read_nodes(p->pid, slow_mask, &nodes);
	if (nn < 0)
		return nn;
	for (int i = 0; i < n && !r; i++) {
		if (!range_set_covers(&p->registered, v[i].start, v[i].end))
			continue;
		/* both lists are in address order, one line per VMA */
		while (j < nn && nodes[j].start < v[i].start)
			j++;
		if (j == nn || nodes[j].start != v[i].start ||
		    !nodes[j].slow_pages)
			continue;
		if (!nodes[j].other_pages)
			r = range_set_add(out, v[i].start, v[i].end);
		else
			r = add_slow_runs(p, v[i].start, v[i].end, slow_mask,
					  sc, out);
	}
	free(nodes);
	return r;
}

int uffd_proc_refresh(struct uffd_proc *p, uint64_t slow_mask,
		      struct uffd_scratch *sc, struct uffd_counts *cnt,
		      char *why, size_t whylen)
{
	struct range_set next;
	struct vma_span *v = NULL;
	int n, r;

	p->refresh_due = false;
	r = proc_holds_file(p->pid, p->peer_fdno, p->uffd);
	if (r == 0) {
		snprintf(why, whylen, "closed its userfaultfd (descriptor %d)",
			 p->peer_fdno);
		return -EPIPE;
	}
	if (r == -ESRCH)
		goto gone;
	n = vmas_read(p->pid, &v);
	if (n == -ESRCH)
		goto gone;
	if (n < 0) {
		snprintf(why, whylen, "reading its maps: %s", strerror(-n));
		return 0;	/* keep the ranges it has */
	}
	r = register_new(p, v, n, sc, cnt);
	range_set_init(&next);
	if (!r)
		r = slow_ranges(p, v, n, slow_mask, sc, &next);
	free(v);
	if (r == -ESRCH) {
		range_set_free(&next);
		goto gone;
	}
	if (r < 0) {
		snprintf(why, whylen, "finding its slow-tier pages: %s",
			 strerror(-r));
		range_set_free(&next);
		return 0;
	}
	/* newly slow: arm, so only writes from now on are reported */
	if (!range_set_subtract(&next, &p->scan, &sc->diff))
		uffd_proc_protect(p, &sc->diff, true, cnt);
	/* no longer slow (promoted, freed): no more tracking faults */
	if (!range_set_subtract(&p->scan, &next, &sc->diff))
		uffd_proc_protect(p, &sc->diff, false, cnt);
	range_set_move(&p->scan, &next);
	return 0;
gone:
	snprintf(why, whylen, "exited or exec'd");
	return -ESRCH;
}
