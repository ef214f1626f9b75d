// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel feature probes: tracefs and BTF for tracepoints, a soft-dirty round
 * trip on a page of our own, sysctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "os/pagemap.h"
#include "os/probe.h"
#include "os/uffd.h"

#define VMLINUX_BTF		"/sys/kernel/btf/vmlinux"
#define BPF_STATS_SYSCTL	"/proc/sys/kernel/bpf_stats_enabled"
#define PAGEMAP_SOFT_DIRTY	(1ULL << 55)
#define NUMA_BALANCING_SYSCTL	"/proc/sys/kernel/numa_balancing"

static const char *const tracefs_roots[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

static bool tracefs_event(const char *sys, const char *name)
{
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(tracefs_roots) / sizeof(tracefs_roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs_roots[i],
			 sys, name);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}

int probe_tp_args_btf(const struct btf *vmlinux, const char *name)
{
	const struct btf_type *t;
	char type[128];
	int id;

	if (!vmlinux)
		return -ENOENT;
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	id = btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -ENOENT;
	/* typedef void (*btf_trace_<name>)(void *__data, <TP_PROTO>) */
	t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
	if (!t || !btf_is_ptr(t))
		return -ENOENT;
	t = btf__type_by_id(vmlinux, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return -ENOENT;
	return btf_vlen(t) - 1;
}

int probe_tp_args_format(const char *path)
{
	char line[512], field[128];
	bool format = false;
	int n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");
		const char *semi, *name;

		if (!strncmp(p, "format:", 7)) {
			format = true;
			continue;
		}
		if (!format || strncmp(p, "field:", 6))
			continue;
		/* "field:unsigned long pfn;\toffset:..."; the name ends at ';' */
		semi = strchr(p, ';');
		if (!semi || semi - p >= (long)sizeof(field))
			continue;
		memcpy(field, p, semi - p);
		field[semi - p] = '\0';
		name = strrchr(field, ' ');
		name = name ? name + 1 : field + 6;
		if (strncmp(name, "common_", 7))
			n++;
	}
	fclose(f);
	return format && n > 0 ? n : -EINVAL;
}

/* The tracepoint's arguments, from BTF or tracefs; 0 when unknown. */
static uint8_t tracepoint_args(const struct btf *vmlinux, const char *sys,
			       const char *name)
{
	char path[256];
	int n = probe_tp_args_btf(vmlinux, name);

	for (size_t i = 0; n < 0 && i < sizeof(tracefs_roots) /
					 sizeof(tracefs_roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s/format",
			 tracefs_roots[i], sys, name);
		n = probe_tp_args_format(path);
	}
	return n > 0 && n <= UINT8_MAX ? (uint8_t)n : 0;
}

/* Every tracepoint has a btf_trace_<name> typedef, tracefs or not. */
static bool btf_tracepoint(const struct btf *vmlinux, const char *name)
{
	char type[128];

	if (!vmlinux)
		return false;
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF) > 0;
}

static int pagemap_soft_dirty(int fd, const void *addr, bool *dirty)
{
	uint64_t ent;
	off_t off = (uintptr_t)addr / (uintptr_t)sysconf(_SC_PAGESIZE) *
		    sizeof(ent);

	if (pread(fd, &ent, sizeof(ent), off) != sizeof(ent))
		return -errno ?: -EIO;
	*dirty = ent & PAGEMAP_SOFT_DIRTY;
	return 0;
}

/*
 * Does clear_refs=4 re-arm write faults?  Without CONFIG_MEM_SOFT_DIRTY
 * the write succeeds but the bit never sets, so test the round trip on a
 * page of our own.  Clearing our own soft-dirty bits is harmless: nothing
 * else reads them, and the cost is one write fault per page we touch next.
 */
static bool soft_dirty_works(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	volatile char *page;
	bool after_clear = true, after_write = false;
	int cfd = -1, pfd = -1;

	page = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return false;
	page[0] = 1;

	cfd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	pfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (cfd < 0 || pfd < 0)
		goto out;
	if (write(cfd, "4", 1) != 1)
		goto out;
	if (pagemap_soft_dirty(pfd, (const void *)page, &after_clear) < 0)
		goto out;
	page[0] = 2;
	if (pagemap_soft_dirty(pfd, (const void *)page, &after_write) < 0)
		goto out;
out:
	if (cfd >= 0)
		close(cfd);
	if (pfd >= 0)
		close(pfd);
	munmap((void *)page, psz);
	return !after_clear && after_write;
}

bool probe_bpf_stats_enabled(void)
{
	char buf[8] = "";
	int fd;
	ssize_t n;

	fd = open(BPF_STATS_SYSCTL, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && buf[0] == '1';
}

/*
 * The hint-fault program needs mpol_misplaced() with the fault (struct
 * vm_fault) as its second argument, which tells reads from writes.
 */
static bool hint_hook(const struct btf *vmlinux)
{
	const struct btf_param *param;
	const struct btf_type *t;
	int id;

	if (!vmlinux)
		return false;
	id = btf__find_by_name_kind(vmlinux, "mpol_misplaced", BTF_KIND_FUNC);
	if (id <= 0)
		return false;
	t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 3)
		return false;
	param = btf_params(t) + 1;
	t = btf__type_by_id(vmlinux, param->type);
	while (t && btf_is_mod(t))
		t = btf__type_by_id(vmlinux, t->type);
	if (!t || !btf_is_ptr(t))
		return false;
	t = btf__type_by_id(vmlinux, t->type);
	return t && btf_is_struct(t) &&
	       !strcmp(btf__name_by_offset(vmlinux, t->name_off), "vm_fault");
}

int probe_vmstat(const char *name, uint64_t *value)
{
	char key[64];
	unsigned long long v;
	FILE *f = fopen("/proc/vmstat", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%63s %llu", key, &v) == 2)
		if (!strcmp(key, name)) {
			*value = v;
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

void probe_kernel(struct kernel_features *f)
{
	struct btf *vmlinux = NULL;

	memset(f, 0, sizeof(*f));
	f->btf = access(VMLINUX_BTF, R_OK) == 0;
	if (f->btf) {
		vmlinux = btf__load_vmlinux_btf();
		if (libbpf_get_error(vmlinux))
			vmlinux = NULL;
	}
	f->private_node_tp =
		tracefs_event("node_private", "node_private_write_fault") ||
		btf_tracepoint(vmlinux, "node_private_write_fault");
	f->private_migrate_tp =
		tracefs_event("node_private", "node_private_migrate") ||
		btf_tracepoint(vmlinux, "node_private_migrate");
	if (f->private_node_tp)
		f->private_fault_args = tracepoint_args(vmlinux, "node_private",
						"node_private_write_fault");
	if (f->private_migrate_tp)
		f->private_migrate_args = tracepoint_args(vmlinux,
					"node_private", "node_private_migrate");
	f->page_fault_user_tp =
		tracefs_event("exceptions", "page_fault_user") ||
		btf_tracepoint(vmlinux, "page_fault_user");
	f->soft_dirty = soft_dirty_works();
	f->bpf_stats = probe_bpf_stats_enabled();
	f->numa_balancing = access(NUMA_BALANCING_SYSCTL, F_OK) == 0;
	/* some kernels (and sandboxes) refuse tracing programs outright */
	f->bpf_tracing = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING,
						    NULL) == 1;
	f->hint_hook = hint_hook(vmlinux);
	/* a throw-away descriptor of our own: any process may make one */
	f->uffd_errno = uffd_offered_features(&f->uffd_features);
	f->pagemap_scan = pagemap_scan_supported();
	btf__free(vmlinux);
}
