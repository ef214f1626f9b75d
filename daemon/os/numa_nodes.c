// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "os/numa_nodes.h"

/* "0-2,5" into a mask; -EINVAL for anything else (sysfs that makes no sense). */
static int parse_nodelist(const char *s, uint64_t *mask)
{
	char *end;

	*mask = 0;
	while (*s && *s != '\n') {
		unsigned long lo, hi;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		lo = hi = strtoul(s, &end, 10);
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -EINVAL;
			hi = strtoul(end + 1, &end, 10);
		}
		if (hi < lo || hi >= TIERD_MAX_NODES)
			return -EINVAL;
		for (unsigned long n = lo; n <= hi; n++)
			*mask |= 1ULL << n;
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return 0;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		ret = -EIO;
	fclose(f);
	return ret;
}

static void read_memtiers(const char *root, struct numa_topology *t)
{
	char path[512], list[256];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/sys/devices/virtual/memory_tiering",
		 root);
	d = opendir(path);
	if (!d)
		return;
	t->memtiers = true;
	while ((de = readdir(d))) {
		uint64_t mask;
		char *end;
		long id;

		if (strncmp(de->d_name, "memory_tier", 11))
			continue;
		id = strtol(de->d_name + 11, &end, 10);
		if (end == de->d_name + 11 || *end || id < 0 || id > INT32_MAX)
			continue;
		snprintf(path, sizeof(path),
			 "%s/sys/devices/virtual/memory_tiering/%s/nodelist",
			 root, de->d_name);
		if (read_line(path, list, sizeof(list)))
			continue;
		if (parse_nodelist(list, &mask)) {
			list[strcspn(list, "\n")] = '\0';
			log_warn("%s: '%.40s' is not a node list; tier ignored",
				 path, list);
			continue;
		}
		for (int n = 0; n < TIERD_MAX_NODES; n++) {
			if (!(mask & (1ULL << n)))
				continue;
			/* a node in two tiers makes no sense: keep the first */
			if (t->memtier[n] != TIERD_MEMTIER_NONE) {
				log_warn("%s: node %d is also in memory_tier%d; keeping that",
					 path, n, t->memtier[n]);
				continue;
			}
			t->memtier[n] = (int32_t)id;
		}
	}
	closedir(d);
}

static uint32_t read_u32(const char *path)
{
	char buf[32], *end;
	unsigned long v;

	if (read_line(path, buf, sizeof(buf)))
		return 0;
	v = strtoul(buf, &end, 10);
	return (end != buf && v <= UINT32_MAX) ? (uint32_t)v : 0;
}

int numa_sysfs_read(const char *root, struct numa_topology *t)
{
	char path[512];

	t->memtiers = false;
	for (int n = 0; n < TIERD_MAX_NODES; n++) {
		t->memtier[n] = TIERD_MEMTIER_NONE;
		t->read_latency_ns[n] = t->read_bandwidth_mbps[n] = 0;
	}
	read_memtiers(root, t);
	for (int n = 0; n < TIERD_MAX_NODES; n++) {
		if (!(t->mem_mask & (1ULL << n)))
			continue;
		snprintf(path, sizeof(path),
			 "%s/sys/devices/system/node/node%d/access0/initiators/read_latency",
			 root, n);
		t->read_latency_ns[n] = read_u32(path);
		snprintf(path, sizeof(path),
			 "%s/sys/devices/system/node/node%d/access0/initiators/read_bandwidth",
			 root, n);
		t->read_bandwidth_mbps[n] = read_u32(path);
	}
	return 0;
}

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
	return numa_sysfs_read("", topo);
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
