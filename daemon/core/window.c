// SPDX-License-Identifier: GPL-2.0
/*
 * Open addressing with a bounded probe: a slot whose window expired is
 * free to take, so the table never needs deletions, and a folio not seen
 * for a window costs nothing.  A folio that finds no slot within
 * PROBE_MAX is dropped and counted, as a full BPF map drops it.
 */
#include <errno.h>
#include <stdlib.h>
#include <linux/types.h>

#include "bpf/tierd.h"
#include "core/window.h"

#define PROBE_MAX 32

struct slot {
	uint64_t addr;
	uint64_t start_ms;	/* window start; 0 = never used */
	uint32_t tgid;
	uint32_t faults;
	uint32_t writes;
	uint32_t faults_sent;	/* at the window's last record */
	uint32_t writes_sent;
	uint8_t records;	/* sent in this window */
};

struct window_table {
	struct slot *slot;
	uint32_t mask;
	uint32_t window_ms;
	uint32_t threshold;
	uint32_t reports;
	uint64_t full;
	uint64_t resets;
};

int window_create(uint32_t cap, uint32_t window_ms, uint32_t threshold,
		  uint32_t reports, struct window_table **out)
{
	struct window_table *t;
	uint32_t n = 64;

	while (n < cap && n < (1u << 30))
		n <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->slot = calloc(n, sizeof(*t->slot));
	if (!t->slot) {
		free(t);
		return -ENOMEM;
	}
	t->mask = n - 1;
	window_set(t, window_ms, threshold, reports);
	*out = t;
	return 0;
}

void window_destroy(struct window_table *t)
{
	if (!t)
		return;
	free(t->slot);
	free(t);
}

void window_set(struct window_table *t, uint32_t window_ms,
		uint32_t threshold, uint32_t reports)
{
	t->window_ms = window_ms ? window_ms : 1;
	t->threshold = threshold ? threshold : 1;
	t->reports = reports < 1 ? 1 :
		     reports > TIERD_REPORTS_MAX ? TIERD_REPORTS_MAX : reports;
}

static uint32_t hash(uint32_t tgid, uint64_t addr)
{
	uint64_t h = (addr >> 12) * 0x9E3779B97F4A7C15ULL ^ tgid;

	h ^= h >> 29;
	return (uint32_t)(h * 0xBF58476D1CE4E5B9ULL >> 32);
}

static bool expired(const struct window_table *t, const struct slot *s,
		    uint64_t now_ms)
{
	return !s->start_ms || now_ms - s->start_ms >= t->window_ms;
}

int window_add(struct window_table *t, uint32_t tgid, uint64_t addr,
	       uint32_t n, uint32_t writes, uint64_t now_ms,
	       struct window_verdict *v)
{
	struct slot *s = NULL, *free_slot = NULL;
	uint32_t h = hash(tgid, addr);

	/* 0 marks an unused slot */
	if (!now_ms)
		now_ms = 1;
	for (uint32_t i = 0; i < PROBE_MAX; i++) {
		struct slot *c = &t->slot[(h + i) & t->mask];

		if (c->start_ms && c->tgid == tgid && c->addr == addr) {
			s = c;
			break;
		}
		if (!free_slot && expired(t, c, now_ms))
			free_slot = c;
	}
	if (!s) {
		if (!free_slot) {
			t->full++;
			return -ENOSPC;
		}
		s = free_slot;
		*s = (struct slot){ .addr = addr, .tgid = tgid,
				    .start_ms = now_ms };
	} else if (expired(t, s, now_ms)) {
		s->start_ms = now_ms;
		s->faults = s->writes = 0;
		s->faults_sent = s->writes_sent = 0;
		s->records = 0;
		t->resets++;
	}
	s->faults += n;
	s->writes += writes;
	*v = (struct window_verdict){ 0 };
	/*
	 * @n may carry the count past several marks at once (a granule of
	 * several pages): one record, and the marks it passed are spent.
	 */
	if (s->records >= t->reports ||
	    s->faults < (uint64_t)t->threshold << s->records)
		return 0;
	while (s->records < t->reports &&
	       s->faults >= (uint64_t)t->threshold << s->records)
		s->records++;
	*v = (struct window_verdict){ .record = true,
				      .faults = s->faults - s->faults_sent,
				      .writes = s->writes - s->writes_sent };
	s->faults_sent = s->faults;
	s->writes_sent = s->writes;
	return 0;
}

void window_forget_tgid(struct window_table *t, uint32_t tgid)
{
	for (uint32_t i = 0; i <= t->mask; i++)
		if (t->slot[i].tgid == tgid)
			t->slot[i].start_ms = 0;
}

uint64_t window_full(const struct window_table *t)
{
	return t->full;
}

uint64_t window_resets(const struct window_table *t)
{
	return t->resets;
}
