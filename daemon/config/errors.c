// SPDX-License-Identifier: GPL-2.0
/*
 * The error list of one parse.  Reader, handler and whole-file checks all
 * add here; the caller gets the list sorted by line and decides whether
 * and how to log it.
 */
#include <stdarg.h>
#include <stdio.h>

#include "config/internal.h"

void cfg_add_error(struct parse_ctx *ctx, unsigned int line,
		   const char *fmt, ...)
{
	struct tierd_config_errors *errs = ctx->errs;
	va_list ap;
	char *p;

	ctx->nr_errors++;
	if (!errs)
		return;
	if (errs->nr >= ARRAY_SIZE(errs->err)) {
		errs->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(errs->err[errs->nr].text, sizeof(errs->err[0].text), fmt, ap);
	va_end(ap);
	/*
	 * Messages quote the offending text, which may hold a lone '\r' or
	 * an escape sequence; keep every message one printable log line.
	 */
	for (p = errs->err[errs->nr].text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	ctx->err_line[errs->nr++] = line;
}

void cfg_key_error(struct parse_ctx *ctx, unsigned int line,
		   const char *section, const char *key, const char *fmt, ...)
{
	char reason[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	cfg_add_error(ctx, line, "%s:%u: [%s] %s: %s", ctx->name, line, section,
		      key, reason);
}

/* Errors are found in reader, handler and whole-file order; show by line. */
void cfg_sort_errors(struct parse_ctx *ctx)
{
	struct tierd_config_errors *errs = ctx->errs;
	unsigned int i, j;

	if (!errs)
		return;
	for (i = 1; i < errs->nr; i++) {
		struct tierd_config_error e = errs->err[i];
		unsigned int line = ctx->err_line[i];

		for (j = i; j > 0 && ctx->err_line[j - 1] > line; j--) {
			errs->err[j] = errs->err[j - 1];
			ctx->err_line[j] = ctx->err_line[j - 1];
		}
		errs->err[j] = e;
		ctx->err_line[j] = line;
	}
}

const char *cfg_key_where(const struct parse_ctx *ctx, enum key_id id,
			  char *buf, size_t size)
{
	if (!ctx->key_line[id])
		return "default";
	snprintf(buf, size, "line %u", ctx->key_line[id]);
	return buf;
}
