/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `stats json` back into struct tierd_stats, walking the same lists
 * (stats.h) the daemon renders it from, so tierctl top reads every
 * counter the daemon writes.  Members it does not know are ignored (a
 * newer tierd), missing ones stay 0 (an older one).
 */
#ifndef TIERCTL_STATS_PARSE_H
#define TIERCTL_STATS_PARSE_H

#include <stddef.h>

#include "stats/stats.h"

/*
 * Parse @text into @st (zeroed first).  Returns 0, or -EINVAL with what
 * is wrong and where (e.g. "pids[2].records: not a number") in @err.
 */
int stats_parse_json(const char *text, struct tierd_stats *st, char *err,
		     size_t errlen);

#endif /* TIERCTL_STATS_PARSE_H */
