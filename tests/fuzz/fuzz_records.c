// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: ring-buffer records with arbitrary field values
 * through the pipeline's own code (daemon/pipeline/, the pure core), with
 * every edge it calls (sources, move_pages, /proc, libnuma, the settings
 * record) answered from the input too.
 *
 * Input: one config byte, then a stream of operations:
 *   'R' + sizeof(struct tierd_event) bytes   a record, delivered on the
 *                                            next drain of the ring buffer
 *   'T' + 2 bytes                            a tick that many ms later
 *   'C'                                      a reload with the config
 *                                            flipped (granule, weights)
 *   anything else                            a tick 1 ms later
 * move_pages, node free memory and numa_maps answers are taken from the
 * bytes that follow the operation, cycling through the input.
 *
 * Invariants, after every tick: pages promoted == pages counted "ok" ==
 * pages each fast node received == bytes promoted / 4 KiB; never more
 * promoted than requested; the hotness table within its cap; with a rate
 * limit, bytes promoted within rate x time + one burst.  ASan and UBSan
 * catch the rest.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "lib/log.h"
#include "os/migrate.h"
#include "os/movers.h"
#include "os/numa_nodes.h"
#include "os/owned.h"
#include "os/probe.h"
#include "os/procfs.h"
#include "pipeline/pipeline.h"
#include "sources/collector.h"

#define NR_PIDS		6
#define FIRST_PID	100
#define MAX_QUEUED	256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fakes reach the input through this one pointer, set per input. */
struct world {
	const uint8_t *data;
	size_t size, pos;		/* answers cycle through the input */
	struct tierd_event queued[MAX_QUEUED];
	size_t nr_queued;
	collector_event_fn fn;
	void *fn_ctx;
	bool slow_users, whole_scope;
};

static struct world *W;

static uint8_t next_byte(void)
{
	if (!W->size)
		return 0;
	return W->data[W->pos++ % W->size];
}

/* ---- sources/ ---- */

struct collector {
	int unused;
};

int collector_open(const struct tierd_config *cfg,
		   const struct kernel_features *f, struct owned *owned,
		   collector_event_fn fn, void *fn_ctx,
		   struct collector **out, char *err, size_t errlen)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	W->fn = fn;
	W->fn_ctx = fn_ctx;
	return 0;
}

void collector_close(struct collector *c)
{
	free(c);
}

int collector_ring_fd(const struct collector *c)
{
	return 3;
}

int collector_consume(struct collector *c, bool *more)
{
	if (more)
		*more = false;
	size_t n = W->nr_queued;

	W->nr_queued = 0;
	for (size_t i = 0; i < n; i++)
		W->fn(W->fn_ctx, &W->queued[i]);
	return (int)n;
}

bool collector_needs_reopen(const struct tierd_config *old,
			    const struct tierd_config *new)
{
	return false;
}

int collector_reconfigure(struct collector *c, const struct tierd_config *cfg)
{
	return 0;
}

int collector_set_tracked(struct collector *c, const pid_t *tgids, size_t n,
			  bool filter)
{
	return 0;
}

void collector_arm(struct collector *c, const struct source_proc *procs,
		   size_t n, uint64_t now_ms)
{
}

void collector_set_slow_nodes(struct collector *c, uint64_t slow_mask)
{
}

void collector_carry(struct collector *to, struct collector *from)
{
}

int collector_adopt(struct collector *c, const struct source_adopt *a,
		    uint64_t now_ms, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "no descriptors in the fuzzer");
	return -EOPNOTSUPP;
}

bool collector_source_active(const struct collector *c, enum tierd_source s)
{
	return true;
}

void collector_tracking(const struct collector *c, bool *slow_users,
			bool *whole_scope)
{
	*slow_users = W->slow_users;
	*whole_scope = W->whole_scope;
}

void collector_read_stats(const struct collector *c,
			  struct tierd_source_stats src[TIERD_SRC_NR])
{
	memset(src, 0, TIERD_SRC_NR * sizeof(*src));
}

/* ---- os/ ---- */

struct owned {
	int unused;
};

int owned_open(const char *path, const char *sysctl_root, struct owned **out,
	       pid_t *holder, char *err, size_t errlen)
{
	*holder = 0;
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void owned_close(struct owned *o)
{
	free(o);
}

void owned_restore(struct owned *o, const char *owner)
{
}

int owned_sysctl_set(struct owned *o, const char *owner, const char *name,
		     long value, char *err, size_t errlen)
{
	return 0;
}

void movers_detect(const struct owned *o, const char *damon_admin,
		   struct movers_seen *s)
{
	memset(s, 0, sizeof(*s));
}

void probe_kernel(struct kernel_features *f)
{
	memset(f, 0, sizeof(*f));
}

/* node 0: CPUs + DRAM; nodes 1 and 2: CPU-less */
int numa_topology_read(struct numa_topology *t)
{
	memset(t, 0, sizeof(*t));
	t->numa = true;
	t->nr_nodes = 3;
	t->mem_mask = 7;
	t->cpu_mask = 1;
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			t->distance[a][b] = a == b ? 10 : 20;
	return 0;
}

int numa_node_memory(int node, uint64_t *free_bytes, uint64_t *total_bytes)
{
	if (next_byte() == 0xff)
		return -ENODEV;
	*free_bytes = (uint64_t)next_byte() << 22;	/* 0 .. ~1 GiB */
	if (total_bytes)
		*total_bytes = 1ULL << 30;
	return 0;
}

int numa_node_vmstat(const char *root, int node, const char *const *names,
		     size_t n, uint64_t *values)
{
	uint8_t b = next_byte();

	if (b == 0xfc)
		return -ENOENT;
	for (size_t i = 0; i < n; i++)
		values[i] = next_byte();
	return b & ((1 << n) - 1);
}

int procfs_list_pids(pid_t **pids)
{
	*pids = malloc(NR_PIDS * sizeof(**pids));
	if (!*pids)
		return -ENOMEM;
	for (int i = 0; i < NR_PIDS; i++)
		(*pids)[i] = FIRST_PID + i;
	return NR_PIDS;
}

int procfs_read_comm(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "w%d", (int)pid);
	return 0;
}

int procfs_read_cgroup(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "/");
	return 0;
}

int procfs_node_pages(pid_t pid, uint64_t pages[64])
{
	memset(pages, 0, 64 * sizeof(*pages));
	if (next_byte() == 0xfd)
		return -ESRCH;
	for (int n = 0; n < 3; n++)
		pages[n] = next_byte();
	return 0;
}

/* A page's node, or an error, as the input says. */
static int answer(void)
{
	static const int errs[] = { -ENOENT, -EFAULT, -EACCES, -EBUSY,
				    -ENOMEM, -EPERM };
	uint8_t b = next_byte();

	if (b < 96)
		return 1 + (b & 1);		/* a slow node */
	if (b < 192)
		return 0;			/* the fast node */
	if (b < 200)
		return 7;			/* a node tierd does not know */
	return errs[b % (sizeof(errs) / sizeof(errs[0]))];
}

int migrate_query(pid_t pid, uint32_t nr, const uint64_t *addrs, int *status)
{
	if (next_byte() == 0xfe)
		return next_byte() & 1 ? -ESRCH : -EPERM;
	for (uint32_t i = 0; i < nr; i++)
		status[i] = answer();
	return 0;
}

int migrate_move(pid_t pid, uint32_t nr, const uint64_t *addrs,
		 const int *nodes, int *status)
{
	int left = 0;

	if (next_byte() == 0xfe)
		return next_byte() & 1 ? -ESRCH : -ENOMEM;
	for (uint32_t i = 0; i < nr; i++) {
		status[i] = next_byte() < 200 ? nodes[i] : answer();
		left += status[i] != nodes[i];
	}
	return left;
}

void tierd_log(int prio, const char *fmt, ...)
{
}

void tierd_log_fields(int prio, const struct log_fields *f, const char *fmt,
		      ...)
{
}

/* ---- the target ---- */

static void config_of(uint8_t b, struct tierd_config *cfg)
{
	tierd_config_defaults(cfg);
	cfg->granule_kb = b & 1 ? 2048 : 4;
	cfg->read_weight = (b >> 1) & 3;
	cfg->write_weight = ((b >> 3) & 3) ? (b >> 3) & 3 : 1;
	cfg->rate_limit_mbps = b & 0x20 ? 1 : 0;
	cfg->batch_pages = b & 0x40 ? 1 : 64;
	cfg->min_free_mb = b & 0x80 ? 512 : 0;
	cfg->table_max_folios = 1024;
	cfg->rearm_interval_ms = 100;
	cfg->window_ms = 200;
}

static void check(struct pipeline *p, uint64_t now, uint64_t start,
		  uint64_t base, const struct tierd_config *cfg)
{
	static struct tierd_stats st;
	uint64_t to = 0;

	memset(&st, 0, sizeof(st));
	pipeline_get_stats(p, now, &st);
	for (unsigned int n = 0; n < st.nr_nodes && n < 64; n++)
		to += st.node[n].promoted_to_pages;
	if (st.promoted_pages != st.move_status[TIERD_MOVE_OK] ||
	    st.promoted_pages != to ||
	    st.promoted_bytes != st.promoted_pages * 4096 ||
	    st.promoted_pages > st.move_pages_requested ||
	    st.table_size > st.table_cap)
		abort();
	if (cfg->rate_limit_mbps) {
		/* the bucket holds max(1 s, two ticks) of rate */
		uint64_t rate = (uint64_t)cfg->rate_limit_mbps << 20;
		uint64_t burst = rate;

		if (burst < (uint64_t)cfg->granule_kb * 1024)
			burst = (uint64_t)cfg->granule_kb * 1024;
		if (st.promoted_bytes - base > rate * (now - start) / 1000 + burst)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world w = { .data = data, .size = size };
	struct tierd_config cfg, next;
	struct pipeline *p = NULL;
	uint64_t start = 1000000, now = start, base = 0;
	static struct tierd_stats st;
	char err[512];
	size_t i = 1;

	if (!size)
		return 0;
	W = &w;
	w.slow_users = data[0] & 1;
	w.whole_scope = !w.slow_users || (data[0] & 2);
	config_of(data[0], &cfg);
	if (pipeline_create(&cfg, now, &p, err, sizeof(err)) < 0)
		abort();	/* a valid config on a sane topology */
	w.pos = i;
	while (i < size) {
		uint8_t op = data[i++];

		if (op == 'R' && size - i >= sizeof(struct tierd_event)) {
			struct tierd_event ev;

			memcpy(&ev, data + i, sizeof(ev));
			i += sizeof(ev);
			/* mostly processes in scope, some strangers */
			if (!(ev.tgid & 0x80000000u))
				ev.tgid = FIRST_PID + ev.tgid % (NR_PIDS + 1);
			if (w.nr_queued < MAX_QUEUED)
				w.queued[w.nr_queued++] = ev;
			if (w.nr_queued > MAX_QUEUED / 2)
				pipeline_on_events(p, now);
			continue;
		}
		if (op == 'C') {
			config_of(data[0] ^ 0x1f, &next);
			if (pipeline_reconfigure(p, &next, err, sizeof(err)) == 0)
				cfg = next;
			/* the bucket starts over */
			memset(&st, 0, sizeof(st));
			pipeline_get_stats(p, now, &st);
			start = now;
			base = st.promoted_bytes;
			continue;
		}
		if (op == 'T' && size - i >= 2) {
			now += 1 + (data[i] | (uint64_t)data[i + 1] << 8);
			i += 2;
		} else {
			now += 1;
		}
		w.pos = i;
		pipeline_tick(p, now);
		check(p, now, start, base, &cfg);
	}
	pipeline_destroy(p);
	W = NULL;
	return 0;
}
