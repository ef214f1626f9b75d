/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-folio hotness table: pure C, no syscalls, time passed in by the caller.
 *
 * Keyed by (tgid, granule-aligned address).  Scores decay exponentially per
 * window (lazily, on touch and on scan), folios in cooldown after a promotion
 * are not candidates, and a promoted folio that shows up on the slow tier
 * again counts as a ping-pong and lengthens its next cooldown.  A folio
 * the kernel would not move for a reason that may pass (busy, pinned, no
 * memory on the target) waits too, twice as long after each failure in a
 * row, so it is not asked for again every pass.  Memory is
 * bounded by a cap; inserting into a full table evicts the coldest entry.
 */
#ifndef TIERD_HOTNESS_H
#define TIERD_HOTNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hot_state {
	HOT_ON_SLOW = 0,	/* believed on a slow node (or unknown) */
	HOT_PROMOTED,		/* we moved it to the fast node */
	HOT_ON_FAST,		/* found already on the fast node */
};

struct hotness_params {
	uint32_t cap;			/* max entries */
	uint32_t window_ms;		/* decay step */
	double decay;			/* score factor per window, (0,1) */
	uint32_t cooldown_ms;		/* after a promotion */
	uint32_t pingpong_backoff;	/* cooldown *= backoff^pingpongs */
	uint32_t failure_cooldown_ms;	/* after a failed move, doubling */
};

struct hot_candidate {
	uint32_t tgid;
	/*
	 * Believed on the fast node already (PROMOTED or ON_FAST): offered
	 * only so its location is checked again (a demotion makes it a
	 * ping-pong).  Ranked after every folio believed on the slow tier.
	 */
	bool recheck;
	uint8_t arm_latency;	/* hot_fault's, of its last record */
	uint64_t addr;
	double score;
};

/* One record as the pipeline has it, for hotness_record_fault(). */
struct hot_fault {
	uint64_t addr;
	uint32_t tgid;		/* at most HOTNESS_TGID_MAX */
	uint32_t faults;	/* score it adds */
	bool on_slow;		/* see hotness_record() */
	/*
	 * How soon after its source re-armed the folio faulted, in 255ths
	 * of the re-arm interval, or HOTNESS_LATENCY_UNKNOWN.  Among folios
	 * of the same score the sooner one is offered first: at equal fault
	 * counts, the shorter time to the first access after arming is the
	 * higher access rate (the NUMA-balancing hint-fault latency idea).
	 */
	uint8_t arm_latency;
};

#define HOTNESS_LATENCY_UNKNOWN	255
/* Largest tgid the table takes (PID_MAX_LIMIT is 2^22). */
#define HOTNESS_TGID_MAX	((1u << 24) - 1)

/* Returned by hotness_record(). */
struct hot_record_result {
	bool inserted;		/* new entry */
	bool evicted;		/* a colder entry was evicted to make room */
	bool pingpong;		/* entry was PROMOTED and seen on slow again */
};

struct hotness_stats {
	uint64_t size;
	uint64_t cap;
	uint64_t evictions;
	uint64_t pingpongs;
	uint64_t candidates;	/* entries in the candidate set */
	uint64_t bytes;		/* memory the table holds */
};

struct hotness_table;

/* Largest cap accepted (entries are indexed by 32-bit slots). */
#define HOTNESS_CAP_MAX (1u << 30)
/* Longest window_ms, cooldown_ms and failure_cooldown_ms accepted: a day. */
#define HOTNESS_PARAM_MS_MAX (86400u * 1000u)
/* Ping-pong backoff never stretches a cooldown past this (or cooldown_ms). */
#define HOTNESS_COOLDOWN_MAX_MS (3600u * 1000u)

/* NULL when @p is usable, else what is wrong with it, for the caller's log. */
const char *hotness_params_invalid(const struct hotness_params *p);

/* Returns 0 and a new table in *out, or -EINVAL / -ENOMEM. */
int hotness_create(const struct hotness_params *p, struct hotness_table **out);
void hotness_destroy(struct hotness_table *t);

/*
 * Change decay/window/cooldown/backoff (and shrink or grow the cap, evicting
 * the coldest when shrinking) on reload.  Returns 0 or -EINVAL/-ENOMEM with
 * the table unchanged.
 */
int hotness_set_params(struct hotness_table *t, const struct hotness_params *p);

/*
 * Add @faults write faults for (tgid, addr) seen at @now_ms.  @on_slow says
 * whether the source knows the folio is on a slow node now (private-node
 * source: always true); a PROMOTED entry seen on slow is a ping-pong.
 * Returns 0, -EINVAL for a tgid above HOTNESS_TGID_MAX, or -ENOMEM.
 */
int hotness_record(struct hotness_table *t, uint32_t tgid, uint64_t addr,
		   uint32_t faults, bool on_slow, uint64_t now_ms,
		   struct hot_record_result *res);
/* The same, with the record's re-arm latency (hot_fault). */
int hotness_record_fault(struct hotness_table *t, const struct hot_fault *f,
			 uint64_t now_ms, struct hot_record_result *res);

/*
 * Fill @out with up to @max folios whose decayed score at @now_ms is
 * >= @min_score and that are not in cooldown: those believed on the slow
 * tier first, then the re-checks, each hottest first (equal scores: the
 * lower arm_latency first, then tgid and address).  Returns the
 * number written.  *@nr_cooldown (may be NULL) gets how many folios at or
 * above @min_score were skipped for cooldown; *@nr_qualified (may be NULL)
 * how many were not, written to @out or not (past @max).  Costs the
 * records since the last call plus the folios at or above @min_score; the
 * first call, and a call with another @min_score, scan the whole table.
 */
size_t hotness_candidates(struct hotness_table *t, uint64_t now_ms,
			  double min_score, struct hot_candidate *out,
			  size_t max, uint64_t *nr_cooldown,
			  uint64_t *nr_qualified);

/*
 * The same selection by a scan of the whole table: what
 * hotness_candidates() did before it kept a candidate set.  The reference
 * for tests and benchmarks; the daemon does not call it.
 */
size_t hotness_candidates_scan(struct hotness_table *t, uint64_t now_ms,
			       double min_score, struct hot_candidate *out,
			       size_t max, uint64_t *nr_cooldown,
			       uint64_t *nr_qualified);

/* The migrator moved it: PROMOTED, cooldown starts at @now_ms. */
void hotness_mark_promoted(struct hotness_table *t, uint32_t tgid,
			   uint64_t addr, uint64_t now_ms);
/*
 * Found on the fast node: cooldown starts at @now_ms; ON_FAST, unless we
 * promoted it (it stays PROMOTED: a later demotion is a ping-pong).
 */
void hotness_mark_on_fast(struct hotness_table *t, uint32_t tgid,
			  uint64_t addr, uint64_t now_ms);
/*
 * Found on a slow node by a location query; a PROMOTED entry becomes a
 * ping-pong.  Returns true when it was one.
 */
bool hotness_mark_on_slow(struct hotness_table *t, uint32_t tgid,
			  uint64_t addr, uint64_t now_ms);
/*
 * The kernel did not move it, for a reason that may pass: not a candidate
 * for failure_cooldown_ms * 2^(failures in a row - 1), at most
 * HOTNESS_COOLDOWN_MAX_MS.  A promotion ends the run.
 */
void hotness_mark_failed(struct hotness_table *t, uint32_t tgid,
			 uint64_t addr, uint64_t now_ms);
/* Failures in a row of one entry, 0 if absent (for tests and tierctl). */
unsigned int hotness_failures(struct hotness_table *t, uint32_t tgid,
			      uint64_t addr);
/* Could not be moved for good (ENOENT, EFAULT, EACCES): drop the entry. */
void hotness_forget(struct hotness_table *t, uint32_t tgid, uint64_t addr);
/* The process exited. */
void hotness_forget_tgid(struct hotness_table *t, uint32_t tgid);

/*
 * Decay entries to @now_ms and drop those whose score fell below @floor and
 * whose cooldown is over: every entry when the table is small, else a
 * slice of a sweep (twice what was inserted since the last call, at least
 * 4096 entries and 1/1024 of the table), so a call costs what changed.
 */
void hotness_age(struct hotness_table *t, uint64_t now_ms, double floor);

/* Per-tgid summary: entries and entries with score >= @hot_score. */
void hotness_tgid_summary(struct hotness_table *t, uint32_t tgid,
			  uint64_t now_ms, double hot_score,
			  uint32_t *tracked, uint32_t *hot);

/* Score of one entry at @now_ms, or -1 if absent (for tests and tierctl). */
double hotness_score(struct hotness_table *t, uint32_t tgid, uint64_t addr,
		     uint64_t now_ms);

/*
 * Hottest entries of @tgid (all tgids when 0) regardless of cooldown, by
 * decayed score at @now_ms.  Returns the number written.
 */
size_t hotness_top(struct hotness_table *t, uint32_t tgid, uint64_t now_ms,
		   struct hot_candidate *out, size_t max);

void hotness_get_stats(const struct hotness_table *t, struct hotness_stats *st);

#endif /* TIERD_HOTNESS_H */
