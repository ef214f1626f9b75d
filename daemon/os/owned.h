/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Settings tierd changes in the system (sysctls today), recorded in a file
 * before each change and restored when tierd exits, when the part that
 * made them (a source) closes, or, after a crash, when the next tierd
 * starts.  A setting is put back only if it still holds the value tierd
 * wrote: a value somebody changed since is theirs, and is left alone.
 *
 * The file (one per tierd, beside its control socket) holds the writer's
 * pid and one line per change: "sysctl OWNER NAME OLD NEW".
 */
#ifndef TIERD_OS_OWNED_H
#define TIERD_OS_OWNED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define OWNED_SYSCTL_ROOT "/proc/sys"

struct owned;

/*
 * Open the record at @path, with sysctls under @sysctl_root (tests point
 * both at a scratch directory).  A record left by a tierd that is gone is
 * restored first.  -EBUSY when a live tierd (pid in *@holder) wrote it;
 * other -errno with the reason in @err.
 */
int owned_open(const char *path, const char *sysctl_root, struct owned **out,
	       pid_t *holder, char *err, size_t errlen);

/* Read sysctl @name ("kernel/numa_balancing").  0 or -errno. */
int owned_sysctl_get(const struct owned *o, const char *name, long *value);

/*
 * Set sysctl @name to @value for @owner, recording the old value first.
 * A setting that already has @value is not recorded (nothing to undo),
 * unless @owner set it: then it gains a holder, and owned_restore() of
 * @owner puts it back only when the last holder is done.  0, or -errno
 * with the reason in @err and nothing changed.
 */
int owned_sysctl_set(struct owned *o, const char *owner, const char *name,
		     long value, char *err, size_t errlen);

/* Whether @owner changed @name (and it was not restored yet). */
bool owned_holds(const struct owned *o, const char *owner, const char *name);

/*
 * @owner lets go of what it changed: settings it was the last holder of
 * go back, newest first (NULL: everything, now).  Logs each restored or
 * abandoned setting.
 */
void owned_restore(struct owned *o, const char *owner);

/* Restore everything and remove the record. */
void owned_close(struct owned *o);

/* "kernel/numa_balancing 0 -> 2 (numa_hint); ..." into @buf. */
void owned_describe(const struct owned *o, char *buf, size_t len);

#endif /* TIERD_OS_OWNED_H */
