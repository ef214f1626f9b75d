// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF side of tierd, seen from the daemon: which sources the running
 * kernel can feed, loading bpf/tierd.bpf.c through its skeleton, and the
 * maps the daemon writes (tracked tgids, tunables) and reads (ring buffer,
 * counters).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "sources/collector.h"
#include "lib/log.h"
#include "tierd.skel.h"

#define VMLINUX_BTF		"/sys/kernel/btf/vmlinux"
#define BPF_STATS_SYSCTL	"/proc/sys/kernel/bpf_stats_enabled"
#define PAGEMAP_SOFT_DIRTY	(1ULL << 55)

/* The kernel's LRU hash preallocates: keep a typo from eating memory. */
#define FOLIOS_MAX		(1U << 20)
#define FOLIOS_MIN		1024U
#define RINGBUF_BYTES		(1U << 20)

static const char *const tracefs_roots[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

struct collector {
	struct tierd_bpf *skel;		/* NULL when no source is active */
	struct ring_buffer *rb;
	collector_event_fn fn;
	void *fn_ctx;
	bool active[TIERD_SRC_NR];
	char state[TIERD_SRC_NR][160];
	/* the soft-dirty program that was attached: tp/ or raw_tp/ */
	struct bpf_program *sd_prog;
	bool np_migrate;		/* node_private_migrate attached */
	uint32_t granule_kb;
	uint32_t folios_max;
};

static bool tracefs_event(const char *sys, const char *name)
{
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(tracefs_roots) / sizeof(tracefs_roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs_roots[i],
			 sys, name);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}

/* Every tracepoint has a btf_trace_<name> typedef, tracefs or not. */
static bool btf_tracepoint(const struct btf *vmlinux, const char *name)
{
	char type[128];

	if (!vmlinux)
		return false;
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF) > 0;
}

static int pagemap_soft_dirty(int fd, const void *addr, bool *dirty)
{
	uint64_t ent;
	off_t off = (uintptr_t)addr / (uintptr_t)sysconf(_SC_PAGESIZE) *
		    sizeof(ent);

	if (pread(fd, &ent, sizeof(ent), off) != sizeof(ent))
		return -errno ?: -EIO;
	*dirty = ent & PAGEMAP_SOFT_DIRTY;
	return 0;
}

/*
 * Does clear_refs=4 re-arm write faults?  Without CONFIG_MEM_SOFT_DIRTY
 * the write succeeds but the bit never sets, so test the round trip on a
 * page of our own.  Clearing our own soft-dirty bits is harmless: nothing
 * else reads them, and the cost is one write fault per page we touch next.
 */
static bool soft_dirty_works(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	volatile char *page;
	bool after_clear = true, after_write = false;
	int cfd = -1, pfd = -1;

	page = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return false;
	page[0] = 1;

	cfd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	pfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (cfd < 0 || pfd < 0)
		goto out;
	if (write(cfd, "4", 1) != 1)
		goto out;
	if (pagemap_soft_dirty(pfd, (const void *)page, &after_clear) < 0)
		goto out;
	page[0] = 2;
	if (pagemap_soft_dirty(pfd, (const void *)page, &after_write) < 0)
		goto out;
out:
	if (cfd >= 0)
		close(cfd);
	if (pfd >= 0)
		close(pfd);
	munmap((void *)page, psz);
	return !after_clear && after_write;
}

static bool bpf_stats_enabled(void)
{
	char buf[8] = "";
	int fd;
	ssize_t n;

	fd = open(BPF_STATS_SYSCTL, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && buf[0] == '1';
}

void collector_detect(struct collector_features *f)
{
	struct btf *vmlinux = NULL;

	memset(f, 0, sizeof(*f));
	f->btf = access(VMLINUX_BTF, R_OK) == 0;
	if (f->btf) {
		vmlinux = btf__load_vmlinux_btf();
		if (libbpf_get_error(vmlinux))
			vmlinux = NULL;
	}
	f->private_node_tp =
		tracefs_event("node_private", "node_private_write_fault") ||
		btf_tracepoint(vmlinux, "node_private_write_fault");
	f->private_migrate_tp =
		tracefs_event("node_private", "node_private_migrate") ||
		btf_tracepoint(vmlinux, "node_private_migrate");
	f->page_fault_user_tp =
		tracefs_event("exceptions", "page_fault_user") ||
		btf_tracepoint(vmlinux, "page_fault_user");
	f->soft_dirty = soft_dirty_works();
	f->bpf_stats = bpf_stats_enabled();
	btf__free(vmlinux);
}

/* Why the kernel cannot feed @src, or NULL when it can. */
static const char *source_missing(enum tierd_source src,
				  const struct collector_features *f)
{
	if (!f->btf)
		return "kernel has no BTF (" VMLINUX_BTF "): needs a kernel built with CONFIG_DEBUG_INFO_BTF";
	if (src == TIERD_SRC_PRIVATE_NODE) {
		if (!f->private_node_tp)
			return "kernel has no node_private:node_private_write_fault tracepoint (needs kernel-patches/)";
		return NULL;
	}
	if (!f->page_fault_user_tp)
		return "kernel has no exceptions:page_fault_user tracepoint (needs CONFIG_TRACEPOINTS on x86)";
	if (!f->soft_dirty)
		return "CONFIG_MEM_SOFT_DIRTY missing: clear_refs=4 does not clear soft-dirty bits";
	return NULL;
}

static const char *const source_key[TIERD_SRC_NR] = {
	[TIERD_SRC_PRIVATE_NODE] = "private_node",
	[TIERD_SRC_SOFT_DIRTY] = "soft_dirty",
};

/* Pick the sources; an `on` source the kernel lacks is an error. */
static int decide_sources(struct collector *c, const struct tierd_config *cfg,
			  const struct collector_features *f,
			  char *err, size_t errlen)
{
	const enum tierd_tristate want[TIERD_SRC_NR] = {
		[TIERD_SRC_PRIVATE_NODE] = cfg->src_private_node,
		[TIERD_SRC_SOFT_DIRTY] = cfg->src_soft_dirty,
	};
	const char *missing;
	int s;

	for (s = 0; s < TIERD_SRC_NR; s++) {
		c->active[s] = false;
		if (want[s] == TIERD_OFF) {
			snprintf(c->state[s], sizeof(c->state[s]),
				 "off by config");
			continue;
		}
		missing = source_missing(s, f);
		if (missing && want[s] == TIERD_ON) {
			snprintf(err, errlen,
				 "[sources] %s = on, but %s", source_key[s],
				 missing);
			return -EOPNOTSUPP;
		}
		if (missing) {
			snprintf(c->state[s], sizeof(c->state[s]), "off: %s",
				 missing);
			continue;
		}
		c->active[s] = true;
	}
	return 0;
}

static int validate_tunables(const struct tierd_config *cfg,
			     char *err, size_t errlen)
{
	if (cfg->window_ms == 0) {
		snprintf(err, errlen, "[hotness] window_ms: must be > 0");
		return -EINVAL;
	}
	if (cfg->threshold == 0) {
		snprintf(err, errlen, "[hotness] threshold: must be > 0");
		return -EINVAL;
	}
	if (cfg->granule_kb != 4 && cfg->granule_kb != 2048) {
		snprintf(err, errlen,
			 "[hotness] granule_kb: %u is not 4 or 2048",
			 cfg->granule_kb);
		return -EINVAL;
	}
	return 0;
}

static void set_tunables(struct collector *c, const struct tierd_config *cfg)
{
	c->skel->data->window_ns = (uint64_t)cfg->window_ms * 1000000ULL;
	c->skel->data->threshold = cfg->threshold;
	c->skel->data->granule_shift = cfg->granule_kb == 2048 ? 21 : 12;
	c->granule_kb = cfg->granule_kb;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;

	if (size < sizeof(struct tierd_event)) {
		log_warn("BPF ring buffer: short record of %zu bytes, want %zu",
			 size, sizeof(struct tierd_event));
		return 0;
	}
	c->fn(c->fn_ctx, data);
	return 0;
}

/*
 * Attach one program.  An `auto` source that fails to attach turns off
 * with the reason; an `on` source makes collector_open() fail.
 */
static int attach(struct collector *c, enum tierd_source src,
		  enum tierd_tristate want, struct bpf_program *prog,
		  struct bpf_link **link, char *err, size_t errlen)
{
	struct bpf_link *l;
	int ret;

	l = bpf_program__attach(prog);
	ret = libbpf_get_error(l);
	if (!ret) {
		*link = l;
		return 0;
	}
	c->active[src] = false;
	snprintf(c->state[src], sizeof(c->state[src]),
		 "off: attaching %s (%s) failed: %s", bpf_program__name(prog),
		 bpf_program__section_name(prog), strerror(-ret));
	if (want == TIERD_ON) {
		snprintf(err, errlen, "[sources] %s = on, but %s",
			 source_key[src], c->state[src] + strlen("off: "));
		return ret;
	}
	log_warn("source %s: %s", source_key[src], c->state[src]);
	return 0;
}

static int load_and_attach(struct collector *c, const struct tierd_config *cfg,
			   const struct collector_features *f,
			   char *err, size_t errlen)
{
	struct tierd_bpf *skel;
	bool sd = c->active[TIERD_SRC_SOFT_DIRTY];
	bool np = c->active[TIERD_SRC_PRIVATE_NODE];
	uint32_t folios;
	int ret;

	skel = tierd_bpf__open();
	ret = libbpf_get_error(skel);
	if (ret || !skel) {
		ret = ret ?: -ENOMEM;
		snprintf(err, errlen, "opening the BPF object failed: %s",
			 strerror(-ret));
		return ret;
	}
	c->skel = skel;

	folios = cfg->kernel_map_folios;
	if (folios > FOLIOS_MAX)
		folios = FOLIOS_MAX;
	if (folios < FOLIOS_MIN)
		folios = FOLIOS_MIN;
	c->folios_max = folios;
	ret = bpf_map__set_max_entries(skel->maps.folios, folios);
	if (!ret)
		ret = bpf_map__set_max_entries(skel->maps.events,
					       RINGBUF_BYTES);
	if (ret) {
		snprintf(err, errlen, "sizing the BPF maps failed: %s",
			 strerror(-ret));
		return ret;
	}

	bpf_program__set_autoload(skel->progs.tierd_sd_raw, sd);
	bpf_program__set_autoload(skel->progs.tierd_np_fault, np);
	bpf_program__set_autoload(skel->progs.tierd_np_migrate,
				  np && f->private_migrate_tp);

	set_tunables(c, cfg);
	/* nothing private-node is recorded until collector_set_tracked() */
	skel->data->private_filter = 1;

	ret = tierd_bpf__load(skel);
	if (ret) {
		snprintf(err, errlen, "loading the BPF programs failed: %s",
			 strerror(-ret));
		return ret;
	}

	if (sd) {
		c->sd_prog = skel->progs.tierd_sd_raw;
		ret = attach(c, TIERD_SRC_SOFT_DIRTY, cfg->src_soft_dirty,
			     c->sd_prog, &skel->links.tierd_sd_raw, err,
			     errlen);
		if (ret)
			return ret;
		if (c->active[TIERD_SRC_SOFT_DIRTY])
			snprintf(c->state[TIERD_SRC_SOFT_DIRTY],
				 sizeof(c->state[0]), "active (%s)",
				 bpf_program__section_name(c->sd_prog));
		else
			c->sd_prog = NULL;
	}
	if (np) {
		ret = attach(c, TIERD_SRC_PRIVATE_NODE, cfg->src_private_node,
			     skel->progs.tierd_np_fault,
			     &skel->links.tierd_np_fault, err, errlen);
		if (ret)
			return ret;
	}
	if (c->active[TIERD_SRC_PRIVATE_NODE] && f->private_migrate_tp) {
		skel->links.tierd_np_migrate =
			bpf_program__attach(skel->progs.tierd_np_migrate);
		ret = libbpf_get_error(skel->links.tierd_np_migrate);
		if (ret) {
			/* only the kernel-migration counters are lost */
			skel->links.tierd_np_migrate = NULL;
			log_warn("source private_node: attaching node_private_migrate failed (%s); kernel migrations are not counted",
				 strerror(-ret));
		} else {
			c->np_migrate = true;
		}
	}
	if (c->active[TIERD_SRC_PRIVATE_NODE])
		snprintf(c->state[TIERD_SRC_PRIVATE_NODE], sizeof(c->state[0]),
			 "active (raw_tp/node_private_write_fault%s)",
			 c->np_migrate ? ", node_private_migrate" :
			 "; no node_private_migrate: kernel migrations not counted");

	c->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record,
				 c, NULL);
	ret = libbpf_get_error(c->rb);
	if (ret || !c->rb) {
		c->rb = NULL;
		ret = ret ?: -ENOMEM;
		snprintf(err, errlen, "creating the BPF ring buffer reader failed: %s",
			 strerror(-ret));
		return ret;
	}
	return 0;
}

int collector_open(const struct tierd_config *cfg,
		   const struct collector_features *f,
		   collector_event_fn fn, void *fn_ctx,
		   struct collector **out, char *err, size_t errlen)
{
	struct collector *c;
	int s, ret;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	ret = validate_tunables(cfg, err, errlen);
	if (ret)
		return ret;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory for the collector");
		return -ENOMEM;
	}
	c->fn = fn;
	c->fn_ctx = fn_ctx;
	c->granule_kb = cfg->granule_kb;

	ret = decide_sources(c, cfg, f, err, errlen);
	if (ret)
		goto fail;

	if (c->active[TIERD_SRC_PRIVATE_NODE] ||
	    c->active[TIERD_SRC_SOFT_DIRTY]) {
		ret = load_and_attach(c, cfg, f, err, errlen);
		if (ret)
			goto fail;
	}
	/* every source may have failed to attach: run without BPF then */
	if (!c->active[TIERD_SRC_PRIVATE_NODE] &&
	    !c->active[TIERD_SRC_SOFT_DIRTY] && c->skel) {
		ring_buffer__free(c->rb);
		c->rb = NULL;
		tierd_bpf__destroy(c->skel);
		c->skel = NULL;
	}

	/* the caller reports the states; this is for -v debugging */
	for (s = 0; s < TIERD_SRC_NR; s++)
		log_debug("collector: source %s: %s", source_key[s],
			  c->state[s]);
	*out = c;
	return 0;
fail:
	log_err("collector: %s", err);
	collector_close(c);
	return ret;
}

void collector_close(struct collector *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	tierd_bpf__destroy(c->skel);
	free(c);
}

int collector_ring_fd(const struct collector *c)
{
	return c->rb ? ring_buffer__epoll_fd(c->rb) : -1;
}

int collector_consume(struct collector *c)
{
	int ret;

	if (!c->rb)
		return 0;
	ret = ring_buffer__consume(c->rb);
	if (ret < 0)
		log_err("reading the BPF ring buffer failed: %s",
			strerror(-ret));
	return ret;
}

/* Drop every aggregation entry: keys built with another granule are stale. */
static int folios_clear(struct collector *c)
{
	struct tierd_folio_key key, next;
	int fd = bpf_map__fd(c->skel->maps.folios);
	int ret;

	while ((ret = bpf_map_get_next_key(fd, NULL, &next)) == 0) {
		key = next;
		ret = bpf_map_delete_elem(fd, &key);
		if (ret && ret != -ENOENT)
			return ret;
	}
	return ret == -ENOENT ? 0 : ret;
}

int collector_reconfigure(struct collector *c, const struct tierd_config *cfg)
{
	char err[128];
	uint32_t old_granule = c->granule_kb;
	int ret;

	ret = validate_tunables(cfg, err, sizeof(err));
	if (ret) {
		log_err("collector reload: %s", err);
		return ret;
	}
	if (!c->skel) {
		c->granule_kb = cfg->granule_kb;
		return 0;
	}
	set_tunables(c, cfg);
	if (old_granule != cfg->granule_kb) {
		ret = folios_clear(c);
		if (ret)
			log_warn("collector reload: clearing the folio map after a granule change failed: %s",
				 strerror(-ret));
	}
	if (cfg->kernel_map_folios != c->folios_max)
		log_notice("collector reload: the BPF folio map keeps %u entries; kernel_map_folios = %u needs a new collector",
			   c->folios_max, cfg->kernel_map_folios);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int collector_set_tracked(struct collector *c, const pid_t *tgids, size_t n,
			  bool filter)
{
	uint32_t *want = NULL, *stale = NULL;
	uint32_t key, next;
	const uint8_t one = 1;
	size_t i, nstale = 0;
	int fd, ret = 0;

	if (n > TIERD_TRACKED_MAX) {
		log_err("collector: %zu tracked processes, the BPF map holds %u",
			n, TIERD_TRACKED_MAX);
		return -E2BIG;
	}
	for (i = 0; i < n; i++) {
		if (tgids[i] <= 0) {
			log_err("collector: tracked tgid %d at index %zu is not a process id",
				(int)tgids[i], i);
			return -EINVAL;
		}
	}
	if (!c->skel)
		return 0;

	want = malloc((n ?: 1) * sizeof(*want));
	stale = malloc(TIERD_TRACKED_MAX * sizeof(*stale));
	if (!want || !stale) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		want[i] = tgids[i];
	qsort(want, n, sizeof(*want), cmp_u32);

	fd = bpf_map__fd(c->skel->maps.tracked);
	/* collect first: deleting while walking restarts the walk */
	for (ret = bpf_map_get_next_key(fd, NULL, &next); !ret;
	     ret = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		if (!bsearch(&key, want, n, sizeof(*want), cmp_u32) &&
		    nstale < TIERD_TRACKED_MAX)
			stale[nstale++] = key;
	}
	if (ret != -ENOENT) {
		log_err("collector: walking the tracked map failed: %s",
			strerror(-ret));
		goto out;
	}
	/* stale ones first, so the map never overflows while we add */
	for (i = 0; i < nstale; i++) {
		ret = bpf_map_delete_elem(fd, &stale[i]);
		if (ret && ret != -ENOENT) {
			log_err("collector: untracking tgid %u failed: %s",
				stale[i], strerror(-ret));
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		ret = bpf_map_update_elem(fd, &want[i], &one, BPF_ANY);
		if (ret) {
			log_err("collector: tracking tgid %u failed: %s",
				want[i], strerror(-ret));
			goto out;
		}
	}
	c->skel->data->private_filter = filter;
	ret = 0;
out:
	free(want);
	free(stale);
	return ret;
}

bool collector_source_active(const struct collector *c, enum tierd_source s)
{
	return s < TIERD_SRC_NR && c->active[s];
}

static void add_prog_stats(struct bpf_program *prog,
			   struct tierd_source_stats *st)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	if (!prog || bpf_program__fd(prog) < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return;
	st->prog_run_cnt += info.run_cnt;
	st->prog_run_time_ns += info.run_time_ns;
}

void collector_read_stats(const struct collector *c,
			  struct tierd_source_stats src[TIERD_SRC_NR])
{
	int ncpu = libbpf_num_possible_cpus();
	bool prog_stats = bpf_stats_enabled();
	__u64 *vals = NULL;
	uint64_t sum[TIERD_COUNTERS_NR] = { 0 };
	__u32 idx;
	int s, cpu, fd;

	if (c->skel && ncpu > 0)
		vals = calloc(ncpu, sizeof(*vals));
	if (vals) {
		fd = bpf_map__fd(c->skel->maps.counters);
		for (idx = 0; idx < TIERD_COUNTERS_NR; idx++) {
			if (bpf_map_lookup_elem(fd, &idx, vals))
				continue;
			for (cpu = 0; cpu < ncpu; cpu++)
				sum[idx] += vals[cpu];
		}
		free(vals);
	}

	for (s = 0; s < TIERD_SRC_NR; s++) {
		struct tierd_source_stats *st = &src[s];
		const uint64_t *v = &sum[s * TIERD_CNT_NR];

		memset(st, 0, sizeof(*st));
		st->active = c->active[s];
		snprintf(st->state, sizeof(st->state), "%s", c->state[s]);
		st->faults_seen = v[TIERD_CNT_FAULTS_SEEN];
		st->faults_tracked = v[TIERD_CNT_FAULTS_TRACKED];
		st->records = v[TIERD_CNT_RECORDS];
		st->rb_drops = v[TIERD_CNT_RB_DROPS];
		st->map_full = v[TIERD_CNT_MAP_FULL];
		st->window_resets = v[TIERD_CNT_WINDOW_RESETS];
		st->kernel_migrate_ok = v[TIERD_CNT_KERNEL_MIGRATE_OK];
		st->kernel_migrate_fail = v[TIERD_CNT_KERNEL_MIGRATE_FAIL];
		if (c->active[s] && s == TIERD_SRC_SOFT_DIRTY) {
			add_prog_stats(c->sd_prog, st);
		} else if (c->active[s]) {
			add_prog_stats(c->skel->progs.tierd_np_fault, st);
			if (c->np_migrate)
				add_prog_stats(c->skel->progs.tierd_np_migrate,
					       st);
		}
		/*
		 * The sysctl shows only its own setting; BPF_ENABLE_STATS fds
		 * (bpftool prog profile, ...) also turn accounting on.
		 */
		st->prog_stats_enabled = prog_stats || st->prog_run_cnt > 0;
	}
}

