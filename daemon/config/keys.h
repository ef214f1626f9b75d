/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every key of tierd.conf, written once.  The parser's key lookup, the
 * sections it knows, the "keys of [section]" hint, the defaults, the
 * formatter and the plain fields of struct tierd_config (config.h) are all
 * generated from this list; tests/unit/test_config.c checks that
 * conf/tierd.conf and docs/tierd.conf.5 document every key with the
 * default written here.
 *
 * KEY(section, name, type, field, min, max, default)
 *   section, name  as written in the file (both are C identifiers)
 *   type           how the value is read and written back (config.h,
 *                  TIERD_KEY_FIELD_*): U32, U64, DOUBLE_LE (0 < v <= max),
 *                  DOUBLE_LT (0 < v < max), BOOL, TRISTATE, GRANULE (4 or
 *                  2048), SOCKET, GROUP for plain keys, whose field is
 *                  declared from this list; SLOW_NODES, FAST_NODE, PIDS,
 *                  COMMS, CGROUPS for keys with hand-written fields
 *   field          the member of struct tierd_config the key sets
 *   min, max       range of integer keys, upper bound of doubles
 *   default        the built-in value in the file's own syntax; list keys
 *                  add up over lines, so theirs is the empty list
 *
 * Keys are listed by section in file order, and the formatter writes
 * them in this order.  Every TRISTATE key of [sources] is an access
 * source: a file that turns all of them off is refused.
 */
#ifndef TIERD_CONFIG_KEYS_H
#define TIERD_CONFIG_KEYS_H

#include <linux/types.h>

#include "bpf/tierd.h"		/* TIERD_REPORTS_MAX: the programs' bound */

#define TIERD_CONFIG_KEYS(KEY)						\
	/* NUMA nodes that are a slow tier; slow_auto for "auto" */	\
	KEY(nodes, slow, SLOW_NODES, slow_mask, 0, 0, "auto")		\
	/* promotion target; fast_auto for "auto" */			\
	KEY(nodes, fast, FAST_NODE, fast_node, 0, 0, "auto")		\
									\
	KEY(sources, private_node, TRISTATE, src_private_node, 0, 0, "auto") \
	KEY(sources, soft_dirty, TRISTATE, src_soft_dirty, 0, 0, "auto") \
	KEY(sources, numa_hint, TRISTATE, src_numa_hint, 0, 0, "auto") \
	/* processes that hand tierd a userfaultfd (libtierd-track) */	\
	KEY(sources, uffd, TRISTATE, src_uffd, 0, 0, "auto")		\
	KEY(sources, uffd_max_per_user, U32, uffd_max_per_user, 1, 4096, "16") \
	KEY(sources, uffd_max_total, U32, uffd_max_total, 1, 4096, "256") \
	/* soft-dirty re-arm + /proc rescan */				\
	KEY(sources, rearm_interval_ms, U32, rearm_interval_ms, 10, 60000, "500") \
									\
	/* aggregation window, BPF and daemon */			\
	KEY(hotness, window_ms, U32, window_ms, 100, 600000, "2000")	\
	/* score multiplier per window */				\
	KEY(hotness, decay, DOUBLE_LT, decay, 0, 1, "0.5")		\
	/* faults per window for a BPF record */			\
	KEY(hotness, threshold, U32, threshold, 1, 65535, "2")		\
	/* records per folio per window, at threshold x 1, 2, 4 ... */	\
	KEY(hotness, reports_per_window, U32, reports_per_window, 1, TIERD_REPORTS_MAX, "4") \
	/* score an access adds, by kind */				\
	KEY(hotness, read_weight, U32, read_weight, 0, 1000, "1")	\
	KEY(hotness, write_weight, U32, write_weight, 0, 1000, "1")	\
	/* decayed score that makes a candidate */			\
	KEY(hotness, promote_score, DOUBLE_LE, promote_score, 0, 1000000, "1.0") \
	/* aggregation unit */						\
	KEY(hotness, granule_kb, GRANULE, granule_kb, 4, 2048, "4")	\
	/* hotness table cap, coldest evicted */			\
	KEY(hotness, table_max_folios, U32, table_max_folios, 1024, 100000000, "1048576") \
	/* BPF per-window counter map entries, all preallocated */	\
	KEY(hotness, kernel_map_folios, U32, kernel_map_folios, 1024, 1048576, "65536") \
									\
	KEY(promotion, enabled, BOOL, promote_enabled, 0, 0, "yes")	\
	/* pages per move_pages call */					\
	KEY(promotion, batch_pages, U32, batch_pages, 1, 65536, "512")	\
	/* promotion passes between re-arms */				\
	KEY(promotion, pass_interval_ms, U32, pass_interval_ms, 10, 60000, "100") \
	/* MiB/s token bucket, 0 = unlimited */				\
	KEY(promotion, rate_limit_mbps, U32, rate_limit_mbps, 0, 1048576, "256") \
	/* fast node free-memory headroom */				\
	KEY(promotion, min_free_mb, U64, min_free_mb, 0, 16777216, "1024") \
	/* per-folio, after a promotion */				\
	KEY(promotion, cooldown_ms, U32, cooldown_ms, 0, 86400000, "10000") \
	/* cooldown multiplier per ping-pong */				\
	KEY(promotion, pingpong_backoff, U32, pingpong_backoff, 1, 64, "2") \
	/* after a failed move, doubling per failure in a row */	\
	KEY(promotion, failure_cooldown_ms, U32, failure_cooldown_ms, 0, 86400000, "1000") \
	/* promote even while another mover is active, and own it */	\
	KEY(promotion, take_over, BOOL, take_over, 0, 0, "no")		\
									\
	KEY(scope, include_pids, PIDS, include, 0, 0, "")		\
	KEY(scope, exclude_pids, PIDS, exclude, 0, 0, "")		\
	KEY(scope, include_comms, COMMS, include, 0, 0, "")		\
	KEY(scope, exclude_comms, COMMS, exclude, 0, 0, "")		\
	KEY(scope, include_cgroups, CGROUPS, include, 0, 0, "")		\
	KEY(scope, exclude_cgroups, CGROUPS, exclude, 0, 0, "")		\
									\
	KEY(control, socket, SOCKET, socket_path, 0, 0, TIERD_DEFAULT_SOCKET) \
	/* any user may connect, `track` only; "" = track.sock beside socket */ \
	KEY(control, track_socket, SOCKET, track_socket_path, 0, 0, "")	\
	/* "" = root only */						\
	KEY(control, stats_group, GROUP, stats_group, 0, 0, "")

#endif /* TIERD_CONFIG_KEYS_H */
