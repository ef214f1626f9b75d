// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/ranges.h"

void range_set_init(struct range_set *s)
{
	*s = (struct range_set){ 0 };
}

void range_set_free(struct range_set *s)
{
	free(s->r);
	range_set_init(s);
}

void range_set_clear(struct range_set *s)
{
	s->n = 0;
}

void range_set_move(struct range_set *dst, struct range_set *src)
{
	range_set_free(dst);
	*dst = *src;
	range_set_init(src);
}

static int reserve(struct range_set *s, size_t need)
{
	size_t ncap = s->cap ? s->cap : 16;
	struct range *r;

	if (need <= s->cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	r = realloc(s->r, ncap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	s->r = r;
	s->cap = ncap;
	return 0;
}

/* First range whose end is at or after @addr (ranges that may touch it). */
static size_t first_touching(const struct range_set *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->r[mid].end < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int range_set_add(struct range_set *s, uint64_t start, uint64_t end)
{
	size_t i, j;

	if (end <= start)
		return -EINVAL;
	/* the common case: runs arrive in address order */
	if (s->n && s->r[s->n - 1].end == start) {
		s->r[s->n - 1].end = end;
		return 0;
	}
	if (!s->n || s->r[s->n - 1].end < start) {
		if (reserve(s, s->n + 1) < 0)
			return -ENOMEM;
		s->r[s->n++] = (struct range){ start, end };
		return 0;
	}
	i = first_touching(s, start);
	/* ranges i .. j-1 overlap or touch [start, end) */
	for (j = i; j < s->n && s->r[j].start <= end; j++)
		;
	if (i == j) {
		if (reserve(s, s->n + 1) < 0)
			return -ENOMEM;
		memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(*s->r));
		s->r[i] = (struct range){ start, end };
		s->n++;
		return 0;
	}
	if (s->r[i].start < start)
		start = s->r[i].start;
	if (s->r[j - 1].end > end)
		end = s->r[j - 1].end;
	s->r[i] = (struct range){ start, end };
	memmove(&s->r[i + 1], &s->r[j], (s->n - j) * sizeof(*s->r));
	s->n -= j - i - 1;
	return 0;
}

int range_set_subtract(const struct range_set *a, const struct range_set *b,
		       struct range_set *out)
{
	size_t j = 0;

	range_set_clear(out);
	for (size_t i = 0; i < a->n; i++) {
		uint64_t cur = a->r[i].start, end = a->r[i].end;

		while (j < b->n && b->r[j].end <= cur)
			j++;
		for (size_t k = j; k < b->n && b->r[k].start < end; k++) {
			if (b->r[k].start > cur &&
			    range_set_add(out, cur, b->r[k].start) < 0)
				return -ENOMEM;
			if (b->r[k].end > cur)
				cur = b->r[k].end;
			if (cur >= end)
				break;
		}
		if (cur < end && range_set_add(out, cur, end) < 0)
			return -ENOMEM;
	}
	return 0;
}

bool range_set_covers(const struct range_set *s, uint64_t start, uint64_t end)
{
	size_t i = first_touching(s, start + 1);

	return i < s->n && s->r[i].start <= start && s->r[i].end >= end;
}

bool range_set_contains(const struct range_set *s, uint64_t addr)
{
	return range_set_covers(s, addr, addr + 1);
}

uint64_t range_set_bytes(const struct range_set *s)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < s->n; i++)
		sum += s->r[i].end - s->r[i].start;
	return sum;
}

int range_set_add_runs(struct range_set *s, uint64_t base, uint64_t page,
		       const int *status, size_t n, uint64_t slow_mask)
{
	size_t i = 0;

	while (i < n) {
		size_t j;

		if (status[i] < 0 || status[i] >= 64 ||
		    !(slow_mask & (1ULL << status[i]))) {
			i++;
			continue;
		}
		for (j = i + 1; j < n && status[j] >= 0 && status[j] < 64 &&
		     (slow_mask & (1ULL << status[j])); j++)
			;
		if (range_set_add(s, base + i * page, base + j * page) < 0)
			return -ENOMEM;
		i = j;
	}
	return 0;
}
