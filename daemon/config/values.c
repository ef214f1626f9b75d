// SPDX-License-Identifier: GPL-2.0
/*
 * Typed values: one key's text into its field of the config being built,
 * dispatched by the key's type from the table.  Lists and node ids are in
 * lists.c.  Every problem is reported against the key and line.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/internal.h"

bool cfg_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

bool cfg_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/*
 * Parse an unsigned decimal number in [min, max], reporting any problem
 * against @id.  Returns 0 or -EINVAL.  @what names the value in range
 * errors ("node", "pid", or NULL for the key's own value).
 */
int cfg_parse_uint(struct parse_ctx *ctx, unsigned int line, enum key_id id,
		   const char *s, uint64_t min, uint64_t max, const char *what,
		   uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s) {
		kerr(ctx, line, id, "missing value");
		return -EINVAL;
	}
	if (*s == '-') {
		kerr(ctx, line, id, "'%s' is negative (must be %" PRIu64 "..%" PRIu64 ")",
		     s, min, max);
		return -EINVAL;
	}
	if (!isdigit((unsigned char)*s)) {
		kerr(ctx, line, id, "'%s' is not a number", s);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE) {
		kerr(ctx, line, id, "'%s' is too large (overflow)", s);
		return -EINVAL;
	}
	if (*end) {
		kerr(ctx, line, id, "'%s' has trailing characters after the number", s);
		return -EINVAL;
	}
	if (v < min || v > max) {
		kerr(ctx, line, id, "%s%s%llu is out of range (%" PRIu64 "..%" PRIu64 ")",
		     what ? what : "", what ? " " : "", v, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* 0 < value <= max, or < max for KT_DOUBLE_LT. */
static int parse_double(struct parse_ctx *ctx, unsigned int line,
			enum key_id id, const char *s, double *out)
{
	const struct key_desc *k = &cfg_keys[id];
	bool open = k->type == KT_DOUBLE_LT;
	double max = (double)k->max;
	size_t plain;
	char *end;
	double v;

	if (!*s) {
		kerr(ctx, line, id, "missing value");
		return -EINVAL;
	}
	/*
	 * strtod also reads "inf", "nan" and hex floats; none of them belong
	 * here, so whatever it consumed must be plain decimal notation.
	 */
	plain = strspn(s, "0123456789.eE+-");
	errno = 0;
	v = strtod(s, &end);
	if (end == s || (size_t)(end - s) > plain) {
		kerr(ctx, line, id, "'%s' is not a number", s);
		return -EINVAL;
	}
	if (*end) {
		kerr(ctx, line, id, "'%s' has trailing characters after the number", s);
		return -EINVAL;
	}
	if (errno == ERANGE || !isfinite(v) || v <= 0 || v > max ||
	    (open && v >= max)) {
		kerr(ctx, line, id, "%s is out of range (0 < %s %s %g)", s, k->name,
		     open ? "<" : "<=", max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_tristate(const char *s, enum tierd_tristate *out)
{
	if (!strcasecmp(s, "auto"))
		*out = TIERD_AUTO;
	else if (!strcasecmp(s, "on"))
		*out = TIERD_ON;
	else if (!strcasecmp(s, "off"))
		*out = TIERD_OFF;
	else
		return -EINVAL;
	return 0;
}

static bool valid_group(const char *s)
{
	size_t n = strlen(s), i;

	/* shadow-utils' rule: [a-z_][a-z0-9_-]*[$]?, letters of any case */
	if (n >= TIERD_GROUP_LEN || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 1; i < n; i++) {
		unsigned char c = s[i];

		if (isalnum(c) || c == '_' || c == '-' || c == '.')
			continue;
		if (c == '$' && i == n - 1)
			continue;
		return false;
	}
	return true;
}

static int parse_socket(struct parse_ctx *ctx, unsigned int line,
			enum key_id id, const char *value)
{
	size_t size = cfg_keys[id].size;

	/* a socket whose default is empty may be left empty (see its key) */
	if (!*value && !*cfg_keys[id].def) {
		*(char *)key_field(ctx->cfg, id) = '\0';
		return 0;
	}
	if (*value != '/') {
		kerr(ctx, line, id, "'%s' is not an absolute path", value);
		return -EINVAL;
	}
	if (strlen(value) >= size) {
		kerr(ctx, line, id, "path is %zu characters, a UNIX socket path holds at most %zu",
		     strlen(value), size - 1);
		return -EINVAL;
	}
	if (cfg_has_control(value) || value[strlen(value) - 1] == '/') {
		kerr(ctx, line, id, "'%s' is not a valid socket file path", value);
		return -EINVAL;
	}
	snprintf(key_field(ctx->cfg, id), size, "%s", value);
	return 0;
}

void cfg_parse_value(struct parse_ctx *ctx, unsigned int line,
		     enum key_id id, const char *value)
{
	const struct key_desc *k = &cfg_keys[id];
	void *field = key_field(ctx->cfg, id);
	enum tierd_tristate t;
	uint64_t u;
	double d;
	bool b;

	switch (k->type) {
	case KT_U32:
	case KT_U64:
	case KT_GRANULE:
		if (cfg_parse_uint(ctx, line, id, value, k->min, k->max, NULL,
				   &u) < 0)
			goto bad;
		if (k->type == KT_GRANULE && u != 4 && u != 2048) {
			kerr(ctx, line, id, "%" PRIu64 " is not valid (must be 4 or 2048)", u);
			goto bad;
		}
		if (k->type == KT_U64)
			*(uint64_t *)field = u;
		else
			*(uint32_t *)field = (uint32_t)u;
		return;
	case KT_DOUBLE_LE:
	case KT_DOUBLE_LT:
		if (parse_double(ctx, line, id, value, &d) < 0)
			goto bad;
		*(double *)field = d;
		return;
	case KT_BOOL:
		if (parse_bool(value, &b) < 0) {
			kerr(ctx, line, id, "'%s' is not a boolean (yes/no, true/false, on/off, 1/0)",
			     value);
			goto bad;
		}
		*(bool *)field = b;
		return;
	case KT_TRISTATE:
		if (parse_tristate(value, &t) < 0) {
			kerr(ctx, line, id, "'%s' is not one of auto, on, off", value);
			goto bad;
		}
		*(enum tierd_tristate *)field = t;
		return;
	case KT_SOCKET:
		if (parse_socket(ctx, line, id, value) < 0)
			goto bad;
		return;
	case KT_GROUP:
		if (*value && !valid_group(value)) {
			kerr(ctx, line, id, "'%s' is not a valid group name", value);
			goto bad;
		}
		snprintf(field, k->size, "%s", value);
		return;
	case KT_SLOW_NODES:
		cfg_parse_slow_nodes(ctx, line, id, value);
		return;
	case KT_FAST_NODE:
		cfg_parse_fast_node(ctx, line, id, value);
		return;
	case KT_PIDS:
	case KT_COMMS:
	case KT_CGROUPS:
		cfg_parse_scope_list(ctx, line, id, value);
		return;
	}
	return;
bad:
	ctx->key_bad[id] = true;
}
