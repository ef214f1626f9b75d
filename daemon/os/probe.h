/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running kernel offers, probed once at start.  Every probe
 * reads or tries something harmless; a missing feature is false, never an
 * error.  The sources decide from these what they can do.
 */
#ifndef TIERD_OS_PROBE_H
#define TIERD_OS_PROBE_H

#include <stdbool.h>
#include <stdint.h>

struct kernel_features {
	bool btf;			/* /sys/kernel/btf/vmlinux */
	bool private_node_tp;		/* node_private:node_private_write_fault */
	bool private_migrate_tp;	/* node_private:node_private_migrate */
	bool page_fault_user_tp;	/* exceptions:page_fault_user */
	bool soft_dirty;		/* clear_refs=4 really clears soft-dirty */
	bool bpf_stats;			/* kernel.bpf_stats_enabled = 1 */
	bool numa_balancing;		/* kernel.numa_balancing exists */
	bool bpf_tracing;		/* fentry/fexit programs load */
	/* fexit on mpol_misplaced(folio, vmf, addr) is possible (6.x) */
	bool hint_hook;
	/*
	 * The kernel ranks some memory node below another: not probed here
	 * but set from the topology (tiers_kernel_ranks()).
	 */
	bool lower_tier;
};

/* Probe the running kernel; never fails, missing things are false. */
void probe_kernel(struct kernel_features *f);

/* kernel.bpf_stats_enabled right now (it can change while tierd runs). */
bool probe_bpf_stats_enabled(void);

/* A counter of /proc/vmstat ("pgpromote_success").  0 or -errno. */
int probe_vmstat(const char *name, uint64_t *value);

#endif /* TIERD_OS_PROBE_H */
