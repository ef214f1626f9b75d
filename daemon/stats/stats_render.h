/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure renderers of struct tierd_stats (and of the smaller status and
 * folio views): JSON, Prometheus text exposition format and human tables.
 * No syscalls; output goes to a struct strbuf whose err says if it fit.
 */
#ifndef TIERD_STATS_RENDER_H
#define TIERD_STATS_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/stats.h"
#include "lib/strbuf.h"

/* Everything `status` shows, gathered by the main loop. */
struct tierd_status_view {
	const char *summary;		/* pipeline_summary() */
	const char *config_path;
	const char *socket_path;
	uint64_t uptime_ms;
	bool paused;
	uint64_t reloads;
	uint64_t reload_failures;
	const struct tierd_source_stats *src;	/* TIERD_SRC_NR entries */
	unsigned int nr_nodes;
	const struct tierd_node_stats *node;	/* nr_nodes entries */
	/* the kernel's private memory nodes (tierd_stats.private_nodes) */
	const char *private_nodes;
};

/*
 * The per-process metric families (tierd_pid_*) carry the busiest
 * processes only: the TIERD_PROM_TOP_PIDS with the most records (ties: the
 * lower pid), so a scrape has at most that many series per family.
 */
#define TIERD_PROM_TOP_PIDS 10

void stats_render_json(const struct tierd_stats *st, struct strbuf *sb);
void stats_render_prometheus(const struct tierd_stats *st, struct strbuf *sb);
void stats_render_table(const struct tierd_stats *st, struct strbuf *sb);
/*
 * Append the first @n bytes of @s (up to a NUL) as a Prometheus label
 * value, without the quotes: backslash, double quote and newline escaped,
 * other control bytes '?', bytes that are not UTF-8 U+FFFD.
 */
void prom_escape_label(struct strbuf *sb, const char *s, size_t n);

void status_render_json(const struct tierd_status_view *v, struct strbuf *sb);
void status_render_table(const struct tierd_status_view *v,
			 struct strbuf *sb);

/*
 * The processes a source holds descriptors of, shared by stats and
 * status: a "processes" array, and one line each under the source.
 */
struct json;
void source_held_json(struct json *j, const struct tierd_source_stats *s);
void source_held_table(struct strbuf *sb, const struct tierd_source_stats *s);

void folios_render_json(const struct folio_info *f, size_t n,
			struct strbuf *sb);
void folios_render_table(const struct folio_info *f, size_t n,
			 struct strbuf *sb);

#endif /* TIERD_STATS_RENDER_H */
