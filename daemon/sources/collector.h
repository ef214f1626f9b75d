/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF side of tierd: feature detection, loading bpf/tierd.bpf.c through
 * its skeleton, attaching the programs the running kernel supports, the
 * tracked-tgid map, the ring buffer and the per-source counters.
 */
#ifndef TIERD_COLLECTOR_H
#define TIERD_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#include "bpf/tierd.h"
#include "config/config.h"
#include "stats/stats.h"

struct collector;

/* Called for every ring buffer record, from collector_consume(). */
typedef void (*collector_event_fn)(void *ctx, const struct tierd_event *ev);

/* What feature detection found, kept for `tierctl status`. */
struct collector_features {
	bool btf;			/* /sys/kernel/btf/vmlinux */
	bool private_node_tp;		/* node_private:node_private_write_fault */
	bool private_migrate_tp;	/* node_private:node_private_migrate */
	bool page_fault_user_tp;	/* exceptions:page_fault_user */
	bool soft_dirty;		/* clear_refs=4 really clears soft-dirty */
	bool bpf_stats;			/* kernel.bpf_stats_enabled = 1 */
};

/* Probe the running kernel; never fails, missing things are false. */
void collector_detect(struct collector_features *f);

/*
 * Decide the sources from @cfg and @f, load and attach.  A source set to
 * TIERD_ON that the kernel lacks is an error (-EOPNOTSUPP, reason in @err);
 * TIERD_AUTO sources are skipped with their reason recorded for stats.
 * Zero active sources is not an error: tierd still runs and reports why.
 */
int collector_open(const struct tierd_config *cfg,
		   const struct collector_features *f,
		   collector_event_fn fn, void *fn_ctx,
		   struct collector **out, char *err, size_t errlen);
void collector_close(struct collector *c);

/* Ring buffer epoll fd to watch for readability, or -1 with no source. */
int collector_ring_fd(const struct collector *c);
/* Drain the ring buffer, calling fn per record.  Returns records or -errno. */
int collector_consume(struct collector *c);

/* Apply window/threshold/granule/filter changes of a reload. */
int collector_reconfigure(struct collector *c, const struct tierd_config *cfg);

/*
 * Replace the set of tracked tgids.  @filter false means the private-node
 * source accepts every tgid (the soft-dirty source always filters).
 */
int collector_set_tracked(struct collector *c, const pid_t *tgids, size_t n,
			  bool filter);

bool collector_source_active(const struct collector *c, enum tierd_source s);

/* Fill counters, active flags and state strings of every source. */
void collector_read_stats(const struct collector *c,
			  struct tierd_source_stats src[TIERD_SRC_NR]);

#endif /* TIERD_COLLECTOR_H */
