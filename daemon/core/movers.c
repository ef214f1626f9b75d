// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "core/movers.h"

static void add(struct movers_verdict *v, size_t *off, const char *text)
{
	if (*off < sizeof(v->why))
		*off += snprintf(v->why + *off, sizeof(v->why) - *off, "%s%s",
				 *off ? "; " : "", text);
}

void movers_decide(const struct movers_seen *s, bool take_over,
		   struct movers_verdict *v)
{
	char text[160];
	size_t off = 0;

	memset(v, 0, sizeof(*v));
	v->set_nb_mode = -1;
	v->set_nb_rate_mbps = -1;

	if (s->nb_known && (s->nb_mode & NB_MODE_NORMAL)) {
		snprintf(text, sizeof(text),
			 "kernel NUMA balancing migrates for locality (kernel.numa_balancing = %ld)",
			 s->nb_mode);
		add(v, &off, text);
		v->set_nb_mode = s->nb_mode & ~NB_MODE_NORMAL;
	}
	if (s->nb_known && (s->nb_mode & NB_MODE_TIERING) &&
	    s->nb_rate_mbps > 0) {
		snprintf(text, sizeof(text),
			 "the kernel promotes itself (kernel.numa_balancing = %ld, numa_balancing_promote_rate_limit_MBps = %ld)",
			 s->nb_mode, s->nb_rate_mbps);
		add(v, &off, text);
		v->set_nb_rate_mbps = 0;
	}
	if (s->damos_migrate) {
		snprintf(text, sizeof(text),
			 "%u DAMON migrate scheme%s tierd did not create (%s)",
			 s->damos_migrate, s->damos_migrate == 1 ? "" : "s",
			 s->damos_first);
		add(v, &off, text);
	}
	if (s->other_tierd > 0) {
		snprintf(text, sizeof(text), "another tierd runs (pid %d)",
			 (int)s->other_tierd);
		add(v, &off, text);
	}
	v->any = off > 0;
	if (!v->any) {
		v->promote = true;
		return;
	}
	if (take_over) {
		v->promote = true;
		add(v, &off, "take_over = yes: tierd promotes, the kernel's own promotion is turned off while it runs");
		return;
	}
	/* not ours to change */
	v->set_nb_mode = v->set_nb_rate_mbps = -1;
	add(v, &off, "tierd observes and does not promote ([promotion] take_over = yes to promote anyway)");
}
