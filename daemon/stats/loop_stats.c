// SPDX-License-Identifier: GPL-2.0
/* The main loop's timing counters (stats/loop_stats.h). */
#include <string.h>

#include "stats/loop_stats.h"

static uint64_t span(uint64_t from, uint64_t to)
{
	/* one monotonic clock, but never trust a caller's order */
	return to > from ? to - from : 0;
}

void loop_stats_tick(struct tierd_stats *ls, uint64_t due_us,
		     uint64_t start_us, uint64_t end_us)
{
	uint64_t lag = span(due_us, start_us), run = span(start_us, end_us);

	if (lag > ls->tick_lag_max_us)
		ls->tick_lag_max_us = lag;
	if (lag > LOOP_LATE_SHORT_US)
		ls->ticks_late_100ms++;
	if (lag > LOOP_LATE_LONG_US)
		ls->ticks_late_1s++;
	if (run > ls->tick_run_max_us)
		ls->tick_run_max_us = run;
	ls->tick_run_us += run;
}

void loop_stats_drain(struct tierd_stats *ls, uint64_t start_us,
		      uint64_t end_us, bool cut)
{
	uint64_t run = span(start_us, end_us);

	if (run > ls->drain_max_us)
		ls->drain_max_us = run;
	ls->drains_cut += cut;
}

void loop_stats_copy(struct tierd_stats *dst, const struct tierd_stats *src)
{
#define COPY_LOOP(group, f, json, prom, type, help)			\
	if (!strcmp(#group, "loop"))					\
		dst->f = src->f;
	TIERD_STATS_COUNTERS(COPY_LOOP)
#undef COPY_LOOP
}
