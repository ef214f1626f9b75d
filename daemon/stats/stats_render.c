// SPDX-License-Identifier: GPL-2.0
/*
 * Renderers for `tierctl stats|status|metrics|folios`.  The JSON member
 * names are the struct tierd_stats field names, nested by area; the schema
 * is documented in docs/control-protocol.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "stats/stats_render.h"

const char *tierd_move_status_name(enum tierd_move_status st)
{
	static const char *const names[TIERD_MOVE_NR] = {
		[TIERD_MOVE_OK] = "ok",
		[TIERD_MOVE_ALREADY] = "already",
		[TIERD_MOVE_ENOENT] = "enoent",
		[TIERD_MOVE_EBUSY] = "ebusy",
		[TIERD_MOVE_EFAULT] = "efault",
		[TIERD_MOVE_EACCES] = "eacces",
		[TIERD_MOVE_ENOMEM] = "enomem",
		[TIERD_MOVE_ESRCH] = "esrch",
		[TIERD_MOVE_EPERM] = "eperm",
		[TIERD_MOVE_OTHER] = "other",
	};

	if ((unsigned int)st >= TIERD_MOVE_NR)
		return "invalid";
	return names[st];
}

const char *tierd_source_name(enum tierd_source src)
{
	switch (src) {
	case TIERD_SRC_PRIVATE_NODE:
		return "private_node";
	case TIERD_SRC_SOFT_DIRTY:
		return "soft_dirty";
	default:
		return "invalid";
	}
}

static unsigned int nr_nodes(const struct tierd_stats *st)
{
	unsigned int max = sizeof(st->node) / sizeof(st->node[0]);

	return st->nr_nodes < max ? st->nr_nodes : max;
}

static unsigned int nr_pids(const struct tierd_stats *st)
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

/* Tables are line-based: keep newlines and escapes out of them. */
static void printable_copy(char *dst, size_t dstlen, const char *src,
			   size_t srclen)
{
	size_t i;

	for (i = 0; i < srclen && i + 1 < dstlen && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
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
	json_u64(j, "faults_seen", s->faults_seen);
	json_u64(j, "faults_tracked", s->faults_tracked);
	json_u64(j, "records", s->records);
	json_u64(j, "rb_drops", s->rb_drops);
	json_u64(j, "map_full", s->map_full);
	json_u64(j, "window_resets", s->window_resets);
	json_u64(j, "kernel_migrate_ok", s->kernel_migrate_ok);
	json_u64(j, "kernel_migrate_fail", s->kernel_migrate_fail);
	json_u64(j, "prog_run_cnt", s->prog_run_cnt);
	json_u64(j, "prog_run_time_ns", s->prog_run_time_ns);
	json_bool(j, "prog_stats_enabled", s->prog_stats_enabled);
	json_obj_end(j);
}

void stats_render_json(const struct tierd_stats *st, struct strbuf *sb)
{
	struct json j;
	unsigned int i;

	json_init(&j, sb);
	json_obj_begin(&j, NULL);
	json_u64(&j, "uptime_ms", st->uptime_ms);
	json_bool(&j, "paused", st->paused);
	json_u64(&j, "reloads", st->reloads);
	json_u64(&j, "reload_failures", st->reload_failures);
	json_u64(&j, "control_requests", st->control_requests);
	json_u64(&j, "control_errors", st->control_errors);

	json_obj_begin(&j, "sources");
	for (i = 0; i < TIERD_SRC_NR; i++)
		json_source(&j, &st->src[i], tierd_source_name(i));
	json_obj_end(&j);

	json_obj_begin(&j, "table");
	json_u64(&j, "size", st->table_size);
	json_u64(&j, "cap", st->table_cap);
	json_u64(&j, "evictions", st->table_evictions);
	json_u64(&j, "bytes", st->table_bytes);
	json_obj_end(&j);

	json_obj_begin(&j, "policy");
	json_u64(&j, "intervals", st->intervals);
	json_u64(&j, "candidates", st->candidates);
	json_u64(&j, "cooldown_skipped", st->cooldown_skipped);
	json_u64(&j, "scope_rejected", st->scope_rejected);
	json_u64(&j, "rate_limited", st->rate_limited);
	json_u64(&j, "headroom_blocked", st->headroom_blocked);
	json_u64(&j, "pingpongs", st->pingpongs);
	json_u64(&j, "tracked_pids", st->tracked_pids);
	json_obj_end(&j);

	json_obj_begin(&j, "migrator");
	json_u64(&j, "move_calls", st->move_calls);
	json_u64(&j, "pages_requested", st->move_pages_requested);
	json_u64(&j, "promoted_pages", st->promoted_pages);
	json_u64(&j, "promoted_bytes", st->promoted_bytes);
	json_obj_begin(&j, "status");
	for (i = 0; i < TIERD_MOVE_NR; i++)
		json_u64(&j, tierd_move_status_name(i), st->move_status[i]);
	json_obj_end(&j);
	json_obj_end(&j);

	json_arr_begin(&j, "nodes");
	for (i = 0; i < nr_nodes(st); i++) {
		const struct tierd_node_stats *n = &st->node[i];

		if (!n->present)
			continue;
		json_obj_begin(&j, NULL);
		json_u64(&j, "id", i);
		json_bool(&j, "slow", n->slow);
		json_bool(&j, "fast", n->fast);
		json_u64(&j, "total_bytes", n->total_bytes);
		json_u64(&j, "free_bytes", n->free_bytes);
		json_u64(&j, "promoted_from_pages", n->promoted_from_pages);
		json_u64(&j, "promoted_to_pages", n->promoted_to_pages);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_arr_begin(&j, "pids");
	for (i = 0; i < nr_pids(st); i++) {
		const struct tierd_pid_stats *p = &st->pid[i];
		char comm[17];

		comm_copy(comm, p->comm);
		json_obj_begin(&j, NULL);
		json_i64(&j, "pid", p->pid);
		json_str(&j, "comm", comm);
		json_u64(&j, "records", p->records);
		json_u64(&j, "faults", p->faults);
		json_u64(&j, "folios_tracked", p->folios_tracked);
		json_u64(&j, "folios_hot", p->folios_hot);
		json_u64(&j, "promoted_pages", p->promoted_pages);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	sb_putc(sb, '\n');
}

/* ---- Prometheus text exposition format (version 0.0.4) ---- */

static void prom_head(struct strbuf *sb, const char *name, const char *type,
		      const char *help)
{
	sb_printf(sb, "# HELP tierd_%s %s\n# TYPE tierd_%s %s\n", name, help,
		  name, type);
}

/* Label values only ever come from fixed names and numbers here. */
static void prom_u64(struct strbuf *sb, const char *name, const char *labels,
		     uint64_t v)
{
	if (labels)
		sb_printf(sb, "tierd_%s{%s} %" PRIu64 "\n", name, labels, v);
	else
		sb_printf(sb, "tierd_%s %" PRIu64 "\n", name, v);
}

static void prom_scalar(struct strbuf *sb, const char *name, const char *type,
			const char *help, uint64_t v)
{
	prom_head(sb, name, type, help);
	prom_u64(sb, name, NULL, v);
}

/* A per-source metric: one sample per source, labelled source="...". */
#define PROM_SOURCE(sb, st, name, type, help, field)			\
	do {								\
		char lab_[64];						\
		unsigned int s_;					\
		prom_head(sb, name, type, help);			\
		for (s_ = 0; s_ < TIERD_SRC_NR; s_++) {			\
			snprintf(lab_, sizeof(lab_), "source=\"%s\"",	\
				 tierd_source_name(s_));		\
			prom_u64(sb, name, lab_, (st)->src[s_].field);	\
		}							\
	} while (0)

#define PROM_NODE(sb, st, name, type, help, expr)			\
	do {								\
		char lab_[64];						\
		unsigned int n_;					\
		prom_head(sb, name, type, help);			\
		for (n_ = 0; n_ < nr_nodes(st); n_++) {			\
			const struct tierd_node_stats *nd_ = &(st)->node[n_]; \
			if (!nd_->present)				\
				continue;				\
			snprintf(lab_, sizeof(lab_), "node=\"%u\"", n_); \
			prom_u64(sb, name, lab_, (expr));		\
		}							\
	} while (0)

void stats_render_prometheus(const struct tierd_stats *st, struct strbuf *sb)
{
	char lab[64];
	unsigned int i;

	prom_head(sb, "uptime_seconds", "gauge",
		  "Seconds since tierd started.");
	sb_printf(sb, "tierd_uptime_seconds %" PRIu64 ".%03u\n",
		  st->uptime_ms / 1000, (unsigned int)(st->uptime_ms % 1000));
	prom_scalar(sb, "paused", "gauge",
		    "1 while promotion is paused by tierctl pause.", st->paused);
	prom_scalar(sb, "reloads_total", "counter",
		    "Configuration reloads applied.", st->reloads);
	prom_scalar(sb, "reload_failures_total", "counter",
		    "Configuration reloads refused (old config kept).",
		    st->reload_failures);
	prom_scalar(sb, "control_requests_total", "counter",
		    "Control socket requests received.", st->control_requests);
	prom_scalar(sb, "control_errors_total", "counter",
		    "Control socket requests answered with an error.",
		    st->control_errors);

	PROM_SOURCE(sb, st, "source_active", "gauge",
		    "1 if the fault source is attached.", active);
	PROM_SOURCE(sb, st, "source_faults_seen_total", "counter",
		    "Fault tracepoint invocations.", faults_seen);
	PROM_SOURCE(sb, st, "source_faults_tracked_total", "counter",
		    "Write faults of tracked processes.", faults_tracked);
	PROM_SOURCE(sb, st, "source_records_total", "counter",
		    "Ring buffer records received.", records);
	PROM_SOURCE(sb, st, "source_ringbuf_drops_total", "counter",
		    "Ring buffer records lost because the buffer was full.",
		    rb_drops);
	PROM_SOURCE(sb, st, "source_map_full_total", "counter",
		    "Failed updates of the in-kernel folio map.", map_full);
	PROM_SOURCE(sb, st, "source_window_resets_total", "counter",
		    "Folio windows that expired and restarted in BPF.",
		    window_resets);
	PROM_SOURCE(sb, st, "source_kernel_migrate_ok_total", "counter",
		    "Successful kernel migrations seen on the private node.",
		    kernel_migrate_ok);
	PROM_SOURCE(sb, st, "source_kernel_migrate_fail_total", "counter",
		    "Failed kernel migrations seen on the private node.",
		    kernel_migrate_fail);
	PROM_SOURCE(sb, st, "source_prog_run_count_total", "counter",
		    "BPF program runs (needs kernel.bpf_stats_enabled=1).",
		    prog_run_cnt);
	PROM_SOURCE(sb, st, "source_prog_run_time_ns_total", "counter",
		    "BPF program run time in ns (needs kernel.bpf_stats_enabled=1).",
		    prog_run_time_ns);

	prom_scalar(sb, "table_folios", "gauge",
		    "Folios in the hotness table.", st->table_size);
	prom_scalar(sb, "table_capacity_folios", "gauge",
		    "Hotness table capacity.", st->table_cap);
	prom_scalar(sb, "table_evictions_total", "counter",
		    "Folios evicted from the full hotness table.",
		    st->table_evictions);
	prom_scalar(sb, "table_bytes", "gauge",
		    "Memory held by the hotness table.", st->table_bytes);

	prom_scalar(sb, "policy_intervals_total", "counter",
		    "Policy passes run.", st->intervals);
	prom_scalar(sb, "policy_candidates", "gauge",
		    "Folios at or above promote_score.", st->candidates);
	prom_scalar(sb, "policy_cooldown_skipped_total", "counter",
		    "Candidates skipped because of their cooldown.",
		    st->cooldown_skipped);
	prom_scalar(sb, "policy_scope_rejected_total", "counter",
		    "Candidates outside the configured scope.",
		    st->scope_rejected);
	prom_scalar(sb, "policy_rate_limited_total", "counter",
		    "Pages deferred by the rate limit.", st->rate_limited);
	prom_scalar(sb, "policy_headroom_blocked_total", "counter",
		    "Pages refused to keep fast-node free memory headroom.",
		    st->headroom_blocked);
	prom_scalar(sb, "policy_pingpongs_total", "counter",
		    "Promoted folios seen on the slow tier again.",
		    st->pingpongs);
	prom_scalar(sb, "policy_tracked_pids", "gauge",
		    "Processes in scope.", st->tracked_pids);

	prom_scalar(sb, "move_calls_total", "counter",
		    "move_pages() calls.", st->move_calls);
	prom_scalar(sb, "move_pages_requested_total", "counter",
		    "Pages passed to move_pages().", st->move_pages_requested);
	prom_scalar(sb, "promoted_pages_total", "counter",
		    "Pages promoted to the fast tier.", st->promoted_pages);
	prom_scalar(sb, "promoted_bytes_total", "counter",
		    "Bytes promoted to the fast tier.", st->promoted_bytes);
	prom_head(sb, "move_pages_status_total", "counter",
		  "Per-page move_pages() outcomes.");
	for (i = 0; i < TIERD_MOVE_NR; i++) {
		snprintf(lab, sizeof(lab), "status=\"%s\"",
			 tierd_move_status_name(i));
		prom_u64(sb, "move_pages_status_total", lab,
			 st->move_status[i]);
	}

	PROM_NODE(sb, st, "node_slow", "gauge",
		  "1 if the node is a slow tier tierd promotes from.",
		  nd_->slow);
	PROM_NODE(sb, st, "node_fast", "gauge",
		  "1 if the node is the promotion target.", nd_->fast);
	PROM_NODE(sb, st, "node_total_bytes", "gauge",
		  "Node memory size.", nd_->total_bytes);
	PROM_NODE(sb, st, "node_free_bytes", "gauge",
		  "Node free memory.", nd_->free_bytes);
	PROM_NODE(sb, st, "node_promoted_from_pages_total", "counter",
		  "Pages promoted off this node.", nd_->promoted_from_pages);
	PROM_NODE(sb, st, "node_promoted_to_pages_total", "counter",
		  "Pages promoted onto this node.", nd_->promoted_to_pages);
}

/* ---- human tables ---- */

static void fmt_duration(char *buf, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d%02uh%02um", s / 86400,
			 (unsigned int)(s % 86400 / 3600),
			 (unsigned int)(s % 3600 / 60));
	else if (s >= 3600)
		snprintf(buf, len, "%uh%02um%02us", (unsigned int)(s / 3600),
			 (unsigned int)(s % 3600 / 60),
			 (unsigned int)(s % 60));
	else
		snprintf(buf, len, "%um%02us", (unsigned int)(s / 60),
			 (unsigned int)(s % 60));
}

static void fmt_bytes(char *buf, size_t len, uint64_t b)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", b);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
}

void stats_render_table(const struct tierd_stats *st, struct strbuf *sb)
{
	char up[32], b1[32], b2[32];
	unsigned int i;

	fmt_duration(up, sizeof(up), st->uptime_ms);
	sb_printf(sb, "tierd: up %s, %s\n", up,
		  st->paused ? "PAUSED" : "running");
	sb_printf(sb, "reloads %" PRIu64 " (failed %" PRIu64 "), control "
		  "requests %" PRIu64 " (errors %" PRIu64 ")\n\n", st->reloads,
		  st->reload_failures, st->control_requests,
		  st->control_errors);

	sb_printf(sb, "%-13s %-6s %12s %12s %10s %9s %9s\n", "SOURCE",
		  "ACTIVE", "FAULTS_SEEN", "TRACKED", "RECORDS", "RB_DROPS",
		  "MAP_FULL");
	for (i = 0; i < TIERD_SRC_NR; i++) {
		const struct tierd_source_stats *s = &st->src[i];

		sb_printf(sb, "%-13s %-6s %12" PRIu64 " %12" PRIu64 " %10"
			  PRIu64 " %9" PRIu64 " %9" PRIu64 "\n",
			  tierd_source_name(i), s->active ? "yes" : "no",
			  s->faults_seen, s->faults_tracked, s->records,
			  s->rb_drops, s->map_full);
	}
	for (i = 0; i < TIERD_SRC_NR; i++) {
		char state[sizeof(st->src[i].state) + 1];

		printable_copy(state, sizeof(state), st->src[i].state,
			       sizeof(st->src[i].state));
		sb_printf(sb, "  %s: %s\n", tierd_source_name(i), state);
	}

	fmt_bytes(b1, sizeof(b1), st->table_bytes);
	sb_printf(sb, "\nhotness table  %" PRIu64 "/%" PRIu64 " folios, %s, "
		  "%" PRIu64 " evictions\n", st->table_size, st->table_cap,
		  b1, st->table_evictions);
	sb_printf(sb, "policy         %" PRIu64 " intervals, %" PRIu64
		  " candidates, %" PRIu64 " tracked pids\n", st->intervals,
		  st->candidates, st->tracked_pids);
	sb_printf(sb, "  skipped      cooldown %" PRIu64 ", scope %" PRIu64
		  ", rate limit %" PRIu64 ", headroom %" PRIu64
		  ", ping-pongs %" PRIu64 "\n", st->cooldown_skipped,
		  st->scope_rejected, st->rate_limited, st->headroom_blocked,
		  st->pingpongs);
	fmt_bytes(b2, sizeof(b2), st->promoted_bytes);
	sb_printf(sb, "migrator       %" PRIu64 " move_pages calls, %" PRIu64
		  " pages requested, %" PRIu64 " promoted (%s)\n",
		  st->move_calls, st->move_pages_requested,
		  st->promoted_pages, b2);
	sb_append(sb, "  page status ");
	for (i = 0; i < TIERD_MOVE_NR; i++)
		sb_printf(sb, " %s %" PRIu64, tierd_move_status_name(i),
			  st->move_status[i]);
	sb_putc(sb, '\n');

	sb_printf(sb, "\n%-5s %-5s %12s %12s %14s %12s\n", "NODE", "TIER",
		  "TOTAL", "FREE", "PROMOTED_FROM", "PROMOTED_TO");
	for (i = 0; i < nr_nodes(st); i++) {
		const struct tierd_node_stats *n = &st->node[i];

		if (!n->present)
			continue;
		fmt_bytes(b1, sizeof(b1), n->total_bytes);
		fmt_bytes(b2, sizeof(b2), n->free_bytes);
		sb_printf(sb, "%-5u %-5s %12s %12s %14" PRIu64 " %12" PRIu64
			  "\n", i, n->fast ? "fast" : n->slow ? "slow" : "-",
			  b1, b2, n->promoted_from_pages,
			  n->promoted_to_pages);
	}

	if (!nr_pids(st))
		return;
	sb_printf(sb, "\n%-8s %-16s %10s %10s %8s %8s %10s\n", "PID", "COMM",
		  "RECORDS", "FAULTS", "FOLIOS", "HOT", "PROMOTED");
	for (i = 0; i < nr_pids(st); i++) {
		const struct tierd_pid_stats *p = &st->pid[i];
		char comm[17];

		printable_copy(comm, sizeof(comm), p->comm, sizeof(p->comm));
		sb_printf(sb, "%-8d %-16s %10" PRIu64 " %10" PRIu64 " %8u %8u %10"
			  PRIu64 "\n", p->pid, comm, p->records, p->faults,
			  p->folios_tracked, p->folios_hot, p->promoted_pages);
	}
}

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
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_obj_end(&j);
	sb_putc(sb, '\n');
}

void status_render_table(const struct tierd_status_view *v, struct strbuf *sb)
{
	char up[32];
	unsigned int i;

	fmt_duration(up, sizeof(up), v->uptime_ms);
	sb_printf(sb, "%s\n", v->summary);
	sb_printf(sb, "state:    %s, up %s\n", v->paused ? "PAUSED" : "running",
		  up);
	sb_printf(sb, "config:   %s (%" PRIu64 " reloads, %" PRIu64
		  " failed)\n", v->config_path, v->reloads, v->reload_failures);
	sb_printf(sb, "socket:   %s\n", v->socket_path);
	for (i = 0; i < TIERD_SRC_NR; i++) {
		char state[sizeof(v->src[i].state) + 1];

		printable_copy(state, sizeof(state), v->src[i].state,
			       sizeof(v->src[i].state));
		sb_printf(sb, "source:   %-13s %-8s %s\n",
			  tierd_source_name(i),
			  v->src[i].active ? "active" : "inactive", state);
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
