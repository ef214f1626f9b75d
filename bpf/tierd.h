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
	X(NUMA_HINT, numa_hint)						\
	/* userfaultfd WP/RWP-async + PAGEMAP_SCAN of opted-in processes */ \
	X(UFFD, uffd)

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
	X(WRITES, writes)		/* tracked faults that were writes */	\
	/* private node: a faulted folio the kernel moved off its node */ \
	X(KERNEL_PROMOTED, kernel_promoted)				\
	/* private node: the service tried to move it and did not */	\
	X(KERNEL_PROMOTE_FAILED, kernel_promote_failed)

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
	/* in the window clock's unit: jiffies, or ns while window_jiffies = 0 */
	__u64 window_start;
	__u32 faults;		/* faults in this window */
	__u32 writes;		/* of which were writes */
	__u32 reported;		/* faults at the window's last record; 0 none, ~0 final */
	__u32 writes_reported;	/* writes at that record */
};

/*
 * Records per folio per window at most: at threshold, twice, four times
 * ... the threshold's faults, so a folio's score follows its fault rate
 * instead of stopping at one threshold's worth per window, for a number
 * of records that grows with the logarithm of the rate.
 */
#define TIERD_REPORTS_MAX 8

/*
 * Ring buffer record: one each time a folio's faults inside its window
 * reach the threshold, twice it, four times it ... (reports_per_window
 * records at most), not one per fault.
 */
struct tierd_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() of the crossing fault */
	__u64 addr;		/* granule-aligned user virtual address */
	__u64 pfn;		/* private-node source only, else 0 */
	__u32 tgid;
	__u32 faults;		/* faults since this window's previous record */
	__u32 writes;		/* of those, writes (the rest were reads) */
	__u16 nid;		/* private-node source only, else 0xffff */
	__u8 source;		/* enum tierd_source */
	__u8 order;		/* folio order (private-node), else 0 */
	__u8 level;		/* enum tierd_pt_level */
	__u8 handled;		/* the node service handled the fault */
	__u8 on_slow;		/* the source knows the folio was on a slow node */
	__u8 kmove;		/* enum tierd_kmove: what the kernel did with it */
	__u8 pad1;
	__u16 dst_nid;		/* TIERD_KMOVE_OK: the node the kernel moved it to */
	__u8 pad[2];
};

#define TIERD_NID_NONE 0xffff

/*
 * What the kernel itself did with a private-node folio (the node service
 * promoting from its fault handler, NUMA balancing), as a record says.
 */
enum tierd_kmove {
	TIERD_KMOVE_NONE = 0,	/* nothing seen: an ordinary record */
	/*
	 * The kernel moved the folio to dst_nid: not a candidate for tierd.
	 * Sent once per move, whatever the threshold.
	 */
	TIERD_KMOVE_OK = 1,
	/*
	 * The service tried and moved nothing (VM_FAULT_RETRY, or the
	 * migration failed): tierd's to promote.  Sent at once, below the
	 * threshold, once per window.
	 */
	TIERD_KMOVE_FAILED = 2,
};

/*
 * The private-node tracepoints as this object reads them (the TP_PROTO
 * lines in kernel-patches/README.md): arguments by position, so a kernel
 * with fewer cannot feed the programs.  The kernel only ever appends.
 */
#define TIERD_NP_FAULT_ARGS	8
#define TIERD_NP_MIGRATE_ARGS	6

/* node_private_write_fault's access (args[7]) */
#define TIERD_NP_ACCESS_READ	0
#define TIERD_NP_ACCESS_WRITE	1
#define TIERD_NP_ACCESS_UNSHARE	2

/*
 * np_faulted (pfn -> this): a folio a tracked process faulted on that the
 * kernel has not moved, so a later kernel migration of that pfn (NUMA
 * balancing, the service on another fault) can name the folio.
 */
struct tierd_np_faulted {
	__u32 tgid;
	__u32 pad;
	__u64 addr;		/* granule-aligned, as its records carry it */
};

/*
 * np_moves (thread id -> this): the last private-node migration that
 * ended in the thread.  v4's CRAM migrates inside its fault handler, so
 * the migration event comes before the fault event of the same thread.
 */
struct tierd_np_move {
	__u64 pfn;		/* the source folio */
	__s32 ret;		/* 0 or -errno */
	__s16 dst_nid;		/* -1: no destination */
	__u8 accounted;		/* the migration program already reported it */
	__u8 pad;
};

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
