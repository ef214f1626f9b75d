// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of the collector's fault program, measured beside its baseline in
 * the same run: a process takes write faults at full speed (touch a page,
 * MADV_DONTNEED it, touch again) with no program attached, with an empty
 * program attached (the floor: what the kernel's run-time accounting and
 * the call cost by themselves), then with the soft-dirty program attached
 * and this process untracked (the filter path) and tracked (the
 * aggregation path).  Prints faults/s of each phase, the fault path's
 * slowdown, and the program's own average run time per invocation from
 * bpf_prog_info (run_time_ns / run_cnt, with BPF run-time stats enabled
 * for the run).
 *
 *   bench_bpf_fault_cost [SECONDS_PER_PHASE]   (root)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "sources/collector.h"
#include "lib/log.h"

#define PG 4096UL
#define REGION_PAGES 256

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Returns write faults per second taken over @secs. */
static double fault_loop(char *buf, double secs)
{
	unsigned long faults = 0;
	double start = now_s(), t;

	do {
		for (unsigned long i = 0; i < REGION_PAGES; i++)
			buf[i * PG] = 1;
		faults += REGION_PAGES;
		madvise(buf, REGION_PAGES * PG, MADV_DONTNEED);
		t = now_s();
	} while (t - start < secs);
	return faults / (t - start);
}

static void event_sink(void *ctx, const struct tierd_event *ev)
{
	(*(unsigned long *)ctx)++;
}

struct phase {
	const char *name;
	double faults_per_s;
	double prog_ns;		/* < 0: no program */
	unsigned long records;
};

static void print_row(const struct phase *ph, double base)
{
	char ns[32] = "-";

	if (ph->prog_ns >= 0)
		snprintf(ns, sizeof(ns), "%.0f", ph->prog_ns);
	printf("%-34s %14.0f %10.3f %9.1f %% %14s %10lu\n", ph->name,
	       ph->faults_per_s, ph->faults_per_s / base,
	       100.0 * (1.0 - ph->faults_per_s / base), ns, ph->records);
}

/*
 * The floor: "r0 = 0; exit" on the same tracepoint.  Its ns/call is what
 * the run-time accounting (two sched_clock() reads) and the call into the
 * program cost, which every program's figure includes.
 */
static int measure_empty(char *buf, double secs, struct phase *ph)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int prog, link, ret = 0;

	prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "tierd_empty",
			     "GPL", insns, 2, NULL);
	if (prog < 0)
		return prog;
	link = bpf_raw_tracepoint_open("page_fault_user", prog);
	if (link < 0) {
		ret = link;
		goto out;
	}
	ph->faults_per_s = fault_loop(buf, secs);
	close(link);
	ret = bpf_obj_get_info_by_fd(prog, &info, &len);
	if (!ret)
		ph->prog_ns = info.run_cnt ?
			      (double)info.run_time_ns / info.run_cnt : 0;
out:
	close(prog);
	return ret;
}

static int measure_attached(struct collector *c, char *buf, double secs,
			    bool tracked, struct phase *ph,
			    unsigned long *records)
{
	struct tierd_source_stats before[TIERD_SRC_NR], after[TIERD_SRC_NR];
	/* a pid no process has: the largest the kernel can ever hand out */
	pid_t self = getpid(), nobody = 4194303;
	uint64_t cnt, ns;
	bool more;
	int ret;

	ret = collector_set_tracked(c, tracked ? &self : &nobody, 1, true);
	if (ret < 0)
		return ret;
	collector_read_stats(c, before);
	*records = 0;
	ph->faults_per_s = fault_loop(buf, secs);
	/* every record: a drain stops at its bounds, so drain until empty */
	while (collector_consume(c, &more) >= 0 && more)
		;
	collector_read_stats(c, after);
	cnt = after[TIERD_SRC_SOFT_DIRTY].prog_run_cnt -
	      before[TIERD_SRC_SOFT_DIRTY].prog_run_cnt;
	ns = after[TIERD_SRC_SOFT_DIRTY].prog_run_time_ns -
	     before[TIERD_SRC_SOFT_DIRTY].prog_run_time_ns;
	ph->prog_ns = cnt ? (double)ns / cnt : 0;
	ph->records = *records;
	return 0;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	struct kernel_features f;
	struct tierd_config cfg;
	struct phase ph[4] = {
		{ "no program attached", 0, -1, 0 },
		{ "empty program (the floor)", 0, 0, 0 },
		{ "attached, process not tracked", 0, 0, 0 },
		{ "attached, process tracked", 0, 0, 0 },
	};
	struct collector *c = NULL;
	unsigned long records = 0;
	char err[256];
	int stats_fd, ret;
	char *buf;

	log_setup("bench_bpf_fault_cost", LOG_NOTICE);
	if (secs <= 0) {
		fprintf(stderr, "usage: %s [SECONDS_PER_PHASE > 0]\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "needs root: loads BPF programs\n");
		return 1;
	}
	buf = mmap(NULL, REGION_PAGES * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	madvise(buf, REGION_PAGES * PG, MADV_NOHUGEPAGE);

	/* kept enabled while the fd is open, restored when we exit */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0)
		fprintf(stderr, "warning: cannot enable BPF run-time stats: %s\n",
			strerror(errno));

	ph[0].faults_per_s = fault_loop(buf, secs);
	ret = measure_empty(buf, secs, &ph[1]);
	if (ret < 0) {
		fprintf(stderr, "empty program: %s\n", strerror(-ret));
		return 1;
	}

	probe_kernel(&f);
	if (!f.page_fault_user_tp) {
		fprintf(stderr, "kernel has no exceptions:page_fault_user tracepoint\n");
		return 1;
	}
	f.soft_dirty = true;	/* re-arming is not what is measured */
	tierd_config_defaults(&cfg);
	cfg.src_private_node = TIERD_OFF;
	cfg.src_soft_dirty = TIERD_ON;
	cfg.threshold = 2;
	ret = collector_open(&cfg, &f, NULL, event_sink, &records, &c, err,
			     sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "collector: %s\n", err);
		return 1;
	}
	if (measure_attached(c, buf, secs, false, &ph[2], &records) < 0 ||
	    measure_attached(c, buf, secs, true, &ph[3], &records) < 0) {
		fprintf(stderr, "cannot set the tracked map\n");
		return 1;
	}
	collector_close(c);

	printf("write faults at full speed, %.1f s per phase, %d-page region\n",
	       secs, REGION_PAGES);
	printf("%-34s %14s %10s %11s %14s %10s\n", "phase", "faults/s",
	       "vs base", "slowdown", "prog ns/call", "records");
	for (int i = 0; i < 4; i++)
		print_row(&ph[i], ph[0].faults_per_s);
	if (stats_fd >= 0)
		close(stats_fd);
	return 0;
}
