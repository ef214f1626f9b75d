/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fixed-capacity text buffer for building replies.  Appends never fail
 * loudly: once something does not fit the buffer remembers it (err =
 * -ENOSPC) and later appends are ignored, so a renderer can write its whole
 * output and check once at the end.
 */
#ifndef TIERD_STRBUF_H
#define TIERD_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;		/* including the terminating NUL */
	int err;		/* 0 or -ENOSPC */
};

void sb_init(struct strbuf *sb, char *buf, size_t cap);
void sb_reset(struct strbuf *sb);
void sb_append(struct strbuf *sb, const char *s);
void sb_append_len(struct strbuf *sb, const char *s, size_t n);
void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_putc(struct strbuf *sb, char c);

#endif /* TIERD_STRBUF_H */
