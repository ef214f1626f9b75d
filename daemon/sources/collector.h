/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collector: every access source of the registry (sources/source.h)
 * behind one set of calls for the pipeline.  It decides which sources run
 * (config and kernel), owns the BPF object they share, re-arms them every
 * tick and gathers their stats.
 */
#ifndef TIERD_SOURCES_COLLECTOR_H
#define TIERD_SOURCES_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include "bpf/tierd.h"
#include "config/config.h"
#include "os/owned.h"
#include "os/probe.h"
#include "sources/source.h"
#include "stats/stats.h"

struct collector;

/* Called for every record, from collector_consume() or a source's arm. */
typedef void (*collector_event_fn)(void *ctx, const struct tierd_event *ev);

/*
 * Decide the sources from @cfg and @f, open and attach them.  A source set
 * to `on` that the kernel lacks or that fails to attach is an error
 * (-EOPNOTSUPP or the attach error, reason in @err, nothing logged);
 * `auto` sources are skipped with their reason recorded for stats.  Zero
 * active sources is not an error: tierd still runs and reports why.
 * Sources record the system settings they change in @owned (may be NULL
 * when no source that changes any can run).
 */
int collector_open(const struct tierd_config *cfg,
		   const struct kernel_features *f, struct owned *owned,
		   collector_event_fn fn, void *fn_ctx,
		   struct collector **out, char *err, size_t errlen);
void collector_close(struct collector *c);

/* Ring buffer epoll fd to watch for readability, or -1 with no BPF source. */
int collector_ring_fd(const struct collector *c);
/*
 * What one collector_consume() hands over at most: under a flood the main
 * loop must get back to its timers, its clients and the watchdog.  4096
 * records are a few ms of work; the time bound also ends a drain that a
 * busy machine stretched (the process was preempted in it).  The rest
 * stays in the ring buffer, whose fd stays readable.
 */
#define COLLECTOR_DRAIN_BUDGET	4096
#define COLLECTOR_DRAIN_MAX_US	5000
/*
 * Drain the ring buffer, calling fn per record, within those bounds.
 * Returns the records or -errno; *@more (may be NULL) is set when the
 * drain stopped at a bound, with records perhaps still waiting.
 */
int collector_consume(struct collector *c, bool *more);

/*
 * Whether a reload from @old to @new changes which sources may run or the
 * size of what they preallocate, so the collector must be opened anew.
 */
bool collector_needs_reopen(const struct tierd_config *old,
			    const struct tierd_config *new);

/*
 * @to replaces @from (a reload that reopened the collector): every source
 * active in both takes over what @from's holds (sources_ops.carry).
 */
void collector_carry(struct collector *to, struct collector *from);

/* Apply the tunables of a reload that keeps the source set.  0 or -errno. */
int collector_reconfigure(struct collector *c, const struct tierd_config *cfg);

/*
 * Replace the set of tracked tgids.  @filter false means the private-node
 * source accepts every tgid (the others always filter).  0 or -errno,
 * logged here.
 */
int collector_set_tracked(struct collector *c, const pid_t *tgids, size_t n,
			  bool filter);

/* Once per tick: let every active source re-arm the processes in scope. */
void collector_arm(struct collector *c, const struct source_proc *procs,
		   size_t n, uint64_t now_ms);

bool collector_source_active(const struct collector *c, enum tierd_source s);

/*
 * The nodes the pipeline treats as slow (0 when it is not tiering), for
 * the sources that choose what to arm by where pages are.
 */
void collector_set_slow_nodes(struct collector *c, uint64_t slow_mask);

/*
 * A process hands over its tracking descriptor (`track`): the first
 * active source that takes descriptors verifies and keeps it.  0 with
 * what happens now in @msg, or -errno with the reason in @msg (nothing
 * logged): -EOPNOTSUPP when no active source takes one.
 */
int collector_adopt(struct collector *c, const struct source_adopt *a,
		    uint64_t now_ms, char *msg, size_t msglen);

/*
 * Which processes the active sources want tracked: *@slow_users, those
 * holding slow-tier memory; *@whole_scope, every process in scope.
 */
void collector_tracking(const struct collector *c, bool *slow_users,
			bool *whole_scope);

/* Fill counters, active flags and state strings of every source. */
void collector_read_stats(const struct collector *c,
			  struct tierd_source_stats src[TIERD_SRC_NR]);

#endif /* TIERD_SOURCES_COLLECTOR_H */
