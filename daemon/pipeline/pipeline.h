/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The promotion pipeline: collector -> hotness -> policy -> migrator.  The
 * main loop owns one; it feeds it ring buffer readiness and periodic ticks
 * and asks it for stats.
 */
#ifndef TIERD_PIPELINE_H
#define TIERD_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "sources/source.h"
#include "stats/stats.h"

struct pipeline;

/*
 * Detect nodes and kernel features, load the BPF collector.  A kernel with
 * no tiering node or no usable source is not an error: the pipeline comes
 * up idle and says why in its status.  Errors (negative errno, message in
 * @err) are for things the config demanded and the machine cannot give.
 */
int pipeline_create(const struct tierd_config *cfg, uint64_t now_ms,
		    struct pipeline **out, char *err, size_t errlen);
void pipeline_destroy(struct pipeline *p);

/* fd to watch for readability (the BPF ring buffer), or -1. */
int pipeline_event_fd(const struct pipeline *p);
/*
 * The fd is readable: drain it, a bounded amount.  Returns 0 when it is
 * drained, 1 when the budget ran out first (the fd stays readable), or
 * -errno.
 */
int pipeline_on_events(struct pipeline *p, uint64_t now_ms);

/* How often the main loop should call pipeline_tick(). */
uint32_t pipeline_tick_ms(const struct pipeline *p);
/* Rescan scope, re-arm write faults, age, plan and migrate. */
int pipeline_tick(struct pipeline *p, uint64_t now_ms);
/*
 * How often the main loop should call pipeline_pass() between ticks; 0
 * when the tick's own pass is as frequent ([promotion] pass_interval_ms
 * at or above [sources] rearm_interval_ms).
 */
uint32_t pipeline_pass_ms(const struct pipeline *p);
/*
 * Take the records that arrived, plan and migrate: what a tick does
 * after it re-armed, so a folio that crossed its threshold just after a
 * tick does not wait for the next re-arm to move.
 */
int pipeline_pass(struct pipeline *p, uint64_t now_ms);

/*
 * Apply a validated config.  Returns 0, or -errno with the old config still
 * in force and the reason in @err (e.g. a named node does not exist).
 */
int pipeline_reconfigure(struct pipeline *p, const struct tierd_config *cfg,
			 char *err, size_t errlen);

void pipeline_set_paused(struct pipeline *p, bool paused);
bool pipeline_paused(const struct pipeline *p);

/* Snapshot every counter (fields of the main loop's own are left alone). */
void pipeline_get_stats(struct pipeline *p, uint64_t now_ms,
			struct tierd_stats *st);

/*
 * A process hands over its tracking descriptor (`track`): refused outside
 * [scope], else the collector's sources decide.  0 with what happens now
 * in @msg, or -errno with the reason in @msg.
 */
int pipeline_track(struct pipeline *p, const struct source_adopt *a,
		   uint64_t now_ms, char *msg, size_t msglen);

/* One line for sd_notify STATUS= and `tierctl status`. */
void pipeline_summary(const struct pipeline *p, char *buf, size_t len);

/* Hottest tracked folios, of @pid or of all when @pid <= 0. */
size_t pipeline_top_folios(struct pipeline *p, pid_t pid, uint64_t now_ms,
			   struct folio_info *out, size_t max);

#endif /* TIERD_PIPELINE_H */
