// SPDX-License-Identifier: GPL-2.0
/*
 * Per-folio hotness table.
 *
 * Layout: entries live in a dense array (no holes: a removal moves the last
 * entry into the gap), found through an open-addressing index of 8-byte
 * slots {entry index, 32 hash bits} with linear probing and backward-shift
 * deletion, so there are no tombstones to clean up.  The index is sized to
 * exactly 5/3 of the entries (a multiply maps a hash onto it, so it need not
 * be a power of two): 32 bytes of entry plus about 13 of index per tracked
 * folio, where a power-of-two index at a higher load cost 11-21.
 *
 * Times inside the table are 32-bit milliseconds since t->base_ms, which
 * moves forward (a pass over every entry) once every 2^30 ms, so no entry
 * sees a wrapped clock.  Scores are floats: faults are small integers and
 * decay multiplies them; 24 bits of mantissa are plenty for a ranking.
 *
 * Decay is lazy: each entry keeps the start of its current window, and a
 * touch or scan multiplies the score by decay^k for the k whole windows that
 * passed, then advances the stamp by exactly k windows, so partial windows
 * never decay and never lose time.
 *
 * Ticks cost what changed, not the table's size.  A score only grows when a
 * record adds to it; between records it decays.  So every entry that can be
 * a candidate at a threshold was at or above it when it was last recorded:
 * the table keeps those in a candidate set (t->cand, each entry knowing its
 * place), adds an entry when a record lifts it to the threshold, and drops
 * it when a candidates pass finds it decayed below.  A pass costs the
 * records since the last one plus the candidates that stay hot.  The set is
 * built for one threshold; a call with another one (a reload) rebuilds it
 * with one full scan.  Ageing sweeps a slice of the table per call, sized
 * to what was inserted since, so garbage cannot pile up faster than it is
 * collected and a quiet table still empties within minutes.
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
#define NOT_CAND	UINT32_MAX
#define MIN_DENSE	1024
#define CAND_PREFETCH	16		/* entries ahead in a candidates pass */
/*
 * A folio that reached the threshold stays a candidate until its score
 * has decayed HOLD_WINDOWS windows below it (or it is moved).  Sparse
 * sources give one record per folio per kernel scan pass, seconds apart:
 * without the hold such a folio qualifies for one window only, and a
 * rate-limited bucket that cannot move the whole pass in that window
 * leaves the rest for the next pass.
 */
#define HOLD_WINDOWS	4
/* table-relative times are rebased before they reach 2^31 */
#define REBASE_AT	(1ULL << 31)
#define REBASE_KEEP	(1ULL << 30)
/* ageing: at least this many entries per call, and a full sweep per ... */
#define AGE_MIN_VISIT	4096u
#define AGE_SWEEP_CALLS	1024u		/* ... this many calls at most */
#define AGE_PER_INSERT	2u		/* visits per entry inserted since */

struct hot_entry {
	uint64_t addr;
	uint32_t tgid;
	float score;			/* as of stamp */
	uint32_t stamp;			/* start of the current window, rel. ms */
	uint32_t cooldown_until;	/* rel. ms; not a candidate before this */
	uint32_t cand_pos;		/* place in t->cand, or NOT_CAND */
	uint8_t state : 2;		/* enum hot_state */
	uint8_t held : 1;		/* qualified, and within HOLD_WINDOWS of it */
	uint8_t failures;		/* failed moves in a row, saturating */
	uint8_t pingpongs;		/* saturating: the backoff caps first */
	uint8_t arm_latency;		/* of the last record, hot_fault's */
};

_Static_assert(sizeof(struct hot_entry) == 32, "hot_entry grew");

/*
 * A candidate as one 128-bit sort key whose ascending order is the order
 * hotness_candidates() promises: not a re-check first, then score
 * descending (a non-negative float's bits order like its value, so the
 * complement orders the other way), then the sooner fault after a
 * re-arm, then tgid and address ascending.  Keys are unique, since
 * (tgid, addr) is.
 */
struct cand_key {
	uint64_t hi;		/* recheck:1, ~score bits:31, latency:8, tgid:24 */
	uint64_t lo;		/* addr */
};

struct hot_slot {
	uint32_t idx;			/* into the dense array, SLOT_EMPTY if free */
	uint32_t tag;			/* low hash bits: skip most key compares */
};

struct hotness_table {
	struct hotness_params p;
	double pow_tab[POW_TABLE];

	struct hot_entry *ent;
	uint32_t size;
	uint32_t ent_cap;		/* allocated entries, <= p.cap */

	struct hot_slot *slots;
	uint64_t nr_slots;

	/* entries that were >= set_min when last recorded or scanned */
	uint32_t *cand;
	uint32_t nr_cand;
	uint32_t cand_cap;
	bool set_valid;			/* false: rebuild on the next pass */
	double set_min;
	/* a pass's sort keys and the radix sort's second buffer */
	struct cand_key *keys;
	size_t keys_cap;

	uint32_t age_hand;		/* the sweep goes down from here */
	uint32_t inserted_since_age;

	uint64_t base_ms;		/* table-relative time 0 */
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
	if (p->window_ms > HOTNESS_PARAM_MS_MAX)
		return "window_ms is longer than a day";
	if (p->cooldown_ms > HOTNESS_PARAM_MS_MAX)
		return "cooldown_ms is longer than a day";
	if (p->failure_cooldown_ms > HOTNESS_PARAM_MS_MAX)
		return "failure_cooldown_ms is longer than a day";
	if (!(p->decay > 0.0 && p->decay < 1.0))
		return "decay must be strictly between 0 and 1";
	if (p->pingpong_backoff == 0)
		return "pingpong_backoff must be at least 1";
	return NULL;
}

static inline uint64_t hash_key(uint32_t tgid, uint64_t addr)
{
	/*
	 * Two multiplies and a fold: the home slot takes the product's high
	 * bits (home_slot()), the tag its folded low half.  Addresses differ
	 * in their middle bits, which a multiply carries upwards.
	 */
	uint64_t h = (addr ^ ((uint64_t)tgid * 0x9e3779b97f4a7c15ULL)) *
		     0xff51afd7ed558ccdULL;

	return h ^ (h >> 32);
}

/* Home slot: the hash's high bits scaled onto nr_slots (Lemire's range map). */
static uint64_t home_slot(const struct hotness_table *t, uint64_t h)
{
	return (uint64_t)(((unsigned __int128)h * t->nr_slots) >> 64);
}

static uint64_t next_slot(const struct hotness_table *t, uint64_t i)
{
	return i + 1 == t->nr_slots ? 0 : i + 1;
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
				const struct hot_entry *e, uint32_t now)
{
	uint32_t d;

	if (now <= e->stamp)
		return 0;
	d = now - e->stamp;
	/* most records land in the entry's current window: no division */
	return d < t->p.window_ms ? 0 : d / t->p.window_ms;
}

/* Score at @now without touching the entry. */
static double peek_score(const struct hotness_table *t,
			 const struct hot_entry *e, uint32_t now)
{
	uint64_t k = elapsed_windows(t, e, now);

	return k ? (double)e->score * decay_factor(t, k) : (double)e->score;
}

/* Bring the entry's score and stamp forward to @now. */
static inline double apply_decay(const struct hotness_table *t, struct hot_entry *e,
			  uint32_t now)
{
	uint64_t k = elapsed_windows(t, e, now);

	if (k) {
		e->score = (float)((double)e->score * decay_factor(t, k));
		e->stamp += (uint32_t)(k * t->p.window_ms);
	}
	return e->score;
}

/* Candidate set: add, remove, and keep places right when entries move. */
/* Callers check t->set_valid: a set being rebuilt, or cand_note(). */
static __attribute__((noinline)) void cand_add(struct hotness_table *t, uint32_t idx)
{
	if (t->nr_cand == t->cand_cap) {
		uint32_t n = t->cand_cap ? t->cand_cap * 2 : 256;
		uint32_t *c;

		if (n > t->ent_cap)
			n = t->ent_cap;
		c = realloc(t->cand, (size_t)n * sizeof(*c));
		if (!c) {
			/* the next pass rebuilds it with a full scan */
			t->set_valid = false;
			return;
		}
		t->cand = c;
		t->cand_cap = n;
	}
	t->ent[idx].cand_pos = t->nr_cand;
	t->cand[t->nr_cand++] = idx;
}

static void cand_remove(struct hotness_table *t, struct hot_entry *e)
{
	uint32_t pos = e->cand_pos, last;

	if (pos == NOT_CAND)
		return;
	last = t->cand[--t->nr_cand];
	if (pos != t->nr_cand) {
		t->cand[pos] = last;
		t->ent[last].cand_pos = pos;
	}
	e->cand_pos = NOT_CAND;
}

static void cand_clear(struct hotness_table *t)
{
	for (uint32_t i = 0; i < t->nr_cand; i++)
		t->ent[t->cand[i]].cand_pos = NOT_CAND;
	t->nr_cand = 0;
}

/* After a record or a re-check: does the entry belong in the set now? */
/* The score @e must keep to stay a candidate at @min_score. */
static double keep_score(const struct hotness_table *t,
			 const struct hot_entry *e, double min_score)
{
	return e->held ? min_score * t->pow_tab[HOLD_WINDOWS] : min_score;
}

static void cand_note(struct hotness_table *t, uint32_t idx)
{
	struct hot_entry *e = &t->ent[idx];

	if (e->cand_pos == NOT_CAND && t->set_valid &&
	    e->score >= keep_score(t, e, t->set_min))
		cand_add(t, idx);
}

/*
 * Move base_ms forward so that @now_ms is REBASE_KEEP past it: every entry
 * is decayed to now first, which leaves its stamp within a window of now,
 * and a cooldown that ended before the new base is simply over.
 */
static void rebase(struct hotness_table *t, uint64_t now_ms)
{
	uint64_t new_base = now_ms - REBASE_KEEP;
	uint32_t now = (uint32_t)(now_ms - t->base_ms);
	uint32_t shift;

	/* so far behind that nothing survives the shift: start over */
	if (now_ms - t->base_ms >= REBASE_AT + REBASE_KEEP) {
		for (uint32_t i = 0; i < t->size; i++) {
			t->ent[i].score = 0;
			t->ent[i].stamp = (uint32_t)REBASE_KEEP;
			t->ent[i].cooldown_until = 0;
		}
		t->base_ms = new_base;
		return;
	}
	shift = (uint32_t)(new_base - t->base_ms);
	for (uint32_t i = 0; i < t->size; i++) {
		struct hot_entry *e = &t->ent[i];

		apply_decay(t, e, now);
		e->stamp = e->stamp > shift ? e->stamp - shift : 0;
		e->cooldown_until = e->cooldown_until > shift ?
				    e->cooldown_until - shift : 0;
	}
	t->base_ms = new_base;
}

/* Table-relative time of @now_ms; notes the newest time seen. */
static __attribute__((noinline)) uint32_t rel_time_slow(struct hotness_table *t,
							 uint64_t now_ms)
{
	if (now_ms < t->base_ms)
		return 0;
	rebase(t, now_ms);
	return (uint32_t)(now_ms - t->base_ms);
}

static inline __attribute__((always_inline)) uint32_t
rel_time(struct hotness_table *t, uint64_t now_ms)
{
	uint64_t d = now_ms - t->base_ms;

	if (now_ms > t->latest_ms)
		t->latest_ms = now_ms;
	/* one compare covers both: before the base, d wraps past REBASE_AT */
	if (__builtin_expect(d < REBASE_AT, 1))
		return (uint32_t)d;
	return rel_time_slow(t, now_ms);
}

static uint64_t slots_for(uint32_t entries)
{
	/* load factor <= 0.6: a hit takes 1.75 probes on average */
	uint64_t want = (uint64_t)entries + entries * 2ULL / 3 + 1;

	return want < 16 ? 16 : want;
}

/* Slot holding (tgid, addr), or the empty slot where it would go. */
static inline __attribute__((always_inline)) uint64_t find_slot(const struct hotness_table *t, uint32_t tgid,
			  uint64_t addr, uint64_t h, bool *found)
{
	uint32_t tag = (uint32_t)h;
	uint64_t i = home_slot(t, h);

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
		i = next_slot(t, i);
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
	uint64_t i = home_slot(t, hash_key(e->tgid, e->addr));

	while (t->slots[i].idx != idx)
		i = next_slot(t, i);
	return i;
}

/* Cyclic distance from slot @a forward to slot @b. */
static uint64_t slot_dist(const struct hotness_table *t, uint64_t a, uint64_t b)
{
	return b >= a ? b - a : b + t->nr_slots - a;
}

/* Backward-shift deletion: keeps every probe chain gap-free. */
static void slot_delete(struct hotness_table *t, uint64_t hole)
{
	uint64_t i = hole;

	for (;;) {
		struct hot_slot *s;
		uint64_t home;

		i = next_slot(t, i);
		s = &t->slots[i];
		if (s->idx == SLOT_EMPTY)
			break;
		home = home_slot(t, hash_key(t->ent[s->idx].tgid,
					     t->ent[s->idx].addr));
		/* may s move to hole? only if home is not cyclically in (hole, i] */
		if (slot_dist(t, home, i) >= slot_dist(t, hole, i)) {
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

	cand_remove(t, &t->ent[idx]);
	slot_delete(t, slot);
	if (idx != last) {
		uint64_t ls = slot_of_index(t, last);

		t->ent[idx] = t->ent[last];
		t->slots[ls].idx = idx;
		if (t->ent[idx].cand_pos != NOT_CAND)
			t->cand[t->ent[idx].cand_pos] = idx;
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
		t->slots[i].tag = (uint32_t)h;
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

static uint32_t coldest_sample(struct hotness_table *t, uint32_t now,
			       double beat)
{
	uint32_t best = 0;
	double best_score = INFINITY;

	for (int round = 0; round < EVICT_ROUNDS; round++) {
		for (int s = 0; s < EVICT_SAMPLES; s++) {
			uint32_t i = (uint32_t)(rng_next(t) % t->size);
			double sc = peek_score(t, &t->ent[i], now);

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
	free(t->cand);
	free(t->keys);
	free(t);
}

static int cmp_score_desc(const void *a, const void *b)
{
	const struct hot_candidate *x = a, *y = b;

	if (x->recheck != y->recheck)
		return x->recheck ? 1 : -1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->arm_latency != y->arm_latency)
		return x->arm_latency < y->arm_latency ? -1 : 1;
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
	uint32_t latest = rel_time(t, t->latest_ms);
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
				.score = peek_score(t, &t->ent[i], latest),
			};
			heap_offer(keep, cap, &n, &c);
		}
		/* the root is the coldest kept: drop everything strictly below it */
		for (uint32_t i = t->size; i-- > 0 && t->size > cap;) {
			struct hot_candidate c = {
				.tgid = t->ent[i].tgid,
				.addr = t->ent[i].addr,
				.score = peek_score(t, &t->ent[i], latest),
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
		remove_index(t, coldest_sample(t, latest, -INFINITY));
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
		if (t->cand_cap > p->cap) {
			uint32_t *c = realloc(t->cand, (size_t)p->cap * sizeof(*c));

			if (c) {
				t->cand = c;
				t->cand_cap = p->cap;
			}
		}
	}
	if (p->decay != t->p.decay || p->window_ms != t->p.window_ms) {
		/* the windows that passed decay at the rate of their time */
		uint32_t latest = rel_time(t, t->latest_ms);

		for (uint32_t i = 0; i < t->size; i++)
			apply_decay(t, &t->ent[i], latest);
	}
	t->p = *p;
	fill_pow_table(t->pow_tab, p->decay);
	/* scores now decay at another rate: rebuild the set on the next pass */
	t->set_valid = false;
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

static __attribute__((noinline)) void count_pingpong(struct hotness_table *t,
						    struct hot_entry *e)
{
	if (e->pingpongs < UINT8_MAX)
		e->pingpongs++;
	e->state = HOT_ON_SLOW;
	t->pingpongs++;
}

/* A folio the table has not seen: evict or grow, then insert at slot @i. */
static __attribute__((noinline)) int record_new(struct hotness_table *t,
						uint32_t tgid, uint64_t addr,
						uint32_t faults,
						uint8_t arm_latency,
						uint64_t h, uint64_t i,
						uint32_t now,
						struct hot_record_result *res)
{
	bool evicted = false, found;
	uint32_t idx;
	int r;

	if (t->size >= t->p.cap) {
		remove_index(t, coldest_sample(t, now, faults));
		t->evictions++;
		evicted = true;
		/* the removal shifted slots: find the free one again */
		i = find_slot(t, tgid, addr, h, &found);
	} else if (t->size == t->ent_cap) {
		r = grow(t);
		if (r < 0)
			return r;
		/* the index may have been rebuilt */
		i = find_slot(t, tgid, addr, h, &found);
	}
	idx = t->size;
	t->ent[idx] = (struct hot_entry) {
		.addr = addr,
		.tgid = tgid,
		.stamp = now,
		.score = (float)faults,
		.state = HOT_ON_SLOW,
		.cand_pos = NOT_CAND,
		.arm_latency = arm_latency,
	};
	t->slots[i].idx = idx;
	t->slots[i].tag = (uint32_t)h;
	t->size++;
	t->inserted_since_age++;
	cand_note(t, idx);
	if (res)
		*res = (struct hot_record_result) {
			.inserted = true, .evicted = evicted,
		};
	return 0;
}

/*
 * The path of every ring-buffer record: kept small (the insert is out of
 * line) because bench/instructions.sh counts it per record; in line in
 * both entry points, so neither pays for the other's argument shape.
 */
static inline __attribute__((always_inline)) int
record_one(struct hotness_table *t, uint32_t tgid, uint64_t addr,
	   uint32_t faults, bool on_slow, uint8_t arm_latency,
	   uint64_t now_ms, struct hot_record_result *res)
{
	uint64_t h = hash_key(tgid, addr);
	uint32_t now = rel_time(t, now_ms);
	bool found, pingpong = false;
	struct hot_entry *e;
	uint32_t idx;
	uint64_t i;

	/* a sort key holds 24 bits of it; Linux's pids stay below 2^22 */
	if (tgid > HOTNESS_TGID_MAX)
		return -EINVAL;
	i = find_slot(t, tgid, addr, h, &found);
	if (!found)
		return record_new(t, tgid, addr, faults, arm_latency, h, i,
				  now, res);
	idx = t->slots[i].idx;
	e = &t->ent[idx];
	apply_decay(t, e, now);
	e->score += (float)faults;
	e->arm_latency = arm_latency;
	if (on_slow) {
		if (e->state == HOT_PROMOTED) {
			count_pingpong(t, e);
			pingpong = true;
		}
		e->state = HOT_ON_SLOW;
	}
	cand_note(t, idx);
	if (res)
		*res = (struct hot_record_result) { .pingpong = pingpong };
	return 0;
}

int hotness_record_fault(struct hotness_table *t, const struct hot_fault *f,
			 uint64_t now_ms, struct hot_record_result *res)
{
	return record_one(t, f->tgid, f->addr, f->faults, f->on_slow,
			  f->arm_latency, now_ms, res);
}

int hotness_record(struct hotness_table *t, uint32_t tgid, uint64_t addr,
		   uint32_t faults, bool on_slow, uint64_t now_ms,
		   struct hot_record_result *res)
{
	return record_one(t, tgid, addr, faults, on_slow,
			  HOTNESS_LATENCY_UNKNOWN, now_ms, res);
}

/*
 * One entry's part in a candidates pass: decay it, then count it in
 * cooldown or as qualified.  Returns its score, or -1 when it fell below
 * what it must keep (@min_score, or less while it is held).
 */
static double pass_entry(struct hotness_table *t, struct hot_entry *e,
			 uint32_t now, double min_score, uint64_t *cooling,
			 uint64_t *qualified, bool *ready)
{
	double sc = apply_decay(t, e, now);

	*ready = false;
	if (sc < keep_score(t, e, min_score)) {
		e->held = 0;
		return -1.0;
	}
	/* only what waits to be moved is held; a re-check is not */
	if (sc >= min_score && e->state == HOT_ON_SLOW)
		e->held = 1;
	if (now < e->cooldown_until) {
		(*cooling)++;
		return sc;
	}
	(*qualified)++;
	*ready = true;
	return sc;
}

static size_t finish_pass(size_t n, uint64_t cooling, uint64_t qualified,
			  uint64_t *nr_cooldown, uint64_t *nr_qualified)
{
	if (nr_cooldown)
		*nr_cooldown = cooling;
	if (nr_qualified)
		*nr_qualified = qualified;
	return n;
}

size_t hotness_candidates_scan(struct hotness_table *t, uint64_t now_ms,
			       double min_score, struct hot_candidate *out,
			       size_t max, uint64_t *nr_cooldown,
			       uint64_t *nr_qualified)
{
	uint32_t now = rel_time(t, now_ms);
	uint64_t cooling = 0, qualified = 0;
	size_t n = 0;

	for (uint32_t i = 0; i < t->size; i++) {
		struct hot_entry *e = &t->ent[i];
		bool ready;
		double sc = pass_entry(t, e, now, min_score, &cooling,
				       &qualified, &ready);

		if (ready && max) {
			struct hot_candidate c = {
				.tgid = e->tgid, .addr = e->addr, .score = sc,
				.recheck = e->state != HOT_ON_SLOW,
				.arm_latency = e->arm_latency,
			};
			heap_offer(out, max, &n, &c);
		}
	}
	if (n)
		qsort(out, n, sizeof(*out), cmp_score_desc);
	return finish_pass(n, cooling, qualified, nr_cooldown,
			   nr_qualified);
}

/* One full scan: the set holds exactly the entries at or above @min_score. */
static void rebuild_set(struct hotness_table *t, uint32_t now, double min_score)
{
	cand_clear(t);
	t->set_min = min_score;
	t->set_valid = true;
	for (uint32_t i = 0; i < t->size && t->set_valid; i++) {
		struct hot_entry *e = &t->ent[i];

		/* as a pass would: a hold that ran out ends here */
		if (apply_decay(t, e, now) >= keep_score(t, e, min_score))
			cand_add(t, i);
		else
			e->held = 0;
	}
}

static struct cand_key key_of(const struct hot_entry *e, float score)
{
	uint32_t bits;

	memcpy(&bits, &score, sizeof(bits));
	return (struct cand_key) {
		.hi = (uint64_t)(e->state != HOT_ON_SLOW) << 63 |
		      (uint64_t)(~bits & 0x7fffffffu) << 32 |
		      (uint64_t)e->arm_latency << 24 | e->tgid,
		.lo = e->addr,
	};
}

static struct hot_candidate candidate_of(struct cand_key k)
{
	uint32_t bits = ~(uint32_t)(k.hi >> 32) & 0x7fffffffu;
	float score;

	memcpy(&score, &bits, sizeof(score));
	return (struct hot_candidate) {
		.tgid = (uint32_t)k.hi & HOTNESS_TGID_MAX,
		.arm_latency = (uint8_t)(k.hi >> 24),
		.recheck = k.hi >> 63,
		.addr = k.lo,
		.score = score,
	};
}

static bool key_less(const struct cand_key *a, const struct cand_key *b)
{
	return a->hi < b->hi || (a->hi == b->hi && a->lo < b->lo);
}

static void key_swap(struct cand_key *a, struct cand_key *b)
{
	struct cand_key tmp = *a;

	*a = *b;
	*b = tmp;
}

/*
 * Quickselect: afterwards k[0..m) are the m smallest of k[0..n), in no
 * order.  Expected O(n); keys are unique, so Hoare's scheme is enough.
 */
static void select_smallest(struct cand_key *k, size_t n, size_t m)
{
	int64_t lo = 0, hi = (int64_t)n, want = (int64_t)m;

	while (hi - lo > 1 && want > lo && want < hi) {
		/* never the last element, so Hoare's j stays below hi - 1 */
		int64_t mid = lo + (hi - lo - 1) / 2, i = lo - 1, j = hi;
		struct cand_key pivot;

		/* median of three, moved to the middle */
		if (key_less(&k[mid], &k[lo]))
			key_swap(&k[mid], &k[lo]);
		if (key_less(&k[hi - 1], &k[mid]))
			key_swap(&k[hi - 1], &k[mid]);
		if (key_less(&k[mid], &k[lo]))
			key_swap(&k[mid], &k[lo]);
		pivot = k[mid];
		for (;;) {
			do
				i++;
			while (key_less(&k[i], &pivot));
			do
				j--;
			while (key_less(&pivot, &k[j]));
			if (i >= j)
				break;
			key_swap(&k[i], &k[j]);
		}
		/* k[lo..j] <= pivot <= k[j+1..hi) */
		if (want <= j + 1)
			hi = j + 1;
		else
			lo = j + 1;
	}
}

/*
 * LSD radix sort of @n keys, a byte at a time from the address's lowest,
 * using @tmp as the second buffer; a byte that is the same in every key
 * (an address's page offset, a tgid's high bytes) costs no pass.
 * Returns the buffer that holds the result.
 */
static struct cand_key *radix_sort(struct cand_key *k, struct cand_key *tmp,
				   size_t n)
{
	static const unsigned int nr_bytes = 16;
	size_t count[16][256];
	struct cand_key *src = k, *dst = tmp;

	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
		for (unsigned int b = 0; b < 8; b++) {
			count[b][(k[i].lo >> (8 * b)) & 0xff]++;
			count[8 + b][(k[i].hi >> (8 * b)) & 0xff]++;
		}
	for (unsigned int b = 0; b < nr_bytes; b++) {
		size_t pos = 0;
		unsigned int shift = 8 * (b & 7);
		bool hi = b >= 8;

		if (count[b][(hi ? k[0].hi : k[0].lo) >> shift & 0xff] == n)
			continue;
		for (unsigned int v = 0; v < 256; v++) {
			size_t c = count[b][v];

			count[b][v] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++) {
			unsigned int v = ((hi ? src[i].hi : src[i].lo) >> shift) & 0xff;

			dst[count[b][v]++] = src[i];
		}
		struct cand_key *swap = src;

		src = dst;
		dst = swap;
	}
	return src;
}

static int keys_reserve(struct hotness_table *t, size_t n)
{
	struct cand_key *k;
	size_t want;

	if (n <= t->keys_cap)
		return 0;
	want = n < 1024 ? 1024 : n + n / 2;
	/* the keys and the radix sort's buffer, in one block */
	k = realloc(t->keys, 2 * want * sizeof(*k));
	if (!k)
		return -ENOMEM;
	t->keys = k;
	t->keys_cap = want;
	return 0;
}

size_t hotness_candidates(struct hotness_table *t, uint64_t now_ms,
			  double min_score, struct hot_candidate *out,
			  size_t max, uint64_t *nr_cooldown,
			  uint64_t *nr_qualified)
{
	uint32_t now = rel_time(t, now_ms);
	uint64_t cooling = 0, qualified = 0;
	struct cand_key *sorted;
	size_t n = 0;

	if (!t->set_valid || t->set_min != min_score)
		rebuild_set(t, now, min_score);
	/* no memory for the set or its keys: scan this time */
	if (!t->set_valid || keys_reserve(t, t->nr_cand) < 0)
		return hotness_candidates_scan(t, now_ms, min_score, out, max,
					       nr_cooldown, nr_qualified);
	/*
	 * Walking down: the entry swapped into a gap was already visited.
	 * The set's entries are scattered over the table: ask for the ones a
	 * few steps ahead while this one is worked on, so the misses overlap.
	 */
	for (uint32_t i = t->nr_cand; i-- > 0;) {
		struct hot_entry *e = &t->ent[t->cand[i]];
		bool ready;
		double sc;

		if (i >= CAND_PREFETCH)
			__builtin_prefetch(&t->ent[t->cand[i - CAND_PREFETCH]], 1);
		sc = pass_entry(t, e, now, min_score, &cooling, &qualified,
				&ready);
		if (sc < 0)
			cand_remove(t, e);
		else if (ready && max)
			t->keys[n++] = key_of(e, (float)sc);
	}
	/* the top @max of what qualified, in order, at O(n) + O(max) */
	if (n > max) {
		select_smallest(t->keys, n, max);
		n = max;
	}
	if (n) {
		sorted = radix_sort(t->keys, t->keys + t->keys_cap, n);
		for (size_t i = 0; i < n; i++)
			out[i] = candidate_of(sorted[i]);
	}
	return finish_pass(n, cooling, qualified, nr_cooldown,
			   nr_qualified);
}

static void start_cooldown(struct hotness_table *t, uint32_t tgid,
			   uint64_t addr, uint64_t now_ms, enum hot_state st)
{
	struct hot_entry *e = lookup(t, tgid, addr);
	uint32_t now = rel_time(t, now_ms);
	uint64_t until;

	/* evicted or forgotten since it was proposed: nothing to remember */
	if (!e)
		return;
	e->state = st;
	e->held = 0;		/* moved, or found moved: nothing to wait for */
	until = now + cooldown_for(t, e);	/* < 2^31 + a day: fits */
	e->cooldown_until = (uint32_t)until;
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
	uint32_t now = rel_time(t, now_ms);

	if (!e)
		return;
	if (e->failures < UINT8_MAX)
		e->failures++;
	e->cooldown_until = (uint32_t)(now + failure_wait(t, e));
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

	rel_time(t, now_ms);
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
static void age_entry(struct hotness_table *t, uint32_t i, uint32_t now,
		      double min_keep)
{
	struct hot_entry *e = &t->ent[i];

	if (apply_decay(t, e, now) < min_keep && now >= e->cooldown_until)
		remove_index(t, i);
}

void hotness_age(struct hotness_table *t, uint64_t now_ms, double min_keep)
{
	uint32_t now = rel_time(t, now_ms);
	uint64_t budget = (uint64_t)t->inserted_since_age * AGE_PER_INSERT;

	t->inserted_since_age = 0;
	if (budget < AGE_MIN_VISIT)
		budget = AGE_MIN_VISIT;
	if (budget < t->size / AGE_SWEEP_CALLS)
		budget = t->size / AGE_SWEEP_CALLS;
	if (budget >= t->size) {
		for (uint32_t i = t->size; i-- > 0;)
			age_entry(t, i, now, min_keep);
		t->age_hand = t->size;
		return;
	}
	/*
	 * A slice, going down from the hand: an entry moved into a gap comes
	 * from the top, visited already or inserted since the sweep began.
	 */
	while (budget--) {
		if (t->age_hand == 0 || t->age_hand > t->size)
			t->age_hand = t->size;
		age_entry(t, --t->age_hand, now, min_keep);
	}
}

void hotness_tgid_summary(struct hotness_table *t, uint32_t tgid,
			  uint64_t now_ms, double hot_score,
			  uint32_t *tracked, uint32_t *hot)
{
	uint32_t now = rel_time(t, now_ms);
	uint32_t nt = 0, nh = 0;

	for (uint32_t i = 0; i < t->size; i++) {
		const struct hot_entry *e = &t->ent[i];

		if (e->tgid != tgid)
			continue;
		nt++;
		if (peek_score(t, e, now) >= hot_score)
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
	uint32_t now = rel_time(t, now_ms);

	if (!e)
		return -1.0;
	return apply_decay(t, e, now);
}

size_t hotness_top(struct hotness_table *t, uint32_t tgid, uint64_t now_ms,
		   struct hot_candidate *out, size_t max)
{
	uint32_t now = rel_time(t, now_ms);
	size_t n = 0;

	if (!max)
		return 0;
	for (uint32_t i = 0; i < t->size; i++) {
		const struct hot_entry *e = &t->ent[i];

		if (tgid && e->tgid != tgid)
			continue;
		struct hot_candidate c = {
			.tgid = e->tgid, .addr = e->addr,
			.score = peek_score(t, e, now),
			.arm_latency = e->arm_latency,
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
	st->candidates = t->nr_cand;
	st->bytes = sizeof(*t) + (uint64_t)t->ent_cap * sizeof(struct hot_entry) +
		    t->nr_slots * sizeof(struct hot_slot) +
		    (uint64_t)t->cand_cap * sizeof(uint32_t) +
		    2 * (uint64_t)t->keys_cap * sizeof(struct cand_key);
}
