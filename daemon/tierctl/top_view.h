/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `tierctl top` shows, without the terminal: two stats samples in,
 * rates out (from the counters' deltas), rendered as a screen of text or
 * as one JSON snapshot.  Pure.
 */
#ifndef TIERCTL_TOP_VIEW_H
#define TIERCTL_TOP_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/strbuf.h"
#include "stats/stats.h"

/* One `stats json` reply and when (CLOCK_MONOTONIC, ms) it was taken. */
struct top_sample {
	uint64_t t_ms;
	struct tierd_stats st;
};

/* A rate is known only when the counter was in both samples and grew. */
struct top_rate {
	bool known;
	double per_s;
};

struct top_pid_rates {
	struct top_rate records, promoted, skipped_rate, skipped_headroom;
};

struct top_view {
	const struct tierd_stats *st;	/* the newer sample */
	uint64_t interval_ms;		/* between the samples, 0 if one */
	struct top_rate promoted;
	struct top_rate node_in[64], node_out[64];
	struct top_rate src_records[TIERD_SRC_NR];
	struct top_pid_rates pid[TIERD_STATS_MAX_PIDS];
};

/* Below this the screen cannot show its columns. */
#define TOP_MIN_COLS 78

/* @prev may be NULL (the first sample): every rate is then unknown. */
void top_view_compute(const struct top_sample *prev,
		      const struct top_sample *cur, struct top_view *v);

/*
 * The screen: at most @rows lines of at most @cols bytes, each ending in
 * '\n', printable ASCII only; @clock ("12:34:56") goes in the title.
 * Processes that do not fit are counted on the last line.  Returns 0, or
 * -ENOSPC when @cols x @rows cannot hold the view: then @sb holds, wrapped
 * to @cols, a message saying so and the size needed.
 */
int top_render_screen(const struct top_view *v, unsigned int cols,
		      unsigned int rows, const char *clock, struct strbuf *sb);

/* One JSON object: the counters top shows and their rates. */
void top_render_json(const struct top_view *v, struct strbuf *sb);

#endif /* TIERCTL_TOP_VIEW_H */
