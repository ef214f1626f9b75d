// SPDX-License-Identifier: GPL-2.0
/*
 * migrate_bench: what does promoting N bytes with move_pages(2) cost?
 *
 * Four ways to get the same bytes from the source node to the target node:
 *   batched   move_pages, --batch 4 KiB pages per call
 *   thp       move_pages, one address per 2 MiB transparent huge page
 *   unbatched move_pages, one call per 4 KiB page
 *   memcpy    copy between two buffers already on the two nodes (the
 *             bandwidth floor: migration copies the same bytes, plus
 *             unmapping, TLB flushes and remapping)
 *
 * With one node (the usual host) source and target are the same node, so
 * move_pages finds every page already in place: the figures are then the
 * cost of the syscall, the page-table walk and the per-page bookkeeping,
 * not of copying.  Each line says which case it measured.
 */
#include <errno.h>
#include <getopt.h>
#include <numa.h>
#include <numaif.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define HPAGE (2UL << 20)

struct bench_opts {
	uint64_t size_mb;
	unsigned int batch;
	int src, dst;
	unsigned int reps;
};

struct region {
	char *map;		/* what mmap returned */
	size_t map_len;
	char *base;		/* 2 MiB aligned start */
	size_t len;
};

struct result {
	double secs;
	uint64_t bytes;
	uint64_t calls;
	uint64_t on_dst;	/* units that ended on the target node */
	uint64_t units;
	uint64_t thp_units;	/* 2 MiB units actually backed by a THP */
	uint64_t failed;	/* units with a negative status */
	int last_err;		/* the last negative status seen */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	static const struct option lo[] = {
		{ "size-mb", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "src", required_argument, NULL, 'S' },
		{ "dst", required_argument, NULL, 'D' },
		{ "reps", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char *end;
	long v;
	int c;

	*o = (struct bench_opts){ .size_mb = 64, .batch = 512, .src = -1,
				  .dst = 0, .reps = 3 };
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: migrate_bench [--size-mb N] [--batch PAGES] "
			       "[--src NODE] [--dst NODE] [--reps N]\n"
			       "default src: the highest node, dst: node 0\n");
			exit(0);
		}
		if (c == '?')
			return -EINVAL;
		errno = 0;
		v = strtol(optarg, &end, 10);
		if (errno || end == optarg || *end || v < 0 || v > 1 << 20 ||
		    ((c == 's' || c == 'b' || c == 'r') && v == 0)) {
			fprintf(stderr, "migrate_bench: --%s: '%s' is not a valid number\n",
				lo[c == 's' ? 0 : c == 'b' ? 1 : c == 'S' ? 2 :
				   c == 'D' ? 3 : 4].name, optarg);
			return -EINVAL;
		}
		switch (c) {
		case 's': o->size_mb = v; break;
		case 'b': o->batch = v; break;
		case 'S': o->src = v; break;
		case 'D': o->dst = v; break;
		case 'r': o->reps = v; break;
		}
	}
	if (o->size_mb % 2) {
		fprintf(stderr, "migrate_bench: --size-mb must be a multiple of 2 (THP)\n");
		return -EINVAL;
	}
	return 0;
}

static void region_free(struct region *r)
{
	if (r->map && r->map != MAP_FAILED)
		munmap(r->map, r->map_len);
	r->map = NULL;
}

/* A 2 MiB aligned anonymous region bound to @node and fully populated. */
static int region_alloc(struct region *r, size_t len, int node, bool thp)
{
	unsigned long mask[16] = {};
	size_t i;

	r->len = len;
	r->map_len = len + HPAGE;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->map == MAP_FAILED) {
		fprintf(stderr, "migrate_bench: mmap %zu bytes: %s\n", r->map_len,
			strerror(errno));
		return -ENOMEM;
	}
	r->base = (char *)(((uintptr_t)r->map + HPAGE - 1) & ~(HPAGE - 1));
	if (madvise(r->base, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) < 0 && thp)
		fprintf(stderr, "migrate_bench: MADV_HUGEPAGE: %s\n", strerror(errno));
	mask[node / (8 * sizeof(long))] |= 1UL << (node % (8 * sizeof(long)));
	if (mbind(r->base, len, MPOL_BIND, mask, sizeof(mask) * 8, 0) < 0) {
		fprintf(stderr, "migrate_bench: mbind node %d: %s\n", node, strerror(errno));
		region_free(r);
		return -errno;
	}
	for (i = 0; i < len; i += 4096)
		r->base[i] = (char)i;
	/* the binding would make migration of these pages pointless later */
	mbind(r->base, len, MPOL_DEFAULT, NULL, 0, 0);
	return 0;
}

/* How many 2 MiB units are THP-backed, from AnonHugePages in smaps. */
static uint64_t region_thp_units(const struct region *r)
{
	char line[256];
	uint64_t kb = 0, start, end;
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		/* "Name: value" lines never parse as "hex-hex" */
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = start <= (uintptr_t)r->base && (uintptr_t)r->base < end;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb * 1024 / HPAGE;
}

static int move_units(const struct region *r, size_t unit, unsigned int batch,
		      int dst, struct result *res)
{
	uint64_t n = r->len / unit, i, j, k;
	void **pages = calloc(batch, sizeof(*pages));
	int *nodes = calloc(batch, sizeof(*nodes));
	int *status = calloc(batch, sizeof(*status));
	double t0;
	int ret = 0;

	if (!pages || !nodes || !status) {
		ret = -ENOMEM;
		goto out;
	}
	for (j = 0; j < batch; j++)
		nodes[j] = dst;
	res->units = n;
	t0 = now_s();
	for (i = 0; i < n; i += k) {
		k = n - i < batch ? n - i : batch;
		for (j = 0; j < k; j++)
			pages[j] = r->base + (i + j) * unit;
		if (move_pages(0, k, pages, nodes, status, MPOL_MF_MOVE) < 0) {
			ret = -errno;
			fprintf(stderr, "migrate_bench: move_pages: %s\n", strerror(errno));
			goto out;
		}
		res->calls++;
		for (j = 0; j < k; j++) {
			res->on_dst += status[j] == dst;
			if (status[j] < 0) {
				res->failed++;
				res->last_err = -status[j];
			}
		}
	}
	res->secs = now_s() - t0;
	res->bytes = r->len;
out:
	free(pages);
	free(nodes);
	free(status);
	return ret;
}

static int bench_move(const struct bench_opts *o, bool thp, unsigned int batch,
		      struct result *res)
{
	struct region r = {};
	int ret;

	memset(res, 0, sizeof(*res));
	ret = region_alloc(&r, o->size_mb << 20, o->src, thp);
	if (ret < 0)
		return ret;
	if (thp)
		res->thp_units = region_thp_units(&r);
	ret = move_units(&r, thp ? HPAGE : 4096, batch, o->dst, res);
	region_free(&r);
	return ret;
}

static int bench_memcpy(const struct bench_opts *o, struct result *res)
{
	struct region a = {}, b = {};
	double t0;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = region_alloc(&a, o->size_mb << 20, o->src, false);
	if (ret < 0)
		return ret;
	ret = region_alloc(&b, o->size_mb << 20, o->dst, false);
	if (ret < 0)
		goto out;
	t0 = now_s();
	memcpy(b.base, a.base, a.len);
	res->secs = now_s() - t0;
	res->bytes = a.len;
	res->units = a.len / 4096;
	res->on_dst = res->units;
	/* keep the copy from being optimised away */
	if (b.base[a.len - 4096] != a.base[a.len - 4096])
		ret = -EIO;
out:
	region_free(&a);
	region_free(&b);
	return ret;
}

static void report(const char *what, const struct bench_opts *o,
		   const struct result *best, const char *note)
{
	double mibs = best->bytes / 1048576.0 / best->secs;

	printf("BENCH-MIGRATE mode=%s src=%d dst=%d bytes=%llu best_s=%.4f "
	       "mib_per_s=%.1f units=%llu units_per_s=%.0f calls=%llu "
	       "on_dst=%llu failed=%llu%s%s%s%s\n", what, o->src, o->dst,
	       (unsigned long long)best->bytes, best->secs, mibs,
	       (unsigned long long)best->units, best->units / best->secs,
	       (unsigned long long)best->calls, (unsigned long long)best->on_dst,
	       (unsigned long long)best->failed,
	       best->failed ? " last_err=" : "",
	       best->failed ? strerrorname_np(best->last_err) ?: "?" : "",
	       note ? " note=" : "", note ? note : "");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct result r, best;
	const char *note;
	char thpnote[64];
	unsigned int rep, m;
	int ret;
	/* batch: 0 = --batch, -1 = memcpy instead of move_pages */
	static const struct { const char *name; bool thp; int batch; } modes[] = {
		{ "batched_4k", false, 0 },
		{ "thp_2m", true, 0 },
		{ "unbatched_4k", false, 1 },
		{ "memcpy", false, -1 },
	};

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (numa_available() < 0) {
		fprintf(stderr, "migrate_bench: no NUMA support in this kernel\n");
		return 1;
	}
	if (o.src < 0)
		o.src = numa_max_node();
	if (o.src > numa_max_node() || o.dst > numa_max_node()) {
		fprintf(stderr, "migrate_bench: --src %d / --dst %d: highest node is %d\n",
			o.src, o.dst, numa_max_node());
		return 2;
	}
	note = o.src == o.dst ? "same-node:pages-already-in-place,no-copy" : NULL;
	printf("BENCH-MIGRATE-INFO nodes=%d src=%d dst=%d size_mb=%llu batch=%u reps=%u\n",
	       numa_max_node() + 1, o.src, o.dst, (unsigned long long)o.size_mb,
	       o.batch, o.reps);
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		memset(&best, 0, sizeof(best));
		for (rep = 0; rep < o.reps; rep++) {
			if (modes[m].batch < 0)
				ret = bench_memcpy(&o, &r);
			else
				ret = bench_move(&o, modes[m].thp,
						 modes[m].batch ? (unsigned int)modes[m].batch :
						 o.batch, &r);
			if (ret < 0) {
				fprintf(stderr, "migrate_bench: %s failed: %s\n",
					modes[m].name, strerror(-ret));
				return 1;
			}
			if (!best.secs || r.secs < best.secs)
				best = r;
		}
		if (modes[m].thp) {
			snprintf(thpnote, sizeof(thpnote), "%s%sthp_backed=%llu/%llu",
				 note ? note : "", note ? "," : "",
				 (unsigned long long)best.thp_units,
				 (unsigned long long)best.units);
			report(modes[m].name, &o, &best, thpnote);
		} else {
			report(modes[m].name, &o, &best,
			       modes[m].batch < 0 ? NULL : note);
		}
	}
	return 0;
}
