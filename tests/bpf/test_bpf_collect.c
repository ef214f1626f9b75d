// SPDX-License-Identifier: GPL-2.0
/*
 * The soft-dirty source end to end on the host kernel: the collector
 * attaches the exceptions:page_fault_user program (forced on through the
 * features struct, since a kernel without CONFIG_MEM_SOFT_DIRTY cannot
 * re-arm), a child writes "hot" pages K times and "cold" pages once, and
 * exactly the hot pages must come back as records.  Without soft-dirty the
 * repeated write faults come from MADV_DONTNEED between rounds instead of
 * clear_refs; the BPF side cannot tell the difference.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>

#include "sources/collector.h"

#define K		4	/* write rounds of a hot page = threshold */
#define NPAGES		32	/* hot, cold, read-only, untouched, by i % 4 */
#define MAX_EVENTS	4096
#define TWO_MB		(2UL << 20)

enum page_kind { HOT, COLD, READ_ONLY, UNTOUCHED };

struct sink {
	struct tierd_event ev[MAX_EVENTS];
	unsigned int nr;
	unsigned int lost;
};

static void on_event(void *ctx, const struct tierd_event *ev)
{
	struct sink *s = ctx;

	if (s->nr < MAX_EVENTS)
		s->ev[s->nr++] = *ev;
	else
		s->lost++;
}

static long psz;

static enum page_kind kind(unsigned int i)
{
	return (enum page_kind)(i % 4);
}

/*
 * The child's whole life: wait for the go byte, fault, exit.  Hot pages
 * fault K times (MADV_DONTNEED drops them between rounds), cold pages once,
 * read-only pages K times but without the write bit.
 */
static void child(char *region, int go)
{
	char byte;
	unsigned int r, i;

	if (read(go, &byte, 1) != 1)
		_exit(2);
	for (r = 0; r < K; r++) {
		for (i = 0; i < NPAGES; i++) {
			volatile char *p = region + i * psz;

			if (kind(i) == HOT || (kind(i) == COLD && r == 0))
				*p = (char)(r + 1);
			else if (kind(i) == READ_ONLY)
				(void)*p;
		}
		if (r == K - 1)
			break;
		for (i = 0; i < NPAGES; i++)
			if ((kind(i) == HOT || kind(i) == READ_ONLY) &&
			    madvise(region + i * psz, psz, MADV_DONTNEED))
				_exit(3);
	}
	_exit(0);
}

struct worker {
	pid_t pid;
	int go;		/* write end */
};

/* Fork a child that waits for worker_run() before faulting. */
static void worker_start(struct worker *w, char *region)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	w->pid = fork();
	assert_true(w->pid >= 0);
	if (w->pid == 0) {
		close(fds[1]);
		child(region, fds[0]);
	}
	close(fds[0]);
	w->go = fds[1];
}

static void worker_run(struct worker *w)
{
	int status;

	assert_int_equal(write(w->go, "g", 1), 1);
	close(w->go);
	assert_int_equal(waitpid(w->pid, &status, 0), w->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

struct region {
	char *raw;
	char *base;	/* 2 MiB aligned, inside raw */
};

/* A fresh 2 MiB-aligned region the parent never touches; no THP. */
static char *region_new(struct region *r)
{
	r->raw = mmap(NULL, 2 * TWO_MB, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(r->raw != MAP_FAILED);
	r->base = (char *)(((uintptr_t)r->raw + TWO_MB - 1) & ~(TWO_MB - 1));
	/* one fault must map one page, or rounds would not re-fault */
	assert_int_equal(madvise(r->base, NPAGES * psz, MADV_NOHUGEPAGE), 0);
	return r->base;
}

static void region_free(struct region *r)
{
	assert_int_equal(munmap(r->raw, 2 * TWO_MB), 0);
}

static void base_config(struct tierd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->src_private_node = TIERD_OFF;
	cfg->src_soft_dirty = TIERD_ON;
	cfg->window_ms = 3600 * 1000;	/* nothing expires during a test */
	cfg->threshold = K;
	cfg->granule_kb = 4;
	cfg->table_max_folios = 65536;
	cfg->kernel_map_folios = 65536;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct tierd_source_stats sd_stats(struct collector *c)
{
	struct tierd_source_stats st[TIERD_SRC_NR];

	collector_read_stats(c, st);
	return st[TIERD_SRC_SOFT_DIRTY];
}

static void collect(void)
{
	struct kernel_features f;
	struct tierd_config cfg;
	struct tierd_source_stats before, after;
	struct collector *c = NULL;
	struct worker a, b;
	struct sink *sink;
	char err[256] = "";
	struct region reg;
	char *region;
	uint64_t got[MAX_EVENTS], want[NPAGES];
	unsigned int nhot = 0, ncold = 0, nro = 0, i;
	pid_t stale;
	int stats_fd, ret;

	psz = sysconf(_SC_PAGESIZE);
	sink = calloc(1, sizeof(*sink));
	assert_non_null(sink);
	for (i = 0; i < NPAGES; i++) {
		nhot += kind(i) == HOT;
		ncold += kind(i) == COLD;
		nro += kind(i) == READ_ONLY;
	}

	probe_kernel(&f);
	assert_true(f.btf);
	assert_true(f.page_fault_user_tp);
	/* force the source this kernel cannot re-arm */
	f.soft_dirty = true;

	/* run-time accounting for as long as the fd is open */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	assert_true(stats_fd >= 0);

	base_config(&cfg);
	ret = collector_open(&cfg, &f, NULL, on_event, sink, &c, err, sizeof(err));
	if (ret)
		fail_msg("collector_open: %s (%d)", err, ret);
	assert_true(collector_source_active(c, TIERD_SRC_SOFT_DIRTY));
	assert_false(collector_source_active(c, TIERD_SRC_PRIVATE_NODE));
	assert_true(collector_ring_fd(c) >= 0);
	before = sd_stats(c);
	assert_string_equal(before.state, "active (raw_tp/page_fault_user)");

	/* tracked child: exactly its hot pages come back, once each */
	region = region_new(&reg);
	worker_start(&a, region);
	assert_int_equal(collector_set_tracked(c, &a.pid, 1, true), 0);
	worker_run(&a);
	ret = collector_consume(c, NULL);
	assert_int_equal(ret, (int)sink->nr);
	after = sd_stats(c);

	assert_int_equal(sink->nr, nhot);
	for (i = 0; i < sink->nr; i++) {
		const struct tierd_event *ev = &sink->ev[i];

		assert_int_equal(ev->tgid, a.pid);
		assert_int_equal(ev->source, TIERD_SRC_SOFT_DIRTY);
		assert_int_equal(ev->faults, K);
		assert_int_equal(ev->nid, TIERD_NID_NONE);
		assert_int_equal(ev->pfn, 0);
		assert_int_equal(ev->order, 0);
		assert_int_equal(ev->level, TIERD_LEVEL_PTE);
		assert_int_equal(ev->handled, 0);
		got[i] = ev->addr;
	}
	nhot = 0;
	for (i = 0; i < NPAGES; i++)
		if (kind(i) == HOT)
			want[nhot++] = (uintptr_t)region + i * psz;
	qsort(got, sink->nr, sizeof(got[0]), cmp_u64);
	for (i = 0; i < nhot; i++)
		assert_int_equal(got[i], want[i]);

	assert_int_equal(after.records - before.records, nhot);
	assert_int_equal(after.rb_drops, 0);
	assert_int_equal(after.map_full, 0);
	assert_int_equal(after.window_resets, 0);
	/* the child's own stack and libc COW faults come on top */
	assert_true(after.faults_tracked - before.faults_tracked >=
		    K * nhot + ncold);
	/* read faults are seen, never tracked */
	assert_true(after.faults_seen - before.faults_seen >=
		    after.faults_tracked - before.faults_tracked + K * nro);
	assert_true(after.prog_stats_enabled);
	assert_true(after.prog_run_cnt >= K * nhot + ncold + K * nro);
	assert_true(after.prog_run_time_ns > 0);
	print_message("%s: %u records, faults seen %llu, tracked %llu, prog runs %llu, %llu ns\n",
		      after.state, sink->nr,
		      (unsigned long long)(after.faults_seen - before.faults_seen),
		      (unsigned long long)(after.faults_tracked - before.faults_tracked),
		      (unsigned long long)after.prog_run_cnt,
		      (unsigned long long)after.prog_run_time_ns);
	region_free(&reg);

	/*
	 * Untracked child: tracked first, then replaced by the dead first
	 * child, so this also checks that a replacement drops stale tgids.
	 */
	stale = a.pid;
	region = region_new(&reg);
	worker_start(&b, region);
	assert_int_equal(collector_set_tracked(c, &b.pid, 1, true), 0);
	assert_int_equal(collector_set_tracked(c, &stale, 1, true), 0);
	before = sd_stats(c);
	sink->nr = 0;
	worker_run(&b);
	assert_true(collector_consume(c, NULL) >= 0);
	after = sd_stats(c);
	assert_int_equal(sink->nr, 0);
	assert_int_equal(after.records, before.records);
	assert_int_equal(after.faults_tracked, before.faults_tracked);
	assert_true(after.faults_seen - before.faults_seen >=
		    K * nhot + ncold + K * nro);
	region_free(&reg);

	/*
	 * A reload to a 2 MiB granule: the hot and cold pages of one child
	 * share one granule, which crosses K at the K-th write fault.  Other
	 * granules of the child (stack, libc) may report too.
	 */
	cfg.granule_kb = 2048;
	assert_int_equal(collector_reconfigure(c, &cfg), 0);
	region = region_new(&reg);
	worker_start(&b, region);
	assert_int_equal(collector_set_tracked(c, &b.pid, 1, true), 0);
	sink->nr = 0;
	worker_run(&b);
	assert_true(collector_consume(c, NULL) >= 0);
	ret = 0;
	for (i = 0; i < sink->nr; i++) {
		const struct tierd_event *ev = &sink->ev[i];

		assert_int_equal(ev->tgid, b.pid);
		assert_int_equal(ev->addr & (TWO_MB - 1), 0);
		if (ev->addr == (uintptr_t)region) {
			assert_int_equal(ev->faults, K);
			ret++;
		}
	}
	assert_int_equal(ret, 1);
	region_free(&reg);

	assert_int_equal(sink->lost, 0);
	collector_close(c);
	close(stats_fd);
	free(sink);
}

/*
 * Faults past the record within a window change nothing (the programs
 * answer them from a per-CPU cache of reported folios), and a reported
 * folio reports again in its next window: every page of a child written
 * in NEXT_ROUNDS rounds, a nap past the window, two rounds more, comes
 * back exactly twice, at its second fault each time.
 */
#define NEXT_WINDOW_MS	500
#define NEXT_ROUNDS	6

static void next_window_child(char *region, int go)
{
	struct timespec nap = { 0, (NEXT_WINDOW_MS + 300) * 1000000L };
	char byte;
	unsigned int r, i;

	if (read(go, &byte, 1) != 1)
		_exit(2);
	for (r = 0; r < NEXT_ROUNDS + 2; r++) {
		if (r == NEXT_ROUNDS)
			nanosleep(&nap, NULL);
		for (i = 0; i < NPAGES; i++)
			*(volatile char *)(region + i * psz) = (char)(r + 1);
		if (madvise(region, NPAGES * psz, MADV_DONTNEED))
			_exit(3);
	}
	_exit(0);
}

static void next_window(void)
{
	struct tierd_source_stats before, after;
	unsigned int seen[NPAGES] = { 0 }, i;
	struct collector *c = NULL;
	struct kernel_features f;
	struct tierd_config cfg;
	char err[256] = "";
	struct region reg;
	struct worker w;
	struct sink *sink;
	char *region;
	int fds[2], status, ret;

	psz = sysconf(_SC_PAGESIZE);
	sink = calloc(1, sizeof(*sink));
	assert_non_null(sink);
	probe_kernel(&f);
	f.soft_dirty = true;
	base_config(&cfg);
	cfg.window_ms = NEXT_WINDOW_MS;
	cfg.threshold = 2;
	ret = collector_open(&cfg, &f, NULL, on_event, sink, &c, err,
			     sizeof(err));
	if (ret)
		fail_msg("collector_open: %s (%d)", err, ret);
	region = region_new(&reg);
	assert_int_equal(pipe(fds), 0);
	w.pid = fork();
	assert_true(w.pid >= 0);
	if (w.pid == 0) {
		close(fds[1]);
		next_window_child(region, fds[0]);
	}
	close(fds[0]);
	assert_int_equal(collector_set_tracked(c, &w.pid, 1, true), 0);
	before = sd_stats(c);
	assert_int_equal(write(fds[1], "g", 1), 1);
	close(fds[1]);
	assert_int_equal(waitpid(w.pid, &status, 0), w.pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(collector_consume(c, NULL) >= 0);
	after = sd_stats(c);

	for (i = 0; i < sink->nr; i++) {
		const struct tierd_event *ev = &sink->ev[i];
		uint64_t off = ev->addr - (uintptr_t)region;

		/* the child's stack and libc pages may report too */
		if (ev->addr < (uintptr_t)region ||
		    off >= (uint64_t)NPAGES * psz)
			continue;
		assert_int_equal(ev->faults, 2);
		assert_int_equal(ev->writes, 2);
		seen[off / psz]++;
	}
	for (i = 0; i < NPAGES; i++)
		assert_int_equal(seen[i], 2);
	/* the first fault of each page's second window restarted it */
	assert_true(after.window_resets - before.window_resets >= NPAGES);
	assert_true(after.writes - before.writes >=
		    (NEXT_ROUNDS + 2) * NPAGES);
	assert_int_equal(sink->lost, 0);
	region_free(&reg);
	collector_close(c);
	free(sink);
}

static int group_setup(void **state)
{
	const char *why = NULL;

	if (geteuid() != 0)
		why = "needs root to load and attach BPF programs";
	else if (access("/sys/kernel/btf/vmlinux", R_OK))
		why = "kernel has no BTF (/sys/kernel/btf/vmlinux)";
	if (why) {
		fprintf(stderr, "SKIP: %s\n", why);
		*state = (void *)why;
	}
	return 0;
}

static void run_collect(void **state)
{
	if (*state)
		skip();
	collect();
}

static void run_next_window(void **state)
{
	if (*state)
		skip();
	next_window();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(run_collect),
		cmocka_unit_test(run_next_window),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
