/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How the main loop keeps time: the "loop" group of stats.h, counted by
 * the main loop around each tick and each drain of the sources' records.
 * Pure arithmetic on times the caller measured.
 */
#ifndef TIERD_STATS_LOOP_STATS_H
#define TIERD_STATS_LOOP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "stats/stats.h"

/* The thresholds of ticks_late_100ms and ticks_late_1s. */
#define LOOP_LATE_SHORT_US	100000ULL
#define LOOP_LATE_LONG_US	1000000ULL

/*
 * A tick due at @due_us started at @start_us and ended at @end_us (one
 * clock).  Only the "loop" fields of @ls change.
 */
void loop_stats_tick(struct tierd_stats *ls, uint64_t due_us,
		     uint64_t start_us, uint64_t end_us);

/* A drain ran from @start_us to @end_us; @cut: it stopped at its budget. */
void loop_stats_drain(struct tierd_stats *ls, uint64_t start_us,
		      uint64_t end_us, bool cut);

/* Copy the "loop" group from @src into @dst. */
void loop_stats_copy(struct tierd_stats *dst, const struct tierd_stats *src);

#endif /* TIERD_STATS_LOOP_STATS_H */
