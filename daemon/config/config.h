/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tierd policy configuration (/etc/tierd.conf, INI, parsed with inih).
 *
 * A config is parsed and validated whole into a fresh struct; only a struct
 * that validated is ever handed to the running daemon, so a bad reload never
 * touches the policy in force.  The struct is flat (no pointers) so it can be
 * copied by assignment.
 */
#ifndef TIERD_CONFIG_H
#define TIERD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TIERD_DEFAULT_CONFIG   "/etc/tierd.conf"
#define TIERD_DEFAULT_SOCKET   "/run/tierd/tierd.sock"

#define TIERD_MAX_NODES        64	/* node ids are 0 .. TIERD_MAX_NODES-1 */
#define TIERD_MAX_SCOPE_PIDS   64
#define TIERD_MAX_SCOPE_COMMS  32
#define TIERD_MAX_SCOPE_CGROUPS 16
#define TIERD_COMM_LEN         16	/* TASK_COMM_LEN, with the NUL */
#define TIERD_CGROUP_LEN       256
#define TIERD_PATH_LEN         108	/* sizeof(sockaddr_un.sun_path) */
#define TIERD_GROUP_LEN        64

enum tierd_tristate {
	TIERD_AUTO = 0,		/* use where the kernel supports it */
	TIERD_ON,		/* required: fail start-up if unsupported */
	TIERD_OFF,
};

struct tierd_scope_list {
	unsigned int nr_pids;
	pid_t pids[TIERD_MAX_SCOPE_PIDS];
	unsigned int nr_comms;
	char comms[TIERD_MAX_SCOPE_COMMS][TIERD_COMM_LEN];
	unsigned int nr_cgroups;
	/* cgroup v2 paths relative to the root, e.g. "/system.slice/db.service" */
	char cgroups[TIERD_MAX_SCOPE_CGROUPS][TIERD_CGROUP_LEN];
};

struct tierd_config {
	/* [nodes] */
	bool slow_auto;			/* slow = auto */
	uint64_t slow_mask;		/* bit n = node n is a slow tier */
	bool fast_auto;			/* fast = auto */
	int fast_node;			/* promotion target when !fast_auto */

	/* [sources] */
	enum tierd_tristate src_private_node;
	enum tierd_tristate src_soft_dirty;
	uint32_t rearm_interval_ms;	/* soft-dirty re-arm + /proc rescan */

	/* [hotness] */
	uint32_t window_ms;		/* aggregation window, BPF and daemon */
	double decay;			/* score multiplier per window, (0,1) */
	uint32_t threshold;		/* faults per window for a BPF record */
	double promote_score;		/* decayed score that makes a candidate */
	uint32_t granule_kb;		/* aggregation unit: 4 or 2048 */
	uint32_t table_max_folios;	/* hotness table cap, coldest evicted */
	uint32_t kernel_map_folios;	/* BPF per-window counter map entries */

	/* [promotion] */
	bool promote_enabled;
	uint32_t batch_pages;		/* pages per move_pages call */
	uint32_t rate_limit_mbps;	/* MiB/s token bucket, 0 = unlimited */
	uint64_t min_free_mb;		/* fast node free-memory headroom */
	uint32_t cooldown_ms;		/* per-folio, after a promotion */
	uint32_t pingpong_backoff;	/* cooldown multiplier per ping-pong */

	/* [scope] */
	struct tierd_scope_list include;
	struct tierd_scope_list exclude;

	/* [control] */
	char socket_path[TIERD_PATH_LEN];
	char stats_group[TIERD_GROUP_LEN];	/* "" = root only */
};

/* One validation error; text is "FILE:LINE: [section] key: reason". */
struct tierd_config_error {
	char text[512];
};

struct tierd_config_errors {
	unsigned int nr;
	unsigned int dropped;		/* errors past the array */
	struct tierd_config_error err[32];
};

/* Fill @cfg with the built-in defaults (the values conf/tierd.conf documents). */
void tierd_config_defaults(struct tierd_config *cfg);

/*
 * Parse and validate @path into @out.  On success returns 0 and @out holds
 * the new config.  On failure returns a negative errno (-EINVAL for invalid
 * content, -ENOENT/-EACCES/... when the file cannot be read), @errs lists
 * every problem found, and @out is left untouched.
 */
int tierd_config_load(const char *path, struct tierd_config *out,
		      struct tierd_config_errors *errs);

/* Same, from an in-memory buffer; @name is used in error messages. */
int tierd_config_load_string(const char *name, const char *text,
			     struct tierd_config *out,
			     struct tierd_config_errors *errs);

/*
 * Render the effective config as INI text (same keys as the file) into @buf.
 * Returns the length written or -ENOSPC.
 */
int tierd_config_format(const struct tierd_config *cfg, char *buf, size_t len);

#endif /* TIERD_CONFIG_H */
