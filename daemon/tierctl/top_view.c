// SPDX-License-Identifier: GPL-2.0
/* tierctl top: rates from two samples, and the JSON snapshot. */
#include <string.h>

#include "lib/json.h"
#include "tierctl/top_view.h"

static struct top_rate rate(uint64_t before, uint64_t after, uint64_t dt_ms)
{
	struct top_rate r = { 0 };

	/* a counter that went down belongs to a restarted daemon or pid */
	if (dt_ms && after >= before) {
		r.known = true;
		r.per_s = (double)(after - before) * 1000.0 / (double)dt_ms;
	}
	return r;
}

static const struct tierd_pid_stats *find_pid(const struct tierd_stats *st,
					      int32_t pid)
{
	for (unsigned int i = 0; i < st->nr_pids && i < TIERD_STATS_MAX_PIDS;
	     i++)
		if (st->pid[i].pid == pid)
			return &st->pid[i];
	return NULL;
}

void top_view_compute(const struct top_sample *prev,
		      const struct top_sample *cur, struct top_view *v)
{
	const struct tierd_stats *a, *b = &cur->st;
	uint64_t dt;
	unsigned int i;

	memset(v, 0, sizeof(*v));
	v->st = b;
	/* an older sample that is not older, or a restarted daemon */
	if (!prev || prev->t_ms >= cur->t_ms ||
	    prev->st.uptime_ms > b->uptime_ms)
		return;
	a = &prev->st;
	dt = v->interval_ms = cur->t_ms - prev->t_ms;
	v->promoted = rate(a->promoted_pages, b->promoted_pages, dt);
	for (i = 0; i < b->nr_nodes && i < 64; i++) {
		if (!b->node[i].present || !a->node[i].present)
			continue;
		v->node_in[i] = rate(a->node[i].promoted_to_pages,
				     b->node[i].promoted_to_pages, dt);
		v->node_out[i] = rate(a->node[i].promoted_from_pages,
				      b->node[i].promoted_from_pages, dt);
	}
	for (i = 0; i < TIERD_SRC_NR; i++)
		v->src_records[i] = rate(a->src[i].records, b->src[i].records,
					 dt);
	for (i = 0; i < b->nr_pids && i < TIERD_STATS_MAX_PIDS; i++) {
		const struct tierd_pid_stats *p = &b->pid[i];
		const struct tierd_pid_stats *q = find_pid(a, p->pid);
		struct top_pid_rates *r = &v->pid[i];

		if (!q)
			continue;
		r->records = rate(q->records, p->records, dt);
		r->promoted = rate(q->promoted_pages, p->promoted_pages, dt);
		r->skipped_rate = rate(q->skipped_rate, p->skipped_rate, dt);
		r->skipped_headroom = rate(q->skipped_headroom,
					   p->skipped_headroom, dt);
	}
}

/* A rate's member, left out when the rate is unknown. */
static void json_rate(struct json *j, const char *key, struct top_rate r)
{
	if (r.known)
		json_double(j, key, r.per_s);
}

void top_render_json(const struct top_view *v, struct strbuf *sb)
{
	const struct tierd_stats *st = v->st;
	struct json j;
	unsigned int i;

	json_init(&j, sb);
	json_obj_begin(&j, NULL);
	json_u64(&j, "interval_ms", v->interval_ms);
	json_u64(&j, "uptime_ms", st->uptime_ms);
	json_bool(&j, "paused", st->paused);
	json_u64(&j, "promoted_pages", st->promoted_pages);
	json_rate(&j, "promoted_pages_per_s", v->promoted);
	json_u64(&j, "rate_limited", st->rate_limited);
	json_u64(&j, "headroom_blocked", st->headroom_blocked);
	json_u64(&j, "tracked_pids", st->tracked_pids);

	json_arr_begin(&j, "nodes");
	for (i = 0; i < st->nr_nodes && i < 64; i++) {
		const struct tierd_node_stats *n = &st->node[i];

		if (!n->present)
			continue;
		json_obj_begin(&j, NULL);
		json_u64(&j, "id", i);
		json_str(&j, "tier", n->fast ? "fast" : n->slow ? "slow" : "none");
		json_u64(&j, "total_bytes", n->total_bytes);
		json_u64(&j, "free_bytes", n->free_bytes);
		json_u64(&j, "promoted_in_pages", n->promoted_to_pages);
		json_u64(&j, "promoted_out_pages", n->promoted_from_pages);
		json_rate(&j, "promoted_in_pages_per_s", v->node_in[i]);
		json_rate(&j, "promoted_out_pages_per_s", v->node_out[i]);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_arr_begin(&j, "sources");
	for (i = 0; i < TIERD_SRC_NR; i++) {
		char state[sizeof(st->src[i].state) + 1];

		memcpy(state, st->src[i].state, sizeof(st->src[i].state));
		state[sizeof(st->src[i].state)] = '\0';
		json_obj_begin(&j, NULL);
		json_str(&j, "name", tierd_source_name(i));
		json_bool(&j, "active", st->src[i].active);
		json_str(&j, "state", state);
		json_u64(&j, "records", st->src[i].records);
		json_rate(&j, "records_per_s", v->src_records[i]);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_arr_begin(&j, "pids");
	for (i = 0; i < st->nr_pids && i < TIERD_STATS_MAX_PIDS; i++) {
		const struct tierd_pid_stats *p = &st->pid[i];
		const struct top_pid_rates *r = &v->pid[i];
		char comm[sizeof(p->comm) + 1];

		memcpy(comm, p->comm, sizeof(p->comm));
		comm[sizeof(p->comm)] = '\0';
		json_obj_begin(&j, NULL);
		json_i64(&j, "pid", p->pid);
		json_str(&j, "comm", comm);
		json_u64(&j, "slow_pages", p->slow_pages);
		json_u64(&j, "fast_pages", p->fast_pages);
		json_u64(&j, "folios_tracked", p->folios_tracked);
		json_u64(&j, "folios_hot", p->folios_hot);
		json_u64(&j, "records", p->records);
		json_rate(&j, "records_per_s", r->records);
		json_u64(&j, "promoted_pages", p->promoted_pages);
		json_rate(&j, "promoted_pages_per_s", r->promoted);
		json_u64(&j, "kernel_promoted", p->kernel_promoted);
		json_u64(&j, "skipped_rate", p->skipped_rate);
		json_rate(&j, "skipped_rate_per_s", r->skipped_rate);
		json_u64(&j, "skipped_headroom", p->skipped_headroom);
		json_rate(&j, "skipped_headroom_per_s", r->skipped_headroom);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	sb_putc(sb, '\n');
}
