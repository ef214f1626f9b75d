// SPDX-License-Identifier: GPL-2.0
/*
 * The access sources tierd knows, one line each.  The order is that of
 * enum tierd_source (bpf/tierd.h), which is also the order they are
 * listed in stats and status.
 */
#include "sources/source.h"

const struct source_ops *const tierd_source_registry[TIERD_SRC_NR] = {
	[TIERD_SRC_PRIVATE_NODE] = &private_node_source,
	[TIERD_SRC_SOFT_DIRTY] = &soft_dirty_source,
	[TIERD_SRC_NUMA_HINT] = &numa_hint_source,
	[TIERD_SRC_UFFD] = &uffd_source,
};
