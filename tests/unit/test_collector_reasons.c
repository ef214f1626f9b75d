// SPDX-License-Identifier: GPL-2.0
/*
 * Source selection without loading BPF: every combination that ends with
 * no active source must leave a valid, idle collector with a reason per
 * source, and an `on` source the kernel lacks must fail with that reason.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sources/collector.h"

static void base_config(struct tierd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->src_private_node = TIERD_AUTO;
	cfg->src_soft_dirty = TIERD_AUTO;
	cfg->window_ms = 1000;
	cfg->threshold = 2;
	cfg->granule_kb = 4;
	cfg->table_max_folios = 65536;
	cfg->kernel_map_folios = 65536;
	cfg->uffd_max_per_user = 4;
	cfg->uffd_max_total = 8;
	cfg->rearm_interval_ms = 200;
}

static void no_event(void *ctx, const struct tierd_event *ev)
{
	fail_msg("no source is active, yet a record arrived");
}

static void expect_unsupported(const struct tierd_config *cfg,
			       const struct kernel_features *f,
			       const char *want_err);

/* Open, expecting success with no source active; return the stats. */
static void open_idle(const struct tierd_config *cfg,
		      const struct kernel_features *f,
		      struct tierd_source_stats st[TIERD_SRC_NR])
{
	struct collector *c = NULL;
	char err[256] = "";
	pid_t self = 1;

	assert_int_equal(collector_open(cfg, f, NULL, no_event, NULL, &c, err,
					sizeof(err)), 0);
	assert_non_null(c);
	assert_string_equal(err, "");
	assert_int_equal(collector_ring_fd(c), -1);
	assert_false(collector_source_active(c, TIERD_SRC_PRIVATE_NODE));
	assert_false(collector_source_active(c, TIERD_SRC_SOFT_DIRTY));
	/* the idle collector still takes every call */
	assert_int_equal(collector_consume(c, NULL), 0);
	assert_int_equal(collector_set_tracked(c, &self, 1, true), 0);
	assert_int_equal(collector_reconfigure(c, cfg), 0);
	collector_read_stats(c, st);
	collector_close(c);
	assert_false(st[TIERD_SRC_PRIVATE_NODE].active);
	assert_false(st[TIERD_SRC_SOFT_DIRTY].active);
}

static void test_off_by_config(void **state)
{
	struct kernel_features f;
	struct tierd_source_stats st[TIERD_SRC_NR];
	struct tierd_config cfg;

	/* even a kernel with everything does not load what config turns off */
	memset(&f, 1, sizeof(f));
	base_config(&cfg);
	cfg.src_private_node = TIERD_OFF;
	cfg.src_soft_dirty = TIERD_OFF;
	cfg.src_numa_hint = TIERD_OFF;
	cfg.src_uffd = TIERD_OFF;
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_PRIVATE_NODE].state, "off by config");
	assert_string_equal(st[TIERD_SRC_SOFT_DIRTY].state, "off by config");
	assert_string_equal(st[TIERD_SRC_NUMA_HINT].state, "off by config");
	assert_string_equal(st[TIERD_SRC_UFFD].state, "off by config");
	assert_int_equal(st[TIERD_SRC_SOFT_DIRTY].faults_seen, 0);
	assert_int_equal(st[TIERD_SRC_SOFT_DIRTY].prog_run_cnt, 0);
}

static void test_auto_stock_kernel(void **state)
{
	struct kernel_features f = {
		.btf = true,
		.page_fault_user_tp = true,
		.soft_dirty = false,
		.private_node_tp = false,
	};
	struct tierd_source_stats st[TIERD_SRC_NR];
	struct tierd_config cfg;

	base_config(&cfg);
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_PRIVATE_NODE].state,
		"off: kernel has no node_private:node_private_write_fault tracepoint (needs kernel-patches/)");
	assert_string_equal(st[TIERD_SRC_SOFT_DIRTY].state,
		"off: CONFIG_MEM_SOFT_DIRTY missing: clear_refs=4 does not clear soft-dirty bits");
}

static void test_auto_no_btf(void **state)
{
	struct kernel_features f = {
		.btf = false,
		.page_fault_user_tp = true,
		.soft_dirty = true,
		.private_node_tp = true,
	};
	struct tierd_source_stats st[TIERD_SRC_NR];
	struct tierd_config cfg;
	int s;

	base_config(&cfg);
	open_idle(&cfg, &f, st);
	for (s = 0; s < TIERD_SRC_NR; s++) {
		/* the userfaultfd source needs no BTF, but a newer kernel */
		if (!tierd_source_registry[s]->uses_bpf)
			continue;
		assert_string_equal(st[s].state,
			"off: kernel has no BTF (/sys/kernel/btf/vmlinux): needs a kernel built with CONFIG_DEBUG_INFO_BTF");
	}
}

/*
 * uffd: each missing piece in turn; with all of them the source runs
 * without BPF and takes descriptors, and with it off `track` is refused
 * naming why.
 */
static void test_uffd_reasons(void **state)
{
	struct kernel_features f = { .uffd_errno = -ENOSYS };
	struct tierd_source_stats st[TIERD_SRC_NR];
	struct source_adopt a = { .pid = 1, .fd = -1 };
	struct collector *c = NULL;
	struct tierd_config cfg;
	char err[256] = "", msg[256];

	base_config(&cfg);
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_UFFD].state,
		"off: kernel has no userfaultfd (CONFIG_USERFAULTFD)");
	f.uffd_errno = -EPERM;
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_UFFD].state,
		"off: tierd cannot make a userfaultfd to ask the kernel what it offers (userfaultfd(2) refused: seccomp or an LSM)");
	f.uffd_errno = 0;
	f.uffd_features = 1 << 12;	/* 6.1: no WP_ASYNC */
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_UFFD].state,
		"off: kernel's userfaultfd has no UFFD_FEATURE_WP_ASYNC (needs Linux 6.7)");
	f.uffd_features |= 1 << 15;
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_UFFD].state,
		"off: kernel has no PAGEMAP_SCAN ioctl on /proc/PID/pagemap (needs Linux 6.7)");
	/* the reason comes back to a process that asks to be tracked */
	assert_int_equal(collector_open(&cfg, &f, NULL, no_event, NULL, &c, err,
					sizeof(err)), 0);
	assert_int_equal(collector_adopt(c, &a, 1, msg, sizeof(msg)),
			 -EOPNOTSUPP);
	assert_string_equal(msg, "tierd tracks no descriptors: source uffd is off: kernel has no PAGEMAP_SCAN ioctl on /proc/PID/pagemap (needs Linux 6.7)");
	collector_close(c);
	cfg.src_uffd = TIERD_ON;
	expect_unsupported(&cfg, &f,
		"[sources] uffd = on, but kernel has no PAGEMAP_SCAN ioctl on /proc/PID/pagemap (needs Linux 6.7)");

	f.pagemap_scan = true;
	assert_int_equal(collector_open(&cfg, &f, NULL, no_event, NULL, &c, err,
					sizeof(err)), 0);
	assert_true(collector_source_active(c, TIERD_SRC_UFFD));
	/* a source without BPF loads no object */
	assert_int_equal(collector_ring_fd(c), -1);
	collector_read_stats(c, st);
	assert_string_equal(st[TIERD_SRC_UFFD].state,
		"active (WP-async, one PAGEMAP_SCAN per slow-tier range; RWP absent: UFFDIO_API offers no UFFD_FEATURE_RWP, the posted series is in no released kernel: writes only)");
	/* a descriptor that is none is refused, and counted */
	assert_int_equal(collector_adopt(c, &a, 1, msg, sizeof(msg)), -EBADF);
	assert_string_equal(msg, "cannot inspect the descriptor: Bad file descriptor");
	collector_read_stats(c, st);
	assert_int_equal(st[TIERD_SRC_UFFD].descriptors_refused, 1);
	assert_int_equal(st[TIERD_SRC_UFFD].held_total, 0);
	collector_close(c);
}

static void test_auto_no_page_fault_tp(void **state)
{
	struct kernel_features f = { .btf = true, .soft_dirty = true };
	struct tierd_source_stats st[TIERD_SRC_NR];
	struct tierd_config cfg;

	base_config(&cfg);
	cfg.src_private_node = TIERD_OFF;
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_SOFT_DIRTY].state,
		"off: kernel has no exceptions:page_fault_user tracepoint (needs CONFIG_TRACEPOINTS on x86)");
}

static void expect_unsupported(const struct tierd_config *cfg,
			       const struct kernel_features *f,
			       const char *want_err)
{
	struct collector *c = (struct collector *)&c;	/* must be reset */
	char err[256] = "";

	assert_int_equal(collector_open(cfg, f, NULL, no_event, NULL, &c, err,
					sizeof(err)), -EOPNOTSUPP);
	assert_null(c);
	assert_string_equal(err, want_err);
}

static void test_on_but_missing(void **state)
{
	struct kernel_features f = {
		.btf = true,
		.page_fault_user_tp = true,
	};
	struct tierd_config cfg;

	base_config(&cfg);
	cfg.src_private_node = TIERD_ON;
	expect_unsupported(&cfg, &f,
		"[sources] private_node = on, but kernel has no node_private:node_private_write_fault tracepoint (needs kernel-patches/)");

	/*
	 * soft_dirty = on without CONFIG_MEM_SOFT_DIRTY runs degraded
	 * (first-touch faults, no re-arm); without the tracepoint it cannot.
	 */
	base_config(&cfg);
	cfg.src_soft_dirty = TIERD_ON;
	f.page_fault_user_tp = false;
	expect_unsupported(&cfg, &f,
		"[sources] soft_dirty = on, but kernel has no exceptions:page_fault_user tracepoint (needs CONFIG_TRACEPOINTS on x86)");
}

/*
 * A kernel whose node_private event is older than this tierd (7
 * arguments, without access), or whose private-node sysfs makes no
 * sense: the source is off, nothing is loaded, and `on` refuses to start.
 */
static void test_private_node_kernel_mismatch(void **state)
{
	struct kernel_features f = {
		.btf = true,
		.private_node_tp = true,
		.private_fault_args = 7,
	};
	struct tierd_source_stats st[TIERD_SRC_NR];
	struct tierd_config cfg;

	base_config(&cfg);
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_PRIVATE_NODE].state,
		"off: node_private:node_private_write_fault has 7 arguments, this tierd expects 8 (kernel-patches/ of this version)");
	cfg.src_private_node = TIERD_ON;
	expect_unsupported(&cfg, &f,
		"[sources] private_node = on, but node_private:node_private_write_fault has 7 arguments, this tierd expects 8 (kernel-patches/ of this version)");

	f.private_fault_args = TIERD_NP_FAULT_ARGS;
	snprintf(f.private_sysfs_error, sizeof(f.private_sysfs_error),
		 "private-node sysfs makes no sense: node 1 is in both has_private_memory and has_common_memory");
	base_config(&cfg);
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_PRIVATE_NODE].state,
		"off: private-node sysfs makes no sense: node 1 is in both has_private_memory and has_common_memory");
	cfg.src_private_node = TIERD_ON;
	expect_unsupported(&cfg, &f,
		"[sources] private_node = on, but private-node sysfs makes no sense: node 1 is in both has_private_memory and has_common_memory");
}

/* numa_hint: each missing piece, in the order the kernel needs them */
static void test_numa_hint_reasons(void **state)
{
	struct kernel_features f = { .btf = true };
	struct tierd_source_stats st[TIERD_SRC_NR];
	struct tierd_config cfg;

	base_config(&cfg);
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_NUMA_HINT].state,
		"off: kernel has no NUMA balancing (/proc/sys/kernel/numa_balancing missing: CONFIG_NUMA_BALANCING)");
	f.numa_balancing = true;
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_NUMA_HINT].state,
		"off: kernel cannot attach fexit programs (BPF_PROG_TYPE_TRACING: needs CONFIG_FUNCTION_TRACER and direct calls)");
	f.bpf_tracing = true;
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_NUMA_HINT].state,
		"off: kernel's mpol_misplaced() does not take the fault (struct vm_fault): needs Linux 6.x with BTF");
	f.hint_hook = true;
	open_idle(&cfg, &f, st);
	assert_string_equal(st[TIERD_SRC_NUMA_HINT].state,
		"off: every memory node is in one memory tier (/sys/devices/virtual/memory_tiering): the kernel hints only pages on lower tiers (needs HMAT or a driver that ranks the slow node)");
	/* asked for explicitly, on a flat machine: refuse to start */
	cfg.src_numa_hint = TIERD_ON;
	expect_unsupported(&cfg, &f,
		"[sources] numa_hint = on, but every memory node is in one memory tier (/sys/devices/virtual/memory_tiering): the kernel hints only pages on lower tiers (needs HMAT or a driver that ranks the slow node)");
}

static void test_bad_tunables(void **state)
{
	struct kernel_features f = { 0 };
	struct tierd_config cfg, bad;
	struct collector *c = NULL;
	char err[256] = "";

	base_config(&cfg);
	bad = cfg;
	bad.granule_kb = 64;
	assert_int_equal(collector_open(&bad, &f, NULL, no_event, NULL, &c, err,
					sizeof(err)), -EINVAL);
	assert_string_equal(err, "[hotness] granule_kb: 64 is not 4 or 2048");

	bad = cfg;
	bad.threshold = 0;
	assert_int_equal(collector_open(&bad, &f, NULL, no_event, NULL, &c, err,
					sizeof(err)), -EINVAL);
	assert_string_equal(err, "[hotness] threshold: must be > 0");

	bad = cfg;
	bad.window_ms = 0;
	assert_int_equal(collector_open(&bad, &f, NULL, no_event, NULL, &c, err,
					sizeof(err)), -EINVAL);
	assert_string_equal(err, "[hotness] window_ms: must be > 0");

	/* a bad reload is refused and the collector keeps running */
	assert_int_equal(collector_open(&cfg, &f, NULL, no_event, NULL, &c, err,
					sizeof(err)), 0);
	bad = cfg;
	bad.granule_kb = 8;
	assert_int_equal(collector_reconfigure(c, &bad), -EINVAL);
	assert_int_equal(collector_reconfigure(c, &cfg), 0);
	collector_close(c);
}

static void test_bad_tgids(void **state)
{
	struct kernel_features f = { 0 };
	struct tierd_config cfg;
	struct collector *c = NULL;
	char err[256];
	pid_t tgids[] = { 10, 0 };

	base_config(&cfg);
	assert_int_equal(collector_open(&cfg, &f, NULL, no_event, NULL, &c, err,
					sizeof(err)), 0);
	assert_int_equal(collector_set_tracked(c, tgids, 2, true), -EINVAL);
	assert_int_equal(collector_set_tracked(c, tgids, TIERD_TRACKED_MAX + 1,
					       true), -E2BIG);
	collector_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_by_config),
		cmocka_unit_test(test_auto_stock_kernel),
		cmocka_unit_test(test_auto_no_btf),
		cmocka_unit_test(test_uffd_reasons),
		cmocka_unit_test(test_numa_hint_reasons),
		cmocka_unit_test(test_auto_no_page_fault_tp),
		cmocka_unit_test(test_on_but_missing),
		cmocka_unit_test(test_private_node_kernel_mismatch),
		cmocka_unit_test(test_bad_tunables),
		cmocka_unit_test(test_bad_tgids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
