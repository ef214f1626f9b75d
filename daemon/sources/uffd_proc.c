// SPDX-License-Identifier: GPL-2.0
/*
 * Taking a process's userfaultfd: a process may hand over only its own.
 *
 * SO_PEERCRED says which process sent the descriptor; four checks tie the
 * descriptor to it before tierd keeps it:
 *  1. it is a userfaultfd (only the kernel names an anonymous inode
 *     "[userfaultfd]"), and its handshake enabled WP_ASYNC or RWP_ASYNC
 *     (fdinfo), so no fault of the process ever waits for a reader;
 *  2. the sender still holds it, at the number it gave (kcmp KCMP_FILE);
 *  3. its address space is the sender's: tierd fills the sender's canary
 *     page (registered, never touched) with random bytes through the
 *     descriptor (UFFDIO_COPY acts on the descriptor's mm, whoever calls
 *     it) and reads them back from the sender's memory
 *     (process_vm_readv).  A descriptor of another mm fills that mm or
 *     fails, and the sender cannot know the bytes in advance;
 *  4. the sender is still the process the pidfd names after the checks,
 *     so a reused pid cannot stand in for it.
 * Everything after uses the duplicate, the pidfd and a pagemap descriptor
 * opened on the same mm, never the pid alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "os/pagemap.h"
#include "os/pidfd.h"
#include "os/procfs.h"
#include "os/uffd.h"
#include "sources/uffd_proc.h"

#define PAGE 4096
#define VEC_LEN 1024		/* regions per PAGEMAP_SCAN call */
#define QUERY_LEN 4096		/* pages per move_pages query */

const char *uffd_proc_mode(const struct uffd_proc *p)
{
	return p->rwp ? "rwp" : "wp";
}

void uffd_proc_free(struct uffd_proc *p)
{
	if (!p)
		return;
	if (p->uffd >= 0)
		close(p->uffd);
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->pagemap >= 0)
		close(p->pagemap);
	range_set_free(&p->registered);
	range_set_free(&p->scan);
	free(p);
}

/* Check 1: a userfaultfd whose faults the kernel resolves by itself. */
static int check_kind(const struct source_adopt *a, bool *rwp, char *msg,
		      size_t msglen)
{
	char what[128];
	uint64_t feat;
	int r;

	r = uffd_identify(a->fd, &feat, what, sizeof(what));
	if (r == -ENOTTY) {
		snprintf(msg, msglen, "the descriptor is not a userfaultfd (it is %s)",
			 what);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(msg, msglen, "cannot inspect the descriptor: %s",
			 strerror(-r));
		return r;
	}
	if (!(feat & (UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_RWP_ASYNC))) {
		snprintf(msg, msglen, "the userfaultfd's handshake enabled neither UFFD_FEATURE_WP_ASYNC nor UFFD_FEATURE_RWP_ASYNC (features 0x%" PRIx64 "): its faults would wait for a reader",
			 feat & ~(uint64_t)UFFD_FEATURE_INITIALIZED);
		return -EINVAL;
	}
	*rwp = feat & UFFD_FEATURE_RWP_ASYNC;
	return 0;
}

/* Check 3: random bytes through the descriptor land in the sender. */
static int check_mm(struct uffd_proc *p, uint64_t canary, char *msg,
		    size_t msglen)
{
	unsigned char *sent, *seen;
	int r;

	if (!canary || canary % PAGE) {
		snprintf(msg, msglen, "canary 0x%" PRIx64 " is not a page address",
			 canary);
		return -EINVAL;
	}
	sent = aligned_alloc(PAGE, 2 * PAGE);
	if (!sent) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	seen = sent + PAGE;
	if (getrandom(sent, PAGE, 0) != PAGE) {
		r = -errno;
		snprintf(msg, msglen, "getrandom: %s", strerror(-r));
		goto out;
	}
	r = uffd_copy(p->uffd, canary, sent, PAGE);
	if (r < 0) {
		snprintf(msg, msglen, "the userfaultfd is not of pid %d's address space: filling its canary page 0x%" PRIx64 " through it failed (%s)",
			 (int)p->pid, canary, strerror(-r));
		r = -EPERM;
		goto out;
	}
	r = proc_read_mem(p->pid, canary, seen, PAGE);
	if (r < 0) {
		snprintf(msg, msglen, "cannot read pid %d's canary page 0x%" PRIx64 ": %s",
			 (int)p->pid, canary, strerror(-r));
		goto out;
	}
	if (memcmp(sent, seen, PAGE)) {
		snprintf(msg, msglen, "the userfaultfd is not of pid %d's address space: its canary page 0x%" PRIx64 " did not receive what tierd wrote through the descriptor",
			 (int)p->pid, canary);
		r = -EPERM;
	}
out:
	free(sent);
	return r;
}

int uffd_proc_adopt(const struct source_adopt *a, struct uffd_proc **out,
		    char *msg, size_t msglen)
{
	struct uffd_proc *p;
	bool rwp = false;
	int r;

	r = check_kind(a, &rwp, msg, msglen);
	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	p->pid = a->pid;
	p->uid = a->uid;
	p->rwp = rwp;
	p->peer_fdno = a->peer_fdno;
	p->canary = a->canary;
	p->pidfd = p->pagemap = -1;
	range_set_init(&p->registered);
	range_set_init(&p->scan);
	p->uffd = fcntl(a->fd, F_DUPFD_CLOEXEC, 3);
	if (p->uffd < 0) {
		r = -errno;
		snprintf(msg, msglen, "cannot keep the descriptor: %s",
			 strerror(-r));
		goto fail;
	}
	p->pidfd = pidfd_of(a->pid);
	if (p->pidfd < 0) {
		r = p->pidfd;
		snprintf(msg, msglen, "pid %d: %s", (int)a->pid,
			 r == -ESRCH ? "gone" : strerror(-r));
		goto fail;
	}
	/* check 2; a kernel without kcmp leaves check 3 on its own */
	r = proc_holds_file(a->pid, a->peer_fdno, p->uffd);
	if (r == 0) {
		snprintf(msg, msglen, "pid %d does not hold the descriptor it sent at number %d",
			 (int)a->pid, a->peer_fdno);
		r = -EPERM;
		goto fail;
	}
	if (r < 0 && r != -ENOSYS) {
		snprintf(msg, msglen, "cannot compare pid %d's descriptors (kcmp: %s)",
			 (int)a->pid, strerror(-r));
		goto fail;
	}
	r = check_mm(p, a->canary, msg, msglen);
	if (r < 0)
		goto fail;
	p->pagemap = pagemap_open(a->pid);
	/* check 4, after everything that went by pid */
	if (p->pagemap < 0 && p->pagemap != -ESRCH) {
		r = p->pagemap;
		snprintf(msg, msglen, "cannot open /proc/%d/pagemap: %s",
			 (int)a->pid, strerror(-r));
		goto fail;
	}
	if (p->pagemap < 0 || pidfd_exited(p->pidfd)) {
		r = -ESRCH;
		snprintf(msg, msglen, "pid %d exited while being verified",
			 (int)a->pid);
		goto fail;
	}
	if (procfs_read_comm(a->pid, p->comm, sizeof(p->comm)) < 0)
		snprintf(p->comm, sizeof(p->comm), "?");
	*out = p;
	return 0;
fail:
	uffd_proc_free(p);
	return r;
}

int uffd_scratch_init(struct uffd_scratch *sc)
{
	*sc = (struct uffd_scratch){ .vec_len = VEC_LEN,
				     .query_len = QUERY_LEN };
	sc->vec = calloc(VEC_LEN, sizeof(*sc->vec));
	sc->addrs = calloc(QUERY_LEN, sizeof(*sc->addrs));
	sc->status = calloc(QUERY_LEN, sizeof(*sc->status));
	range_set_init(&sc->next);
	range_set_init(&sc->diff);
	if (!sc->vec || !sc->addrs || !sc->status) {
		uffd_scratch_free(sc);
		return -ENOMEM;
	}
	return 0;
}

void uffd_scratch_free(struct uffd_scratch *sc)
{
	free(sc->vec);
	free(sc->addrs);
	free(sc->status);
	range_set_free(&sc->next);
	range_set_free(&sc->diff);
	*sc = (struct uffd_scratch){ 0 };
}
