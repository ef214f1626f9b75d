// SPDX-License-Identifier: GPL-2.0
/*
 * A process opts itself in (`track`): the pipeline's part is the scope;
 * which source takes the descriptor and how it checks it is the
 * collector's and the source's.
 */
#include <errno.h>
#include <stdio.h>

#include "os/procfs.h"
#include "pipeline/internal.h"
#include "pipeline/pipeline.h"

int pipeline_track(struct pipeline *p, const struct source_adopt *a,
		   uint64_t now_ms, char *msg, size_t msglen)
{
	char comm[TIERD_COMM_LEN], cgroup[TIERD_CGROUP_LEN];
	struct scope_proc sp = { .pid = a->pid };
	int r;

	if (a->pid <= 0 || a->pid == p->self) {
		snprintf(msg, msglen, "pid %d cannot be tracked", (int)a->pid);
		return -EINVAL;
	}
	r = procfs_read_comm(a->pid, comm, sizeof(comm));
	if (r < 0) {
		snprintf(msg, msglen, "pid %d: %s", (int)a->pid,
			 r == -ESRCH ? "gone" : "cannot read its comm");
		return r;
	}
	sp.comm = comm;
	sp.cgroup = procfs_read_cgroup(a->pid, cgroup, sizeof(cgroup)) == 0 ?
		    cgroup : NULL;
	if (!scope_match(&p->cfg, &sp)) {
		snprintf(msg, msglen, "pid %d (%s) is outside tierd's [scope]",
			 (int)a->pid, comm);
		return -EPERM;
	}
	p->now_ms = now_ms;
	return collector_adopt(p->col, a, now_ms, msg, msglen);
}
