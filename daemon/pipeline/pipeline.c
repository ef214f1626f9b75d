// SPDX-License-Identifier: GPL-2.0
/*
 * The promotion pipeline's lifecycle: create, the records of the sources,
 * the tick, reload.  Decisions are the pure core's (hotness, policy,
 * settle, tiers); syscalls sit in os/ and sources/.  procs.c chooses the
 * tracked processes, promote.c runs a promotion pass, snapshot.c reports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "os/numa_nodes.h"
#include "os/probe.h"
#include "pipeline/internal.h"
#include "pipeline/pipeline.h"

/* Entries whose decayed score falls below this carry no information. */
#define AGE_FLOOR		0.05
/*
 * The scope rescan reads three /proc files per process; re-arming must
 * happen every tick, but a process that appears is picked up within this.
 */
#define SCOPE_RESCAN_MS		1000
/* Other movers come and go (an admin's sysctl, a DAMON scheme). */
#define MOVERS_RECHECK_MS	5000
#define OWNED_FILE		"owned-settings"

static struct hotness_params hotness_params_of(const struct tierd_config *cfg)
{
	return (struct hotness_params) {
		.cap = cfg->table_max_folios,
		.window_ms = cfg->window_ms,
		.decay = cfg->decay,
		.cooldown_ms = cfg->cooldown_ms,
		.pingpong_backoff = cfg->pingpong_backoff,
		.failure_cooldown_ms = cfg->failure_cooldown_ms,
	};
}

/*
 * The bucket holds one second of rate, or two ticks if ticks are longer, and
 * never less than one granule: a tick that runs late (a busy machine) must
 * not forfeit the budget of the time it was late by.
 *
 * A new tierd starts with it empty.  Started full, every start may move a
 * whole burst at once, so a tierd that crashes and is restarted (systemd's
 * Restart=on-failure) every few seconds would promote up to a burst per
 * restart above rate_limit_mbps: the limit must hold across restarts.  A
 * reload (@keep) carries the tokens over, capped at the new burst, so
 * reloading neither mints a burst nor stalls promotion.
 */
static void bucket_setup(struct pipeline *p, uint64_t now_ms, bool keep)
{
	uint64_t rate = (uint64_t)p->cfg.rate_limit_mbps << 20;
	uint64_t span_ms = 2ULL * p->cfg.rearm_interval_ms;
	uint64_t burst = rate * (span_ms > 1000 ? span_ms : 1000) / 1000;
	double tokens = 0;

	if (keep) {
		token_bucket_take(&p->bucket, now_ms, 1, 0);	/* refill */
		tokens = p->bucket.tokens;
	}
	if (burst < granule_bytes(&p->cfg))
		burst = granule_bytes(&p->cfg);
	token_bucket_init(&p->bucket, rate, burst, now_ms);
	if (tokens < p->bucket.burst_bytes)
		p->bucket.tokens = tokens;
}

/* A node tierd promotes to, from a record's 16-bit node id. */
static bool is_fast_node(const struct pipeline *p, unsigned int nid)
{
	return p->tiers.tiering && nid < TIERD_MAX_NODES &&
	       (p->tiers.fast_mask & (1ULL << nid));
}

/*
 * The kernel moved the folio itself (the node service's promotion, NUMA
 * balancing).  Onto a fast node it is promoted: not a candidate, so it is
 * never moved a second time.  Anywhere else it stays what it was.
 */
static void kernel_moved(struct pipeline *p, struct tracked_proc *proc,
			 const struct tierd_event *ev, uint64_t addr)
{
	if (!is_fast_node(p, ev->dst_nid))
		return;
	hotness_mark_on_fast(p->hot, ev->tgid, addr, p->now_ms);
	proc->kernel_promoted++;
}

/* Each source's state, at start and when a reload opened new ones. */
static void log_sources(struct pipeline *p)
{
	struct tierd_source_stats st[TIERD_SRC_NR];

	collector_read_stats(p->col, st);
	for (int s = 0; s < TIERD_SRC_NR; s++)
		log_fields(LOG_INFO, LOG_FIELDS(.source = tierd_source_name(s)),
			   "source %s: %s", tierd_source_name(s), st[s].state);
}

/*
 * How soon after the re-arm before it the folio faulted, in 255ths of
 * the interval.  Only a soft-dirty record is timed by the kernel at the
 * fault, after a re-arm tierd made and knows the time of (a uffd record
 * comes from tierd's own scan, a hint fault after the kernel's scanner).
 * Both clocks are CLOCK_MONOTONIC.
 */
static uint8_t arm_latency_of(const struct pipeline *p,
			      const struct tierd_event *ev)
{
	uint64_t at = ev->ts_ns / 1000000, since;

	if (ev->source != TIERD_SRC_SOFT_DIRTY)
		return HOTNESS_LATENCY_UNKNOWN;
	/* still in the ring buffer at the re-arm: the interval before */
	if (p->rearmed_ms && at >= p->rearmed_ms)
		since = at - p->rearmed_ms;
	else if (p->prev_rearmed_ms && at >= p->prev_rearmed_ms)
		since = at - p->prev_rearmed_ms;
	else
		return HOTNESS_LATENCY_UNKNOWN;
	since = since * 255 / p->cfg.rearm_interval_ms;
	return since < HOTNESS_LATENCY_UNKNOWN ? (uint8_t)since :
						 HOTNESS_LATENCY_UNKNOWN - 1;
}

static void on_event(void *ctx, const struct tierd_event *ev)
{
	struct pipeline *p = ctx;
	struct hot_record_result res;
	struct tracked_proc *proc;
	struct hot_fault f;
	uint32_t writes = ev->writes < ev->faults ? ev->writes : ev->faults;
	uint64_t weight = (uint64_t)(ev->faults - writes) * p->cfg.read_weight +
			  (uint64_t)writes * p->cfg.write_weight;
	uint64_t least;
	/*
	 * Records already in the ring buffer when a reload changed the
	 * granule carry the old alignment; the table keys on the new one.
	 */
	uint64_t addr = ev->addr & ~(granule_bytes(&p->cfg) - 1);

	/* sent before the process left the scope: not ours any more */
	proc = pipeline_find_proc(p, (pid_t)ev->tgid);
	if (!proc) {
		p->cnt.scope_rejected++;
		return;
	}
	proc->records++;
	proc->faults += ev->faults;
	if (ev->kmove == TIERD_KMOVE_OK) {
		kernel_moved(p, proc, ev, addr);
		return;
	}
	/*
	 * The kernel tried to promote it and moved nothing: tierd's to
	 * promote now, not after `threshold` more faults (unless its kind of
	 * access weighs nothing).
	 */
	least = (uint64_t)p->cfg.promote_score;
	if (least < p->cfg.promote_score)
		least++;
	if (ev->kmove == TIERD_KMOVE_FAILED && weight && weight < least)
		weight = least;
	if (!weight)		/* only accesses of a kind that weighs 0 */
		return;
	f = (struct hot_fault) {
		.addr = addr, .tgid = ev->tgid,
		.faults = weight > UINT32_MAX ? UINT32_MAX : (uint32_t)weight,
		.on_slow = ev->on_slow, .arm_latency = arm_latency_of(p, ev),
	};
	/* a tracked pid fits the table's tgid; -ENOMEM drops one record */
	hotness_record_fault(p->hot, &f, p->now_ms, &res);
}

/* What the sources need to know of the topology, as kernel features. */
static void apply_topology(struct kernel_features *f,
			   const struct numa_topology *topo)
{
	f->lower_tier = tiers_kernel_ranks(topo);
	snprintf(f->private_sysfs_error, sizeof(f->private_sysfs_error), "%s",
		 topo->private_error);
}

/* The private memory nodes, once per (re)load: a kernel that contradicts itself is worth a warning. */
static void log_private_nodes(const struct numa_topology *topo)
{
	char line[320];

	tiers_private_describe(topo, line, sizeof(line));
	if (topo->private_error[0])
		log_warn("private memory nodes: %s", line);
	else if (topo->private_gen != TIERD_PRIVATE_NONE)
		log_info("private memory nodes: %s", line);
}

/* What the sources that arm by page location treat as slow. */
static uint64_t slow_nodes(const struct tier_choice *t)
{
	return t->tiering ? t->slow_mask : 0;
}

/* The settings record lives beside the control socket. */
static int open_owned(struct pipeline *p, char *err, size_t errlen)
{
	char path[TIERD_PATH_LEN + sizeof(OWNED_FILE) + 2], *slash;
	pid_t holder;

	snprintf(path, sizeof(path), "%s", p->cfg.socket_path);
	slash = strrchr(path, '/');
	if (!slash || slash == path) {
		snprintf(err, errlen, "[control] socket %s has no directory for the settings record",
			 p->cfg.socket_path);
		return -EINVAL;
	}
	snprintf(slash + 1, sizeof(path) - (slash + 1 - path), "%s", OWNED_FILE);
	return owned_open(path, OWNED_SYSCTL_ROOT, &p->owned, &holder, err,
			  errlen);
}

int pipeline_create(const struct tierd_config *cfg, uint64_t now_ms,
		    struct pipeline **out, char *err, size_t errlen)
{
	struct hotness_params hp = hotness_params_of(cfg);
	struct pipeline *p;
	int ret;

	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->cfg = *cfg;
	p->self = getpid();
	p->start_ms = p->now_ms = now_ms;
	promo_plan_init(&p->plan);

	numa_topology_read(&p->topo);
	ret = tier_choose(&p->topo, cfg, &p->tiers);
	if (ret < 0) {
		snprintf(err, errlen, "%s", p->tiers.reason);
		goto fail;
	}

	probe_kernel(&p->feat);
	apply_topology(&p->feat, &p->topo);
	ret = open_owned(p, err, errlen);
	if (ret < 0)
		goto fail;
	/* take over first, so the sources see the settings they will keep */
	pipeline_check_movers(p);
	ret = collector_open(cfg, &p->feat, p->owned, on_event, p, &p->col,
			     err, errlen);
	if (ret < 0)
		goto fail;
	collector_set_slow_nodes(p->col, slow_nodes(&p->tiers));

	ret = hotness_create(&hp, &p->hot);
	if (ret < 0) {
		snprintf(err, errlen, "cannot create the hotness table (%u folios): %s",
			 cfg->table_max_folios, strerror(-ret));
		goto fail;
	}
	bucket_setup(p, now_ms, false);

	log_info("nodes: %s", p->tiers.reason);
	log_private_nodes(&p->topo);
	log_sources(p);
	*out = p;
	return 0;
fail:
	pipeline_destroy(p);
	return ret;
}

void pipeline_destroy(struct pipeline *p)
{
	if (!p)
		return;
	/* the sources restore what they changed, then the rest goes back */
	if (p->col)
		collector_close(p->col);
	owned_close(p->owned);
	if (p->hot)
		hotness_destroy(p->hot);
	promo_plan_free(&p->plan);
	free(p->procs);
	free(p->src_procs);
	free(p->cand);
	free(p->pages);
	free(p->move);
	free(p->where);
	free(p->status);
	free(p->owner);
	free(p->target);
	free(p->again);
	free(p);
}

int pipeline_event_fd(const struct pipeline *p)
{
	return p->col ? collector_ring_fd(p->col) : -1;
}

int pipeline_on_events(struct pipeline *p, uint64_t now_ms)
{
	int ret;

	bool more;

	p->now_ms = now_ms;
	ret = collector_consume(p->col, &more);
	if (ret < 0)
		return ret;
	return more;
}

uint32_t pipeline_tick_ms(const struct pipeline *p)
{
	return p->cfg.rearm_interval_ms;
}

uint32_t pipeline_pass_ms(const struct pipeline *p)
{
	return p->cfg.pass_interval_ms < p->cfg.rearm_interval_ms ?
	       p->cfg.pass_interval_ms : 0;
}

/* Records since the last wake-up count for the pass that follows. */
static void take_records(struct pipeline *p, uint64_t now_ms)
{
	p->now_ms = now_ms;
	p->cnt.intervals++;
	if (pipeline_event_fd(p) >= 0)
		collector_consume(p->col, NULL);
}

static int promote_pass(struct pipeline *p)
{
	int ret;

	if (p->paused || !p->tiers.tiering || !p->cfg.promote_enabled ||
	    !p->movers.promote)
		return 0;
	ret = pipeline_promote(p);
	/* passes come several times a second: a lasting failure logs once */
	if (ret < 0 && ret != p->promote_err)
		log_warn("promotion pass failed: %s", strerror(-ret));
	else if (ret >= 0 && p->promote_err < 0)
		log_info("promotion passes succeed again");
	p->promote_err = ret < 0 ? ret : 0;
	return ret;
}

int pipeline_pass(struct pipeline *p, uint64_t now_ms)
{
	take_records(p, now_ms);
	return promote_pass(p);
}

int pipeline_tick(struct pipeline *p, uint64_t now_ms)
{
	int ret;

	take_records(p, now_ms);

	if (!p->scanned_ms || now_ms - p->scanned_ms >= SCOPE_RESCAN_MS) {
		ret = pipeline_scan_processes(p);
		if (ret < 0)
			log_warn("process scan failed: %s", strerror(-ret));
		p->scanned_ms = now_ms;
	}
	pipeline_arm_sources(p);
	p->prev_rearmed_ms = p->rearmed_ms;
	p->rearmed_ms = now_ms;
	hotness_age(p->hot, now_ms, AGE_FLOOR);
	if (now_ms - p->movers_checked_ms >= MOVERS_RECHECK_MS)
		pipeline_check_movers(p);
	return promote_pass(p);
}

int pipeline_reconfigure(struct pipeline *p, const struct tierd_config *cfg,
			 char *err, size_t errlen)
{
	struct hotness_params hp = hotness_params_of(cfg);
	struct hotness_table *new_hot = NULL;
	struct collector *new_col = NULL;
	struct numa_topology topo;
	struct tier_choice tiers;
	int ret;

	/* everything that can fail happens before anything is replaced */
	numa_topology_read(&topo);
	ret = tier_choose(&topo, cfg, &tiers);
	if (ret < 0) {
		snprintf(err, errlen, "%s", tiers.reason);
		return ret;
	}
	apply_topology(&p->feat, &topo);
	if (collector_needs_reopen(&p->cfg, cfg)) {
		ret = collector_open(cfg, &p->feat, p->owned, on_event, p,
				     &new_col, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (cfg->granule_kb != p->cfg.granule_kb) {
		/* keys are granule-aligned addresses: start a fresh table */
		ret = hotness_create(&hp, &new_hot);
	} else {
		ret = hotness_set_params(p->hot, &hp);
	}
	if (ret < 0) {
		snprintf(err, errlen, "cannot resize the hotness table to %u folios: %s",
			 cfg->table_max_folios, strerror(-ret));
		if (new_col)
			collector_close(new_col);
		return ret;
	}

	if (new_col) {
		/* processes that handed over descriptors stay tracked */
		collector_carry(new_col, p->col);
		collector_close(p->col);
		p->col = new_col;
	} else {
		ret = collector_reconfigure(p->col, cfg);
		if (ret < 0)
			log_warn("BPF tunables not updated: %s", strerror(-ret));
	}
	if (new_hot) {
		hotness_destroy(p->hot);
		p->hot = new_hot;
	}
	p->topo = topo;
	p->tiers = tiers;
	collector_set_slow_nodes(p->col, slow_nodes(&p->tiers));
	/* give the kernel its own promotion back */
	if (p->cfg.take_over && !cfg->take_over)
		owned_restore(p->owned, "take_over");
	p->cfg = *cfg;
	/* new scope, or a new collector with an empty tracked map */
	p->scanned_ms = 0;
	bucket_setup(p, p->now_ms, true);
	pipeline_check_movers(p);
	log_info("nodes: %s", p->tiers.reason);
	log_private_nodes(&p->topo);
	if (new_col)
		log_sources(p);
	return 0;
}

void pipeline_set_paused(struct pipeline *p, bool paused)
{
	p->paused = paused;
}

bool pipeline_paused(const struct pipeline *p)
{
	return p->paused;
}

