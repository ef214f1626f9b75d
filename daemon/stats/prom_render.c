// SPDX-License-Identifier: GPL-2.0
/*
 * `tierctl metrics`: struct tierd_stats in the Prometheus text exposition
 * format (version 0.0.4), every family from a list in stats.h
 * (counter_desc.h).  Per-process families carry only the
 * TIERD_PROM_TOP_PIDS busiest processes, so their cardinality is bounded
 * whatever runs on the machine.  Pure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stats/counter_desc.h"
#include "stats/stats_render.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static void prom_head(struct strbuf *sb, const char *name, const char *type,
		      const char *help)
{
	sb_printf(sb, "# HELP tierd_%s %s\n# TYPE tierd_%s %s\n", name, help,
		  name, type);
}

/* @labels is already escaped (prom_escape_label) or made of fixed names. */
static void prom_u64(struct strbuf *sb, const char *name, const char *labels,
		     uint64_t v)
{
	if (labels)
		sb_printf(sb, "tierd_%s{%s} %" PRIu64 "\n", name, labels, v);
	else
		sb_printf(sb, "tierd_%s %" PRIu64 "\n", name, v);
}

/* Length of the well-formed UTF-8 sequence at @s (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void prom_escape_label(struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, l;

	while (i < n && u[i]) {
		if (u[i] == '\\' || u[i] == '"') {
			sb_putc(sb, '\\');
			sb_putc(sb, (char)u[i++]);
		} else if (u[i] == '\n') {
			sb_append(sb, "\\n");
			i++;
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			/* legal raw, but a tab or CR in a label helps no one */
			sb_putc(sb, '?');
			i++;
		} else if (u[i] < 0x80) {
			sb_putc(sb, (char)u[i++]);
		} else if ((l = utf8_len(u + i, n - i))) {
			sb_append_len(sb, s + i, l);
			i += l;
		} else {
			/* label values must be UTF-8: U+FFFD per bad byte */
			sb_append(sb, "\xef\xbf\xbd");
			i++;
		}
	}
}

/*
 * The indexes of the busiest processes, most records first (ties: lower
 * pid), at most TIERD_PROM_TOP_PIDS; returns how many.
 */
static unsigned int top_pids(const struct tierd_stats *st,
			     unsigned int idx[TIERD_PROM_TOP_PIDS])
{
	unsigned int n = 0, i, k;

	for (i = 0; i < stats_nr_pids(st); i++) {
		const struct tierd_pid_stats *p = &st->pid[i];

		for (k = n; k > 0; k--) {
			const struct tierd_pid_stats *q = &st->pid[idx[k - 1]];

			if (q->records > p->records ||
			    (q->records == p->records && q->pid <= p->pid))
				break;
			if (k < TIERD_PROM_TOP_PIDS)
				idx[k] = idx[k - 1];
		}
		if (k < TIERD_PROM_TOP_PIDS) {
			idx[k] = i;
			if (n < TIERD_PROM_TOP_PIDS)
				n++;
		}
	}
	return n;
}

static void prom_pids(const struct tierd_stats *st, struct strbuf *sb)
{
	unsigned int idx[TIERD_PROM_TOP_PIDS], n, i;
	char lab[TIERD_PROM_TOP_PIDS][128];
	size_t d;

	n = top_pids(st, idx);
	for (i = 0; i < n; i++) {
		const struct tierd_pid_stats *p = &st->pid[idx[i]];
		struct strbuf lsb;

		/* 16 comm bytes escape to at most 48: always fits */
		sb_init(&lsb, lab[i], sizeof(lab[i]));
		sb_printf(&lsb, "pid=\"%d\",comm=\"", (int)p->pid);
		prom_escape_label(&lsb, p->comm, sizeof(p->comm));
		sb_putc(&lsb, '"');
	}
	prom_head(sb, "pids_exported", "gauge",
		  "Processes in the tierd_pid_* families (the busiest by "
		  "records, at most " STR(TIERD_PROM_TOP_PIDS) ").");
	prom_u64(sb, "pids_exported", NULL, n);
	for (d = 0; d < nr_pid_counters; d++) {
		prom_head(sb, pid_counters[d].prom, pid_counters[d].type,
			  pid_counters[d].help);
		for (i = 0; i < n; i++)
			prom_u64(sb, pid_counters[d].prom, lab[i],
				 U64_AT(&st->pid[idx[i]], pid_counters[d].off));
	}
}

void stats_render_prometheus(const struct tierd_stats *st, struct strbuf *sb)
{
	char lab[64];
	size_t i;
	unsigned int k;

	prom_head(sb, "uptime_seconds", "gauge",
		  "Seconds since tierd started.");
	sb_printf(sb, "tierd_uptime_seconds %" PRIu64 ".%03u\n",
		  st->uptime_ms / 1000, (unsigned int)(st->uptime_ms % 1000));
	prom_head(sb, "paused", "gauge",
		  "1 while promotion is paused by tierctl pause.");
	prom_u64(sb, "paused", NULL, st->paused);
	for (i = 0; i < nr_stats_counters; i++) {
		const struct counter_desc *d = &stats_counters[i];

		prom_head(sb, d->prom, d->type, d->help);
		prom_u64(sb, d->prom, NULL, U64_AT(st, d->off));
	}
	prom_head(sb, "move_pages_status_total", "counter",
		  "Per-page move_pages() outcomes.");
	for (k = 0; k < TIERD_MOVE_NR; k++) {
		snprintf(lab, sizeof(lab), "status=\"%s\"",
			 tierd_move_status_name(k));
		prom_u64(sb, "move_pages_status_total", lab,
			 st->move_status[k]);
	}

	prom_head(sb, "source_active", "gauge",
		  "1 if the source is collecting.");
	for (k = 0; k < TIERD_SRC_NR; k++) {
		snprintf(lab, sizeof(lab), "source=\"%s\"",
			 tierd_source_name(k));
		prom_u64(sb, "source_active", lab, st->src[k].active);
	}
	for (i = 0; i < nr_source_counters; i++) {
		const struct counter_desc *d = &source_counters[i];

		prom_head(sb, d->prom, d->type, d->help);
		for (k = 0; k < TIERD_SRC_NR; k++) {
			snprintf(lab, sizeof(lab), "source=\"%s\"",
				 tierd_source_name(k));
			prom_u64(sb, d->prom, lab, U64_AT(&st->src[k], d->off));
		}
	}

	prom_head(sb, "node_slow", "gauge",
		  "1 if the node is a slow tier tierd promotes from.");
	for (k = 0; k < stats_nr_nodes(st); k++)
		if (st->node[k].present) {
			snprintf(lab, sizeof(lab), "node=\"%u\"", k);
			prom_u64(sb, "node_slow", lab, st->node[k].slow);
		}
	prom_head(sb, "node_memory_tier", "gauge",
		  "The kernel's memory tier of the node (higher is slower).");
	for (k = 0; k < stats_nr_nodes(st); k++)
		if (st->node[k].present && st->node[k].memtier >= 0) {
			snprintf(lab, sizeof(lab), "node=\"%u\"", k);
			prom_u64(sb, "node_memory_tier", lab,
				 (uint64_t)st->node[k].memtier);
		}
	prom_head(sb, "node_fast", "gauge",
		  "1 if the node is a promotion target.");
	for (k = 0; k < stats_nr_nodes(st); k++)
		if (st->node[k].present) {
			snprintf(lab, sizeof(lab), "node=\"%u\"", k);
			prom_u64(sb, "node_fast", lab, st->node[k].fast);
		}
	for (i = 0; i < nr_node_counters; i++) {
		const struct counter_desc *d = &node_counters[i];

		prom_head(sb, d->prom, d->type, d->help);
		for (k = 0; k < stats_nr_nodes(st); k++) {
			if (!st->node[k].present)
				continue;
			snprintf(lab, sizeof(lab), "node=\"%u\"", k);
			prom_u64(sb, d->prom, lab, U64_AT(&st->node[k], d->off));
		}
	}
	for (i = 0; i < nr_node_vmstat; i++) {
		const struct counter_desc *d = &node_vmstat[i];

		prom_head(sb, d->prom, d->type, d->help);
		for (k = 0; k < stats_nr_nodes(st); k++) {
			if (!st->node[k].present ||
			    !stats_node_has_vmstat(&st->node[k], i))
				continue;
			snprintf(lab, sizeof(lab), "node=\"%u\"", k);
			prom_u64(sb, d->prom, lab, U64_AT(&st->node[k], d->off));
		}
	}

	prom_pids(st, sb);
}
