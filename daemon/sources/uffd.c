// SPDX-License-Identifier: GPL-2.0
/*
 * uffd: writes (and, where the kernel has RWP, reads) of slow-tier pages
 * of the processes that opt in with libtierd-track.
 *
 * A process hands tierd a userfaultfd registered write-protect-async over
 * its anonymous and shmem memory (`track` on the track socket); after
 * proving it is the process's own (uffd_proc.c) the source keeps a
 * duplicate.  Once a second it registers the mappings made since and
 * finds the ranges whose pages are on slow nodes (uffd_ranges.c); every
 * tick one PAGEMAP_SCAN per range collects the pages written since the
 * last one and write-protects them again (uffd_scan.c).  The pages go
 * through the BPF sources' window rule (core/window.c) and become the same
 * records in the same hotness table.  Only slow-tier ranges are armed, so
 * the cost of a tick grows with them, not with the process, and pages on
 * DRAM take no tracking faults.
 *
 * A descriptor is let go when its process exits (pidfd), execs (its
 * pagemap fails with -ESRCH) or closes its own copy (kcmp), and on close.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/window.h"
#include "lib/log.h"
#include "os/pidfd.h"
#include "sources/source.h"
#include "sources/uffd_proc.h"

#define REFRESH_MS 1000

struct uffd_src {
	struct uffd_proc **proc;
	size_t nr, cap;
	struct uffd_scratch sc;
	struct uffd_counts cnt;
	struct window_table *win;
	uint64_t granule;
	uint32_t max_per_user, max_total, tick_ms;
	uint64_t accepted, refused, dropped;
	void (*emit)(void *ctx, const struct tierd_event *ev);
	void *emit_ctx;
	uint64_t now_ms;		/* of the tick in progress */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static enum tierd_tristate uffd_wanted(const struct tierd_config *cfg)
{
	return cfg->src_uffd;
}

static const char *uffd_missing(const struct kernel_features *f,
				enum tierd_tristate want, char *buf, size_t len)
{
	if (f->uffd_errno == -ENOSYS)
		return "kernel has no userfaultfd (CONFIG_USERFAULTFD)";
	if (f->uffd_errno)
		return "tierd cannot make a userfaultfd to ask the kernel what it offers (userfaultfd(2) refused: seccomp or an LSM)";
	if (!(f->uffd_features & UFFD_FEATURE_WP_ASYNC))
		return "kernel's userfaultfd has no UFFD_FEATURE_WP_ASYNC (needs Linux 6.7)";
	if (!f->pagemap_scan)
		return "kernel has no PAGEMAP_SCAN ioctl on /proc/PID/pagemap (needs Linux 6.7)";
	return NULL;
}

static bool kernel_rwp(const struct kernel_features *f)
{
	return (f->uffd_features & UFFD_FEATURE_RWP) &&
	       (f->uffd_features & UFFD_FEATURE_RWP_ASYNC);
}

static void apply_config(struct uffd_src *u, const struct tierd_config *cfg)
{
	u->granule = (uint64_t)cfg->granule_kb * 1024;
	u->max_per_user = cfg->uffd_max_per_user;
	u->max_total = cfg->uffd_max_total;
	u->tick_ms = cfg->rearm_interval_ms;
	window_set(u->win, cfg->window_ms, cfg->threshold,
		   cfg->reports_per_window);
}

static int uffd_open(struct source *s, const struct source_env *env,
		     char *err, size_t errlen)
{
	struct uffd_src *u;
	int r;

	u = calloc(1, sizeof(*u));
	if (!u || uffd_scratch_init(&u->sc) < 0) {
		free(u);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = window_create(env->cfg->kernel_map_folios, env->cfg->window_ms,
			  env->cfg->threshold, env->cfg->reports_per_window,
			  &u->win);
	if (r < 0) {
		uffd_scratch_free(&u->sc);
		free(u);
		snprintf(err, errlen, "out of memory for %u folio windows",
			 env->cfg->kernel_map_folios);
		return r;
	}
	apply_config(u, env->cfg);
	u->emit = env->emit;
	u->emit_ctx = env->emit_ctx;
	s->priv = u;
	if (kernel_rwp(env->feat))
		snprintf(s->state, sizeof(s->state),
			 "active (RWP-async where a process registers it, reads and writes: PAGEMAP_SCAN PAGE_IS_ACCESSED + UFFDIO_RWPROTECT; WP-async otherwise; per slow-tier range)");
	else
		snprintf(s->state, sizeof(s->state),
			 "active (WP-async, one PAGEMAP_SCAN per slow-tier range; RWP absent: UFFDIO_API offers no UFFD_FEATURE_RWP, the posted series is in no released kernel: writes only)");
	return 0;
}

static int uffd_reconfigure(struct source *s, const struct source_env *env)
{
	apply_config(s->priv, env->cfg);
	return 0;
}

/* Let go of process @i (its descriptors close), with why in the log. */
static void drop(struct uffd_src *u, size_t i, const char *why)
{
	struct uffd_proc *p = u->proc[i];

	log_info("uffd: pid %d (%s) %s: tracking ends", (int)p->pid, p->comm,
		 why);
	window_forget_tgid(u->win, (uint32_t)p->pid);
	uffd_proc_free(p);
	memmove(&u->proc[i], &u->proc[i + 1],
		(u->nr - i - 1) * sizeof(*u->proc));
	u->nr--;
	u->dropped++;
}

/* Written pages of one scanned region: per granule, the window rule. */
static void on_pages(void *ctx, const struct uffd_proc *p, uint64_t start,
		     uint64_t end)
{
	struct uffd_src *u = ctx;

	while (start < end) {
		uint64_t g = start & ~(u->granule - 1);
		uint64_t stop = g + u->granule < end ? g + u->granule : end;
		uint32_t pages = (uint32_t)((stop - start) / 4096);
		struct window_verdict v;
		struct tierd_event ev;

		start = stop;
		if (window_add(u->win, (uint32_t)p->pid, g, pages,
			       p->rwp ? 0 : pages, u->now_ms, &v) < 0 ||
		    !v.record)
			continue;
		ev = (struct tierd_event){
			.ts_ns = u->now_ms * 1000000ULL,
			.addr = g,
			.tgid = (uint32_t)p->pid,
			.faults = v.faults,
			/* RWP cannot tell reads from writes: counted as reads */
			.writes = v.writes,
			.nid = TIERD_NID_NONE,
			.source = TIERD_SRC_UFFD,
			.level = TIERD_LEVEL_PTE,
			/* only slow-tier ranges are scanned */
			.on_slow = 1,
		};
		u->emit(u->emit_ctx, &ev);
	}
}

static void uffd_arm(struct source *s, const struct source_proc *procs,
		     size_t n, uint64_t now_ms)
{
	struct uffd_src *u = s->priv;
	char why[256];

	u->now_ms = now_ms;
	for (size_t i = u->nr; i-- > 0;) {
		struct uffd_proc *p = u->proc[i];
		int r = 0;

		why[0] = '\0';
		if (pidfd_exited(p->pidfd)) {
			drop(u, i, "exited");
			continue;
		}
		if (p->refresh_due || now_ms - p->refreshed_ms >= REFRESH_MS) {
			uint64_t t0 = mono_ns();

			r = uffd_proc_refresh(p, s->slow_mask, &u->sc, &u->cnt,
					      why, sizeof(why));
			u->cnt.refreshes++;
			u->cnt.refresh_time_ns += mono_ns() - t0;
			p->refreshed_ms = now_ms;
			if (!r && why[0])
				log_debug("uffd: pid %d: %s", (int)p->pid, why);
		}
		if (!r)
			r = uffd_proc_scan(p, &u->sc, &u->cnt, on_pages, u);
		if (r == -ESRCH && !why[0])
			snprintf(why, sizeof(why), "exited or exec'd");
		if (r < 0)
			drop(u, i, why);
	}
}

/*
 * A reload reopened the collector: the processes stay, with their
 * descriptors, ranges and refresh times; their windows start afresh.
 */
static void uffd_carry(struct source *s, struct source *old)
{
	struct uffd_src *u = s->priv, *o = old->priv;

	free(u->proc);
	u->proc = o->proc;
	u->nr = o->nr;
	u->cap = o->cap;
	o->proc = NULL;
	o->nr = o->cap = 0;
	u->accepted = o->accepted;
	u->refused = o->refused;
	u->dropped = o->dropped;
	u->cnt = o->cnt;
}

static size_t held_by(const struct uffd_src *u, uid_t uid)
{
	size_t n = 0;

	for (size_t i = 0; i < u->nr; i++)
		n += u->proc[i]->uid == uid;
	return n;
}

static ssize_t find_pid(const struct uffd_src *u, pid_t pid)
{
	for (size_t i = 0; i < u->nr; i++)
		if (u->proc[i]->pid == pid)
			return (ssize_t)i;
	return -1;
}

/* The bounds; a process that re-opts in (after exec) replaces itself. */
static int check_bounds(struct uffd_src *u, const struct source_adopt *a,
			char *msg, size_t msglen)
{
	bool again = find_pid(u, a->pid) >= 0;

	if (!again && u->nr >= u->max_total) {
		snprintf(msg, msglen, "tierd already holds %zu userfaultfds, the most [sources] uffd_max_total = %u allows",
			 u->nr, u->max_total);
		return -EMFILE;
	}
	if (!again && held_by(u, a->uid) >= u->max_per_user) {
		snprintf(msg, msglen, "uid %u already has %zu tracked processes, the most [sources] uffd_max_per_user = %u allows",
			 (unsigned int)a->uid, held_by(u, a->uid),
			 u->max_per_user);
		return -EUSERS;
	}
	return 0;
}

static int uffd_adopt(struct source *s, const struct source_adopt *a,
		      uint64_t now_ms, char *msg, size_t msglen)
{
	struct uffd_src *u = s->priv;
	struct uffd_proc *p = NULL;
	ssize_t old;
	int r;

	r = check_bounds(u, a, msg, msglen);
	if (!r)
		r = uffd_proc_adopt(a, &p, msg, msglen);
	if (!r)
		r = uffd_proc_refresh(p, s->slow_mask, &u->sc, &u->cnt, msg,
				      msglen);
	if (!r && u->nr == u->cap) {
		size_t ncap = u->cap ? 2 * u->cap : 16;
		struct uffd_proc **n = realloc(u->proc, ncap * sizeof(*n));

		if (!n) {
			snprintf(msg, msglen, "out of memory");
			r = -ENOMEM;
		} else {
			u->proc = n;
			u->cap = ncap;
		}
	}
	if (r < 0) {
		uffd_proc_free(p);
		u->refused++;
		return r;
	}
	old = find_pid(u, a->pid);
	if (old >= 0)
		drop(u, (size_t)old, "handed over a new userfaultfd");
	p->refreshed_ms = now_ms;
	u->proc[u->nr++] = p;
	u->accepted++;
	snprintf(msg, msglen, "tracking pid %d (%s), %s-async: %zu mappings registered, %zu slow-tier ranges of %" PRIu64 " KiB scanned every %u ms",
		 (int)p->pid, p->comm, uffd_proc_mode(p), p->registered.n,
		 p->scan.n, range_set_bytes(&p->scan) / 1024, u->tick_ms);
	return 0;
}

static void uffd_stats(const struct source *s, struct tierd_source_stats *st)
{
	const struct uffd_src *u = s->priv;

	st->descriptors_accepted = u->accepted;
	st->descriptors_refused = u->refused;
	st->descriptors_dropped = u->dropped;
	st->vmas_registered = u->cnt.vmas_registered;
	st->scans = u->cnt.scans;
	st->pages_reported = u->cnt.pages_reported;
	st->scan_time_ns = u->cnt.scan_time_ns;
	st->refreshes = u->cnt.refreshes;
	st->refresh_time_ns = u->cnt.refresh_time_ns;
	st->rearm_errors = u->cnt.rearm_errors;
	st->map_full = window_full(u->win);
	st->window_resets = window_resets(u->win);
	st->held_total = u->nr;
	st->nr_held = 0;
	for (size_t i = 0; i < u->nr && i < TIERD_SOURCE_HELD_MAX; i++) {
		const struct uffd_proc *p = u->proc[i];
		struct tierd_source_held *h = &st->held[st->nr_held++];

		h->pid = p->pid;
		h->uid = p->uid;
		snprintf(h->comm, sizeof(h->comm), "%s", p->comm);
		snprintf(h->mode, sizeof(h->mode), "%s", uffd_proc_mode(p));
		h->ranges = (uint32_t)p->scan.n;
		h->range_bytes = range_set_bytes(&p->scan);
	}
}

static void uffd_close(struct source *s)
{
	struct uffd_src *u = s->priv;

	for (size_t i = 0; i < u->nr; i++)
		uffd_proc_free(u->proc[i]);
	free(u->proc);
	uffd_scratch_free(&u->sc);
	window_destroy(u->win);
	free(u);
	s->priv = NULL;
}

const struct source_ops uffd_source = {
	.id = TIERD_SRC_UFFD,
	.uses_bpf = false,
	/* it arms only slow-tier ranges itself, whatever the process holds */
	.tracks_whole_scope = true,
	.wanted = uffd_wanted,
	.missing = uffd_missing,
	.open = uffd_open,
	.arm = uffd_arm,
	.adopt = uffd_adopt,
	.carry = uffd_carry,
	.reconfigure = uffd_reconfigure,
	.stats = uffd_stats,
	.close = uffd_close,
};
