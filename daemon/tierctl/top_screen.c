// SPDX-License-Identifier: GPL-2.0
/*
 * tierctl top's screen as text: a title, the totals, then a table each
 * for nodes, sources and tracked processes, every line cut to the
 * terminal's width.  The terminal itself is top_term.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/textfmt.h"
#include "tierctl/top_view.h"

struct screen {
	struct strbuf *sb;
	unsigned int cols;
};

__attribute__((format(printf, 2, 3)))
static void line(struct screen *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	if (n > s->cols)
		n = s->cols;
	while (n && buf[n - 1] == ' ')
		n--;
	sb_append_len(s->sb, buf, n);
	sb_putc(s->sb, '\n');
}

/* 5 characters at most: 9999, 12.3K, 123K, 1.23M, ... */
static void fmt_count(char *buf, size_t len, double v)
{
	static const char unit[] = "KMGTPE";
	unsigned int u = 0;

	if (v < 9999.5) {
		snprintf(buf, len, "%.0f", v);
		return;
	}
	v /= 1000;
	while (v >= 999.5 && u + 1 < sizeof(unit) - 1) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, v < 9.995 ? "%.2f%c" : v < 99.95 ? "%.1f%c" :
		 "%.0f%c", v, unit[u]);
}

/* 4 KiB pages as a size, 6 characters at most: 0, 8.0M, 512K, 1.5G. */
static void fmt_pages(char *buf, size_t len, uint64_t pages)
{
	static const char unit[] = "KMGTPE";
	double v = (double)pages * 4;	/* KiB */
	unsigned int u = 0;

	if (!pages) {
		snprintf(buf, len, "0");
		return;
	}
	while (v >= 1023.95 && u + 1 < sizeof(unit) - 1) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 99.95 ? "%.1f%c" : "%.0f%c", v, unit[u]);
}

static void fmt_rate(char *buf, size_t len, struct top_rate r)
{
	if (!r.known)
		snprintf(buf, len, "-");
	else if (r.per_s < 9999.95)
		snprintf(buf, len, "%.1f", r.per_s);
	else
		fmt_count(buf, len, r.per_s);
}

static const char *tier_name(const struct tierd_node_stats *n)
{
	return n->fast ? "fast" : n->slow ? "slow" : "-";
}

/* Lines before the process table, its header and one row. */
static unsigned int rows_needed(const struct tierd_stats *st)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < st->nr_nodes && i < 64; i++)
		n += st->node[i].present;
	return 2 + 1 + (1 + n) + 1 + (1 + TIERD_SRC_NR) + 1 + 2;
}

/* @text word-wrapped to @cols, at most @rows lines. */
static void wrap(struct strbuf *sb, unsigned int cols, unsigned int rows,
		 const char *text)
{
	const char *p = text;

	while (*p && rows--) {
		size_t n = strlen(p), cut;

		if (n > cols) {
			for (cut = cols; cut > 0 && p[cut] != ' '; cut--)
				;
			n = cut ? cut : cols;
		}
		sb_append_len(sb, p, n);
		sb_putc(sb, '\n');
		p += n;
		while (*p == ' ')
			p++;
	}
}

static void title(struct screen *s, const struct top_view *v,
		  const char *clock)
{
	const struct tierd_stats *st = v->st;
	/* the clock over the tables' right edge, not a wide screen's */
	unsigned int width = s->cols < 80 ? s->cols : 80;
	char up[32], left[160], right[64];
	size_t l, r;

	text_duration(up, sizeof(up), st->uptime_ms);
	snprintf(left, sizeof(left), "tierd top - up %s, %s, %" PRIu64
		 " tracked", up, st->paused ? "PAUSED" : "running",
		 st->tracked_pids);
	snprintf(right, sizeof(right), "%s  q: quit", clock);
	l = strlen(left);
	r = strlen(right);
	line(s, "%s%*s%s", left, l + r < width ? (int)(width - l - r) : 1,
	     "", right);
}

static void totals(struct screen *s, const struct top_view *v)
{
	const struct tierd_stats *st = v->st;
	char pr[16], pg[16], rt[16], rl[16], hb[16];

	fmt_pages(pr, sizeof(pr), st->promoted_pages);
	fmt_count(pg, sizeof(pg), (double)st->promoted_pages);
	fmt_rate(rt, sizeof(rt), v->promoted);
	fmt_count(rl, sizeof(rl), (double)st->rate_limited);
	fmt_count(hb, sizeof(hb), (double)st->headroom_blocked);
	line(s, "promoted %s (%s pages) at %s/s; held back: rate limit %s, "
	     "headroom %s", pr, pg, rt, rl, hb);
}

static void nodes(struct screen *s, const struct top_view *v)
{
	const struct tierd_stats *st = v->st;
	char fr[16], to[16], in[16], out[16];

	line(s, "%-4s %-4s %10s %10s %8s %8s %12s %12s", "NODE", "TIER",
	     "FREE", "TOTAL", "IN/s", "OUT/s", "PROMOTED_IN", "PROMOTED_OUT");
	for (unsigned int i = 0; i < st->nr_nodes && i < 64; i++) {
		const struct tierd_node_stats *n = &st->node[i];

		if (!n->present)
			continue;
		text_bytes(fr, sizeof(fr), n->free_bytes);
		text_bytes(to, sizeof(to), n->total_bytes);
		fmt_rate(in, sizeof(in), v->node_in[i]);
		fmt_rate(out, sizeof(out), v->node_out[i]);
		line(s, "%-4u %-4s %10s %10s %8s %8s %12" PRIu64 " %12" PRIu64,
		     i, tier_name(n), fr, to, in, out, n->promoted_to_pages,
		     n->promoted_from_pages);
	}
}

static void sources(struct screen *s, const struct top_view *v)
{
	const struct tierd_stats *st = v->st;
	char rt[16], state[sizeof(st->src[0].state) + 1];

	line(s, "%-13s %-6s %10s %12s  %s", "SOURCE", "ACTIVE", "RECORDS/s",
	     "RECORDS", "STATE");
	for (unsigned int i = 0; i < TIERD_SRC_NR; i++) {
		fmt_rate(rt, sizeof(rt), v->src_records[i]);
		text_printable(state, sizeof(state), st->src[i].state,
			       sizeof(st->src[i].state));
		line(s, "%-13s %-6s %10s %12" PRIu64 "  %s",
		     tierd_source_name(i), st->src[i].active ? "yes" : "no",
		     rt, st->src[i].records, state);
	}
}

static void processes(struct screen *s, const struct top_view *v,
		      unsigned int room)
{
	const struct tierd_stats *st = v->st;
	unsigned int n = st->nr_pids < TIERD_STATS_MAX_PIDS ?
			 st->nr_pids : TIERD_STATS_MAX_PIDS, shown, i;

	line(s, "%-7s %-15s %6s %6s %6s %8s %7s %7s %7s", "PID", "COMM",
	     "SLOW", "FAST", "HOT", "PROM/s", "PROMOTD", "RATELIM", "NOROOM");
	if (!n) {
		line(s, "(no tracked processes)");
		return;
	}
	shown = n <= room ? n : room - 1;
	for (i = 0; i < shown; i++) {
		const struct tierd_pid_stats *p = &st->pid[i];
		char comm[sizeof(p->comm) + 1], sl[16], fa[16], hot[16],
		     pr[16], prs[16], rl[16], hr[16];

		text_printable(comm, sizeof(comm), p->comm, sizeof(p->comm));
		fmt_pages(sl, sizeof(sl), p->slow_pages);
		fmt_pages(fa, sizeof(fa), p->fast_pages);
		fmt_count(hot, sizeof(hot), (double)p->folios_hot);
		fmt_rate(prs, sizeof(prs), v->pid[i].promoted);
		fmt_count(pr, sizeof(pr), (double)p->promoted_pages);
		fmt_count(rl, sizeof(rl), (double)p->skipped_rate);
		fmt_count(hr, sizeof(hr), (double)p->skipped_headroom);
		line(s, "%-7d %-15.15s %6s %6s %6s %8s %7s %7s %7s", p->pid,
		     comm, sl, fa, hot, prs, pr, rl, hr);
	}
	if (shown < n)
		line(s, "... %u more processes (tierctl stats lists them)",
		     n - shown);
}

int top_render_screen(const struct top_view *v, unsigned int cols,
		      unsigned int rows, const char *clock, struct strbuf *sb)
{
	struct screen s = { .sb = sb, .cols = cols };
	unsigned int need = rows_needed(v->st);
	char msg[256];

	if (cols < TOP_MIN_COLS || rows < need) {
		snprintf(msg, sizeof(msg), "terminal too small: %ux%u; "
			 "tierctl top needs at least %ux%u. Resize it, or "
			 "press q to quit.", cols, rows, TOP_MIN_COLS, need);
		wrap(sb, cols ? cols : 1, rows ? rows : 1, msg);
		return -ENOSPC;
	}
	title(&s, v, clock);
	totals(&s, v);
	line(&s, "%s", "");
	nodes(&s, v);
	line(&s, "%s", "");
	sources(&s, v);
	line(&s, "%s", "");
	processes(&s, v, rows - need + 1);
	return 0;
}
