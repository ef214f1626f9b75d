// SPDX-License-Identifier: GPL-2.0
/*
 * Does each privileged thing tierd does with the capabilities it runs with,
 * and says which one failed.  test_unit_caps.sh runs it with exactly the
 * CapabilityBoundingSet of systemd/tierd.service, then with each capability
 * taken away, to show the set is both sufficient and needed.
 *
 * usage: caps_probe --target          (run as another user)
 *        caps_probe TARGET_PID ADDR   (exit 0: every operation worked;
 *                                      a "PROBE name ok=0|1" line each)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sources/collector.h"
#include "lib/log.h"
#include "os/migrate.h"

#define NOBODY 65534

static void on_event(void *ctx, const struct tierd_event *ev)
{
}

/* CAP_BPF + CAP_PERFMON: load and attach the fault programs. */
static int probe_bpf(void)
{
	struct kernel_features f;
	struct tierd_config cfg;
	struct collector *c;
	char err[512] = "";
	int r;

	probe_kernel(&f);
	/* The host kernel may lack soft-dirty; load its program anyway. */
	f.soft_dirty = true;
	tierd_config_defaults(&cfg);
	r = collector_open(&cfg, &f, NULL, on_event, NULL, &c, err, sizeof(err));
	if (r < 0) {
		printf("bpf: collector_open: %s\n", err);
		return r;
	}
	r = collector_source_active(c, TIERD_SRC_SOFT_DIRTY) ? 0 : -ENOENT;
	printf("bpf: %s\n", r ? "no source attached" : "loaded and attached");
	collector_close(c);
	return r;
}

/*
 * The target: a process of another user (test_unit_caps.sh starts it as
 * nobody, since the probe itself has no CAP_SETUID to become one).
 */
static int run_target(void)
{
	char *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	p[0] = 1;
	printf("%#lx\n", (unsigned long)(uintptr_t)p);
	fflush(stdout);
	pause();
	return 0;
}

/*
 * CAP_SYS_PTRACE: move_pages(2) on another user's process, as a query and
 * as a move (MPOL_MF_MOVE; to the node the page is on, so nothing moves
 * on a one-node host, but the permission checks are the same).
 */
static int probe_move_pages(pid_t pid, uint64_t addr)
{
	int status = -1, moved = -1, r;

	r = migrate_query(pid, 1, &addr, &status);
	if (!r && status >= 0)
		r = migrate_move(pid, 1, &addr, &status, &moved);
	printf("move_pages: pid %d: %s (page on node %d, after move %d)\n",
	       (int)pid, r < 0 ? strerror(-r) : "ok", status, moved);
	return r < 0 ? r : 0;
}

/* CAP_DAC_OVERRIDE: /proc/PID/clear_refs of another user's process. */
static int probe_clear_refs(pid_t pid)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	/* "1" clears referenced bits: harmless, and works without soft-dirty. */
	if (fd < 0 || write(fd, "1", 1) != 1)
		r = -errno;
	if (fd >= 0)
		close(fd);
	printf("clear_refs: %s: %s\n", path, r ? strerror(-r) : "ok");
	return r;
}

/*
 * CAP_SYS_ADMIN: the numa_hint source sets kernel.numa_balancing, whose
 * handler (sysctl_numa_balancing() in kernel/sched/core.c) checks
 * capable(CAP_SYS_ADMIN) on every write; the file's mode alone is not
 * enough.  numa_balancing_promote_rate_limit_MBps is a plain 0644 integer:
 * root's ownership is enough.  Each gets its current value written back,
 * which changes nothing.
 */
static int probe_sysctl(const char *name)
{
	char path[128], buf[64];
	ssize_t n = -1;
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	errno = 0;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		n = read(fd, buf, sizeof(buf) - 1);
	if (fd < 0 || n <= 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		r = errno ? -errno : -EIO;
	if (fd >= 0)
		close(fd);
	printf("sysctl: %s: %s%.*s\n", path, r ? strerror(-r) : "wrote back ",
	       r ? 0 : (int)n - 1, buf);
	return r;
}

/* CAP_CHOWN: give the control socket a group root is not in. */
static int probe_chown(void)
{
	char path[] = "/tmp/tierd-caps.XXXXXX";
	int fd, r = 0;

	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	if (fchown(fd, (uid_t)-1, NOBODY) < 0)
		r = -errno;
	close(fd);
	unlink(path);
	printf("chown: socket group: %s\n", r ? strerror(-r) : "ok");
	return r;
}

/* One line per probe for test_unit_caps.sh: "PROBE name ok=1". */
static int report(const char *name, int r)
{
	printf("PROBE %s ok=%d\n", name, r >= 0);
	return r < 0;
}

int main(int argc, char **argv)
{
	uint64_t addr;
	int failed = 0;
	pid_t pid;

	if (argc == 2 && !strcmp(argv[1], "--target"))
		return run_target();
	if (argc != 3) {
		fprintf(stderr, "usage: caps_probe --target | caps_probe "
			"TARGET_PID TARGET_ADDR\n");
		return 2;
	}
	pid = (pid_t)strtol(argv[1], NULL, 10);
	addr = strtoull(argv[2], NULL, 0);

	log_setup("caps_probe", LOG_WARNING);
	failed |= report("bpf", probe_bpf());
	failed |= report("move_pages", probe_move_pages(pid, addr));
	failed |= report("clear_refs", probe_clear_refs(pid));
	failed |= report("chown", probe_chown());
	failed |= report("numa_balancing", probe_sysctl("numa_balancing"));
	failed |= report("promote_rate_limit",
			 probe_sysctl("numa_balancing_promote_rate_limit_MBps"));
	return failed;
}
