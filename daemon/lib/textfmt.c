// SPDX-License-Identifier: GPL-2.0
/* Small text formatters the renderers and tierctl share. */
#include <inttypes.h>
#include <stdio.h>

#include "lib/textfmt.h"

void text_printable(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t i;

	for (i = 0; i < srclen && i + 1 < dstlen && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

void text_duration(char *buf, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d%02uh%02um", s / 86400,
			 (unsigned int)(s % 86400 / 3600),
			 (unsigned int)(s % 3600 / 60));
	else if (s >= 3600)
		snprintf(buf, len, "%uh%02um%02us", (unsigned int)(s / 3600),
			 (unsigned int)(s % 3600 / 60),
			 (unsigned int)(s % 60));
	else
		snprintf(buf, len, "%um%02us", (unsigned int)(s / 60),
			 (unsigned int)(s % 60));
}

void text_bytes(char *buf, size_t len, uint64_t b)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", b);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
}
