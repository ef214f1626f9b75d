// SPDX-License-Identifier: GPL-2.0
/*
 * private_node: faults on N_MEMORY_PRIVATE nodes whose service keeps PTEs
 * read-only, seen on the project's tracepoints (kernel-patches/).  The
 * kernel does the tracking; nothing is re-armed from here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "lib/log.h"
#include "sources/bpf_obj.h"
#include "sources/source.h"
#include "tierd.skel.h"

struct private_node {
	struct bpf_obj *bpf;
	bool migrate;			/* node_private_migrate attached */
};

static enum tierd_tristate np_wanted(const struct tierd_config *cfg)
{
	return cfg->src_private_node;
}

/*
 * The programs read the arguments by position; an event with fewer than
 * they read cannot be attached (the kernel says only EINVAL), so say why
 * first.  More is fine: the kernel only ever appends.
 */
static int check_args(const char *event, unsigned int have, unsigned int want,
		      char *err, size_t errlen)
{
	if (!have || have >= want)
		return 0;
	snprintf(err, errlen,
		 "node_private:%s has %u arguments, this tierd expects %u (kernel-patches/ of this version)",
		 event, have, want);
	return -EOPNOTSUPP;
}

static const char *np_missing(const struct kernel_features *f,
			      enum tierd_tristate want, char *buf, size_t len)
{
	if (!f->btf)
		return "kernel has no BTF (/sys/kernel/btf/vmlinux): needs a kernel built with CONFIG_DEBUG_INFO_BTF";
	if (!f->private_node_tp)
		return "kernel has no node_private:node_private_write_fault tracepoint (needs kernel-patches/)";
	if (check_args("node_private_write_fault", f->private_fault_args,
		       TIERD_NP_FAULT_ARGS, buf, len))
		return buf;
	if (f->private_sysfs_error[0])
		return f->private_sysfs_error;
	return NULL;
}

static void np_select(struct bpf_obj *b, const struct kernel_features *f)
{
	struct tierd_bpf *skel = bpf_obj_skel(b);

	bpf_program__set_autoload(skel->progs.tierd_np_fault, true);
	bpf_program__set_autoload(skel->progs.tierd_np_migrate,
				  f->private_migrate_tp);
}

/*
 * node_private_migrate, without which only the correlation with the
 * kernel's own migrations is lost.  true, or false with the reason in @why.
 */
static bool attach_migrate(struct tierd_bpf *skel,
			   const struct kernel_features *f, char *why,
			   size_t len)
{
	int ret;

	if (!f->private_migrate_tp) {
		snprintf(why, len, "the kernel has no node_private_migrate");
		return false;
	}
	if (check_args("node_private_migrate", f->private_migrate_args,
		       TIERD_NP_MIGRATE_ARGS, why, len))
		return false;
	ret = bpf_obj_attach(skel->progs.tierd_np_migrate,
			     &skel->links.tierd_np_migrate);
	if (ret) {
		snprintf(why, len, "attaching node_private_migrate failed: %s",
			 strerror(-ret));
		return false;
	}
	return true;
}

static int np_open(struct source *s, const struct source_env *env,
		   char *err, size_t errlen)
{
	struct tierd_bpf *skel = bpf_obj_skel(env->bpf);
	const struct kernel_features *f = env->feat;
	char why[160] = "";
	struct private_node *np;
	int ret;

	np = calloc(1, sizeof(*np));
	if (!np) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = bpf_obj_attach(skel->progs.tierd_np_fault,
			     &skel->links.tierd_np_fault);
	if (ret) {
		snprintf(err, errlen, "attaching %s (%s) failed: %s%s",
			 bpf_program__name(skel->progs.tierd_np_fault),
			 bpf_program__section_name(skel->progs.tierd_np_fault),
			 strerror(-ret), ret == -EINVAL && !f->private_fault_args ?
			 " (an event with fewer arguments than this tierd reads? see kernel-patches/)" : "");
		free(np);
		return ret;
	}
	np->bpf = env->bpf;
	/* its own migrations are not the kernel's */
	skel->data->np_self_tgid = (uint32_t)getpid();
	np->migrate = attach_migrate(skel, f, why, sizeof(why));
	if (!np->migrate)
		/* only what the kernel moved on its own is lost */
		log_warn("source private_node: %s; the kernel's own migrations are not counted and a folio it promotes is left to tierd's location query",
			 why);
	s->priv = np;
	if (np->migrate)
		snprintf(s->state, sizeof(s->state),
			 "active (raw_tp/node_private_write_fault, node_private_migrate)");
	else
		snprintf(s->state, sizeof(s->state),
			 "active (raw_tp/node_private_write_fault; %s: kernel migrations not counted)",
			 why);
	return 0;
}

static void np_stats(const struct source *s, struct tierd_source_stats *st)
{
	const struct private_node *np = s->priv;
	struct tierd_bpf *skel = bpf_obj_skel(np->bpf);

	bpf_obj_prog_stats(skel->progs.tierd_np_fault, &st->prog_run_cnt,
			   &st->prog_run_time_ns);
	if (np->migrate)
		bpf_obj_prog_stats(skel->progs.tierd_np_migrate,
				   &st->prog_run_cnt, &st->prog_run_time_ns);
}

static void np_close(struct source *s)
{
	free(s->priv);
	s->priv = NULL;
}

const struct source_ops private_node_source = {
	.id = TIERD_SRC_PRIVATE_NODE,
	.uses_bpf = true,
	.tracks_whole_scope = true,
	.wanted = np_wanted,
	.missing = np_missing,
	.select = np_select,
	.open = np_open,
	.stats = np_stats,
	.close = np_close,
};
