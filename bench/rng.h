/* SPDX-License-Identifier: GPL-2.0 */
/*
 * splitmix64 for the benchmarks: full period, seedable, the same stream on
 * every machine, so a seed names a trace.
 */
#ifndef TIERD_BENCH_RNG_H
#define TIERD_BENCH_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

#endif /* TIERD_BENCH_RNG_H */
