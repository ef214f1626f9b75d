// SPDX-License-Identifier: GPL-2.0
/*
 * The shared BPF object: open and size, load, the ring buffer reader, the
 * maps the daemon writes (tracked tgids, tunables) and reads (counters).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/log.h"
#include "sources/bpf_obj.h"
#include "tierd.skel.h"

/* The kernel's LRU hash preallocates: keep a typo from eating memory. */
#define FOLIOS_MAX		(1U << 20)
#define FOLIOS_MIN		1024U
#define RINGBUF_BYTES		(1U << 20)
/* records between two looks at the clock during a bounded drain */
#define DRAIN_CLOCK_EVERY	128

struct bpf_obj {
	struct tierd_bpf *skel;
	struct ring_buffer *rb;
	bpf_record_fn fn;
	void *fn_ctx;
	/* the drain in progress: records handed over, its bounds, why it stopped */
	unsigned int drained, budget;
	uint64_t deadline_ns;		/* 0: no time bound */
	bool cut;
	uint32_t granule_kb;
	uint32_t folios_max;
	unsigned int hz;		/* measured after load; 0: unknown */
	uint64_t *tracked_next;		/* scratch: the next tracked bitmap */
};

int bpf_obj_check_config(const struct tierd_config *cfg, char *err,
			 size_t errlen)
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

/*
 * The window in jiffies, 0 while HZ is unknown.  A window's first fault
 * comes anywhere inside its first jiffy, so one jiffy more than window_ns
 * rounded up: a window lasts at least window_ns, as on the ns clock, and
 * less than one jiffy longer.
 */
static void set_window_jiffies(struct bpf_obj *b)
{
	uint64_t ns = b->skel->data->window_ns;

	b->skel->data->window_jiffies =
		b->hz ? (ns * b->hz + 999999999ULL) / 1000000000ULL + 1 : 0;
}

static void set_tunables(struct bpf_obj *b, const struct tierd_config *cfg)
{
	b->skel->data->window_ns = (uint64_t)cfg->window_ms * 1000000ULL;
	set_window_jiffies(b);
	for (unsigned int s = 0; s < TIERD_SRC_NR; s++)
		b->skel->data->threshold[s] = cfg->threshold;
	b->skel->data->reports_per_window = cfg->reports_per_window;
	b->skel->data->granule_shift = cfg->granule_kb == 2048 ? 21 : 12;
	b->granule_kb = cfg->granule_kb;
}

int bpf_obj_open(const struct tierd_config *cfg, struct bpf_obj **out,
		 char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct bpf_obj *b;
	uint32_t folios;
	int ret;

	*out = NULL;
	ret = bpf_obj_check_config(cfg, err, errlen);
	if (ret)
		return ret;
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory for the BPF object");
		return -ENOMEM;
	}
	b->tracked_next = malloc(TIERD_TRACKED_WORDS * sizeof(*b->tracked_next));
	if (!b->tracked_next) {
		snprintf(err, errlen, "out of memory for the tracked bitmap");
		ret = -ENOMEM;
		goto fail;
	}
	b->skel = tierd_bpf__open();
	ret = libbpf_get_error(b->skel);
	if (ret || !b->skel) {
		ret = ret ?: -ENOMEM;
		b->skel = NULL;
		snprintf(err, errlen, "opening the BPF object failed: %s",
			 strerror(-ret));
		goto fail;
	}
	folios = cfg->kernel_map_folios;
	if (folios > FOLIOS_MAX)
		folios = FOLIOS_MAX;
	if (folios < FOLIOS_MIN)
		folios = FOLIOS_MIN;
	b->folios_max = folios;
	ret = bpf_map__set_max_entries(b->skel->maps.folios, folios);
	if (!ret)
		ret = bpf_map__set_max_entries(b->skel->maps.events,
					       RINGBUF_BYTES);
	if (ret) {
		snprintf(err, errlen, "sizing the BPF maps failed: %s",
			 strerror(-ret));
		goto fail;
	}
	bpf_object__for_each_program(prog, b->skel->obj)
		bpf_program__set_autoload(prog, false);
	/* never attached: bpf_obj_load() measures the jiffy with it */
	bpf_program__set_autoload(b->skel->progs.tierd_jiffies, true);
	set_tunables(b, cfg);
	/* nothing private-node is recorded until bpf_obj_set_tracked() */
	b->skel->data->private_filter = 1;
	*out = b;
	return 0;
fail:
	bpf_obj_close(b);
	return ret;
}

struct tierd_bpf *bpf_obj_skel(struct bpf_obj *b)
{
	return b->skel;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct bpf_obj *b = ctx;

	if (size < sizeof(struct tierd_event)) {
		log_warn("BPF ring buffer: short record of %zu bytes, want %zu",
			 size, sizeof(struct tierd_event));
		return 0;
	}
	b->fn(b->fn_ctx, data);
	b->drained++;
	/*
	 * A negative return makes libbpf store the consumer position past
	 * this record and stop: the rest waits for the next wake-up.
	 */
	if ((b->budget && b->drained >= b->budget) ||
	    (b->deadline_ns && b->drained % DRAIN_CLOCK_EVERY == 0 &&
	     mono_ns() >= b->deadline_ns)) {
		b->cut = true;
		return -EAGAIN;
	}
	return 0;
}

/* The jiffies counter's low 32 bits, from the kernel.  0 or -errno. */
static int jiffies_now(int prog_fd, uint32_t *j)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int ret;

	ret = bpf_prog_test_run_opts(prog_fd, &opts);
	if (ret)
		return ret;
	*j = opts.retval;
	return 0;
}

/* Kconfig's HZ choices (x86, arm64): what a measured rate must be near. */
static const unsigned int hz_choices[] = { 100, 250, 300, 1000 };
#define HZ_NAP_NS		(20 * 1000000L)	/* between the two edges, first try */
#define HZ_GIVE_UP_NS		(100 * 1000000ULL)
#define HZ_ATTEMPTS		5		/* each naps twice as long */

/*
 * The next jiffies edge: *@j is the counter just past it, and the edge
 * came between *@lo and *@hi (CLOCK_MONOTONIC before the last read that
 * saw the old value and after the first that saw the new one).
 */
static int jiffies_edge(int prog_fd, uint32_t *j, uint64_t *lo, uint64_t *hi)
{
	uint64_t start = mono_ns(), before = start, prev_before;
	uint32_t old;
	int ret;

	ret = jiffies_now(prog_fd, &old);
	if (ret)
		return ret;
	for (;;) {
		prev_before = before;
		before = mono_ns();
		ret = jiffies_now(prog_fd, j);
		*hi = mono_ns();
		if (ret)
			return ret;
		if (*j != old)
			break;
		if (*hi - start > HZ_GIVE_UP_NS)
			return -ETIME;
	}
	*lo = prev_before;
	return 0;
}

/*
 * The kernel's HZ: two jiffies edges a nap apart bound the rate between
 * [ticks / longest interval, ticks / shortest].  Taken when that range is
 * within 15 % and holds one Kconfig choice; a preemption that widens it
 * means another try with a longer nap.  0 when no try gives one.
 */
static unsigned int measure_hz(int prog_fd)
{
	uint64_t alo, ahi, blo, bhi;
	double slow, fast;
	uint32_t ja, jb;

	for (int attempt = 0; attempt < HZ_ATTEMPTS; attempt++) {
		struct timespec nap = { 0, HZ_NAP_NS << attempt };
		unsigned int found = 0, n = 0;

		if (jiffies_edge(prog_fd, &ja, &alo, &ahi))
			continue;
		nanosleep(&nap, NULL);
		if (jiffies_edge(prog_fd, &jb, &blo, &bhi) || jb == ja ||
		    blo <= ahi)
			continue;
		slow = (double)(jb - ja) * 1e9 / (double)(bhi - alo);
		fast = (double)(jb - ja) * 1e9 / (double)(blo - ahi);
		if (fast > slow * 1.15)
			continue;
		for (size_t i = 0; i < sizeof(hz_choices) / sizeof(*hz_choices);
		     i++) {
			if (hz_choices[i] >= slow * 0.99 &&
			    hz_choices[i] <= fast * 1.01) {
				found = hz_choices[i];
				n++;
			}
		}
		if (n == 1)
			return found;
	}
	return 0;
}

int bpf_obj_load(struct bpf_obj *b, bpf_record_fn fn, void *fn_ctx,
		 char *err, size_t errlen)
{
	int ret;

	ret = tierd_bpf__load(b->skel);
	if (ret) {
		snprintf(err, errlen, "loading the BPF programs failed: %s",
			 strerror(-ret));
		return ret;
	}
	/* before any program is attached: no window starts on the ns clock */
	b->hz = measure_hz(bpf_program__fd(b->skel->progs.tierd_jiffies));
	if (b->hz)
		log_info("BPF window clock: jiffies, HZ %u", b->hz);
	else
		log_notice("BPF window clock: the jiffy could not be measured, windows are timed with bpf_ktime_get_ns() (slower per fault)");
	set_window_jiffies(b);
	b->fn = fn;
	b->fn_ctx = fn_ctx;
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.events), on_record,
				 b, NULL);
	ret = libbpf_get_error(b->rb);
	if (ret || !b->rb) {
		b->rb = NULL;
		ret = ret ?: -ENOMEM;
		snprintf(err, errlen,
			 "creating the BPF ring buffer reader failed: %s",
			 strerror(-ret));
		return ret;
	}
	return 0;
}

void bpf_obj_close(struct bpf_obj *b)
{
	if (!b)
		return;
	ring_buffer__free(b->rb);
	tierd_bpf__destroy(b->skel);
	free(b->tracked_next);
	free(b);
}

int bpf_obj_attach(struct bpf_program *prog, struct bpf_link **link)
{
	struct bpf_link *l = bpf_program__attach(prog);
	int ret = libbpf_get_error(l);

	if (ret)
		return ret;
	*link = l;
	return 0;
}

void bpf_obj_prog_stats(struct bpf_program *prog, uint64_t *run_cnt,
			uint64_t *run_time_ns)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	if (!prog || bpf_program__fd(prog) < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return;
	*run_cnt += info.run_cnt;
	*run_time_ns += info.run_time_ns;
}

void bpf_obj_set_threshold(struct bpf_obj *b, enum tierd_source src,
			   uint32_t faults)
{
	if ((unsigned int)src < TIERD_SRC_NR && faults)
		b->skel->data->threshold[src] = faults;
}

int bpf_obj_ring_fd(const struct bpf_obj *b)
{
	return b->rb ? ring_buffer__epoll_fd(b->rb) : -1;
}

int bpf_obj_consume(struct bpf_obj *b, unsigned int budget,
		    unsigned int max_us, bool *cut)
{
	int ret;

	*cut = false;
	if (!b->rb)
		return 0;
	b->drained = 0;
	b->budget = budget;
	b->deadline_ns = max_us ? mono_ns() + max_us * 1000ULL : 0;
	b->cut = false;
	ret = ring_buffer__consume(b->rb);
	if (ret == -EAGAIN && b->cut)
		ret = (int)b->drained;
	else if (ret < 0)
		log_err("reading the BPF ring buffer failed: %s",
			strerror(-ret));
	*cut = b->cut;
	b->budget = 0;
	b->deadline_ns = 0;
	return ret;
}

/* Drop every aggregation entry: keys built with another granule are stale. */
static int folios_clear(struct bpf_obj *b)
{
	struct tierd_folio_key key, next;
	int fd = bpf_map__fd(b->skel->maps.folios);
	int ret;

	while ((ret = bpf_map_get_next_key(fd, NULL, &next)) == 0) {
		key = next;
		ret = bpf_map_delete_elem(fd, &key);
		if (ret && ret != -ENOENT)
			return ret;
	}
	return ret == -ENOENT ? 0 : ret;
}

int bpf_obj_reconfigure(struct bpf_obj *b, const struct tierd_config *cfg)
{
	uint32_t old_granule = b->granule_kb;
	int ret;

	set_tunables(b, cfg);
	/*
	 * The programs' cache of reported folios holds the old window's
	 * ends, and folios whose last record a new reports_per_window moves.
	 */
	b->skel->data->reported_gen++;
	if (old_granule != cfg->granule_kb) {
		ret = folios_clear(b);
		if (ret)
			log_warn("reload: clearing the BPF folio map after a granule change failed: %s",
				 strerror(-ret));
	}
	if (cfg->kernel_map_folios != b->folios_max)
		log_notice("reload: the BPF folio map keeps %u entries; kernel_map_folios = %u needs a restart",
			   b->folios_max, cfg->kernel_map_folios);
	return 0;
}

int bpf_obj_set_tracked(struct bpf_obj *b, const pid_t *tgids, size_t n,
			bool filter)
{
	volatile __u64 *live = b->skel->bss->tracked_bits;
	uint64_t *next = b->tracked_next;

	memset(next, 0, TIERD_TRACKED_WORDS * sizeof(*next));
	for (size_t i = 0; i < n; i++) {
		uint32_t t = (uint32_t)tgids[i];

		if (t / 64 >= TIERD_TRACKED_WORDS) {
			log_err("tracked-process map: tgid %u is past the largest pid the kernel allows",
				t);
			return -EINVAL;
		}
		next[t / 64] |= 1ULL << (t % 64);
	}
	/*
	 * The programs read the bitmap while it changes: each word goes
	 * from its old to its new value in one store, so a process that
	 * stays tracked is never seen untracked.
	 */
	for (size_t w = 0; w < TIERD_TRACKED_WORDS; w++)
		if (live[w] != next[w])
			live[w] = next[w];
	b->skel->data->private_filter = filter;
	return 0;
}

void bpf_obj_read_counters(const struct bpf_obj *b, uint64_t *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	__u32 idx;
	int fd;

	memset(sum, 0, TIERD_COUNTERS_NR * sizeof(*sum));
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	fd = bpf_map__fd(b->skel->maps.counters);
	for (idx = 0; idx < TIERD_COUNTERS_NR; idx++) {
		if (bpf_map_lookup_elem(fd, &idx, vals))
			continue;
		for (int cpu = 0; cpu < ncpu; cpu++)
			sum[idx] += vals[cpu];
	}
	free(vals);
}
