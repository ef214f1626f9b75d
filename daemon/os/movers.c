// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON's sysfs interface: admin/kdamonds/N/{state,contexts/M/schemes/K/
 * action}.  tierd creates no kdamond of its own yet, so every running
 * migrate scheme is somebody else's.
 */
#include <stdio.h>
#include <string.h>

#include "os/movers.h"

static int read_word(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = -1;

	if (!f)
		return -1;
	if (fgets(buf, (int)len, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		ret = 0;
	}
	fclose(f);
	return ret;
}

static unsigned int read_count(const char *path)
{
	char buf[32];
	unsigned int n;

	if (read_word(path, buf, sizeof(buf)) || sscanf(buf, "%u", &n) != 1)
		return 0;
	/* sysfs makes no sense past this: do not walk millions of dirs */
	return n > 64 ? 64 : n;
}

static void damos_detect(const char *admin, struct movers_seen *s)
{
	char path[512], word[32];
	unsigned int nk, nc, ns;

	snprintf(path, sizeof(path), "%s/kdamonds/nr_kdamonds", admin);
	nk = read_count(path);
	for (unsigned int k = 0; k < nk; k++) {
		snprintf(path, sizeof(path), "%s/kdamonds/%u/state", admin, k);
		if (read_word(path, word, sizeof(word)) || strcmp(word, "on"))
			continue;
		snprintf(path, sizeof(path), "%s/kdamonds/%u/contexts/nr_contexts",
			 admin, k);
		nc = read_count(path);
		for (unsigned int c = 0; c < nc; c++) {
			snprintf(path, sizeof(path),
				 "%s/kdamonds/%u/contexts/%u/schemes/nr_schemes",
				 admin, k, c);
			ns = read_count(path);
			for (unsigned int i = 0; i < ns; i++) {
				snprintf(path, sizeof(path),
					 "%s/kdamonds/%u/contexts/%u/schemes/%u/action",
					 admin, k, c, i);
				if (read_word(path, word, sizeof(word)) ||
				    strncmp(word, "migrate_", 8))
					continue;
				if (!s->damos_migrate++)
					snprintf(s->damos_first,
						 sizeof(s->damos_first),
						 "kdamond %u: %s", k, word);
			}
		}
	}
}

void movers_detect(const struct owned *o, const char *damon_admin,
		   struct movers_seen *s)
{
	pid_t other = s->other_tierd;

	memset(s, 0, sizeof(*s));
	s->other_tierd = other;
	s->nb_known = !owned_sysctl_get(o, "kernel/numa_balancing", &s->nb_mode);
	if (s->nb_known &&
	    owned_sysctl_get(o, "kernel/numa_balancing_promote_rate_limit_MBps",
			     &s->nb_rate_mbps))
		/* 6.0 and older: tiering mode has no rate limit at all */
		s->nb_rate_mbps = (s->nb_mode & NB_MODE_TIERING) ? 1 : 0;
	damos_detect(damon_admin, s);
}
