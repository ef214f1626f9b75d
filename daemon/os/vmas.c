// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/vmas.h"

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/*
 * Only what the kernel itself names: an anonymous private mapping has no
 * path (or a bracketed name), shared anonymous memory shows as the shmem
 * file the kernel made for it.  Hugetlb and file mappings are left alone.
 */
static enum vma_kind kind_of(char share, unsigned long inode, const char *path)
{
	if (share == 'p') {
		if (inode)
			return VMA_OTHER;
		if (!*path || !strcmp(path, "[heap]") ||
		    !strcmp(path, "[stack]") || starts_with(path, "[anon:"))
			return VMA_ANON;
		return VMA_OTHER;	/* [vdso], [vvar], [vsyscall], ... */
	}
	if (!strcmp(path, "/dev/zero (deleted)") || starts_with(path, "/SYSV") ||
	    (starts_with(path, "/memfd:") && !strstr(path, "hugetlb")) ||
	    starts_with(path, "/dev/shm/") || starts_with(path, "[anon_shmem:"))
		return VMA_SHMEM;
	return VMA_OTHER;
}

int vmas_parse_maps_line(const char *line, struct vma_span *v)
{
	unsigned long long start, end, off;
	unsigned long inode;
	char perms[8], dev[16];
	int pos = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %15s %lu %n", &start, &end, perms,
		   &off, dev, &inode, &pos) < 6 || end <= start ||
	    strlen(perms) != 4)
		return -EINVAL;
	v->start = start;
	v->end = end;
	if (pos) {
		char path[512];

		snprintf(path, sizeof(path), "%s", line + pos);
		path[strcspn(path, "\n")] = '\0';
		v->kind = kind_of(perms[3], inode, path);
	} else {
		v->kind = kind_of(perms[3], inode, "");
	}
	return 0;
}

static FILE *open_proc(pid_t pid, const char *name)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", name);
	return fopen(path, "re");
}

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 64;
	void *n;

	if (need <= *cap)
		return 0;
	n = realloc(*buf, ncap * elem);
	if (!n)
		return -ENOMEM;
	*buf = n;
	*cap = ncap;
	return 0;
}

int vmas_read(pid_t pid, struct vma_span **out)
{
	struct vma_span *v = NULL, cur;
	size_t n = 0, cap = 0, lcap = 0;
	char *line = NULL;
	int ret = 0;
	FILE *f;

	f = open_proc(pid, "maps");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &lcap, f) > 0) {
		if (vmas_parse_maps_line(line, &cur) < 0 ||
		    cur.kind == VMA_OTHER)
			continue;
		if (grow((void **)&v, &cap, n + 1, sizeof(*v)) < 0) {
			ret = -ENOMEM;
			break;
		}
		v[n++] = cur;
	}
	free(line);
	fclose(f);
	if (ret) {
		free(v);
		return ret;
	}
	*out = v;
	return (int)n;
}

int vmas_parse_numa_line(const char *line, uint64_t slow_mask,
			 struct vma_nodes *n)
{
	unsigned long long start;
	const char *p;

	if (sscanf(line, "%llx ", &start) != 1)
		return -EINVAL;
	*n = (struct vma_nodes){ .start = start };
	/* tokens " N<node>=<pages>" */
	for (p = strstr(line, " N"); p; p = strstr(p + 2, " N")) {
		unsigned long long pages;
		unsigned int node;
		int used = 0;

		if (sscanf(p + 2, "%u=%llu%n", &node, &pages, &used) != 2 ||
		    !used)
			continue;
		if (node < 64 && (slow_mask & (1ULL << node)))
			n->slow_pages += pages;
		else
			n->other_pages += pages;
	}
	return 0;
}

int vmas_read_nodes(pid_t pid, uint64_t slow_mask, struct vma_nodes **out)
{
	struct vma_nodes *v = NULL, cur;
	size_t n = 0, cap = 0, lcap = 0;
	char *line = NULL;
	int ret = 0;
	FILE *f;

	f = open_proc(pid, "numa_maps");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &lcap, f) > 0) {
		if (vmas_parse_numa_line(line, slow_mask, &cur) < 0)
			continue;
		if (grow((void **)&v, &cap, n + 1, sizeof(*v)) < 0) {
			ret = -ENOMEM;
			break;
		}
		v[n++] = cur;
	}
	free(line);
	fclose(f);
	if (ret) {
		free(v);
		return ret;
	}
	*out = v;
	return (int)n;
}
