// SPDX-License-Identifier: GPL-2.0
/*
 * Which nodes are the slow tier and where each promotes to: a pure
 * function of the topology the os/ layer read and the [nodes] config.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/tiers.h"

static int format_mask(uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int n = 0; n < TIERD_MAX_NODES && off < len; n++)
		if (mask & (1ULL << n))
			off += snprintf(buf + off, len - off, "%s%d",
					off ? "," : "", n);
	return 0;
}

/* Distance 0 means "unknown" (numa_distance failed): rank it last. */
static unsigned int dist_rank(const struct numa_topology *topo, int a, int b)
{
	return topo->distance[a][b] ? topo->distance[a][b] : 256;
}

/* The reason line: "slow 1,2 -> fast 0" or "slow 2 -> fast 0, slow 3 -> fast 1". */
static void describe(struct tier_choice *out)
{
	size_t off = 0;

	for (int t = 0; t < TIERD_MAX_NODES; t++) {
		uint64_t from = 0;
		char list[192];

		if (!(out->fast_mask & (1ULL << t)))
			continue;
		for (int s = 0; s < TIERD_MAX_NODES; s++)
			if (out->target[s] == t)
				from |= 1ULL << s;
		format_mask(from, list, sizeof(list));
		if (off < sizeof(out->reason))
			off += snprintf(out->reason + off,
					sizeof(out->reason) - off,
					"%sslow %s -> fast %d", off ? ", " : "",
					list, t);
	}
}

int tier_choose(const struct numa_topology *topo,
		const struct tierd_config *cfg, struct tier_choice *out)
{
	uint64_t slow, missing, cand;
	char list[192];

	memset(out, 0, sizeof(*out));
	out->fast_node = -1;
	memset(out->target, -1, sizeof(out->target));

	if (cfg->slow_auto) {
		/* CPU-less memory nodes: CXL expanders, compressed RAM */
		slow = topo->mem_mask & ~topo->cpu_mask;
	} else {
		slow = cfg->slow_mask;
		missing = slow & ~topo->mem_mask;
		if (missing) {
			format_mask(missing, list, sizeof(list));
			snprintf(out->reason, sizeof(out->reason),
				 "[nodes] slow: node %s does not exist or has no memory",
				 list);
			return -ENODEV;
		}
	}

	if (!cfg->fast_auto) {
		int fast = cfg->fast_node;

		if (fast < 0 || fast >= TIERD_MAX_NODES ||
		    !(topo->mem_mask & (1ULL << fast))) {
			snprintf(out->reason, sizeof(out->reason),
				 "[nodes] fast: node %d does not exist or has no memory",
				 fast);
			return -ENODEV;
		}
		slow &= ~(1ULL << fast);
		for (int s = 0; s < TIERD_MAX_NODES; s++)
			if (slow & (1ULL << s))
				out->target[s] = (int8_t)fast;
	} else {
		/* each slow node: the nearest node with CPUs and memory */
		cand = topo->mem_mask & topo->cpu_mask & ~slow;
		for (int s = 0; s < TIERD_MAX_NODES && cand; s++) {
			unsigned int best = ~0U;

			if (!(slow & (1ULL << s)))
				continue;
			for (int n = 0; n < TIERD_MAX_NODES; n++)
				if ((cand & (1ULL << n)) &&
				    dist_rank(topo, s, n) < best) {
					best = dist_rank(topo, s, n);
					out->target[s] = (int8_t)n;
				}
		}
	}

	if (!slow) {
		format_mask(topo->mem_mask, list, sizeof(list));
		snprintf(out->reason, sizeof(out->reason),
			 "no slow-tier node: memory nodes %s all have CPUs (no CPU-less node to promote from)",
			 list);
		return 0;
	}
	for (int s = 0; s < TIERD_MAX_NODES; s++)
		if (out->target[s] >= 0)
			out->fast_mask |= 1ULL << out->target[s];
	if (!out->fast_mask) {
		snprintf(out->reason, sizeof(out->reason),
			 "no fast node: no node with CPUs and memory besides the slow tier");
		memset(out->target, -1, sizeof(out->target));
		return 0;
	}
	out->tiering = true;
	out->slow_mask = slow;
	out->fast_node = __builtin_ctzll(out->fast_mask);
	describe(out);
	return 0;
}
