// SPDX-License-Identifier: GPL-2.0
/* tier_choose(): the pure choice of slow and fast nodes from a topology. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/tiers.h"

/* node 0: CPUs + DRAM; node 1: CPU-less memory at distance 20 */
static void two_node(struct numa_topology *t)
{
	memset(t, 0, sizeof(*t));
	t->numa = true;
	t->nr_nodes = 2;
	t->mem_mask = 0x3;
	t->cpu_mask = 0x1;
	t->distance[0][0] = t->distance[1][1] = 10;
	t->distance[0][1] = t->distance[1][0] = 20;
}

static void auto_cfg(struct tierd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->slow_auto = c->fast_auto = true;
}

static void test_auto_two_nodes(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;

	two_node(&t);
	auto_cfg(&c);
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_true(ch.tiering);
	assert_int_equal(ch.slow_mask, 0x2);
	assert_int_equal(ch.fast_node, 0);
	assert_string_equal(ch.reason, "slow 1 -> fast 0");
}

static void test_auto_one_node_is_idle_not_error(void **state)
{
	struct numa_topology t = { .numa = true, .nr_nodes = 1,
				   .mem_mask = 1, .cpu_mask = 1 };
	struct tierd_config c;
	struct tier_choice ch;

	auto_cfg(&c);
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_false(ch.tiering);
	assert_int_equal(ch.fast_node, -1);
	assert_non_null(strstr(ch.reason, "no slow-tier node"));
}

/* Two sockets, each with CPUs; CPU-less node 3 hangs off socket 1. */
static void test_auto_fast_is_nearest(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;

	memset(&t, 0, sizeof(t));
	t.nr_nodes = 4;
	t.mem_mask = 0xb;	/* 0, 1, 3 */
	t.cpu_mask = 0x7;	/* 0, 1, 2 (2 has CPUs but no memory) */
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			t.distance[i][j] = i == j ? 10 : 21;
	t.distance[3][1] = t.distance[1][3] = 14;
	auto_cfg(&c);
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_true(ch.tiering);
	assert_int_equal(ch.slow_mask, 0x8);
	assert_int_equal(ch.fast_node, 1);
}

/*
 * Two sockets (nodes 0, 1) with a CXL expander each (2 near 0, 3 near 1):
 * with fast = auto each expander promotes into its own socket's DRAM.
 */
static void two_sockets(struct numa_topology *t)
{
	memset(t, 0, sizeof(*t));
	t->numa = true;
	t->nr_nodes = 4;
	t->mem_mask = 0xf;
	t->cpu_mask = 0x3;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			t->distance[i][j] = i == j ? 10 : 32;
	t->distance[0][1] = t->distance[1][0] = 21;
	t->distance[2][0] = t->distance[0][2] = 14;
	t->distance[3][1] = t->distance[1][3] = 14;
}

static void test_auto_fast_per_slow_node(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;

	two_sockets(&t);
	auto_cfg(&c);
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_true(ch.tiering);
	assert_int_equal(ch.slow_mask, 0xc);
	assert_int_equal(ch.fast_mask, 0x3);
	assert_int_equal(ch.target[2], 0);
	assert_int_equal(ch.target[3], 1);
	assert_int_equal(ch.target[0], -1);
	assert_int_equal(ch.target[1], -1);
	assert_int_equal(ch.fast_node, 0);
	assert_string_equal(ch.reason, "slow 2 -> fast 0, slow 3 -> fast 1");

	/* an explicit fast node takes every slow node */
	c.fast_auto = false;
	c.fast_node = 1;
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_int_equal(ch.fast_mask, 0x2);
	assert_int_equal(ch.target[2], 1);
	assert_int_equal(ch.target[3], 1);
	assert_string_equal(ch.reason, "slow 2,3 -> fast 1");
}

/* Unknown distances (0) rank last; ties go to the lowest node. */
static void test_auto_fast_unknown_distance(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;

	two_sockets(&t);
	t.distance[2][0] = 0;
	auto_cfg(&c);
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_int_equal(ch.target[2], 1);
	t.distance[2][1] = 0;
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_int_equal(ch.target[2], 0);
}

static void test_explicit_missing_node(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;

	two_node(&t);
	auto_cfg(&c);
	c.slow_auto = false;
	c.slow_mask = 1ULL << 5;
	assert_int_equal(tier_choose(&t, &c, &ch), -ENODEV);
	assert_non_null(strstr(ch.reason, "[nodes] slow: node 5"));

	auto_cfg(&c);
	c.fast_auto = false;
	c.fast_node = 7;
	assert_int_equal(tier_choose(&t, &c, &ch), -ENODEV);
	assert_non_null(strstr(ch.reason, "[nodes] fast: node 7"));
}

static void test_explicit_nodes(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;

	two_node(&t);
	auto_cfg(&c);
	c.slow_auto = c.fast_auto = false;
	c.slow_mask = 0x2;
	c.fast_node = 0;
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_true(ch.tiering);
	assert_int_equal(ch.slow_mask, 0x2);
	assert_int_equal(ch.fast_node, 0);
}

/* The kernel ranks tiers (HMAT guest): the lower tier is slow, with why. */
static void test_memtiers_ranked(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;

	two_node(&t);
	t.memtiers = true;
	t.memtier[0] = 4;
	t.memtier[1] = 54;
	auto_cfg(&c);
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_true(ch.tiering);
	assert_int_equal(ch.slow_mask, 0x2);
	assert_string_equal(ch.node_why[1], "slow: memory_tier54, below memory_tier4");
	assert_string_equal(ch.node_why[0], "fast: memory_tier4, the top tier");
}

/*
 * A CPU-less node the kernel ranks with DRAM is not slow (sub-NUMA
 * clustering, a memory-only DRAM node); a CPU-less node below is.
 */
static void test_memtiers_cpuless_top_tier(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;

	two_node(&t);
	t.nr_nodes = 3;
	t.mem_mask = 0x7;
	t.distance[0][2] = t.distance[2][0] = 30;
	t.distance[1][2] = t.distance[2][1] = 30;
	t.distance[2][2] = 10;
	t.memtiers = true;
	t.memtier[0] = t.memtier[1] = 4;
	t.memtier[2] = 54;
	auto_cfg(&c);
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_int_equal(ch.slow_mask, 0x4);
	assert_string_equal(ch.node_why[1],
		"not slow: memory_tier4, the top tier (no CPUs, but the kernel ranks it with DRAM)");
	assert_int_equal(ch.target[2], 0);

	/*
	 * One tier for everything (Debian's 6.1, or no HMAT): the kernel
	 * ranks nothing, so CPU-less nodes are slow as before.
	 */
	t.memtier[2] = 4;
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_int_equal(ch.slow_mask, 0x6);
	assert_string_equal(ch.node_why[1],
		"slow: no CPUs (the kernel ranks no memory tiers and HMAT is incomplete)");
}

/* Flat tiers but HMAT figures: twice the latency or half the bandwidth. */
static void test_hmat_rules(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;

	two_node(&t);
	t.memtiers = true;
	t.memtier[0] = t.memtier[1] = 4;
	t.read_latency_ns[0] = 100;
	t.read_bandwidth_mbps[0] = 20480;
	t.read_latency_ns[1] = 300;
	t.read_bandwidth_mbps[1] = 5120;
	auto_cfg(&c);
	/* ranked tiers win over HMAT; flat ones leave it to HMAT */
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_int_equal(ch.slow_mask, 0x2);
	assert_string_equal(ch.node_why[1],
		"slow: HMAT read latency 300 ns, bandwidth 5120 MB/s against 100 ns, 20480 MB/s on node 0");

	/* a CPU-less node as fast as DRAM is not slow */
	t.read_latency_ns[1] = 110;
	t.read_bandwidth_mbps[1] = 19000;
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_false(ch.tiering);
	assert_string_equal(ch.node_why[1],
		"not slow: HMAT read latency 110 ns, bandwidth 19000 MB/s (no CPUs, but as fast as DRAM)");

	/* half the bandwidth alone is enough */
	t.read_bandwidth_mbps[1] = 10240;
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_int_equal(ch.slow_mask, 0x2);

	/* incomplete HMAT: back to the CPU-less rule */
	t.read_latency_ns[0] = 0;
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_int_equal(ch.slow_mask, 0x2);
	assert_string_equal(ch.node_why[1],
		"slow: no CPUs (the kernel ranks no memory tiers and HMAT is incomplete)");
}

/* Private memory nodes are slow whatever else the kernel says. */
static void test_private_nodes(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;
	char line[320];

	two_node(&t);
	t.memtiers = true;
	t.memtier[0] = t.memtier[1] = 4;
	t.private_gen = TIERD_PRIVATE_V4;
	t.private_mask = t.private_user_mask = 0x2;
	snprintf(t.private_kind, sizeof(t.private_kind), "has_private_memory");
	auto_cfg(&c);
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_true(ch.tiering);
	assert_int_equal(ch.slow_mask, 0x2);
	assert_int_equal(ch.observe_mask, 0);
	assert_string_equal(ch.node_why[1],
		"slow: private memory node (has_private_memory)");
	assert_string_equal(ch.reason, "slow 1 -> fast 0");
	tiers_private_describe(&t, line, sizeof(line));
	assert_string_equal(line,
		"RFC v4 (has_private_memory): node 1; tierd moves folios off them where the node service allows migration (NP_OPS_MIGRATION), else move_pages() says ENOENT");
}

/*
 * The newest generation allows no user migration off private nodes:
 * slow, but observed only, and with nothing else to promote from tierd
 * is idle and says why.
 */
static void test_private_observe_only(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;
	char line[320];

	two_node(&t);
	t.private_gen = TIERD_PRIVATE_COMMON;
	t.private_mask = 0x2;
	snprintf(t.private_kind, sizeof(t.private_kind),
		 "has_memory but not has_common_memory");
	auto_cfg(&c);
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_false(ch.tiering);
	assert_int_equal(ch.slow_mask, 0);
	assert_int_equal(ch.fast_mask, 0);
	assert_int_equal(ch.observe_mask, 0x2);
	assert_int_equal(ch.target[1], -1);
	assert_string_equal(ch.reason,
		"observing only: the kernel allows no move_pages() off private node 1 (RFC, newest stored state, has_common_memory only)");
	assert_string_equal(ch.node_why[1],
		"observed only: private node (has_memory but not has_common_memory), no user migration");
	assert_string_equal(ch.node_why[0], "fast: has CPUs");
	tiers_private_describe(&t, line, sizeof(line));
	assert_string_equal(line,
		"RFC, newest stored state (has_common_memory only): node 1; the kernel allows no user migration off them, so tierd only observes; it promotes written, fenced folios itself (pgpromote_fence in nodeN/vmstat)");

	/* named in [nodes] slow: the kernel still forbids it */
	c.slow_auto = false;
	c.slow_mask = 0x2;
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_false(ch.tiering);
	assert_int_equal(ch.observe_mask, 0x2);
}

/*
 * Generation (b): private node 1 is in has_user_memory, private node 2
 * is not.  tierd promotes from 1, only observes 2, and a plain CPU-less
 * node 3 stays slow by the usual rule.
 */
static void test_private_user_lists(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;
	char line[320];

	memset(&t, 0, sizeof(t));
	t.numa = true;
	t.nr_nodes = 4;
	t.mem_mask = 0xf;
	t.cpu_mask = 0x1;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			t.distance[i][j] = i == j ? 10 : 20;
	t.private_gen = TIERD_PRIVATE_COMMON_USER;
	t.private_mask = 0x6;
	t.private_user_mask = 0x2;
	snprintf(t.private_kind, sizeof(t.private_kind),
		 "has_memory but not has_common_memory");
	auto_cfg(&c);
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_true(ch.tiering);
	assert_int_equal(ch.slow_mask, 0xa);
	assert_int_equal(ch.observe_mask, 0x4);
	assert_int_equal(ch.target[1], 0);
	assert_int_equal(ch.target[2], -1);
	assert_int_equal(ch.target[3], 0);
	assert_string_equal(ch.reason,
		"slow 1,3 -> fast 0; observed only: private node 2 (no move_pages() off it)");
	assert_string_equal(ch.node_why[1],
		"slow: private memory node (has_memory but not has_common_memory)");
	assert_string_equal(ch.node_why[2],
		"observed only: private node (has_memory but not has_common_memory), no user migration");
	tiers_private_describe(&t, line, sizeof(line));
	assert_string_equal(line,
		"RFC after v4, common/user lists (has_common_memory, has_user_memory): node 1,2; move_pages() off 1 (has_user_memory); no user migration off 2, tierd only observes it");

	/* the lists were not trusted: the error says why, nothing is private */
	t.private_mask = 0;
	t.private_user_mask = 0;
	t.private_gen = TIERD_PRIVATE_NONE;
	snprintf(t.private_error, sizeof(t.private_error),
		 "the kernel's private-node lists make no sense: node 1 is in both has_private_memory and has_common_memory");
	tiers_private_describe(&t, line, sizeof(line));
	assert_string_equal(line,
		"the kernel's private-node lists make no sense: node 1 is in both has_private_memory and has_common_memory; no node is taken for private memory");
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_int_equal(ch.slow_mask, 0xe);
	assert_int_equal(ch.observe_mask, 0);

	memset(&t, 0, sizeof(t));
	tiers_private_describe(&t, line, sizeof(line));
	assert_string_equal(line,
		"none (no private-node lists in /sys/devices/system/node)");
}

/* Explicit nodes say so. */
static void test_explicit_why(void **state)
{
	struct numa_topology t;
	struct tierd_config c;
	struct tier_choice ch;

	two_node(&t);
	auto_cfg(&c);
	c.slow_auto = c.fast_auto = false;
	c.slow_mask = 0x2;
	c.fast_node = 0;
	assert_int_equal(tier_choose(&t, &c, &ch), 0);
	assert_string_equal(ch.node_why[1], "slow: listed in [nodes] slow");
	assert_string_equal(ch.node_why[0], "fast: [nodes] fast");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_two_nodes),
		cmocka_unit_test(test_memtiers_ranked),
		cmocka_unit_test(test_memtiers_cpuless_top_tier),
		cmocka_unit_test(test_hmat_rules),
		cmocka_unit_test(test_private_nodes),
		cmocka_unit_test(test_private_observe_only),
		cmocka_unit_test(test_private_user_lists),
		cmocka_unit_test(test_explicit_why),
		cmocka_unit_test(test_auto_one_node_is_idle_not_error),
		cmocka_unit_test(test_auto_fast_is_nearest),
		cmocka_unit_test(test_auto_fast_per_slow_node),
		cmocka_unit_test(test_auto_fast_unknown_distance),
		cmocka_unit_test(test_explicit_missing_node),
		cmocka_unit_test(test_explicit_nodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
