// SPDX-License-Identifier: GPL-2.0
/*
 * soft_dirty: write faults on stock kernels.  Writing 4 to
 * /proc/PID/clear_refs clears the soft-dirty bits and write-protects the
 * process's PTEs, so the next write to each page faults; the BPF program on
 * exceptions:page_fault_user counts those faults of tracked processes.
 * This module re-arms every tick the processes that hold slow-tier memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "lib/log.h"
#include "os/procfs.h"
#include "sources/bpf_obj.h"
#include "sources/source.h"
#include "tierd.skel.h"

struct soft_dirty {
	struct bpf_obj *bpf;
	bool rearm;			/* clear_refs=4 really re-arms */
	uint64_t rearm_errors;
};

static enum tierd_tristate sd_wanted(const struct tierd_config *cfg)
{
	return cfg->src_soft_dirty;
}

static const char *sd_missing(const struct kernel_features *f,
			      enum tierd_tristate want, char *buf, size_t len)
{
	if (!f->btf)
		return "kernel has no BTF (/sys/kernel/btf/vmlinux): needs a kernel built with CONFIG_DEBUG_INFO_BTF";
	if (!f->page_fault_user_tp)
		return "kernel has no exceptions:page_fault_user tracepoint (needs CONFIG_TRACEPOINTS on x86)";
	/* asked for explicitly: collect first-touch faults, see sd_open() */
	if (!f->soft_dirty && want != TIERD_ON)
		return "CONFIG_MEM_SOFT_DIRTY missing: clear_refs=4 does not clear soft-dirty bits";
	return NULL;
}

static void sd_select(struct bpf_obj *b, const struct kernel_features *f)
{
	bpf_program__set_autoload(bpf_obj_skel(b)->progs.tierd_sd_raw, true);
}

static int sd_open(struct source *s, const struct source_env *env,
		   char *err, size_t errlen)
{
	struct tierd_bpf *skel = bpf_obj_skel(env->bpf);
	struct soft_dirty *sd;
	int ret;

	sd = calloc(1, sizeof(*sd));
	if (!sd) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = bpf_obj_attach(skel->progs.tierd_sd_raw, &skel->links.tierd_sd_raw);
	if (ret) {
		snprintf(err, errlen, "attaching %s (%s) failed: %s",
			 bpf_program__name(skel->progs.tierd_sd_raw),
			 bpf_program__section_name(skel->progs.tierd_sd_raw),
			 strerror(-ret));
		free(sd);
		return ret;
	}
	sd->bpf = env->bpf;
	sd->rearm = env->feat->soft_dirty;
	s->priv = sd;
	if (sd->rearm) {
		snprintf(s->state, sizeof(s->state), "active (%s)",
			 bpf_program__section_name(skel->progs.tierd_sd_raw));
		return 0;
	}
	/*
	 * Without soft-dirty nothing re-arms a page, so only first-touch
	 * write faults (and faults after MADV_DONTNEED) are seen.
	 */
	snprintf(s->state, sizeof(s->state),
		 "active without re-arm: kernel lacks CONFIG_MEM_SOFT_DIRTY, first-touch write faults only");
	log_warn("[sources] soft_dirty = on, but this kernel cannot clear soft-dirty bits (CONFIG_MEM_SOFT_DIRTY): collecting first-touch write faults only, no re-arming");
	return 0;
}

static void sd_arm(struct source *s, const struct source_proc *procs,
		   size_t n, uint64_t now_ms)
{
	struct soft_dirty *sd = s->priv;

	if (!sd->rearm)
		return;
	for (size_t i = 0; i < n; i++) {
		int ret;

		/* clearing every process's bits would fault them all for nothing */
		if (!procs[i].slow)
			continue;
		ret = procfs_clear_soft_dirty(procs[i].pid);
		if (ret < 0 && ret != -ESRCH) {
			sd->rearm_errors++;
			log_debug("clear_refs of pid %d: %s", (int)procs[i].pid,
				  strerror(-ret));
		}
	}
}

static void sd_stats(const struct source *s, struct tierd_source_stats *st)
{
	const struct soft_dirty *sd = s->priv;

	bpf_obj_prog_stats(bpf_obj_skel(sd->bpf)->progs.tierd_sd_raw,
			   &st->prog_run_cnt, &st->prog_run_time_ns);
	st->rearm_errors = sd->rearm_errors;
}

static void sd_close(struct source *s)
{
	free(s->priv);
	s->priv = NULL;
}

const struct source_ops soft_dirty_source = {
	.id = TIERD_SRC_SOFT_DIRTY,
	.uses_bpf = true,
	.wanted = sd_wanted,
	.missing = sd_missing,
	.select = sd_select,
	.open = sd_open,
	.arm = sd_arm,
	.stats = sd_stats,
	.close = sd_close,
};
