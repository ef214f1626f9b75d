// SPDX-License-Identifier: GPL-2.0
/*
 * Whole-file checks: values that are each valid but contradict each
 * other.  A contradiction is reported at the line of the later key,
 * naming the other one's line (or "default"), and never for a key whose
 * own value was already reported as bad.
 */
#include <stdio.h>
#include <string.h>

#include "config/internal.h"
#include "lib/strbuf.h"

static void check_nodes(struct parse_ctx *ctx)
{
	const struct tierd_config *cfg = ctx->cfg;
	unsigned int ls = ctx->key_line[K_nodes_slow];
	unsigned int lf = ctx->key_line[K_nodes_fast];

	if (cfg->slow_auto || cfg->fast_auto || ctx->key_bad[K_nodes_slow] ||
	    ctx->key_bad[K_nodes_fast])
		return;
	if (!(cfg->slow_mask & (1ULL << cfg->fast_node)))
		return;
	if (lf > ls)
		kerr(ctx, lf, K_nodes_fast, "node %d is also in the slow set (line %u)",
		     cfg->fast_node, ls);
	else
		kerr(ctx, ls, K_nodes_slow, "node %d is also the fast node (line %u)",
		     cfg->fast_node, lf);
}

/* Every tristate key of [sources] is a source (keys.h). */
static bool is_source(enum key_id id)
{
	return cfg_keys[id].type == KT_TRISTATE &&
	       !strcmp(cfg_keys[id].section, "sources");
}

static void check_sources(struct parse_ctx *ctx)
{
	const enum tierd_tristate *state;
	enum key_id id, last = K_NR;
	unsigned int nr = 0;
	char others[300];
	struct strbuf sb;

	for (id = 0; id < K_NR; id++) {
		if (!is_source(id))
			continue;
		state = key_field(ctx->cfg, id);
		if (*state != TIERD_OFF)
			return;
		nr++;
		if (last == K_NR || ctx->key_line[id] > ctx->key_line[last])
			last = id;
	}
	if (!nr)
		return;
	sb_init(&sb, others, sizeof(others));
	for (id = 0; id < K_NR; id++) {
		if (!is_source(id) || id == last)
			continue;
		sb_printf(&sb, "%s%s = off ", sb.len ? ", " : " (",
			  cfg_keys[id].name);
		if (ctx->key_line[id])
			sb_printf(&sb, "at line %u", ctx->key_line[id]);
		else
			sb_append(&sb, "by default");
	}
	if (sb.len)
		sb_putc(&sb, ')');
	kerr(ctx, ctx->key_line[last], last,
	     "%s%s: nothing would report write faults",
	     nr == 2 ? "both sources are off" : "every source is off", others);
}

static void check_window(struct parse_ctx *ctx)
{
	const struct tierd_config *cfg = ctx->cfg;
	unsigned int lw = ctx->key_line[K_hotness_window_ms];
	unsigned int lr = ctx->key_line[K_sources_rearm_interval_ms];
	char buf[32];

	if (ctx->key_bad[K_hotness_window_ms] ||
	    ctx->key_bad[K_sources_rearm_interval_ms] ||
	    cfg->window_ms >= cfg->rearm_interval_ms)
		return;
	if (lw > lr)
		kerr(ctx, lw, K_hotness_window_ms,
		     "%u is smaller than [sources] rearm_interval_ms = %u (%s)",
		     cfg->window_ms, cfg->rearm_interval_ms,
		     cfg_key_where(ctx, K_sources_rearm_interval_ms, buf,
				   sizeof(buf)));
	else
		kerr(ctx, lr, K_sources_rearm_interval_ms,
		     "%u is larger than [hotness] window_ms = %u (%s)",
		     cfg->rearm_interval_ms, cfg->window_ms,
		     cfg_key_where(ctx, K_hotness_window_ms, buf, sizeof(buf)));
}

/*
 * The kernel sends a folio's last record of a window when its faults
 * reach threshold x 2^(reports_per_window - 1), so a folio that hot in
 * every window converges to that over (1 - decay) from below and never
 * reaches it: a promote_score at or above that bound would silently
 * promote nothing.
 */
static void check_promote_score(struct parse_ctx *ctx)
{
	static const enum key_id ids[] = {
		K_hotness_promote_score, K_hotness_threshold, K_hotness_decay,
		K_hotness_read_weight, K_hotness_write_weight,
		K_hotness_reports_per_window,
	};
	const struct tierd_config *cfg = ctx->cfg;
	enum key_id last = K_hotness_promote_score, wkey;
	char bt[32], bd[32], bw[32], br[32];
	uint32_t weight, marks;
	double bound;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ids); i++)
		if (ctx->key_bad[ids[i]])
			return;
	/* a record of `threshold` accesses of the kind that weighs most */
	wkey = cfg->write_weight >= cfg->read_weight ? K_hotness_write_weight :
						       K_hotness_read_weight;
	weight = cfg->write_weight >= cfg->read_weight ? cfg->write_weight :
							 cfg->read_weight;
	if (!weight) {
		last = ctx->key_line[K_hotness_read_weight] >
		       ctx->key_line[K_hotness_write_weight] ?
		       K_hotness_read_weight : K_hotness_write_weight;
		kerr(ctx, ctx->key_line[last], last,
		     "read_weight and write_weight are both 0: no access would count");
		return;
	}
	/* the window's faults at its last record: 2^7 x 65535 at most */
	marks = cfg->threshold << (cfg->reports_per_window - 1);
	bound = (double)marks * weight / (1.0 - cfg->decay);
	if (cfg->promote_score < bound)
		return;
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		if (ctx->key_line[ids[i]] > ctx->key_line[last])
			last = ids[i];
	kerr(ctx, ctx->key_line[last], last,
	     "promote_score = %g can never be reached: a folio at every window's last record converges to threshold x 2^(reports_per_window - 1) x %s / (1 - decay) = %u x %u x %u / (1 - %g) = %g (threshold: %s, reports_per_window: %s, decay: %s, %s: %s)",
	     cfg->promote_score, cfg_keys[wkey].name, cfg->threshold,
	     marks / cfg->threshold, weight, cfg->decay, bound,
	     cfg_key_where(ctx, K_hotness_threshold, bt, sizeof(bt)),
	     cfg_key_where(ctx, K_hotness_reports_per_window, br, sizeof(br)),
	     cfg_key_where(ctx, K_hotness_decay, bd, sizeof(bd)),
	     cfg_keys[wkey].name, cfg_key_where(ctx, wkey, bw, sizeof(bw)));
}

/* Report an item in both lists at the later of its two lines. */
static void scope_conflict(struct parse_ctx *ctx, enum key_id inc,
			   enum key_id exc, unsigned int li, unsigned int le,
			   const char *what)
{
	if (le >= li)
		kerr(ctx, le, exc, "%s is also in %s (line %u)", what,
		     cfg_keys[inc].name, li);
	else
		kerr(ctx, li, inc, "%s is also in %s (line %u)", what,
		     cfg_keys[exc].name, le);
}

static void check_scope(struct parse_ctx *ctx)
{
	const struct tierd_scope_list *in = &ctx->cfg->include;
	const struct tierd_scope_list *ex = &ctx->cfg->exclude;
	const struct scope_lines *lin = &ctx->include_line;
	const struct scope_lines *lex = &ctx->exclude_line;
	char what[TIERD_CGROUP_LEN + 16];
	unsigned int i, j;

	for (i = 0; i < in->nr_pids; i++)
		for (j = 0; j < ex->nr_pids; j++)
			if (in->pids[i] == ex->pids[j]) {
				snprintf(what, sizeof(what), "pid %d", in->pids[i]);
				scope_conflict(ctx, K_scope_include_pids,
					       K_scope_exclude_pids,
					       lin->pid[i], lex->pid[j], what);
			}
	for (i = 0; i < in->nr_comms; i++)
		for (j = 0; j < ex->nr_comms; j++)
			if (!strcmp(in->comms[i], ex->comms[j])) {
				snprintf(what, sizeof(what), "'%s'", in->comms[i]);
				scope_conflict(ctx, K_scope_include_comms,
					       K_scope_exclude_comms,
					       lin->comm[i], lex->comm[j], what);
			}
	for (i = 0; i < in->nr_cgroups; i++)
		for (j = 0; j < ex->nr_cgroups; j++)
			if (!strcmp(in->cgroups[i], ex->cgroups[j])) {
				snprintf(what, sizeof(what), "'%s'", in->cgroups[i]);
				scope_conflict(ctx, K_scope_include_cgroups,
					       K_scope_exclude_cgroups,
					       lin->cgroup[i], lex->cgroup[j],
					       what);
			}
}

/* The later of two keys' lines, and the other one's "line N"/"default". */
static enum key_id later_of(const struct parse_ctx *ctx, enum key_id a,
			    enum key_id b)
{
	return ctx->key_line[b] > ctx->key_line[a] ? b : a;
}

static void check_track(struct parse_ctx *ctx)
{
	const struct tierd_config *cfg = ctx->cfg;
	enum key_id k, other;
	char buf[32];
	char track[TIERD_PATH_LEN + sizeof(TIERD_TRACK_SOCKET_NAME)];

	if (!ctx->key_bad[K_control_socket] &&
	    !ctx->key_bad[K_control_track_socket] &&
	    tierd_config_track_socket(cfg, track, sizeof(track)) < 0) {
		kerr(ctx, ctx->key_line[K_control_socket], K_control_socket,
		     "%s leaves no room for %s beside it (set [control] track_socket)",
		     cfg->socket_path, TIERD_TRACK_SOCKET_NAME);
	} else if (!ctx->key_bad[K_control_socket] &&
	    !ctx->key_bad[K_control_track_socket] &&
	    !strcmp(cfg->socket_path, track)) {
		k = later_of(ctx, K_control_socket, K_control_track_socket);
		other = k == K_control_socket ? K_control_track_socket :
						K_control_socket;
		kerr(ctx, ctx->key_line[k], k,
		     "%s is also %s (%s): the track socket is open to every user and answers only track",
		     cfg->socket_path, cfg_keys[other].name,
		     cfg_key_where(ctx, other, buf, sizeof(buf)));
	}
	if (!ctx->key_bad[K_sources_uffd_max_per_user] &&
	    !ctx->key_bad[K_sources_uffd_max_total] &&
	    cfg->uffd_max_per_user > cfg->uffd_max_total) {
		k = later_of(ctx, K_sources_uffd_max_per_user,
			     K_sources_uffd_max_total);
		other = k == K_sources_uffd_max_total ?
			K_sources_uffd_max_per_user : K_sources_uffd_max_total;
		kerr(ctx, ctx->key_line[k], k,
		     "uffd_max_per_user = %u exceeds uffd_max_total = %u (%s)",
		     cfg->uffd_max_per_user, cfg->uffd_max_total,
		     cfg_key_where(ctx, other, buf, sizeof(buf)));
	}
}

void cfg_check(struct parse_ctx *ctx)
{
	check_nodes(ctx);
	check_sources(ctx);
	check_window(ctx);
	check_promote_score(ctx);
	check_scope(ctx);
	check_track(ctx);
}
