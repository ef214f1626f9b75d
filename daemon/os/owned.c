// SPDX-License-Identifier: GPL-2.0
/*
 * The record of settings tierd changed.  Every change is written to the
 * record (a whole new file, fsync'ed and renamed over the old one) before
 * the setting itself is touched, so a crash at any point leaves either no
 * change or a change the next start can undo.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "os/fsutil.h"
#include "os/owned.h"

#define OWNED_MAX	16
#define NAME_LEN	96
#define OWNER_LEN	32

struct owned_entry {
	char owner[OWNER_LEN];
	char name[NAME_LEN];		/* "kernel/numa_balancing" */
	long old, new;
	/*
	 * Holders in this process: a reload opens the new sources before it
	 * closes the old ones, and the old ones must not restore what the
	 * new ones keep.  Not saved: after a crash nobody holds anything.
	 */
	unsigned int refs;
};

struct owned {
	char path[PATH_MAX];
	char root[PATH_MAX];
	unsigned int nr;
	struct owned_entry e[OWNED_MAX];
};

static int sysctl_path(const char *root, const char *name, char *buf,
		       size_t len)
{
	/* names come from tierd's own code, but keep them inside the root */
	if (strstr(name, "..") || name[0] == '/')
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/%s", root, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int read_long(const char *path, long *value)
{
	char buf[64], *end;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	errno = 0;
	*value = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

static int write_long(const char *path, long value)
{
	char buf[32];
	int fd, n, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%ld\n", value);
	if (write(fd, buf, n) != n)
		ret = -errno ?: -EIO;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

int owned_sysctl_get(const struct owned *o, const char *name, long *value)
{
	char path[PATH_MAX];
	int ret = sysctl_path(o->root, name, path, sizeof(path));

	return ret ? ret : read_long(path, value);
}

/* Write the whole record: tmp file, fsync, rename. */
static int save(const struct owned *o)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int ret = 0;

	if (!o->nr) {
		if (unlink(o->path) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", o->path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "pid %d\n", (int)getpid());
	for (unsigned int i = 0; i < o->nr; i++)
		fprintf(f, "sysctl %s %s %ld %ld\n", o->e[i].owner,
			o->e[i].name, o->e[i].old, o->e[i].new);
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, o->path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/* Put entry @i back if it still holds what tierd wrote. */
static void restore_entry(struct owned *o, unsigned int i)
{
	const struct owned_entry *e = &o->e[i];
	char path[PATH_MAX];
	long now;
	int ret;

	ret = sysctl_path(o->root, e->name, path, sizeof(path));
	if (!ret)
		ret = read_long(path, &now);
	if (ret) {
		log_fields(LOG_WARNING, LOG_FIELDS(.source = e->owner,
			   .setting = e->name, .err = ret),
			   "cannot read %s to restore it to %ld: %s", e->name,
			   e->old, strerror(-ret));
		return;
	}
	if (now == e->old)	/* crashed between recording and writing */
		return;
	if (now != e->new) {
		log_fields(LOG_NOTICE, LOG_FIELDS(.source = e->owner,
			   .setting = e->name),
			   "%s is %ld, not the %ld tierd set: somebody changed it, leaving it",
			   e->name, now, e->new);
		return;
	}
	ret = write_long(path, e->old);
	if (ret)
		log_fields(LOG_WARNING, LOG_FIELDS(.source = e->owner,
			   .setting = e->name, .err = ret),
			   "cannot restore %s to %ld: %s", e->name, e->old,
			   strerror(-ret));
	else
		log_fields(LOG_INFO, LOG_FIELDS(.source = e->owner,
			   .setting = e->name),
			   "restored %s = %ld (tierd had set %ld for %s)",
			   e->name, e->old, e->new, e->owner);
}

static bool tierd_alive(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (pid <= 0 || pid == getpid() || (kill(pid, 0) < 0 && errno == ESRCH))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strcmp(comm, "tierd\n");
}

/* Parse a record left behind.  -EINVAL names the bad line in @err. */
static int load(struct owned *o, FILE *f, pid_t *writer, char *err,
		size_t errlen)
{
	char line[256];
	unsigned int lineno = 0;

	*writer = 0;
	while (fgets(line, sizeof(line), f)) {
		struct owned_entry e = { 0 };
		int pid;

		lineno++;
		if (lineno == 1 && sscanf(line, "pid %d", &pid) == 1) {
			*writer = pid;
			continue;
		}
		if (sscanf(line, "sysctl %31s %95s %ld %ld", e.owner, e.name,
			   &e.old, &e.new) != 4 || o->nr == OWNED_MAX) {
			snprintf(err, errlen, "%s:%u: not a record line",
				 o->path, lineno);
			return -EINVAL;
		}
		o->e[o->nr++] = e;
	}
	return 0;
}

int owned_open(const char *path, const char *sysctl_root, struct owned **out,
	       pid_t *holder, char *err, size_t errlen)
{
	struct owned *o;
	pid_t writer = 0;
	FILE *f;
	int ret;

	*out = NULL;
	*holder = 0;
	o = calloc(1, sizeof(*o));
	if (!o) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(o->path, sizeof(o->path), "%s", path);
	snprintf(o->root, sizeof(o->root), "%s", sysctl_root);
	/* beside the control socket, whose directory may not exist yet */
	ret = fs_mkdir_parents(path, err, errlen);
	if (ret)
		goto fail;
	f = fopen(path, "re");
	if (!f && errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		goto fail;
	}
	if (f) {
		ret = load(o, f, &writer, err, errlen);
		fclose(f);
		if (ret) {
			char aside[PATH_MAX + 16];

			/* nothing in it can be trusted: keep it for a person */
			snprintf(aside, sizeof(aside), "%s.corrupt", path);
			log_err("%s; moved to %s, its settings are not restored",
				err, aside);
			rename(path, aside);
			o->nr = 0;
			writer = 0;
		}
		if (tierd_alive(writer)) {
			*holder = writer;
			snprintf(err, errlen, "tierd pid %d owns the settings recorded in %s",
				 (int)writer, path);
			ret = -EBUSY;
			goto fail;
		}
		if (o->nr)
			log_notice("%s: a previous tierd (pid %d) left %u changed setting%s: restoring",
				   path, (int)writer, o->nr, o->nr == 1 ? "" : "s");
		owned_restore(o, NULL);
	}
	ret = save(o);
	if (ret) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-ret));
		goto fail;
	}
	*out = o;
	return 0;
fail:
	free(o);
	return ret;
}

static struct owned_entry *find(struct owned *o, const char *owner,
				 const char *name)
{
	for (unsigned int i = 0; i < o->nr; i++)
		if (!strcmp(o->e[i].owner, owner) && !strcmp(o->e[i].name, name))
			return &o->e[i];
	return NULL;
}

int owned_sysctl_set(struct owned *o, const char *owner, const char *name,
		     long value, char *err, size_t errlen)
{
	struct owned_entry *e;
	char path[PATH_MAX];
	long old;
	int ret;

	ret = sysctl_path(o->root, name, path, sizeof(path));
	if (!ret)
		ret = read_long(path, &old);
	if (ret) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	e = find(o, owner, name);
	if (e && e->new == value && old == value) {
		e->refs++;
		return 0;
	}
	if (old == value)	/* not changed by us: nothing to undo */
		return 0;
	if (e) {
		/* somebody moved it since; ours again, the first old value stays */
		ret = write_long(path, value);
		if (ret) {
			snprintf(err, errlen, "cannot write %s = %ld: %s", path,
				 value, strerror(-ret));
			return ret;
		}
		e->new = value;
		e->refs++;
		return save(o);
	}
	if (o->nr == OWNED_MAX) {
		snprintf(err, errlen, "too many changed settings to record (%d)",
			 OWNED_MAX);
		return -ENOSPC;
	}
	e = &o->e[o->nr++];
	*e = (struct owned_entry){ .old = old, .new = value, .refs = 1 };
	snprintf(e->owner, sizeof(e->owner), "%s", owner);
	snprintf(e->name, sizeof(e->name), "%s", name);
	ret = save(o);
	if (ret) {
		o->nr--;
		snprintf(err, errlen, "cannot record the change of %s in %s: %s",
			 name, o->path, strerror(-ret));
		return ret;
	}
	ret = write_long(path, value);
	if (ret) {
		o->nr--;
		save(o);
		snprintf(err, errlen, "cannot write %s = %ld: %s", path, value,
			 strerror(-ret));
		return ret;
	}
	return 0;
}

bool owned_holds(const struct owned *o, const char *owner, const char *name)
{
	for (unsigned int i = 0; i < o->nr; i++)
		if (!strcmp(o->e[i].owner, owner) && !strcmp(o->e[i].name, name))
			return true;
	return false;
}

/* Entry @i goes back now: every holder of it is done (or all are). */
static bool releases(struct owned_entry *e, const char *owner)
{
	if (!owner)
		return true;
	if (strcmp(e->owner, owner))
		return false;
	return !e->refs || !--e->refs;
}

void owned_restore(struct owned *o, const char *owner)
{
	bool gone[OWNED_MAX] = { false };
	unsigned int keep = 0;
	int ret;

	for (unsigned int i = o->nr; i-- > 0;)
		if (releases(&o->e[i], owner)) {
			restore_entry(o, i);
			gone[i] = true;
		}
	for (unsigned int i = 0; i < o->nr; i++)
		if (!gone[i])
			o->e[keep++] = o->e[i];
	if (keep == o->nr)
		return;
	o->nr = keep;
	ret = save(o);
	if (ret)
		log_warn("cannot update %s: %s", o->path, strerror(-ret));
}

void owned_close(struct owned *o)
{
	if (!o)
		return;
	owned_restore(o, NULL);
	if (unlink(o->path) < 0 && errno != ENOENT)
		log_warn("cannot remove %s: %m", o->path);
	free(o);
}

void owned_describe(const struct owned *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < o->nr && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s %ld -> %ld (%s)",
				i ? "; " : "", o->e[i].name, o->e[i].old,
				o->e[i].new, o->e[i].owner);
}
