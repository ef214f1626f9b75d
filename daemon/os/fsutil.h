/* SPDX-License-Identifier: GPL-2.0 */
/* Small file-system helpers of the thin edge. */
#ifndef TIERD_OS_FSUTIL_H
#define TIERD_OS_FSUTIL_H

#include <stddef.h>

/*
 * Create the directories above the file @path, mode 0755, as mkdir -p
 * does.  0, or -errno with the directory and reason in @err.
 */
int fs_mkdir_parents(const char *path, char *err, size_t errlen);

#endif /* TIERD_OS_FSUTIL_H */
