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

/*
 * The generations of the Private Memory Nodes RFC, told apart by their
 * lists in /sys/devices/system/node/ (docs/sources.md):
 * X(id, what tierd calls it, the lists that mark it).
 */
#define TIERD_PRIVATE_GENS(X)						\
	X(NONE, "no private memory nodes", "")				\
	X(V4, "RFC v4", "has_private_memory")				\
	X(PUBLIC_USER, "RFC after v4, public/user lists",		\
	  "has_public_memory, has_user_memory")				\
	X(COMMON_USER, "RFC after v4, common/user lists",		\
	  "has_common_memory, has_user_memory")				\
	X(COMMON, "RFC, newest stored state", "has_common_memory only")

enum tierd_private_gen {
#define TIERD_PRIVATE_GEN_ENUM(id, name, lists) TIERD_PRIVATE_##id,
	TIERD_PRIVATE_GENS(TIERD_PRIVATE_GEN_ENUM)
#undef TIERD_PRIVATE_GEN_ENUM
	TIERD_PRIVATE_NR,
};

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
	enum tierd_private_gen private_gen;
	uint64_t private_mask;
	/* of those, the nodes move_pages() may take folios off */
	uint64_t private_user_mask;
	char private_kind[48];		/* which list named them */
	/* why the lists make no sense, or "": then no node is private */
	char private_error[192];
};

struct tier_choice {
	bool tiering;			/* at least one slow node and a fast one */
	uint64_t slow_mask;
	uint64_t fast_mask;		/* every node some slow node promotes to */
	/* the lowest node of fast_mask; -1 without tiering */
	int fast_node;
	/* slow node -> the fast node its folios are promoted to, else -1 */
	int8_t target[TIERD_MAX_NODES];
	/*
	 * Slow-tier nodes tierd may not promote from: private nodes whose
	 * kernel allows no move_pages() off them.  Not in slow_mask.
	 */
	uint64_t observe_mask;
	char reason[384];		/* why tiering is off, or what was chosen */
	/* how each memory node was classed, and why */
	char node_why[TIERD_MAX_NODES][112];
};

/* What tierd calls generation @g ("RFC v4"), and the lists that mark it. */
const char *tiers_private_gen_name(enum tierd_private_gen g);
const char *tiers_private_gen_lists(enum tierd_private_gen g);

/*
 * One line on the private memory nodes of @topo: the generation found,
 * the nodes, what tierd can and cannot do there, or why the kernel's
 * lists were not trusted.
 */
void tiers_private_describe(const struct numa_topology *topo, char *buf,
			    size_t len);

/* The kernel ranks tiers: the memory nodes do not all share one. */
bool tiers_kernel_ranks(const struct numa_topology *topo);

/*
 * Apply [nodes] of @cfg to @topo.  A slow node that is private memory the
 * kernel allows no move_pages() off goes to observe_mask instead of
 * slow_mask: tierd watches it and never tries to promote from it.  With
 * slow = auto, in this order: nodes the kernel lists as private memory
 * are slow; where the kernel ranks
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
