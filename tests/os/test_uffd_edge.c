// SPDX-License-Identifier: GPL-2.0
/*
 * os/uffd.c, pagemap.c, pidfd.c and vmas.c against the host kernel (6.18):
 * the syscall and its /dev/userfaultfd fallback (the syscall refused with
 * --wrap=syscall, as seccomp would), what a received descriptor is, the
 * PAGEMAP_SCAN probe, kcmp, and the maps and numa_maps parsers.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "os/pagemap.h"
#include "os/pidfd.h"
#include "os/uffd.h"
#include "os/uffd_uapi.h"
#include "os/vmas.h"

/*
 * syscall(2) as a seccomp filter that refuses userfaultfd would answer.
 * The edges pass at most five integer arguments; on x86-64 a variadic
 * call puts them where these named parameters read them.
 */
static int refuse_syscall;
long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, long a1, long a2, long a3, long a4, long a5);
long __wrap_syscall(long nr, long a1, long a2, long a3, long a4, long a5)
{
	if (refuse_syscall && nr == SYS_userfaultfd) {
		errno = EPERM;
		return -1;
	}
	return __real_syscall(nr, a1, a2, a3, a4, a5);
}

static void test_create_and_fallback(void **state)
{
	uint64_t offered = 0, feat = 0;
	char what[64];
	bool via_dev;
	int fd;

	fd = uffd_create(&via_dev);
	assert_true(fd >= 0);
	assert_false(via_dev);
	assert_int_equal(uffd_handshake(fd, UFFD_FEATURE_WP_ASYNC, &offered), 0);
	assert_true(offered & UFFD_FEATURE_WP_ASYNC);
	/* one handshake per descriptor */
	assert_int_equal(uffd_handshake(fd, 0, NULL), -EINVAL);
	assert_int_equal(uffd_identify(fd, &feat, what, sizeof(what)), 0);
	assert_string_equal(what, "anon_inode:[userfaultfd]");
	assert_true(feat & UFFD_FEATURE_WP_ASYNC);
	assert_true(feat & UFFD_FEATURE_INITIALIZED);
	close(fd);

	refuse_syscall = 1;
	fd = uffd_create(&via_dev);
	refuse_syscall = 0;
	if (access("/dev/userfaultfd", R_OK | W_OK) == 0) {
		assert_true(fd >= 0);
		assert_true(via_dev);
		assert_int_equal(uffd_handshake(fd, UFFD_FEATURE_WP_ASYNC,
						NULL), 0);
		close(fd);
	} else {
		/* no device to fall back to: the syscall's own error */
		assert_int_equal(fd, -EPERM);
	}
}

static void test_identify_other_descriptors(void **state)
{
	uint64_t feat;
	char what[64];
	int p[2], e = eventfd(0, EFD_CLOEXEC);

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(uffd_identify(p[0], &feat, what, sizeof(what)),
			 -ENOTTY);
	assert_int_equal(strncmp(what, "pipe:[", 6), 0);
	assert_int_equal(uffd_identify(e, &feat, what, sizeof(what)), -ENOTTY);
	assert_string_equal(what, "anon_inode:[eventfd]");
	assert_int_equal(uffd_identify(-1, &feat, what, sizeof(what)), -EBADF);
	close(p[0]);
	close(p[1]);
	close(e);
}

static void test_pagemap_and_kcmp(void **state)
{
	int pm = pagemap_open(getpid()), fd = eventfd(0, EFD_CLOEXEC), dup_fd;
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t ent = 0;

	assert_true(pagemap_scan_supported());
	assert_true(pm >= 0);
	page[0] = 1;
	assert_int_equal(pagemap_entry(pm, (uintptr_t)page, &ent), 0);
	assert_true(ent & PAGEMAP_PRESENT);
	assert_int_equal(pagemap_open(0x7fffffff), -ESRCH);
	dup_fd = dup(fd);
	assert_int_equal(proc_holds_file(getpid(), dup_fd, fd), 1);
	assert_int_equal(proc_holds_file(getpid(), pm, fd), 0);
	assert_int_equal(proc_holds_file(getpid(), 9999, fd), 0);
	close(dup_fd);
	close(fd);
	close(pm);
	munmap(page, 4096);
}

static void test_parse_maps_and_numa(void **state)
{
	static const struct {
		const char *line;
		enum vma_kind kind;
	} maps[] = {
		{ "7f00aa000000-7f00aa200000 rw-p 00000000 00:00 0 \n", VMA_ANON },
		{ "55d0c0000000-55d0c0021000 rw-p 00000000 00:00 0                          [heap]\n", VMA_ANON },
		{ "7ffd1000-7ffd3000 rw-p 00000000 00:00 0                          [stack]\n", VMA_ANON },
		{ "7f00aa000000-7f00aa200000 rw-p 00000000 00:00 0                          [anon:jit]\n", VMA_ANON },
		{ "7f00aa000000-7f00aa200000 rw-s 00000000 00:01 1234                       /dev/zero (deleted)\n", VMA_SHMEM },
		{ "7f00aa000000-7f00aa200000 rw-s 00000000 00:01 1234                       /memfd:buf (deleted)\n", VMA_SHMEM },
		{ "7f00aa000000-7f00aa200000 rw-s 00000000 00:01 1234                       /SYSV0000abcd (deleted)\n", VMA_SHMEM },
		{ "7f00aa000000-7f00aa200000 rw-s 00000000 00:19 77                         /dev/shm/x\n", VMA_SHMEM },
		{ "7f00aa000000-7f00aa200000 r--p 00000000 08:01 42                         /usr/lib/libc.so.6\n", VMA_OTHER },
		{ "7f00aa000000-7f00aa200000 rw-p 00001000 08:01 42                         /usr/lib/libc.so.6\n", VMA_OTHER },
		{ "7ffd1000-7ffd3000 r--p 00000000 00:00 0                          [vvar]\n", VMA_OTHER },
		{ "7f00aa000000-7f00aa200000 rw-s 00000000 00:0f 9                          /anon_hugepage (deleted)\n", VMA_OTHER },
		{ "7f00aa000000-7f00aa200000 rw-s 00000000 00:0f 9                          /memfd:hugetlb (deleted)\n", VMA_OTHER },
	};
	struct vma_nodes n;
	struct vma_span v;

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		assert_int_equal(vmas_parse_maps_line(maps[i].line, &v), 0);
		if (v.kind != maps[i].kind)
			fail_msg("'%s': kind %d, want %d", maps[i].line, v.kind,
				 maps[i].kind);
	}
	assert_int_equal(v.start, 0x7f00aa000000ULL);
	assert_int_equal(v.end, 0x7f00aa200000ULL);
	assert_int_equal(vmas_parse_maps_line("garbage\n", &v), -EINVAL);
	assert_int_equal(vmas_parse_maps_line("2000-1000 rw-p 0 00:00 0\n", &v),
			 -EINVAL);

	assert_int_equal(vmas_parse_numa_line("7f00aa000000 bind:1 anon=300 dirty=300 N0=100 N1=200 kernelpagesize_kB=4\n",
					      0x2, &n), 0);
	assert_int_equal(n.start, 0x7f00aa000000ULL);
	assert_int_equal(n.slow_pages, 200);
	assert_int_equal(n.other_pages, 100);
	assert_int_equal(vmas_parse_numa_line("55d0c0000000 default file=/a\\040Nb N3=7\n",
					      0x8, &n), 0);
	assert_int_equal(n.slow_pages, 7);
	assert_int_equal(n.other_pages, 0);
	assert_int_equal(vmas_parse_numa_line("zz default\n", 1, &n), -EINVAL);
}

/* This process's own lists, read for real. */
static void test_read_self(void **state)
{
	char *m = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vma_nodes *nodes = NULL;
	struct vma_span *v = NULL;
	bool found = false;
	int n;

	memset(m, 1, 8 << 20);
	n = vmas_read(0, &v);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		assert_int_not_equal(v[i].kind, VMA_OTHER);
		found |= v[i].start <= (uintptr_t)m && (uintptr_t)m < v[i].end;
	}
	assert_true(found);
	free(v);
	n = vmas_read_nodes(getpid(), 1, &nodes);
	assert_true(n > 0);
	found = false;
	for (int i = 0; i < n; i++)
		found |= nodes[i].start <= (uintptr_t)m &&
			 nodes[i].slow_pages >= 2048;
	assert_true(found);
	free(nodes);
	munmap(m, 8 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_fallback),
		cmocka_unit_test(test_identify_other_descriptors),
		cmocka_unit_test(test_pagemap_and_kcmp),
		cmocka_unit_test(test_parse_maps_and_numa),
		cmocka_unit_test(test_read_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
