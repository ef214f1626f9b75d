// SPDX-License-Identifier: GPL-2.0
/*
 * The collector walks the source registry: it never names a source.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "os/probe.h"
#include "sources/bpf_obj.h"
#include "sources/collector.h"

struct collector {
	struct source src[TIERD_SRC_NR];
	struct bpf_obj *bpf;		/* NULL when no BPF source is active */
	struct kernel_features feat;
	struct owned *owned;
	collector_event_fn fn;
	void *fn_ctx;
};

#define for_each_source(c, s, i)					\
	for ((i) = 0; (i) < TIERD_SRC_NR && ((s) = &(c)->src[i]); (i)++)

/* Pick the sources; an `on` source the kernel lacks is an error. */
static int decide_sources(struct collector *c, const struct tierd_config *cfg,
			  char *err, size_t errlen)
{
	char buf[sizeof(c->src[0].state) - sizeof("off: ") + 1];
	struct source *s;
	unsigned int i;

	for_each_source(c, s, i) {
		enum tierd_tristate want = s->ops->wanted(cfg);
		const char *missing;

		s->active = false;
		if (want == TIERD_OFF) {
			snprintf(s->state, sizeof(s->state), "off by config");
			continue;
		}
		missing = s->ops->missing(&c->feat, want, buf, sizeof(buf));
		if (missing && want == TIERD_ON) {
			snprintf(err, errlen, "[sources] %s = on, but %s",
				 tierd_source_name(i), missing);
			return -EOPNOTSUPP;
		}
		if (missing) {
			snprintf(s->state, sizeof(s->state), "off: %s", missing);
			continue;
		}
		s->active = true;
	}
	return 0;
}

static bool any_active(const struct collector *c, bool bpf)
{
	for (unsigned int i = 0; i < TIERD_SRC_NR; i++)
		if (c->src[i].active && c->src[i].ops->uses_bpf == bpf)
			return true;
	return false;
}

/* After the object's tunables were (re)set from the config. */
static void set_thresholds(struct collector *c)
{
	for (unsigned int i = 0; i < TIERD_SRC_NR; i++)
		bpf_obj_set_threshold(c->bpf, i,
				      c->src[i].ops->window_threshold);
}

static void on_record(void *ctx, const struct tierd_event *ev)
{
	struct collector *c = ctx;

	c->fn(c->fn_ctx, ev);
}

/*
 * Open every decided source.  An `auto` source that cannot be set up turns
 * off with the reason (logged once here); an `on` one fails the open.
 */
static int open_sources(struct collector *c, const struct tierd_config *cfg,
			char *err, size_t errlen)
{
	struct source_env env = { .cfg = cfg, .feat = &c->feat,
				  .owned = c->owned, .take_over = cfg->take_over,
				  .emit = on_record, .emit_ctx = c };
	char why[sizeof(c->src[0].state) - sizeof("off: ") + 1];
	struct source *s;
	unsigned int i;
	int ret;

	if (any_active(c, true)) {
		ret = bpf_obj_open(cfg, &c->bpf, err, errlen);
		if (ret)
			return ret;
		for_each_source(c, s, i)
			if (s->active && s->ops->uses_bpf)
				s->ops->select(c->bpf, &c->feat);
		set_thresholds(c);
		ret = bpf_obj_load(c->bpf, on_record, c, err, errlen);
		if (ret)
			return ret;
	}
	for_each_source(c, s, i) {
		if (!s->active)
			continue;
		env.bpf = s->ops->uses_bpf ? c->bpf : NULL;
		why[0] = '\0';
		ret = s->ops->open(s, &env, why, sizeof(why));
		if (!ret)
			continue;
		s->active = false;
		snprintf(s->state, sizeof(s->state), "off: %s", why);
		if (s->ops->wanted(cfg) == TIERD_ON) {
			snprintf(err, errlen, "[sources] %s = on, but %s",
				 tierd_source_name(i), why);
			return ret;
		}
		log_fields(LOG_WARNING,
			   LOG_FIELDS(.source = tierd_source_name(i), .err = ret),
			   "source %s: %s", tierd_source_name(i), s->state);
	}
	/* every BPF source may have failed to attach: drop the object then */
	if (c->bpf && !any_active(c, true)) {
		bpf_obj_close(c->bpf);
		c->bpf = NULL;
	}
	return 0;
}

int collector_open(const struct tierd_config *cfg,
		   const struct kernel_features *f, struct owned *owned,
		   collector_event_fn fn, void *fn_ctx,
		   struct collector **out, char *err, size_t errlen)
{
	struct collector *c;
	unsigned int i;
	int ret;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	ret = bpf_obj_check_config(cfg, err, errlen);
	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory for the collector");
		return -ENOMEM;
	}
	c->feat = *f;
	c->owned = owned;
	c->fn = fn;
	c->fn_ctx = fn_ctx;
	for (i = 0; i < TIERD_SRC_NR; i++)
		c->src[i].ops = tierd_source_registry[i];

	ret = decide_sources(c, cfg, err, errlen);
	if (!ret)
		ret = open_sources(c, cfg, err, errlen);
	if (ret) {
		collector_close(c);
		return ret;
	}
	*out = c;
	return 0;
}

void collector_close(struct collector *c)
{
	struct source *s;
	unsigned int i;

	if (!c)
		return;
	for_each_source(c, s, i)
		if (s->priv && s->ops->close)
			s->ops->close(s);
	/* detaches every program */
	bpf_obj_close(c->bpf);
	free(c);
}

int collector_ring_fd(const struct collector *c)
{
	return c->bpf ? bpf_obj_ring_fd(c->bpf) : -1;
}

int collector_consume(struct collector *c, bool *more)
{
	bool cut = false;
	int ret = 0;

	if (c->bpf)
		ret = bpf_obj_consume(c->bpf, COLLECTOR_DRAIN_BUDGET,
				      COLLECTOR_DRAIN_MAX_US, &cut);
	if (more)
		*more = cut;
	return ret;
}

bool collector_needs_reopen(const struct tierd_config *old,
			    const struct tierd_config *new)
{
	for (unsigned int i = 0; i < TIERD_SRC_NR; i++)
		if (tierd_source_registry[i]->wanted(old) !=
		    tierd_source_registry[i]->wanted(new))
			return true;
	return old->kernel_map_folios != new->kernel_map_folios;
}

void collector_carry(struct collector *to, struct collector *from)
{
	for (unsigned int i = 0; i < TIERD_SRC_NR; i++)
		if (to->src[i].active && from->src[i].active &&
		    to->src[i].ops->carry)
			to->src[i].ops->carry(&to->src[i], &from->src[i]);
}

int collector_reconfigure(struct collector *c, const struct tierd_config *cfg)
{
	struct source_env env = { .cfg = cfg, .feat = &c->feat, .bpf = c->bpf,
				  .owned = c->owned, .take_over = cfg->take_over,
				  .emit = on_record, .emit_ctx = c };
	char err[128];
	struct source *s;
	unsigned int i;
	int ret;

	ret = bpf_obj_check_config(cfg, err, sizeof(err));
	if (ret) {
		log_err("collector reload: %s", err);
		return ret;
	}
	if (c->bpf) {
		bpf_obj_reconfigure(c->bpf, cfg);
		set_thresholds(c);
	}
	for_each_source(c, s, i) {
		if (!s->active || !s->ops->reconfigure)
			continue;
		ret = s->ops->reconfigure(s, &env);
		if (ret)
			return ret;
	}
	return 0;
}

int collector_set_tracked(struct collector *c, const pid_t *tgids, size_t n,
			  bool filter)
{
	if (n > TIERD_TRACKED_MAX) {
		log_err("collector: %zu tracked processes, the BPF map holds %u",
			n, TIERD_TRACKED_MAX);
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		if (tgids[i] <= 0) {
			log_err("collector: tracked tgid %d at index %zu is not a process id",
				(int)tgids[i], i);
			return -EINVAL;
		}
	}
	return c->bpf ? bpf_obj_set_tracked(c->bpf, tgids, n, filter) : 0;
}

void collector_arm(struct collector *c, const struct source_proc *procs,
		   size_t n, uint64_t now_ms)
{
	struct source *s;
	unsigned int i;

	for_each_source(c, s, i)
		if (s->active && s->ops->arm)
			s->ops->arm(s, procs, n, now_ms);
}

bool collector_source_active(const struct collector *c, enum tierd_source s)
{
	return (unsigned int)s < TIERD_SRC_NR && c->src[s].active;
}

void collector_set_slow_nodes(struct collector *c, uint64_t slow_mask)
{
	for (unsigned int i = 0; i < TIERD_SRC_NR; i++)
		c->src[i].slow_mask = slow_mask;
}

int collector_adopt(struct collector *c, const struct source_adopt *a,
		    uint64_t now_ms, char *msg, size_t msglen)
{
	const struct source *off = NULL;
	struct source *s;
	unsigned int i;

	for_each_source(c, s, i) {
		if (!s->ops->adopt)
			continue;
		if (s->active)
			return s->ops->adopt(s, a, now_ms, msg, msglen);
		off = s;
	}
	if (off)
		snprintf(msg, msglen, "tierd tracks no descriptors: source %s is %s",
			 tierd_source_name(off->ops->id), off->state);
	else
		snprintf(msg, msglen, "tierd has no source that takes descriptors");
	return -EOPNOTSUPP;
}

void collector_tracking(const struct collector *c, bool *slow_users,
			bool *whole_scope)
{
	*slow_users = *whole_scope = false;
	for (unsigned int i = 0; i < TIERD_SRC_NR; i++) {
		if (!c->src[i].active)
			continue;
		if (c->src[i].ops->tracks_whole_scope)
			*whole_scope = true;
		else
			*slow_users = true;
	}
}

void collector_read_stats(const struct collector *c,
			  struct tierd_source_stats src[TIERD_SRC_NR])
{
	uint64_t sum[TIERD_COUNTERS_NR] = { 0 };
	bool prog_stats = probe_bpf_stats_enabled();
	const struct source *s;
	unsigned int i;

	if (c->bpf)
		bpf_obj_read_counters(c->bpf, sum);
	for_each_source(c, s, i) {
		struct tierd_source_stats *st = &src[i];

		memset(st, 0, sizeof(*st));
		st->active = s->active;
		snprintf(st->state, sizeof(st->state), "%s", s->state);
		tierd_source_stats_from_bpf(st, &sum[i * TIERD_CNT_NR]);
		if (s->active && s->ops->stats)
			s->ops->stats(s, st);
		/*
		 * The sysctl shows only its own setting; BPF_ENABLE_STATS fds
		 * (bpftool prog profile, ...) also turn accounting on.
		 */
		st->prog_stats_enabled = prog_stats || st->prog_run_cnt > 0;
	}
}
