// SPDX-License-Identifier: GPL-2.0
/*
 * The key table generated from keys.h, and what comes straight from it:
 * key and section lookup, the hint texts naming what is known, and the
 * defaults, which are the table's default texts read by the same value
 * parsers as a file, so a documented default and the real one cannot
 * differ.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/internal.h"
#include "lib/strbuf.h"

#define KEY_DESC(section_, name_, type_, field_, min_, max_, def_)	\
	[K_##section_##_##name_] = {					\
		.section = #section_,					\
		.name = #name_,						\
		.type = KT_##type_,					\
		.off = offsetof(struct tierd_config, field_),		\
		.size = sizeof(((struct tierd_config *)0)->field_),	\
		.min = min_,						\
		.max = max_,						\
		.def = def_,						\
	},

const struct key_desc cfg_keys[K_NR] = {
	TIERD_CONFIG_KEYS(KEY_DESC)
};

int cfg_key_find(const char *section, const char *name)
{
	int id;

	for (id = 0; id < K_NR; id++)
		if (!strcmp(cfg_keys[id].section, section) &&
		    !strcmp(cfg_keys[id].name, name))
			return id;
	return -ENOENT;
}

bool cfg_section_known(const char *section)
{
	int id;

	for (id = 0; id < K_NR; id++)
		if (!strcmp(cfg_keys[id].section, section))
			return true;
	return false;
}

/* The first key of its section, so each section is named once. */
static bool opens_section(int id)
{
	int i;

	for (i = 0; i < id; i++)
		if (!strcmp(cfg_keys[i].section, cfg_keys[id].section))
			return false;
	return true;
}

void cfg_known_sections(char *buf, size_t size)
{
	struct strbuf sb;
	int id;

	sb_init(&sb, buf, size);
	for (id = 0; id < K_NR; id++)
		if (opens_section(id))
			sb_printf(&sb, "%s%s", sb.len ? ", " : "",
				  cfg_keys[id].section);
}

void cfg_keys_of_section(const char *section, char *buf, size_t size)
{
	struct strbuf sb;
	int id;

	sb_init(&sb, buf, size);
	for (id = 0; id < K_NR; id++)
		if (!strcmp(cfg_keys[id].section, section))
			sb_printf(&sb, "%s%s", sb.len ? ", " : "",
				  cfg_keys[id].name);
}

void tierd_config_defaults(struct tierd_config *cfg)
{
	/*
	 * The table's texts are valid (test_config loads every one of them
	 * as a file), so the error list is only counted, never kept.
	 */
	struct parse_ctx ctx = { .name = "defaults", .cfg = cfg };
	int id;

	memset(cfg, 0, sizeof(*cfg));
	for (id = 0; id < K_NR; id++)
		cfg_parse_value(&ctx, 0, id, cfg_keys[id].def);
}

int tierd_config_track_socket(const struct tierd_config *cfg, char *buf,
			      size_t len)
{
	const char *slash = strrchr(cfg->socket_path, '/');
	int n;

	if (cfg->track_socket_path[0])
		n = snprintf(buf, len, "%s", cfg->track_socket_path);
	else
		n = snprintf(buf, len, "%.*s/%s",
			     slash ? (int)(slash - cfg->socket_path) : 0,
			     cfg->socket_path, TIERD_TRACK_SOCKET_NAME);
	return n < 0 || (size_t)n >= len || n >= TIERD_PATH_LEN ?
	       -ENAMETOOLONG : 0;
}
