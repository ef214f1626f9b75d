/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny streaming JSON writer on top of struct strbuf.  It tracks nesting
 * so callers never place commas by hand, and escapes every string (names
 * from /proc and config text can hold anything).
 */
#ifndef TIERD_JSON_H
#define TIERD_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/strbuf.h"

#define JSON_MAX_DEPTH 16

struct json {
	struct strbuf *sb;
	unsigned int depth;
	bool has_items[JSON_MAX_DEPTH];
};

void json_init(struct json *j, struct strbuf *sb);

/* @key is the member name inside an object, NULL inside an array/top. */
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);

void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_double(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_str(struct json *j, const char *key, const char *s);

/* Append @s as a quoted, escaped JSON string. */
void json_escape(struct strbuf *sb, const char *s);

#endif /* TIERD_JSON_H */
