/* SPDX-License-Identifier: GPL-2.0 */
/* tierctl top: the live view, and its one-shot forms for scripts. */
#ifndef TIERCTL_TOP_H
#define TIERCTL_TOP_H

#include <stdbool.h>

#include "tierctl/client.h"

struct top_opts {
	unsigned int interval_ms;	/* between refreshes / samples */
	bool once;			/* one text snapshot, no terminal */
	bool json;			/* one JSON snapshot, no terminal */
};

/* Returns tierctl's exit code (client.h; 128 + N after signal N). */
int top_run(const struct ctl_target *t, const struct top_opts *o);

#endif /* TIERCTL_TOP_H */
