/* SPDX-License-Identifier: GPL-2.0 */
/* Small text formatters the renderers and tierctl share.  Pure. */
#ifndef TIERD_LIB_TEXTFMT_H
#define TIERD_LIB_TEXTFMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Copy at most @srclen bytes of @src (stopping at a NUL) with every byte
 * outside printable ASCII replaced by '?': tables are line-based.
 */
void text_printable(char *dst, size_t dstlen, const char *src, size_t srclen);
/* "1h02m03s", "2d03h04m", "1m05s". */
void text_duration(char *buf, size_t len, uint64_t ms);
/* "512 B", "1.5 KiB", "4.8 MiB", ... */
void text_bytes(char *buf, size_t len, uint64_t bytes);

#endif /* TIERD_LIB_TEXTFMT_H */
