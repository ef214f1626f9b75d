// SPDX-License-Identifier: GPL-2.0
/*
 * migrate.c against the real kernel: a move_pages round trip on this host.
 * With one node the only target is node 0, which still exercises the query
 * path, the move path and the per-page and per-call error statuses.
 */
#include <errno.h>
#include <numa.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "os/migrate.h"

#define NR 8
#define PG 4096UL

static int setup(void **state)
{
	if (numa_available() < 0) {
		print_message("skip: kernel without NUMA support\n");
		return -1;
	}
	return 0;
}

static void test_query_and_move_own_pages(void **state)
{
	char *buf = mmap(NULL, NR * PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t addrs[NR];
	int status[NR], to_node0[NR] = { 0 };

	assert_ptr_not_equal(buf, MAP_FAILED);
	madvise(buf, NR * PG, MADV_NOHUGEPAGE);
	for (int i = 0; i < NR; i++) {
		if (i != NR - 1)	/* last page never touched */
			buf[i * PG] = 1;
		addrs[i] = (uintptr_t)(buf + i * PG);
	}

	assert_int_equal(migrate_query(getpid(), NR, addrs, status), 0);
	for (int i = 0; i < NR - 1; i++)
		assert_int_equal(status[i], 0);
	assert_int_equal(status[NR - 1], -ENOENT);

	/* move to the node they are on: success, status is the node */
	memset(status, 0x7f, sizeof(status));
	assert_true(migrate_move(getpid(), NR - 1, addrs, to_node0, status) >= 0);
	for (int i = 0; i < NR - 1; i++)
		assert_int_equal(status[i], 0);
	munmap(buf, NR * PG);
}

static void test_unmapped_address_is_efault(void **state)
{
	char *buf = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t addr = (uintptr_t)buf;
	int status;

	munmap(buf, PG);
	assert_int_equal(migrate_query(getpid(), 1, &addr, &status), 0);
	assert_int_equal(status, -EFAULT);
}

static void test_vanished_process_is_esrch(void **state)
{
	uint64_t addr = 0x10000;
	int status;
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	assert_int_equal(migrate_query(child, 1, &addr, &status), -ESRCH);
	assert_int_equal(migrate_move(child, 1, &addr, (int[]){ 0 }, &status),
			 -ESRCH);
}

static void test_move_to_missing_node_fails(void **state)
{
	char *buf = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t addr = (uintptr_t)buf;
	int status, bad = numa_max_possible_node() + 1, ret;

	buf[0] = 1;
	ret = migrate_move(getpid(), 1, &addr, &bad, &status);
	/* the kernel rejects a node outside the possible set for the call */
	assert_true(ret == -ENODEV || ret == -EINVAL);
	munmap(buf, PG);
}

static void test_large_batch_uses_heap(void **state)
{
	const int nr = 1000;	/* above the on-stack array of migrate.c */
	char *buf = mmap(NULL, nr * PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t *addrs = test_malloc(nr * sizeof(*addrs));
	int *status = test_malloc(nr * sizeof(*status));
	int *nodes = test_calloc(nr, sizeof(*nodes));	/* all node 0 */

	assert_ptr_not_equal(buf, MAP_FAILED);
	madvise(buf, nr * PG, MADV_NOHUGEPAGE);
	for (int i = 0; i < nr; i++) {
		buf[i * PG] = 1;
		addrs[i] = (uintptr_t)(buf + i * PG);
	}
	assert_true(migrate_move(getpid(), nr, addrs, nodes, status) >= 0);
	for (int i = 0; i < nr; i++)
		assert_int_equal(status[i], 0);
	test_free(addrs);
	test_free(status);
	test_free(nodes);
	munmap(buf, nr * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_and_move_own_pages),
		cmocka_unit_test(test_unmapped_address_is_efault),
		cmocka_unit_test(test_vanished_process_is_esrch),
		cmocka_unit_test(test_move_to_missing_node_fails),
		cmocka_unit_test(test_large_batch_uses_heap),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
