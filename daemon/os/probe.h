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
	/*
	 * Arguments of the node_private events (their prototype in the
	 * kernel BTF, else their tracefs format); 0 when neither says.
	 */
	uint8_t private_fault_args;
	uint8_t private_migrate_args;
	/*
	 * Why the kernel's private-node sysfs lists make no sense, or "":
	 * set from the topology (numa_sysfs_read()), not probed here.
	 */
	char private_sysfs_error[192];
	/* userfaultfd: 0, or -errno of making one (-ENOSYS: not built in) */
	int uffd_errno;
	uint64_t uffd_features;		/* what its UFFDIO_API offers */
	bool pagemap_scan;		/* the PAGEMAP_SCAN ioctl (6.7) */
};

struct btf;

/* Probe the running kernel; never fails, missing things are false. */
void probe_kernel(struct kernel_features *f);

/* kernel.bpf_stats_enabled right now (it can change while tierd runs). */
bool probe_bpf_stats_enabled(void);

/*
 * Arguments of tracepoint @name as the prototype of the kernel's
 * btf_trace_<name> typedef says (without the leading void *__data), or
 * -ENOENT when @vmlinux has none.
 */
int probe_tp_args_btf(const struct btf *vmlinux, const char *name);

/*
 * Fields an event records, from its tracefs format file at @path (those
 * after the common_* ones), or -errno.  For the node_private events they
 * are the arguments, one to one (kernel-patches/).
 */
int probe_tp_args_format(const char *path);

/* A counter of /proc/vmstat ("pgpromote_success").  0 or -errno. */
int probe_vmstat(const char *name, uint64_t *value);

#endif /* TIERD_OS_PROBE_H */
