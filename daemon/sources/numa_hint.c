// SPDX-License-Identifier: GPL-2.0
/*
 * numa_hint: reads and writes of slow-tier pages, from the kernel's own
 * NUMA-hinting faults.
 *
 * With kernel.numa_balancing = 2 (memory tiering) the kernel's task scanner
 * marks only pages on lower memory tiers PROT_NONE, one scan pass every
 * second or more; the next access, read or write, takes a hint fault.  With
 * kernel.numa_balancing_promote_rate_limit_MBps = 0 the kernel then
 * promotes nothing itself, so tierd keeps the decisions and gets a
 * page-granular access signal limited to slow-tier pages, scanned by the
 * kernel.  The BPF program (fexit/mpol_misplaced) sees each fault with its
 * access type.
 *
 * One exception the kernel makes: when the DRAM node has more than
 * max(1 GiB, 1/16 of the node) free above its promotion watermark, it
 * promotes on the fault regardless of the rate limit
 * (should_numa_migrate_memory(), pgdat_free_space_enough()).  Those moves
 * are counted (kernel_chose_migrate) and tierd finds the pages already on
 * the fast node.
 *
 * This module owns the two sysctls while it runs: it records them, sets
 * them if nobody else uses NUMA balancing (or [promotion] other_movers =
 * take_over), and restores them when it closes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "lib/log.h"
#include "os/owned.h"
#include "sources/bpf_obj.h"
#include "sources/source.h"
#include "tierd.skel.h"

#define NB_MODE		"kernel/numa_balancing"
#define NB_RATE		"kernel/numa_balancing_promote_rate_limit_MBps"
#define NB_TIERING	2	/* NUMA_BALANCING_MEMORY_TIERING */
#define OWNER		"numa_hint"

struct numa_hint {
	struct bpf_obj *bpf;
	struct owned *owned;
	uint64_t pgpromote_start;	/* /proc/vmstat pgpromote_success */
	bool pgpromote_known;
};

static enum tierd_tristate nh_wanted(const struct tierd_config *cfg)
{
	return cfg->src_numa_hint;
}

static const char *nh_missing(const struct kernel_features *f,
			      enum tierd_tristate want, char *buf, size_t len)
{
	if (!f->btf)
		return "kernel has no BTF (/sys/kernel/btf/vmlinux): needs a kernel built with CONFIG_DEBUG_INFO_BTF";
	if (!f->numa_balancing)
		return "kernel has no NUMA balancing (/proc/sys/kernel/numa_balancing missing: CONFIG_NUMA_BALANCING)";
	if (!f->bpf_tracing)
		return "kernel cannot attach fexit programs (BPF_PROG_TYPE_TRACING: needs CONFIG_FUNCTION_TRACER and direct calls)";
	if (!f->hint_hook)
		return "kernel's mpol_misplaced() does not take the fault (struct vm_fault): needs Linux 6.x with BTF";
	if (!f->lower_tier)
		return "every memory node is in one memory tier (/sys/devices/virtual/memory_tiering): the kernel hints only pages on lower tiers (needs HMAT or a driver that ranks the slow node)";
	return NULL;
}

static void nh_select(struct bpf_obj *b, const struct kernel_features *f)
{
	bpf_program__set_autoload(bpf_obj_skel(b)->progs.tierd_hint_fault,
				  true);
}

/*
 * Put NUMA balancing into tiering mode without kernel promotion, unless
 * somebody else uses it and tierd may not take it over.
 */
static int own_numa_balancing(struct owned *o, bool take_over, char *err,
			      size_t errlen)
{
	long mode, rate;
	int ret;

	ret = owned_sysctl_get(o, NB_MODE, &mode);
	if (!ret)
		ret = owned_sysctl_get(o, NB_RATE, &rate);
	if (ret) {
		snprintf(err, errlen, "cannot read kernel.numa_balancing settings: %s",
			 strerror(-ret));
		return ret;
	}
	if (mode != 0 && !(mode == NB_TIERING && rate == 0) && !take_over) {
		snprintf(err, errlen,
			 "kernel.numa_balancing = %ld with numa_balancing_promote_rate_limit_MBps = %ld: the kernel migrates pages itself ([promotion] other_movers = take_over lets tierd set them to 2 and 0)",
			 mode, rate);
		return -EBUSY;
	}
	/*
	 * The rate first, so the kernel never promotes in between.  Values
	 * that are already right are only recorded if tierd set them before
	 * (a reload), so the closing old source leaves them to the new one.
	 */
	ret = owned_sysctl_set(o, OWNER, NB_RATE, 0, err, errlen);
	if (!ret)
		ret = owned_sysctl_set(o, OWNER, NB_MODE, NB_TIERING, err,
				       errlen);
	if (ret == -EPERM || ret == -EACCES || ret == -EROFS) {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n,
			 " (writing it needs CAP_SYS_ADMIN and a writable /proc/sys; or set kernel.numa_balancing = 2 and kernel.numa_balancing_promote_rate_limit_MBps = 0 before tierd starts)");
	}
	if (ret)
		owned_restore(o, OWNER);
	return ret;
}

static int nh_open(struct source *s, const struct source_env *env,
		   char *err, size_t errlen)
{
	struct tierd_bpf *skel = bpf_obj_skel(env->bpf);
	struct numa_hint *nh;
	int ret;

	if (!env->owned) {
		snprintf(err, errlen, "no record for the sysctls it must change");
		return -EINVAL;
	}
	nh = calloc(1, sizeof(*nh));
	if (!nh) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = own_numa_balancing(env->owned, env->take_over, err, errlen);
	if (ret)
		goto fail;
	ret = bpf_obj_attach(skel->progs.tierd_hint_fault,
			     &skel->links.tierd_hint_fault);
	if (ret) {
		snprintf(err, errlen, "attaching %s (%s) failed: %s",
			 bpf_program__name(skel->progs.tierd_hint_fault),
			 bpf_program__section_name(skel->progs.tierd_hint_fault),
			 strerror(-ret));
		owned_restore(env->owned, OWNER);
		goto fail;
	}
	/* mode 2 alone marks only lower-tier pages: a fault is on slow memory */
	skel->data->hint_slow_only = 1;
	nh->bpf = env->bpf;
	nh->owned = env->owned;
	nh->pgpromote_known =
		probe_vmstat("pgpromote_success", &nh->pgpromote_start) == 0;
	s->priv = nh;
	snprintf(s->state, sizeof(s->state),
		 "active (fexit/mpol_misplaced; kernel.numa_balancing = 2, promote_rate_limit_MBps = 0%s)",
		 owned_holds(env->owned, OWNER, NB_MODE) ||
		 owned_holds(env->owned, OWNER, NB_RATE) ?
		 ", set by tierd" : "");
	return 0;
fail:
	free(nh);
	return ret;
}

static void nh_stats(const struct source *s, struct tierd_source_stats *st)
{
	const struct numa_hint *nh = s->priv;
	uint64_t now;

	bpf_obj_prog_stats(bpf_obj_skel(nh->bpf)->progs.tierd_hint_fault,
			   &st->prog_run_cnt, &st->prog_run_time_ns);
	/* promotions the kernel made on its own since we started */
	if (nh->pgpromote_known && !probe_vmstat("pgpromote_success", &now) &&
	    now >= nh->pgpromote_start)
		st->kernel_migrate_ok = now - nh->pgpromote_start;
}

static void nh_close(struct source *s)
{
	struct numa_hint *nh = s->priv;

	owned_restore(nh->owned, OWNER);
	free(nh);
	s->priv = NULL;
}

const struct source_ops numa_hint_source = {
	.id = TIERD_SRC_NUMA_HINT,
	.uses_bpf = true,
	/*
	 * A page takes at most one hint fault per scan pass, a second or
	 * more apart: one is all a window ever gets from this source.
	 */
	.window_threshold = 1,
	.wanted = nh_wanted,
	.missing = nh_missing,
	.select = nh_select,
	.open = nh_open,
	.stats = nh_stats,
	.close = nh_close,
};
