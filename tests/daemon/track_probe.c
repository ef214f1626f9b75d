// SPDX-License-Identifier: GPL-2.0
/*
 * An unmodified program for the preload test (uffd_host.sh): it maps
 * memory itself with mmap(2) and through malloc (which glibc maps
 * internally, out of the shim's reach), prints where, and sleeps until
 * it is killed.
 *
 *   track_probe   ->   "mmap=ADDR malloc=ADDR"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MMAP_LEN	(8UL << 20)
#define MALLOC_LEN	(32UL << 20)

int main(void)
{
	char *m, *h;

	m = mmap(NULL, MMAP_LEN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	h = malloc(MALLOC_LEN);
	if (m == MAP_FAILED || !h)
		return 1;
	memset(m, 1, MMAP_LEN);
	memset(h, 1, MALLOC_LEN);
	printf("mmap=%p malloc=%p\n", (void *)m, (void *)h);
	fflush(stdout);
	for (;;)
		pause();
}
