/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one header shared by the BPF programs (bpf/tierd.bpf.c) and the
 * daemon.  It uses only __u8/__u16/__u32/__u64: the BPF side gets them from
 * vmlinux.h, the daemon from <linux/types.h>, so include one of those first.
 */
#ifndef TIERD_BPF_SHARED_H
#define TIERD_BPF_SHARED_H

/* Where a write fault came from. */
enum tierd_source {
	/* node_private:node_private_write_fault (kernel-patches/) */
	TIERD_SRC_PRIVATE_NODE = 0,
	/* exceptions:page_fault_user after clear_refs=4 (stock kernels) */
	TIERD_SRC_SOFT_DIRTY = 1,
	TIERD_SRC_NR,
};

/* Per-source counters, a per-CPU array indexed source * TIERD_CNT_NR + cnt. */
enum tierd_counter {
	TIERD_CNT_FAULTS_SEEN = 0,	/* every invocation of the program */
	TIERD_CNT_FAULTS_TRACKED,	/* write faults of a tracked tgid */
	TIERD_CNT_RECORDS,		/* ring buffer records submitted */
	TIERD_CNT_RB_DROPS,		/* ring buffer full: record lost */
	TIERD_CNT_MAP_FULL,		/* folio map update failed */
	TIERD_CNT_WINDOW_RESETS,	/* a folio's window expired and restarted */
	TIERD_CNT_KERNEL_MIGRATE_OK,	/* node_private_migrate with ret == 0 */
	TIERD_CNT_KERNEL_MIGRATE_FAIL,	/* node_private_migrate with ret != 0 */
	TIERD_CNT_NR,
};

#define TIERD_COUNTERS_NR (TIERD_SRC_NR * TIERD_CNT_NR)

/* Page-table level of a fault, as the private-node tracepoint reports it. */
enum tierd_pt_level {
	TIERD_LEVEL_PTE = 0,
	TIERD_LEVEL_PMD = 1,
};

/* Key of the in-kernel pre-aggregation map (LRU hash). */
struct tierd_folio_key {
	__u32 tgid;
	__u32 pad;		/* zeroed: the key is hashed bytewise */
	__u64 addr;		/* faulting address aligned down to the granule */
};

/* Value of the pre-aggregation map: faults inside the current window. */
struct tierd_folio_val {
	__u64 window_start_ns;
	__u32 faults;		/* faults in this window */
	__u32 reported;		/* 1 once a record was sent for this window */
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
	__u16 nid;		/* private-node source only, else 0xffff */
	__u8 source;		/* enum tierd_source */
	__u8 order;		/* folio order (private-node), else 0 */
	__u8 level;		/* enum tierd_pt_level */
	__u8 handled;		/* the node service handled the fault */
	__u16 pad;
};

#define TIERD_NID_NONE 0xffff

/* Capacity of the tracked-tgid map; collector_set_tracked() refuses more. */
#ifndef TIERD_TRACKED_MAX	/* unit tests shrink it to test overflow */
#define TIERD_TRACKED_MAX 16384
#endif

/* x86 page fault error code bits (arch/x86/include/asm/trap_pf.h). */
#define TIERD_X86_PF_PROT  (1U << 0)
#define TIERD_X86_PF_WRITE (1U << 1)
#define TIERD_X86_PF_USER  (1U << 2)

#endif /* TIERD_BPF_SHARED_H */
