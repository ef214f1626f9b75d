// SPDX-License-Identifier: GPL-2.0
/*
 * Per-folio hotness table.
 *
 * Layout: entries live in a dense array (no holes: a removal moves the last
 * entry into the gap), found through an open-addressing index of 8-byte
 * slots {entry index, 32 hash bits} with linear probing and backward-shift
 * deletion, so there are no tombstones to clean up.  The dense array makes
 * full scans (candidates, age) sequential and lets eviction sample random
 * live entries in O(1).  At the 0.75 maximum load factor this is 40 bytes of
 * entry plus 8-11 bytes of index per tracked folio.
 *
 * Decay is lazy: each entry keeps the start of its current window, and a
 * touch or scan multiplies the score by decay^k for the k whole windows that
 * passed, then advances the stamp by exactly k windows, so partial windows
 * never decay and never lose time.
 *
 * Eviction when full is sampled, like Redis's approximated LRU: an exact
 * global minimum per insert would cost a scan of up to 10^7 entries.  We
 * draw EVICT_SAMPLES random entries and evict the coldest; if even that one
 * is hotter than the newcomer we draw again, up to EVICT_ROUNDS times, so a
 * table that is mostly hot still finds its few cold entries while a table
 * that is mostly cold pays for one round.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hotness.h"

#define EVICT_SAMPLES	16
#define EVICT_ROUNDS	4
#define POW_TABLE	64		/* decay^k precomputed for k < this */
#define SLOT_EMPTY	UINT32_MAX
#define MIN_DENSE	1024

struct hot_entry {
	uint64_t addr;
	uint64_t stamp_ms;		/* start of the entry's current window */
	uint64_t cooldown_until;	/* ms; not a candidate before this */
	double score;			/* as of stamp_ms */
	uint32_t tgid;
	uint16_t pingpongs;
	uint8_t state;			/* enum hot_state */
	uint8_t failures;		/* failed moves in a row, saturating */
};

struct hot_slot {
	uint32_t idx;			/* into the dense array, SLOT_EMPTY if free */
	uint32_t tag;			/* high hash bits: skip most key compares */
};

struct hotness_table {
	struct hotness_params p;
	double pow_tab[POW_TABLE];

	struct hot_entry *ent;
	uint32_t size;
	uint32_t ent_cap;		/* allocated entries, <= p.cap */

	struct hot_slot *slots;
	uint64_t nr_slots;		/* power of two */

	uint64_t evictions;
	uint64_t pingpongs;
	uint64_t latest_ms;		/* newest time any call passed in */
	uint64_t rng;			/* xorshift state for eviction samples */
};

const char *hotness_params_invalid(const struct hotness_params *p)
{
	if (!p)
		return "no parameters";
	if (p->cap == 0)
		return "cap must be at least 1";
	if (p->cap > HOTNESS_CAP_MAX)
		return "cap is larger than 2^30 entries";
	if (p->window_ms == 0)
		return "window_ms must be at least 1";
	if (!(p->decay > 0.0 && p->decay < 1.0))
		return "decay must be strictly between 0 and 1";
	if (p->pingpong_backoff == 0)
		return "pingpong_backoff must be at least 1";
	return NULL;
}

static uint64_t hash_key(uint32_t tgid, uint64_t addr)
{
	/* murmur3 fmix64: addresses differ mostly in middle bits */
	uint64_t h = addr ^ ((uint64_t)tgid * 0x9e3779b97f4a7c15ULL);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t rng_next(struct hotness_table *t)
{
	uint64_t x = t->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	t->rng = x;
	return x;
}

static void fill_pow_table(double *tab, double decay)
{
	tab[0] = 1.0;
	for (unsigned int k = 1; k < POW_TABLE; k++)
		tab[k] = pow(decay, k);
}

static double decay_factor(const struct hotness_table *t, uint64_t k)
{
	if (k < POW_TABLE)
		return t->pow_tab[k];
	/* underflows to 0 for long idle entries, which is what we want */
	return pow(t->p.decay, (double)k);
}

static uint64_t elapsed_windows(const struct hotness_table *t,
				const struct hot_entry *e, uint64_t now_ms)
{
	if (now_ms <= e->stamp_ms)
		return 0;
	return (now_ms - e->stamp_ms) / t->p.window_ms;
}

/* Score at @now_ms without touching the entry. */
static double peek_score(const struct hotness_table *t,
			 const struct hot_entry *e, uint64_t now_ms)
{
	uint64_t k = elapsed_windows(t, e, now_ms);

	return k ? e->score * decay_factor(t, k) : e->score;
}

/* Bring the entry's score and stamp forward to @now_ms. */
static double apply_decay(const struct hotness_table *t, struct hot_entry *e,
			  uint64_t now_ms)
{
	uint64_t k = elapsed_windows(t, e, now_ms);

	if (k) {
		e->score *= decay_factor(t, k);
		e->stamp_ms += k * t->p.window_ms;
	}
	return e->score;
}

static void note_time(struct hotness_table *t, uint64_t now_ms)
{
	if (now_ms > t->latest_ms)
		t->latest_ms = now_ms;
}

static uint64_t slots_for(uint32_t entries)
{
	/* load factor <= 0.75 */
	uint64_t want = (uint64_t)entries + entries / 3 + 1;
	uint64_t n = 16;

	while (n < want)
		n <<= 1;
	return n;
}

/* Slot holding (tgid, addr), or the empty slot where it would go. */
static uint64_t find_slot(const struct hotness_table *t, uint32_t tgid,
			  uint64_t addr, uint64_t h, bool *found)
{
	uint64_t mask = t->nr_slots - 1;
	uint32_t tag = (uint32_t)(h >> 32);
	uint64_t i = h & mask;

	for (;;) {
		const struct hot_slot *s = &t->slots[i];

		if (s->idx == SLOT_EMPTY) {
			*found = false;
			return i;
		}
		if (s->tag == tag) {
			const struct hot_entry *e = &t->ent[s->idx];

			if (e->addr == addr && e->tgid == tgid) {
				*found = true;
				return i;
			}
		}
		i = (i + 1) & mask;
	}
}

static struct hot_entry *lookup(const struct hotness_table *t, uint32_t tgid,
				uint64_t addr)
{
	bool found;
	uint64_t i = find_slot(t, tgid, addr, hash_key(tgid, addr), &found);

	return found ? &t->ent[t->slots[i].idx] : NULL;
}

/* Slot whose index is @idx (the entry must be in the table). */
static uint64_t slot_of_index(const struct hotness_table *t, uint32_t idx)
{
	const struct hot_entry *e = &t->ent[idx];
	uint64_t mask = t->nr_slots - 1;
	uint64_t i = hash_key(e->tgid, e->addr) & mask;

	while (t->slots[i].idx != idx)
		i = (i + 1) & mask;
	return i;
}

/* Backward-shift deletion: keeps every probe chain gap-free. */
static void slot_delete(struct hotness_table *t, uint64_t hole)
{
	uint64_t mask = t->nr_slots - 1;
	uint64_t i = hole;

	for (;;) {
		struct hot_slot *s;
		uint64_t home;

		i = (i + 1) & mask;
		s = &t->slots[i];
		if (s->idx == SLOT_EMPTY)
			break;
		home = hash_key(t->ent[s->idx].tgid, t->ent[s->idx].addr) & mask;
		/* may s move to hole? only if home is not cyclically in (hole, i] */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			t->slots[hole] = *s;
			hole = i;
		}
	}
	t->slots[hole].idx = SLOT_EMPTY;
}

static void remove_at_slot(struct hotness_table *t, uint64_t slot)
{
	uint32_t idx = t->slots[slot].idx;
	uint32_t last = t->size - 1;

	slot_delete(t, slot);
	if (idx != last) {
		uint64_t ls = slot_of_index(t, last);

		t->ent[idx] = t->ent[last];
		t->slots[ls].idx = idx;
	}
	t->size--;
}

static void remove_index(struct hotness_table *t, uint32_t idx)
{
	remove_at_slot(t, slot_of_index(t, idx));
}

static struct hot_slot *alloc_slots(uint64_t nr_slots)
{
	return malloc(nr_slots * sizeof(struct hot_slot));
}

/* Index every entry into @s (nr_slots of them), which the table takes over. */
static void install_index(struct hotness_table *t, struct hot_slot *s,
			  uint64_t nr_slots)
{
	for (uint64_t i = 0; i < nr_slots; i++)
		s[i].idx = SLOT_EMPTY;
	free(t->slots);
	t->slots = s;
	t->nr_slots = nr_slots;
	for (uint32_t j = 0; j < t->size; j++) {
		const struct hot_entry *e = &t->ent[j];
		uint64_t h = hash_key(e->tgid, e->addr);
		bool found;
		uint64_t i = find_slot(t, e->tgid, e->addr, h, &found);

		t->slots[i].idx = j;
		t->slots[i].tag = (uint32_t)(h >> 32);
	}
}

static int rebuild_index(struct hotness_table *t, uint64_t nr_slots)
{
	struct hot_slot *s = alloc_slots(nr_slots);

	if (!s)
		return -ENOMEM;
	install_index(t, s, nr_slots);
	return 0;
}

/* Make room for one more entry below the cap (the table is not full). */
static int grow(struct hotness_table *t)
{
	uint64_t n;
	struct hot_entry *e;
	int r;

	if (t->size < t->ent_cap)
		return 0;
	n = (uint64_t)t->ent_cap * 2;
	if (n < MIN_DENSE)
		n = MIN_DENSE;
	if (n > t->p.cap)
		n = t->p.cap;
	e = realloc(t->ent, n * sizeof(*e));
	if (!e)
		return -ENOMEM;
	t->ent = e;
	if (slots_for((uint32_t)n) > t->nr_slots) {
		r = rebuild_index(t, slots_for((uint32_t)n));
		if (r < 0)
			return r;	/* ent grew, harmless: ent_cap unchanged */
	}
	t->ent_cap = (uint32_t)n;
	return 0;
}

static uint32_t coldest_sample(struct hotness_table *t, uint64_t now_ms,
			       double beat)
{
	uint32_t best = 0;
	double best_score = INFINITY;

	for (int round = 0; round < EVICT_ROUNDS; round++) {
		for (int s = 0; s < EVICT_SAMPLES; s++) {
			uint32_t i = (uint32_t)(rng_next(t) % t->size);
			double sc = peek_score(t, &t->ent[i], now_ms);

			if (sc < best_score) {
				best_score = sc;
				best = i;
			}
		}
		if (best_score <= beat)
			break;
	}
	return best;
}

int hotness_create(const struct hotness_params *p, struct hotness_table **out)
{
	struct hotness_table *t;

	if (hotness_params_invalid(p))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->p = *p;
	t->rng = 0x2545f4914f6cdd1dULL;
	fill_pow_table(t->pow_tab, p->decay);
	if (rebuild_index(t, 16) < 0) {
		free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void hotness_destroy(struct hotness_table *t)
{
	if (!t)
		return;
	free(t->ent);
	free(t->slots);
	free(t);
}

static int cmp_score_desc(const void *a, const void *b)
{
	const struct hot_candidate *x = a, *y = b;

	if (x->recheck != y->recheck)
		return x->recheck ? 1 : -1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

/*
 * Bounded min-heap over @out (root = coldest kept), so selecting the top
 * @max of n entries costs O(n log max) and no memory beyond @out.
 */
static void heap_sift_down(struct hot_candidate *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && cmp_score_desc(&h[l], &h[m]) > 0)
			m = l;
		if (r < n && cmp_score_desc(&h[r], &h[m]) > 0)
			m = r;
		if (m == i)
			return;
		struct hot_candidate tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

static void heap_sift_up(struct hot_candidate *h, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (cmp_score_desc(&h[i], &h[parent]) <= 0)
			return;
		struct hot_candidate tmp = h[i];
		h[i] = h[parent];
		h[parent] = tmp;
		i = parent;
	}
}

/* Offer one entry to the top-@max selection in @out holding *@n. */
static void heap_offer(struct hot_candidate *out, size_t max, size_t *n,
		       const struct hot_candidate *c)
{
	if (*n < max) {
		out[*n] = *c;
		heap_sift_up(out, *n);
		(*n)++;
	} else if (cmp_score_desc(c, &out[0]) < 0) {
		out[0] = *c;
		heap_sift_down(out, *n, 0);
	}
}

/* Shrink to @cap keeping the hottest as of the newest time seen. */
static void evict_down_to(struct hotness_table *t, uint32_t cap)
{
	struct hot_candidate *keep;
	size_t n = 0;

	if (t->size <= cap)
		return;
	keep = malloc((size_t)cap * sizeof(*keep));
	if (keep) {
		for (uint32_t i = 0; i < t->size; i++) {
			struct hot_candidate c = {
				.tgid = t->ent[i].tgid,
				.addr = t->ent[i].addr,
				.score = peek_score(t, &t->ent[i], t->latest_ms),
			};
			heap_offer(keep, cap, &n, &c);
		}
		/* the root is the coldest kept: drop everything strictly below it */
		for (uint32_t i = t->size; i-- > 0 && t->size > cap;) {
			struct hot_candidate c = {
				.tgid = t->ent[i].tgid,
				.addr = t->ent[i].addr,
				.score = peek_score(t, &t->ent[i], t->latest_ms),
			};
			if (cmp_score_desc(&c, &keep[0]) > 0) {
				remove_index(t, i);
				t->evictions++;
			}
		}
		free(keep);
	}
	/* no memory for the exact pass: fall back to sampling */
	while (t->size > cap) {
		remove_index(t, coldest_sample(t, t->latest_ms, -INFINITY));
		t->evictions++;
	}
}

int hotness_set_params(struct hotness_table *t, const struct hotness_params *p)
{
	if (hotness_params_invalid(p))
		return -EINVAL;
	if (p->cap < t->ent_cap) {
		/* allocate first, so a failure leaves the table as it was */
		uint64_t nr = slots_for(p->cap);
		struct hot_slot *s = alloc_slots(nr);
		struct hot_entry *e;

		if (!s)
			return -ENOMEM;
		evict_down_to(t, p->cap);
		install_index(t, s, nr);
		/* giving memory back; keeping the old block is fine if it fails */
		e = realloc(t->ent, (size_t)p->cap * sizeof(*e));
		if (e)
			t->ent = e;
		t->ent_cap = p->cap;
	}
	t->p = *p;
	fill_pow_table(t->pow_tab, p->decay);
	return 0;
}

static uint64_t cooldown_for(const struct hotness_table *t,
			     const struct hot_entry *e)
{
	uint64_t ceil = HOTNESS_COOLDOWN_MAX_MS;
	uint64_t cd = t->p.cooldown_ms;

	if (cd >= ceil || t->p.pingpong_backoff == 1)
		return cd;
	for (unsigned int i = 0; i < e->pingpongs && cd < ceil; i++)
		cd *= t->p.pingpong_backoff;	/* < 2^32 * 2^32: no overflow */
	return cd < ceil ? cd : ceil;
}

static void count_pingpong(struct hotness_table *t, struct hot_entry *e)
{
	if (e->pingpongs < UINT16_MAX)
		e->pingpongs++;
	e->state = HOT_ON_SLOW;
	t->pingpongs++;
}

int hotness_record(struct hotness_table *t, uint32_t tgid, uint64_t addr,
		   uint32_t faults, bool on_slow, uint64_t now_ms,
		   struct hot_record_result *res)
{
	uint64_t h = hash_key(tgid, addr);
	struct hot_record_result rr = { 0 };
	struct hot_entry *e;
	bool found;
	uint64_t i;
	int r;

	note_time(t, now_ms);
	i = find_slot(t, tgid, addr, h, &found);
	if (found) {
		e = &t->ent[t->slots[i].idx];
		apply_decay(t, e, now_ms);
		e->score += faults;
		if (on_slow) {
			if (e->state == HOT_PROMOTED) {
				count_pingpong(t, e);
				rr.pingpong = true;
			}
			e->state = HOT_ON_SLOW;
		}
		goto out;
	}

	if (t->size >= t->p.cap) {
		remove_index(t, coldest_sample(t, now_ms, faults));
		t->evictions++;
		rr.evicted = true;
	} else {
		r = grow(t);
		if (r < 0)
			return r;
	}
	/* growth or eviction moved things: find the free slot again */
	i = find_slot(t, tgid, addr, h, &found);
	e = &t->ent[t->size];
	*e = (struct hot_entry) {
		.addr = addr,
		.tgid = tgid,
		.stamp_ms = now_ms,
		.score = faults,
		.state = HOT_ON_SLOW,
	};
	t->slots[i].idx = t->size;
	t->slots[i].tag = (uint32_t)(h >> 32);
	t->size++;
	rr.inserted = true;
out:
	if (res)
		*res = rr;
	return 0;
}

size_t hotness_candidates(struct hotness_table *t, uint64_t now_ms,
			  double min_score, struct hot_candidate *out,
			  size_t max, uint64_t *nr_cooldown,
			  uint64_t *nr_qualified)
{
	uint64_t cooling = 0, qualified = 0;
	size_t n = 0;

	note_time(t, now_ms);
	for (uint32_t i = 0; i < t->size; i++) {
		struct hot_entry *e = &t->ent[i];
		double sc = apply_decay(t, e, now_ms);

		if (sc < min_score)
			continue;
		if (now_ms < e->cooldown_until) {
			cooling++;
			continue;
		}
		qualified++;
		if (max) {
			struct hot_candidate c = {
				.tgid = e->tgid, .addr = e->addr, .score = sc,
				.recheck = e->state != HOT_ON_SLOW,
			};
			heap_offer(out, max, &n, &c);
		}
	}
	if (n)
		qsort(out, n, sizeof(*out), cmp_score_desc);
	if (nr_cooldown)
		*nr_cooldown = cooling;
	if (nr_qualified)
		*nr_qualified = qualified;
	return n;
}

static void start_cooldown(struct hotness_table *t, uint32_t tgid,
			   uint64_t addr, uint64_t now_ms, enum hot_state st)
{
	struct hot_entry *e = lookup(t, tgid, addr);

	note_time(t, now_ms);
	/* evicted or forgotten since it was proposed: nothing to remember */
	if (!e)
		return;
	e->state = st;
	e->cooldown_until = now_ms + cooldown_for(t, e);
}

void hotness_mark_promoted(struct hotness_table *t, uint32_t tgid,
			   uint64_t addr, uint64_t now_ms)
{
	struct hot_entry *e = lookup(t, tgid, addr);

	if (e)
		e->failures = 0;
	start_cooldown(t, tgid, addr, now_ms, HOT_PROMOTED);
}

/* base * 2^(failures - 1), saturating at the ceiling */
static uint64_t failure_wait(const struct hotness_table *t,
			     const struct hot_entry *e)
{
	uint64_t ceil = HOTNESS_COOLDOWN_MAX_MS;
	uint64_t wait = t->p.failure_cooldown_ms;

	if (wait >= ceil)
		return wait;
	for (unsigned int i = 1; i < e->failures && wait < ceil; i++)
		wait *= 2;
	return wait < ceil ? wait : ceil;
}

void hotness_mark_failed(struct hotness_table *t, uint32_t tgid,
			 uint64_t addr, uint64_t now_ms)
{
	struct hot_entry *e = lookup(t, tgid, addr);

	note_time(t, now_ms);
	if (!e)
		return;
	if (e->failures < UINT8_MAX)
		e->failures++;
	e->cooldown_until = now_ms + failure_wait(t, e);
}

unsigned int hotness_failures(struct hotness_table *t, uint32_t tgid,
			      uint64_t addr)
{
	struct hot_entry *e = lookup(t, tgid, addr);

	return e ? e->failures : 0;
}

void hotness_mark_on_fast(struct hotness_table *t, uint32_t tgid,
			  uint64_t addr, uint64_t now_ms)
{
	struct hot_entry *e = lookup(t, tgid, addr);

	/*
	 * Still where we put it: it stays PROMOTED, so that a demotion
	 * after this re-check is a ping-pong too.
	 */
	start_cooldown(t, tgid, addr, now_ms,
		       e && e->state == HOT_PROMOTED ? HOT_PROMOTED : HOT_ON_FAST);
}

bool hotness_mark_on_slow(struct hotness_table *t, uint32_t tgid,
			  uint64_t addr, uint64_t now_ms)
{
	struct hot_entry *e = lookup(t, tgid, addr);

	note_time(t, now_ms);
	if (!e)
		return false;
	if (e->state == HOT_PROMOTED) {
		count_pingpong(t, e);
		return true;
	}
	e->state = HOT_ON_SLOW;
	return false;
}

void hotness_forget(struct hotness_table *t, uint32_t tgid, uint64_t addr)
{
	bool found;
	uint64_t i = find_slot(t, tgid, addr, hash_key(tgid, addr), &found);

	if (found)
		remove_at_slot(t, i);
}

void hotness_forget_tgid(struct hotness_table *t, uint32_t tgid)
{
	/* walking down: the entry moved into a gap was already visited */
	for (uint32_t i = t->size; i-- > 0;)
		if (t->ent[i].tgid == tgid)
			remove_index(t, i);
}

/*
 * Entries in cooldown are kept even when cold: they carry the promotion
 * state that ping-pong detection and backoff need.
 */
void hotness_age(struct hotness_table *t, uint64_t now_ms, double min_keep)
{
	note_time(t, now_ms);
	for (uint32_t i = t->size; i-- > 0;) {
		struct hot_entry *e = &t->ent[i];

		if (apply_decay(t, e, now_ms) < min_keep &&
		    now_ms >= e->cooldown_until)
			remove_index(t, i);
	}
}

void hotness_tgid_summary(struct hotness_table *t, uint32_t tgid,
			  uint64_t now_ms, double hot_score,
			  uint32_t *tracked, uint32_t *hot)
{
	uint32_t nt = 0, nh = 0;

	note_time(t, now_ms);
	for (uint32_t i = 0; i < t->size; i++) {
		struct hot_entry *e = &t->ent[i];

		if (e->tgid != tgid)
			continue;
		nt++;
		if (apply_decay(t, e, now_ms) >= hot_score)
			nh++;
	}
	if (tracked)
		*tracked = nt;
	if (hot)
		*hot = nh;
}

double hotness_score(struct hotness_table *t, uint32_t tgid, uint64_t addr,
		     uint64_t now_ms)
{
	struct hot_entry *e = lookup(t, tgid, addr);

	if (!e)
		return -1.0;
	note_time(t, now_ms);
	return apply_decay(t, e, now_ms);
}

size_t hotness_top(struct hotness_table *t, uint32_t tgid, uint64_t now_ms,
		   struct hot_candidate *out, size_t max)
{
	size_t n = 0;

	if (!max)
		return 0;
	note_time(t, now_ms);
	for (uint32_t i = 0; i < t->size; i++) {
		struct hot_entry *e = &t->ent[i];

		if (tgid && e->tgid != tgid)
			continue;
		struct hot_candidate c = {
			.tgid = e->tgid, .addr = e->addr,
			.score = apply_decay(t, e, now_ms),
		};
		heap_offer(out, max, &n, &c);
	}
	if (n)
		qsort(out, n, sizeof(*out), cmp_score_desc);
	return n;
}

void hotness_get_stats(const struct hotness_table *t, struct hotness_stats *st)
{
	st->size = t->size;
	st->cap = t->p.cap;
	st->evictions = t->evictions;
	st->pingpongs = t->pingpongs;
	st->bytes = sizeof(*t) + (uint64_t)t->ent_cap * sizeof(struct hot_entry) +
		    t->nr_slots * sizeof(struct hot_slot);
}
