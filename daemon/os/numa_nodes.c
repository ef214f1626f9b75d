// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <stdbool.h>
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

#define NODE_DIR	"/sys/devices/system/node"
#define PRIVATE_BAD	"the kernel's private-node lists make no sense: "

/* One node list of NODE_DIR; a list that is missing is not an error. */
struct node_list {
	const char *name;
	bool present;
	uint64_t mask;
};

/* 0, or -EINVAL with the reason in t->private_error. */
static int read_node_list(const char *root, struct node_list *l,
			  struct numa_topology *t)
{
	char path[512], buf[256];
	int ret;

	l->present = false;
	l->mask = 0;
	snprintf(path, sizeof(path), "%s" NODE_DIR "/%s", root, l->name);
	ret = read_line(path, buf, sizeof(buf));
	if (ret == -ENOENT)
		return 0;
	/* sysfs prints an empty list as "\n"; an empty file is no list */
	if (ret == -EIO)
		buf[0] = '\0';
	else if (ret < 0) {
		snprintf(t->private_error, sizeof(t->private_error),
			 PRIVATE_BAD "%s" NODE_DIR "/%s cannot be read: %s",
			 root, l->name, strerror(-ret));
		return -EINVAL;
	}
	if (ret == -EIO || parse_nodelist(buf, &l->mask)) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(t->private_error, sizeof(t->private_error),
			 PRIVATE_BAD "%s: '%.40s' is not a node list",
			 l->name, buf);
		return -EINVAL;
	}
	l->present = true;
	return 0;
}

/* The lowest node of @mask, which the caller knows is not empty. */
static int first_node(uint64_t mask)
{
	return __builtin_ctzll(mask);
}

/*
 * A node in both lists @a and @b, or in @a but not in @b (@subset): the
 * kernel contradicts itself.  0 or -EINVAL with the reason.
 */
static int check_lists(struct numa_topology *t, const struct node_list *a,
		       const struct node_list *b, bool subset)
{
	uint64_t bad;

	if (!a->present || !b->present)
		return 0;
	bad = subset ? a->mask & ~b->mask : a->mask & b->mask;
	if (!bad)
		return 0;
	snprintf(t->private_error, sizeof(t->private_error),
		 subset ? PRIVATE_BAD "node %d is in %s but not in %s" :
			  PRIVATE_BAD "node %d is in both %s and %s",
		 first_node(bad), a->name, b->name);
	return -EINVAL;
}

/*
 * Which generation of the RFC the lists are from, and what it lets
 * user space do: v4 names its private nodes in has_private_memory (and
 * leaves migration to the node service); the later ones name the others
 * (has_public_memory, then has_common_memory), and allow move_pages() only
 * off nodes in has_user_memory, which the newest state no longer has.
 */
static int read_private(const char *root, struct numa_topology *t)
{
	struct node_list mem = { .name = "has_memory" },
			 priv = { .name = "has_private_memory" },
			 pub = { .name = "has_public_memory" },
			 common = { .name = "has_common_memory" },
			 user = { .name = "has_user_memory" };
	struct node_list *lists[] = { &mem, &priv, &pub, &common, &user };
	const struct node_list *others;
	uint64_t nomem;
	int ret = 0;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]) && !ret; i++)
		ret = read_node_list(root, lists[i], t);
	if (!ret)
		ret = check_lists(t, &priv, &pub, false);
	if (!ret)
		ret = check_lists(t, &priv, &common, false);
	if (!ret)
		ret = check_lists(t, &pub, &mem, true);
	if (!ret)
		ret = check_lists(t, &common, &mem, true);
	if (!ret)
		ret = check_lists(t, &user, &mem, true);
	if (ret)
		return ret;
	others = pub.present ? &pub : &common;
	if (priv.present && (pub.present || common.present)) {
		snprintf(t->private_error, sizeof(t->private_error),
			 PRIVATE_BAD "has_private_memory (RFC v4) and %s (a later generation) both exist",
			 others->name);
		return -EINVAL;
	}
	if (pub.present && common.present) {
		snprintf(t->private_error, sizeof(t->private_error),
			 PRIVATE_BAD "has_public_memory and has_common_memory both exist");
		return -EINVAL;
	}
	if ((pub.present || common.present) && !mem.present) {
		snprintf(t->private_error, sizeof(t->private_error),
			 PRIVATE_BAD "%s without has_memory", others->name);
		return -EINVAL;
	}
	if (user.present && !pub.present && !common.present) {
		snprintf(t->private_error, sizeof(t->private_error),
			 PRIVATE_BAD "has_user_memory without has_public_memory or has_common_memory");
		return -EINVAL;
	}
	if (pub.present && !user.present) {
		snprintf(t->private_error, sizeof(t->private_error),
			 PRIVATE_BAD "has_public_memory without has_user_memory");
		return -EINVAL;
	}

	if (priv.present) {
		t->private_gen = TIERD_PRIVATE_V4;
		t->private_mask = priv.mask;
		/* up to each node's service (NP_OPS_MIGRATION), not in sysfs */
		t->private_user_mask = priv.mask;
		snprintf(t->private_kind, sizeof(t->private_kind),
			 "has_private_memory");
	} else if (pub.present || common.present) {
		t->private_gen = pub.present ? TIERD_PRIVATE_PUBLIC_USER :
			user.present ? TIERD_PRIVATE_COMMON_USER :
				       TIERD_PRIVATE_COMMON;
		t->private_mask = mem.mask & ~others->mask;
		t->private_user_mask = t->private_mask & user.mask;
		snprintf(t->private_kind, sizeof(t->private_kind),
			 "has_memory but not %s", others->name);
	}
	nomem = t->private_mask & ~t->mem_mask;
	if (nomem) {
		snprintf(t->private_error, sizeof(t->private_error),
			 PRIVATE_BAD "node %d is private memory (%s) but has no memory",
			 first_node(nomem), t->private_kind);
		return -EINVAL;
	}
	return 0;
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
	t->private_gen = TIERD_PRIVATE_NONE;
	t->private_mask = t->private_user_mask = 0;
	t->private_kind[0] = t->private_error[0] = '\0';
	if (read_private(root, t) < 0) {
		/* trust none of it: the error says why */
		t->private_gen = TIERD_PRIVATE_NONE;
		t->private_mask = t->private_user_mask = 0;
		t->private_kind[0] = '\0';
	}
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

int numa_node_vmstat(const char *root, int node, const char *const *names,
		     size_t n, uint64_t *values)
{
	char path[512], key[64];
	unsigned long long v;
	int found = 0, ret;
	FILE *f;

	if (node < 0 || node >= TIERD_MAX_NODES || n > 31)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s" NODE_DIR "/node%d/vmstat", root, node);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((ret = fscanf(f, "%63s %llu", key, &v)) == 2)
		for (size_t i = 0; i < n; i++)
			if (!strcmp(key, names[i])) {
				values[i] = v;
				found |= 1 << i;
			}
	fclose(f);
	/* a line that is not "name number" ends the file early: say so */
	return ret == EOF ? found : -EINVAL;
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
