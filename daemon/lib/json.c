// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <math.h>

#include "lib/json.h"

void json_init(struct json *j, struct strbuf *sb)
{
	j->sb = sb;
	j->depth = 0;
	j->has_items[0] = false;
}

void json_escape(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;

	sb_putc(sb, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			sb_append(sb, "\\\"");
			break;
		case '\\':
			sb_append(sb, "\\\\");
			break;
		case '\n':
			sb_append(sb, "\\n");
			break;
		case '\r':
			sb_append(sb, "\\r");
			break;
		case '\t':
			sb_append(sb, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				char u[7] = { '\\', 'u', '0', '0',
					      hex[*p >> 4], hex[*p & 0xf], 0 };
				sb_append(sb, u);
			} else if (*p >= 0x80) {
				/*
				 * Bytes from /proc (comm) are not promised
				 * to be UTF-8; replace rather than emit
				 * invalid JSON.
				 */
				sb_append(sb, "\\ufffd");
			} else {
				sb_putc(sb, (char)*p);
			}
		}
	}
	sb_putc(sb, '"');
}

/* Comma and member name before a value at the current level. */
static void json_prefix(struct json *j, const char *key)
{
	if (j->has_items[j->depth])
		sb_putc(j->sb, ',');
	j->has_items[j->depth] = true;
	if (key) {
		json_escape(j->sb, key);
		sb_putc(j->sb, ':');
	}
}

static void json_open(struct json *j, const char *key, char c)
{
	json_prefix(j, key);
	sb_putc(j->sb, c);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		/* A renderer bug, not input: poison the output. */
		j->sb->err = -E2BIG;
		return;
	}
	j->depth++;
	j->has_items[j->depth] = false;
}

static void json_close(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	sb_putc(j->sb, c);
}

void json_obj_begin(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void json_obj_end(struct json *j)
{
	json_close(j, '}');
}

void json_arr_begin(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void json_arr_end(struct json *j)
{
	json_close(j, ']');
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_prefix(j, key);
	sb_printf(j->sb, "%" PRIu64, v);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	json_prefix(j, key);
	sb_printf(j->sb, "%" PRId64, v);
}

void json_double(struct json *j, const char *key, double v)
{
	json_prefix(j, key);
	/* JSON has no NaN or Infinity. */
	if (!isfinite(v))
		sb_append(j->sb, "null");
	else
		sb_printf(j->sb, "%.6g", v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_prefix(j, key);
	sb_append(j->sb, v ? "true" : "false");
}

void json_str(struct json *j, const char *key, const char *s)
{
	json_prefix(j, key);
	json_escape(j->sb, s);
}
