/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sets of address ranges [start, end), sorted and merged: the parts of a
 * process the uffd source scans.  Pure.
 */
#ifndef TIERD_CORE_RANGES_H
#define TIERD_CORE_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct range {
	uint64_t start, end;
};

struct range_set {
	struct range *r;
	size_t n, cap;
};

void range_set_init(struct range_set *s);
void range_set_free(struct range_set *s);
void range_set_clear(struct range_set *s);
/* Replace @dst's ranges by @src's (moved: @src is left empty). */
void range_set_move(struct range_set *dst, struct range_set *src);

/* Add [start, end), merging with what it touches.  0, -EINVAL or -ENOMEM. */
int range_set_add(struct range_set *s, uint64_t start, uint64_t end);

/* @out = @a without @b (@out is cleared first).  0 or -ENOMEM. */
int range_set_subtract(const struct range_set *a, const struct range_set *b,
		       struct range_set *out);

/* Whether [start, end) lies wholly inside one range of @s. */
bool range_set_covers(const struct range_set *s, uint64_t start, uint64_t end);

/* Whether @addr lies in @s. */
bool range_set_contains(const struct range_set *s, uint64_t addr);

uint64_t range_set_bytes(const struct range_set *s);

/*
 * Add the runs of pages @base + i * @page (i < @n) whose status[i] (a
 * node id, or -errno as move_pages(2) reports it) is a node of
 * @slow_mask.  0 or -ENOMEM.
 */
int range_set_add_runs(struct range_set *s, uint64_t base, uint64_t page,
		       const int *status, size_t n, uint64_t slow_mask);

#endif /* TIERD_CORE_RANGES_H */
