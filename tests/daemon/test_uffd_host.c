// SPDX-License-Identifier: GPL-2.0
/*
 * The uffd source end to end on the host kernel (6.18: WP-async and
 * PAGEMAP_SCAN, one NUMA node): a forked child opts in with the real
 * libtierd-track (static), hands its userfaultfd over a socket to this
 * test, which plays tierd's part (ctl_parse, then collector_adopt), and
 * the real collector and source register, arm and scan the child.
 *
 * The host has no slow node, so the test hook is the slow-node mask the
 * pipeline would pass: collector_set_slow_nodes() with node 0 in it, which
 * makes every page of the child "slow" and runs the production path
 * (numa_maps per VMA, arm, scan) over all its registered ranges.
 *
 * Time is passed in: ticks at explicit now_ms, threshold 1 and a 100 ms
 * window, so every written page makes one record per window.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/control_proto.h"
#include "os/probe.h"
#include "os/uffd.h"
#include "os/uffd_uapi.h"
#include "sources/collector.h"
#include "track/tierd-track.h"

#define NP		16		/* pages per region */
#define MAX_EVENTS	1024
#define PAGE		4096UL

/* ---- the child: commands over a pipe, answers over another ---- */

enum { OP_TRACK = 'T', OP_MAP = 'M', OP_WRITE = 'w', OP_READ = 'r',
       OP_UNMAP = 'U', OP_REMAP = 'F', OP_STOP = 'S', OP_EXEC = 'X',
       OP_BIG = 'B', OP_WBIG = 'W', OP_EXIT = 'E' };
#define BIG_PAGES	16384		/* 64 MiB */
enum { ANON = 0, SHMEM = 1, LONE = 2, NR_REGIONS };
/* far from every other mapping: a range scanned on its own */
#define LONE_ADDR	0x500000000000UL

struct cmd {
	char op;
	uint8_t region;
	uint8_t n;
	uint8_t idx[NP];
};

struct reply {
	int ret;
	char why[256];
	uint64_t base[NR_REGIONS];
};

struct child {
	pid_t pid;
	int cmd, rep;
	uint64_t base[NR_REGIONS];
};

static char sock_path[108];

static void child_main(int cmd_fd, int rep_fd)
{
	char *base[NR_REGIONS] = { NULL, NULL, NULL };
	struct reply rep;
	struct cmd c;

	while (read(cmd_fd, &c, sizeof(c)) == sizeof(c)) {
		memset(&rep, 0, sizeof(rep));
		switch (c.op) {
		case OP_TRACK:
			rep.ret = tierd_track_start(sock_path, rep.why,
						    sizeof(rep.why));
			break;
		case OP_MAP:
			/*
			 * anonymous, every page written; one page further,
			 * so the two are ranges of one span, shmem, half of it
			 */
			base[ANON] = mmap(NULL, (2 * NP + 1) * PAGE, PROT_NONE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (base[ANON] == MAP_FAILED)
				_exit(3);
			base[SHMEM] = base[ANON] + (NP + 1) * PAGE;
			if (mmap(base[ANON], NP * PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0) == MAP_FAILED ||
			    mmap(base[SHMEM], NP * PAGE, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0) == MAP_FAILED)
				_exit(3);
			base[LONE] = mmap((void *)LONE_ADDR, NP * PAGE,
					  PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS |
					  MAP_FIXED_NOREPLACE, -1, 0);
			if (base[ANON] == MAP_FAILED || base[SHMEM] == MAP_FAILED ||
			    base[LONE] == MAP_FAILED)
				_exit(3);
			for (unsigned int i = 0; i < NP; i++) {
				base[ANON][i * PAGE] = 1;
				base[LONE][i * PAGE] = 1;
				if (i < NP / 2)
					base[SHMEM][i * PAGE] = 1;
			}
			break;
		case OP_WRITE:
		case OP_READ:
			for (unsigned int i = 0; i < c.n; i++) {
				volatile char *p = base[c.region] +
						   c.idx[i] * PAGE;

				if (c.op == OP_WRITE)
					(*p)++;
				else
					rep.ret += *p;
			}
			break;
		case OP_UNMAP:
			rep.ret = munmap(base[ANON], NP * PAGE);
			break;
		case OP_REMAP:
			/* a new, unregistered mapping where the old one was */
			if (mmap(base[ANON], NP * PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
				 0) == MAP_FAILED)
				_exit(4);
			for (unsigned int i = 0; i < NP; i++)
				base[ANON][i * PAGE] = 2;
			break;
		case OP_STOP:
			tierd_track_stop();
			break;
		case OP_BIG:
		case OP_WBIG:
			if (c.op == OP_BIG)
				base[ANON] = mmap(NULL, BIG_PAGES * PAGE,
						  PROT_READ | PROT_WRITE,
						  MAP_PRIVATE | MAP_ANONYMOUS,
						  -1, 0);
			if (base[ANON] == MAP_FAILED)
				_exit(3);
			/* every other page: a scan of many regions */
			for (unsigned int i = c.op == OP_WBIG; i < BIG_PAGES;
			     i += 1 + (c.op == OP_WBIG))
				base[ANON][i * PAGE]++;
			break;
		case OP_EXEC:
			if (write(rep_fd, &rep, sizeof(rep)) != sizeof(rep))
				_exit(5);
			execl("/bin/sleep", "sleep", "30", (char *)NULL);
			_exit(6);
		case OP_EXIT:
			_exit(0);
		}
		for (int r = 0; r < NR_REGIONS; r++)
			rep.base[r] = (uintptr_t)base[r];
		if (write(rep_fd, &rep, sizeof(rep)) != sizeof(rep))
			_exit(5);
	}
	_exit(0);
}

static void spawn(struct child *ch)
{
	int cmd[2], rep[2];

	assert_int_equal(pipe2(cmd, O_CLOEXEC), 0);
	assert_int_equal(pipe2(rep, O_CLOEXEC), 0);
	ch->pid = fork();
	assert_true(ch->pid >= 0);
	if (!ch->pid) {
		close(cmd[1]);
		close(rep[0]);
		child_main(cmd[0], rep[1]);
	}
	close(cmd[0]);
	close(rep[1]);
	ch->cmd = cmd[1];
	ch->rep = rep[0];
}

static void send_cmd(struct child *ch, const struct cmd *c)
{
	assert_int_equal(write(ch->cmd, c, sizeof(*c)), sizeof(*c));
}

static struct reply wait_reply(struct child *ch)
{
	struct reply r;

	assert_int_equal(read(ch->rep, &r, sizeof(r)), sizeof(r));
	if (r.base[ANON])
		memcpy(ch->base, r.base, sizeof(ch->base));
	return r;
}

static struct reply ask(struct child *ch, char op)
{
	struct cmd c = { .op = op };

	send_cmd(ch, &c);
	return wait_reply(ch);
}

static void touch(struct child *ch, char op, int region, unsigned int n,
		  const uint8_t *idx)
{
	struct cmd c = { .op = op, .region = (uint8_t)region,
			 .n = (uint8_t)n };

	memcpy(c.idx, idx, n);
	send_cmd(ch, &c);
	wait_reply(ch);
}

/* The child's exec has replaced its image (its comm is the new one). */
static void wait_exec(const struct child *ch, const char *comm)
{
	char path[64], buf[32];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)ch->pid);
	for (int i = 0; i < 400; i++) {
		FILE *f = fopen(path, "re");

		if (f && fgets(buf, sizeof(buf), f) &&
		    !strncmp(buf, comm, strlen(comm))) {
			fclose(f);
			return;
		}
		if (f)
			fclose(f);
		usleep(5000);
	}
	fail_msg("pid %d did not exec %s", (int)ch->pid, comm);
}

static void reap(struct child *ch)
{
	int st;

	kill(ch->pid, SIGKILL);
	waitpid(ch->pid, &st, 0);
	close(ch->cmd);
	close(ch->rep);
}

/* ---- tierd's part: the socket, the collector, the records ---- */

struct world {
	struct collector *col;
	struct kernel_features feat;
	struct tierd_config cfg;
	int listen_fd;
	struct tierd_event ev[MAX_EVENTS];
	unsigned int nr_ev;		/* kept, at most MAX_EVENTS */
	unsigned long nr_all;		/* received */
	char last_msg[512];
	int last_ret;
};

static void on_event(void *ctx, const struct tierd_event *ev)
{
	struct world *w = ctx;

	if (w->nr_ev < MAX_EVENTS)
		w->ev[w->nr_ev++] = *ev;
	w->nr_all++;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own */
}

static void open_collector(struct world *w)
{
	char err[256] = "";

	assert_int_equal(collector_open(&w->cfg, &w->feat, NULL, on_event, w,
					&w->col, err, sizeof(err)), 0);
	assert_true(collector_source_active(w->col, TIERD_SRC_UFFD));
	/* the test hook: node 0, the host's only node, counts as slow */
	collector_set_slow_nodes(w->col, 1ULL << 0);
}

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct world *w;

	if (geteuid() != 0) {
		print_message("skipped: needs root (process_vm_readv, kcmp of another process)\n");
		exit(77);
	}
	w = calloc(1, sizeof(*w));
	assert_non_null(w);
	probe_kernel(&w->feat);
	/* this host has them: a missing one is a failure, not a skip */
	assert_int_equal(w->feat.uffd_errno, 0);
	assert_true(w->feat.uffd_features & UFFD_FEATURE_WP_ASYNC);
	assert_true(w->feat.pagemap_scan);
	tierd_config_defaults(&w->cfg);
	w->cfg.src_private_node = w->cfg.src_soft_dirty = TIERD_OFF;
	w->cfg.src_numa_hint = TIERD_OFF;
	w->cfg.src_uffd = TIERD_ON;
	w->cfg.threshold = 1;
	w->cfg.window_ms = 100;
	w->cfg.rearm_interval_ms = 10;
	snprintf(sock_path, sizeof(sock_path), "/tmp/tierd-uffd-test.%d.sock",
		 (int)getpid());
	unlink(sock_path);
	w->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(w->listen_fd >= 0);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	assert_int_equal(bind(w->listen_fd, (struct sockaddr *)&sa,
			      sizeof(sa)), 0);
	assert_int_equal(listen(w->listen_fd, 4), 0);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	collector_close(w->col);
	close(w->listen_fd);
	unlink(sock_path);
	free(w);
	return 0;
}

/*
 * One `track` request, served as tierd serves it: the text parsed by the
 * protocol's parser, the descriptor and SO_PEERCRED handed to the
 * collector, the reply sent back, the received descriptor closed.
 */
static void serve_track(struct world *w, uint64_t now_ms)
{
	char msg[CTL_REQUEST_MAX + 1], err[256];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf.buf,
			     .msg_controllen = sizeof(cbuf.buf) };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_request req;
	struct source_adopt a;
	char reply[600];
	int c, fd = -1;
	ssize_t n;

	c = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(c >= 0);
	assert_int_equal(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len),
			 0);
	n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	assert_true(n > 0);
	if (CMSG_FIRSTHDR(&mh))
		memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(fd));
	assert_int_equal(ctl_parse(msg, (size_t)n, &req, err, sizeof(err)), 0);
	assert_int_equal(req.verb, CTL_TRACK);
	a = (struct source_adopt){ .pid = cred.pid, .uid = cred.uid, .fd = fd,
				   .peer_fdno = req.fdno, .canary = req.addr };
	w->last_ret = collector_adopt(w->col, &a, now_ms, w->last_msg,
				      sizeof(w->last_msg));
	snprintf(reply, sizeof(reply), w->last_ret ? "error: %s\n" : "ok\n%s\n",
		 w->last_msg);
	assert_true(send(c, reply, strlen(reply), MSG_NOSIGNAL) > 0);
	close(fd);
	close(c);
}

/* The child opts in; tierd's half is served meanwhile. */
static void track(struct world *w, struct child *ch, uint64_t now_ms)
{
	struct cmd c = { .op = OP_TRACK };
	struct reply r;

	send_cmd(ch, &c);
	serve_track(w, now_ms);
	r = wait_reply(ch);
	if (r.ret)
		fail_msg("child not tracked: %s (tierd: %s)", r.why,
			 w->last_msg);
}

static struct tierd_source_stats uffd_stats(struct world *w)
{
	struct tierd_source_stats st[TIERD_SRC_NR];

	collector_read_stats(w->col, st);
	return st[TIERD_SRC_UFFD];
}

static bool in_regions(const struct child *ch, uint64_t addr)
{
	for (int r = 0; r < NR_REGIONS; r++)
		if (ch->base[r] && addr >= ch->base[r] &&
		    addr < ch->base[r] + NP * PAGE)
			return true;
	return false;
}

/*
 * The records since @from in the child's two regions are exactly these
 * pages, once each.  Its stack and heap, which it writes as it runs, are
 * tracked too and left out here.
 */
static void expect_records(struct world *w, unsigned int from,
			   const struct child *ch, const uint64_t *addrs,
			   unsigned int n)
{
	unsigned int got = 0;

	assert_int_equal(w->nr_all, w->nr_ev);	/* none lost */
	for (unsigned int i = from; i < w->nr_ev; i++) {
		bool want = false;

		assert_int_equal(w->ev[i].tgid, (uint32_t)ch->pid);
		if (!in_regions(ch, w->ev[i].addr))
			continue;
		got++;
		assert_int_equal(w->ev[i].source, TIERD_SRC_UFFD);
		assert_int_equal(w->ev[i].on_slow, 1);
		assert_int_equal(w->ev[i].writes, w->ev[i].faults);
		for (unsigned int k = 0; k < n; k++)
			want |= w->ev[i].addr == addrs[k];
		if (!want)
			fail_msg("record for 0x%llx, a page not written",
				 (unsigned long long)w->ev[i].addr);
	}
	if (got != n)
		fail_msg("%u records, want %u", got, n);
}

/*
 * Exactly the written pages, anonymous and shmem; nothing for read or
 * untouched ones; a shmem page never touched before the arming (a none
 * PTE, which the arming gives a uffd-wp marker) is reported when first
 * written, not when read; after a scan the same page reported again only
 * when written again.  The anonymous and shmem regions lie side by side
 * and are scanned as one span; the lone region, far from the others, by
 * a scan of its own that re-arms in the same walk: both ways give the
 * same answer.
 */
static void test_reports_exactly_written(void **state)
{
	static const uint8_t aw[] = { 0, 4, 8 }, ar[] = { 1, 2 };
	static const uint8_t lw[] = { 1, 15 }, lr[] = { 3 };
	/* 9: never touched before; 10: never touched, only read */
	static const uint8_t sw[] = { 0, 4, 9 }, sr[] = { 5, 10 };
	struct world *w = *state;
	struct tierd_source_stats st;
	struct child ch;
	uint64_t want[8];
	unsigned int mark;
	int fds0 = count_fds();

	open_collector(w);
	spawn(&ch);
	track(w, &ch, 1000);
	assert_non_null(strstr(w->last_msg, "wp-async"));
	ask(&ch, OP_MAP);
	/* a refresh registers the two new mappings and arms them */
	collector_arm(w->col, NULL, 0, 2000);
	st = uffd_stats(w);
	assert_int_equal(st.held_total, 1);
	assert_int_equal(st.held[0].pid, ch.pid);
	assert_true(st.held[0].range_bytes >= 3 * NP * PAGE);
	expect_records(w, 0, &ch, NULL, 0);

	touch(&ch, OP_WRITE, ANON, 3, aw);
	touch(&ch, OP_READ, ANON, 2, ar);
	touch(&ch, OP_WRITE, SHMEM, 3, sw);
	touch(&ch, OP_READ, SHMEM, 2, sr);
	touch(&ch, OP_WRITE, LONE, 2, lw);
	touch(&ch, OP_READ, LONE, 1, lr);
	mark = w->nr_ev;
	collector_arm(w->col, NULL, 0, 2100);
	for (unsigned int i = 0; i < 3; i++) {
		want[i] = ch.base[ANON] + aw[i] * PAGE;
		want[3 + i] = ch.base[SHMEM] + sw[i] * PAGE;
	}
	want[6] = LONE_ADDR + lw[0] * PAGE;
	want[7] = LONE_ADDR + lw[1] * PAGE;
	expect_records(w, mark, &ch, want, 8);

	/* re-armed: nothing written, nothing reported */
	mark = w->nr_ev;
	collector_arm(w->col, NULL, 0, 2200);
	expect_records(w, mark, &ch, NULL, 0);

	/* the next write of a scanned page is reported again */
	touch(&ch, OP_WRITE, ANON, 1, aw);
	touch(&ch, OP_WRITE, SHMEM, 1, &sw[2]);
	touch(&ch, OP_WRITE, LONE, 1, lw);
	mark = w->nr_ev;
	collector_arm(w->col, NULL, 0, 2300);
	want[0] = ch.base[ANON];
	want[1] = ch.base[SHMEM] + sw[2] * PAGE;
	want[2] = LONE_ADDR + lw[0] * PAGE;
	expect_records(w, mark, &ch, want, 3);
	st = uffd_stats(w);
	assert_true(st.pages_reported >= 11);
	assert_true(st.scans >= 4);
	assert_int_equal(st.descriptors_accepted, 1);
	assert_int_equal(st.rearm_errors, 0);

	/* it exits: the next tick lets its descriptors go */
	send_cmd(&ch, &(struct cmd){ .op = OP_EXIT });
	waitpid(ch.pid, NULL, 0);
	reap(&ch);
	collector_arm(w->col, NULL, 0, 2400);
	st = uffd_stats(w);
	assert_int_equal(st.held_total, 0);
	assert_int_equal(st.descriptors_dropped, 1);
	collector_close(w->col);
	w->col = NULL;
	assert_int_equal(count_fds(), fds0);
}

static void expect_refused(struct world *w, const struct source_adopt *a,
			   int want, const char *needle)
{
	char msg[512] = "";
	int r = collector_adopt(w->col, a, 1000, msg, sizeof(msg));

	if (r != want || !strstr(msg, needle))
		fail_msg("adopt: %d '%s', want %d '%s'", r, msg, want, needle);
}

/* A WP-async userfaultfd of this (the test's) process. */
static int own_uffd(uint64_t features)
{
	bool via_dev;
	int fd = uffd_create(&via_dev);

	assert_true(fd >= 0);
	assert_int_equal(uffd_handshake(fd, features, NULL), 0);
	return fd;
}

/*
 * A process hands over only its own userfaultfd: anything else is
 * refused with the reason, counted, and nothing stays open.
 */
static void test_refuses_foreign_descriptors(void **state)
{
	struct world *w = *state;
	struct source_adopt a;
	struct child ch, heir;
	int fds0 = count_fds(), p[2], sync_fd, inherited;
	char *page;

	open_collector(w);
	spawn(&ch);
	ask(&ch, OP_MAP);

	/* not a userfaultfd at all */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	a = (struct source_adopt){ .pid = ch.pid, .fd = p[0], .peer_fdno = 0,
				   .canary = ch.base[ANON] };
	expect_refused(w, &a, -EINVAL, "the descriptor is not a userfaultfd (it is pipe:[");
	close(p[0]);
	close(p[1]);

	/* a userfaultfd whose faults would wait for a reader */
	sync_fd = own_uffd(0);
	a.fd = sync_fd;
	expect_refused(w, &a, -EINVAL, "enabled neither UFFD_FEATURE_WP_ASYNC nor UFFD_FEATURE_RWP_ASYNC");
	close(sync_fd);

	/* this process's own, which the child never held */
	a.fd = own_uffd(UFFD_FEATURE_WP_ASYNC);
	a.peer_fdno = a.fd;
	expect_refused(w, &a, -EPERM, "does not hold the descriptor it sent");
	close(a.fd);

	/*
	 * Held, but of another mm: a child inherits its parent's descriptor
	 * across fork.  The canary is a page registered and untouched in the
	 * parent, which the child has at the same address: filling it through
	 * the descriptor works, in the parent, and the child's page stays
	 * zero.  A canary the parent does not have fails to fill at all.
	 */
	inherited = own_uffd(UFFD_FEATURE_WP_ASYNC);
	page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(page != MAP_FAILED);
	assert_int_equal(uffd_register(inherited, (uintptr_t)page, PAGE,
				       UFFDIO_REGISTER_MODE_WP), 0);
	spawn(&heir);
	ask(&heir, OP_MAP);
	a = (struct source_adopt){ .pid = heir.pid, .fd = inherited,
				   .peer_fdno = inherited,
				   .canary = (uintptr_t)page };
	expect_refused(w, &a, -EPERM, "did not receive what tierd wrote through the descriptor");
	assert_int_equal(page[0] != 0, 1);	/* it landed here, in the parent */
	munmap(page, PAGE);
	a.canary = heir.base[ANON];
	expect_refused(w, &a, -EPERM, "filling its canary page");
	/* a canary that is no page address */
	a.canary = heir.base[ANON] + 1;
	expect_refused(w, &a, -EINVAL, "is not a page address");
	close(inherited);
	reap(&heir);

	assert_int_equal(uffd_stats(w).descriptors_refused, 6);
	assert_int_equal(uffd_stats(w).held_total, 0);
	reap(&ch);
	collector_close(w->col);
	w->col = NULL;
	assert_int_equal(count_fds(), fds0);
}

/* The bounds: in all, and per user; a refused process runs on. */
static void test_bounds(void **state)
{
	struct world *w = *state;
	struct child ch[3];
	struct cmd c = { .op = OP_TRACK };
	struct reply r;
	int fds0 = count_fds();

	w->cfg.uffd_max_total = 2;
	w->cfg.uffd_max_per_user = 2;
	open_collector(w);
	for (int i = 0; i < 3; i++)
		spawn(&ch[i]);
	track(w, &ch[0], 1000);
	track(w, &ch[1], 1000);
	send_cmd(&ch[2], &c);
	serve_track(w, 1000);
	r = wait_reply(&ch[2]);
	assert_int_equal(r.ret, -EPERM);
	assert_string_equal(r.why, "tierd refused: tierd already holds 2 userfaultfds, the most [sources] uffd_max_total = 2 allows");
	/* still alive and answering */
	assert_int_equal(ask(&ch[2], OP_MAP).ret, 0);

	w->cfg.uffd_max_total = 8;
	w->cfg.uffd_max_per_user = 2;
	assert_int_equal(collector_reconfigure(w->col, &w->cfg), 0);
	send_cmd(&ch[2], &c);
	serve_track(w, 1000);
	r = wait_reply(&ch[2]);
	assert_string_equal(r.why, "tierd refused: uid 0 already has 2 tracked processes, the most [sources] uffd_max_per_user = 2 allows");
	assert_int_equal(uffd_stats(w).held_total, 2);
	for (int i = 0; i < 3; i++)
		reap(&ch[i]);
	collector_arm(w->col, NULL, 0, 1100);
	assert_int_equal(uffd_stats(w).held_total, 0);
	collector_close(w->col);
	w->col = NULL;
	assert_int_equal(count_fds(), fds0);
}

/*
 * The ways tracking ends or a range goes away under a scan: each is a
 * clean drop or a re-registration, never an error that sticks, and every
 * descriptor is closed.
 */
static void test_drops_and_stale_ranges(void **state)
{
	static const uint8_t one[] = { 3 };
	struct world *w = *state;
	struct tierd_source_stats st;
	struct child stop, exe, un;
	uint64_t want;
	unsigned int mark;
	int fds0 = count_fds(), fds;

	open_collector(w);
	spawn(&stop);
	spawn(&exe);
	spawn(&un);
	track(w, &stop, 1000);
	track(w, &exe, 1000);
	track(w, &un, 1000);
	ask(&un, OP_MAP);
	collector_arm(w->col, NULL, 0, 2000);
	fds = count_fds();
	assert_int_equal(uffd_stats(w).held_total, 3);

	/* it closes its own descriptor: seen at the next refresh */
	ask(&stop, OP_STOP);
	/* it execs: its pagemap fails with -ESRCH at the next scan */
	ask(&exe, OP_EXEC);
	wait_exec(&exe, "sleep");
	/* its registered mapping is unmapped: scanning the hole is fine */
	ask(&un, OP_UNMAP);
	collector_arm(w->col, NULL, 0, 2100);
	st = uffd_stats(w);
	assert_int_equal(st.held_total, 2);
	assert_int_equal(st.descriptors_dropped, 1);
	assert_int_equal(count_fds(), fds - 3);

	/*
	 * A new, unregistered mapping where the old one was, before the
	 * refresh saw the hole: the scan's PM_SCAN_CHECK_WPASYNC fails, the
	 * range is re-registered at once, armed, and written pages in it are
	 * reported again.
	 */
	ask(&un, OP_REMAP);
	/*
	 * The one that stopped unregistered its mappings, so its scan failed
	 * the same way and its refresh came at once: it is gone too.
	 */
	collector_arm(w->col, NULL, 0, 2150);
	st = uffd_stats(w);
	assert_int_equal(st.held_total, 1);
	assert_int_equal(st.held[0].pid, un.pid);
	assert_int_equal(count_fds(), fds - 6);
	collector_arm(w->col, NULL, 0, 2200);
	touch(&un, OP_WRITE, ANON, 1, one);
	mark = w->nr_ev;
	collector_arm(w->col, NULL, 0, 2300);
	want = un.base[ANON] + 3 * PAGE;
	expect_records(w, mark, &un, &want, 1);
	assert_int_equal(uffd_stats(w).rearm_errors, 0);

	collector_arm(w->col, NULL, 0, 3100);
	assert_int_equal(uffd_stats(w).held_total, 1);
	assert_int_equal(uffd_stats(w).descriptors_dropped, 2);

	reap(&stop);
	reap(&exe);
	reap(&un);
	collector_close(w->col);
	w->col = NULL;
	assert_int_equal(count_fds(), fds0);
}

/*
 * A reload that opens the collector anew: the new one takes the held
 * descriptors over, and the old one closing closes none of them.
 */
static void test_reload_keeps_descriptors(void **state)
{
	static const uint8_t two[] = { 2 };
	struct world *w = *state;
	struct collector *old;
	struct child ch;
	uint64_t want;
	unsigned int mark;
	int fds;

	open_collector(w);
	spawn(&ch);
	track(w, &ch, 1000);
	ask(&ch, OP_MAP);
	collector_arm(w->col, NULL, 0, 2000);
	fds = count_fds();
	old = w->col;
	open_collector(w);
	collector_carry(w->col, old);
	collector_close(old);
	assert_int_equal(count_fds(), fds);
	assert_int_equal(uffd_stats(w).held_total, 1);
	assert_int_equal(uffd_stats(w).descriptors_accepted, 1);
	touch(&ch, OP_WRITE, ANON, 1, two);
	mark = w->nr_ev;
	collector_arm(w->col, NULL, 0, 2100);
	want = ch.base[ANON] + 2 * PAGE;
	expect_records(w, mark, &ch, &want, 1);
	reap(&ch);
}

struct killer {
	pid_t pid;
	unsigned int delay_us;
};

static void *kill_later(void *arg)
{
	struct killer *k = arg;

	usleep(k->delay_us);
	kill(k->pid, SIGKILL);
	return NULL;
}

/*
 * A process killed while its ranges are being scanned: whatever the scan
 * got to, the next tick drops it, and nothing stays open.
 */
static void test_exit_during_scan(void **state)
{
	struct world *w = *state;
	int fds0 = count_fds();

	open_collector(w);
	for (unsigned int round = 0; round < 5; round++) {
		struct killer k;
		struct child ch;
		pthread_t t;

		spawn(&ch);
		track(w, &ch, 1000);
		ask(&ch, OP_BIG);
		collector_arm(w->col, NULL, 0, 2000 + round * 10000);
		ask(&ch, OP_WBIG);
		k = (struct killer){ .pid = ch.pid, .delay_us = round * 400 };
		assert_int_equal(pthread_create(&t, NULL, kill_later, &k), 0);
		collector_arm(w->col, NULL, 0, 2100 + round * 10000);
		pthread_join(t, NULL);
		waitpid(ch.pid, NULL, 0);
		collector_arm(w->col, NULL, 0, 2200 + round * 10000);
		assert_int_equal(uffd_stats(w).held_total, 0);
		reap(&ch);
	}
	assert_int_equal(uffd_stats(w).descriptors_dropped, 5);
	assert_true(uffd_stats(w).pages_reported > 0);
	assert_true(w->nr_all > 0);
	collector_close(w->col);
	w->col = NULL;
	assert_int_equal(count_fds(), fds0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reports_exactly_written,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_foreign_descriptors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drops_and_stale_ranges,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_during_scan,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_descriptors,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
