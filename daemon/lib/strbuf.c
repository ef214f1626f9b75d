// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/strbuf.h"

void sb_init(struct strbuf *sb, char *buf, size_t cap)
{
	sb->buf = buf;
	sb->cap = cap;
	sb_reset(sb);
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->err = sb->cap ? 0 : -ENOSPC;
	if (sb->cap)
		sb->buf[0] = '\0';
}

void sb_append_len(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->err)
		return;
	if (n >= sb->cap - sb->len) {
		sb->err = -ENOSPC;
		return;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_append(struct strbuf *sb, const char *s)
{
	sb_append_len(sb, s, strlen(s));
}

void sb_putc(struct strbuf *sb, char c)
{
	sb_append_len(sb, &c, 1);
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	size_t room;
	va_list ap;
	int n;

	if (sb->err)
		return;
	room = sb->cap - sb->len;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		/* Keep the buffer terminated at the last complete append. */
		sb->buf[sb->len] = '\0';
		sb->err = -ENOSPC;
		return;
	}
	sb->len += n;
}
