// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <numa.h>
#include <string.h>

#include "os/numa_nodes.h"

int numa_topology_read(struct numa_topology *topo)
{
	struct bitmask *cpus;
	int max;

	memset(topo, 0, sizeof(*topo));
	if (numa_available() < 0) {
		/* !CONFIG_NUMA: one node 0 with everything */
		topo->nr_nodes = 1;
		topo->mem_mask = topo->cpu_mask = 1;
		topo->distance[0][0] = 10;
		return 0;
	}
	topo->numa = true;
	max = numa_max_node();
	if (max >= TIERD_MAX_NODES)
		max = TIERD_MAX_NODES - 1;
	topo->nr_nodes = (unsigned int)max + 1;

	cpus = numa_allocate_cpumask();
	for (int n = 0; n <= max; n++) {
		long long free_b;

		if (!numa_bitmask_isbitset(numa_nodes_ptr, n))
			continue;
		if (numa_node_size64(n, &free_b) > 0)
			topo->mem_mask |= 1ULL << n;
		if (cpus && numa_node_to_cpus(n, cpus) == 0 &&
		    numa_bitmask_weight(cpus) > 0)
			topo->cpu_mask |= 1ULL << n;
		for (int m = 0; m <= max; m++) {
			int d = numa_distance(n, m);

			topo->distance[n][m] = d > 0 && d < 256 ? (uint8_t)d : 0;
		}
	}
	if (cpus)
		numa_free_cpumask(cpus);
	return 0;
}

int numa_node_memory(int node, uint64_t *free_bytes, uint64_t *total_bytes)
{
	long long free_b = 0, total;

	total = numa_node_size64(node, &free_b);
	if (total < 0)
		return -ENODEV;
	*free_bytes = (uint64_t)free_b;
	if (total_bytes)
		*total_bytes = (uint64_t)total;
	return 0;
}
