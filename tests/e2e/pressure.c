// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-pressure: a workload whose memory does not fit in DRAM.
 *
 * The region has two parts.  The slow part is populated on the slow node
 * and holds the hot set, spread one page every --stride pages; the fill
 * part is populated on the fast node until that node has only
 * --fill-margin-mb free, so DRAM starts out full of memory nobody uses.
 * Both parts then drop their binding.  During the run every pass reads (or
 * writes, --access) each hot page, and a sweep touches every page of the
 * region once per --sweep-s: the whole region is the working set, larger
 * than DRAM, but only the hot set is worth DRAM.  --churn-mbps adds short
 * lived allocations (touched once, freed --churn-live-mb later), which is
 * what wakes the kernel's reclaim, and with demotion enabled, its demotion.
 *
 * It knows which page is hot and reads its own /proc/self/pagemap (root:
 * page frame numbers) once per --sample-ms, maps each frame to its node
 * through the memory blocks in sysfs, and reports:
 *   - the hot set and the rest on each node (E2E-SAMPLE, the keys of
 *     e2e-workload, so the harness reads both alike);
 *   - the hit rate: the share of the interval's accesses (hot passes and
 *     sweep) whose page sat on the fast node at the sample;
 *   - promotions, demotions and ping-pongs it saw between samples: a
 *     ping-pong is a page that moves to the fast node after it was moved
 *     there before and moved back since.  Moves faster than one sample
 *     period are not seen; vmstat counts those.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <numa.h>
#include <numaif.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define NODE_SYS	"/sys/devices/system/node"
#define CHURN_CHUNK_MB	4

enum page_where { ON_FAST, ON_SLOW, ON_OTHER };

/* Per page, what the samples saw so far. */
#define SEEN_NODE_MASK	0x3		/* enum page_where of the last sample */
#define SEEN_PROMOTED	0x4		/* moved slow -> fast once */
#define SEEN_DEMOTED	0x8		/* ... and fast -> slow since */

struct pr_opts {
	unsigned int slow_mb, hot_mb, stride, fill_margin_mb;
	unsigned int duration_ms, sample_ms, pass_sleep_us, sweep_s;
	unsigned int churn_mbps, churn_live_mb;
	int slow_node, fast_node;
	bool write, wait_go;
};

struct pr_state {
	char *base;
	size_t page;
	uint64_t nr_pages, nr_slow, nr_hot, nr_fill;
	uint64_t *pagemap;		/* one entry per page of the region */
	uint8_t *seen;
	int8_t *block_node;		/* memory block -> node, -1 unknown */
	uint64_t nr_blocks, block_pages;
	int pagemap_fd;
	uint64_t promoted, demoted, pingpongs;
	uint64_t cold_promoted;		/* promotions of pages not in the hot set */
	/* accesses since the last sample, and in total */
	uint64_t passes, sweep_from, sweep_to;
	uint64_t hits_total, accesses_total;
	char **churn;			/* ring of chunks */
	unsigned int churn_slots, churn_next;
};

struct pr_count {
	uint64_t hot[3], rest[3];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: e2e-pressure [options]\n"
		"  --slow-mb N          part populated on the slow node (default 384)\n"
		"  --hot-mb N           hot set inside it (default 128)\n"
		"  --fill-margin-mb N   fill the fast node until N MiB are free (default 96)\n"
		"  --sweep-s S          touch every page once per S seconds (default 10, 0: never)\n"
		"  --churn-mbps N       allocate and free N MiB/s (default 0)\n"
		"  --churn-live-mb N    churned memory alive at once (default 64)\n"
		"  --access read|write  how hot pages and the sweep touch memory (default read)\n"
		"  --duration-ms MS     length of the run (default 120000)\n"
		"  --sample-ms MS       placement sample period (default 1000)\n"
		"  --pass-sleep-us US   pause between passes over the hot set (default 1000)\n"
		"  --slow-node N, --fast-node N  (default 1 and 0)\n"
		"  --wait-go            after populating, wait for SIGUSR2\n"
		"  --reset-policy       accepted for e2e-workload's callers; always done\n");
}

static int parse_uint(const char *opt, const char *s, unsigned int min,
		      unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "e2e-pressure: %s: '%s' is not a number in [%u, %u]\n",
			opt, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct pr_opts *o)
{
	static const struct option lo[] = {
		{ "slow-mb", required_argument, NULL, 's' },
		{ "hot-mb", required_argument, NULL, 'H' },
		{ "fill-margin-mb", required_argument, NULL, 'm' },
		{ "sweep-s", required_argument, NULL, 'w' },
		{ "churn-mbps", required_argument, NULL, 'c' },
		{ "churn-live-mb", required_argument, NULL, 'l' },
		{ "access", required_argument, NULL, 'a' },
		{ "duration-ms", required_argument, NULL, 'd' },
		{ "sample-ms", required_argument, NULL, 'S' },
		{ "pass-sleep-us", required_argument, NULL, 'p' },
		{ "slow-node", required_argument, NULL, 'n' },
		{ "fast-node", required_argument, NULL, 'f' },
		{ "wait-go", no_argument, NULL, 'g' },
		{ "reset-policy", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned int v;
	int c, r;

	*o = (struct pr_opts){
		.slow_mb = 384, .hot_mb = 128, .fill_margin_mb = 96,
		.duration_ms = 120000, .sample_ms = 1000, .pass_sleep_us = 1000,
		.sweep_s = 10, .churn_live_mb = 64, .slow_node = 1,
	};
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		r = 0;
		switch (c) {
		case 's': r = parse_uint("--slow-mb", optarg, 1, 1 << 20, &o->slow_mb); break;
		case 'H': r = parse_uint("--hot-mb", optarg, 1, 1 << 20, &o->hot_mb); break;
		case 'm': r = parse_uint("--fill-margin-mb", optarg, 0, 1 << 20, &o->fill_margin_mb); break;
		case 'w': r = parse_uint("--sweep-s", optarg, 0, 86400, &o->sweep_s); break;
		case 'c': r = parse_uint("--churn-mbps", optarg, 0, 1 << 16, &o->churn_mbps); break;
		case 'l': r = parse_uint("--churn-live-mb", optarg, CHURN_CHUNK_MB, 1 << 16,
					 &o->churn_live_mb); break;
		case 'd': r = parse_uint("--duration-ms", optarg, 0, UINT_MAX, &o->duration_ms); break;
		case 'S': r = parse_uint("--sample-ms", optarg, 10, UINT_MAX, &o->sample_ms); break;
		case 'p': r = parse_uint("--pass-sleep-us", optarg, 0, 10000000, &o->pass_sleep_us); break;
		case 'n': r = parse_uint("--slow-node", optarg, 0, 1023, &v); o->slow_node = v; break;
		case 'f': r = parse_uint("--fast-node", optarg, 0, 1023, &v); o->fast_node = v; break;
		case 'a':
			if (strcmp(optarg, "read") && strcmp(optarg, "write")) {
				fprintf(stderr, "e2e-pressure: --access: '%s' is not read or write\n",
					optarg);
				r = -EINVAL;
			}
			o->write = strcmp(optarg, "write") == 0;
			break;
		case 'g': o->wait_go = true; break;
		case 'R': break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "e2e-pressure: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->hot_mb > o->slow_mb) {
		fprintf(stderr, "e2e-pressure: --hot-mb %u exceeds --slow-mb %u\n",
			o->hot_mb, o->slow_mb);
		return -EINVAL;
	}
	return 0;
}

static bool page_is_hot(const struct pr_state *s, uint64_t i)
{
	uint64_t stride = s->nr_slow / s->nr_hot;

	return i < s->nr_slow && i % stride == 0 && i / stride < s->nr_hot;
}

/* Memory block -> node, from the memoryN links in each node's directory. */
static int load_block_nodes(struct pr_state *s)
{
	char path[PATH_MAX];
	unsigned long long bs;
	struct dirent *de;
	unsigned long blk;
	DIR *nd, *d;
	FILE *f;
	int node;

	f = fopen("/sys/devices/system/memory/block_size_bytes", "re");
	if (!f || fscanf(f, "%llx", &bs) != 1 || bs < s->page) {
		fprintf(stderr, "e2e-pressure: cannot read /sys/devices/system/memory/block_size_bytes\n");
		if (f)
			fclose(f);
		return -ENOENT;
	}
	fclose(f);
	s->block_pages = bs / s->page;
	s->nr_blocks = 4096;
	s->block_node = malloc(s->nr_blocks);
	if (!s->block_node)
		return -ENOMEM;
	memset(s->block_node, -1, s->nr_blocks);
	nd = opendir(NODE_SYS);
	if (!nd)
		return -errno;
	while ((de = readdir(nd))) {
		if (sscanf(de->d_name, "node%d", &node) != 1)
			continue;
		snprintf(path, sizeof(path), NODE_SYS "/%s", de->d_name);
		d = opendir(path);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			if (sscanf(de->d_name, "memory%lu", &blk) == 1 &&
			    blk < s->nr_blocks)
				s->block_node[blk] = node;
		}
		closedir(d);
	}
	closedir(nd);
	return 0;
}

static enum page_where where(const struct pr_state *s, const struct pr_opts *o,
			     uint64_t ent)
{
	uint64_t blk;

	if (!(ent & PM_PRESENT))
		return ON_OTHER;
	blk = (ent & PM_PFN_MASK) / s->block_pages;
	if (blk >= s->nr_blocks)
		return ON_OTHER;
	if (s->block_node[blk] == o->fast_node)
		return ON_FAST;
	if (s->block_node[blk] == o->slow_node)
		return ON_SLOW;
	return ON_OTHER;
}

static int read_pagemap(struct pr_state *s)
{
	size_t want = s->nr_pages * sizeof(uint64_t), done = 0;
	off_t off = (uintptr_t)s->base / s->page * sizeof(uint64_t);
	ssize_t n;

	while (done < want) {
		n = pread(s->pagemap_fd, (char *)s->pagemap + done, want - done,
			  off + done);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += n;
	}
	return 0;
}

/*
 * One placement sample: counts per node, transitions since the previous
 * sample, and the hit rate of the accesses made since then.
 */
static int sample(const struct pr_opts *o, struct pr_state *s, bool first,
		  struct pr_count *c, double *hit_pct)
{
	uint64_t i, hits = 0, acc = 0, swept_fast = 0, swept = 0, j;
	enum page_where w, prev;
	int r;

	r = read_pagemap(s);
	if (r < 0) {
		fprintf(stderr, "e2e-pressure: reading /proc/self/pagemap: %s\n", strerror(-r));
		return r;
	}
	memset(c, 0, sizeof(*c));
	for (i = 0; i < s->nr_pages; i++) {
		w = where(s, o, s->pagemap[i]);
		(page_is_hot(s, i) ? c->hot : c->rest)[w]++;
		prev = s->seen[i] & SEEN_NODE_MASK;
		if (!first && prev == ON_SLOW && w == ON_FAST) {
			s->promoted++;
			s->cold_promoted += !page_is_hot(s, i);
			if ((s->seen[i] & (SEEN_PROMOTED | SEEN_DEMOTED)) ==
			    (SEEN_PROMOTED | SEEN_DEMOTED))
				s->pingpongs++;
			s->seen[i] = (s->seen[i] & ~SEEN_DEMOTED) | SEEN_PROMOTED;
		} else if (!first && prev == ON_FAST && w == ON_SLOW) {
			s->demoted++;
			if (s->seen[i] & SEEN_PROMOTED)
				s->seen[i] |= SEEN_DEMOTED;
		}
		/* a page being migrated (no PFN) keeps its last known node */
		if (w != ON_OTHER || first)
			s->seen[i] = (s->seen[i] & ~SEEN_NODE_MASK) | w;
	}
	for (j = s->sweep_from; j < s->sweep_to; j++) {
		i = j % s->nr_pages;
		swept++;
		swept_fast += where(s, o, s->pagemap[i]) == ON_FAST;
	}
	hits = s->passes * c->hot[ON_FAST] + swept_fast;
	acc = s->passes * s->nr_hot + swept;
	*hit_pct = acc ? 100.0 * hits / acc : 0;
	s->hits_total += hits;
	s->accesses_total += acc;
	s->passes = 0;
	s->sweep_from = s->sweep_to;
	return 0;
}

static void print_sample(const char *tag, uint64_t t, const struct pr_state *s,
			 const struct pr_count *c, double hit_pct)
{
	printf("%s t_ms=%llu hot_on0=%llu hot_on1=%llu hot_other=%llu "
	       "cold_on0=%llu cold_on1=%llu cold_other=%llu hit_pct=%.2f "
	       "seen_promoted=%llu seen_cold_promoted=%llu seen_demoted=%llu "
	       "seen_pingpongs=%llu\n",
	       tag, (unsigned long long)t,
	       (unsigned long long)c->hot[ON_FAST], (unsigned long long)c->hot[ON_SLOW],
	       (unsigned long long)c->hot[ON_OTHER],
	       (unsigned long long)c->rest[ON_FAST], (unsigned long long)c->rest[ON_SLOW],
	       (unsigned long long)c->rest[ON_OTHER], hit_pct,
	       (unsigned long long)s->promoted, (unsigned long long)s->cold_promoted,
	       (unsigned long long)s->demoted,
	       (unsigned long long)s->pingpongs);
	fflush(stdout);
}

static int bind_range(char *p, size_t len, int node, int mode)
{
	unsigned long mask[16] = {};

	if (mode == MPOL_DEFAULT)
		return mbind(p, len, MPOL_DEFAULT, NULL, 0, 0) < 0 ? -errno : 0;
	mask[node / (8 * sizeof(long))] |= 1UL << (node % (8 * sizeof(long)));
	return mbind(p, len, mode, mask, sizeof(mask) * 8, 0) < 0 ? -errno : 0;
}

static long long node_free_mb(int node)
{
	long long free_b = 0;

	if (numa_node_size64(node, &free_b) < 0)
		return -1;
	return free_b >> 20;
}

/* Slow part on the slow node, then fill the fast node up to the margin. */
static int setup_region(const struct pr_opts *o, struct pr_state *s)
{
	size_t slow_len, len;
	long long fill_mb;
	uint64_t i;
	int r;

	if (numa_available() < 0 || o->slow_node > numa_max_node() ||
	    o->fast_node > numa_max_node()) {
		fprintf(stderr, "e2e-pressure: nodes %d and %d must exist\n",
			o->slow_node, o->fast_node);
		return -EINVAL;
	}
	s->page = sysconf(_SC_PAGESIZE);
	s->nr_slow = (uint64_t)o->slow_mb * (1 << 20) / s->page;
	s->nr_hot = (uint64_t)o->hot_mb * (1 << 20) / s->page;
	fill_mb = node_free_mb(o->fast_node) - o->fill_margin_mb;
	if (fill_mb < 0)
		fill_mb = 0;
	s->nr_fill = (uint64_t)fill_mb * (1 << 20) / s->page;
	s->nr_pages = s->nr_slow + s->nr_fill;
	slow_len = s->nr_slow * s->page;
	len = s->nr_pages * s->page;

	s->pagemap = calloc(s->nr_pages, sizeof(*s->pagemap));
	s->seen = calloc(s->nr_pages, 1);
	if (!s->pagemap || !s->seen)
		return -ENOMEM;
	s->base = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->base == MAP_FAILED) {
		r = -errno;
		fprintf(stderr, "e2e-pressure: mmap %zu bytes: %s\n", len, strerror(-r));
		return r;
	}
	madvise(s->base, len, MADV_NOHUGEPAGE);
	r = bind_range(s->base, slow_len, o->slow_node, MPOL_BIND);
	if (!r && s->nr_fill)
		r = bind_range(s->base + slow_len, len - slow_len, o->fast_node,
			       MPOL_BIND);
	if (r) {
		fprintf(stderr, "e2e-pressure: mbind: %s\n", strerror(-r));
		return r;
	}
	for (i = 0; i < s->nr_pages; i++)
		s->base[i * s->page] = (char)i;
	r = bind_range(s->base, len, 0, MPOL_DEFAULT);
	if (r)
		fprintf(stderr, "e2e-pressure: mbind(MPOL_DEFAULT): %s\n", strerror(-r));
	return r;
}

/* Touch the next stretch of the sweep: every page once per sweep_s. */
static void sweep(const struct pr_opts *o, struct pr_state *s, uint64_t elapsed,
		  volatile uint64_t *sink)
{
	uint64_t target, i, sum = 0;
	volatile char *p;

	if (!o->sweep_s)
		return;
	target = elapsed * s->nr_pages / (o->sweep_s * 1000ULL);
	for (; s->sweep_to < target; s->sweep_to++) {
		i = s->sweep_to % s->nr_pages;
		p = s->base + i * s->page + 64;
		if (o->write)
			(*p)++;
		else
			sum += *p;
	}
	*sink += sum;
}

static void pass(const struct pr_opts *o, struct pr_state *s, uint64_t n,
		 volatile uint64_t *sink)
{
	uint64_t stride = s->nr_slow / s->nr_hot, i, sum = 0;
	volatile char *p;

	for (i = 0; i < s->nr_hot; i++) {
		p = s->base + i * stride * s->page + n % 64;
		if (o->write)
			(*p)++;
		else
			sum += *p;
	}
	*sink += sum;
	s->passes++;
}

/* Short-lived memory: a chunk in, the oldest chunk out, at churn_mbps. */
static void churn(const struct pr_opts *o, struct pr_state *s, uint64_t elapsed)
{
	size_t len = (size_t)CHURN_CHUNK_MB << 20;
	uint64_t due;
	char **slot;
	size_t off;

	if (!o->churn_mbps)
		return;
	due = elapsed * o->churn_mbps / 1000 / CHURN_CHUNK_MB;
	while (s->churn_next < due) {
		slot = &s->churn[s->churn_next % s->churn_slots];
		if (*slot)
			munmap(*slot, len);
		*slot = mmap(NULL, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (*slot == MAP_FAILED) {
			*slot = NULL;
		} else {
			madvise(*slot, len, MADV_NOHUGEPAGE);
			for (off = 0; off < len; off += s->page)
				(*slot)[off] = 1;
		}
		s->churn_next++;
	}
}

static uint64_t tv_ms(struct timeval tv)
{
	return tv.tv_sec * 1000ULL + tv.tv_usec / 1000;
}

static int run(const struct pr_opts *o, struct pr_state *s)
{
	uint64_t start, next, t, n = 0;
	volatile uint64_t sink = 0;
	struct pr_count c;
	struct rusage ru;
	sigset_t set;
	double hit;
	int r, sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	r = setup_region(o, s);
	if (r < 0)
		return r;
	r = load_block_nodes(s);
	if (r < 0)
		return r;
	s->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (s->pagemap_fd < 0) {
		fprintf(stderr, "e2e-pressure: /proc/self/pagemap: %s\n", strerror(errno));
		return -errno;
	}
	s->churn_slots = o->churn_live_mb / CHURN_CHUNK_MB;
	s->churn = calloc(s->churn_slots, sizeof(*s->churn));
	if (!s->churn)
		return -ENOMEM;
	r = sample(o, s, true, &c, &hit);
	if (r < 0)
		return r;
	if (c.hot[ON_FAST] + c.hot[ON_SLOW] + c.rest[ON_FAST] + c.rest[ON_SLOW] == 0) {
		fprintf(stderr, "e2e-pressure: pagemap shows no page frames (needs CAP_SYS_ADMIN)\n");
		return -EPERM;
	}
	printf("E2E-WORKLOAD pid=%d base=%p page=%zu pages=%llu hot=%llu stride=%llu "
	       "slow_pages=%llu fill_pages=%llu slow_node=%d access=%s sweep_s=%u "
	       "churn_mbps=%u churn_live_mb=%u reset_policy=1\n", getpid(),
	       (void *)s->base, s->page, (unsigned long long)s->nr_pages,
	       (unsigned long long)s->nr_hot,
	       (unsigned long long)(s->nr_slow / s->nr_hot),
	       (unsigned long long)s->nr_slow, (unsigned long long)s->nr_fill,
	       o->slow_node, o->write ? "write" : "read", o->sweep_s,
	       o->churn_mbps, o->churn_live_mb);
	print_sample("E2E-POPULATED", 0, s, &c, 0);
	if (o->wait_go) {
		printf("E2E-READY pid=%d\n", getpid());
		fflush(stdout);
		if (sigwait(&set, &sig) != 0)
			return -EINTR;
	}

	start = now_ms();
	next = start + o->sample_ms;
	for (;;) {
		t = now_ms();
		if (t >= next) {
			r = sample(o, s, false, &c, &hit);
			if (r < 0)
				return r;
			print_sample("E2E-SAMPLE", t - start, s, &c, hit);
			next += o->sample_ms;
		}
		if (t - start >= o->duration_ms)
			break;
		pass(o, s, n++, &sink);
		sweep(o, s, t - start, &sink);
		churn(o, s, t - start);
		if (o->pass_sleep_us)
			usleep(o->pass_sleep_us);
	}
	r = sample(o, s, false, &c, &hit);
	if (r < 0)
		return r;
	print_sample("E2E-PLACEMENT", now_ms() - start, s, &c, hit);
	getrusage(RUSAGE_SELF, &ru);
	printf("E2E-WORKLOAD-DONE passes=%llu cpu_ms=%llu utime_ms=%llu stime_ms=%llu "
	       "hit_pct=%.2f accesses=%llu\n", (unsigned long long)n,
	       (unsigned long long)(tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime)),
	       (unsigned long long)tv_ms(ru.ru_utime),
	       (unsigned long long)tv_ms(ru.ru_stime),
	       s->accesses_total ? 100.0 * s->hits_total / s->accesses_total : 0,
	       (unsigned long long)s->accesses_total);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct pr_state s = { .pagemap_fd = -1 };
	struct pr_opts o;
	int r;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	prctl(PR_SET_NAME, "e2e-pressure");
	r = run(&o, &s);
	return r < 0 ? 1 : 0;
}
