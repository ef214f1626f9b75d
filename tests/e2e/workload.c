// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-workload: a process with a known hot set on the slow node.
 *
 * It binds an anonymous region to the slow node, populates it, then keeps
 * accessing a spread-out subset of its pages (the hot set) and never touches
 * the rest again (the cold set).  --access says how: writes (what the
 * soft-dirty source sees), loads only (read-hot memory: no write ever marks
 * it), or both, every other hot page.  Because it knows both sets exactly, it can
 * report where each set lives with move_pages(2) in query mode; the e2e
 * harness compares those counts with what the promoter claims it did.
 *
 * Every line meant for the harness starts with "E2E-" and is key=value, so
 * it survives being interleaved with kernel messages on a serial console.
 *
 * A second mode (--oracle PID) is a stand-in promoter that knows the hot set
 * of another e2e-workload (same layout flags) and moves exactly those pages;
 * it lets the harness prove its positive path without tierd.
 */
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

#define COUNT_NODES 2		/* nodes reported by name: on0, on1 */
/* The hot phase writes only bytes 0..63 of a page (pass % 64). */
#define CHECKSUM_SKIP 64

/* How the hot set is accessed.  One list: parser, usage and report. */
#define ACCESS_MODES(X) \
	X(ACCESS_WRITE, "write") \
	X(ACCESS_READ, "read") \
	X(ACCESS_MIXED, "mixed")

#define ACCESS_ENUM(id, name) id,
enum access_mode { ACCESS_MODES(ACCESS_ENUM) };
#define ACCESS_NAME(id, name) [id] = name,
static const char *const access_names[] = { ACCESS_MODES(ACCESS_NAME) };

struct wl_opts {
	uint64_t size_mb;
	int slow_node;
	double hot_fraction;
	uint64_t hot_pages;		/* overrides hot_fraction when set */
	unsigned int duration_ms;
	unsigned int sample_ms;
	unsigned int pass_sleep_us;
	enum access_mode access;
	bool thp;
	bool reset_policy;		/* drop MPOL_BIND after populating */
	bool wait_go;			/* populate, then wait for SIGUSR2 */
	bool checksum;			/* fill pages with a pattern, check it */
	bool check_soft_dirty;
	pid_t oracle_pid;		/* > 0: act as the stand-in promoter */
	uint64_t oracle_base;
	int fast_node;
};

struct wl_layout {
	char *base;
	size_t page;
	uint64_t nr_pages;
	uint64_t nr_hot;
	uint64_t stride;		/* hot page i is page i * stride */
};

struct placement {
	uint64_t hot_on[COUNT_NODES], cold_on[COUNT_NODES];
	uint64_t hot_other, cold_other;	/* other nodes or not present */
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
		"usage: e2e-workload [options]\n"
		"  --size-mb N         region size (default 64)\n"
		"  --slow-node N       node to bind the region to (default 1)\n"
		"  --fast-node N       node the oracle promotes to (default 0)\n"
		"  --hot-fraction F    fraction of pages in the hot set (default 0.125)\n"
		"  --hot-pages H       exact hot-set size (overrides --hot-fraction)\n"
		"  --duration-ms MS    length of the hot phase (default 20000)\n"
		"  --sample-ms MS      placement timeline period (default 1000)\n"
		"  --pass-sleep-us US  pause between passes over the hot set (default 1000)\n"
		"  --access MODE       write (default): one byte per hot page per pass;\n"
		"                      read: loads only; mixed: even hot pages read,\n"
		"                      odd ones written\n"
		"  --thp               allow transparent huge pages (default: 4 KiB)\n"
		"  --reset-policy      drop the node binding after populating, so the\n"
		"                      kernel's NUMA balancing may move pages\n"
		"  --wait-go           after populating, wait for SIGUSR2\n"
		"                      (SIGUSR1 during the run prints E2E-REQUESTED)\n"
		"  --checksum          fill each page past its first %d bytes with a\n"
		"                      pattern of its own and check every page after\n"
		"                      populating, on SIGUSR1 and at the end\n"
		"                      (E2E-CHECKSUM: a page lost or swapped shows)\n"
		"  --check-soft-dirty  check that clear_refs 4 write-protects and\n"
		"                      pagemap bit 55 tracks writes, then exit\n"
		"  --oracle PID --base ADDR\n"
		"                      move the hot set of e2e-workload PID (same\n"
		"                      layout flags, region at ADDR) to the fast node\n",
		CHECKSUM_SKIP);
}

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "e2e-workload: %s: '%s' is not a number in [%llu, %llu]\n",
			opt, s, (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_access(const char *s, enum access_mode *out)
{
	size_t i;

	for (i = 0; i < sizeof(access_names) / sizeof(access_names[0]); i++) {
		if (strcmp(s, access_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	fprintf(stderr, "e2e-workload: --access: '%s' is not write, read or mixed\n", s);
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct wl_opts *o)
{
	static const struct option lo[] = {
		{ "size-mb", required_argument, NULL, 's' },
		{ "slow-node", required_argument, NULL, 'n' },
		{ "fast-node", required_argument, NULL, 'f' },
		{ "hot-fraction", required_argument, NULL, 'F' },
		{ "hot-pages", required_argument, NULL, 'H' },
		{ "duration-ms", required_argument, NULL, 'd' },
		{ "sample-ms", required_argument, NULL, 'S' },
		{ "pass-sleep-us", required_argument, NULL, 'p' },
		{ "access", required_argument, NULL, 'a' },
		{ "thp", no_argument, NULL, 'T' },
		{ "reset-policy", no_argument, NULL, 'R' },
		{ "wait-go", no_argument, NULL, 'w' },
		{ "checksum", no_argument, NULL, 'C' },
		{ "check-soft-dirty", no_argument, NULL, 'D' },
		{ "oracle", required_argument, NULL, 'o' },
		{ "base", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	uint64_t v;
	char *end;
	int c, r;

	*o = (struct wl_opts){
		.size_mb = 64, .slow_node = 1, .fast_node = 0,
		.hot_fraction = 0.125, .duration_ms = 20000,
		.sample_ms = 1000, .pass_sleep_us = 1000, .access = ACCESS_WRITE,
	};
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		r = 0;
		switch (c) {
		case 's':
			r = parse_u64("--size-mb", optarg, 1, 1 << 20, &o->size_mb);
			break;
		case 'n':
			r = parse_u64("--slow-node", optarg, 0, 1023, &v);
			o->slow_node = v;
			break;
		case 'f':
			r = parse_u64("--fast-node", optarg, 0, 1023, &v);
			o->fast_node = v;
			break;
		case 'F':
			errno = 0;
			o->hot_fraction = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(o->hot_fraction > 0 && o->hot_fraction <= 1)) {
				fprintf(stderr, "e2e-workload: --hot-fraction: '%s' is not in (0, 1]\n",
					optarg);
				r = -EINVAL;
			}
			break;
		case 'H':
			r = parse_u64("--hot-pages", optarg, 1, UINT64_MAX, &o->hot_pages);
			break;
		case 'd':
			r = parse_u64("--duration-ms", optarg, 0, UINT_MAX, &v);
			o->duration_ms = v;
			break;
		case 'S':
			r = parse_u64("--sample-ms", optarg, 10, UINT_MAX, &v);
			o->sample_ms = v;
			break;
		case 'p':
			r = parse_u64("--pass-sleep-us", optarg, 0, 10000000, &v);
			o->pass_sleep_us = v;
			break;
		case 'a':
			r = parse_access(optarg, &o->access);
			break;
		case 'T':
			o->thp = true;
			break;
		case 'R':
			o->reset_policy = true;
			break;
		case 'w':
			o->wait_go = true;
			break;
		case 'C':
			o->checksum = true;
			break;
		case 'D':
			o->check_soft_dirty = true;
			break;
		case 'o':
			r = parse_u64("--oracle", optarg, 1, INT_MAX, &v);
			o->oracle_pid = v;
			break;
		case 'b':
			r = parse_u64("--base", optarg, 1, UINT64_MAX, &o->oracle_base);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "e2e-workload: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->oracle_pid && !o->oracle_base) {
		fprintf(stderr, "e2e-workload: --oracle needs --base ADDR\n");
		return -EINVAL;
	}
	return 0;
}

/* Hot pages are spread with a stride so they are not one contiguous run. */
static int layout_init(const struct wl_opts *o, struct wl_layout *l)
{
	l->page = sysconf(_SC_PAGESIZE);
	l->nr_pages = o->size_mb * (1024 * 1024 / l->page);
	l->nr_hot = o->hot_pages ? o->hot_pages :
		(uint64_t)(l->nr_pages * o->hot_fraction);
	if (l->nr_hot == 0)
		l->nr_hot = 1;
	if (l->nr_hot > l->nr_pages) {
		fprintf(stderr, "e2e-workload: --hot-pages %llu exceeds the region's %llu pages\n",
			(unsigned long long)l->nr_hot, (unsigned long long)l->nr_pages);
		return -EINVAL;
	}
	l->stride = l->nr_pages / l->nr_hot;
	return 0;
}

static bool page_is_hot(const struct wl_layout *l, uint64_t i)
{
	return i % l->stride == 0 && i / l->stride < l->nr_hot;
}

/* move_pages() in query mode over the whole region, in chunks. */
static int query_placement(pid_t pid, const struct wl_layout *l,
			   struct placement *pl)
{
	enum { CHUNK = 4096 };
	void *pages[CHUNK];
	int status[CHUNK];
	uint64_t i, j, n;
	long r;

	memset(pl, 0, sizeof(*pl));
	for (i = 0; i < l->nr_pages; i += n) {
		n = l->nr_pages - i < CHUNK ? l->nr_pages - i : CHUNK;
		for (j = 0; j < n; j++)
			pages[j] = l->base + (i + j) * l->page;
		r = move_pages(pid, n, pages, NULL, status, 0);
		if (r < 0) {
			r = -errno;
			fprintf(stderr, "e2e-workload: move_pages query of pid %d: %s\n",
				pid, strerror(errno));
			return r;
		}
		for (j = 0; j < n; j++) {
			bool hot = page_is_hot(l, i + j);
			int nid = status[j];

			if (nid >= 0 && nid < COUNT_NODES)
				(hot ? pl->hot_on : pl->cold_on)[nid]++;
			else
				*(hot ? &pl->hot_other : &pl->cold_other) += 1;
		}
	}
	return 0;
}

/* minflt: the workload's minor faults so far (tracking faults among them) */
static void print_placement(const char *tag, uint64_t t_ms,
			    const struct placement *pl)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("%s t_ms=%llu hot_on0=%llu hot_on1=%llu hot_other=%llu "
	       "cold_on0=%llu cold_on1=%llu cold_other=%llu minflt=%ld\n", tag,
	       (unsigned long long)t_ms,
	       (unsigned long long)pl->hot_on[0], (unsigned long long)pl->hot_on[1],
	       (unsigned long long)pl->hot_other,
	       (unsigned long long)pl->cold_on[0], (unsigned long long)pl->cold_on[1],
	       (unsigned long long)pl->cold_other, ru.ru_minflt);
	fflush(stdout);
}

/* The pattern word at byte @off of page @i: differs for every page. */
static uint64_t pattern_word(uint64_t i, size_t off)
{
	uint64_t x = (i << 20 | off) * 0x9e3779b97f4a7c15ULL;

	return x ^ x >> 29;
}

static void fill_pattern(const struct wl_layout *l)
{
	for (uint64_t i = 0; i < l->nr_pages; i++) {
		uint64_t *w = (uint64_t *)(l->base + i * l->page);

		for (size_t off = CHECKSUM_SKIP; off < l->page; off += 8)
			w[off / 8] = pattern_word(i, off);
	}
}

/*
 * Every page against its own pattern, and one checksum over the region
 * past each page's first CHECKSUM_SKIP bytes: a page lost (zeroed), swapped
 * or copied onto another one shows in both.
 */
static void report_checksum(const char *phase, const struct wl_layout *l)
{
	uint64_t sum = 0, bad = 0, first_bad = UINT64_MAX;

	for (uint64_t i = 0; i < l->nr_pages; i++) {
		const volatile uint64_t *w =
			(const uint64_t *)(l->base + i * l->page);
		bool ok = true;

		for (size_t off = CHECKSUM_SKIP; off < l->page; off += 8) {
			uint64_t v = w[off / 8];

			ok &= v == pattern_word(i, off);
			sum = (sum << 7 | sum >> 57) ^ v;
		}
		if (!ok && !bad++)
			first_bad = i;
	}
	printf("E2E-CHECKSUM phase=%s sum=%016llx pages=%llu bad_pages=%llu first_bad=%lld\n",
	       phase, (unsigned long long)sum, (unsigned long long)l->nr_pages,
	       (unsigned long long)bad,
	       bad ? (long long)first_bad : -1LL);
	fflush(stdout);
}

static int run_oracle(const struct wl_opts *o, struct wl_layout *l)
{
	void **pages = NULL;
	int *nodes = NULL, *status = NULL;
	uint64_t i, moved = 0;
	long r;

	l->base = (char *)(uintptr_t)o->oracle_base;
	pages = calloc(l->nr_hot, sizeof(*pages));
	nodes = calloc(l->nr_hot, sizeof(*nodes));
	status = calloc(l->nr_hot, sizeof(*status));
	if (!pages || !nodes || !status) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < l->nr_hot; i++) {
		pages[i] = l->base + i * l->stride * l->page;
		nodes[i] = o->fast_node;
	}
	r = move_pages(o->oracle_pid, l->nr_hot, pages, nodes, status, MPOL_MF_MOVE);
	if (r < 0) {
		r = -errno;
		fprintf(stderr, "e2e-workload: oracle move_pages of pid %d: %s\n",
			o->oracle_pid, strerror(errno));
		goto out;
	}
	for (i = 0; i < l->nr_hot; i++)
		moved += status[i] == o->fast_node;
	printf("E2E-ORACLE pid=%d requested=%llu on_fast=%llu not_migrated=%ld\n",
	       o->oracle_pid, (unsigned long long)l->nr_hot,
	       (unsigned long long)moved, r);
	r = 0;
out:
	free(pages);
	free(nodes);
	free(status);
	return r;
}

static int setup_region(const struct wl_opts *o, struct wl_layout *l)
{
	size_t len = l->nr_pages * l->page;
	unsigned long mask[16] = {};
	struct bitmask *bm;
	uint64_t i;
	int r;

	if (numa_available() < 0) {
		fprintf(stderr, "e2e-workload: the kernel has no NUMA support\n");
		return -ENOSYS;
	}
	if (o->slow_node > numa_max_node() ||
	    o->slow_node >= (int)(sizeof(mask) * 8)) {
		fprintf(stderr, "e2e-workload: --slow-node %d: the highest node is %d\n",
			o->slow_node, numa_max_node());
		return -EINVAL;
	}
	bm = numa_get_mems_allowed();
	r = numa_bitmask_isbitset(bm, o->slow_node);
	numa_bitmask_free(bm);
	if (!r) {
		fprintf(stderr, "e2e-workload: node %d has no memory or is not allowed\n",
			o->slow_node);
		return -EINVAL;
	}

	l->base = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (l->base == MAP_FAILED) {
		r = -errno;
		fprintf(stderr, "e2e-workload: mmap %zu bytes: %s\n", len, strerror(errno));
		return r;
	}
	if (madvise(l->base, len, o->thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) < 0)
		fprintf(stderr, "e2e-workload: madvise(%s): %s (continuing)\n",
			o->thp ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE", strerror(errno));
	mask[o->slow_node / (8 * sizeof(long))] |= 1UL << (o->slow_node % (8 * sizeof(long)));
	if (mbind(l->base, len, MPOL_BIND, mask, sizeof(mask) * 8, 0) < 0) {
		r = -errno;
		fprintf(stderr, "e2e-workload: mbind to node %d: %s\n",
			o->slow_node, strerror(errno));
		return r;
	}
	for (i = 0; i < l->nr_pages; i++)
		l->base[i * l->page] = (char)i;
	if (o->checksum)
		fill_pattern(l);
	/*
	 * NUMA balancing never moves pages whose VMA policy is MPOL_BIND to a
	 * node in the mask; dropping the policy keeps them on the slow node
	 * but lets the kernel's mechanism compete on equal terms.
	 */
	if (o->reset_policy && mbind(l->base, len, MPOL_DEFAULT, NULL, 0, 0) < 0) {
		r = -errno;
		fprintf(stderr, "e2e-workload: mbind(MPOL_DEFAULT): %s\n", strerror(errno));
		return r;
	}
	return 0;
}

/* Bit 55 of a pagemap entry: the PTE is soft-dirty. */
static int page_soft_dirty(int fd, const void *addr, size_t page)
{
	uint64_t ent;
	off_t off = (uintptr_t)addr / page * sizeof(ent);

	if (pread(fd, &ent, sizeof(ent), off) != (ssize_t)sizeof(ent))
		return -errno ?: -EIO;
	return !!(ent & (1ULL << 55));
}

static int clear_soft_dirty(void)
{
	int fd, r = 0;

	fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "4", 1) != 1)
		r = -errno;
	close(fd);
	return r;
}

/*
 * The soft-dirty source relies on three things: clear_refs accepts "4",
 * it clears bit 55, and the next write sets it again (through a fault).
 */
static int check_soft_dirty(void)
{
	size_t page = sysconf(_SC_PAGESIZE);
	volatile char *p;
	const char *why = NULL;
	int fd, before, after, r;

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		why = "mmap failed";
		goto out;
	}
	p[0] = 1;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		why = "cannot open /proc/self/pagemap";
		goto out;
	}
	r = clear_soft_dirty();
	if (r < 0) {
		why = "writing 4 to /proc/self/clear_refs failed (no CONFIG_MEM_SOFT_DIRTY?)";
		goto out_close;
	}
	before = page_soft_dirty(fd, (const void *)p, page);
	p[0] = 2;
	after = page_soft_dirty(fd, (const void *)p, page);
	if (before < 0 || after < 0)
		why = "cannot read /proc/self/pagemap";
	else if (before)
		why = "bit 55 still set after clear_refs 4";
	else if (!after)
		why = "bit 55 not set by a write after clear_refs 4";
out_close:
	close(fd);
out:
	if (why)
		printf("E2E-CHECK name=soft_dirty ok=0 reason=\"%s\"\n", why);
	else
		printf("E2E-CHECK name=soft_dirty ok=1\n");
	fflush(stdout);
	return why ? -ENOTSUP : 0;
}

static int wait_go(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	if (sigwait(&set, &sig) != 0)
		return -EINTR;
	return 0;
}

static uint64_t cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000ULL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* System time alone: where hint faults and task_numa_work are charged. */
static uint64_t stime_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_stime.tv_sec * 1000ULL + ru.ru_stime.tv_usec / 1000;
}

/* Hot page i is written in mode write, and in mode mixed when i is odd. */
static bool hot_page_written(enum access_mode m, uint64_t i)
{
	return m == ACCESS_WRITE || (m == ACCESS_MIXED && i % 2);
}

/*
 * One pass over the hot set: a byte per page, moving through the first
 * cache lines from pass to pass.  Loads go through a volatile pointer and
 * into *sink so the compiler keeps every one of them.
 */
static void access_hot_set(const struct wl_opts *o, const struct wl_layout *l,
			   uint64_t pass, volatile uint64_t *sink)
{
	volatile char *p;
	uint64_t i, sum = 0;

	for (i = 0; i < l->nr_hot; i++) {
		p = l->base + i * l->stride * l->page + pass % 64;
		if (hot_page_written(o->access, i))
			(*p)++;
		else
			sum += *p;
	}
	*sink += sum;
}

static int run_workload(const struct wl_opts *o, struct wl_layout *l)
{
	struct placement pl;
	uint64_t start, next_sample, t, passes = 0, i, written = 0;
	volatile uint64_t sink = 0;
	const struct timespec zero = { 0, 0 };
	sigset_t set, req;
	int r;

	/*
	 * Block SIGUSR2 (go) and SIGUSR1 (report placement now) before anyone
	 * can learn our pid; both are collected synchronously, no handlers.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&req);
	sigaddset(&req, SIGUSR1);

	r = setup_region(o, l);
	if (r < 0)
		return r;
	r = query_placement(0, l, &pl);
	if (r < 0)
		return r;
	for (i = 0; i < l->nr_hot; i++)
		written += hot_page_written(o->access, i);
	printf("E2E-WORKLOAD pid=%d base=%p page=%zu pages=%llu hot=%llu stride=%llu "
	       "slow_node=%d thp=%d access=%s hot_written=%llu hot_read=%llu "
	       "reset_policy=%d\n", getpid(), (void *)l->base, l->page,
	       (unsigned long long)l->nr_pages, (unsigned long long)l->nr_hot,
	       (unsigned long long)l->stride, o->slow_node, o->thp,
	       access_names[o->access], (unsigned long long)written,
	       (unsigned long long)(l->nr_hot - written), o->reset_policy);
	print_placement("E2E-POPULATED", 0, &pl);
	if (o->checksum)
		report_checksum("populated", l);
	if (pl.hot_on[1] + pl.cold_on[1] != l->nr_pages && o->slow_node == 1)
		fprintf(stderr, "e2e-workload: only %llu of %llu pages landed on node 1\n",
			(unsigned long long)(pl.hot_on[1] + pl.cold_on[1]),
			(unsigned long long)l->nr_pages);
	if (o->wait_go) {
		printf("E2E-READY pid=%d\n", getpid());
		fflush(stdout);
		r = wait_go();
		if (r < 0)
			return r;
	}

	start = now_ms();
	next_sample = start;
	for (;;) {
		t = now_ms();
		if (t >= next_sample) {
			r = query_placement(0, l, &pl);
			if (r < 0)
				return r;
			print_placement("E2E-SAMPLE", t - start, &pl);
			next_sample += o->sample_ms;
		}
		if (sigtimedwait(&req, NULL, &zero) == SIGUSR1) {
			r = query_placement(0, l, &pl);
			if (r < 0)
				return r;
			print_placement("E2E-REQUESTED", t - start, &pl);
			if (o->checksum)
				report_checksum("requested", l);
		}
		if (t - start >= o->duration_ms)
			break;
		access_hot_set(o, l, passes, &sink);
		passes++;
		if (o->pass_sleep_us)
			usleep(o->pass_sleep_us);
	}
	r = query_placement(0, l, &pl);
	if (r < 0)
		return r;
	print_placement("E2E-PLACEMENT", now_ms() - start, &pl);
	if (o->checksum)
		report_checksum("final", l);
	printf("E2E-WORKLOAD-DONE passes=%llu cpu_ms=%llu stime_ms=%llu\n",
	       (unsigned long long)passes, (unsigned long long)cpu_ms(),
	       (unsigned long long)stime_ms());
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct wl_opts o;
	struct wl_layout l;
	int r;

	r = parse_args(argc, argv, &o);
	if (r < 0)
		return 2;
	if (o.check_soft_dirty)
		return check_soft_dirty() < 0 ? 1 : 0;
	r = layout_init(&o, &l);
	if (r < 0)
		return 2;
	prctl(PR_SET_NAME, "e2e-workload");
	r = o.oracle_pid ? run_oracle(&o, &l) : run_workload(&o, &l);
	return r < 0 ? 1 : 0;
}
