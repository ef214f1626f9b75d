// SPDX-License-Identifier: GPL-2.0
/*
 * bench_uffd_rearm: what does re-arming write tracking cost per interval,
 * and what does a tracked write cost the process?
 *
 * A child maps SIZE MiB of anonymous memory and populates it; the first
 * 10 % (the slow-tier share) is bound to the slow node where there is one
 * (node 1 in the e2e guest; on a one-node host it is just the first tenth,
 * and the figures are the same walk without a node split).  Every
 * interval the child writes 1 % of its pages, spread evenly, so a tenth of
 * them fall in the slow part.  Three ways to re-arm, each its own child:
 *
 *   clear_refs   write "4" to /proc/PID/clear_refs: soft-dirty clears and
 *                write-protects every PTE of the process (what the
 *                soft_dirty source does per process holding slow memory);
 *                needs CONFIG_MEM_SOFT_DIRTY, else it only walks
 *   scan_slow    one PAGEMAP_SCAN with PM_SCAN_WP_MATCHING over the slow
 *                tenth of a WP-async registered child (the uffd source):
 *                collects the written pages and write-protects them again
 *   scan_frag    the same share, but fragmented: every tenth page is its
 *                own one-page range (what promoting a spread-out hot set
 *                leaves), one PAGEMAP_SCAN per range
 *   span_frag    the same fragmented share the way the uffd source scans
 *                it: one PAGEMAP_SCAN of the span without re-arming, then
 *                UFFDIO_WRITEPROTECT of the hits (sources/uffd_scan.c)
 *   scan_all     the same over the whole region, to show the cost follows
 *                the scanned range
 *
 * Per interval it reports the re-arm time (median of the intervals), the
 * child's minor faults and its time per written page (a write that takes
 * a tracking fault pays for it here), and, after the intervals, a phase
 * that writes only pages outside the slow tenth: the faults it takes.
 *
 *   bench_uffd_rearm [--sizes 64,256,1024] [--intervals 10] [--slow-node N]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <numa.h>
#include <numaif.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "os/pagemap.h"
#include "os/pidfd.h"
#include "os/uffd.h"
#include "os/uffd_uapi.h"

#define PAGE		4096UL
#define MAX_SIZES	8
#define MAX_INTERVALS	64

enum method { CLEAR_REFS, SCAN_SLOW, SCAN_FRAG, SPAN_FRAG, SCAN_ALL, NONE,
	      NR_METHODS };
static const char *const method_name[] = {
	"clear_refs", "scan_slow", "scan_frag", "span_frag", "scan_all",
	"none",
};

/* what the child reports for one phase */
struct phase {
	uint64_t ns;		/* its write loop */
	long minflt;		/* minor faults during it */
	uint64_t pages;		/* pages written */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t median(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/* Write 1 % of the pages of [from, to) pages, evenly spread. */
static struct phase write_pages(char *base, uint64_t from, uint64_t to,
				uint64_t stride)
{
	struct phase ph = { 0 };
	long f0 = minflt();
	uint64_t t0 = now_ns();

	for (uint64_t i = from; i < to; i += stride) {
		base[i * PAGE]++;
		ph.pages++;
	}
	ph.ns = now_ns() - t0;
	ph.minflt = minflt() - f0;
	return ph;
}

/*
 * The child: map, bind, populate, register (for the scans), then serve
 * "w" (write 1 % of all pages) and "d" (write 1 % of the non-slow pages)
 * until its command pipe closes.
 */
static void child(uint64_t pages, int slow_node, bool uffd, int cmd, int rep)
{
	uint64_t slow = pages / 10;
	unsigned long mask = 1UL << (slow_node >= 0 ? slow_node : 0);
	struct phase ph;
	bool via_dev;
	char *base, c;
	int fd = -1;

	base = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		_exit(3);
	madvise(base, pages * PAGE, MADV_NOHUGEPAGE);
	if (slow_node >= 0 && mbind(base, slow * PAGE, MPOL_BIND, &mask,
				    sizeof(mask) * 8, 0) < 0)
		_exit(4);
	for (uint64_t i = 0; i < pages; i++)
		base[i * PAGE] = 1;
	if (uffd) {
		fd = uffd_create(&via_dev);
		if (fd < 0 || uffd_handshake(fd, UFFD_FEATURE_WP_ASYNC |
					     UFFD_FEATURE_WP_UNPOPULATED,
					     NULL) < 0 ||
		    uffd_register(fd, (uintptr_t)base, pages * PAGE,
				  UFFDIO_REGISTER_MODE_WP) < 0)
			_exit(5);
	}
	if (write(rep, &base, sizeof(base)) != sizeof(base) ||
	    write(rep, &fd, sizeof(fd)) != sizeof(fd))
		_exit(6);
	while (read(cmd, &c, 1) == 1) {
		if (c == 'w')
			ph = write_pages(base, 0, pages, 100);
		else
			ph = write_pages(base, slow, pages, 100);
		if (write(rep, &ph, sizeof(ph)) != sizeof(ph))
			_exit(6);
	}
	_exit(0);
}

struct result {
	uint64_t rearm_ns;		/* median per interval */
	uint64_t range_pages;		/* what the re-arm covers */
	long faults;			/* median per interval */
	uint64_t page_ns;		/* median ns per written page */
	uint64_t written;
	long dram_faults;		/* the phase outside the slow tenth */
	uint64_t dram_written;
	uint64_t reported;		/* pages the scans reported, last one */
};

static int rearm(enum method m, pid_t pid, int clear_fd, int pm_fd,
		 int uffd, bool first, uint64_t base, uint64_t pages,
		 struct page_region *vec, size_t vec_len, uint64_t *reported)
{
	uint64_t end = base + (m == SCAN_SLOW ? pages / 10 : pages) * PAGE;
	uint64_t walk;
	struct pagemap_scan_req req = {
		.start = base, .end = end,
		.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = PAGE_IS_WRITTEN,
	};
	uint64_t walk_end;
	int n;

	*reported = 0;
	switch (m) {
	case CLEAR_REFS:
		return pwrite(clear_fd, "4", 1, 0) == 1 ? 0 : -errno;
	case SPAN_FRAG:
		if (first)
			goto per_range;
		req.flags = 0;
		do {
			n = pagemap_scan(pm_fd, &req, vec, vec_len, &walk_end);
			if (n < 0)
				return n;
			/* the hits: slow pages (5, 15, ...) among the regions */
			for (int i = 0; i < n; i++)
				for (uint64_t a = vec[i].start; a < vec[i].end;
				     a += PAGE)
					if ((a - base) / PAGE % 10 == 5) {
						(*reported)++;
						uffd_writeprotect(uffd, a, PAGE,
								  true);
					}
			req.start = walk_end;
		} while ((size_t)n == vec_len && walk_end < end);
		return 0;
	case SCAN_FRAG:
per_range:
		/* pages 5, 15, 25, ...: never one the child writes */
		for (uint64_t p = 5; p < pages; p += 10) {
			req.start = base + p * PAGE;
			req.end = req.start + PAGE;
			n = pagemap_scan(pm_fd, &req, vec, vec_len, &walk);
			if (n < 0)
				return n;
			*reported += (uint64_t)n;
		}
		return 0;
	case SCAN_SLOW:
	case SCAN_ALL:
		do {
			n = pagemap_scan(pm_fd, &req, vec, vec_len, &walk_end);
			if (n < 0)
				return n;
			for (int i = 0; i < n; i++)
				*reported += (vec[i].end - vec[i].start) / PAGE;
			req.start = walk_end;
		} while ((size_t)n == vec_len && walk_end < end);
		return 0;
	default:
		return 0;
	}
}

static int run(enum method m, uint64_t size_mb, unsigned int intervals,
	       int slow_node, struct result *res)
{
	uint64_t pages = size_mb * (1048576 / PAGE), base, reported = 0;
	uint64_t rearm_ns[MAX_INTERVALS], page_ns[MAX_INTERVALS];
	uint64_t faults[MAX_INTERVALS];
	size_t vec_len = 1024;	/* the uffd source's buffer */
	struct page_region *vec = calloc(vec_len, sizeof(*vec));
	int cmd[2], rep[2], clear_fd = -1, pm_fd = -1, uffd = -1, r = 0;
	int child_uffd, pidfd;
	struct phase ph;
	char path[64];
	char *b;
	pid_t pid;

	if (!vec || pipe(cmd) || pipe(rep))
		return -ENOMEM;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(cmd[1]);
		close(rep[0]);
		child(pages, slow_node, m == SCAN_SLOW || m == SCAN_FRAG ||
		      m == SPAN_FRAG || m == SCAN_ALL, cmd[0], rep[1]);
	}
	close(cmd[0]);
	close(rep[1]);
	if (read(rep[0], &b, sizeof(b)) != sizeof(b) ||
	    read(rep[0], &child_uffd, sizeof(child_uffd)) !=
	    sizeof(child_uffd)) {
		r = -EIO;
		goto out;
	}
	base = (uintptr_t)b;
	/* the child's descriptor, as tierd holds it (span_frag re-arms hits) */
	if (child_uffd >= 0) {
		pidfd = pidfd_of(pid);
		uffd = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd,
						     child_uffd, 0);
		if (pidfd >= 0)
			close(pidfd);
	}
	snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pid);
	clear_fd = open(path, O_WRONLY | O_CLOEXEC);
	pm_fd = pagemap_open(pid);
	if (clear_fd < 0 || pm_fd < 0) {
		r = -errno;
		goto out;
	}
	/* the first re-arm arms; what it reports is the populating */
	r = rearm(m, pid, clear_fd, pm_fd, uffd, true, base, pages, vec,
		  vec_len, &reported);
	for (unsigned int i = 0; !r && i < intervals; i++) {
		uint64_t t0;

		if (write(cmd[1], "w", 1) != 1 ||
		    read(rep[0], &ph, sizeof(ph)) != sizeof(ph)) {
			r = -EIO;
			break;
		}
		page_ns[i] = ph.ns / ph.pages;
		faults[i] = (uint64_t)ph.minflt;
		res->written = ph.pages;
		t0 = now_ns();
		r = rearm(m, pid, clear_fd, pm_fd, uffd, false, base, pages,
			  vec, vec_len, &reported);
		rearm_ns[i] = now_ns() - t0;
	}
	if (!r && (write(cmd[1], "d", 1) != 1 ||
		   read(rep[0], &ph, sizeof(ph)) != sizeof(ph)))
		r = -EIO;
	if (!r) {
		res->rearm_ns = median(rearm_ns, intervals);
		res->page_ns = median(page_ns, intervals);
		res->faults = (long)median(faults, intervals);
		res->range_pages = m == SCAN_SLOW || m == SCAN_FRAG ?
				   pages / 10 : m == NONE ? 0 : pages;
		res->dram_faults = ph.minflt;
		res->dram_written = ph.pages;
		res->reported = reported;
	}
out:
	close(cmd[1]);
	close(rep[0]);
	if (clear_fd >= 0)
		close(clear_fd);
	if (pm_fd >= 0)
		close(pm_fd);
	if (uffd >= 0)
		close(uffd);
	waitpid(pid, NULL, 0);
	free(vec);
	return r;
}

/* Does clear_refs 4 really re-arm (CONFIG_MEM_SOFT_DIRTY)? */
static bool soft_dirty_works(void)
{
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int cr = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	volatile char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t before = 1, after = 0;
	bool ok = false;

	if (pm >= 0 && cr >= 0 && p != MAP_FAILED) {
		p[0] = 1;
		if (write(cr, "4", 1) == 1 &&
		    !pagemap_entry(pm, (uintptr_t)p, &before)) {
			p[0] = 2;
			ok = !pagemap_entry(pm, (uintptr_t)p, &after) &&
			     !(before & (1ULL << 55)) && (after & (1ULL << 55));
		}
	}
	if (pm >= 0)
		close(pm);
	if (cr >= 0)
		close(cr);
	return ok;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sizes", required_argument, NULL, 's' },
		{ "intervals", required_argument, NULL, 'i' },
		{ "slow-node", required_argument, NULL, 'n' },
		{}
	};
	uint64_t sizes[MAX_SIZES] = { 64, 256, 1024 };
	unsigned int nr_sizes = 3, intervals = 10;
	int slow_node = -1, c;
	bool sd = soft_dirty_works();

	if (numa_available() >= 0 && numa_max_node() >= 1)
		slow_node = numa_max_node();
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		char *s, *tok, *save = NULL;

		switch (c) {
		case 's':
			nr_sizes = 0;
			s = strdup(optarg);
			for (tok = strtok_r(s, ",", &save);
			     tok && nr_sizes < MAX_SIZES;
			     tok = strtok_r(NULL, ",", &save))
				sizes[nr_sizes++] = strtoull(tok, NULL, 10);
			free(s);
			break;
		case 'i':
			intervals = (unsigned int)strtoul(optarg, NULL, 10);
			if (!intervals || intervals > MAX_INTERVALS)
				intervals = 10;
			break;
		case 'n':
			slow_node = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_uffd_rearm [--sizes 64,256,1024] [--intervals N] [--slow-node N]\n");
			return 2;
		}
	}
	printf("# re-arm per interval, 1 %% of pages written, slow-tier share 10 %% (%s); soft-dirty %s; %u intervals, medians\n",
	       slow_node >= 0 ? "bound to the slow node" :
	       "one node: the first tenth of the region",
	       sd ? "re-arms (CONFIG_MEM_SOFT_DIRTY)" :
	       "absent: clear_refs walks but does not re-arm, its faults are 0",
	       intervals);
	printf("%8s %-10s %10s %10s %12s %8s %9s %9s %10s %10s\n",
	       "size_MiB", "method", "range_MiB", "rearm_us", "us_per_GiB",
	       "written", "faults", "ns/write", "dram_wr", "dram_flt");
	for (unsigned int s = 0; s < nr_sizes; s++) {
		for (enum method m = 0; m < NR_METHODS; m++) {
			struct result r = { 0 };
			int ret = run(m, sizes[s], intervals, slow_node, &r);

			if (ret < 0) {
				printf("%8llu %-10s error: %s\n",
				       (unsigned long long)sizes[s],
				       method_name[m], strerror(-ret));
				continue;
			}
			printf("%8llu %-10s %10.1f %10.1f %12.1f %8llu %9ld %9llu %10llu %10ld\n",
			       (unsigned long long)sizes[s], method_name[m],
			       r.range_pages * PAGE / 1048576.0,
			       r.rearm_ns / 1e3,
			       r.range_pages ? r.rearm_ns / 1e3 /
				       (r.range_pages * PAGE / 1073741824.0) : 0,
			       (unsigned long long)r.written, r.faults,
			       (unsigned long long)r.page_ns,
			       (unsigned long long)r.dram_written,
			       r.dram_faults);
			fflush(stdout);
		}
	}
	return 0;
}
