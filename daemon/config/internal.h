/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the config sources share and nothing outside daemon/config sees:
 * the key table generated from keys.h, the state of one parse, and the
 * error list every stage adds to.  Config code reports only through that
 * list (struct tierd_config_errors); it never logs.
 */
#ifndef TIERD_CONFIG_INTERNAL_H
#define TIERD_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Longest line the reader hands inih: inih's buffer (INI_MAX_LINE, 200 in
 * Debian's build) less "\r\n\0".  The reader learns the real size from
 * inih; the formatter needs it up front.
 */
#define CONFIG_LINE_MAX		197

enum key_type {
#define KEY_TYPES(T) T(U32) T(U64) T(GRANULE) T(DOUBLE_LE) T(DOUBLE_LT) \
	T(BOOL) T(TRISTATE) T(SOCKET) T(GROUP) T(SLOW_NODES) T(FAST_NODE) \
	T(PIDS) T(COMMS) T(CGROUPS)
#define KEY_TYPE_ENUM(t) KT_##t,
	KEY_TYPES(KEY_TYPE_ENUM)
#undef KEY_TYPE_ENUM
};

/* K_section_name, e.g. K_hotness_decay, in keys.h order. */
enum key_id {
#define KEY_ID(section, name, ...) K_##section##_##name,
	TIERD_CONFIG_KEYS(KEY_ID)
#undef KEY_ID
	K_NR,
};

struct key_desc {
	const char *section;
	const char *name;
	enum key_type type;
	size_t off;		/* of the field in struct tierd_config */
	size_t size;		/* of the field */
	uint64_t min, max;	/* integer keys; doubles use max only */
	const char *def;	/* default, as the file would write it */
};

extern const struct key_desc cfg_keys[K_NR];

static inline void *key_field(struct tierd_config *cfg, enum key_id id)
{
	return (char *)cfg + cfg_keys[id].off;
}

static inline const void *key_field_const(const struct tierd_config *cfg,
					  enum key_id id)
{
	return (const char *)cfg + cfg_keys[id].off;
}

static inline bool key_is_list(enum key_id id)
{
	enum key_type t = cfg_keys[id].type;

	return t == KT_PIDS || t == KT_COMMS || t == KT_CGROUPS;
}

/* Lines of the items of one [scope] list, for "(line N)" in errors. */
struct scope_lines {
	unsigned int pid[TIERD_MAX_SCOPE_PIDS];
	unsigned int comm[TIERD_MAX_SCOPE_COMMS];
	unsigned int cgroup[TIERD_MAX_SCOPE_CGROUPS];
};

struct parse_ctx {
	const char *name;		/* file name for messages */
	const char *text;		/* whole input, NUL-terminated */
	const char *pos;		/* reader position in text */
	unsigned int lineno;		/* line the reader handed to inih last */

	struct tierd_config *cfg;	/* built here, copied out if valid */

	unsigned int key_line[K_NR];	/* first line setting the key, 0 = unset */
	bool key_bad[K_NR];		/* the key had an invalid value */
	struct scope_lines include_line, exclude_line;
	char unknown_section[64];	/* last one reported, to report once */

	struct tierd_config_errors *errs;	/* NULL: only count */
	unsigned int err_line[ARRAY_SIZE(((struct tierd_config_errors *)0)->err)];
	unsigned int nr_errors;		/* including dropped ones */
};

/* errors.c */
void cfg_add_error(struct parse_ctx *ctx, unsigned int line,
		   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "FILE:LINE: [section] key: reason" */
void cfg_key_error(struct parse_ctx *ctx, unsigned int line,
		   const char *section, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
#define kerr(ctx, line, id, ...) \
	cfg_key_error(ctx, line, cfg_keys[id].section, cfg_keys[id].name, \
		      __VA_ARGS__)
void cfg_sort_errors(struct parse_ctx *ctx);
/* "line N", or "default" for a key the file did not set */
const char *cfg_key_where(const struct parse_ctx *ctx, enum key_id id,
			  char *buf, size_t size);

/* keys.c */
/* the key's id, or -ENOENT */
int cfg_key_find(const char *section, const char *name);
bool cfg_section_known(const char *section);
/* hints in errors: "nodes, sources, ..." and "window_ms, decay, ..." */
void cfg_known_sections(char *buf, size_t size);
void cfg_keys_of_section(const char *section, char *buf, size_t size);

/* values.c: one value of key @id at @line; problems go to ctx's errors */
void cfg_parse_value(struct parse_ctx *ctx, unsigned int line,
		     enum key_id id, const char *value);
int cfg_parse_uint(struct parse_ctx *ctx, unsigned int line, enum key_id id,
		   const char *s, uint64_t min, uint64_t max, const char *what,
		   uint64_t *out);
bool cfg_is_blank(char c);
bool cfg_has_control(const char *s);

/* lists.c: the keys whose values are lists or node ids */
void cfg_parse_slow_nodes(struct parse_ctx *ctx, unsigned int line,
			  enum key_id id, const char *value);
void cfg_parse_fast_node(struct parse_ctx *ctx, unsigned int line,
			 enum key_id id, const char *value);
void cfg_parse_scope_list(struct parse_ctx *ctx, unsigned int line,
			  enum key_id id, const char *value);

/* check.c: contradictions between keys, once the whole file is read */
void cfg_check(struct parse_ctx *ctx);

#endif /* TIERD_CONFIG_INTERNAL_H */
