// SPDX-License-Identifier: GPL-2.0
/*
 * tierd's write-fault collectors.  Every source funnels into one
 * aggregation step: faults are counted per (tgid, granule) inside a time
 * window in the `folios` LRU hash, and only the faults that bring a
 * granule to the threshold, twice it, four times it ... ship a record over
 * the `events` ring buffer.  The daemon therefore sees a few records per
 * hot folio per window (reports_per_window at most), not one per fault,
 * and still sees how hot it is.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tierd.h"

char LICENSE[] SEC("license") = "GPL";

#define TIERD_PAGE_SHIFT	12
/* A folio order past this is not a real folio: keep the shift sane. */
#define TIERD_MAX_ORDER		18
#define TIERD_EEXIST		17

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);		/* set by the daemon before load */
	__type(key, struct tierd_folio_key);
	__type(value, struct tierd_folio_val);
} folios SEC(".maps");

/*
 * Per-CPU cache of folios that sent their last record of the current
 * window.  Until that window ends another fault of such a folio changes
 * nothing the daemon sees (the next record needs a new window), so it
 * skips the hash.  Direct-mapped, filled when the hash path finds a folio
 * reported; a collision only sends the next fault back to the hash.  Not
 * for the private-node source, whose program deletes folio entries when
 * the kernel moves a folio: a slot on another CPU would not see that.
 * One array element per CPU holds every slot, so a lookup touches one
 * slot's cache line and no per-slot pointer; jiffies clock only, whose
 * window ends fit 32 bits.  A fault that comes between the three stores
 * of a slot (raw_tp programs run with migration disabled, not preemption)
 * reads a mix of the old and the new slot: at worst a folio of the old
 * slot's process at the new slot's address goes uncounted until the old
 * slot's window end.
 */
struct reported_slot {
	__u64 key;		/* granule address | source | reported_gen << 2 */
	__u32 tgid;
	__u32 window_end;	/* low 32 bits of jiffies */
};

#define TIERD_REPORTED_SLOTS	1024	/* a power of two; 16 KiB per CPU */
/* the granule address's low 12 bits hold the source and 10 bits of gen */
#define TIERD_REPORTED_TAG_MASK	((1U << TIERD_PAGE_SHIFT) - 1)
_Static_assert(TIERD_SRC_NR <= 4, "a reported_slot key has 2 bits of source");

struct reported_cache {
	struct reported_slot slot[TIERD_REPORTED_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct reported_cache);
} reported SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);		/* set by the daemon before load */
} events SEC(".maps");


/*
 * The two private-node correlation maps (bpf/tierd.h says what each
 * holds).  Small and LRU: a lost entry costs one kernel move seen as an
 * ordinary fault, which tierd's location query then settles as "already".
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);			/* pfn */
	__type(value, struct tierd_np_faulted);
} np_faulted SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);			/* thread id */
	__type(value, struct tierd_np_move);
} np_moves SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TIERD_COUNTERS_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * Tracked tgids as a bitmap over every possible pid (PID_MAX_LIMIT on
 * 64-bit), in .bss so the daemon writes it through the skeleton's mmap:
 * the filter every fault on the machine pays is a shift and a load, not a
 * hash lookup.
 */
__u64 tracked_bits[TIERD_TRACKED_WORDS];

/*
 * Tunables live in .data, not .rodata: a config reload rewrites them
 * through the skeleton's mmap while the programs stay attached.
 */
__u64 window_ns = 1000000000ULL;
/*
 * The same window in jiffies, set by the daemon once it has measured the
 * jiffy (bpf_obj.c); 0 keeps the ns clock.  bpf_jiffies64() is one load
 * once the verifier inlines it; bpf_ktime_get_ns() is a helper call that
 * reads the TSC, which under a hypervisor can cost more than the rest of
 * the program (docs in bench/README.md).
 */
__u64 window_jiffies SEC(".data") = 0;
/*
 * Tags `reported` slots: the daemon bumps it when a reload changes the
 * window or the granule, which empties the cache at once.
 */
__u32 reported_gen SEC(".data") = 1;
/* faults per window that make a record, per source */
__u32 threshold[TIERD_SRC_NR] = { 2, 2, 1, 2 };
/* records per folio per window, 1..TIERD_REPORTS_MAX; set by the daemon */
__u32 reports_per_window = 4;
__u32 granule_shift = TIERD_PAGE_SHIFT;
/* The private-node source looks at `tracked` only when this is set. */
__u32 private_filter = 1;
/*
 * NUMA balancing in tiering mode only (numa_balancing = 2) marks only
 * lower-tier pages, so a hint fault is on a slow node; set by the daemon.
 */
__u32 hint_slow_only SEC(".data") = 0;
/*
 * The daemon's own tgid: its move_pages() migrations are its to count,
 * not the kernel's.
 */
__u32 np_self_tgid SEC(".data") = 0;

struct fault {
	__u64 addr;
	__u64 pfn;
	__u32 tgid;
	__u32 shift;		/* log2 of the aggregation granule */
	__u16 nid;
	__u8 source;
	__u8 order;
	__u8 level;
	__u8 handled;
	__u8 write;		/* the access was a write */
	__u8 on_slow;		/* known to be on a slow node */
	__u8 kmove;		/* enum tierd_kmove */
	__u8 force;		/* report below the threshold (once a window) */
};

/*
 * The window's fault count that sends the folio's next record, after one
 * was sent at @prev faults (0: none yet): the first of @thr << k above
 * @prev, k < reports_per_window; 0 when the window has no record left.
 */
static __always_inline __u32 next_mark(__u32 prev, __u32 thr)
{
	__u32 reports = reports_per_window;

	if (reports < 1)
		reports = 1;
	if (reports > TIERD_REPORTS_MAX)
		reports = TIERD_REPORTS_MAX;
#pragma unroll
	for (__u32 k = 0; k < TIERD_REPORTS_MAX; k++)
		if (k < reports && thr << k > prev)
			return thr << k;
	return 0;
}

static __always_inline void count(__u32 source, __u32 cnt)
{
	__u32 idx = source * TIERD_CNT_NR + cnt;
	__u64 *v;

	v = bpf_map_lookup_elem(&counters, &idx);
	/*
	 * Per-CPU, so no atomic: only a program nested on the same CPU (an
	 * NMI) can interleave, and then a count is lost, not corrupted.
	 */
	if (v)
		*v += 1;
}

static __always_inline bool is_tracked(__u32 tgid)
{
	/* pids are below PID_MAX_LIMIT, so the mask only proves the bound */
	__u32 word = (tgid >> 6) & (TIERD_TRACKED_WORDS - 1);

	return (tracked_bits[word] >> (tgid & 63)) & 1;
}

static __always_inline __u64 granule_addr(const struct fault *f)
{
	return f->addr & ~((1ULL << f->shift) - 1);
}

static __always_inline void aggregate(const struct fault *f)
{
	struct tierd_folio_key key = {};
	struct tierd_folio_val init = {};
	struct tierd_folio_val *val;
	struct reported_slot *slot = NULL;
	struct reported_cache *cache;
	struct tierd_event *ev;
	__u64 win = window_jiffies, now, tag = 0;
	__u32 faults, prev, sent, thr, mark, idx, zero = 0;
	bool jiffy_clock = win, last = false;
	long err;

	if (jiffy_clock) {
		now = bpf_jiffies64();
	} else {
		now = bpf_ktime_get_ns();
		win = window_ns;
	}
	key.tgid = f->tgid;
	key.source = f->source;
	key.addr = granule_addr(f);

	if (jiffy_clock && f->source != TIERD_SRC_PRIVATE_NODE) {
		cache = bpf_map_lookup_elem(&reported, &zero);
		if (cache) {
			/* multiplicative hash of the folio and the process */
			idx = (__u32)((((key.addr >> TIERD_PAGE_SHIFT) ^
					((__u64)f->tgid << 40)) *
				       0x9e3779b97f4a7c15ULL) >> 54) &
			      (TIERD_REPORTED_SLOTS - 1);
			slot = &cache->slot[idx];
			tag = key.addr | ((f->source |
					   reported_gen << 2) &
					  TIERD_REPORTED_TAG_MASK);
			if (slot->key == tag && slot->tgid == f->tgid &&
			    (__s32)(slot->window_end - (__u32)now) > 0) {
				if (f->write)
					count(f->source, TIERD_CNT_WRITES);
				return;
			}
		}
	}

	val = bpf_map_lookup_elem(&folios, &key);
	if (!val) {
		init.window_start = now;
		err = bpf_map_update_elem(&folios, &key, &init, BPF_NOEXIST);
		/* EEXIST: another CPU inserted the same folio meanwhile */
		if (err && err != -TIERD_EEXIST) {
			count(f->source, TIERD_CNT_MAP_FULL);
			return;
		}
		val = bpf_map_lookup_elem(&folios, &key);
		if (!val) {
			/* evicted between insert and lookup: the LRU is full */
			count(f->source, TIERD_CNT_MAP_FULL);
			return;
		}
	} else if (now - val->window_start >= win) {
		/*
		 * Not atomic against a concurrent fault on the same folio;
		 * the worst case is one fault counted in the old window.
		 */
		val->window_start = now;
		val->faults = 0;
		val->writes = 0;
		val->reported = 0;
		val->writes_reported = 0;
		count(f->source, TIERD_CNT_WINDOW_RESETS);
	}

	if (f->write) {
		__sync_fetch_and_add(&val->writes, 1);
		count(f->source, TIERD_CNT_WRITES);
	}
	faults = __sync_fetch_and_add(&val->faults, 1) + 1;
	if (f->source >= TIERD_SRC_NR)
		return;
	thr = threshold[f->source];
	if (!thr)
		thr = 1;
	prev = val->reported;
	if (f->force) {
		/* below the threshold, once a window, and the window's last */
		if (prev)
			goto cache;
		last = true;
		sent = ~0U;
	} else {
		mark = next_mark(prev, thr);
		if (!mark)
			goto cache;
		if (faults < mark)
			return;
		last = !next_mark(faults, thr);
		sent = faults;
	}
	/* CPUs racing past the same mark send one record */
	if (__sync_val_compare_and_swap(&val->reported, prev, sent) != prev)
		return;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		/* let the next fault of this folio try again */
		val->reported = prev;
		count(f->source, TIERD_CNT_RB_DROPS);
		return;
	}
	/* the record's time is always in ns; jiffies only pace the window */
	ev->ts_ns = jiffy_clock ? bpf_ktime_get_ns() : now;
	ev->addr = key.addr;
	ev->pfn = f->pfn;
	ev->tgid = f->tgid;
	ev->faults = faults - prev;
	/* a racing write may land on either side of the mark: clamp it */
	ev->writes = val->writes - val->writes_reported;
	if (ev->writes > ev->faults)
		ev->writes = ev->faults;
	val->writes_reported = val->writes;
	ev->nid = f->nid;
	ev->source = f->source;
	ev->order = f->order;
	ev->level = f->level;
	ev->handled = f->handled;
	ev->on_slow = f->on_slow;
	ev->kmove = f->kmove;
	ev->pad1 = 0;
	ev->dst_nid = TIERD_NID_NONE;
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	bpf_ringbuf_submit(ev, 0);
	count(f->source, TIERD_CNT_RECORDS);
	if (!last)
		return;
cache:
	if (slot) {
		slot->key = tag;
		slot->tgid = f->tgid;
		slot->window_end = (__u32)(val->window_start + win);
	}
}

/* Soft-dirty source: a user write fault of a tracked process. */
static __always_inline void soft_dirty_fault(__u64 address, __u64 error_code)
{
	struct fault f = {};
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	count(TIERD_SRC_SOFT_DIRTY, TIERD_CNT_FAULTS_SEEN);
	if (!(error_code & TIERD_X86_PF_WRITE) || !is_tracked(tgid))
		return;
	count(TIERD_SRC_SOFT_DIRTY, TIERD_CNT_FAULTS_TRACKED);

	f.addr = address;
	f.tgid = tgid;
	f.shift = granule_shift;
	f.nid = TIERD_NID_NONE;
	f.source = TIERD_SRC_SOFT_DIRTY;
	f.level = TIERD_LEVEL_PTE;
	f.write = 1;
	aggregate(&f);
}

/*
 * exceptions:page_fault_user, TP_PROTO(unsigned long address,
 * struct pt_regs *regs, unsigned long error_code), as a raw tracepoint: it
 * needs no tracefs, no perf event (so perf_event_paranoid does not apply)
 * and no CO-RE relocation against the event's record struct, whose name
 * changed across kernels and whose lookup in module BTF wants
 * CAP_SYS_ADMIN.  With a tp/ program the hardened unit failed to start on
 * Debian's 6.1 kernel (tests/e2e/systemd-unit.sh).
 */
SEC("raw_tp/page_fault_user")
int tierd_sd_raw(struct bpf_raw_tracepoint_args *ctx)
{
	soft_dirty_fault(ctx->args[0], ctx->args[2]);
	return 0;
}

/*
 * A private-node folio the kernel moved itself: one record per move, not
 * aggregated, so that tierd marks it on the fast node and never moves it
 * a second time.
 */
static __always_inline void np_report_move(__u32 tgid, __u64 addr,
					   __u64 pfn, __u16 nid, __u16 dst,
					   __u8 order, __u8 level, __u32 faults,
					   __u32 writes)
{
	struct tierd_event *ev;

	count(TIERD_SRC_PRIVATE_NODE, TIERD_CNT_KERNEL_PROMOTED);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(TIERD_SRC_PRIVATE_NODE, TIERD_CNT_RB_DROPS);
		return;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->addr = addr;
	ev->pfn = pfn;
	ev->tgid = tgid;
	ev->faults = faults;
	ev->writes = writes;
	ev->nid = nid;
	ev->source = TIERD_SRC_PRIVATE_NODE;
	ev->order = order;
	ev->level = level;
	ev->handled = 1;
	ev->on_slow = 0;
	ev->kmove = TIERD_KMOVE_OK;
	ev->pad1 = 0;
	ev->dst_nid = dst;
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	bpf_ringbuf_submit(ev, 0);
	count(TIERD_SRC_PRIVATE_NODE, TIERD_CNT_RECORDS);
}

/*
 * node_private:node_private_write_fault (kernel-patches/).  TP_PROTO(int nid,
 * unsigned long pfn, unsigned int order, unsigned long address, int level,
 * bool handled, vm_fault_t ret, int access).  raw_tp reads the arguments
 * directly, so the object needs no type from a patched kernel and loads
 * everywhere; reading args[7] makes the kernel refuse to attach it to an
 * event with fewer arguments (private_node.c checks that first).
 *
 * The event fires after the service's handle_fault returned.  v4's CRAM
 * migrates the folio inside it, so the migration (np_moves, filled by
 * tierd_np_migrate in this thread) is already settled here:
 *  - moved off the node: the kernel promoted it, tierd must not;
 *  - tried and failed (a failed migration, or VM_FAULT_RETRY): tierd's to
 *    promote, reported at once;
 *  - no attempt (no handler, or another CPU is migrating it): an
 *    ordinary fault, counted towards the threshold.
 */
SEC("raw_tp/node_private_write_fault")
int tierd_np_fault(struct bpf_raw_tracepoint_args *ctx)
{
	struct tierd_np_faulted pending = {};
	struct tierd_folio_key key = {};
	struct tierd_np_move *mv, move = {};
	struct fault f = {};
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	__u32 order = (__u32)ctx->args[2];
	__u64 pfn = ctx->args[1];
	bool moved_here = false;
	__u32 shift;

	count(TIERD_SRC_PRIVATE_NODE, TIERD_CNT_FAULTS_SEEN);
	/* this thread's last migration belongs to this fault or to none */
	mv = bpf_map_lookup_elem(&np_moves, &tid);
	if (mv) {
		move = *mv;
		moved_here = move.pfn == pfn;
		bpf_map_delete_elem(&np_moves, &tid);
	}
	if (private_filter && !is_tracked(tgid))
		return 0;
	count(TIERD_SRC_PRIVATE_NODE, TIERD_CNT_FAULTS_TRACKED);

	if (order > TIERD_MAX_ORDER)
		order = TIERD_MAX_ORDER;
	/* a large folio is one unit: never split it below its own size */
	shift = TIERD_PAGE_SHIFT + order;
	if (shift < granule_shift)
		shift = granule_shift;

	f.nid = (__u16)(int)ctx->args[0];
	f.pfn = pfn;
	f.order = order;
	f.addr = ctx->args[3];
	f.level = (__u8)(int)ctx->args[4];
	f.handled = (__u8)(ctx->args[5] & 0xff) ? 1 : 0;
	f.tgid = tgid;
	f.shift = shift;
	f.source = TIERD_SRC_PRIVATE_NODE;
	/* reads and GUP unshares weigh as reads */
	f.write = (int)ctx->args[7] == TIERD_NP_ACCESS_WRITE;
	f.on_slow = 1;

	if (moved_here && move.ret == 0 && move.dst_nid >= 0 &&
	    move.dst_nid != (int)ctx->args[0]) {
		/* its window counted a folio that is no longer there */
		key.tgid = tgid;
		key.source = TIERD_SRC_PRIVATE_NODE;
		key.addr = granule_addr(&f);
		bpf_map_delete_elem(&folios, &key);
		bpf_map_delete_elem(&np_faulted, &pfn);
		if (!move.accounted)
			np_report_move(tgid, key.addr, pfn, f.nid,
				       (__u16)move.dst_nid, f.order, f.level,
				       1, f.write);
		return 0;
	}
	if ((moved_here && move.ret != 0) ||
	    (f.handled && ((__u32)ctx->args[6] & VM_FAULT_RETRY))) {
		count(TIERD_SRC_PRIVATE_NODE, TIERD_CNT_KERNEL_PROMOTE_FAILED);
		f.kmove = TIERD_KMOVE_FAILED;
		f.force = 1;
	}
	pending.tgid = tgid;
	pending.addr = granule_addr(&f);
	bpf_map_update_elem(&np_faulted, &pfn, &pending, BPF_ANY);
	aggregate(&f);
	return 0;
}

/*
 * node_private:node_private_migrate: TP_PROTO(int src_nid, int dst_nid,
 * unsigned long pfn, unsigned int order, int reason, int ret).  The
 * migrations the kernel made on its own, kept apart from the daemon's
 * move_pages().  A folio that faulted before and now left its node was
 * promoted by the kernel (NUMA balancing, or the service on a fault of
 * another thread): reported here.  Every migration is also left for a
 * fault event of the same thread to pick up (np_moves).
 */
SEC("raw_tp/node_private_migrate")
int tierd_np_migrate(struct bpf_raw_tracepoint_args *ctx)
{
	struct tierd_np_faulted *pf, pending;
	struct tierd_np_move move = {};
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	int src_nid = (int)ctx->args[0];
	int dst_nid = (int)ctx->args[1];
	__u64 pfn = ctx->args[2];
	int ret = (int)ctx->args[5];

	if (np_self_tgid && (__u32)(id >> 32) == np_self_tgid) {
		/* tierd's own move: its settlement counts it */
		if (ret == 0)
			bpf_map_delete_elem(&np_faulted, &pfn);
		return 0;
	}
	count(TIERD_SRC_PRIVATE_NODE, ret == 0 ? TIERD_CNT_KERNEL_MIGRATE_OK :
						 TIERD_CNT_KERNEL_MIGRATE_FAIL);
	move.pfn = pfn;
	move.ret = ret;
	move.dst_nid = (__s16)dst_nid;
	if (ret == 0 && dst_nid >= 0 && dst_nid != src_nid) {
		pf = bpf_map_lookup_elem(&np_faulted, &pfn);
		if (pf) {
			pending = *pf;
			bpf_map_delete_elem(&np_faulted, &pfn);
			np_report_move(pending.tgid, pending.addr, pfn,
				       (__u16)src_nid, (__u16)dst_nid,
				       (__u8)ctx->args[3], TIERD_LEVEL_PTE, 0,
				       0);
			move.accounted = 1;
		}
	}
	bpf_map_update_elem(&np_moves, &tid, &move, BPF_ANY);
	return 0;
}

/*
 * The jiffies counter, for the daemon to measure the jiffy through
 * BPF_PROG_TEST_RUN (bpf_obj.c): never attached.  32 bits are enough for
 * the few ticks it watches.
 */
SEC("raw_tp")
int tierd_jiffies(void *ctx)
{
	return (int)bpf_jiffies64();
}

/*
 * NUMA hinting faults.  mpol_misplaced(folio, vmf, addr) is called for
 * every hint fault (numa_migrate_check(), do_numa_page() and the PMD
 * path) with the faulting address and the fault's flags; its return value
 * is the node the kernel will migrate the folio to, or NUMA_NO_NODE.  The
 * daemon runs NUMA balancing in tiering mode with a zero promotion rate
 * limit, so the kernel marks lower-tier pages and normally moves nothing;
 * when the DRAM node has plenty of free memory it still promotes on its
 * own, which the return value shows.  fexit, not fentry: it sees both.
 */
SEC("fexit/mpol_misplaced")
int BPF_PROG(tierd_hint_fault, struct folio *folio, struct vm_fault *vmf,
	     unsigned long addr, int ret)
{
	struct fault f = {};
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	unsigned int flags;

	count(TIERD_SRC_NUMA_HINT, TIERD_CNT_FAULTS_SEEN);
	if (!is_tracked(tgid))
		return 0;
	count(TIERD_SRC_NUMA_HINT, TIERD_CNT_FAULTS_TRACKED);
	if (ret >= 0)
		count(TIERD_SRC_NUMA_HINT, TIERD_CNT_KERNEL_CHOSE_MIGRATE);

	flags = BPF_CORE_READ(vmf, flags);
	f.addr = addr;
	f.tgid = tgid;
	f.shift = granule_shift;
	f.nid = TIERD_NID_NONE;
	f.source = TIERD_SRC_NUMA_HINT;
	f.level = TIERD_LEVEL_PTE;
	f.write = !!(flags & bpf_core_enum_value(enum fault_flag,
						 FAULT_FLAG_WRITE));
	f.on_slow = !!hint_slow_only;
	aggregate(&f);
	return 0;
}
