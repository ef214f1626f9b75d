// SPDX-License-Identifier: GPL-2.0
/*
 * fault-workload: the process tierd promotes in tests/e2e/faults.sh, and
 * the faults it makes happen to itself mid-promotion.
 *
 * It binds a region to node 1 (the slow node), stamps every page with a
 * tag, and after SIGUSR2 ("go") writes a counter byte in each hot unit
 * every pass (a unit is one page, or with --thp a 2 MiB granule whose
 * first page is written).  --fault says what happens meanwhile:
 *
 *   plain   nothing (the DRAM-full test fills node 0 from outside: --hog)
 *   exit    exit as soon as part of the hot set is on node 0
 *   unmap   at that moment, munmap the second half of the region
 *   mbind   every --period-ms, mbind(MPOL_BIND node 1, MPOL_MF_MOVE): the
 *           kernel moves the promoted pages back
 *   pin     at --pin-at-ms, pin the 2nd, 3rd and 4th quarters of the hot
 *           set with mlock, io_uring registered buffers and vmsplice
 *   thp     (--thp) when part of the hot set moved, split the hot granules
 *           still on node 1: mprotect a page of half of them, munmap a page
 *           of the others
 *
 * At the end (or the exit) it checks every tag and counter still mapped and
 * prints FW-RESULT with the hot set's placement.  --hog --leave-kb N instead
 * fills node 0 until N kB are free there and holds it until SIGTERM.
 * Lines for the harness start with "FW-"; times are CLOCK_BOOTTIME ms, the
 * guest's /proc/uptime.
 */
#include <errno.h>
#include <getopt.h>
#include <numaif.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "fault_workload.h"

#define THP_PAGES	512
#define NODE_MASK(n)	(1UL << (n))

struct fw_opts {
	const char *fault;
	uint64_t size_mb, hot;
	unsigned int duration_ms, period_ms, pin_at_ms;
	bool thp, wait_go, hog;
	uint64_t leave_kb;
};

static uint64_t up_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t tag_of(uint64_t pg)
{
	uint64_t h = pg * 0x9e3779b97f4a7c15ULL + 0x5bd1e995;

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 29);
}

/* Pages per hot unit: one, or a 2 MiB granule. */
static uint64_t unit_pages(const struct fw_opts *o)
{
	return o->thp ? THP_PAGES : 1;
}

struct placement {
	uint64_t on0, on1, other;
};

/* Where the pages of hot units [from, to) are (unmapped ones skipped). */
static int hot_placement(const struct fw_opts *o, const struct fw_region *r,
			 uint64_t from, uint64_t to, struct placement *pl)
{
	enum { CHUNK = 1024 };
	void *pages[CHUNK];
	int status[CHUNK];
	uint64_t per = unit_pages(o), n = 0;

	memset(pl, 0, sizeof(*pl));
	for (uint64_t i = from; i < to; i++) {
		for (uint64_t j = 0; j < per; j++) {
			uint64_t pg = fw_hot_page(r, i) + j;

			if (r->gone[pg])
				continue;
			pages[n++] = fw_page_addr(r, pg);
			if (n < CHUNK)
				continue;
			if (move_pages(0, n, pages, NULL, status, 0) < 0)
				return -errno;
			for (uint64_t k = 0; k < n; k++) {
				if (status[k] == 0)
					pl->on0++;
				else if (status[k] == 1)
					pl->on1++;
				else
					pl->other++;
			}
			n = 0;
		}
	}
	if (n) {
		if (move_pages(0, n, pages, NULL, status, 0) < 0)
			return -errno;
		for (uint64_t k = 0; k < n; k++)
			pl->on0 += status[k] == 0, pl->on1 += status[k] == 1,
			pl->other += status[k] != 0 && status[k] != 1;
	}
	return 0;
}

static void print_result(const struct fw_opts *o, struct fw_region *r,
			 const char *why)
{
	uint64_t tags_bad = 0, cnt_bad = 0, checked = 0, gone = 0;
	struct placement pl = { 0 };
	uint8_t want = (uint8_t)r->passes;

	for (uint64_t pg = 0; pg < r->nr_pages; pg++) {
		if (r->gone[pg]) {
			gone++;
			continue;
		}
		checked++;
		tags_bad += *(uint64_t *)fw_page_addr(r, pg) != tag_of(pg);
	}
	for (uint64_t i = 0; i < r->nr_hot; i++) {
		uint64_t pg = fw_hot_page(r, i);

		if (!r->gone[pg])
			cnt_bad += (uint8_t)fw_page_addr(r, pg)[FW_COUNTER_OFF] != want;
	}
	/* the quarters of the hot set the pin fault treats differently */
	for (int q = 0; q < 4 && !strcmp(o->fault, "pin"); q++) {
		hot_placement(o, r, q * r->nr_hot / 4, (q + 1) * r->nr_hot / 4, &pl);
		printf("FW-QUARTER q=%d on0=%llu on1=%llu other=%llu\n", q,
		       (unsigned long long)pl.on0, (unsigned long long)pl.on1,
		       (unsigned long long)pl.other);
	}
	hot_placement(o, r, 0, r->nr_hot, &pl);
	printf("FW-RESULT up_ms=%llu fault=%s why=%s hot_on0=%llu hot_on1=%llu hot_other=%llu pages_checked=%llu pages_gone=%llu tags_bad=%llu counters_bad=%llu passes=%llu\n",
	       (unsigned long long)up_ms(), o->fault, why,
	       (unsigned long long)pl.on0, (unsigned long long)pl.on1,
	       (unsigned long long)pl.other, (unsigned long long)checked,
	       (unsigned long long)gone, (unsigned long long)tags_bad,
	       (unsigned long long)cnt_bad, (unsigned long long)r->passes);
	fflush(stdout);
}

static long anon_huge_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int setup(const struct fw_opts *o, struct fw_region *r)
{
	unsigned long mask = NODE_MASK(1);
	size_t len;

	r->nr_pages = o->size_mb * (1024 * 1024 / FW_PAGE);
	r->nr_hot = o->hot;
	r->stride = r->nr_pages / r->nr_hot;
	if (!r->nr_hot || r->stride < unit_pages(o) ||
	    (o->thp && r->stride % THP_PAGES)) {
		fprintf(stderr, "fault-workload: %llu hot units do not fit %llu MiB\n",
			(unsigned long long)o->hot, (unsigned long long)o->size_mb);
		return -EINVAL;
	}
	len = r->nr_pages * FW_PAGE;
	r->gone = calloc(r->nr_pages, sizeof(*r->gone));
	/* 2 MiB aligned, so a granule is one huge page */
	r->base = mmap(NULL, len + (2UL << 20), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!r->gone || r->base == MAP_FAILED)
		return -ENOMEM;
	r->base = (char *)(((uintptr_t)r->base + (2UL << 20) - 1) & ~((2UL << 20) - 1));
	if (madvise(r->base, len, o->thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) < 0 ||
	    mbind(r->base, len, MPOL_BIND, &mask, 8 * sizeof(mask), 0) < 0) {
		perror("fault-workload: madvise/mbind");
		return -errno;
	}
	for (uint64_t pg = 0; pg < r->nr_pages; pg++)
		*(uint64_t *)fw_page_addr(r, pg) = tag_of(pg);
	return 0;
}

static void write_pass(struct fw_region *r)
{
	for (uint64_t i = 0; i < r->nr_hot; i++) {
		uint64_t pg = fw_hot_page(r, i);

		if (!r->gone[pg])
			(*(volatile char *)(fw_page_addr(r, pg) + FW_COUNTER_OFF))++;
	}
	r->passes++;
}

static void unmap_pages(struct fw_region *r, uint64_t pg, uint64_t n)
{
	if (munmap(fw_page_addr(r, pg), n * FW_PAGE) < 0) {
		perror("fault-workload: munmap");
		return;
	}
	for (uint64_t k = 0; k < n; k++)
		r->gone[pg + k] = true;
}

/* Split the hot granules still on node 1 (none of their pages moved). */
static void split_granules(const struct fw_opts *o, struct fw_region *r)
{
	long before = anon_huge_kb();
	uint64_t split = 0, holes = 0;

	for (uint64_t i = 0; i < r->nr_hot; i++) {
		char *g = fw_page_addr(r, fw_hot_page(r, i));
		struct placement pl;

		if (hot_placement(o, r, i, i + 1, &pl) < 0 || pl.on0)
			continue;
		split++;
		if (i % 2) {
			/* a hole at the end of the granule */
			unmap_pages(r, fw_hot_page(r, i) + THP_PAGES - 1, 1);
			holes++;
		} else {
			/* another protection for one page splits the PMD */
			mprotect(g + 256 * FW_PAGE, FW_PAGE, PROT_READ);
			mprotect(g + 256 * FW_PAGE, FW_PAGE, PROT_READ | PROT_WRITE);
		}
	}
	madvise(r->base, r->nr_pages * FW_PAGE, MADV_NOHUGEPAGE);
	printf("FW-EVENT up_ms=%llu what=split granules=%llu holes=%llu anon_huge_kb_before=%ld after=%ld\n",
	       (unsigned long long)up_ms(), (unsigned long long)split,
	       (unsigned long long)holes, before, anon_huge_kb());
	fflush(stdout);
}

static void rebind(const struct fw_opts *o, struct fw_region *r)
{
	unsigned long mask = NODE_MASK(1);
	struct placement a, b;
	int ret;

	hot_placement(o, r, 0, r->nr_hot, &a);
	ret = mbind(r->base, r->nr_pages * FW_PAGE, MPOL_BIND, &mask,
		    8 * sizeof(mask), MPOL_MF_MOVE);
	hot_placement(o, r, 0, r->nr_hot, &b);
	printf("FW-EVENT up_ms=%llu what=rebind rc=%d hot_on0_before=%llu hot_on0_after=%llu\n",
	       (unsigned long long)up_ms(), ret < 0 ? -errno : 0,
	       (unsigned long long)a.on0, (unsigned long long)b.on0);
	fflush(stdout);
}

/* One step of the fault under test; returns true to stop now (exit). */
static bool fault_step(const struct fw_opts *o, struct fw_region *r,
		       uint64_t t_ms, uint64_t *next_ms, bool *done)
{
	struct placement pl;
	uint64_t total = r->nr_hot * unit_pages(o);

	if (!strcmp(o->fault, "mbind")) {
		if (t_ms >= *next_ms) {
			rebind(o, r);
			*next_ms += o->period_ms;
		}
		return false;
	}
	if (*done)
		return false;
	if (!strcmp(o->fault, "pin")) {
		if (t_ms < o->pin_at_ms)
			return false;
		*done = true;
		fw_pin(r, "mlock", r->nr_hot / 4, r->nr_hot / 2);
		fw_pin(r, "io_uring", r->nr_hot / 2, 3 * r->nr_hot / 4);
		fw_pin(r, "vmsplice", 3 * r->nr_hot / 4, r->nr_hot);
		return false;
	}
	if (strcmp(o->fault, "exit") && strcmp(o->fault, "unmap") &&
	    strcmp(o->fault, "thp"))
		return false;
	/* the moment part of the hot set is on node 0 and part is not */
	if (hot_placement(o, r, 0, r->nr_hot, &pl) < 0 || !pl.on0 ||
	    pl.on0 >= total)
		return false;
	*done = true;
	printf("FW-EVENT up_ms=%llu what=%s hot_on0=%llu hot_on1=%llu\n",
	       (unsigned long long)up_ms(), o->fault,
	       (unsigned long long)pl.on0, (unsigned long long)pl.on1);
	fflush(stdout);
	if (!strcmp(o->fault, "exit"))
		return true;
	if (!strcmp(o->fault, "unmap"))
		unmap_pages(r, r->nr_pages / 2, r->nr_pages / 2);
	else
		split_granules(o, r);
	return false;
}

static int run(const struct fw_opts *o)
{
	struct fw_region r = { 0 };
	struct placement pl;
	uint64_t start, t, next_sample = 0, next_fault;
	bool done = false;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (setup(o, &r) < 0)
		return 1;
	hot_placement(o, &r, 0, r.nr_hot, &pl);
	printf("FW-WORKLOAD pid=%d fault=%s base=%p pages=%llu hot=%llu unit_pages=%llu stride=%llu anon_huge_kb=%ld\n",
	       getpid(), o->fault, (void *)r.base, (unsigned long long)r.nr_pages,
	       (unsigned long long)r.nr_hot, (unsigned long long)unit_pages(o),
	       (unsigned long long)r.stride, anon_huge_kb());
	printf("FW-POPULATED hot_on0=%llu hot_on1=%llu hot_other=%llu\n",
	       (unsigned long long)pl.on0, (unsigned long long)pl.on1,
	       (unsigned long long)pl.other);
	if (o->wait_go) {
		printf("FW-READY pid=%d\n", getpid());
		fflush(stdout);
		sigwait(&set, &sig);
	}
	start = up_ms();
	next_fault = o->period_ms;
	for (;;) {
		t = up_ms() - start;
		if (t >= next_sample) {
			hot_placement(o, &r, 0, r.nr_hot, &pl);
			printf("FW-SAMPLE up_ms=%llu t_ms=%llu hot_on0=%llu hot_on1=%llu hot_other=%llu\n",
			       (unsigned long long)up_ms(), (unsigned long long)t,
			       (unsigned long long)pl.on0, (unsigned long long)pl.on1,
			       (unsigned long long)pl.other);
			fflush(stdout);
			next_sample += 1000;
		}
		if (t >= o->duration_ms)
			break;
		write_pass(&r);
		if (fault_step(o, &r, t, &next_fault, &done)) {
			print_result(o, &r, "exit");
			_exit(0);
		}
		usleep(5000);
	}
	print_result(o, &r, "end");
	/* a fault that never found its moment (a partial promotion) */
	return strcmp(o->fault, "plain") && strcmp(o->fault, "mbind") && !done ? 3 : 0;
}

static uint64_t node0_free_kb(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/sys/devices/system/node/node0/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Node 0 MemFree: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Fill node 0 down to @leave_kb free, in 1 MiB steps, and hold it. */
static int hog(const struct fw_opts *o)
{
	unsigned long mask = NODE_MASK(0);
	uint64_t filled = 0;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	while (node0_free_kb() > o->leave_kb + 1024) {
		size_t step = (node0_free_kb() - o->leave_kb) > 65536 ? 32UL << 20 : 1UL << 20;
		char *m = mmap(NULL, step, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			break;
		madvise(m, step, MADV_NOHUGEPAGE);
		if (mbind(m, step, MPOL_BIND, &mask, 8 * sizeof(mask), 0) < 0)
			break;
		memset(m, 1, step);
		filled += step >> 10;
	}
	printf("FW-HOG pid=%d filled_kb=%llu node0_free_kb=%llu\n", getpid(),
	       (unsigned long long)filled, (unsigned long long)node0_free_kb());
	fflush(stdout);
	sigwait(&set, &sig);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "fault", required_argument, NULL, 'f' },
		{ "size-mb", required_argument, NULL, 's' },
		{ "hot", required_argument, NULL, 'H' },
		{ "duration-ms", required_argument, NULL, 'd' },
		{ "period-ms", required_argument, NULL, 'p' },
		{ "pin-at-ms", required_argument, NULL, 'P' },
		{ "thp", no_argument, NULL, 'T' },
		{ "wait-go", no_argument, NULL, 'w' },
		{ "hog", no_argument, NULL, 'g' },
		{ "leave-kb", required_argument, NULL, 'l' },
		{}
	};
	struct fw_opts o = { .fault = "plain", .size_mb = 64, .hot = 2048,
			     .duration_ms = 10000, .period_ms = 2000,
			     .pin_at_ms = 1000, .leave_kb = 4096 };
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o.fault = optarg; break;
		case 's': o.size_mb = strtoull(optarg, NULL, 0); break;
		case 'H': o.hot = strtoull(optarg, NULL, 0); break;
		case 'd': o.duration_ms = (unsigned int)atoi(optarg); break;
		case 'p': o.period_ms = (unsigned int)atoi(optarg); break;
		case 'P': o.pin_at_ms = (unsigned int)atoi(optarg); break;
		case 'T': o.thp = true; break;
		case 'w': o.wait_go = true; break;
		case 'g': o.hog = true; break;
		case 'l': o.leave_kb = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: fault-workload --fault plain|exit|unmap|mbind|pin|thp [--size-mb N] [--hot N] [--duration-ms MS] [--period-ms MS] [--pin-at-ms MS] [--thp] [--wait-go]\n"
				"       fault-workload --hog [--leave-kb N]\n");
			return 2;
		}
	}
	prctl(PR_SET_NAME, o.hog ? "fault-hog" : "fault-workload");
	return o.hog ? hog(&o) : run(&o);
}
