/* SPDX-License-Identifier: GPL-2.0 */
/* NUMA topology and per-node memory through libnuma. */
#ifndef TIERD_OS_NUMA_NODES_H
#define TIERD_OS_NUMA_NODES_H

#include <stdint.h>

#include "core/tiers.h"

/* Read the running machine's topology.  Returns 0 (never fails hard). */
int numa_topology_read(struct numa_topology *topo);

/*
 * The kernel's own view of the memory nodes in @topo->mem_mask, under
 * @root ("" for the machine, a scratch directory in tests): memory tiers
 * and HMAT access-0 figures.  Files that are missing or make no sense
 * leave the field unknown.  Returns 0.
 */
int numa_sysfs_read(const char *root, struct numa_topology *topo);

/* Free and total bytes of @node.  Returns 0 or -errno. */
int numa_node_memory(int node, uint64_t *free_bytes, uint64_t *total_bytes);

#endif /* TIERD_OS_NUMA_NODES_H */
