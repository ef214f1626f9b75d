// SPDX-License-Identifier: GPL-2.0
/*
 * The effective config as INI text: every key of the table, in its order,
 * rendered by its type, so the output loads back to the same struct.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"
#include "lib/strbuf.h"

/* Shortest "%g" that reads back as the same double. */
static void format_double(struct strbuf *sb, double v)
{
	char s[64];
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(s, sizeof(s), "%.17g", v);
	sb_append(sb, s);
}

static const char *tristate_name(enum tierd_tristate t)
{
	switch (t) {
	case TIERD_ON:
		return "on";
	case TIERD_OFF:
		return "off";
	default:
		return "auto";
	}
}

static void format_slow_nodes(struct strbuf *sb, const struct tierd_config *cfg)
{
	unsigned int n, end;
	bool first = true;

	if (cfg->slow_auto) {
		sb_append(sb, "auto");
		return;
	}
	for (n = 0; n < TIERD_MAX_NODES; n++) {
		if (!(cfg->slow_mask & (1ULL << n)))
			continue;
		for (end = n; end + 1 < TIERD_MAX_NODES &&
			      (cfg->slow_mask & (1ULL << (end + 1))); end++)
			;
		if (end == n)
			sb_printf(sb, "%s%u", first ? "" : ",", n);
		else
			sb_printf(sb, "%s%u-%u", first ? "" : ",", n, end);
		first = false;
		n = end;
	}
}

/*
 * Long lists are split over several lines of the same key (list keys add
 * up) so every line stays well inside inih's line buffer.
 */
#define PIDS_PER_LINE  8
#define COMMS_PER_LINE 6

static void format_pids(struct strbuf *sb, const char *key,
			const struct tierd_scope_list *l)
{
	unsigned int i;

	sb_printf(sb, "%s =", key);
	for (i = 0; i < l->nr_pids; i++) {
		if (i && i % PIDS_PER_LINE == 0)
			sb_printf(sb, "\n%s =", key);
		sb_printf(sb, " %d", l->pids[i]);
	}
	sb_putc(sb, '\n');
}

static void format_comms(struct strbuf *sb, const char *key,
			 const struct tierd_scope_list *l)
{
	unsigned int i;

	sb_printf(sb, "%s =", key);
	for (i = 0; i < l->nr_comms; i++) {
		bool first = i % COMMS_PER_LINE == 0;

		if (i && first)
			sb_printf(sb, "\n%s =", key);
		/*
		 * inih reads a blank then ';' as an inline comment, so a name
		 * starting with ';' must follow the '=' or a comma directly.
		 */
		sb_printf(sb, "%s%.*s", l->comms[i][0] != ';' ? " " : first ? "" : ",",
			  TIERD_COMM_LEN - 1, l->comms[i]);
	}
	sb_putc(sb, '\n');
}

static void format_cgroups(struct strbuf *sb, const char *key,
			   const struct tierd_scope_list *l)
{
	unsigned int i;

	if (!l->nr_cgroups)
		sb_printf(sb, "%s =\n", key);
	for (i = 0; i < l->nr_cgroups; i++) {
		size_t len = strnlen(l->cgroups[i], TIERD_CGROUP_LEN - 1);

		/*
		 * "include_cgroups=PATH" loads; spaces around '=' could push
		 * the same path past inih's line buffer, so drop them when
		 * they would not fit.
		 */
		sb_printf(sb, "%s%s%.*s\n", key,
			  strlen(key) + strlen(" = ") + len <= CONFIG_LINE_MAX ?
			  " = " : "=", (int)len, l->cgroups[i]);
	}
}

static void format_key(struct strbuf *sb, const struct tierd_config *cfg,
		       enum key_id id)
{
	const struct key_desc *k = &cfg_keys[id];
	const void *field = key_field_const(cfg, id);

	switch (k->type) {
	case KT_PIDS:
		format_pids(sb, k->name, field);
		return;
	case KT_COMMS:
		format_comms(sb, k->name, field);
		return;
	case KT_CGROUPS:
		format_cgroups(sb, k->name, field);
		return;
	default:
		break;
	}
	sb_printf(sb, "%s = ", k->name);
	switch (k->type) {
	case KT_U32:
	case KT_GRANULE:
		sb_printf(sb, "%" PRIu32, *(const uint32_t *)field);
		break;
	case KT_U64:
		sb_printf(sb, "%" PRIu64, *(const uint64_t *)field);
		break;
	case KT_DOUBLE_LE:
	case KT_DOUBLE_LT:
		format_double(sb, *(const double *)field);
		break;
	case KT_BOOL:
		sb_append(sb, *(const bool *)field ? "yes" : "no");
		break;
	case KT_TRISTATE:
		sb_append(sb, tristate_name(*(const enum tierd_tristate *)
					    field));
		break;
	case KT_SOCKET:
	case KT_GROUP:
		sb_printf(sb, "%.*s", (int)(k->size - 1), (const char *)field);
		break;
	case KT_SLOW_NODES:
		format_slow_nodes(sb, cfg);
		break;
	case KT_FAST_NODE:
		if (cfg->fast_auto)
			sb_append(sb, "auto");
		else
			sb_printf(sb, "%d", cfg->fast_node);
		break;
	case KT_PIDS:
	case KT_COMMS:
	case KT_CGROUPS:
		break;
	}
	sb_putc(sb, '\n');
}

int tierd_config_format(const struct tierd_config *cfg, char *buf, size_t len)
{
	const char *section = NULL;
	struct strbuf sb;
	int id;

	if (!buf)
		return -ENOSPC;
	sb_init(&sb, buf, len);
	for (id = 0; id < K_NR; id++) {
		if (!section || strcmp(section, cfg_keys[id].section))
			sb_printf(&sb, "%s[%s]\n", section ? "\n" : "",
				  cfg_keys[id].section);
		section = cfg_keys[id].section;
		format_key(&sb, cfg, id);
	}
	if (sb.err)
		return sb.err;
	return (int)sb.len;
}
