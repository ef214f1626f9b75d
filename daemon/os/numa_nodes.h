/* SPDX-License-Identifier: GPL-2.0 */
/* NUMA topology and per-node memory through libnuma. */
#ifndef TIERD_OS_NUMA_NODES_H
#define TIERD_OS_NUMA_NODES_H

#include <stddef.h>
#include <stdint.h>

#include "core/tiers.h"

/* Read the running machine's topology.  Returns 0 (never fails hard). */
int numa_topology_read(struct numa_topology *topo);

/*
 * The kernel's own view of the memory nodes in @topo->mem_mask, under
 * @root ("" for the machine, a scratch directory in tests): memory tiers,
 * HMAT access-0 figures and the private memory nodes of the RFC's
 * generations.  Files that are missing or make no sense leave the field
 * unknown; private-node lists that make no sense leave no node private,
 * with the reason in @topo->private_error.  Returns 0.
 */
int numa_sysfs_read(const char *root, struct numa_topology *topo);

/*
 * Counters @names[0..@n) of @root/sys/devices/system/node/node@node/vmstat
 * into @values: returns a mask of those found (bit i for names[i]), or
 * -errno (-EINVAL for a file that is not "name value" lines).  @n <= 31.
 */
int numa_node_vmstat(const char *root, int node, const char *const *names,
		     size_t n, uint64_t *values);

/* Free and total bytes of @node.  Returns 0 or -errno. */
int numa_node_memory(int node, uint64_t *free_bytes, uint64_t *total_bytes);

#endif /* TIERD_OS_NUMA_NODES_H */
