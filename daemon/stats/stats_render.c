// SPDX-License-Identifier: GPL-2.0
/*
 * Renderers for `tierctl stats` (JSON and tables).  Every counter comes
 * from one of the lists in stats.h, turned into descriptor tables here
 * (counter_desc.h), so a counter added there shows up in JSON, Prometheus
 * (prom_render.c) and the tables alike.  The JSON schema is documented in
 * docs/control-protocol.md.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "lib/textfmt.h"
#include "stats/counter_desc.h"
#include "stats/stats_render.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const struct counter_desc stats_counters[] = {
#define DESC(group, f, json, prom, type, help)				\
	{ #group, json, prom, #type, help, NULL,			\
	  offsetof(struct tierd_stats, f) },
	TIERD_STATS_COUNTERS(DESC)
#undef DESC
};
const size_t nr_stats_counters = ARRAY_SIZE(stats_counters);

const struct counter_desc source_counters[] = {
#define DESC(f, prom, help, col)					\
	{ NULL, #f, prom, "counter", help, col,				\
	  offsetof(struct tierd_source_stats, f) },
	TIERD_SOURCE_COUNTERS(DESC)
#undef DESC
};
const size_t nr_source_counters = ARRAY_SIZE(source_counters);

const struct counter_desc node_counters[] = {
#define DESC(f, prom, type, help)					\
	{ NULL, #f, prom, #type, help, NULL,				\
	  offsetof(struct tierd_node_stats, f) },
	TIERD_NODE_COUNTERS(DESC)
#undef DESC
};
const size_t nr_node_counters = ARRAY_SIZE(node_counters);

const struct counter_desc node_vmstat[] = {
#define DESC(f, prom, col, help)					\
	{ NULL, #f, prom, "counter", help, col,				\
	  offsetof(struct tierd_node_stats, f) },
	TIERD_NODE_VMSTAT(DESC)
#undef DESC
};
const size_t nr_node_vmstat = ARRAY_SIZE(node_vmstat);

const struct counter_desc pid_counters[] = {
#define DESC(f, col, prom, type, help)					\
	{ NULL, #f, prom, #type, help, col,				\
	  offsetof(struct tierd_pid_stats, f) },
	TIERD_PID_COUNTERS(DESC)
#undef DESC
};
const size_t nr_pid_counters = ARRAY_SIZE(pid_counters);

/* The groups of stats_counters, in the order they first appear. */
static const char *const groups[] = { "daemon", "table", "policy", "migrator",
				       "loop" };

const char *tierd_move_status_name(enum tierd_move_status st)
{
	static const char *const names[TIERD_MOVE_NR] = {
#define MOVE_NAME(id, name) [TIERD_MOVE_##id] = #name,
		TIERD_MOVE_STATUSES(MOVE_NAME)
#undef MOVE_NAME
	};

	if ((unsigned int)st >= TIERD_MOVE_NR)
		return "invalid";
	return names[st];
}

const char *tierd_node_vmstat_name(enum tierd_node_vmstat i)
{
	if ((unsigned int)i >= TIERD_NODE_VMSTAT_NR)
		return "invalid";
	return node_vmstat[i].json;
}

bool stats_node_has_vmstat(const struct tierd_node_stats *n, size_t i)
{
	return n->vmstat_present & (1U << i);
}

const char *tierd_source_name(enum tierd_source src)
{
	static const char *const names[TIERD_SRC_NR] = {
#define SOURCE_NAME(id, name) [TIERD_SRC_##id] = #name,
		TIERD_SOURCES(SOURCE_NAME)
#undef SOURCE_NAME
	};

	if ((unsigned int)src >= TIERD_SRC_NR)
		return "invalid";
	return names[src];
}

void tierd_source_stats_from_bpf(struct tierd_source_stats *st,
				 const uint64_t *v)
{
#define FROM_BPF(id, field) st->field = v[TIERD_CNT_##id];
	TIERD_BPF_COUNTERS(FROM_BPF)
#undef FROM_BPF
}

unsigned int stats_nr_nodes(const struct tierd_stats *st)
{
	unsigned int max = ARRAY_SIZE(st->node);

	return st->nr_nodes < max ? st->nr_nodes : max;
}

unsigned int stats_nr_pids(const struct tierd_stats *st)
{
	return st->nr_pids < TIERD_STATS_MAX_PIDS ? st->nr_pids :
						    TIERD_STATS_MAX_PIDS;
}

/* comm is a fixed array the kernel fills; never trust its NUL. */
static void comm_copy(char dst[17], const char src[16])
{
	memcpy(dst, src, 16);
	dst[16] = '\0';
}

static void json_counters(struct json *j, const struct counter_desc *d,
			  size_t n, const void *base, const char *group)
{
	for (size_t i = 0; i < n; i++)
		if (!group || !strcmp(d[i].group, group))
			json_u64(j, d[i].json, U64_AT(base, d[i].off));
}

static void json_source(struct json *j, const struct tierd_source_stats *s,
			const char *name)
{
	char state[sizeof(s->state) + 1];

	memcpy(state, s->state, sizeof(s->state));
	state[sizeof(s->state)] = '\0';
	json_obj_begin(j, name);
	json_bool(j, "active", s->active);
	json_str(j, "state", state);
	json_counters(j, source_counters, ARRAY_SIZE(source_counters), s, NULL);
	json_bool(j, "prog_stats_enabled", s->prog_stats_enabled);
	source_held_json(j, s);
	json_obj_end(j);
}

static unsigned int nr_held(const struct tierd_source_stats *s)
{
	return s->nr_held < TIERD_SOURCE_HELD_MAX ? s->nr_held :
						    TIERD_SOURCE_HELD_MAX;
}

void source_held_json(struct json *j, const struct tierd_source_stats *s)
{
	char comm[17], mode[sizeof(s->held[0].mode) + 1];

	json_u64(j, "processes_held", s->held_total);
	json_arr_begin(j, "processes");
	for (unsigned int i = 0; i < nr_held(s); i++) {
		const struct tierd_source_held *h = &s->held[i];

		comm_copy(comm, h->comm);
		memcpy(mode, h->mode, sizeof(h->mode));
		mode[sizeof(h->mode)] = '\0';
		json_obj_begin(j, NULL);
		json_i64(j, "pid", h->pid);
		json_u64(j, "uid", h->uid);
		json_str(j, "comm", comm);
		json_str(j, "mode", mode);
		json_u64(j, "ranges", h->ranges);
		json_u64(j, "range_bytes", h->range_bytes);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void source_held_table(struct strbuf *sb, const struct tierd_source_stats *s)
{
	char comm[17], mode[sizeof(s->held[0].mode) + 1], bytes[32];

	for (unsigned int i = 0; i < nr_held(s); i++) {
		const struct tierd_source_held *h = &s->held[i];

		text_printable(comm, sizeof(comm), h->comm, sizeof(h->comm));
		text_printable(mode, sizeof(mode), h->mode, sizeof(h->mode));
		text_bytes(bytes, sizeof(bytes), h->range_bytes);
		sb_printf(sb, "    pid %d (%s) uid %u, %s-async, %u slow-tier ranges, %s\n",
			  h->pid, comm, h->uid, mode, h->ranges, bytes);
	}
	if (s->held_total > nr_held(s))
		sb_printf(sb, "    ... and %" PRIu64 " more processes\n",
			  s->held_total - nr_held(s));
}

/* The source's own counters the table has no column for, when not 0. */
static void table_source_extra(struct strbuf *sb,
			       const struct tierd_source_stats *s)
{
	const char *sep = "    ";
	bool any = false;

	for (size_t k = 0; k < ARRAY_SIZE(source_counters); k++) {
		uint64_t v = U64_AT(s, source_counters[k].off);

		if (source_counters[k].col || !v)
			continue;
		sb_printf(sb, "%s%s %" PRIu64, sep, source_counters[k].json, v);
		sep = ", ";
		any = true;
	}
	if (any)
		sb_putc(sb, '\n');
}

void stats_render_json(const struct tierd_stats *st, struct strbuf *sb)
{
	struct json j;
	unsigned int i;

	json_init(&j, sb);
	json_obj_begin(&j, NULL);
	json_u64(&j, "uptime_ms", st->uptime_ms);
	json_bool(&j, "paused", st->paused);
	json_counters(&j, stats_counters, ARRAY_SIZE(stats_counters), st,
		      "daemon");

	json_obj_begin(&j, "sources");
	for (i = 0; i < TIERD_SRC_NR; i++)
		json_source(&j, &st->src[i], tierd_source_name(i));
	json_obj_end(&j);

	for (i = 1; i < ARRAY_SIZE(groups); i++) {
		json_obj_begin(&j, groups[i]);
		json_counters(&j, stats_counters, ARRAY_SIZE(stats_counters),
			      st, groups[i]);
		if (!strcmp(groups[i], "migrator")) {
			json_obj_begin(&j, "status");
			for (unsigned int k = 0; k < TIERD_MOVE_NR; k++)
				json_u64(&j, tierd_move_status_name(k),
					 st->move_status[k]);
			json_obj_end(&j);
		}
		json_obj_end(&j);
	}

	json_arr_begin(&j, "nodes");
	for (i = 0; i < stats_nr_nodes(st); i++) {
		const struct tierd_node_stats *n = &st->node[i];

		if (!n->present)
			continue;
		json_obj_begin(&j, NULL);
		json_u64(&j, "id", i);
		json_bool(&j, "slow", n->slow);
		json_bool(&j, "fast", n->fast);
		json_counters(&j, node_counters, ARRAY_SIZE(node_counters), n,
			      NULL);
		for (size_t k = 0; k < ARRAY_SIZE(node_vmstat); k++)
			if (stats_node_has_vmstat(n, k))
				json_u64(&j, node_vmstat[k].json,
					 U64_AT(n, node_vmstat[k].off));
		json_i64(&j, "memtier", n->memtier);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_arr_begin(&j, "pids");
	for (i = 0; i < stats_nr_pids(st); i++) {
		const struct tierd_pid_stats *p = &st->pid[i];
		char comm[17];

		comm_copy(comm, p->comm);
		json_obj_begin(&j, NULL);
		json_i64(&j, "pid", p->pid);
		json_str(&j, "comm", comm);
		json_counters(&j, pid_counters, ARRAY_SIZE(pid_counters), p,
			      NULL);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	sb_putc(sb, '\n');
}

/* ---- human tables ---- */

/* "name value, name value, ..." lines under a label, wrapped. */
static void table_counters(struct strbuf *sb, const char *label,
			   const struct tierd_stats *st, const char *group)
{
	size_t width = 11, col = 0;
	char item[64], val[32];

	sb_printf(sb, "%-*s", (int)width, label);
	col = width;
	for (size_t i = 0; i < ARRAY_SIZE(stats_counters); i++) {
		const struct counter_desc *d = &stats_counters[i];
		uint64_t v;

		if (strcmp(d->group, group))
			continue;
		v = U64_AT(st, d->off);
		/* byte counts read better scaled */
		if (strstr(d->json, "bytes"))
			text_bytes(val, sizeof(val), v);
		else
			snprintf(val, sizeof(val), "%" PRIu64, v);
		snprintf(item, sizeof(item), "%s %s", d->json, val);
		if (col > width && col + strlen(item) + 2 > 78) {
			sb_printf(sb, ",\n%-*s", (int)width, "");
			col = width;
		} else if (col > width) {
			sb_append(sb, ", ");
			col += 2;
		}
		sb_append(sb, item);
		col += strlen(item);
	}
	sb_putc(sb, '\n');
}

static int col_width(const char *col)
{
	size_t n = strlen(col) + 1;

	return (int)(n < 10 ? 10 : n);
}

void stats_render_table(const struct tierd_stats *st, struct strbuf *sb)
{
	char up[32], b1[32], b2[32];
	unsigned int i;
	size_t k;

	text_duration(up, sizeof(up), st->uptime_ms);
	sb_printf(sb, "tierd: up %s, %s\n", up,
		  st->paused ? "PAUSED" : "running");
	table_counters(sb, "daemon", st, "daemon");
	sb_putc(sb, '\n');

	sb_printf(sb, "%-13s %-6s", "SOURCE", "ACTIVE");
	for (k = 0; k < ARRAY_SIZE(source_counters); k++)
		if (source_counters[k].col)
			sb_printf(sb, " %*s", col_width(source_counters[k].col),
				  source_counters[k].col);
	sb_putc(sb, '\n');
	for (i = 0; i < TIERD_SRC_NR; i++) {
		const struct tierd_source_stats *s = &st->src[i];

		sb_printf(sb, "%-13s %-6s", tierd_source_name(i),
			  s->active ? "yes" : "no");
		for (k = 0; k < ARRAY_SIZE(source_counters); k++)
			if (source_counters[k].col)
				sb_printf(sb, " %*" PRIu64,
					  col_width(source_counters[k].col),
					  U64_AT(s, source_counters[k].off));
		sb_putc(sb, '\n');
	}
	for (i = 0; i < TIERD_SRC_NR; i++) {
		char state[sizeof(st->src[i].state) + 1];

		text_printable(state, sizeof(state), st->src[i].state,
			       sizeof(st->src[i].state));
		sb_printf(sb, "  %s: %s\n", tierd_source_name(i), state);
		table_source_extra(sb, &st->src[i]);
		source_held_table(sb, &st->src[i]);
	}

	sb_putc(sb, '\n');
	for (k = 1; k < ARRAY_SIZE(groups); k++)
		table_counters(sb, groups[k], st, groups[k]);
	sb_append(sb, "page status");
	for (i = 0; i < TIERD_MOVE_NR; i++)
		sb_printf(sb, " %s %" PRIu64, tierd_move_status_name(i),
			  st->move_status[i]);
	sb_putc(sb, '\n');

	sb_printf(sb, "\n%-5s %-5s %12s %12s %14s %12s", "NODE", "TIER",
		  "TOTAL", "FREE", "PROMOTED_FROM", "PROMOTED_TO");
	for (k = 0; k < ARRAY_SIZE(node_vmstat); k++)
		sb_printf(sb, " %*s", col_width(node_vmstat[k].col),
			  node_vmstat[k].col);
	sb_putc(sb, '\n');
	for (i = 0; i < stats_nr_nodes(st); i++) {
		const struct tierd_node_stats *n = &st->node[i];

		if (!n->present)
			continue;
		text_bytes(b1, sizeof(b1), n->total_bytes);
		text_bytes(b2, sizeof(b2), n->free_bytes);
		sb_printf(sb, "%-5u %-5s %12s %12s %14" PRIu64 " %12" PRIu64,
			  i, n->fast ? "fast" : n->slow ? "slow" : "-",
			  b1, b2, n->promoted_from_pages,
			  n->promoted_to_pages);
		/* "-": the kernel has no such counter */
		for (k = 0; k < ARRAY_SIZE(node_vmstat); k++)
			if (stats_node_has_vmstat(n, k))
				sb_printf(sb, " %*" PRIu64,
					  col_width(node_vmstat[k].col),
					  U64_AT(n, node_vmstat[k].off));
			else
				sb_printf(sb, " %*s",
					  col_width(node_vmstat[k].col), "-");
		sb_putc(sb, '\n');
	}

	if (!stats_nr_pids(st))
		return;
	sb_printf(sb, "\n%-8s %-16s", "PID", "COMM");
	for (k = 0; k < ARRAY_SIZE(pid_counters); k++)
		sb_printf(sb, " %*s", col_width(pid_counters[k].col),
			  pid_counters[k].col);
	sb_putc(sb, '\n');
	for (i = 0; i < stats_nr_pids(st); i++) {
		const struct tierd_pid_stats *p = &st->pid[i];
		char comm[17];

		text_printable(comm, sizeof(comm), p->comm, sizeof(p->comm));
		sb_printf(sb, "%-8d %-16s", p->pid, comm);
		for (k = 0; k < ARRAY_SIZE(pid_counters); k++)
			sb_printf(sb, " %*" PRIu64, col_width(pid_counters[k].col),
				  U64_AT(p, pid_counters[k].off));
		sb_putc(sb, '\n');
	}
}
