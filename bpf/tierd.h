/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one header shared by the BPF programs (bpf/tierd.bpf.c) and the
 * daemon.  It uses only __u8/__u16/__u32/__u64: the BPF side gets them from
 * vmlinux.h, the daemon from <linux/types.h>, so include one of those first.
 */
#ifndef TIERD_BPF_SHARED_H
#define TIERD_BPF_SHARED_H

/*
 * Every access source, once: its id (records carry it) and its name (the
 * [sources] key and the stats label).  daemon/sources/ has one module per
 * entry, registered in daemon/sources/registry.c.
 */
#define TIERD_SOURCES(X)						\
	/* node_private:node_private_write_fault (kernel-patches/) */	\
	X(PRIVATE_NODE, private_node)					\
	/* exceptions:page_fault_user after clear_refs=4 (stock kernels) */ \
	X(SOFT_DIRTY, soft_dirty)					\
	/* NUMA hinting faults, numa_balancing=2 without kernel promotion */ \
	X(NUMA_HINT, numa_hint)

enum tierd_source {
#define TIERD_SOURCE_ENUM(id, name) TIERD_SRC_##id,
	TIERD_SOURCES(TIERD_SOURCE_ENUM)
#undef TIERD_SOURCE_ENUM
	TIERD_SRC_NR,
};

/*
 * Per-source counters the programs keep, a per-CPU array indexed
 * source * TIERD_CNT_NR + counter.  X(ID, stats field): the daemon copies
 * each into the struct tierd_source_stats field of that name.
 */
#define TIERD_BPF_COUNTERS(X)						\
	X(FAULTS_SEEN, faults_seen)	/* every invocation */		\
	X(FAULTS_TRACKED, faults_tracked) /* of a tracked tgid */	\
	X(RECORDS, records)		/* ring buffer records submitted */ \
	X(RB_DROPS, rb_drops)		/* ring buffer full: record lost */ \
	X(MAP_FULL, map_full)		/* folio map update failed */	\
	X(WINDOW_RESETS, window_resets)	/* a folio's window restarted */ \
	X(KERNEL_MIGRATE_OK, kernel_migrate_ok)	/* node_private_migrate, ret == 0 */ \
	X(KERNEL_MIGRATE_FAIL, kernel_migrate_fail) /* ret != 0 */	\
	X(KERNEL_CHOSE_MIGRATE, kernel_chose_migrate) /* hint: kernel moves it */ \
	X(WRITES, writes)		/* tracked faults that were writes */

enum tierd_counter {
#define TIERD_BPF_COUNTER_ENUM(id, field) TIERD_CNT_##id,
	TIERD_BPF_COUNTERS(TIERD_BPF_COUNTER_ENUM)
#undef TIERD_BPF_COUNTER_ENUM
	TIERD_CNT_NR,
};

#define TIERD_COUNTERS_NR (TIERD_SRC_NR * TIERD_CNT_NR)

/* Page-table level of a fault, as the private-node tracepoint reports it. */
enum tierd_pt_level {
	TIERD_LEVEL_PTE = 0,
	TIERD_LEVEL_PMD = 1,
};

/*
 * Key of the in-kernel pre-aggregation map (LRU hash).  Each source counts
 * on its own: a NUMA hint fault and a soft-dirty fault are different rates.
 */
struct tierd_folio_key {
	__u32 tgid;
	__u32 source;		/* enum tierd_source */
	__u64 addr;		/* faulting address aligned down to the granule */
};

/* Value of the pre-aggregation map: faults inside the current window. */
struct tierd_folio_val {
	__u64 window_start_ns;
	__u32 faults;		/* faults in this window */
	__u32 writes;		/* of which were writes */
	__u32 reported;		/* 1 once a record was sent for this window */
	__u32 pad;
};

/*
 * Ring buffer record: one per folio that crossed the threshold inside its
 * window (not one per fault).
 */
struct tierd_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() of the crossing fault */
	__u64 addr;		/* granule-aligned user virtual address */
	__u64 pfn;		/* private-node source only, else 0 */
	__u32 tgid;
	__u32 faults;		/* faults in the window when the record was sent */
	__u32 writes;		/* of those, writes (the rest were reads) */
	__u16 nid;		/* private-node source only, else 0xffff */
	__u8 source;		/* enum tierd_source */
	__u8 order;		/* folio order (private-node), else 0 */
	__u8 level;		/* enum tierd_pt_level */
	__u8 handled;		/* the node service handled the fault */
	__u8 on_slow;		/* the source knows the folio was on a slow node */
	__u8 pad[5];
};

#define TIERD_NID_NONE 0xffff

/* Words of the tracked-tgid bitmap: every pid below PID_MAX_LIMIT (4M); a power of two. */
#define TIERD_TRACKED_WORDS (4194304 / 64)

/* Tgids tracked at most; collector_set_tracked() refuses more. */
#ifndef TIERD_TRACKED_MAX	/* unit tests shrink it to test overflow */
#define TIERD_TRACKED_MAX 16384
#endif

/* x86 page fault error code bits (arch/x86/include/asm/trap_pf.h). */
#define TIERD_X86_PF_PROT  (1U << 0)
#define TIERD_X86_PF_WRITE (1U << 1)
#define TIERD_X86_PF_USER  (1U << 2)

#endif /* TIERD_BPF_SHARED_H */
