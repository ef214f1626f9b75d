// SPDX-License-Identifier: GPL-2.0
/*
 * Userfaultfd read-write protection (RWP), which no kernel here has: the
 * ioctl edge (os/uffd.c, os/pagemap.c and the /proc readers they sit
 * beside) is faked with -Wl,--wrap, and the real client library and uffd
 * source run above it.  The fakes answer as the posted series says the
 * kernel does (os/uffd_uapi.h): UFFDIO_API offers RWP and RWP_ASYNC,
 * PAGEMAP_SCAN reports PAGE_IS_ACCESSED inside RWP VMAs and may not
 * re-arm them, UFFDIO_RWPROTECT protects and releases.
 *
 * The fakes have no context argument (their signatures are the edges'),
 * so they reach the test through the one file-scope pointer W.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "os/pagemap.h"
#include "os/uffd.h"
#include "os/uffd_uapi.h"
#include "os/vmas.h"
#include "sources/collector.h"
#include "track/tierd-track.h"

#define PAGE		4096ULL
#define VMA_A		0x7f0000000000ULL	/* 64 pages, all slow */
#define VMA_B		0x7f1000000000ULL	/* 64 pages, mixed */
#define CANARY		0x7f2000000000ULL
#define MAX_CALLS	256

struct call {
	uint64_t start, end;
	uint64_t arg;		/* mode, flags or protect */
};

struct world {
	uint64_t offered;		/* what UFFDIO_API offers */
	uint64_t ctx_features;		/* what fdinfo shows */
	uint64_t asked;			/* the handshake's request */
	struct call reg[MAX_CALLS];
	unsigned int nr_reg;
	struct call rwp[MAX_CALLS];	/* UFFDIO_RWPROTECT */
	unsigned int nr_rwp;
	struct call scan[MAX_CALLS];	/* PAGEMAP_SCAN: flags in arg */
	uint64_t scan_cat[MAX_CALLS];
	unsigned int nr_scan;
	unsigned int nr_wp;		/* UFFDIO_WRITEPROTECT calls */
	/* what the next scans report accessed, per VMA: page indexes */
	unsigned int accessed_a[8], nr_accessed_a;
	int b_status[64];		/* move_pages query of VMA B */
	unsigned char canary[PAGE];
	unsigned int handoffs;
	struct tierd_event ev[256];
	unsigned int nr_ev;
};

static struct world *W;

/* ---- the faked edge ---- */

int __wrap_uffd_offered_features(uint64_t *features);
int __wrap_uffd_offered_features(uint64_t *features)
{
	*features = W->offered;
	return 0;
}

int __wrap_uffd_create(bool *via_dev);
int __wrap_uffd_create(bool *via_dev)
{
	*via_dev = false;
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int __wrap_uffd_handshake(int fd, uint64_t want, uint64_t *offered);
int __wrap_uffd_handshake(int fd, uint64_t want, uint64_t *offered)
{
	W->asked = want;
	/* the series: RWP_ASYNC needs RWP */
	if ((want & UFFD_FEATURE_RWP_ASYNC) && !(want & UFFD_FEATURE_RWP))
		return -EINVAL;
	return want & ~W->offered ? -EINVAL : 0;
}

int __wrap_uffd_register(int fd, uint64_t start, uint64_t len, uint64_t mode);
int __wrap_uffd_register(int fd, uint64_t start, uint64_t len, uint64_t mode)
{
	/* WP and RWP cannot be combined on one range */
	if ((mode & UFFDIO_REGISTER_MODE_WP) && (mode & UFFDIO_REGISTER_MODE_RWP))
		return -EINVAL;
	if (W->nr_reg < MAX_CALLS)
		W->reg[W->nr_reg++] = (struct call){ start, start + len, mode };
	return 0;
}

int __wrap_uffd_unregister(int fd, uint64_t start, uint64_t len);
int __wrap_uffd_unregister(int fd, uint64_t start, uint64_t len)
{
	return 0;
}

int __wrap_uffd_rwprotect(int fd, uint64_t start, uint64_t len, bool protect);
int __wrap_uffd_rwprotect(int fd, uint64_t start, uint64_t len, bool protect)
{
	if (W->nr_rwp < MAX_CALLS)
		W->rwp[W->nr_rwp++] = (struct call){ start, start + len,
						     protect };
	return 0;
}

int __wrap_uffd_writeprotect(int fd, uint64_t start, uint64_t len,
			     bool protect);
int __wrap_uffd_writeprotect(int fd, uint64_t start, uint64_t len,
			     bool protect)
{
	W->nr_wp++;
	return -ENOENT;		/* an RWP range is not WP-registered */
}

int __wrap_uffd_copy(int fd, uint64_t dst, const void *src, uint64_t len);
int __wrap_uffd_copy(int fd, uint64_t dst, const void *src, uint64_t len)
{
	if (dst != CANARY || len != PAGE)
		return -ENOENT;
	memcpy(W->canary, src, PAGE);
	return 0;
}

int __wrap_uffd_identify(int fd, uint64_t *features, char *what,
			 size_t whatlen);
int __wrap_uffd_identify(int fd, uint64_t *features, char *what,
			 size_t whatlen)
{
	snprintf(what, whatlen, "anon_inode:[userfaultfd]");
	*features = W->ctx_features;
	return 0;
}

int __wrap_proc_holds_file(pid_t pid, int peer_fd, int fd);
int __wrap_proc_holds_file(pid_t pid, int peer_fd, int fd)
{
	return 1;
}

int __wrap_proc_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len);
int __wrap_proc_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	memcpy(buf, W->canary, len);
	return 0;
}

int __wrap_pidfd_of(pid_t pid);
int __wrap_pidfd_of(pid_t pid)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

bool __wrap_pidfd_exited(int pidfd);
bool __wrap_pidfd_exited(int pidfd)
{
	return false;
}

int __wrap_pagemap_open(pid_t pid);
int __wrap_pagemap_open(pid_t pid)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int __wrap_procfs_read_comm(pid_t pid, char *buf, size_t len);
int __wrap_procfs_read_comm(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "vmm");
	return 0;
}

int __wrap_vmas_read(pid_t pid, struct vma_span **out);
int __wrap_vmas_read(pid_t pid, struct vma_span **out)
{
	struct vma_span *v = calloc(2, sizeof(*v));

	v[0] = (struct vma_span){ VMA_A, VMA_A + 64 * PAGE, VMA_ANON };
	v[1] = (struct vma_span){ VMA_B, VMA_B + 64 * PAGE, VMA_SHMEM };
	*out = v;
	return 2;
}

int __wrap_vmas_read_nodes(pid_t pid, uint64_t slow_mask,
			   struct vma_nodes **out);
int __wrap_vmas_read_nodes(pid_t pid, uint64_t slow_mask,
			   struct vma_nodes **out)
{
	struct vma_nodes *n = calloc(2, sizeof(*n));
	uint64_t slow = 0, other = 0;

	for (int i = 0; i < 64; i++) {
		slow += W->b_status[i] == 1;
		other += W->b_status[i] == 0;
	}
	n[0] = (struct vma_nodes){ VMA_A, 64, 0 };
	n[1] = (struct vma_nodes){ VMA_B, slow, other };
	*out = n;
	return 2;
}

int __wrap_migrate_query(pid_t pid, uint32_t nr, const uint64_t *addrs,
			 int *status);
int __wrap_migrate_query(pid_t pid, uint32_t nr, const uint64_t *addrs,
			 int *status)
{
	for (uint32_t i = 0; i < nr; i++)
		status[i] = W->b_status[(addrs[i] - VMA_B) / PAGE];
	return 0;
}

int __wrap_pagemap_scan(int fd, const struct pagemap_scan_req *req,
			struct page_region *vec, size_t vec_len,
			uint64_t *walk_end);
int __wrap_pagemap_scan(int fd, const struct pagemap_scan_req *req,
			struct page_region *vec, size_t vec_len,
			uint64_t *walk_end)
{
	int n = 0;

	if (W->nr_scan < MAX_CALLS) {
		W->scan[W->nr_scan] = (struct call){ req->start, req->end,
						     req->flags };
		W->scan_cat[W->nr_scan++] = req->category_mask;
	}
	/* the series refuses to re-arm an RWP VMA from the scan */
	if (req->flags & (PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC))
		return req->flags & PM_SCAN_WP_MATCHING ? -EINVAL : -EPERM;
	*walk_end = req->end;
	for (unsigned int i = 0; i < W->nr_accessed_a && (size_t)n < vec_len;
	     i++) {
		uint64_t a = VMA_A + W->accessed_a[i] * PAGE;

		if (a < req->start || a >= req->end)
			continue;
		vec[n++] = (struct page_region){ a, a + PAGE,
						 PAGE_IS_ACCESSED };
	}
	return n;
}

int __wrap_track_handoff(const char *path, int uffd, uint64_t canary,
			 char *why, size_t whylen);
int __wrap_track_handoff(const char *path, int uffd, uint64_t canary,
			 char *why, size_t whylen)
{
	W->handoffs++;
	return 0;
}

/* ---- helpers ---- */

static int setup(void **state)
{
	W = calloc(1, sizeof(*W));
	assert_non_null(W);
	W->offered = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED |
		     UFFD_FEATURE_WP_HUGETLBFS_SHMEM | UFFD_FEATURE_RWP |
		     UFFD_FEATURE_RWP_ASYNC;
	W->ctx_features = UFFD_FEATURE_RWP | UFFD_FEATURE_RWP_ASYNC |
			  UFFD_FEATURE_INITIALIZED;
	for (int i = 0; i < 64; i++)
		W->b_status[i] = 1;
	return 0;
}

static int teardown(void **state)
{
	free(W);
	W = NULL;
	return 0;
}

static void on_event(void *ctx, const struct tierd_event *ev)
{
	assert_true(W->nr_ev < 256);
	W->ev[W->nr_ev++] = *ev;
}

static struct collector *open_rwp_kernel(void)
{
	struct kernel_features f = { .uffd_features = 0, .pagemap_scan = true };
	struct tierd_config cfg;
	struct collector *c = NULL;
	char err[256] = "";

	f.uffd_features = W->offered;
	tierd_config_defaults(&cfg);
	cfg.src_private_node = cfg.src_soft_dirty = TIERD_OFF;
	cfg.src_numa_hint = TIERD_OFF;
	cfg.src_uffd = TIERD_ON;
	cfg.threshold = 1;
	cfg.window_ms = 100;
	assert_int_equal(collector_open(&cfg, &f, NULL, on_event, NULL, &c,
					err, sizeof(err)), 0);
	collector_set_slow_nodes(c, 1ULL << 1);
	return c;
}

static struct tierd_source_stats uffd_stats(struct collector *c)
{
	struct tierd_source_stats st[TIERD_SRC_NR];

	collector_read_stats(c, st);
	return st[TIERD_SRC_UFFD];
}

static bool rwprotected(uint64_t start, uint64_t end, bool protect)
{
	for (unsigned int i = 0; i < W->nr_rwp; i++)
		if (W->rwp[i].start == start && W->rwp[i].end == end &&
		    W->rwp[i].arg == protect)
			return true;
	return false;
}

/* ---- the client ---- */

/* Offered RWP and RWP_ASYNC, the client registers read-write protection. */
static void test_client_registers_rwp(void **state)
{
	char why[256] = "";

	assert_int_equal(tierd_track_start("/nonexistent", why, sizeof(why)),
			 0);
	assert_int_equal(W->asked, UFFD_FEATURE_RWP | UFFD_FEATURE_RWP_ASYNC);
	assert_true(W->nr_reg > 1);	/* the canary and this process's maps */
	for (unsigned int i = 0; i < W->nr_reg; i++)
		assert_int_equal(W->reg[i].arg, UFFDIO_REGISTER_MODE_RWP);
	assert_string_equal(tierd_track_mode(), "rwp");
	assert_int_equal(W->handoffs, 1);
	tierd_track_stop();
	assert_false(tierd_track_active());
}

/* Without RWP, WP-async with what else the kernel offers; nothing: why. */
static void test_client_falls_back_to_wp(void **state)
{
	char why[256] = "";

	W->offered = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED |
		     UFFD_FEATURE_RWP;	/* RWP without its async mode */
	assert_int_equal(tierd_track_start("/x", why, sizeof(why)), 0);
	assert_int_equal(W->asked, UFFD_FEATURE_WP_ASYNC |
				   UFFD_FEATURE_WP_UNPOPULATED);
	for (unsigned int i = 0; i < W->nr_reg; i++)
		assert_int_equal(W->reg[i].arg, UFFDIO_REGISTER_MODE_WP);
	assert_string_equal(tierd_track_mode(), "wp");
	tierd_track_stop();

	W->offered = 0;
	assert_int_equal(tierd_track_start("/x", why, sizeof(why)), -ENOTSUP);
	assert_string_equal(why, "the kernel's userfaultfd has no UFFD_FEATURE_WP_ASYNC (needs Linux 6.7)");
	assert_false(tierd_track_active());
}

/* ---- the source ---- */

/*
 * An RWP-async process: the refresh arms its slow ranges with
 * UFFDIO_RWPROTECT; every tick PAGEMAP_SCAN reports PAGE_IS_ACCESSED
 * without re-arming, and each accessed region is protected again with
 * UFFDIO_RWPROTECT; pages promoted off the slow node are released.
 */
static void test_source_rwp_cycle(void **state)
{
	struct source_adopt a = { .pid = 4242, .uid = 1000, .peer_fdno = 5,
				  .canary = CANARY };
	struct collector *c = open_rwp_kernel();
	struct tierd_source_stats st;
	char msg[512] = "";
	unsigned int scans;

	st = uffd_stats(c);
	assert_string_equal(st.state, "active (RWP-async where a process registers it, reads and writes: PAGEMAP_SCAN PAGE_IS_ACCESSED + UFFDIO_RWPROTECT; WP-async otherwise; per slow-tier range)");
	a.fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(collector_adopt(c, &a, 1000, msg, sizeof(msg)), 0);
	close(a.fd);
	assert_string_equal(msg, "tracking pid 4242 (vmm), rwp-async: 2 mappings registered, 2 slow-tier ranges of 512 KiB scanned every 500 ms");
	/* registered read-write-protect, armed by UFFDIO_RWPROTECT */
	for (unsigned int i = 0; i < W->nr_reg; i++)
		assert_int_equal(W->reg[i].arg, UFFDIO_REGISTER_MODE_RWP);
	assert_true(rwprotected(VMA_A, VMA_A + 64 * PAGE, true));
	assert_true(rwprotected(VMA_B, VMA_B + 64 * PAGE, true));
	assert_int_equal(W->nr_wp, 0);
	assert_int_equal(W->nr_scan, 0);

	W->accessed_a[0] = 3;
	W->accessed_a[1] = 7;
	W->nr_accessed_a = 2;
	W->nr_rwp = 0;
	collector_arm(c, NULL, 0, 1100);
	assert_true(W->nr_scan >= 1);
	for (unsigned int i = 0; i < W->nr_scan; i++) {
		assert_int_equal(W->scan[i].arg, 0);	/* no WP_MATCHING */
		assert_int_equal(W->scan_cat[i], PAGE_IS_ACCESSED);
	}
	assert_true(rwprotected(VMA_A + 3 * PAGE, VMA_A + 4 * PAGE, true));
	assert_true(rwprotected(VMA_A + 7 * PAGE, VMA_A + 8 * PAGE, true));
	assert_int_equal(W->nr_ev, 2);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(W->ev[i].tgid, 4242);
		assert_int_equal(W->ev[i].source, TIERD_SRC_UFFD);
		/* an access of unknown kind counts as a read */
		assert_int_equal(W->ev[i].writes, 0);
		assert_int_equal(W->ev[i].faults, 1);
	}
	assert_int_equal(W->ev[0].addr, VMA_A + 3 * PAGE);
	st = uffd_stats(c);
	assert_int_equal(st.pages_reported, 2);
	assert_string_equal(st.held[0].mode, "rwp");

	/*
	 * Half of VMA B moves to node 0: the refresh queries it, keeps the
	 * half still on node 1 and releases the moved half.
	 */
	for (int i = 0; i < 32; i++)
		W->b_status[i] = 0;
	W->nr_rwp = 0;
	W->nr_accessed_a = 0;
	scans = W->nr_scan;
	collector_arm(c, NULL, 0, 2100);
	assert_true(rwprotected(VMA_B, VMA_B + 32 * PAGE, false));
	assert_true(W->nr_scan > scans);
	assert_int_equal(uffd_stats(c).held[0].range_bytes, 96 * PAGE);
	assert_int_equal(uffd_stats(c).rearm_errors, 0);
	assert_int_equal(W->nr_wp, 0);
	collector_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_client_registers_rwp,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_falls_back_to_wp,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_rwp_cycle,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
