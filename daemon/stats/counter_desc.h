/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lists of stats.h as descriptor tables, shared by the renderers in
 * this directory (stats_render.c: JSON and tables; prom_render.c:
 * Prometheus).  Internal to daemon/stats.
 */
#ifndef TIERD_STATS_COUNTER_DESC_H
#define TIERD_STATS_COUNTER_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/stats.h"

struct counter_desc {
	const char *group;		/* "daemon", "table", ... */
	const char *json;		/* member name */
	const char *prom;		/* metric name after "tierd_" */
	const char *type;		/* "counter" or "gauge" */
	const char *help;
	const char *col;		/* table column, or NULL */
	size_t off;			/* of the uint64_t in its struct */
};

#define U64_AT(p, off) (*(const uint64_t *)((const char *)(p) + (off)))

extern const struct counter_desc stats_counters[];
extern const size_t nr_stats_counters;
extern const struct counter_desc source_counters[];
extern const size_t nr_source_counters;
extern const struct counter_desc node_counters[];
extern const size_t nr_node_counters;
extern const struct counter_desc node_vmstat[];
extern const size_t nr_node_vmstat;
extern const struct counter_desc pid_counters[];
extern const size_t nr_pid_counters;

/* st->nr_nodes and st->nr_pids, bounded by the arrays that hold them. */
unsigned int stats_nr_nodes(const struct tierd_stats *st);
unsigned int stats_nr_pids(const struct tierd_stats *st);
/* The kernel reports node_vmstat[@i] for node @n. */
bool stats_node_has_vmstat(const struct tierd_node_stats *n, size_t i);

#endif /* TIERD_STATS_COUNTER_DESC_H */
