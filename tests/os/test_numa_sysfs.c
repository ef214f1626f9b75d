// SPDX-License-Identifier: GPL-2.0
/*
 * numa_sysfs_read() against fake sysfs trees: memory tiers, HMAT access0
 * figures, and files that make no sense (ignored with a warning, never
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hmat_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists_and_nonsense, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_tiers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
