// SPDX-License-Identifier: GPL-2.0
/*
 * numa_sysfs_read() against fake sysfs trees: memory tiers, HMAT access0
 * figures, the private-node lists of each generation of the RFC, nodeN/
 * vmstat, and files that make no sense (ignored or reported, never
 * trusted).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "os/numa_nodes.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/tierd-sysfs.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void two_nodes(struct numa_topology *t)
{
	memset(t, 0, sizeof(*t));
	t->numa = true;
	t->nr_nodes = 2;
	t->mem_mask = 0x3;
	t->cpu_mask = 0x1;
}

/* What the 6.12 guest with HMAT shows. */
static void test_hmat_guest(void **state)
{
	struct numa_topology t;

	put("sys/devices/virtual/memory_tiering/memory_tier4/nodelist", "0\n");
	put("sys/devices/virtual/memory_tiering/memory_tier54/nodelist", "1\n");
	put("sys/devices/system/node/node0/access0/initiators/read_latency", "100\n");
	put("sys/devices/system/node/node0/access0/initiators/read_bandwidth", "20480\n");
	put("sys/devices/system/node/node1/access0/initiators/read_latency", "300\n");
	put("sys/devices/system/node/node1/access0/initiators/read_bandwidth", "5120\n");
	two_nodes(&t);
	assert_int_equal(numa_sysfs_read(root, &t), 0);
	assert_true(t.memtiers);
	assert_int_equal(t.memtier[0], 4);
	assert_int_equal(t.memtier[1], 54);
	assert_int_equal(t.memtier[2], TIERD_MEMTIER_NONE);
	assert_int_equal(t.read_latency_ns[1], 300);
	assert_int_equal(t.read_bandwidth_mbps[0], 20480);
}

/* Node lists with ranges and commas; a node listed twice keeps its first. */
static void test_lists_and_nonsense(void **state)
{
	struct numa_topology t;

	put("sys/devices/virtual/memory_tiering/memory_tier4/nodelist", "0-1,3\n");
	/* nonsense: ignored, never a crash or a wrong tier */
	put("sys/devices/virtual/memory_tiering/memory_tier9/nodelist", "0-x\n");
	put("sys/devices/virtual/memory_tiering/memory_tier7/nodelist", "5-2\n");
	put("sys/devices/virtual/memory_tiering/memory_tierX/nodelist", "2\n");
	put("sys/devices/virtual/memory_tiering/memory_tier8/nodelist", "99\n");
	put("sys/devices/system/node/node0/access0/initiators/read_latency", "fast\n");
	two_nodes(&t);
	t.mem_mask = 0xf;
	assert_int_equal(numa_sysfs_read(root, &t), 0);
	assert_int_equal(t.memtier[0], 4);
	assert_int_equal(t.memtier[1], 4);
	assert_int_equal(t.memtier[2], TIERD_MEMTIER_NONE);
	assert_int_equal(t.memtier[3], 4);
	assert_int_equal(t.read_latency_ns[0], 0);
}

/* No memory_tiering directory at all: nothing known, not an error. */
static void test_no_tiers(void **state)
{
	struct numa_topology t;

	two_nodes(&t);
	assert_int_equal(numa_sysfs_read(root, &t), 0);
	assert_false(t.memtiers);
	assert_int_equal(t.memtier[1], TIERD_MEMTIER_NONE);
	assert_int_equal(t.read_latency_ns[1], 0);
}

#define NODE "sys/devices/system/node/"

/* Nodes 0 (CPUs, DRAM), 1 and 2 (CPU-less, memory). */
static void three_nodes(struct numa_topology *t)
{
	two_nodes(t);
	t->nr_nodes = 3;
	t->mem_mask = 0x7;
}

/* v4: has_private_memory names them; has_memory may list them too. */
static void test_private_v4(void **state)
{
	struct numa_topology t;

	put(NODE "has_memory", "0-1\n");
	put(NODE "has_private_memory", "1-2\n");
	three_nodes(&t);
	assert_int_equal(numa_sysfs_read(root, &t), 0);
	assert_string_equal(t.private_error, "");
	assert_int_equal(t.private_gen, TIERD_PRIVATE_V4);
	assert_int_equal(t.private_mask, 0x6);
	assert_int_equal(t.private_user_mask, 0x6);
	assert_string_equal(t.private_kind, "has_private_memory");
}

/* v4 with no private node registered: an empty list */
static void test_private_v4_empty(void **state)
{
	struct numa_topology t;

	put(NODE "has_memory", "0-2\n");
	put(NODE "has_private_memory", "\n");
	three_nodes(&t);
	assert_int_equal(numa_sysfs_read(root, &t), 0);
	assert_string_equal(t.private_error, "");
	assert_int_equal(t.private_gen, TIERD_PRIVATE_V4);
	assert_int_equal(t.private_mask, 0);
}

/* Later (a): private = has_memory - has_public_memory; user from has_user_memory. */
static void test_private_public_user(void **state)
{
	struct numa_topology t;

	put(NODE "has_memory", "0-2\n");
	put(NODE "has_public_memory", "0\n");
	put(NODE "has_user_memory", "0,2\n");
	three_nodes(&t);
	assert_int_equal(numa_sysfs_read(root, &t), 0);
	assert_string_equal(t.private_error, "");
	assert_int_equal(t.private_gen, TIERD_PRIVATE_PUBLIC_USER);
	assert_int_equal(t.private_mask, 0x6);
	assert_int_equal(t.private_user_mask, 0x4);
	assert_string_equal(t.private_kind, "has_memory but not has_public_memory");
}

/* Later (b): has_common_memory with has_user_memory. */
static void test_private_common_user(void **state)
{
	struct numa_topology t;

	put(NODE "has_memory", "0-2\n");
	put(NODE "has_common_memory", "0,2\n");
	put(NODE "has_user_memory", "0-1\n");
	three_nodes(&t);
	assert_int_equal(numa_sysfs_read(root, &t), 0);
	assert_string_equal(t.private_error, "");
	assert_int_equal(t.private_gen, TIERD_PRIVATE_COMMON_USER);
	assert_int_equal(t.private_mask, 0x2);
	assert_int_equal(t.private_user_mask, 0x2);
	assert_string_equal(t.private_kind, "has_memory but not has_common_memory");
}

/* Newest: has_common_memory alone, so no user migration off any. */
static void test_private_common_only(void **state)
{
	struct numa_topology t;

	put(NODE "has_memory", "0-2\n");
	put(NODE "has_common_memory", "0\n");
	three_nodes(&t);
	assert_int_equal(numa_sysfs_read(root, &t), 0);
	assert_string_equal(t.private_error, "");
	assert_int_equal(t.private_gen, TIERD_PRIVATE_COMMON);
	assert_int_equal(t.private_mask, 0x6);
	assert_int_equal(t.private_user_mask, 0);
}

/* A stock kernel: has_memory and nothing of the RFC. */
static void test_private_stock(void **state)
{
	struct numa_topology t;

	put(NODE "has_memory", "0-1\n");
	put(NODE "has_normal_memory", "0-1\n");
	two_nodes(&t);
	assert_int_equal(numa_sysfs_read(root, &t), 0);
	assert_string_equal(t.private_error, "");
	assert_int_equal(t.private_gen, TIERD_PRIVATE_NONE);
	assert_int_equal(t.private_mask, 0);
}

/* Lists that do not parse or contradict each other: nothing is private. */
static void expect_bad(const char *want)
{
	struct numa_topology t;

	three_nodes(&t);
	assert_int_equal(numa_sysfs_read(root, &t), 0);
	assert_string_equal(t.private_error, want);
	assert_int_equal(t.private_gen, TIERD_PRIVATE_NONE);
	assert_int_equal(t.private_mask, 0);
	assert_int_equal(t.private_user_mask, 0);
	assert_string_equal(t.private_kind, "");
}

static void test_private_malformed(void **state)
{
	char cmd[320];

#define BAD "the kernel's private-node lists make no sense: "
	put(NODE "has_memory", "0-2\n");
	put(NODE "has_private_memory", "1-x\n");
	expect_bad(BAD "has_private_memory: '1-x' is not a node list");
	put(NODE "has_private_memory", "");
	expect_bad(BAD "has_private_memory: '' is not a node list");
	put(NODE "has_private_memory", "70\n");
	expect_bad(BAD "has_private_memory: '70' is not a node list");

	/* one node both private and common */
	put(NODE "has_private_memory", "1\n");
	put(NODE "has_common_memory", "0-1\n");
	expect_bad(BAD "node 1 is in both has_private_memory and has_common_memory");
	/* disjoint, but no generation has both lists */
	put(NODE "has_common_memory", "0\n");
	expect_bad(BAD "has_private_memory (RFC v4) and has_common_memory (a later generation) both exist");

	/* a private node with no memory */
	snprintf(cmd, sizeof(cmd), "rm -f '%s/" NODE "has_common_memory'", root);
	assert_int_equal(system(cmd), 0);
	put(NODE "has_private_memory", "2-3\n");
	expect_bad(BAD "node 3 is private memory (has_private_memory) but has no memory");

	/* later lists that do not add up */
	snprintf(cmd, sizeof(cmd), "rm -f '%s/" NODE "has_private_memory'", root);
	assert_int_equal(system(cmd), 0);
	put(NODE "has_memory", "0-3\n");
	put(NODE "has_common_memory", "0\n");
	expect_bad(BAD "node 3 is private memory (has_memory but not has_common_memory) but has no memory");
	put(NODE "has_memory", "0-2\n");
	put(NODE "has_common_memory", "0,4\n");
	expect_bad(BAD "node 4 is in has_common_memory but not in has_memory");
	put(NODE "has_common_memory", "0\n");
	put(NODE "has_user_memory", "0,5\n");
	expect_bad(BAD "node 5 is in has_user_memory but not in has_memory");
	put(NODE "has_public_memory", "0\n");
	put(NODE "has_user_memory", "0\n");
	expect_bad(BAD "has_public_memory and has_common_memory both exist");
	snprintf(cmd, sizeof(cmd), "rm -f '%s/" NODE "has_common_memory' '%s/" NODE "has_user_memory'",
		 root, root);
	assert_int_equal(system(cmd), 0);
	expect_bad(BAD "has_public_memory without has_user_memory");
	snprintf(cmd, sizeof(cmd), "rm -f '%s/" NODE "has_public_memory'", root);
	assert_int_equal(system(cmd), 0);
	put(NODE "has_user_memory", "0\n");
	expect_bad(BAD "has_user_memory without has_public_memory or has_common_memory");
	snprintf(cmd, sizeof(cmd), "rm -f '%s/" NODE "has_memory'", root);
	assert_int_equal(system(cmd), 0);
	put(NODE "has_common_memory", "0\n");
	expect_bad(BAD "has_common_memory without has_memory");
#undef BAD
}

/* nodeN/vmstat: the counters asked for, a mask of those the kernel has. */
static void test_node_vmstat(void **state)
{
	const char *const names[] = { "pgpromote_fence",
				      "pgpromote_fence_failed", "nr_free_pages" };
	uint64_t v[3] = { 0 };

	put(NODE "node1/vmstat",
	    "nr_free_pages 1024\npgpromote_success 7\npgpromote_fence 42\npgpromote_fence_failed 3\n");
	assert_int_equal(numa_node_vmstat(root, 1, names, 3, v), 0x7);
	assert_int_equal(v[0], 42);
	assert_int_equal(v[1], 3);
	assert_int_equal(v[2], 1024);

	/* a kernel without the fence counters */
	memset(v, 0, sizeof(v));
	put(NODE "node0/vmstat", "nr_free_pages 5\npgpromote_success 0\n");
	assert_int_equal(numa_node_vmstat(root, 0, names, 2, v), 0);
	assert_int_equal(v[0], 0);
	assert_int_equal(numa_node_vmstat(root, 2, names, 2, v), -ENOENT);
	assert_int_equal(numa_node_vmstat(root, 64, names, 2, v), -EINVAL);
	put(NODE "node2/vmstat", "pgpromote_fence 1\nnonsense here\n");
	assert_int_equal(numa_node_vmstat(root, 2, names, 2, v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hmat_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists_and_nonsense, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_tiers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_v4_empty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_private_public_user, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_private_common_user, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_private_common_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_private_stock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_private_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_node_vmstat, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
