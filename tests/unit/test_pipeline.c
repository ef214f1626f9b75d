// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the promotion pipeline (daemon/pipeline/).
 *
 * The real pipeline and the pure core (hotness, policy, tier choice) run
 * unchanged; only the thin edges are fakes driven by the test:
 *
 * - collector_*, migrate_*, procfs_* and numa_* by link-time substitution:
 *   their real modules (sources/, os/) are not linked at all.  Nothing else
 *   in them is wanted, and the sources would drag in libbpf and the
 *   skeleton, so defining the whole narrow interface here is simpler than
 *   wrapping each symbol.
 * - tierd_log() and tierd_log_fields() with -Wl,--wrap, to count the
 *   warnings the pipeline logs.
 *
 * The fakes have no context argument to carry state (their signatures are
 * the real modules'), so they reach the test's world through one pointer set
 * by each test's setup; that pointer is the only mutable file-scope state.
 * Time is always passed in explicitly.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sources/collector.h"
#include "config/config.h"
#include "lib/log.h"
#include "os/migrate.h"
#include "os/numa_nodes.h"
#include "pipeline/pipeline.h"
#include "os/procfs.h"
#include "os/movers.h"
#include "os/owned.h"

#define PAGE		4096ULL
#define T0		100000ULL	/* ms: any start time works */
#define BASE_A		0x7f0000000000ULL
#define BASE_B		0x7e0000000000ULL
#define BASE_C		0x7d0000000000ULL
#define MAX_CALLS	64
#define MAX_EVENTS	4096
#define MAX_PROCS	16

/* ---------------------------------------------------------------- fakes */

struct fake_page {
	pid_t pid;
	uint64_t addr;
	int node;
	int move_err;		/* per-page status move_pages reports */
	bool pinned;		/* isolates, but its migration fails */
	/* reports -EBUSY, but moves with a huge page it belongs to */
	bool moves_with_folio;
	unsigned int move_tries;	/* times it was passed to a move */
};

struct fake_call {
	bool move;		/* migrate_move, else migrate_query */
	pid_t pid;
	uint32_t nr;
	int node;		/* target of a move; MIXED_TARGETS if several */
	uint64_t *addrs;
	int *nodes;		/* per-page targets of a move */
};

#define MIXED_TARGETS (-2)

struct fake_proc {
	pid_t pid;
	char comm[TIERD_COMM_LEN];
	bool uses_slow;
};

struct collector {
	collector_event_fn fn;
	void *ctx;
	bool active[TIERD_SRC_NR];
};

struct world {
	struct numa_topology topo;
	uint64_t free_bytes[TIERD_MAX_NODES];
	/* nodeN/vmstat: the node has pgpromote_fence{,_failed} */
	bool fence[TIERD_MAX_NODES];
	uint64_t fence_ok[TIERD_MAX_NODES], fence_failed[TIERD_MAX_NODES];
	struct kernel_features feat;

	struct fake_proc procs[MAX_PROCS];
	size_t nr_procs;

	struct fake_page *pages;
	size_t nr_pages, cap_pages;
	int default_node;	/* where a page never seen before lives */

	struct fake_call calls[MAX_CALLS];
	size_t nr_calls;
	/* whole-call errors, for one pid (0 = none) */
	pid_t query_fail_pid, move_fail_pid;
	int query_fail_err, move_fail_err;
	/* a move runs out of target memory after this many pages (0 = never) */
	uint32_t move_enomem_after;

	struct tierd_event pending[MAX_EVENTS];
	size_t nr_pending;
	struct collector *live;
	/* what the last collector_open() was told of the private-node lists */
	char sysfs_error_seen[192];
	unsigned int opens, closes, reconfigures, set_tracked_calls;
	pid_t tracked[MAX_PROCS];
	size_t nr_tracked;
	unsigned int clear_soft_dirty;
	unsigned int owned_opens, owned_closes, owned_sets;
	struct movers_seen movers;

	unsigned int warnings;
	char last_warning[1024];

	uint64_t slow_nodes;		/* collector_set_slow_nodes() */
	unsigned int adopts;		/* collector_adopt() calls */
	unsigned int carries;		/* collector_carry() calls */
	struct source_adopt last_adopt;
};

static struct world *W;

void __wrap_tierd_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void __wrap_tierd_log_fields(int prio, const struct log_fields *f,
			     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int numa_topology_read(struct numa_topology *topo)
{
	*topo = W->topo;
	return 0;
}

int numa_node_memory(int node, uint64_t *free_bytes, uint64_t *total_bytes)
{
	if (node < 0 || node >= (int)W->topo.nr_nodes)
		return -ENODEV;
	*free_bytes = W->free_bytes[node];
	if (total_bytes)
		*total_bytes = 64ULL << 30;
	return 0;
}

int numa_node_vmstat(const char *root, int node, const char *const *names,
		     size_t n, uint64_t *values)
{
	int found = 0;

	assert_string_equal(root, "");
	if (node < 0 || node >= (int)W->topo.nr_nodes || !W->fence[node])
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(names[i], "pgpromote_fence"))
			values[i] = W->fence_ok[node];
		else if (!strcmp(names[i], "pgpromote_fence_failed"))
			values[i] = W->fence_failed[node];
		else
			continue;
		found |= 1 << i;
	}
	return found;
}

static void count_warning(int prio, const char *fmt, va_list ap)
{
	if (prio != LOG_WARNING)
		return;
	W->warnings++;
	vsnprintf(W->last_warning, sizeof(W->last_warning), fmt, ap);
}

void __wrap_tierd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	count_warning(prio, fmt, ap);
	va_end(ap);
}

void __wrap_tierd_log_fields(int prio, const struct log_fields *f,
			     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	count_warning(prio, fmt, ap);
	va_end(ap);
}

static struct fake_proc *fake_proc_of(pid_t pid)
{
	for (size_t i = 0; i < W->nr_procs; i++)
		if (W->procs[i].pid == pid)
			return &W->procs[i];
	return NULL;
}

void probe_kernel(struct kernel_features *f)
{
	*f = W->feat;
}

int collector_open(const struct tierd_config *cfg,
		   const struct kernel_features *f, struct owned *owned,
		   collector_event_fn fn, void *fn_ctx,
		   struct collector **out, char *err, size_t errlen)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fn = fn;
	c->ctx = fn_ctx;
	snprintf(W->sysfs_error_seen, sizeof(W->sysfs_error_seen), "%s",
		 f->private_sysfs_error);
	c->active[TIERD_SRC_PRIVATE_NODE] =
		cfg->src_private_node != TIERD_OFF && f->private_node_tp;
	c->active[TIERD_SRC_SOFT_DIRTY] =
		cfg->src_soft_dirty != TIERD_OFF && f->soft_dirty &&
		f->page_fault_user_tp;
	c->active[TIERD_SRC_NUMA_HINT] =
		cfg->src_numa_hint != TIERD_OFF && f->hint_hook &&
		f->lower_tier && owned;
	W->opens++;
	W->live = c;
	*out = c;
	return 0;
}

void collector_close(struct collector *c)
{
	W->closes++;
	if (W->live == c)
		W->live = NULL;
	free(c);
}

int collector_ring_fd(const struct collector *c)
{
	/* never polled by pipeline.c, only compared with -1 */
	for (int s = 0; s < TIERD_SRC_NR; s++)
		if (c->active[s])
			return 1000;
	return -1;
}

int collector_consume(struct collector *c, bool *more)
{
	if (more)
		*more = false;
	size_t n = W->nr_pending;

	/* exactly what the ring buffer callback would hand over */
	W->nr_pending = 0;
	for (size_t i = 0; i < n; i++)
		c->fn(c->ctx, &W->pending[i]);
	return (int)n;
}

int collector_reconfigure(struct collector *c, const struct tierd_config *cfg)
{
	W->reconfigures++;
	return 0;
}

int collector_set_tracked(struct collector *c, const pid_t *tgids, size_t n,
			  bool filter)
{
	assert_true(n <= MAX_PROCS);
	W->set_tracked_calls++;
	memcpy(W->tracked, tgids, n * sizeof(*tgids));
	W->nr_tracked = n;
	return 0;
}

bool collector_source_active(const struct collector *c, enum tierd_source s)
{
	return c->active[s];
}

/* As the real registry: private_node watches the scope, soft_dirty slow users. */
void collector_tracking(const struct collector *c, bool *slow_users,
			bool *whole_scope)
{
	*whole_scope = c->active[TIERD_SRC_PRIVATE_NODE];
	*slow_users = c->active[TIERD_SRC_SOFT_DIRTY] ||
		      c->active[TIERD_SRC_NUMA_HINT];
}

bool collector_needs_reopen(const struct tierd_config *old,
			    const struct tierd_config *new)
{
	return old->src_private_node != new->src_private_node ||
	       old->src_soft_dirty != new->src_soft_dirty ||
	       old->src_numa_hint != new->src_numa_hint ||
	       old->kernel_map_folios != new->kernel_map_folios;
}

/*
 * The settings record and the movers check: the record is a token (no
 * source here changes settings), the check sees what the test set.
 */
struct owned {
	int unused;
};

int owned_open(const char *path, const char *sysctl_root, struct owned **out,
	       pid_t *holder, char *err, size_t errlen)
{
	*out = calloc(1, sizeof(**out));
	*holder = 0;
	W->owned_opens++;
	return *out ? 0 : -ENOMEM;
}

void owned_close(struct owned *o)
{
	W->owned_closes++;
	free(o);
}

void owned_restore(struct owned *o, const char *owner)
{
}

int owned_sysctl_get(const struct owned *o, const char *name, long *value)
{
	return -ENOENT;
}

int owned_sysctl_set(struct owned *o, const char *owner, const char *name,
		     long value, char *err, size_t errlen)
{
	W->owned_sets++;
	return 0;
}

void movers_detect(const struct owned *o, const char *damon_admin,
		   struct movers_seen *s)
{
	pid_t other = s->other_tierd;

	*s = W->movers;
	s->other_tierd = other;
}

/* The soft-dirty source re-arms (clear_refs) every slow user it is handed. */
void collector_arm(struct collector *c, const struct source_proc *procs,
		   size_t n, uint64_t now_ms)
{
	if (!c->active[TIERD_SRC_SOFT_DIRTY] || !W->feat.soft_dirty)
		return;
	for (size_t i = 0; i < n; i++) {
		assert_non_null(fake_proc_of(procs[i].pid));
		W->clear_soft_dirty += procs[i].slow;
	}
}

void collector_carry(struct collector *to, struct collector *from)
{
	W->carries++;
}

void collector_set_slow_nodes(struct collector *c, uint64_t slow_mask)
{
	W->slow_nodes = slow_mask;
}

int collector_adopt(struct collector *c, const struct source_adopt *a,
		    uint64_t now_ms, char *msg, size_t msglen)
{
	W->adopts++;
	W->last_adopt = *a;
	snprintf(msg, msglen, "adopted by the fake");
	return 0;
}

void collector_read_stats(const struct collector *c,
			  struct tierd_source_stats src[TIERD_SRC_NR])
{
	memset(src, 0, TIERD_SRC_NR * sizeof(*src));
	for (int s = 0; s < TIERD_SRC_NR; s++) {
		src[s].active = c->active[s];
		snprintf(src[s].state, sizeof(src[s].state), "%s",
			 c->active[s] ? "active" : "off");
	}
}

int procfs_list_pids(pid_t **pids)
{
	pid_t *v = malloc((W->nr_procs + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < W->nr_procs; i++)
		v[i] = W->procs[i].pid;
	*pids = v;
	return (int)W->nr_procs;
}

int procfs_read_comm(pid_t pid, char *buf, size_t len)
{
	struct fake_proc *fp = fake_proc_of(pid);

	if (!fp)
		return -ESRCH;
	snprintf(buf, len, "%s", fp->comm);
	return 0;
}

int procfs_read_cgroup(pid_t pid, char *buf, size_t len)
{
	if (!fake_proc_of(pid))
		return -ESRCH;
	snprintf(buf, len, "/test.slice");
	return 0;
}

int procfs_node_pages(pid_t pid, uint64_t pages[64])
{
	struct fake_proc *fp = fake_proc_of(pid);
	uint64_t slow = W->topo.mem_mask & ~W->topo.cpu_mask;

	memset(pages, 0, 64 * sizeof(*pages));
	if (!fp)
		return -ESRCH;
	pages[0] = 3;
	for (int n = 0; n < 64 && fp->uses_slow; n++)
		if (slow & (1ULL << n))
			pages[n] = 5;
	return 0;
}


static struct fake_page *page_of(pid_t pid, uint64_t addr)
{
	struct fake_page *pg;

	for (size_t i = 0; i < W->nr_pages; i++)
		if (W->pages[i].pid == pid && W->pages[i].addr == addr)
			return &W->pages[i];
	if (W->nr_pages == W->cap_pages) {
		size_t cap = W->cap_pages ? 2 * W->cap_pages : 1024;

		W->pages = realloc(W->pages, cap * sizeof(*W->pages));
		assert_non_null(W->pages);
		W->cap_pages = cap;
	}
	pg = &W->pages[W->nr_pages++];
	*pg = (struct fake_page){ .pid = pid, .addr = addr,
				  .node = W->default_node };
	return pg;
}

static void log_call(bool move, pid_t pid, uint32_t nr, const uint64_t *addrs,
		     int node)
{
	struct fake_call *c;

	assert_true(W->nr_calls < MAX_CALLS);
	c = &W->calls[W->nr_calls++];
	*c = (struct fake_call){ .move = move, .pid = pid, .nr = nr,
				 .node = node };
	c->addrs = malloc((nr ? nr : 1) * sizeof(*addrs));
	assert_non_null(c->addrs);
	memcpy(c->addrs, addrs, nr * sizeof(*addrs));
}

int migrate_query(pid_t pid, uint32_t nr, const uint64_t *addrs, int *status)
{
	log_call(false, pid, nr, addrs, -1);
	if (W->query_fail_pid == pid)
		return W->query_fail_err;
	for (uint32_t i = 0; i < nr; i++)
		status[i] = page_of(pid, addrs[i])->node;
	return 0;
}

/*
 * Migrate one chunk [start, end) as the kernel does: every page but a
 * pinned one moves; if any failed, the chunk's statuses are not written
 * and the count of failures comes back.  Out of memory after
 * move_enomem_after pages: -ENOMEM, statuses not written either.
 */
static int fake_migrate_chunk(pid_t pid, const uint64_t *addrs,
			      const int *nodes, int *status, uint32_t start,
			      uint32_t end, uint32_t *moved)
{
	int failed = 0;

	for (uint32_t i = start; i < end; i++) {
		struct fake_page *pg = page_of(pid, addrs[i]);

		if (W->move_enomem_after && *moved >= W->move_enomem_after)
			return -ENOMEM;
		if (pg->pinned) {
			failed++;
			continue;
		}
		pg->node = nodes[i];
		(*moved)++;
	}
	if (failed)
		return failed;
	for (uint32_t i = start; i < end; i++)
		status[i] = nodes[i];
	return 0;
}

int migrate_move(pid_t pid, uint32_t nr, const uint64_t *addrs,
		 const int *nodes, int *status)
{
	struct fake_call *c;
	uint32_t start = 0, moved = 0;
	int ret;

	log_call(true, pid, nr, addrs, nr ? nodes[0] : -1);
	c = &W->calls[W->nr_calls - 1];
	c->nodes = malloc((nr ? nr : 1) * sizeof(*nodes));
	assert_non_null(c->nodes);
	memcpy(c->nodes, nodes, nr * sizeof(*nodes));
	for (uint32_t i = 1; i < nr; i++)
		if (nodes[i] != nodes[0])
			c->node = MIXED_TARGETS;
	if (W->move_fail_pid == pid)
		return W->move_fail_err;
	/*
	 * As do_pages_move(): a page that cannot be queued gets its status at
	 * once and ends the chunk before it; a chunk that fails ends the call,
	 * returning its failures plus the pages never looked at.
	 */
	for (uint32_t i = 0; i < nr; i++) {
		struct fake_page *pg = page_of(pid, addrs[i]);

		pg->move_tries++;
		if (pg->moves_with_folio) {
			pg->node = nodes[i];
			status[i] = -EBUSY;
		} else if (pg->move_err) {
			status[i] = pg->move_err;
		} else {
			continue;
		}
		ret = fake_migrate_chunk(pid, addrs, nodes, status, start, i,
					 &moved);
		if (ret)
			return ret < 0 ? ret : ret + (int)(nr - i - 1);
		start = i + 1;
	}
	return fake_migrate_chunk(pid, addrs, nodes, status, start, nr, &moved);
}

/* -------------------------------------------------------------- helpers */

static int setup(void **state)
{
	W = calloc(1, sizeof(*W));
	assert_non_null(W);
	/* node 0: CPUs and DRAM; node 1: CPU-less slow memory */
	W->topo = (struct numa_topology){
		.numa = true, .nr_nodes = 2, .mem_mask = 3, .cpu_mask = 1,
		.distance = { [0] = { 10, 20 }, [1] = { 20, 10 } },
	};
	W->free_bytes[0] = 32ULL << 30;
	W->free_bytes[1] = 32ULL << 30;
	W->feat = (struct kernel_features){
		.btf = true, .private_node_tp = true,
		.page_fault_user_tp = true,
	};
	W->default_node = 1;
	return 0;
}

static int teardown(void **state)
{
	for (size_t i = 0; i < W->nr_calls; i++) {
		free(W->calls[i].addrs);
		free(W->calls[i].nodes);
	}
	free(W->pages);
	free(W);
	W = NULL;
	return 0;
}

static void clear_calls(void)
{
	for (size_t i = 0; i < W->nr_calls; i++) {
		free(W->calls[i].addrs);
		free(W->calls[i].nodes);
	}
	W->nr_calls = 0;
}

static void add_proc(pid_t pid, const char *comm)
{
	assert_true(W->nr_procs < MAX_PROCS);
	W->procs[W->nr_procs] = (struct fake_proc){ .pid = pid };
	snprintf(W->procs[W->nr_procs].comm, TIERD_COMM_LEN, "%s", comm);
	W->nr_procs++;
}

static void remove_proc(pid_t pid)
{
	for (size_t i = 0; i < W->nr_procs; i++)
		if (W->procs[i].pid == pid) {
			W->procs[i] = W->procs[--W->nr_procs];
			return;
		}
	fail_msg("no fake process %d", (int)pid);
}

/* A record as the private-node BPF program would send it. */
static void inject(pid_t tgid, uint64_t addr, uint32_t faults)
{
	assert_true(W->nr_pending < MAX_EVENTS);
	W->pending[W->nr_pending++] = (struct tierd_event){
		.ts_ns = 1, .addr = addr, .tgid = (uint32_t)tgid,
		.faults = faults, .nid = 1,
		.source = TIERD_SRC_PRIVATE_NODE, .handled = 1, .on_slow = 1,
	};
}

/*
 * A private-node record about a move the kernel made (TIERD_KMOVE_OK, to
 * @dst) or tried (TIERD_KMOVE_FAILED), as tierd_np_fault and
 * tierd_np_migrate send them.
 */
static void inject_kmove(pid_t tgid, uint64_t addr, uint8_t kmove,
			 uint16_t dst, uint32_t faults, uint32_t writes)
{
	assert_true(W->nr_pending < MAX_EVENTS);
	W->pending[W->nr_pending++] = (struct tierd_event){
		.ts_ns = 1, .addr = addr, .tgid = (uint32_t)tgid,
		.faults = faults, .writes = writes, .nid = 1,
		.source = TIERD_SRC_PRIVATE_NODE, .handled = 1,
		.on_slow = kmove != TIERD_KMOVE_OK, .kmove = kmove,
		.dst_nid = dst,
	};
}

/* Defaults, but unlimited rate and a small table: each test narrows. */
static void base_config(struct tierd_config *cfg)
{
	tierd_config_defaults(cfg);
	/* the scenarios below count records of 1 and 2 faults against 2 */
	cfg->promote_score = 2.0;
	cfg->rate_limit_mbps = 0;
	cfg->table_max_folios = 65536;
}

/* Create at T0 and run the first tick, which scans /proc. */
/*
 * A tierd up for FILL_MS by T0: its token bucket, empty at start, holds
 * a full burst by then (the largest here: one 2 MiB granule at 1 MiB/s).
 */
#define FILL_MS		2000ULL

static struct pipeline *start(const struct tierd_config *cfg)
{
	struct pipeline *p = NULL;
	char err[512] = "";
	int ret;

	ret = pipeline_create(cfg, T0 - FILL_MS, &p, err, sizeof(err));
	if (ret < 0)
		fail_msg("pipeline_create: %d %s", ret, err);
	assert_int_equal(pipeline_tick(p, T0), 0);
	return p;
}

static void deliver(struct pipeline *p, uint64_t now)
{
	assert_int_equal(pipeline_on_events(p, now), 0);
}

static struct tierd_stats *stats(struct pipeline *p, uint64_t now)
{
	static struct tierd_stats st;	/* big; one snapshot at a time */

	memset(&st, 0, sizeof(st));
	pipeline_get_stats(p, now, &st);
	return &st;
}

static const struct tierd_pid_stats *pid_stats(const struct tierd_stats *st,
					       pid_t pid)
{
	for (unsigned int i = 0; i < st->nr_pids; i++)
		if (st->pid[i].pid == pid)
			return &st->pid[i];
	fail_msg("pid %d not in stats", (int)pid);
	return NULL;
}

/* Call @i is a query (or move to @node) of @pid with addrs @want[0..nr). */
static void assert_call(size_t i, bool move, pid_t pid, int node,
			const uint64_t *want, uint32_t nr)
{
	const struct fake_call *c;

	if (i >= W->nr_calls)
		fail_msg("call %zu missing (%zu calls)", i, W->nr_calls);
	c = &W->calls[i];
	assert_int_equal(c->move, move);
	assert_int_equal(c->pid, pid);
	assert_int_equal(c->nr, nr);
	if (move)
		assert_int_equal(c->node, node);
	for (uint32_t k = 0; k < nr; k++)
		if (c->addrs[k] != want[k])
			fail_msg("call %zu addr %u: %#llx, want %#llx", i, k,
				 (unsigned long long)c->addrs[k],
				 (unsigned long long)want[k]);
}

static size_t count_calls(bool move)
{
	size_t n = 0;

	for (size_t i = 0; i < W->nr_calls; i++)
		n += W->calls[i].move == move;
	return n;
}

/* Whether @addr of @pid appears in any query or move so far. */
static bool addr_seen(pid_t pid, uint64_t addr)
{
	for (size_t i = 0; i < W->nr_calls; i++)
		for (uint32_t k = 0; k < W->calls[i].nr; k++)
			if (W->calls[i].pid == pid && W->calls[i].addrs[k] == addr)
				return true;
	return false;
}

static bool tracked(struct pipeline *p, pid_t pid, uint64_t addr, uint64_t now)
{
	struct folio_info fi[256];
	size_t n = pipeline_top_folios(p, pid, now, fi, 256);

	for (size_t i = 0; i < n; i++)
		if (fi[i].addr == addr)
			return true;
	return false;
}

/* ---------------------------------------------------------------- tests */

/* A soft-dirty record whose crossing fault came at @ts_ms. */
static void inject_soft_dirty(pid_t tgid, uint64_t addr, uint32_t faults,
			      uint64_t ts_ms)
{
	assert_true(W->nr_pending < MAX_EVENTS);
	W->pending[W->nr_pending++] = (struct tierd_event){
		.ts_ns = ts_ms * 1000000ULL, .addr = addr,
		.tgid = (uint32_t)tgid, .faults = faults, .writes = faults,
		.nid = TIERD_NID_NONE, .source = TIERD_SRC_SOFT_DIRTY,
	};
}

/*
 * Equal scores, room for two: the folios that faulted sooner after the
 * re-arm move, a record still from the interval before is timed against
 * the re-arm before, and the one that faulted late waits.
 */
static void test_sooner_after_rearm_first(void **state)
{
	struct tierd_config cfg;
	struct pipeline *p;
	const uint64_t late = BASE_A, soon = BASE_A + PAGE;
	const uint64_t before = BASE_A + 2 * PAGE;

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.rearm_interval_ms = 500;
	p = start(&cfg);
	assert_int_equal(pipeline_tick(p, T0 + 500), 0);
	W->free_bytes[0] = (cfg.min_free_mb << 20) + 2 * PAGE;
	clear_calls();
	inject_soft_dirty(101, late, 2, T0 + 900);
	inject_soft_dirty(101, soon, 2, T0 + 520);
	/* in the ring buffer across the re-arm: 10 ms after the one before */
	inject_soft_dirty(101, before, 2, T0 + 10);
	deliver(p, T0 + 950);
	assert_int_equal(pipeline_pass(p, T0 + 960), 0);
	assert_int_equal(W->nr_calls, 2);
	assert_call(1, true, 101, 0, (uint64_t[]){ before, soon }, 2);
	assert_false(addr_seen(101, late));
	pipeline_destroy(p);
}

/*
 * A pass between ticks moves what was recorded since the tick, without a
 * re-arm; at pass_interval_ms >= rearm_interval_ms the main loop runs no
 * passes.  The tick's pass counts in intervals as well.
 */
static void test_pass_between_ticks(void **state)
{
	struct tierd_config cfg;
	struct pipeline *p;
	struct tierd_stats *st;
	char err[256];
	uint64_t armed;

	add_proc(101, "alpha");
	W->feat.soft_dirty = true;
	base_config(&cfg);
	cfg.rearm_interval_ms = 500;
	cfg.pass_interval_ms = 100;
	p = start(&cfg);
	assert_int_equal(pipeline_pass_ms(p), 100);
	armed = W->clear_soft_dirty;

	inject(101, BASE_A, 3);
	deliver(p, T0 + 50);
	clear_calls();
	assert_int_equal(pipeline_pass(p, T0 + 100), 0);
	assert_int_equal(W->nr_calls, 2);
	assert_call(0, false, 101, -1, (uint64_t[]){ BASE_A }, 1);
	assert_call(1, true, 101, 0, (uint64_t[]){ BASE_A }, 1);
	/* a pass re-arms nothing and ages nothing */
	assert_int_equal(W->clear_soft_dirty, armed);
	st = stats(p, T0 + 100);
	assert_int_equal(st->intervals, 2);
	assert_int_equal(st->promoted_pages, 1);

	/* nothing new: the next pass asks the kernel nothing */
	clear_calls();
	assert_int_equal(pipeline_pass(p, T0 + 200), 0);
	assert_int_equal(W->nr_calls, 0);

	/* a pass as rare as the re-arm is the tick's own */
	cfg.pass_interval_ms = 500;
	assert_int_equal(pipeline_reconfigure(p, &cfg, err, sizeof(err)), 0);
	assert_int_equal(pipeline_pass_ms(p), 0);
	cfg.pass_interval_ms = 60000;
	assert_int_equal(pipeline_reconfigure(p, &cfg, err, sizeof(err)), 0);
	assert_int_equal(pipeline_pass_ms(p), 0);
	pipeline_destroy(p);
}

/*
 * Hot folios of two processes: queried and moved to node 0 in batches of
 * batch_pages, grouped per pid in first-seen (hottest) order; the cold one
 * never appears in a call.
 */
static void test_promote_batches_per_pid(void **state)
{
	struct tierd_config cfg;
	struct pipeline *p;
	struct tierd_stats *st;
	const uint64_t a = BASE_A, b = BASE_A + PAGE, c = BASE_A + 2 * PAGE;
	const uint64_t cold = BASE_A + 3 * PAGE;
	const uint64_t x = BASE_B, y = BASE_B + PAGE;

	add_proc(101, "alpha");
	add_proc(102, "beta");
	base_config(&cfg);
	cfg.batch_pages = 2;
	p = start(&cfg);

	/* scores 9 > 8 > 7 > 6 > 5, the cold one below promote_score 2 */
	inject(101, a, 9);
	inject(102, x, 8);
	inject(101, b, 7);
	inject(102, y, 6);
	inject(101, c, 5);
	inject(101, cold, 1);
	deliver(p, T0 + 10);
	assert_int_equal(pipeline_tick(p, T0 + 20), 0);

	/* 101 [a b] [c], then 102 [x y]: query then move for each batch */
	assert_int_equal(W->nr_calls, 6);
	assert_call(0, false, 101, -1, (uint64_t[]){ a, b }, 2);
	assert_call(1, true, 101, 0, (uint64_t[]){ a, b }, 2);
	assert_call(2, false, 101, -1, (uint64_t[]){ c }, 1);
	assert_call(3, true, 101, 0, (uint64_t[]){ c }, 1);
	assert_call(4, false, 102, -1, (uint64_t[]){ x, y }, 2);
	assert_call(5, true, 102, 0, (uint64_t[]){ x, y }, 2);
	assert_false(addr_seen(101, cold));

	st = stats(p, T0 + 20);
	assert_int_equal(st->intervals, 2);
	assert_int_equal(st->candidates, 5);
	assert_int_equal(st->move_calls, 3);
	assert_int_equal(st->move_pages_requested, 5);
	assert_int_equal(st->promoted_pages, 5);
	assert_int_equal(st->promoted_bytes, 5 * PAGE);
	assert_int_equal(st->move_status[TIERD_MOVE_OK], 5);
	assert_int_equal(st->nr_nodes, 2);
	assert_true(st->node[0].fast && !st->node[0].slow);
	assert_true(st->node[1].slow && !st->node[1].fast);
	assert_int_equal(st->node[1].promoted_from_pages, 5);
	assert_int_equal(st->node[1].promoted_to_pages, 0);
	assert_int_equal(st->node[0].promoted_to_pages, 5);
	assert_int_equal(st->node[0].promoted_from_pages, 0);
	assert_int_equal(pid_stats(st, 101)->promoted_pages, 3);
	assert_int_equal(pid_stats(st, 101)->records, 4);
	assert_int_equal(pid_stats(st, 101)->faults, 22);
	assert_int_equal(pid_stats(st, 102)->promoted_pages, 2);
	assert_int_equal(st->table_size, 6);

	/* promoted folios are in cooldown: the next tick moves nothing */
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 30), 0);
	assert_int_equal(W->nr_calls, 0);
	assert_int_equal(stats(p, T0 + 30)->cooldown_skipped, 5);
	pipeline_destroy(p);
}

/*
 * Granule 2 MiB, rate 1 MiB/s: the bucket holds exactly one granule.  A
 * folio found already on node 0 is not moved and its token comes back, so
 * the next candidate is moved one tick later instead of ~2 s later.
 */
static void test_already_on_fast_refunds_token(void **state)
{
	const uint64_t g = 2ULL << 20, hot = BASE_A, next = BASE_A + g;
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.granule_kb = 2048;
	cfg.rate_limit_mbps = 1;
	p = start(&cfg);
	for (uint64_t k = 0; k < g / PAGE; k++)
		page_of(101, hot + k * PAGE)->node = 0;

	inject(101, hot, 9);
	inject(101, next, 5);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0), 0);

	/* only the hotter one fits the bucket: queried, all 512 on node 0 */
	assert_int_equal(W->nr_calls, 1);
	assert_false(W->calls[0].move);
	assert_int_equal(W->calls[0].nr, 512);
	st = stats(p, T0);
	assert_int_equal(st->move_status[TIERD_MOVE_ALREADY], 512);
	assert_int_equal(st->move_calls, 0);
	assert_int_equal(st->rate_limited, 1);

	/* 1 ms later the refunded token moves the second one */
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);
	assert_int_equal(W->nr_calls, 2);
	assert_false(W->calls[0].move);
	assert_int_equal(W->calls[0].addrs[0], next);
	assert_true(W->calls[1].move);
	assert_int_equal(W->calls[1].nr, 512);
	assert_int_equal(W->calls[1].node, 0);
	st = stats(p, T0 + 1);
	assert_int_equal(st->promoted_pages, 512);
	assert_int_equal(st->rate_limited, 1);
	/* the one on node 0 is in cooldown, not offered again */
	assert_int_equal(st->cooldown_skipped, 1);
	pipeline_destroy(p);
}

/*
 * Per-page statuses of one move call: -EBUSY and -ENOMEM are transient (the
 * folio stays a candidate and is tried again after failure_cooldown_ms),
 * -ENOENT, -EFAULT and -EACCES are permanent (the folio is forgotten).
 */
static void test_move_page_errors(void **state)
{
	const uint64_t busy = BASE_A, nomem = BASE_A + PAGE,
		       noent = BASE_A + 2 * PAGE, efault = BASE_A + 3 * PAGE,
		       eacces = BASE_A + 4 * PAGE, ok = BASE_A + 5 * PAGE;
	const uint64_t all[] = { busy, nomem, noent, efault, eacces, ok };
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	base_config(&cfg);
	p = start(&cfg);
	page_of(101, busy)->move_err = -EBUSY;
	page_of(101, nomem)->move_err = -ENOMEM;
	page_of(101, noent)->move_err = -ENOENT;
	page_of(101, efault)->move_err = -EFAULT;
	page_of(101, eacces)->move_err = -EACCES;
	for (size_t i = 0; i < 6; i++)
		inject(101, all[i], (uint32_t)(20 - i));
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);

	/* the -EBUSY page is asked about again: it may have moved with a folio */
	assert_int_equal(W->nr_calls, 3);
	assert_call(0, false, 101, -1, all, 6);
	assert_call(1, true, 101, 0, all, 6);
	assert_call(2, false, 101, -1, (uint64_t[]){ busy }, 1);
	st = stats(p, T0 + 1);
	assert_int_equal(st->move_calls, 1);
	assert_int_equal(st->move_pages_requested, 6);
	assert_int_equal(st->pages_requeried, 1);
	assert_int_equal(st->promoted_pages, 1);
	assert_int_equal(st->move_status[TIERD_MOVE_OK], 1);
	assert_int_equal(st->move_status[TIERD_MOVE_EBUSY], 1);
	assert_int_equal(st->move_status[TIERD_MOVE_ENOMEM], 1);
	assert_int_equal(st->move_status[TIERD_MOVE_ENOENT], 1);
	assert_int_equal(st->move_status[TIERD_MOVE_EFAULT], 1);
	assert_int_equal(st->move_status[TIERD_MOVE_EACCES], 1);
	assert_true(tracked(p, 101, busy, T0 + 1));
	assert_true(tracked(p, 101, nomem, T0 + 1));
	assert_false(tracked(p, 101, noent, T0 + 1));
	assert_false(tracked(p, 101, efault, T0 + 1));
	assert_false(tracked(p, 101, eacces, T0 + 1));
	assert_true(tracked(p, 101, ok, T0 + 1));

	/* the two transient failures wait out their failure cooldown */
	page_of(101, busy)->move_err = 0;
	page_of(101, nomem)->move_err = 0;
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 2), 0);
	assert_int_equal(W->nr_calls, 0);
	assert_int_equal(stats(p, T0 + 2)->cooldown_skipped, 3);
	/* then they are tried again, and move */
	assert_int_equal(pipeline_tick(p, T0 + 1 + cfg.failure_cooldown_ms), 0);
	assert_int_equal(W->nr_calls, 2);
	assert_call(0, false, 101, -1, (uint64_t[]){ busy, nomem }, 2);
	assert_call(1, true, 101, 0, (uint64_t[]){ busy, nomem }, 2);
	st = stats(p, T0 + 1 + cfg.failure_cooldown_ms);
	assert_int_equal(st->promoted_pages, 3);
	/* summed over passes: 3 at +2 ms, the promoted one now */
	assert_int_equal(st->cooldown_skipped, 4);
	assert_int_equal(st->pages_queried, 8);
	pipeline_destroy(p);
}

/*
 * granule_kb = 2048: one candidate is 512 page addresses.  Two pages are
 * already on node 0 and three not mapped (neither is requested), ten fail
 * with -EBUSY: the folio counts as promoted (some of it moved) and enters
 * cooldown.  Every one of the 512 pages gets exactly one status.
 */
static void test_granule_2m_partial(void **state)
{
	const uint64_t g = 2ULL << 20, f = BASE_A;
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;
	uint64_t want[512];

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.granule_kb = 2048;
	p = start(&cfg);
	page_of(101, f)->node = 0;
	page_of(101, f + PAGE)->node = 0;
	for (int k = 200; k < 203; k++)
		page_of(101, f + k * PAGE)->node = -ENOENT;
	for (int k = 100; k < 110; k++)
		page_of(101, f + k * PAGE)->move_err = -EBUSY;

	inject(101, f, 5);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);

	for (uint64_t k = 0; k < g / PAGE; k++)
		want[k] = f + k * PAGE;
	/* query, move, and the ten -EBUSY pages asked about again */
	assert_int_equal(W->nr_calls, 3);
	assert_call(2, false, 101, -1, want + 100, 10);
	assert_call(0, false, 101, -1, want, 512);
	/* pages 2..199 and 203..511 */
	memmove(want + 200, want + 203, 309 * sizeof(*want));
	assert_call(1, true, 101, 0, want + 2, 507);
	st = stats(p, T0 + 1);
	assert_int_equal(st->move_calls, 1);
	assert_int_equal(st->move_pages_requested, 507);
	assert_int_equal(st->move_status[TIERD_MOVE_ALREADY], 2);
	assert_int_equal(st->move_status[TIERD_MOVE_ENOENT], 3);
	assert_int_equal(st->move_status[TIERD_MOVE_EBUSY], 10);
	assert_int_equal(st->move_status[TIERD_MOVE_OK], 497);
	assert_int_equal(st->promoted_pages, 497);
	assert_int_equal(st->promoted_bytes, 497 * PAGE);
	assert_int_equal(st->node[1].promoted_from_pages, 497);
	assert_int_equal(st->node[0].promoted_to_pages, 497);

	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 2), 0);
	assert_int_equal(W->nr_calls, 0);
	assert_int_equal(stats(p, T0 + 2)->cooldown_skipped, 1);
	pipeline_destroy(p);
}

/* The location query of a process that exited: its folios are forgotten. */
static void test_query_esrch_forgets_process(void **state)
{
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	add_proc(102, "beta");
	base_config(&cfg);
	p = start(&cfg);
	W->query_fail_pid = 101;
	W->query_fail_err = -ESRCH;
	inject(101, BASE_A, 9);
	inject(101, BASE_A + PAGE, 8);
	inject(102, BASE_B, 7);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);

	/* 101 queried (failed, no move), 102 queried and moved */
	assert_int_equal(W->nr_calls, 3);
	assert_call(0, false, 101, -1, (uint64_t[]){ BASE_A, BASE_A + PAGE }, 2);
	assert_call(1, false, 102, -1, (uint64_t[]){ BASE_B }, 1);
	assert_call(2, true, 102, 0, (uint64_t[]){ BASE_B }, 1);
	st = stats(p, T0 + 1);
	assert_int_equal(st->move_status[TIERD_MOVE_ESRCH], 2);
	assert_int_equal(st->move_calls, 1);
	assert_int_equal(st->promoted_pages, 1);
	assert_int_equal(pid_stats(st, 101)->folios_tracked, 0);
	assert_int_equal(pid_stats(st, 102)->folios_tracked, 1);
	assert_int_equal(st->table_size, 1);
	pipeline_destroy(p);
}

/*
 * A process that exited but was not reaped has no memory: the kernel says
 * EINVAL for the whole call.  Its folios are forgotten, without a warning.
 */
static void test_query_einval_forgets_process(void **state)
{
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	base_config(&cfg);
	p = start(&cfg);
	W->query_fail_pid = 101;
	W->query_fail_err = -EINVAL;
	inject(101, BASE_A, 9);
	inject(101, BASE_A + PAGE, 8);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);
	assert_int_equal(W->nr_calls, 1);
	st = stats(p, T0 + 1);
	assert_int_equal(st->move_status[TIERD_MOVE_OTHER], 2);
	assert_int_equal(st->pages_queried, 2);
	assert_int_equal(st->table_size, 0);
	assert_int_equal(W->warnings, 0);
	pipeline_destroy(p);
}

/*
 * move_pages() as the kernel runs it: a page it cannot queue (-EBUSY) gets
 * its status at once and ends the chunk before it; when a migration in a
 * chunk fails (a pinned page) the call returns the number not moved and
 * writes no status for that chunk, though its other pages moved.  tierd
 * asks where those pages are and counts each as what happened to it.
 */
static void test_move_unreported_requeried(void **state)
{
	const uint64_t a = BASE_A, busy = BASE_A + PAGE,
		       pinned = BASE_A + 2 * PAGE, d = BASE_A + 3 * PAGE;
	const uint64_t all[] = { a, busy, pinned, d };
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;
	uint64_t sum = 0;

	add_proc(101, "alpha");
	base_config(&cfg);
	p = start(&cfg);
	page_of(101, busy)->move_err = -EBUSY;
	page_of(101, pinned)->pinned = true;
	for (size_t i = 0; i < 4; i++)
		inject(101, all[i], (uint32_t)(20 - i));
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);

	/* query, move, and the query of the -EBUSY page and the two left
	 * without a status */
	assert_int_equal(W->nr_calls, 3);
	assert_call(1, true, 101, 0, all, 4);
	assert_call(2, false, 101, -1, (uint64_t[]){ busy, pinned, d }, 3);
	assert_int_equal(page_of(101, d)->node, 0);
	st = stats(p, T0 + 1);
	assert_int_equal(st->pages_requeried, 3);
	assert_int_equal(st->move_status[TIERD_MOVE_OK], 2);
	assert_int_equal(st->move_status[TIERD_MOVE_EBUSY], 1);
	assert_int_equal(st->move_status[TIERD_MOVE_EAGAIN], 1);
	assert_int_equal(st->promoted_pages, 2);
	assert_int_equal(pid_stats(st, 101)->promoted_pages, 2);
	/* every page queried has exactly one status */
	for (int k = 0; k < TIERD_MOVE_NR; k++)
		sum += st->move_status[k];
	assert_int_equal(sum, st->pages_queried);
	assert_true(tracked(p, 101, pinned, T0 + 1));
	pipeline_destroy(p);
}

/*
 * A 2 MiB candidate on a huge page: the kernel isolates the folio through
 * its first page, says -EBUSY for the second (already isolated), and moves
 * the whole folio.  The second page is asked about again and counts as
 * moved: all 512 are ok, none ebusy.
 */
static void test_thp_second_page_busy(void **state)
{
	const uint64_t g = 2ULL << 20, f = BASE_A;
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.granule_kb = 2048;
	p = start(&cfg);
	for (uint64_t k = 0; k < g / PAGE; k++)
		page_of(101, f + k * PAGE);
	page_of(101, f + PAGE)->moves_with_folio = true;
	inject(101, f, 5);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);
	assert_int_equal(W->nr_calls, 3);
	assert_call(2, false, 101, -1, (uint64_t[]){ f + PAGE }, 1);
	st = stats(p, T0 + 1);
	assert_int_equal(st->move_status[TIERD_MOVE_OK], 512);
	assert_int_equal(st->move_status[TIERD_MOVE_EBUSY], 0);
	assert_int_equal(st->promoted_pages, 512);
	pipeline_destroy(p);
}

/*
 * The target node runs out of memory part way: move_pages() returns
 * -ENOMEM for the call after moving some pages, with no statuses.  The
 * pages that moved count as promoted, the others as enomem, and those
 * wait out their failure cooldown instead of being asked for every pass.
 */
static void test_move_enomem_partial(void **state)
{
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	base_config(&cfg);
	p = start(&cfg);
	for (int i = 0; i < 6; i++)
		inject(101, BASE_A + i * PAGE, (uint32_t)(20 - i));
	deliver(p, T0);
	W->move_enomem_after = 2;
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);
	assert_int_equal(W->nr_calls, 3);
	assert_int_equal(W->calls[2].nr, 6);
	st = stats(p, T0 + 1);
	assert_int_equal(st->promoted_pages, 2);
	assert_int_equal(st->move_status[TIERD_MOVE_OK], 2);
	assert_int_equal(st->move_status[TIERD_MOVE_ENOMEM], 4);
	assert_int_equal(st->table_size, 6);

	/* memory came back, but the four wait their cooldown out first */
	W->move_enomem_after = 0;
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 500), 0);
	assert_int_equal(W->nr_calls, 0);
	assert_int_equal(pipeline_tick(p, T0 + 1 + cfg.failure_cooldown_ms), 0);
	assert_int_equal(count_calls(true), 1);
	assert_int_equal(stats(p, T0 + 1001)->promoted_pages, 6);
	pipeline_destroy(p);
}

/*
 * A pinned page that stays hot is not asked for every pass: 5 passes a
 * second for 60 s try it at 0, 1, 3, 7, 15 and 31 s (the wait doubles
 * from failure_cooldown_ms = 1000) and not again before 63 s.  With
 * failure_cooldown_ms = 0 (no backoff) it is tried on every pass.
 */
static unsigned int pinned_tries(uint32_t failure_cooldown_ms)
{
	const uint64_t f = BASE_A;
	struct tierd_config cfg;
	struct pipeline *p;
	unsigned int tries;

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.failure_cooldown_ms = failure_cooldown_ms;
	p = start(&cfg);
	page_of(101, f)->pinned = true;
	for (uint64_t t = 0; t < 60000; t += 200) {
		/* the application keeps writing it */
		inject(101, f, 4);
		deliver(p, T0 + t);
		assert_int_equal(pipeline_tick(p, T0 + t), 0);
		clear_calls();
	}
	assert_int_equal(page_of(101, f)->node, 1);
	assert_int_equal(stats(p, T0 + 60000)->move_status[TIERD_MOVE_EAGAIN],
			 page_of(101, f)->move_tries);
	tries = page_of(101, f)->move_tries;
	pipeline_destroy(p);
	W->nr_procs = 0;
	W->nr_pages = 0;
	return tries;
}

static void test_failure_backoff_bounded(void **state)
{
	assert_int_equal(pinned_tries(1000), 6);
	assert_int_equal(pinned_tries(0), 300);
}

/* move_pages() itself says the process is gone. */
static void test_move_esrch_forgets_process(void **state)
{
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	add_proc(102, "beta");
	base_config(&cfg);
	p = start(&cfg);
	W->move_fail_pid = 101;
	W->move_fail_err = -ESRCH;
	inject(101, BASE_A, 9);
	inject(101, BASE_A + PAGE, 8);
	inject(102, BASE_B, 7);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);

	assert_int_equal(W->nr_calls, 4);
	assert_call(1, true, 101, 0, (uint64_t[]){ BASE_A, BASE_A + PAGE }, 2);
	assert_call(3, true, 102, 0, (uint64_t[]){ BASE_B }, 1);
	st = stats(p, T0 + 1);
	assert_int_equal(st->move_status[TIERD_MOVE_ESRCH], 2);
	assert_int_equal(st->move_calls, 2);
	assert_int_equal(st->move_pages_requested, 3);
	assert_int_equal(st->promoted_pages, 1);
	assert_int_equal(pid_stats(st, 101)->folios_tracked, 0);
	assert_int_equal(pid_stats(st, 101)->promoted_pages, 0);
	assert_int_equal(pid_stats(st, 102)->promoted_pages, 1);
	assert_int_equal(W->warnings, 0);
	pipeline_destroy(p);
}

/*
 * move_pages() refused for the whole call: counted per page, the folios
 * dropped, and the warning logged once per process however often it
 * happens.
 */
static void test_move_eperm_warns_once(void **state)
{
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	base_config(&cfg);
	p = start(&cfg);
	W->move_fail_pid = 101;
	W->move_fail_err = -EPERM;
	inject(101, BASE_A, 9);
	inject(101, BASE_A + PAGE, 8);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);
	st = stats(p, T0 + 1);
	assert_int_equal(st->move_status[TIERD_MOVE_EPERM], 2);
	assert_int_equal(st->move_calls, 1);
	assert_int_equal(st->promoted_pages, 0);
	assert_int_equal(pid_stats(st, 101)->folios_tracked, 0);
	assert_int_equal(W->warnings, 1);
	assert_non_null(strstr(W->last_warning, "pid 101 (alpha)"));

	/* the same refusal again: counted, not logged again */
	inject(101, BASE_A + 2 * PAGE, 9);
	deliver(p, T0 + 2);
	assert_int_equal(pipeline_tick(p, T0 + 3), 0);
	assert_int_equal(W->nr_calls, 4);
	st = stats(p, T0 + 3);
	assert_int_equal(st->move_status[TIERD_MOVE_EPERM], 3);
	assert_int_equal(st->move_calls, 2);
	assert_int_equal(W->warnings, 1);
	pipeline_destroy(p);
}

/*
 * A failed move call hands back the tokens of the pages it was asked to
 * move, once: a candidate already refunded because it was found on node 0
 * must not be refunded again.  Rate 1 MiB/s with 4 KiB pages is a bucket of
 * 256 pages; every tick here runs at the same time, so nothing refills.
 */
static void test_move_failure_refunds_once(void **state)
{
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	add_proc(102, "beta");
	base_config(&cfg);
	cfg.rate_limit_mbps = 1;
	p = start(&cfg);
	/* 101: 200 hot folios, one of them already on node 0 */
	for (int i = 0; i < 200; i++)
		inject(101, BASE_A + i * PAGE, 10);
	page_of(101, BASE_A)->node = 0;
	/* 102: 300 warmer-than-threshold folios */
	for (int i = 0; i < 300; i++)
		inject(102, BASE_B + i * PAGE, 5);
	deliver(p, T0);
	W->move_fail_pid = 101;
	W->move_fail_err = -ESRCH;
	assert_int_equal(pipeline_tick(p, T0), 0);

	/* 256 taken: all 200 of 101 (199 to move), 56 of 102 */
	assert_int_equal(W->nr_calls, 4);
	assert_int_equal(W->calls[0].nr, 200);
	assert_int_equal(W->calls[1].nr, 199);
	assert_int_equal(W->calls[3].nr, 56);
	st = stats(p, T0);
	assert_int_equal(st->move_status[TIERD_MOVE_ALREADY], 1);
	assert_int_equal(st->move_status[TIERD_MOVE_ESRCH], 199);
	assert_int_equal(st->promoted_pages, 56);

	/* 1 + 199 pages came back to the bucket, not 1 + 200 */
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0), 0);
	assert_int_equal(W->nr_calls, 2);
	assert_int_equal(W->calls[1].nr, 200);
	assert_int_equal(stats(p, T0)->promoted_pages, 256);
	pipeline_destroy(p);
}

/*
 * Rate 1 MiB/s with 4 KiB pages: the bucket holds one second, 256 pages.
 * The first tick moves 256 of 300 hot folios; 40 ms later 40 * 1048.576
 * bytes have refilled, 10 whole pages.
 */
static void test_rate_limit(void **state)
{
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.rate_limit_mbps = 1;
	p = start(&cfg);
	for (int i = 0; i < 300; i++)
		inject(101, BASE_A + i * PAGE, 5);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0), 0);
	st = stats(p, T0);
	assert_int_equal(st->move_calls, 1);
	assert_int_equal(st->promoted_pages, 256);
	/*
	 * Only one burst's worth plus one is ranked per tick, but every
	 * qualifying folio is counted: 300 candidates, 44 held back (43 not
	 * ranked, 1 ranked but refused by the bucket).
	 */
	assert_int_equal(st->candidates, 300);
	assert_int_equal(st->rate_limited, 44);
	/* the one ranked but refused is charged to its process */
	assert_int_equal(st->nr_pids, 1);
	assert_int_equal(st->pid[0].skipped_rate, 1);
	assert_int_equal(st->pid[0].skipped_headroom, 0);

	assert_int_equal(pipeline_tick(p, T0 + 40), 0);
	st = stats(p, T0 + 40);
	assert_int_equal(st->move_calls, 2);
	assert_int_equal(st->promoted_pages, 266);
	assert_int_equal(st->candidates, 300 + 44);
	assert_int_equal(st->rate_limited, 44 + 34);
	assert_int_equal(W->calls[3].nr, 10);

	/* no time passed: no tokens, every candidate held back */
	assert_int_equal(pipeline_tick(p, T0 + 40), 0);
	st = stats(p, T0 + 40);
	assert_int_equal(st->move_calls, 2);
	assert_int_equal(st->rate_limited, 44 + 34 + 34);
	pipeline_destroy(p);
}

/*
 * A new tierd's bucket is empty, so a tierd restarted in a loop gets no
 * burst per start; a reload carries the tokens over instead of refilling.
 * 1 MiB/s is 25.6 pages per 100 ms.
 */
static void test_bucket_empty_at_start(void **state)
{
	struct tierd_config cfg;
	struct pipeline *p = NULL;
	char err[512] = "";

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.rate_limit_mbps = 1;
	assert_int_equal(pipeline_create(&cfg, T0, &p, err, sizeof(err)), 0);
	assert_int_equal(pipeline_tick(p, T0), 0);	/* finds pid 101 */
	for (int i = 0; i < 300; i++)
		inject(101, BASE_A + i * PAGE, 5);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0), 0);
	assert_int_equal(stats(p, T0)->promoted_pages, 0);
	assert_int_equal(stats(p, T0)->rate_limited, 300);

	assert_int_equal(pipeline_tick(p, T0 + 100), 0);
	assert_int_equal(stats(p, T0 + 100)->promoted_pages, 25);

	/* 0.6 page left; a full bucket after the reload would move 256 */
	assert_int_equal(pipeline_reconfigure(p, &cfg, err, sizeof(err)), 0);
	assert_int_equal(pipeline_tick(p, T0 + 200), 0);
	assert_int_equal(stats(p, T0 + 200)->promoted_pages, 25 + 26);
	pipeline_destroy(p);
}

/* Fast node free memory below min_free + one page: nothing moves. */
static void test_headroom(void **state)
{
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.min_free_mb = 1024;
	p = start(&cfg);
	W->free_bytes[0] = (1024ULL << 20) + PAGE - 1;
	for (int i = 0; i < 3; i++)
		inject(101, BASE_A + i * PAGE, (uint32_t)(9 - i));
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);
	assert_int_equal(W->nr_calls, 0);
	st = stats(p, T0 + 1);
	assert_int_equal(st->headroom_blocked, 3);
	assert_int_equal(st->move_calls, 0);
	assert_int_equal(st->pid[0].skipped_headroom, 3);
	assert_int_equal(st->pid[0].skipped_rate, 0);

	/* room for exactly two pages: the two hottest move */
	W->free_bytes[0] = (1024ULL << 20) + 2 * PAGE;
	assert_int_equal(pipeline_tick(p, T0 + 2), 0);
	assert_call(1, true, 101, 0, (uint64_t[]){ BASE_A, BASE_A + PAGE }, 2);
	st = stats(p, T0 + 2);
	assert_int_equal(st->headroom_blocked, 4);
	assert_int_equal(st->promoted_pages, 2);
	pipeline_destroy(p);
}

/*
 * A promoted folio whose query after the cooldown shows it back on node 1
 * is a ping-pong: counted, moved again, and its next cooldown doubled
 * (pingpong_backoff 2).
 */
static void test_pingpong_backoff(void **state)
{
	const uint64_t f = BASE_A;
	struct tierd_config cfg;
	struct pipeline *p;

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.window_ms = 1000;
	cfg.decay = 0.99;
	cfg.cooldown_ms = 2000;
	cfg.pingpong_backoff = 2;
	p = start(&cfg);
	inject(101, f, 8);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0), 0);
	assert_int_equal(count_calls(true), 1);
	assert_int_equal(page_of(101, f)->node, 0);

	/* in cooldown: not even queried */
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 1999), 0);
	assert_int_equal(W->nr_calls, 0);

	/* the kernel demoted it meanwhile */
	page_of(101, f)->node = 1;
	assert_int_equal(pipeline_tick(p, T0 + 2000), 0);
	assert_int_equal(W->nr_calls, 2);
	assert_call(1, true, 101, 0, (uint64_t[]){ f }, 1);
	assert_int_equal(stats(p, T0 + 2000)->pingpongs, 1);
	assert_int_equal(stats(p, T0 + 2000)->promoted_pages, 2);

	/* the second cooldown is 4 s: not offered at +2 s, offered at +4 s */
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 4000), 0);
	assert_int_equal(pipeline_tick(p, T0 + 5999), 0);
	assert_int_equal(W->nr_calls, 0);
	assert_int_equal(pipeline_tick(p, T0 + 6000), 0);
	/* still on node 0 now: a re-check query, no move, no ping-pong */
	assert_int_equal(W->nr_calls, 1);
	assert_false(W->calls[0].move);
	assert_int_equal(stats(p, T0 + 6000)->pingpongs, 1);
	assert_int_equal(stats(p, T0 + 6000)->move_status[TIERD_MOVE_ALREADY], 1);
	pipeline_destroy(p);
}

/*
 * An application that moves its pages back (mbind MPOL_MF_MOVE) after
 * tierd's re-check found them still on node 0: still a ping-pong, so the
 * cooldown doubles instead of the page moving back and forth at the
 * cooldown's pace.
 */
static void test_pingpong_after_recheck(void **state)
{
	const uint64_t f = BASE_A;
	struct tierd_config cfg;
	struct pipeline *p;

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.window_ms = 1000;
	cfg.decay = 0.99;
	cfg.cooldown_ms = 1000;
	cfg.pingpong_backoff = 2;
	p = start(&cfg);
	inject(101, f, 8);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0), 0);
	assert_int_equal(page_of(101, f)->node, 0);
	/* re-check after the cooldown: still on node 0 */
	assert_int_equal(pipeline_tick(p, T0 + 1000), 0);
	assert_int_equal(stats(p, T0 + 1000)->move_status[TIERD_MOVE_ALREADY], 1);
	/* moved back by the application; the next re-check sees it */
	page_of(101, f)->node = 1;
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 2000), 0);
	assert_int_equal(count_calls(true), 1);
	assert_int_equal(stats(p, T0 + 2000)->pingpongs, 1);
	/* and its next cooldown is 2 s, not 1 */
	page_of(101, f)->node = 1;
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 3999), 0);
	assert_int_equal(W->nr_calls, 0);
	assert_int_equal(pipeline_tick(p, T0 + 4000), 0);
	assert_int_equal(count_calls(true), 1);
	assert_int_equal(stats(p, T0 + 4000)->pingpongs, 2);
	pipeline_destroy(p);
}

/*
 * After its cooldown a promoted folio comes back only as a re-check and
 * ranks after every folio still on the slow tier, however hot it is
 * (commit a2759cb).  With a bucket of one 2 MiB granule only the first in
 * rank is served, so it must be the slow one.
 */
static void test_recheck_ranks_after_slow(void **state)
{
	const uint64_t g = 2ULL << 20, hot = BASE_A, warm = BASE_A + g;
	struct tierd_config cfg;
	struct pipeline *p;

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.granule_kb = 2048;
	cfg.rate_limit_mbps = 1;
	cfg.window_ms = 1000;
	cfg.decay = 0.99;
	cfg.cooldown_ms = 2000;
	p = start(&cfg);
	inject(101, hot, 50);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0), 0);
	assert_int_equal(count_calls(true), 1);

	/* a much colder folio on the slow tier shows up */
	inject(101, warm, 3);
	deliver(p, T0 + 2500);
	clear_calls();
	/* 2.5 s refilled more than one granule; hot's cooldown is over */
	assert_int_equal(pipeline_tick(p, T0 + 2500), 0);
	assert_int_equal(W->nr_calls, 2);
	assert_int_equal(W->calls[0].addrs[0], warm);
	assert_true(W->calls[1].move);
	assert_int_equal(W->calls[1].addrs[0], warm);
	assert_false(addr_seen(101, hot));
	assert_int_equal(stats(p, T0 + 2500)->rate_limited, 1);

	/* unlimited rate: both are served in the same pass, slow one first */
	pipeline_destroy(p);
	clear_calls();
	cfg.rate_limit_mbps = 0;
	cfg.batch_pages = 1024;		/* two granules per call */
	p = start(&cfg);
	inject(101, hot + 4 * g, 50);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0), 0);
	inject(101, warm + 4 * g, 3);
	deliver(p, T0 + 2500);
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 2500), 0);
	assert_int_equal(W->calls[0].nr, 1024);
	assert_int_equal(W->calls[0].addrs[0], warm + 4 * g);
	assert_int_equal(W->calls[0].addrs[512], hot + 4 * g);
	pipeline_destroy(p);
}

/*
 * Beside a node service that promotes on its own (v4's CRAM): folios the
 * kernel moved to the fast node are never queried or moved by tierd, also
 * once their cooldown is over; a failed kernel move and a read-hot folio
 * are tierd's; a move to another slow node changes nothing.  Every record
 * and every page is counted once.
 */
static void test_cram_kernel_promotions(void **state)
{
	const uint64_t before = BASE_A;		/* hot, then CRAM moved it */
	const uint64_t first = BASE_A + PAGE;	/* CRAM moved it on its first fault */
	const uint64_t failed = BASE_A + 2 * PAGE; /* CRAM's move failed */
	const uint64_t readhot = BASE_A + 3 * PAGE; /* reads the service left */
	const uint64_t elsewhere = BASE_A + 4 * PAGE; /* moved, still slow */
	const uint64_t bogus = BASE_A + 5 * PAGE;  /* a node tierd does not know */
	const uint64_t tierds[] = { elsewhere, readhot, failed };
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.write_weight = 4;
	cfg.decay = 0.99;
	cfg.cooldown_ms = 1000;
	p = start(&cfg);

	inject(101, before, 3);
	inject(101, elsewhere, 5);
	deliver(p, T0);
	/* what the kernel did meanwhile, and the fake world's pages with it */
	inject_kmove(101, before, TIERD_KMOVE_OK, 0, 1, 1);
	page_of(101, before)->node = 0;
	inject_kmove(101, first, TIERD_KMOVE_OK, 0, 1, 1);
	page_of(101, first)->node = 0;
	inject_kmove(101, elsewhere, TIERD_KMOVE_OK, 1, 0, 0);
	inject_kmove(101, bogus, TIERD_KMOVE_OK, TIERD_NID_NONE, 1, 1);
	/* one read fault: weight 1, below promote_score 2, yet a candidate */
	inject_kmove(101, failed, TIERD_KMOVE_FAILED, TIERD_NID_NONE, 1, 0);
	inject(101, readhot, 3);
	deliver(p, T0 + 1);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);

	assert_int_equal(W->nr_calls, 2);
	assert_call(0, false, 101, -1, tierds, 3);
	assert_call(1, true, 101, 0, tierds, 3);
	assert_false(addr_seen(101, before));
	assert_false(addr_seen(101, first));
	assert_false(addr_seen(101, bogus));
	st = stats(p, T0 + 1);
	assert_int_equal(st->candidates, 3);
	assert_int_equal(st->move_calls, 1);
	assert_int_equal(st->move_pages_requested, 3);
	assert_int_equal(st->promoted_pages, 3);
	assert_int_equal(st->move_status[TIERD_MOVE_OK], 3);
	assert_int_equal(st->move_status[TIERD_MOVE_ALREADY], 0);
	assert_int_equal(st->node[1].promoted_from_pages, 3);
	assert_int_equal(st->node[0].promoted_to_pages, 3);
	assert_int_equal(pid_stats(st, 101)->kernel_promoted, 2);
	assert_int_equal(pid_stats(st, 101)->promoted_pages, 3);
	assert_int_equal(pid_stats(st, 101)->records, 8);
	assert_int_equal(pid_stats(st, 101)->faults, 15);
	/* `first` and `bogus` never had an entry, and get none */
	assert_true(tracked(p, 101, before, T0 + 1));
	assert_false(tracked(p, 101, first, T0 + 1));
	assert_false(tracked(p, 101, bogus, T0 + 1));

	/*
	 * Cooldowns over: `before` and tierd's three are offered again only
	 * to check where they are.  All on node 0: nothing moves.
	 */
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 1500), 0);
	assert_int_equal(count_calls(true), 0);
	assert_true(addr_seen(101, before));
	assert_false(addr_seen(101, first));
	st = stats(p, T0 + 1500);
	assert_int_equal(st->move_status[TIERD_MOVE_ALREADY], 4);
	assert_int_equal(st->promoted_pages, 3);
	assert_int_equal(pid_stats(st, 101)->kernel_promoted, 2);
	pipeline_destroy(p);
}

/*
 * The RFC's newest state: private node 1 allows no user migration.
 * tierd scores its records but never queries or moves, says so, and
 * shows the kernel's own fence counters of the node.
 */
static void test_private_newest_observes(void **state)
{
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;
	char line[512];

	W->topo.private_gen = TIERD_PRIVATE_COMMON;
	W->topo.private_mask = 0x2;
	snprintf(W->topo.private_kind, sizeof(W->topo.private_kind),
		 "has_memory but not has_common_memory");
	W->fence[1] = true;
	W->fence_ok[1] = 12;
	W->fence_failed[1] = 1;
	add_proc(101, "alpha");
	base_config(&cfg);
	p = start(&cfg);
	inject(101, BASE_A, 9);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);
	assert_int_equal(W->nr_calls, 0);

	st = stats(p, T0 + 1);
	assert_false(st->node[1].slow);
	assert_false(st->node[0].fast);
	assert_string_equal(st->node[1].why,
		"observed only: private node (has_memory but not has_common_memory), no user migration");
	assert_int_equal(st->node[1].vmstat_present, 3);
	assert_int_equal(st->node[1].pgpromote_fence, 12);
	assert_int_equal(st->node[1].pgpromote_fence_failed, 1);
	assert_int_equal(st->node[0].vmstat_present, 0);
	assert_non_null(strstr(st->private_nodes,
		"RFC, newest stored state (has_common_memory only): node 1; the kernel allows no user migration off them, so tierd only observes"));
	assert_true(tracked(p, 101, BASE_A, T0 + 1));
	pipeline_summary(p, line, sizeof(line));
	assert_non_null(strstr(line,
		"idle: observing only: the kernel allows no move_pages() off private node 1"));
	assert_string_equal(W->sysfs_error_seen, "");
	pipeline_destroy(p);
}

/* v4: private node 1 is slow and promoted from like any slow node. */
static void test_private_v4_promotes(void **state)
{
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	W->topo.private_gen = TIERD_PRIVATE_V4;
	W->topo.private_mask = W->topo.private_user_mask = 0x2;
	snprintf(W->topo.private_kind, sizeof(W->topo.private_kind),
		 "has_private_memory");
	add_proc(101, "alpha");
	base_config(&cfg);
	p = start(&cfg);
	inject(101, BASE_A, 9);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);
	assert_int_equal(count_calls(true), 1);
	st = stats(p, T0 + 1);
	assert_true(st->node[1].slow);
	assert_string_equal(st->node[1].why,
		"slow: private memory node (has_private_memory)");
	assert_int_equal(st->promoted_pages, 1);
	pipeline_destroy(p);
}

/*
 * Private-node lists that contradict each other: no node is taken for
 * private memory, the sources hear why (the private-node one turns off),
 * a warning says it, and the rest of tierd goes on: CPU-less node 1 is
 * slow by the usual rule and promoted from.
 */
static void test_private_lists_make_no_sense(void **state)
{
	const char *why = "the kernel's private-node lists make no sense: node 1 is in both has_private_memory and has_common_memory";
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	snprintf(W->topo.private_error, sizeof(W->topo.private_error), "%s",
		 why);
	add_proc(101, "alpha");
	base_config(&cfg);
	p = start(&cfg);
	assert_string_equal(W->sysfs_error_seen, why);
	assert_non_null(strstr(W->last_warning, why));
	inject(101, BASE_A, 9);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);
	assert_int_equal(count_calls(true), 1);
	st = stats(p, T0 + 1);
	assert_true(st->node[1].slow);
	assert_non_null(strstr(st->private_nodes, why));
	assert_non_null(strstr(st->private_nodes,
			       "no node is taken for private memory"));
	pipeline_destroy(p);
}

/* One node: nothing to tier.  Events are still scored, nothing is moved. */
static void test_no_tiering_scores_only(void **state)
{
	struct folio_info fi[4];
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;
	char sum[512];

	W->topo.nr_nodes = 1;
	W->topo.mem_mask = 1;
	W->topo.cpu_mask = 1;
	add_proc(101, "alpha");
	base_config(&cfg);
	p = start(&cfg);
	inject(101, BASE_A, 3);
	inject(101, BASE_A + PAGE, 7);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);

	assert_int_equal(pipeline_top_folios(p, 101, T0 + 1, fi, 4), 2);
	assert_int_equal(fi[0].addr, BASE_A + PAGE);
	assert_true(fi[0].score == 7.0);
	assert_int_equal(fi[1].addr, BASE_A);
	assert_true(fi[1].score == 3.0);
	assert_int_equal(W->nr_calls, 0);
	st = stats(p, T0 + 1);
	assert_int_equal(st->candidates, 0);
	assert_int_equal(st->move_calls, 0);
	assert_false(st->node[0].fast);
	pipeline_summary(p, sum, sizeof(sum));
	assert_non_null(strstr(sum, "idle: no slow-tier node"));
	assert_string_equal(sum + strlen(sum) - strlen("tracking 1 process"),
			    "tracking 1 process");
	pipeline_set_paused(p, true);
	pipeline_summary(p, sum, sizeof(sum));
	assert_int_equal(strncmp(sum, "idle, paused: ", 14), 0);
	pipeline_destroy(p);
}

static void test_paused_moves_nothing(void **state)
{
	struct tierd_config cfg;
	struct pipeline *p;
	char sum[512];

	add_proc(101, "alpha");
	base_config(&cfg);
	p = start(&cfg);
	pipeline_set_paused(p, true);
	assert_true(pipeline_paused(p));
	/* said once: tierd.c puts this line in STATUS= as it is */
	pipeline_summary(p, sum, sizeof(sum));
	assert_int_equal(strncmp(sum, "paused: ", 8), 0);
	assert_null(strstr(sum + 1, "paused"));
	inject(101, BASE_A, 9);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);
	assert_int_equal(W->nr_calls, 0);
	assert_int_equal(pipeline_top_folios(p, 0, T0 + 1,
					     (struct folio_info[1]){ 0 }, 1), 1);

	/* resumed: the folio scored while paused is moved */
	pipeline_set_paused(p, false);
	assert_int_equal(pipeline_tick(p, T0 + 2), 0);
	assert_call(1, true, 101, 0, (uint64_t[]){ BASE_A }, 1);
	pipeline_destroy(p);
}

static void test_promotion_disabled(void **state)
{
	struct tierd_config cfg;
	struct pipeline *p;
	char sum[512];

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.promote_enabled = false;
	p = start(&cfg);
	inject(101, BASE_A, 9);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);
	assert_int_equal(W->nr_calls, 0);
	assert_int_equal(stats(p, T0 + 1)->table_size, 1);
	pipeline_summary(p, sum, sizeof(sum));
	assert_non_null(strstr(sum, "observing (promotion disabled)"));
	pipeline_destroy(p);
}

/*
 * include_comms picks processes from /proc (never tierd itself); the set
 * goes to the collector; records of other tgids are dropped and counted.
 */
static void test_scope_comms(void **state)
{
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(100, "bash");
	add_proc(102, "db");
	add_proc(101, "db");
	add_proc(103, "web");
	add_proc(getpid(), "db");
	base_config(&cfg);
	cfg.include.nr_comms = 1;
	snprintf(cfg.include.comms[0], TIERD_COMM_LEN, "db");
	p = start(&cfg);

	assert_int_equal(W->set_tracked_calls, 1);
	assert_int_equal(W->nr_tracked, 2);
	assert_int_equal(W->tracked[0], 101);
	assert_int_equal(W->tracked[1], 102);

	inject(101, BASE_A, 9);
	inject(103, BASE_C, 9);
	inject(getpid(), BASE_B, 9);
	deliver(p, T0 + 1);
	st = stats(p, T0 + 1);
	assert_int_equal(st->tracked_pids, 2);
	assert_int_equal(st->scope_rejected, 2);
	assert_int_equal(st->table_size, 1);
	assert_int_equal(st->nr_pids, 2);
	/* busiest first */
	assert_int_equal(st->pid[0].pid, 101);
	assert_string_equal(st->pid[0].comm, "db");
	assert_int_equal(st->pid[0].records, 1);
	assert_int_equal(st->pid[0].folios_hot, 1);
	assert_int_equal(st->pid[1].pid, 102);

	assert_int_equal(pipeline_tick(p, T0 + 2), 0);
	assert_int_equal(W->nr_calls, 2);
	assert_false(addr_seen(103, BASE_C));
	pipeline_destroy(p);
}

/*
 * A process that leaves /proc loses its folios at the next rescan (once a
 * second, not every tick) and drops out of the collector's set.
 */
static void test_scope_vanished_process(void **state)
{
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	add_proc(101, "alpha");
	add_proc(102, "beta");
	base_config(&cfg);
	cfg.promote_enabled = false;
	p = start(&cfg);
	inject(101, BASE_A, 9);
	inject(102, BASE_B, 9);
	inject(102, BASE_B + PAGE, 9);
	deliver(p, T0);
	assert_int_equal(stats(p, T0)->table_size, 3);

	remove_proc(102);
	assert_int_equal(pipeline_tick(p, T0 + 500), 0);
	assert_int_equal(W->set_tracked_calls, 1);
	assert_int_equal(stats(p, T0 + 500)->table_size, 3);

	assert_int_equal(pipeline_tick(p, T0 + 1000), 0);
	assert_int_equal(W->set_tracked_calls, 2);
	assert_int_equal(W->nr_tracked, 1);
	assert_int_equal(W->tracked[0], 101);
	st = stats(p, T0 + 1000);
	assert_int_equal(st->table_size, 1);
	assert_int_equal(st->tracked_pids, 1);
	assert_true(tracked(p, 101, BASE_A, T0 + 1000));

	/* a late record of the gone process is not scored */
	inject(102, BASE_B, 9);
	deliver(p, T0 + 1001);
	assert_int_equal(stats(p, T0 + 1001)->scope_rejected, 1);
	assert_int_equal(stats(p, T0 + 1001)->table_size, 1);
	pipeline_destroy(p);
}

/*
 * Soft-dirty source only, no include rules: only processes with memory on
 * the slow node are re-armed and tracked.
 */
static void test_scope_soft_dirty_slow_users(void **state)
{
	struct tierd_config cfg;
	struct pipeline *p;

	W->feat.private_node_tp = false;
	W->feat.soft_dirty = true;
	add_proc(101, "alpha");
	add_proc(102, "beta");
	add_proc(103, "gamma");
	W->procs[1].uses_slow = true;
	base_config(&cfg);
	p = start(&cfg);
	assert_int_equal(W->nr_tracked, 1);
	assert_int_equal(W->tracked[0], 102);
	assert_int_equal(W->clear_soft_dirty, 1);
	assert_int_equal(stats(p, T0)->tracked_pids, 1);
	/* residency per tier, from numa_maps (the fake: 3 on node 0, 5 on 1) */
	{
		const struct tierd_stats *st = stats(p, T0);

		for (unsigned int i = 0; i < st->nr_pids; i++) {
			if (st->pid[i].pid != 102)
				continue;
			assert_int_equal(st->pid[i].slow_pages, 5);
			assert_int_equal(st->pid[i].fast_pages, 3);
		}
	}
	/* re-armed every tick, rescanned once a second */
	assert_int_equal(pipeline_tick(p, T0 + 500), 0);
	assert_int_equal(W->clear_soft_dirty, 2);
	assert_int_equal(W->set_tracked_calls, 1);
	pipeline_destroy(p);
}

/*
 * Two sockets with a CXL node each (2 near 0, 3 near 1): one move call
 * carries per-page targets, and each target node's headroom is its own.
 */
static void test_two_sockets(void **state)
{
	const uint64_t a2 = BASE_A, a3 = BASE_A + PAGE;
	const uint64_t b2 = BASE_A + 2 * PAGE, b3 = BASE_A + 3 * PAGE;
	struct tierd_config cfg;
	struct tierd_stats *st;
	struct pipeline *p;

	W->topo = (struct numa_topology){
		.numa = true, .nr_nodes = 4, .mem_mask = 0xf, .cpu_mask = 0x3,
		.distance = { [0] = { 10, 21, 14, 32 }, [1] = { 21, 10, 32, 14 },
			      [2] = { 14, 32, 10, 32 }, [3] = { 32, 14, 32, 10 } },
	};
	for (int n = 0; n < 4; n++)
		W->free_bytes[n] = 32ULL << 30;
	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.min_free_mb = 1024;
	p = start(&cfg);
	page_of(101, a2)->node = 2;
	page_of(101, b2)->node = 2;
	page_of(101, a3)->node = 3;
	page_of(101, b3)->node = 3;

	inject(101, a2, 9);
	inject(101, a3, 8);
	deliver(p, T0);
	assert_int_equal(pipeline_tick(p, T0 + 1), 0);
	assert_int_equal(W->nr_calls, 2);
	assert_false(W->calls[0].move);
	assert_true(W->calls[1].move);
	assert_int_equal(W->calls[1].nr, 2);
	assert_int_equal(W->calls[1].node, MIXED_TARGETS);
	assert_int_equal(W->calls[1].addrs[0], a2);
	assert_int_equal(W->calls[1].nodes[0], 0);
	assert_int_equal(W->calls[1].addrs[1], a3);
	assert_int_equal(W->calls[1].nodes[1], 1);
	assert_int_equal(page_of(101, a2)->node, 0);
	assert_int_equal(page_of(101, a3)->node, 1);
	st = stats(p, T0 + 1);
	assert_true(st->node[0].fast && st->node[1].fast);
	assert_true(st->node[2].slow && st->node[3].slow);
	assert_false(st->node[2].fast || st->node[0].slow);
	assert_int_equal(st->node[2].promoted_from_pages, 1);
	assert_int_equal(st->node[3].promoted_from_pages, 1);
	assert_int_equal(st->node[0].promoted_to_pages, 1);
	assert_int_equal(st->node[1].promoted_to_pages, 1);

	/* node 1 at its min_free: node 3's page waits, node 2's moves */
	W->free_bytes[1] = 1024ULL << 20;
	inject(101, b2, 9);
	inject(101, b3, 9);
	deliver(p, T0 + 2);
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 2), 0);
	assert_call(1, true, 101, 0, (uint64_t[]){ b2 }, 1);
	assert_int_equal(page_of(101, b3)->node, 3);
	st = stats(p, T0 + 2);
	assert_int_equal(st->headroom_blocked, 1);
	assert_int_equal(st->promoted_pages, 3);

	/* room again: the waiting page is still a candidate and moves */
	W->free_bytes[1] = 32ULL << 30;
	clear_calls();
	assert_int_equal(pipeline_tick(p, T0 + 3), 0);
	assert_call(1, true, 101, 1, (uint64_t[]){ b3 }, 1);
	assert_int_equal(page_of(101, b3)->node, 1);
	pipeline_destroy(p);
}

/*
 * More processes in scope than the tracked map holds (8 in this test
 * build): slow-tier users go first, the rest are cut, one warning per
 * overflow episode, and the map is still updated.
 */
static void test_scope_overflow(void **state)
{
	struct tierd_config cfg;
	struct pipeline *p;

	W->feat.soft_dirty = true;
	for (int i = 0; i < 12; i++)
		add_proc(200 + i, "many");
	W->procs[10].uses_slow = true;	/* pids 210, 211 */
	W->procs[11].uses_slow = true;
	base_config(&cfg);
	p = start(&cfg);
	assert_int_equal(W->nr_tracked, 8);
	assert_int_equal(W->tracked[0], 210);
	assert_int_equal(W->tracked[1], 211);
	assert_int_equal(stats(p, T0)->tracked_pids, 8);
	assert_int_equal(W->warnings, 1);
	assert_non_null(strstr(W->last_warning, "4 left untracked"));

	/* still over: no second warning */
	assert_int_equal(pipeline_tick(p, T0 + 1000), 0);
	assert_int_equal(W->set_tracked_calls, 2);
	assert_int_equal(W->warnings, 1);

	/* back under the limit, then over again: warned again */
	for (int i = 0; i < 5; i++)
		remove_proc(200 + i);
	assert_int_equal(pipeline_tick(p, T0 + 2000), 0);
	assert_int_equal(W->nr_tracked, 7);
	for (int i = 0; i < 5; i++)
		add_proc(200 + i, "many");
	assert_int_equal(pipeline_tick(p, T0 + 3000), 0);
	assert_int_equal(W->warnings, 2);
	pipeline_destroy(p);
}

/* A reload naming a node that does not exist changes nothing. */
static void test_reconfigure_bad_node_keeps_old(void **state)
{
	struct tierd_config cfg, bad;
	struct pipeline *p;
	char err[512] = "";

	add_proc(101, "alpha");
	base_config(&cfg);
	p = start(&cfg);
	bad = cfg;
	bad.fast_auto = false;
	bad.fast_node = 5;
	bad.promote_enabled = false;
	bad.granule_kb = 2048;
	assert_int_equal(pipeline_reconfigure(p, &bad, err, sizeof(err)),
			 -ENODEV);
	assert_non_null(strstr(err, "[nodes] fast: node 5 does not exist"));
	assert_int_equal(W->opens, 1);
	assert_int_equal(W->reconfigures, 0);

	/* still 4 KiB granules, still promoting to node 0 */
	inject(101, BASE_A, 9);
	deliver(p, T0 + 1);
	assert_int_equal(pipeline_tick(p, T0 + 2), 0);
	assert_int_equal(W->nr_calls, 2);
	assert_call(1, true, 101, 0, (uint64_t[]){ BASE_A }, 1);
	assert_int_equal(stats(p, T0 + 2)->promoted_pages, 1);
	pipeline_destroy(p);
}

/*
 * A new granule starts a fresh table (keys are granule-aligned); unchanged
 * sources keep the collector and only push the tunables to it.
 */
static void test_reconfigure_granule(void **state)
{
	struct tierd_config cfg, next;
	struct pipeline *p;
	char err[512] = "";

	add_proc(101, "alpha");
	base_config(&cfg);
	cfg.promote_enabled = false;
	p = start(&cfg);
	inject(101, BASE_A, 9);
	deliver(p, T0);
	assert_int_equal(stats(p, T0)->table_size, 1);

	next = cfg;
	next.granule_kb = 2048;
	next.promote_enabled = true;
	assert_int_equal(pipeline_reconfigure(p, &next, err, sizeof(err)), 0);
	assert_int_equal(W->opens, 1);
	assert_int_equal(W->closes, 0);
	assert_int_equal(W->reconfigures, 1);
	assert_int_equal(stats(p, T0)->table_size, 0);
	assert_int_equal(pipeline_top_folios(p, 0, T0,
					     (struct folio_info[1]){ 0 }, 1), 0);

	/*
	 * A record still in the ring buffer from before the reload carries a
	 * 4 KiB-aligned address; it counts for its 2 MiB folio, which moves
	 * as 512 pages from the folio's start.
	 */
	inject(101, BASE_A + 5 * PAGE, 4);
	inject(101, BASE_A, 5);
	deliver(p, T0 + 1);
	assert_int_equal(stats(p, T0 + 1)->table_size, 1);
	assert_true(tracked(p, 101, BASE_A, T0 + 1));
	assert_int_equal(pipeline_tick(p, T0 + 2), 0);
	assert_int_equal(W->nr_calls, 2);
	assert_int_equal(W->calls[0].addrs[0], BASE_A);
	assert_int_equal(W->calls[1].nr, 512);
	assert_int_equal(W->calls[1].addrs[511], BASE_A + 511 * PAGE);
	/* the reload forced a rescan of the scope */
	assert_int_equal(W->set_tracked_calls, 2);
	pipeline_destroy(p);
}

/* Changed sources open a new collector and close the old one. */
static void test_reconfigure_sources_reopen(void **state)
{
	struct tierd_config cfg, next;
	struct pipeline *p;
	char err[512] = "";

	add_proc(101, "alpha");
	base_config(&cfg);
	p = start(&cfg);
	inject(101, BASE_A, 9);
	deliver(p, T0);

	next = cfg;
	next.decay = 0.25;
	assert_int_equal(pipeline_reconfigure(p, &next, err, sizeof(err)), 0);
	assert_int_equal(W->opens, 1);
	assert_int_equal(W->reconfigures, 1);
	/* same granule: the table and its scores survive */
	assert_int_equal(stats(p, T0)->table_size, 1);

	next.src_soft_dirty = TIERD_OFF;
	assert_int_equal(pipeline_reconfigure(p, &next, err, sizeof(err)), 0);
	assert_int_equal(W->opens, 2);
	assert_int_equal(W->closes, 1);
	assert_int_equal(W->reconfigures, 1);
	/* what the old collector held passes to the new one */
	assert_int_equal(W->carries, 1);

	/* the new collector delivers to the same pipeline */
	inject(101, BASE_A + PAGE, 9);
	deliver(p, T0 + 1);
	assert_int_equal(stats(p, T0 + 1)->table_size, 2);
	pipeline_destroy(p);
	assert_int_equal(W->closes, 2);
}

/*
 * `track`: the pipeline hands the descriptor on only for a process in
 * [scope], and tells the sources which nodes are slow, also after a
 * reload that changes them.
 */
static void test_track_scope_and_slow_nodes(void **state)
{
	struct tierd_config cfg, next;
	struct source_adopt a = { .pid = 101, .uid = 1000, .fd = 7,
				  .peer_fdno = 3, .canary = BASE_A };
	struct pipeline *p;
	char msg[256], err[256];

	add_proc(101, "db");
	add_proc(102, "other");
	base_config(&cfg);
	snprintf(cfg.include.comms[0], TIERD_COMM_LEN, "db");
	cfg.include.nr_comms = 1;
	p = start(&cfg);
	assert_int_equal(W->slow_nodes, 0x2);

	assert_int_equal(pipeline_track(p, &a, T0, msg, sizeof(msg)), 0);
	assert_int_equal(W->adopts, 1);
	assert_int_equal(W->last_adopt.fd, 7);
	assert_int_equal(W->last_adopt.peer_fdno, 3);
	assert_string_equal(msg, "adopted by the fake");

	a.pid = 102;
	assert_int_equal(pipeline_track(p, &a, T0, msg, sizeof(msg)), -EPERM);
	assert_string_equal(msg, "pid 102 (other) is outside tierd's [scope]");
	a.pid = 4242;
	assert_int_equal(pipeline_track(p, &a, T0, msg, sizeof(msg)), -ESRCH);
	assert_string_equal(msg, "pid 4242: gone");
	assert_int_equal(W->adopts, 1);

	/* no slow node named any more: nothing for a source to arm */
	next = cfg;
	next.slow_auto = false;
	next.slow_mask = 0;
	next.fast_auto = false;
	next.fast_node = 0;
	assert_int_equal(pipeline_reconfigure(p, &next, err, sizeof(err)), 0);
	assert_int_equal(W->slow_nodes, 0);
	pipeline_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pass_between_ticks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sooner_after_rearm_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_promote_batches_per_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_already_on_fast_refunds_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_page_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_granule_2m_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_esrch_forgets_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_einval_forgets_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_unreported_requeried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_enomem_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thp_second_page_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_backoff_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_esrch_forgets_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_eperm_warns_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_failure_refunds_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bucket_empty_at_start, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_headroom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pingpong_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pingpong_after_recheck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recheck_ranks_after_slow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cram_kernel_promotions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_newest_observes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_v4_promotes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_lists_make_no_sense, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_tiering_scores_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paused_moves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_promotion_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_comms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_vanished_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_overflow, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_two_sockets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scope_soft_dirty_slow_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconfigure_bad_node_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconfigure_granule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconfigure_sources_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_track_scope_and_slow_nodes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
