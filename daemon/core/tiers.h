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

#define TIERD_MEMTIER_NONE	(-1)

struct numa_topology {
	bool numa;			/* kernel has NUMA (numa_available) */
	unsigned int nr_nodes;		/* highest possible node id + 1 */
	uint64_t mem_mask;		/* nodes with memory */
	uint64_t cpu_mask;		/* nodes with CPUs */
	uint8_t distance[TIERD_MAX_NODES][TIERD_MAX_NODES];
	/*
	 * The kernel's memory tiers (/sys/devices/virtual/memory_tiering):
	 * a node's tier id, higher is slower; TIERD_MEMTIER_NONE unknown.
	 */
	bool memtiers;
	int32_t memtier[TIERD_MAX_NODES];
	/* HMAT access class 0 as the node reports it, 0 = not reported */
	uint32_t read_latency_ns[TIERD_MAX_NODES];
	uint32_t read_bandwidth_mbps[TIERD_MAX_NODES];
	/* nodes the kernel lists as private memory (the RFC's sysfs lists) */
	uint64_t private_mask;
	char private_kind[48];		/* which list named them */
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
	/* how each memory node was classed, and why */
	char node_why[TIERD_MAX_NODES][112];
};

/* The kernel ranks tiers: the memory nodes do not all share one. */
bool tiers_kernel_ranks(const struct numa_topology *topo);

/*
 * Apply [nodes] of @cfg to @topo.  With slow = auto, in this order: nodes
 * the kernel lists as private memory are slow; where the kernel ranks
 * memory tiers, nodes below the top tier (the best tier of a node with
 * CPUs) are slow; where the tiers are flat but HMAT reports figures for
 * every memory node, nodes with at least twice the read latency or at most
 * half the read bandwidth of the best node with CPUs are slow; otherwise
 * CPU-less memory nodes are.  With fast = auto, every slow node
 * promotes to its own nearest node with CPUs and memory (a CXL expander per
 * socket feeds that socket's DRAM); an explicit fast node takes them all.
 * Explicit nodes that do not exist or have no memory are an error (-ENODEV,
 * reason in @out->reason); `auto` with nothing to tier is not (tiering =
 * false, reason says why).
 */
int tier_choose(const struct numa_topology *topo,
		const struct tierd_config *cfg, struct tier_choice *out);

#endif /* TIERD_CORE_TIERS_H */
