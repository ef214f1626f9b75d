// SPDX-License-Identifier: GPL-2.0
/*
 * The private-node programs fed synthetic tracepoint arguments through
 * BPF_PROG_TEST_RUN: the node_private tracepoints do not exist on a stock
 * kernel, but raw_tp programs load anyway and test-run in our own context,
 * so the records carry our tgid.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/tierd.h"
#include "tierd.skel.h"

#define MAX_EVENTS 256

struct fixture {
	struct tierd_bpf *skel;
	struct ring_buffer *rb;
	struct tierd_event ev[MAX_EVENTS];
	unsigned int nr;
	uint32_t self;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct fixture *fx = ctx;

	assert_int_equal(size, sizeof(struct tierd_event));
	assert_true(fx->nr < MAX_EVENTS);
	memcpy(&fx->ev[fx->nr++], data, sizeof(struct tierd_event));
	return 0;
}

static const char *skip_reason(void)
{
	if (geteuid() != 0)
		return "needs root to load BPF programs";
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return "kernel has no BTF (/sys/kernel/btf/vmlinux)";
	return NULL;
}

/* Open and load with @rb_bytes of ring buffer; tunables set after load. */
static struct fixture *fixture_new(uint32_t rb_bytes)
{
	static struct fixture fx;	/* one test at a time, like cmocka */
	int ret;

	memset(&fx, 0, sizeof(fx));
	fx.self = getpid();
	fx.skel = tierd_bpf__open();
	assert_non_null(fx.skel);
	/* only the programs under test: the others need their own kernel */
	bpf_program__set_autoload(fx.skel->progs.tierd_sd_raw, false);
	bpf_program__set_autoload(fx.skel->progs.tierd_hint_fault, false);
	assert_int_equal(bpf_map__set_max_entries(fx.skel->maps.folios, 4096),
			 0);
	assert_int_equal(bpf_map__set_max_entries(fx.skel->maps.events,
						  rb_bytes), 0);
	ret = tierd_bpf__load(fx.skel);
	if (ret)
		fail_msg("loading the BPF object failed: %s", strerror(-ret));
	fx.rb = ring_buffer__new(bpf_map__fd(fx.skel->maps.events), on_event,
				 &fx, NULL);
	assert_non_null(fx.rb);
	fx.skel->data->window_ns = 3600ULL * 1000000000ULL;
	fx.skel->data->threshold[TIERD_SRC_PRIVATE_NODE] = 3;
	fx.skel->data->granule_shift = 12;
	fx.skel->data->private_filter = 0;
	return &fx;
}

static void fixture_free(struct fixture *fx)
{
	ring_buffer__free(fx->rb);
	tierd_bpf__destroy(fx->skel);
}

static void drain(struct fixture *fx)
{
	fx->nr = 0;
	assert_true(ring_buffer__consume(fx->rb) >= 0);
}

static uint64_t counter(struct fixture *fx, enum tierd_source src,
			enum tierd_counter cnt)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu];
	__u32 idx = src * TIERD_CNT_NR + cnt;
	uint64_t sum = 0;
	int i;

	assert_int_equal(bpf_map_lookup_elem(
		bpf_map__fd(fx->skel->maps.counters), &idx, vals), 0);
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

/* One node_private_write_fault with every argument, as the kernel passes them. */
static void fault_ret(struct fixture *fx, int nid, uint64_t pfn,
		      unsigned int order, uint64_t address, int level,
		      bool handled, uint32_t vm_ret, int access)
{
	__u64 args[TIERD_NP_FAULT_ARGS] = {
		(__u64)(int64_t)nid, pfn, order, address, (__u64)level,
		handled, vm_ret, (__u64)(int64_t)access,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args,
		    .ctx_size_in = sizeof(args));

	assert_int_equal(bpf_prog_test_run_opts(
		bpf_program__fd(fx->skel->progs.tierd_np_fault), &opts), 0);
	assert_int_equal(opts.retval, 0);
}

/* A write fault the service (if any) resolved without asking for a retry. */
static void fault(struct fixture *fx, int nid, uint64_t pfn,
		  unsigned int order, uint64_t address, int level,
		  bool handled)
{
	fault_ret(fx, nid, pfn, order, address, level, handled, 0,
		  TIERD_NP_ACCESS_WRITE);
}

/* node_private_migrate of @pfn, in the calling thread. */
static void migrate_pfn(struct fixture *fx, int src, int dst, uint64_t pfn,
			unsigned int order, int ret)
{
	__u64 args[TIERD_NP_MIGRATE_ARGS] = {
		(__u64)(int64_t)src, (__u64)(int64_t)dst, pfn, order,
		/* MR_NUMA_MISPLACED on 6.x; the program ignores the reason */
		5, (__u64)(int64_t)ret,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args,
		    .ctx_size_in = sizeof(args));

	assert_int_equal(bpf_prog_test_run_opts(
		bpf_program__fd(fx->skel->progs.tierd_np_migrate), &opts), 0);
}

static void migrate(struct fixture *fx, int ret)
{
	migrate_pfn(fx, 1, ret ? -1 : 0, 0x1234, 0, ret);
}

static void assert_event(const struct tierd_event *ev, uint32_t tgid,
			 uint64_t addr, uint64_t pfn, int nid,
			 unsigned int order, int level, bool handled,
			 uint32_t faults)
{
	assert_int_equal(ev->source, TIERD_SRC_PRIVATE_NODE);
	assert_int_equal(ev->tgid, tgid);
	assert_int_equal(ev->addr, addr);
	assert_int_equal(ev->pfn, pfn);
	assert_int_equal(ev->nid, nid);
	assert_int_equal(ev->order, order);
	assert_int_equal(ev->level, level);
	assert_int_equal(ev->handled, handled);
	assert_int_equal(ev->faults, faults);
	assert_int_equal(ev->kmove, TIERD_KMOVE_NONE);
	assert_true(ev->ts_ns > 0);
}

static void test_threshold_and_fields(void **state)
{
	struct fixture *fx = fixture_new(1 << 16);
	int i;

	/* 4 KiB folio at threshold: exactly one record, from the 3rd fault */
	for (i = 0; i < 5; i++)
		fault(fx, 1, 0x10001, 0, 0x7f0000001234 + i * 8, TIERD_LEVEL_PTE,
		      true);
	/* below threshold: nothing */
	for (i = 0; i < 2; i++)
		fault(fx, 1, 0x10002, 0, 0x7f0000002010, TIERD_LEVEL_PTE,
		      false);
	/* order 9 PMD folio: four addresses inside one 2 MiB unit */
	for (i = 0; i < 4; i++)
		fault(fx, 2, 0x40200, 9, 0x7f00003ff123 - i * 0x10000,
		      TIERD_LEVEL_PMD, true);

	drain(fx);
	assert_int_equal(fx->nr, 2);
	assert_event(&fx->ev[0], fx->self, 0x7f0000001000, 0x10001, 1, 0,
		     TIERD_LEVEL_PTE, true, 3);
	assert_event(&fx->ev[1], fx->self, 0x7f0000200000, 0x40200, 2, 9,
		     TIERD_LEVEL_PMD, true, 3);

	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_FAULTS_SEEN), 11);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_FAULTS_TRACKED), 11);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_RECORDS), 2);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_RB_DROPS), 0);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_MAP_FULL), 0);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_WINDOW_RESETS), 0);
	/* the soft-dirty source's counters stay untouched */
	assert_int_equal(counter(fx, TIERD_SRC_SOFT_DIRTY,
				 TIERD_CNT_FAULTS_SEEN), 0);
	fixture_free(fx);
}

static void test_granule(void **state)
{
	struct fixture *fx = fixture_new(1 << 16);

	/* a 2 MiB granule merges small folios of one 2 MiB range */
	fx->skel->data->granule_shift = 21;
	fx->skel->data->threshold[TIERD_SRC_PRIVATE_NODE] = 2;
	fault(fx, 1, 0x500, 0, 0x7f0000401000, TIERD_LEVEL_PTE, true);
	fault(fx, 1, 0x501, 0, 0x7f00005ff000, TIERD_LEVEL_PTE, true);
	/* an order-10 folio stays whole above a smaller granule (4 MiB) */
	fx->skel->data->granule_shift = 12;
	fault(fx, 3, 0x800, 10, 0x7f0000a01000, TIERD_LEVEL_PTE, true);
	fault(fx, 3, 0x800, 10, 0x7f0000bff000, TIERD_LEVEL_PTE, true);
	drain(fx);
	assert_int_equal(fx->nr, 2);
	assert_event(&fx->ev[0], fx->self, 0x7f0000400000, 0x501, 1, 0,
		     TIERD_LEVEL_PTE, true, 2);
	assert_event(&fx->ev[1], fx->self, 0x7f0000800000, 0x800, 3, 10,
		     TIERD_LEVEL_PTE, true, 2);
	fixture_free(fx);
}

/* The tracked bitmap as the daemon writes it, through the skeleton. */
static void track(struct fixture *fx, __u32 tgid, bool on)
{
	__u64 *w = &fx->skel->bss->tracked_bits[tgid / 64];

	*w = on ? *w | 1ULL << (tgid % 64) : *w & ~(1ULL << (tgid % 64));
}

static void test_filter(void **state)
{
	struct fixture *fx = fixture_new(1 << 16);
	__u32 other = fx->self + 1;
	int i;

	fx->skel->data->threshold[TIERD_SRC_PRIVATE_NODE] = 1;
	fx->skel->data->private_filter = 1;
	/* filter on, we are not tracked: seen but not tracked */
	track(fx, other, true);
	for (i = 0; i < 3; i++)
		fault(fx, 1, 0x900 + i, 0, 0x7f0000100000 + i * 4096,
		      TIERD_LEVEL_PTE, true);
	drain(fx);
	assert_int_equal(fx->nr, 0);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_FAULTS_SEEN), 3);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_FAULTS_TRACKED), 0);

	/* now tracked */
	track(fx, fx->self, true);
	fault(fx, 1, 0x910, 0, 0x7f0000200000, TIERD_LEVEL_PTE, false);
	drain(fx);
	assert_int_equal(fx->nr, 1);
	assert_event(&fx->ev[0], fx->self, 0x7f0000200000, 0x910, 1, 0,
		     TIERD_LEVEL_PTE, false, 1);

	/* filter off: untracked faults count again */
	track(fx, fx->self, false);
	fx->skel->data->private_filter = 0;
	fault(fx, 1, 0x920, 0, 0x7f0000300000, TIERD_LEVEL_PTE, true);
	drain(fx);
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->ev[0].addr, 0x7f0000300000);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_FAULTS_SEEN), 5);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_FAULTS_TRACKED), 2);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_RECORDS), 2);
	fixture_free(fx);
}

static void test_window_reset(void **state)
{
	struct fixture *fx = fixture_new(1 << 16);
	int i;

	/*
	 * A 1 ns window has always expired by the next fault (two test-run
	 * syscalls apart), so no folio ever reaches a threshold of 2.
	 */
	fx->skel->data->window_ns = 1;
	fx->skel->data->threshold[TIERD_SRC_PRIVATE_NODE] = 2;
	for (i = 0; i < 4; i++)
		fault(fx, 1, 0xa00, 0, 0x7f0000400000, TIERD_LEVEL_PTE, true);
	drain(fx);
	assert_int_equal(fx->nr, 0);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_WINDOW_RESETS), 3);

	/*
	 * A long window again: the window the last fault opened keeps going
	 * and reports at its second fault and, twice the threshold, at its
	 * fourth, with the two faults since.
	 */
	fx->skel->data->window_ns = 3600ULL * 1000000000ULL;
	for (i = 0; i < 3; i++)
		fault(fx, 1, 0xa00, 0, 0x7f0000400000, TIERD_LEVEL_PTE, true);
	drain(fx);
	assert_int_equal(fx->nr, 2);
	assert_int_equal(fx->ev[0].faults, 2);
	assert_int_equal(fx->ev[1].faults, 2);
	assert_int_equal(fx->ev[1].writes, 2);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_WINDOW_RESETS), 3);
	fixture_free(fx);
}

/*
 * Records at the threshold (3), twice it, four and eight times it, each
 * with the faults since the previous one, then nothing for the rest of
 * the window; one report a window is the rule before reports_per_window.
 */
static void test_doubling_marks(void **state)
{
	static const unsigned int marks[] = { 3, 6, 12, 24 };
	struct fixture *fx = fixture_new(1 << 16);
	unsigned int i, sum = 0;

	for (i = 0; i < 40; i++)
		fault_ret(fx, 1, 0xb00, 0, 0x7f0000600000, TIERD_LEVEL_PTE,
			  true, 0, i & 1 ? TIERD_NP_ACCESS_READ :
					   TIERD_NP_ACCESS_WRITE);
	drain(fx);
	assert_int_equal(fx->nr, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(fx->ev[i].faults,
				 i ? marks[i] - marks[i - 1] : marks[0]);
		assert_true(fx->ev[i].writes <= fx->ev[i].faults);
		sum += fx->ev[i].faults;
	}
	assert_int_equal(sum, 24);
	/* faults 1..3 hold writes 1 and 3; 4..6 hold 5 */
	assert_int_equal(fx->ev[0].writes, 2);
	assert_int_equal(fx->ev[1].writes, 1);

	fx->skel->data->reports_per_window = 1;
	for (i = 0; i < 40; i++)
		fault(fx, 1, 0xb01, 0, 0x7f0000601000, TIERD_LEVEL_PTE, true);
	drain(fx);
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->ev[0].faults, 3);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_RECORDS), 5);
	fixture_free(fx);
}

/*
 * The jiffies window clock the daemon switches to once it knows HZ: the
 * same resets and the same record, with its time still in ns and the
 * writes split from the faults of the one counter word.
 */
static void test_window_reset_jiffies(void **state)
{
	struct timespec nap = { 0, 30 * 1000000L };	/* 3+ jiffies */
	struct timespec now;
	uint64_t before;
	struct fixture *fx = fixture_new(1 << 16);

	fx->skel->data->window_jiffies = 1;
	fx->skel->data->threshold[TIERD_SRC_PRIVATE_NODE] = 2;
	fault(fx, 1, 0xa00, 0, 0x7f0000400000, TIERD_LEVEL_PTE, true);
	nanosleep(&nap, NULL);
	fault(fx, 1, 0xa00, 0, 0x7f0000400000, TIERD_LEVEL_PTE, true);
	drain(fx);
	assert_int_equal(fx->nr, 0);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_WINDOW_RESETS), 1);

	/*
	 * A window of 2^40 jiffies: the window the last write opened goes
	 * on, and a read is its second fault (faults 2, of which 1 write).
	 */
	fx->skel->data->window_jiffies = 1ULL << 40;
	clock_gettime(CLOCK_MONOTONIC, &now);
	before = (uint64_t)now.tv_sec * 1000000000ULL + now.tv_nsec;
	fault_ret(fx, 1, 0xa00, 0, 0x7f0000400000, TIERD_LEVEL_PTE, true, 0,
		  TIERD_NP_ACCESS_READ);
	fault(fx, 1, 0xa00, 0, 0x7f0000400000, TIERD_LEVEL_PTE, true);
	drain(fx);
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->ev[0].faults, 2);
	assert_int_equal(fx->ev[0].writes, 1);
	assert_true(fx->ev[0].ts_ns >= before);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_WINDOW_RESETS), 1);
	fixture_free(fx);
}

static void test_ring_full(void **state)
{
	/* one page of ring: fewer records fit than folios cross */
	struct fixture *fx = fixture_new(4096);
	const unsigned int n = 100;
	unsigned int i, fit;
	uint64_t drops;

	fx->skel->data->threshold[TIERD_SRC_PRIVATE_NODE] = 1;
	for (i = 0; i < n; i++)
		fault(fx, 1, i, 0, 0x7f0001000000 + i * 4096ULL,
		      TIERD_LEVEL_PTE, true);
	fit = counter(fx, TIERD_SRC_PRIVATE_NODE, TIERD_CNT_RECORDS);
	drops = counter(fx, TIERD_SRC_PRIVATE_NODE, TIERD_CNT_RB_DROPS);
	assert_true(fit > 0 && fit < n);
	assert_int_equal(fit + drops, n);
	drain(fx);
	assert_int_equal(fx->nr, fit);
	for (i = 0; i < fit; i++)
		assert_int_equal(fx->ev[i].addr, 0x7f0001000000 + i * 4096ULL);

	/* a dropped folio reports on its next fault once there is room */
	fault(fx, 1, fit, 0, 0x7f0001000000 + fit * 4096ULL, TIERD_LEVEL_PTE,
	      true);
	drain(fx);
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->ev[0].addr, 0x7f0001000000 + fit * 4096ULL);
	assert_int_equal(fx->ev[0].faults, 2);
	/* a reported folio reports again at twice the threshold only */
	fault(fx, 1, 0, 0, 0x7f0001000000, TIERD_LEVEL_PTE, true);
	drain(fx);
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->ev[0].faults, 1);
	fault(fx, 1, 0, 0, 0x7f0001000000, TIERD_LEVEL_PTE, true);
	drain(fx);
	assert_int_equal(fx->nr, 0);
	fixture_free(fx);
}

static void test_migrate_counters(void **state)
{
	struct fixture *fx = fixture_new(1 << 16);
	int i;

	for (i = 0; i < 3; i++)
		migrate(fx, 0);
	migrate(fx, -EBUSY);
	migrate(fx, -ENOMEM);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_KERNEL_MIGRATE_OK), 3);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_KERNEL_MIGRATE_FAIL), 2);
	assert_int_equal(counter(fx, TIERD_SRC_PRIVATE_NODE,
				 TIERD_CNT_FAULTS_SEEN), 0);
	drain(fx);
	assert_int_equal(fx->nr, 0);
	fixture_free(fx);
}

/* vm_fault_t bits (include/linux/mm_types.h), stable since 2.6 */
#define VM_FAULT_RETRY_BIT	0x000400
#define PFN_A			0x20001ULL
#define PFN_B			0x20002ULL
#define ADDR_A			0x7f0000601000ULL
#define ADDR_B			0x7f0000602000ULL

static bool folio_entry(struct fixture *fx, uint64_t addr)
{
	struct tierd_folio_key key = { .tgid = fx->self,
				       .source = TIERD_SRC_PRIVATE_NODE,
				       .addr = addr };
	struct tierd_folio_val val;

	return bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.folios), &key,
				   &val) == 0;
}

static bool pending(struct fixture *fx, uint64_t pfn)
{
	struct tierd_np_faulted v;

	return bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.np_faulted),
				   &pfn, &v) == 0;
}

static uint64_t pnc(struct fixture *fx, enum tierd_counter cnt)
{
	return counter(fx, TIERD_SRC_PRIVATE_NODE, cnt);
}

/*
 * args[7]: only access 1 is a write; reads (spurious or access-flag
 * faults on a present PTE) and GUP unshares count as reads.
 */
static void test_access_type(void **state)
{
	struct fixture *fx = fixture_new(1 << 16);

	fault_ret(fx, 1, PFN_A, 0, ADDR_A, TIERD_LEVEL_PTE, true, 0,
		  TIERD_NP_ACCESS_READ);
	fault_ret(fx, 1, PFN_A, 0, ADDR_A, TIERD_LEVEL_PTE, true, 0,
		  TIERD_NP_ACCESS_UNSHARE);
	fault_ret(fx, 1, PFN_A, 0, ADDR_A, TIERD_LEVEL_PTE, true, 0,
		  TIERD_NP_ACCESS_WRITE);
	for (int i = 0; i < 3; i++)
		fault_ret(fx, 1, PFN_B, 0, ADDR_B, TIERD_LEVEL_PTE, false, 0,
			  TIERD_NP_ACCESS_READ);
	drain(fx);
	assert_int_equal(fx->nr, 2);
	assert_event(&fx->ev[0], fx->self, ADDR_A, PFN_A, 1, 0,
		     TIERD_LEVEL_PTE, true, 3);
	assert_int_equal(fx->ev[0].writes, 1);
	assert_event(&fx->ev[1], fx->self, ADDR_B, PFN_B, 1, 0,
		     TIERD_LEVEL_PTE, false, 3);
	assert_int_equal(fx->ev[1].writes, 0);
	assert_int_equal(pnc(fx, TIERD_CNT_WRITES), 1);
	assert_int_equal(pnc(fx, TIERD_CNT_FAULTS_TRACKED), 6);
	fixture_free(fx);
}

/*
 * The program reads args[7]: the kernel refuses a test run (and an
 * attach) with the old event's 7 arguments, which is why the daemon
 * checks the event's prototype before it attaches.
 */
static void test_seven_arguments_refused(void **state)
{
	struct fixture *fx = fixture_new(1 << 16);
	__u64 args[7] = { 1, PFN_A, 0, ADDR_A, TIERD_LEVEL_PTE, 1, 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args,
		    .ctx_size_in = sizeof(args));

	assert_int_equal(bpf_prog_test_run_opts(
		bpf_program__fd(fx->skel->progs.tierd_np_fault), &opts),
		-EINVAL);
	assert_int_equal(pnc(fx, TIERD_CNT_FAULTS_SEEN), 0);
	fixture_free(fx);
}

/*
 * CRAM promotes inside its handler: the migration event of the thread
 * comes first, then the fault event.  One record that says the kernel
 * moved it to node 0, whatever the threshold (3 here); the folio's window
 * is gone; no second report of the move.
 */
static void test_cram_promotes_in_handler(void **state)
{
	struct fixture *fx = fixture_new(1 << 16);

	/* an earlier fault below the threshold opened a window */
	fault_ret(fx, 1, PFN_A, 0, ADDR_A, TIERD_LEVEL_PTE, false, 0,
		  TIERD_NP_ACCESS_WRITE);
	assert_true(folio_entry(fx, ADDR_A));
	migrate_pfn(fx, 1, 0, PFN_A, 0, 0);
	fault_ret(fx, 1, PFN_A, 0, ADDR_A + 0x80, TIERD_LEVEL_PTE, true, 0,
		  TIERD_NP_ACCESS_WRITE);
	drain(fx);
	/*
	 * The first fault left the folio pending, so the migration itself
	 * reported the move; the fault after it added nothing.
	 */
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->ev[0].kmove, TIERD_KMOVE_OK);
	assert_int_equal(fx->ev[0].dst_nid, 0);
	assert_int_equal(fx->ev[0].nid, 1);
	assert_int_equal(fx->ev[0].addr, ADDR_A);
	assert_int_equal(fx->ev[0].tgid, fx->self);
	assert_int_equal(fx->ev[0].on_slow, 0);
	assert_false(folio_entry(fx, ADDR_A));
	assert_false(pending(fx, PFN_A));

	/* a first fault that the handler promotes: the fault reports it */
	migrate_pfn(fx, 1, 0, PFN_B, 0, 0);
	fault_ret(fx, 1, PFN_B, 0, ADDR_B + 8, TIERD_LEVEL_PTE, true, 0,
		  TIERD_NP_ACCESS_READ);
	drain(fx);
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->ev[0].kmove, TIERD_KMOVE_OK);
	assert_int_equal(fx->ev[0].dst_nid, 0);
	assert_int_equal(fx->ev[0].addr, ADDR_B);
	assert_int_equal(fx->ev[0].pfn, PFN_B);
	assert_int_equal(fx->ev[0].faults, 1);
	assert_int_equal(fx->ev[0].writes, 0);
	assert_false(folio_entry(fx, ADDR_B));
	assert_false(pending(fx, PFN_B));

	assert_int_equal(pnc(fx, TIERD_CNT_KERNEL_PROMOTED), 2);
	assert_int_equal(pnc(fx, TIERD_CNT_KERNEL_MIGRATE_OK), 2);
	assert_int_equal(pnc(fx, TIERD_CNT_KERNEL_PROMOTE_FAILED), 0);
	assert_int_equal(pnc(fx, TIERD_CNT_RECORDS), 2);
	fixture_free(fx);
}

/*
 * The handler's migration fails (no destination folio: -ENOMEM) and it
 * returns VM_FAULT_RETRY: the folio is tierd's to promote, reported at
 * once below the threshold, once per window.  A retry with nothing
 * reported (migrate_pages gave up on -EAGAIN) is the same.  The next
 * access promotes it: the migration reports the move, the fault after it
 * does not report it again.
 */
static void test_cram_fails_then_retry(void **state)
{
	struct fixture *fx = fixture_new(1 << 16);

	migrate_pfn(fx, 1, -1, PFN_A, 0, -ENOMEM);
	fault_ret(fx, 1, PFN_A, 0, ADDR_A, TIERD_LEVEL_PTE, true,
		  VM_FAULT_RETRY_BIT, TIERD_NP_ACCESS_WRITE);
	drain(fx);
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->ev[0].kmove, TIERD_KMOVE_FAILED);
	assert_int_equal(fx->ev[0].faults, 1);
	assert_int_equal(fx->ev[0].writes, 1);
	assert_int_equal(fx->ev[0].on_slow, 1);
	assert_int_equal(fx->ev[0].handled, 1);
	assert_true(pending(fx, PFN_A));

	/* retried access, migrate_pages() gave up quietly: no second record */
	fault_ret(fx, 1, PFN_A, 0, ADDR_A, TIERD_LEVEL_PTE, true,
		  VM_FAULT_RETRY_BIT, TIERD_NP_ACCESS_WRITE);
	drain(fx);
	assert_int_equal(fx->nr, 0);

	/* the next access moves it */
	migrate_pfn(fx, 1, 0, PFN_A, 0, 0);
	fault_ret(fx, 1, PFN_A, 0, ADDR_A, TIERD_LEVEL_PTE, true, 0,
		  TIERD_NP_ACCESS_WRITE);
	drain(fx);
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->ev[0].kmove, TIERD_KMOVE_OK);
	assert_int_equal(fx->ev[0].dst_nid, 0);
	assert_int_equal(fx->ev[0].addr, ADDR_A);

	assert_int_equal(pnc(fx, TIERD_CNT_KERNEL_PROMOTE_FAILED), 2);
	assert_int_equal(pnc(fx, TIERD_CNT_KERNEL_PROMOTED), 1);
	assert_int_equal(pnc(fx, TIERD_CNT_KERNEL_MIGRATE_OK), 1);
	assert_int_equal(pnc(fx, TIERD_CNT_KERNEL_MIGRATE_FAIL), 1);
	assert_int_equal(pnc(fx, TIERD_CNT_RECORDS), 2);
	assert_int_equal(pnc(fx, TIERD_CNT_FAULTS_TRACKED), 3);
	fixture_free(fx);
}

/*
 * A read fault on a present PTE that the service left alone (CRAM could
 * not isolate the folio: another CPU is migrating it), and a migration of
 * another folio in the same thread: ordinary faults, counted to the
 * threshold, as reads.
 */
static void test_read_fault_present_pte(void **state)
{
	struct fixture *fx = fixture_new(1 << 16);

	migrate_pfn(fx, 1, 0, PFN_B, 0, 0);
	for (int i = 0; i < 3; i++)
		fault_ret(fx, 1, PFN_A, 0, ADDR_A, TIERD_LEVEL_PTE, true, 0,
			  TIERD_NP_ACCESS_READ);
	drain(fx);
	assert_int_equal(fx->nr, 1);
	assert_event(&fx->ev[0], fx->self, ADDR_A, PFN_A, 1, 0,
		     TIERD_LEVEL_PTE, true, 3);
	assert_int_equal(fx->ev[0].writes, 0);
	assert_int_equal(pnc(fx, TIERD_CNT_KERNEL_PROMOTED), 0);
	assert_int_equal(pnc(fx, TIERD_CNT_KERNEL_PROMOTE_FAILED), 0);
	fixture_free(fx);
}

struct thread_migrate {
	struct fixture *fx;
	uint64_t pfn;
	int src, dst, ret;
};

static void *migrate_thread(void *arg)
{
	struct thread_migrate *m = arg;

	migrate_pfn(m->fx, m->src, m->dst, m->pfn, 0, m->ret);
	return NULL;
}

/*
 * A folio faulted earlier and moved later by the kernel in another
 * thread (NUMA balancing, a kernel thread): the migration names it.  A
 * migration inside the node (compaction) leaves it a slow folio, and
 * tierd's own move_pages() is not the kernel's.
 */
static void test_kernel_moves_it_later(void **state)
{
	struct fixture *fx = fixture_new(1 << 16);
	struct thread_migrate m = { .fx = fx, .pfn = PFN_A, .src = 1,
				    .dst = 0, .ret = 0 };
	pthread_t t;

	fault_ret(fx, 1, PFN_A, 0, ADDR_A, TIERD_LEVEL_PTE, false, 0,
		  TIERD_NP_ACCESS_WRITE);
	fault_ret(fx, 1, PFN_B, 0, ADDR_B, TIERD_LEVEL_PTE, false, 0,
		  TIERD_NP_ACCESS_WRITE);
	assert_int_equal(pthread_create(&t, NULL, migrate_thread, &m), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	drain(fx);
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->ev[0].kmove, TIERD_KMOVE_OK);
	assert_int_equal(fx->ev[0].tgid, fx->self);
	assert_int_equal(fx->ev[0].addr, ADDR_A);
	assert_int_equal(fx->ev[0].dst_nid, 0);
	assert_int_equal(fx->ev[0].faults, 0);
	assert_false(pending(fx, PFN_A));

	/* compaction inside node 1: still slow, still pending */
	m.pfn = PFN_B;
	m.dst = 1;
	assert_int_equal(pthread_create(&t, NULL, migrate_thread, &m), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	drain(fx);
	assert_int_equal(fx->nr, 0);
	assert_true(pending(fx, PFN_B));

	/* tierd's own move: neither counted nor reported, no longer pending */
	fx->skel->data->np_self_tgid = fx->self;
	migrate_pfn(fx, 1, 0, PFN_B, 0, 0);
	drain(fx);
	assert_int_equal(fx->nr, 0);
	assert_false(pending(fx, PFN_B));
	/* and its fault afterwards is an ordinary one */
	fault_ret(fx, 1, PFN_B, 0, ADDR_B, TIERD_LEVEL_PTE, false, 0,
		  TIERD_NP_ACCESS_WRITE);
	drain(fx);
	assert_int_equal(fx->nr, 0);

	assert_int_equal(pnc(fx, TIERD_CNT_KERNEL_PROMOTED), 1);
	assert_int_equal(pnc(fx, TIERD_CNT_KERNEL_MIGRATE_OK), 2);
	assert_int_equal(pnc(fx, TIERD_CNT_KERNEL_MIGRATE_FAIL), 0);
	fixture_free(fx);
}

static int group_setup(void **state)
{
	const char *why = skip_reason();

	if (why) {
		fprintf(stderr, "SKIP: %s\n", why);
		*state = (void *)why;
	}
	return 0;
}

#define RUN(fn) \
	static void run_##fn(void **state) \
	{ \
		if (*state) \
			skip(); \
		fn(state); \
	}
RUN(test_threshold_and_fields)
RUN(test_granule)
RUN(test_filter)
RUN(test_window_reset)
RUN(test_window_reset_jiffies)
RUN(test_doubling_marks)
RUN(test_ring_full)
RUN(test_migrate_counters)
RUN(test_access_type)
RUN(test_seven_arguments_refused)
RUN(test_cram_promotes_in_handler)
RUN(test_cram_fails_then_retry)
RUN(test_read_fault_present_pte)
RUN(test_kernel_moves_it_later)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(run_test_threshold_and_fields),
		cmocka_unit_test(run_test_granule),
		cmocka_unit_test(run_test_filter),
		cmocka_unit_test(run_test_window_reset),
		cmocka_unit_test(run_test_doubling_marks),
		cmocka_unit_test(run_test_window_reset_jiffies),
		cmocka_unit_test(run_test_ring_full),
		cmocka_unit_test(run_test_migrate_counters),
		cmocka_unit_test(run_test_access_type),
		cmocka_unit_test(run_test_seven_arguments_refused),
		cmocka_unit_test(run_test_cram_promotes_in_handler),
		cmocka_unit_test(run_test_cram_fails_then_retry),
		cmocka_unit_test(run_test_read_fault_present_pte),
		cmocka_unit_test(run_test_kernel_moves_it_later),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
