// SPDX-License-Identifier: GPL-2.0
/* Small file-system helpers of the thin edge. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "os/fsutil.h"

int fs_mkdir_parents(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			int e = errno;

			snprintf(err, errlen, "cannot create directory %s: %s",
				 dir, strerror(e));
			return -e;
		}
		*p = c;
		if (!c)
			break;
	}
	return 0;
}
