// SPDX-License-Identifier: GPL-2.0
/*
 * Other movers: detect (os/movers.c), decide (core/movers.c), and with
 * [promotion] take_over = yes turn the kernel's own promotion off through
 * the settings record, so it comes back when tierd stops.
 */
#include <string.h>

#include "lib/log.h"
#include "os/movers.h"
#include "pipeline/internal.h"

#define OWNER "take_over"

void pipeline_check_movers(struct pipeline *p)
{
	struct movers_seen seen = { .other_tierd = p->other_tierd };
	struct movers_verdict v;
	char err[256];
	int ret;

	movers_detect(p->owned, DAMON_ADMIN, &seen);
	movers_decide(&seen, p->cfg.take_over, &v);
	if (v.set_nb_rate_mbps >= 0) {
		ret = owned_sysctl_set(p->owned, OWNER,
				       "kernel/numa_balancing_promote_rate_limit_MBps",
				       v.set_nb_rate_mbps, err, sizeof(err));
		if (ret)
			log_warn("take_over: %s", err);
	}
	if (v.set_nb_mode >= 0) {
		ret = owned_sysctl_set(p->owned, OWNER, "kernel/numa_balancing",
				       v.set_nb_mode, err, sizeof(err));
		if (ret)
			log_warn("take_over: %s", err);
	}
	/* once per change, not once per check */
	if (strcmp(v.why, p->movers.why) || v.promote != p->movers.promote) {
		if (v.any)
			log_warn("other movers: %s", v.why);
		else if (p->movers.any)
			log_notice("other movers: none any more");
	}
	p->movers = v;
	p->movers_checked_ms = p->now_ms;
}
