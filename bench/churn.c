// SPDX-License-Identifier: GPL-2.0
/*
 * soak-churn: one worker of the soak (bench/soak.sh).  It maps a region on
 * the slow node, stamps every page with a tag, then for its lifetime
 * accesses a hot set that moves every --shift-s seconds (writes, reads or
 * both), and at exit checks that every tag is intact: whatever tierd moved
 * and however often, the data must be what the worker wrote.
 *
 *   soak-churn --size-mb N --hot-pct P --shift-s S --lifetime-s L
 *              [--access write|read|mixed] [--seed X] [--reset-policy]
 *
 * Prints "CHURN-START ..." and, at the end (lifetime over or SIGTERM),
 * "CHURN-EXIT ... bad=N"; exits 1 when a tag was wrong.
 */
#include <errno.h>
#include <getopt.h>
#include <numaif.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
/* the tag sits in the first 8 bytes; accesses touch bytes 64..127 */
#define TOUCH_OFF	64

enum access { ACC_WRITE, ACC_READ, ACC_MIXED };

struct churn_opts {
	unsigned long size_mb, hot_pct, shift_s, lifetime_s, seed;
	enum access access;
	bool reset_policy;
};

static volatile sig_atomic_t stop_now;

static void on_term(int sig)
{
	(void)sig;
	stop_now = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t tag_of(uint64_t seed, uint64_t page)
{
	uint64_t h = (seed << 32) ^ page ^ 0x9e3779b97f4a7c15ULL;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static int parse(int argc, char **argv, struct churn_opts *o)
{
	static const struct option lo[] = {
		{ "size-mb", required_argument, NULL, 's' },
		{ "hot-pct", required_argument, NULL, 'h' },
		{ "shift-s", required_argument, NULL, 'S' },
		{ "lifetime-s", required_argument, NULL, 'l' },
		{ "access", required_argument, NULL, 'a' },
		{ "seed", required_argument, NULL, 'x' },
		{ "reset-policy", no_argument, NULL, 'R' },
		{}
	};
	int c;

	*o = (struct churn_opts){ .size_mb = 32, .hot_pct = 10, .shift_s = 20,
				  .lifetime_s = 60, .seed = 1 };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': o->size_mb = strtoul(optarg, NULL, 0); break;
		case 'h': o->hot_pct = strtoul(optarg, NULL, 0); break;
		case 'S': o->shift_s = strtoul(optarg, NULL, 0); break;
		case 'l': o->lifetime_s = strtoul(optarg, NULL, 0); break;
		case 'x': o->seed = strtoul(optarg, NULL, 0); break;
		case 'R': o->reset_policy = true; break;
		case 'a':
			if (!strcmp(optarg, "write"))
				o->access = ACC_WRITE;
			else if (!strcmp(optarg, "read"))
				o->access = ACC_READ;
			else if (!strcmp(optarg, "mixed"))
				o->access = ACC_MIXED;
			else
				goto bad;
			break;
		default:
			goto bad;
		}
	}
	if (!o->size_mb || o->size_mb > 4096 || !o->hot_pct ||
	    o->hot_pct > 100 || !o->shift_s || optind < argc)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "usage: soak-churn --size-mb N --hot-pct P --shift-s S "
		"--lifetime-s L [--access write|read|mixed] [--seed X] "
		"[--reset-policy]\n");
	return -EINVAL;
}

int main(int argc, char **argv)
{
	unsigned long mask = 1UL << 1;	/* the slow node */
	uint64_t nr, stride, start, passes = 0, bad = 0, phase = 0;
	volatile uint64_t sink = 0;
	struct churn_opts o;
	char *base;

	if (parse(argc, argv, &o) < 0)
		return 2;
	prctl(PR_SET_NAME, "soak-churn");
	signal(SIGTERM, on_term);
	nr = o.size_mb * (1024 * 1024 / PAGE);
	stride = 100 / o.hot_pct;
	base = mmap(NULL, nr * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		perror("soak-churn: mmap");
		return 1;
	}
	madvise(base, nr * PAGE, MADV_NOHUGEPAGE);
	if (mbind(base, nr * PAGE, MPOL_BIND, &mask, 8 * sizeof(mask), 0) < 0)
		perror("soak-churn: mbind (continuing)");
	for (uint64_t i = 0; i < nr; i++)
		*(uint64_t *)(base + i * PAGE) = tag_of(o.seed, i);
	/* the kernel's NUMA balancing skips bound VMAs: let hint faults in */
	if (o.reset_policy && mbind(base, nr * PAGE, MPOL_DEFAULT, NULL, 0, 0) < 0)
		perror("soak-churn: mbind(MPOL_DEFAULT) (continuing)");
	printf("CHURN-START pid=%d size_mb=%lu hot_pct=%lu shift_s=%lu lifetime_s=%lu access=%d seed=%lu\n",
	       getpid(), o.size_mb, o.hot_pct, o.shift_s, o.lifetime_s,
	       (int)o.access, o.seed);
	fflush(stdout);

	start = now_ms();
	while (!stop_now && now_ms() - start < o.lifetime_s * 1000) {
		/* the hot set: every stride-th page, shifted each phase */
		uint64_t p = (now_ms() - start) / (o.shift_s * 1000);
		uint64_t sum = 0;

		phase = p;
		for (uint64_t i = phase % stride; i < nr; i += stride) {
			volatile char *b = base + i * PAGE + TOUCH_OFF +
					   passes % 64;
			bool write = o.access == ACC_WRITE ||
				     (o.access == ACC_MIXED && (i / stride) % 2);

			if (write)
				(*b)++;
			else
				sum += *b;
		}
		sink += sum;
		passes++;
		usleep(2000);
	}
	for (uint64_t i = 0; i < nr; i++)
		bad += *(uint64_t *)(base + i * PAGE) != tag_of(o.seed, i);
	printf("CHURN-EXIT pid=%d pages=%llu bad=%llu passes=%llu phases=%llu ran_ms=%llu\n",
	       getpid(), (unsigned long long)nr, (unsigned long long)bad,
	       (unsigned long long)passes, (unsigned long long)phase + 1,
	       (unsigned long long)(now_ms() - start));
	fflush(stdout);
	return bad ? 1 : 0;
}
