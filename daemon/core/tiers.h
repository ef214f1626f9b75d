/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine's NUMA topology as plain data (os/numa_nodes.c reads it), and
 * the pure choice of slow and fast nodes from it and the config.
 */
#ifndef TIERD_CORE_TIERS_H
#define TIERD_CORE_TIERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct numa_topology {
	bool numa;			/* kernel has NUMA (numa_available) */
	unsigned int nr_nodes;		/* highest possible node id + 1 */
	uint64_t mem_mask;		/* nodes with memory */
	uint64_t cpu_mask;		/* nodes with CPUs */
	uint8_t distance[TIERD_MAX_NODES][TIERD_MAX_NODES];
};

struct tier_choice {
	bool tiering;			/* at least one slow node and a fast one */
	uint64_t slow_mask;
	uint64_t fast_mask;		/* every node some slow node promotes to */
	/* the lowest node of fast_mask; -1 without tiering */
	int fast_node;
	/* slow node -> the fast node its folios are promoted to, else -1 */
	int8_t target[TIERD_MAX_NODES];
	char reason[384];		/* why tiering is off, or what was chosen */
};

/*
 * Apply [nodes] of @cfg to @topo.  With fast = auto, every slow node
 * promotes to its own nearest node with CPUs and memory (a CXL expander per
 * socket feeds that socket's DRAM); an explicit fast node takes them all.
 * Explicit nodes that do not exist or have no memory are an error (-ENODEV,
 * reason in @out->reason); `auto` with nothing to tier is not (tiering =
 * false, reason says why).
 */
int tier_choose(const struct numa_topology *topo,
		const struct tierd_config *cfg, struct tier_choice *out);

#endif /* TIERD_CORE_TIERS_H */
