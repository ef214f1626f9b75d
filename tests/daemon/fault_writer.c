// SPDX-License-Identifier: GPL-2.0
/*
 * Test workload for the host pipeline test: writes a known set of pages
 * so that exactly the "hot" ones take `rounds` write faults and the "cold"
 * ones take one.  This host has no soft-dirty, so each round re-faults the
 * hot pages by dropping them with MADV_DONTNEED first.
 *
 *   fault_writer PAGES HOT ROUNDS
 *
 * Prints "ready PID" and waits for SIGUSR1 (the test sends it once tierd
 * tracks this process), writes, prints "hot ADDR" for every hot page and
 * "done", then sleeps until killed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096UL

int main(int argc, char **argv)
{
	unsigned long pages, hot, rounds;
	sigset_t set;
	char *buf;
	int sig;

	if (argc != 4) {
		fprintf(stderr, "usage: %s PAGES HOT ROUNDS\n", argv[0]);
		return 2;
	}
	pages = strtoul(argv[1], NULL, 10);
	hot = strtoul(argv[2], NULL, 10);
	rounds = strtoul(argv[3], NULL, 10);
	if (!pages || hot > pages || !rounds) {
		fprintf(stderr, "fault_writer: need PAGES > 0, HOT <= PAGES, ROUNDS > 0\n");
		return 2;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	buf = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* 4 KiB folios, so every page is its own fault */
	madvise(buf, pages * PG, MADV_NOHUGEPAGE);

	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	sigwait(&set, &sig);

	/* hot pages are every (pages/hot)-th page, spread over the buffer */
	for (unsigned long r = 0; r < rounds; r++) {
		for (unsigned long i = 0; i < hot; i++)
			buf[i * (pages / hot) * PG] = (char)r + 1;
		if (r + 1 < rounds)
			for (unsigned long i = 0; i < hot; i++)
				madvise(buf + i * (pages / hot) * PG, PG,
					MADV_DONTNEED);
	}
	/* cold pages: written once */
	for (unsigned long p = 0; p < pages; p++)
		if (hot == 0 || p % (pages / hot) || p / (pages / hot) >= hot)
			buf[p * PG] = 1;

	for (unsigned long i = 0; i < hot; i++)
		printf("hot 0x%lx\n",
		       (unsigned long)(buf + i * (pages / hot) * PG));
	printf("done\n");
	fflush(stdout);
	for (;;)
		pause();
}
