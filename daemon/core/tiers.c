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

static const char *const gen_names[TIERD_PRIVATE_NR] = {
#define GEN_NAME(id, name, lists) [TIERD_PRIVATE_##id] = name,
	TIERD_PRIVATE_GENS(GEN_NAME)
#undef GEN_NAME
};

static const char *const gen_lists[TIERD_PRIVATE_NR] = {
#define GEN_LISTS(id, name, lists) [TIERD_PRIVATE_##id] = lists,
	TIERD_PRIVATE_GENS(GEN_LISTS)
#undef GEN_LISTS
};

const char *tiers_private_gen_name(enum tierd_private_gen g)
{
	return (unsigned int)g < TIERD_PRIVATE_NR ? gen_names[g] : "invalid";
}

const char *tiers_private_gen_lists(enum tierd_private_gen g)
{
	return (unsigned int)g < TIERD_PRIVATE_NR ? gen_lists[g] : "";
}

void tiers_private_describe(const struct numa_topology *t, char *buf,
			    size_t len)
{
	uint64_t user = t->private_mask & t->private_user_mask;
	uint64_t observe = t->private_mask & ~t->private_user_mask;
	char all[192], can[192], cannot[192];
	const char *gen = tiers_private_gen_name(t->private_gen);
	const char *lists = tiers_private_gen_lists(t->private_gen);

	if (t->private_error[0]) {
		snprintf(buf, len, "%s; no node is taken for private memory",
			 t->private_error);
		return;
	}
	format_mask(t->private_mask, all, sizeof(all));
	format_mask(user, can, sizeof(can));
	format_mask(observe, cannot, sizeof(cannot));
	switch (t->private_gen) {
	case TIERD_PRIVATE_NONE:
		snprintf(buf, len, "none (no private-node lists in /sys/devices/system/node)");
		return;
	case TIERD_PRIVATE_V4:
		if (!t->private_mask)
			snprintf(buf, len, "%s (%s): none registered", gen, lists);
		else
			snprintf(buf, len,
				 "%s (%s): node %s; tierd moves folios off them where the node service allows migration (NP_OPS_MIGRATION), else move_pages() says ENOENT",
				 gen, lists, all);
		return;
	case TIERD_PRIVATE_PUBLIC_USER:
	case TIERD_PRIVATE_COMMON_USER:
		if (!t->private_mask)
			snprintf(buf, len, "%s (%s): none", gen, lists);
		else
			snprintf(buf, len,
				 "%s (%s): node %s; move_pages() off %s (has_user_memory)%s%s%s",
				 gen, lists, all, user ? can : "none", observe ?
				 "; no user migration off " : "", cannot,
				 observe ? ", tierd only observes it" : "");
		return;
	case TIERD_PRIVATE_COMMON:
		if (!t->private_mask)
			snprintf(buf, len, "%s (%s): none", gen, lists);
		else
			snprintf(buf, len,
				 "%s (%s): node %s; the kernel allows no user migration off them, so tierd only observes; it promotes written, fenced folios itself (pgpromote_fence in nodeN/vmstat)",
				 gen, lists, all);
		return;
	default:
		snprintf(buf, len, "invalid generation %d", (int)t->private_gen);
	}
}

static bool known_tier(const struct numa_topology *t, int n)
{
	return t->memtiers && t->memtier[n] != TIERD_MEMTIER_NONE;
}

bool tiers_kernel_ranks(const struct numa_topology *t)
{
	int first = TIERD_MEMTIER_NONE;

	for (int n = 0; n < TIERD_MAX_NODES; n++) {
		if (!(t->mem_mask & (1ULL << n)) || !known_tier(t, n))
			continue;
		if (first == TIERD_MEMTIER_NONE)
			first = t->memtier[n];
		else if (t->memtier[n] != first)
			return true;
	}
	return false;
}

/* Every memory node reports HMAT figures. */
static bool hmat_complete(const struct numa_topology *t)
{
	for (int n = 0; n < TIERD_MAX_NODES; n++)
		if ((t->mem_mask & (1ULL << n)) &&
		    (!t->read_latency_ns[n] || !t->read_bandwidth_mbps[n]))
			return false;
	return t->mem_mask != 0;
}

/*
 * slow = auto: which memory nodes are slow, each with its reason in
 * node_why.  The rules are ordered by how much the kernel itself knows.
 */
static uint64_t classify_auto(const struct numa_topology *t,
			      struct tier_choice *out)
{
	uint64_t slow = 0, ranked_from;
	int top = TIERD_MEMTIER_NONE, best = -1;
	char list[192];

	ranked_from = t->mem_mask & t->cpu_mask ? t->mem_mask & t->cpu_mask :
						  t->mem_mask;
	if (tiers_kernel_ranks(t)) {
		for (int n = 0; n < TIERD_MAX_NODES; n++)
			if ((ranked_from & (1ULL << n)) && known_tier(t, n) &&
			    (top == TIERD_MEMTIER_NONE || t->memtier[n] < top))
				top = t->memtier[n];
	} else if (hmat_complete(t)) {
		for (int n = 0; n < TIERD_MAX_NODES; n++)
			if ((ranked_from & (1ULL << n)) &&
			    (best < 0 || t->read_latency_ns[n] <
					 t->read_latency_ns[best]))
				best = n;
	}
	for (int n = 0; n < TIERD_MAX_NODES; n++) {
		char *why = out->node_why[n];
		size_t len = sizeof(out->node_why[n]);
		bool cpus = t->cpu_mask & (1ULL << n);

		if (!(t->mem_mask & (1ULL << n)))
			continue;
		if (t->private_mask & (1ULL << n)) {
			slow |= 1ULL << n;
			snprintf(why, len, "slow: private memory node (%s)",
				 t->private_kind[0] ? t->private_kind : "sysfs");
		} else if (top != TIERD_MEMTIER_NONE && known_tier(t, n) &&
			   t->memtier[n] > top) {
			slow |= 1ULL << n;
			snprintf(why, len, "slow: memory_tier%d, below memory_tier%d",
				 t->memtier[n], top);
		} else if (top != TIERD_MEMTIER_NONE) {
			snprintf(why, len, "%s: memory_tier%d, the top tier%s",
				 cpus ? "fast" : "not slow", known_tier(t, n) ?
				 t->memtier[n] : top,
				 cpus ? "" : " (no CPUs, but the kernel ranks it with DRAM)");
		} else if (best >= 0 &&
			   (t->read_latency_ns[n] >= 2 * t->read_latency_ns[best] ||
			    2 * t->read_bandwidth_mbps[n] <=
			    t->read_bandwidth_mbps[best])) {
			slow |= 1ULL << n;
			snprintf(why, len,
				 "slow: HMAT read latency %u ns, bandwidth %u MB/s against %u ns, %u MB/s on node %d",
				 t->read_latency_ns[n], t->read_bandwidth_mbps[n],
				 t->read_latency_ns[best],
				 t->read_bandwidth_mbps[best], best);
		} else if (best >= 0) {
			snprintf(why, len, "%s: HMAT read latency %u ns, bandwidth %u MB/s%s",
				 cpus ? "fast" : "not slow",
				 t->read_latency_ns[n], t->read_bandwidth_mbps[n],
				 cpus ? "" : " (no CPUs, but as fast as DRAM)");
		} else if (!cpus) {
			slow |= 1ULL << n;
			snprintf(why, len,
				 "slow: no CPUs (the kernel ranks no memory tiers and HMAT is %s)",
				 t->memtiers ? "incomplete" : "absent");
		} else {
			snprintf(why, len, "fast: has CPUs");
		}
	}
	if (!slow && top != TIERD_MEMTIER_NONE) {
		format_mask(t->mem_mask, list, sizeof(list));
		snprintf(out->reason, sizeof(out->reason),
			 "no slow-tier node: memory nodes %s are all in the top memory tier (memory_tier%d)",
			 list, top);
	}
	return slow;
}

/*
 * Private nodes the kernel allows no move_pages() off: slow, but tierd
 * only watches them.  They leave @slow and go to observe_mask.
 */
static uint64_t take_observed(const struct numa_topology *topo,
			      struct tier_choice *out, uint64_t slow)
{
	uint64_t observe = slow & topo->private_mask & ~topo->private_user_mask;

	for (int n = 0; n < TIERD_MAX_NODES; n++)
		if (observe & (1ULL << n))
			snprintf(out->node_why[n], sizeof(out->node_why[n]),
				 "observed only: private node (%s), no user migration",
				 topo->private_kind[0] ? topo->private_kind :
				 "sysfs");
	out->observe_mask = observe;
	return slow & ~observe;
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
		slow = classify_auto(topo, out);
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
		for (int n = 0; n < TIERD_MAX_NODES; n++)
			if (topo->mem_mask & (1ULL << n))
				snprintf(out->node_why[n], sizeof(out->node_why[n]),
					 "%s [nodes] slow", slow & (1ULL << n) ?
					 "slow: listed in" : "not slow: not in");
	}

	slow = take_observed(topo, out, slow);

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
		snprintf(out->node_why[fast], sizeof(out->node_why[fast]),
			 "fast: [nodes] fast");
		for (int s = 0; s < TIERD_MAX_NODES; s++)
			if (slow & (1ULL << s))
				out->target[s] = (int8_t)fast;
	} else {
		/* each slow node: the nearest node with CPUs and memory */
		cand = topo->mem_mask & topo->cpu_mask & ~slow &
		       ~out->observe_mask;
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

	if (!slow && out->observe_mask) {
		format_mask(out->observe_mask, list, sizeof(list));
		snprintf(out->reason, sizeof(out->reason),
			 "observing only: the kernel allows no move_pages() off private node %s (%s, %s)",
			 list, tiers_private_gen_name(topo->private_gen),
			 tiers_private_gen_lists(topo->private_gen));
		return 0;
	}
	if (!slow) {
		format_mask(topo->mem_mask, list, sizeof(list));
		if (!out->reason[0])
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
	if (out->observe_mask) {
		size_t off = strlen(out->reason);

		format_mask(out->observe_mask, list, sizeof(list));
		snprintf(out->reason + off, sizeof(out->reason) - off,
			 "; observed only: private node %s (no move_pages() off it)",
			 list);
	}
	return 0;
}
