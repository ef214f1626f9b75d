/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tierd policy configuration (/etc/tierd.conf, INI, parsed with inih).
 *
 * A config is parsed and validated whole into a fresh struct; only a struct
 * that validated is ever handed to the running daemon, so a bad reload never
 * touches the policy in force.  The struct is flat (no pointers) so it can be
 * copied by assignment.  Its keys are listed once, in keys.h.
 */
#ifndef TIERD_CONFIG_H
#define TIERD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/keys.h"

#define TIERD_DEFAULT_CONFIG   "/etc/tierd.conf"
#define TIERD_DEFAULT_SOCKET   "/run/tierd/tierd.sock"
#define TIERD_TRACK_SOCKET_NAME "track.sock"

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

/*
 * How a plain key of keys.h is declared in struct tierd_config.  The
 * other types fill fields written out below (slow and fast each set two,
 * the [scope] lists share the include and exclude structs).
 */
#define TIERD_KEY_FIELD_U32(f)		uint32_t f;
#define TIERD_KEY_FIELD_U64(f)		uint64_t f;
#define TIERD_KEY_FIELD_GRANULE(f)	uint32_t f;	/* KiB: 4 or 2048 */
#define TIERD_KEY_FIELD_DOUBLE_LE(f)	double f;
#define TIERD_KEY_FIELD_DOUBLE_LT(f)	double f;
#define TIERD_KEY_FIELD_BOOL(f)		bool f;
#define TIERD_KEY_FIELD_TRISTATE(f)	enum tierd_tristate f;
#define TIERD_KEY_FIELD_SOCKET(f)	char f[TIERD_PATH_LEN];
#define TIERD_KEY_FIELD_GROUP(f)	char f[TIERD_GROUP_LEN];
#define TIERD_KEY_FIELD_SLOW_NODES(f)
#define TIERD_KEY_FIELD_FAST_NODE(f)
#define TIERD_KEY_FIELD_PIDS(f)
#define TIERD_KEY_FIELD_COMMS(f)
#define TIERD_KEY_FIELD_CGROUPS(f)

struct tierd_config {
	/* [nodes] */
	bool slow_auto;			/* slow = auto */
	uint64_t slow_mask;		/* bit n = node n is a slow tier */
	bool fast_auto;			/* fast = auto */
	int fast_node;			/* promotion target when !fast_auto */

	/* [scope] */
	struct tierd_scope_list include;
	struct tierd_scope_list exclude;

	/* every plain key of every section, in keys.h order */
#define TIERD_KEY_FIELD(section, name, type, field, ...) \
	TIERD_KEY_FIELD_##type(field)
	TIERD_CONFIG_KEYS(TIERD_KEY_FIELD)
#undef TIERD_KEY_FIELD
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
 * The track socket in force: [control] track_socket, or track.sock in the
 * directory of [control] socket when that is empty.  0, or -ENAMETOOLONG.
 */
int tierd_config_track_socket(const struct tierd_config *cfg, char *buf,
			      size_t len);

/*
 * Render the effective config as INI text (same keys as the file) into @buf.
 * Returns the length written or -ENOSPC.
 */
int tierd_config_format(const struct tierd_config *cfg, char *buf, size_t len);

#endif /* TIERD_CONFIG_H */
