// SPDX-License-Identifier: GPL-2.0
/*
 * Renderers of the smaller views: `tierctl status` (summary and sources)
 * and `tierctl folios` (the hottest tracked folios).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "lib/textfmt.h"
#include "stats/stats_render.h"

void status_render_json(const struct tierd_status_view *v, struct strbuf *sb)
{
	struct json j;
	unsigned int i;

	json_init(&j, sb);
	json_obj_begin(&j, NULL);
	json_str(&j, "summary", v->summary);
	json_bool(&j, "paused", v->paused);
	json_u64(&j, "uptime_ms", v->uptime_ms);
	json_str(&j, "config_path", v->config_path);
	json_str(&j, "socket_path", v->socket_path);
	json_u64(&j, "reloads", v->reloads);
	json_u64(&j, "reload_failures", v->reload_failures);
	json_obj_begin(&j, "sources");
	for (i = 0; i < TIERD_SRC_NR; i++) {
		char state[sizeof(v->src[i].state) + 1];

		memcpy(state, v->src[i].state, sizeof(v->src[i].state));
		state[sizeof(v->src[i].state)] = '\0';
		json_obj_begin(&j, tierd_source_name(i));
		json_bool(&j, "active", v->src[i].active);
		json_str(&j, "state", state);
		source_held_json(&j, &v->src[i]);
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_arr_begin(&j, "nodes");
	for (i = 0; v->node && i < v->nr_nodes && i < 64; i++) {
		const struct tierd_node_stats *n = &v->node[i];
		char why[sizeof(n->why) + 1];

		if (!n->present)
			continue;
		memcpy(why, n->why, sizeof(n->why));
		why[sizeof(n->why)] = '\0';
		json_obj_begin(&j, NULL);
		json_u64(&j, "id", i);
		json_str(&j, "tier", n->fast ? "fast" : n->slow ? "slow" : "none");
		json_i64(&j, "memtier", n->memtier);
		json_str(&j, "why", why);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	if (v->private_nodes)
		json_str(&j, "private_nodes", v->private_nodes);
	json_obj_end(&j);
	sb_putc(sb, '\n');
}

void status_render_table(const struct tierd_status_view *v, struct strbuf *sb)
{
	char up[32];
	unsigned int i;

	text_duration(up, sizeof(up), v->uptime_ms);
	sb_printf(sb, "%s\n", v->summary);
	sb_printf(sb, "state:    %s, up %s\n", v->paused ? "PAUSED" : "running",
		  up);
	sb_printf(sb, "config:   %s (%" PRIu64 " reloads, %" PRIu64
		  " failed)\n", v->config_path, v->reloads, v->reload_failures);
	sb_printf(sb, "socket:   %s\n", v->socket_path);
	for (i = 0; i < TIERD_SRC_NR; i++) {
		char state[sizeof(v->src[i].state) + 1];

		text_printable(state, sizeof(state), v->src[i].state,
			       sizeof(v->src[i].state));
		sb_printf(sb, "source:   %-13s %-8s %s\n",
			  tierd_source_name(i),
			  v->src[i].active ? "active" : "inactive", state);
		source_held_table(sb, &v->src[i]);
	}
	for (i = 0; v->node && i < v->nr_nodes && i < 64; i++) {
		const struct tierd_node_stats *n = &v->node[i];
		char why[sizeof(n->why) + 1];

		if (!n->present)
			continue;
		text_printable(why, sizeof(why), n->why, sizeof(n->why));
		sb_printf(sb, "node:     %-3u %-5s %s\n", i,
			  n->fast ? "fast" : n->slow ? "slow" : "-", why);
	}
	if (v->private_nodes && v->private_nodes[0]) {
		/* it may quote a sysfs file that makes no sense */
		char line[512];

		text_printable(line, sizeof(line), v->private_nodes,
			       strlen(v->private_nodes));
		sb_printf(sb, "private:  %s\n", line);
	}
}

void folios_render_json(const struct folio_info *f, size_t n,
			struct strbuf *sb)
{
	char addr[24];
	struct json j;
	size_t i;

	json_init(&j, sb);
	json_obj_begin(&j, NULL);
	json_arr_begin(&j, "folios");
	for (i = 0; i < n; i++) {
		json_obj_begin(&j, NULL);
		json_i64(&j, "pid", f[i].pid);
		/*
		 * A string: with 5-level paging user addresses pass 2^53,
		 * which JSON doubles cannot hold exactly.
		 */
		snprintf(addr, sizeof(addr), "0x%" PRIx64, f[i].addr);
		json_str(&j, "addr", addr);
		json_double(&j, "score", f[i].score);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	sb_putc(sb, '\n');
}

void folios_render_table(const struct folio_info *f, size_t n,
			 struct strbuf *sb)
{
	size_t i;

	if (!n) {
		sb_append(sb, "no tracked folios\n");
		return;
	}
	sb_printf(sb, "%-8s %-18s %10s\n", "PID", "ADDRESS", "SCORE");
	for (i = 0; i < n; i++)
		sb_printf(sb, "%-8d 0x%016" PRIx64 " %10.2f\n", f[i].pid,
			  f[i].addr, f[i].score);
}
