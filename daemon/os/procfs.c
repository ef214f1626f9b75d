// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/procfs.h"

#define PF_KTHREAD 0x00200000	/* include/linux/sched.h */

static int read_small(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return (int)n;
}

static bool is_kernel_thread(pid_t pid)
{
	char stat[512], *p;
	unsigned long flags;

	if (read_small(pid, "stat", stat, sizeof(stat)) < 0)
		return true;
	/* comm may hold spaces and parens: fields resume after the last ')' */
	p = strrchr(stat, ')');
	if (!p)
		return true;
	/* ") S ppid pgrp session tty tpgid flags" */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return true;
	return flags & PF_KTHREAD;
}

int procfs_list_pids(pid_t **pids)
{
	size_t nr = 0, cap = 256;
	struct dirent *de;
	pid_t *out;
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return -errno;
	out = malloc(cap * sizeof(*out));
	if (!out) {
		closedir(dir);
		return -ENOMEM;
	}
	while ((de = readdir(dir))) {
		char *end;
		long v;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		v = strtol(de->d_name, &end, 10);
		if (*end || v <= 0 || is_kernel_thread((pid_t)v))
			continue;
		if (nr == cap) {
			pid_t *grown = realloc(out, 2 * cap * sizeof(*out));

			if (!grown) {
				free(out);
				closedir(dir);
				return -ENOMEM;
			}
			out = grown;
			cap *= 2;
		}
		out[nr++] = (pid_t)v;
	}
	closedir(dir);
	*pids = out;
	return (int)nr;
}

int procfs_read_comm(pid_t pid, char *buf, size_t len)
{
	int n = read_small(pid, "comm", buf, len);

	if (n < 0)
		return n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int procfs_read_cgroup(pid_t pid, char *buf, size_t len)
{
	char data[4096], *line, *save = NULL;
	int n = read_small(pid, "cgroup", data, sizeof(data));

	if (n < 0)
		return n;
	for (line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* the v2 hierarchy is the "0::" line */
		if (strncmp(line, "0::", 3) == 0) {
			snprintf(buf, len, "%s", line + 3);
			return 0;
		}
	}
	return -ENOENT;
}

/* The page size a numa_maps line counts in, from "kernelpagesize_kB=". */
static uint64_t line_page_kb(const char *line)
{
	const char *k = strstr(line, " kernelpagesize_kB=");
	unsigned long kb;

	if (!k || sscanf(k, " kernelpagesize_kB=%lu", &kb) != 1 || !kb)
		return 4;
	return kb;
}

int procfs_node_pages(pid_t pid, uint64_t pages[64])
{
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	memset(pages, 0, 64 * sizeof(*pages));
	snprintf(path, sizeof(path), "/proc/%d/numa_maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &cap, f) > 0) {
		uint64_t per = line_page_kb(line) / 4;

		/* tokens " N<node>=<pages>" */
		for (char *p = strstr(line, " N"); p; p = strstr(p + 2, " N")) {
			char *end, *val;
			long node = strtol(p + 2, &end, 10);
			unsigned long long n;

			if (end == p + 2 || *end != '=' || node < 0 || node >= 64)
				continue;
			n = strtoull(end + 1, &val, 10);
			if (val != end + 1)
				pages[node] += n * (per ? per : 1);
		}
	}
	free(line);
	fclose(f);
	return 0;
}

int procfs_clear_soft_dirty(pid_t pid)
{
	char path[64];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if (write(fd, "4", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}
