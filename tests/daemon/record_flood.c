// SPDX-License-Identifier: GPL-2.0
/*
 * record_flood: drive a running tierd's soft-dirty program as fast as the
 * machine allows, to flood its ring buffer (tests/daemon/flood_records.sh).
 *
 * The program is raw_tp/page_fault_user (tierd_sd_raw).  BPF_PROG_TEST_RUN
 * runs a raw tracepoint program in the caller's context with the
 * arguments it is given, so each run is a write fault of this process at
 * an address of our choosing: with this process in tierd's scope and
 * [hotness] threshold = 1, a new address is one record.  The program is
 * found among the BPF programs tierd's pid holds (its fdinfo names their
 * ids), so other tierd instances on the machine are left alone.
 *
 *   record_flood --pid TIERD_PID --seconds S [--threads N] [--rate R]
 *                [--wait-go]
 *
 * --wait-go prints "ready PID" and waits for SIGUSR1 first, so the caller
 * can wait until tierd tracks this process (its scope rescan).
 * --rate caps the runs per second over all threads (0: as fast as
 * possible).  Prints "FLOOD prog_id=... runs=... errors=... seconds=...
 * rate=..." at the end; exits 1 when the program is not found or no run
 * succeeded.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define PROG_NAME	"tierd_sd_raw"
#define X86_PF_WRITE	0x2
#define MAX_THREADS	16

struct flood {
	int prog_fd;
	uint64_t deadline_ns;
	uint64_t rate;			/* per thread, 0 = unlimited */
	atomic_uint_fast64_t runs, errors;
	int first_err;
};

struct worker {
	struct flood *f;
	unsigned int idx;
	pthread_t th;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The soft-dirty program among the BPF programs @pid holds, or -1. */
static int find_prog(pid_t pid, uint32_t *id_out)
{
	char dir[64], path[320], line[128];
	struct dirent *de;
	DIR *d;
	int found = -1;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)pid);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "record_flood: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while (found < 0 && (de = readdir(d))) {
		unsigned int id;
		FILE *fi;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fi = fopen(path, "r");
		if (!fi)
			continue;
		while (fgets(line, sizeof(line), fi)) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);
			int fd;

			if (sscanf(line, "prog_id: %u", &id) != 1)
				continue;
			fd = bpf_prog_get_fd_by_id(id);
			if (fd < 0)
				break;
			if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
			    !strcmp(info.name, PROG_NAME)) {
				found = fd;
				*id_out = id;
			} else {
				close(fd);
			}
			break;
		}
		fclose(fi);
	}
	closedir(d);
	return found;
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	struct flood *f = w->f;
	/* disjoint, never-repeating addresses per thread: every run is new */
	uint64_t args[3] = { 0, 0, X86_PF_WRITE };
	uint64_t addr = 0x100000000000ULL + ((uint64_t)w->idx << 40);
	uint64_t start = mono_ns(), n = 0, errs = 0;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args,
		    .ctx_size_in = sizeof(args));

	for (;;) {
		uint64_t now = mono_ns();
		int r;

		if (now >= f->deadline_ns)
			break;
		if (f->rate && n * 1000000000ULL > f->rate * (now - start)) {
			struct timespec ts = { 0, 200000 };

			nanosleep(&ts, NULL);
			continue;
		}
		/* a batch between clock reads */
		for (int k = 0; k < 64; k++) {
			args[0] = addr;
			addr += 4096;
			r = bpf_prog_test_run_opts(f->prog_fd, &opts);
			if (r < 0) {
				errs++;
				if (!f->first_err)
					f->first_err = r;
			} else {
				n++;
			}
		}
	}
	atomic_fetch_add(&f->runs, n);
	atomic_fetch_add(&f->errors, errs);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "wait-go", no_argument, NULL, 'w' },
		{}
	};
	struct worker w[MAX_THREADS];
	struct flood f = { 0 };
	unsigned int threads = 1;
	double secs = 10, el;
	uint64_t start, rate = 0;
	uint32_t id = 0;
	bool wait_go = false;
	pid_t pid = 0;
	sigset_t go;
	int c, sig;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p': pid = (pid_t)atoi(optarg); break;
		case 's': secs = atof(optarg); break;
		case 't': threads = (unsigned int)atoi(optarg); break;
		case 'r': rate = strtoull(optarg, NULL, 0); break;
		case 'w': wait_go = true; break;
		default:
			fprintf(stderr, "usage: record_flood --pid PID --seconds S [--threads N] [--rate R]\n");
			return 2;
		}
	}
	if (pid <= 0 || secs <= 0 || !threads || threads > MAX_THREADS) {
		fprintf(stderr, "record_flood: need --pid, --seconds > 0, 1..%d threads\n",
			MAX_THREADS);
		return 2;
	}
	prctl(PR_SET_NAME, "record_flood");
	f.prog_fd = find_prog(pid, &id);
	if (f.prog_fd < 0) {
		fprintf(stderr, "record_flood: pid %d holds no BPF program named %s\n",
			(int)pid, PROG_NAME);
		return 1;
	}
	if (wait_go) {
		sigemptyset(&go);
		sigaddset(&go, SIGUSR1);
		sigprocmask(SIG_BLOCK, &go, NULL);
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		sigwait(&go, &sig);
	}
	f.rate = rate / threads;
	start = mono_ns();
	f.deadline_ns = start + (uint64_t)(secs * 1e9);
	for (unsigned int i = 0; i < threads; i++) {
		w[i] = (struct worker){ .f = &f, .idx = i + 1 };
		if (pthread_create(&w[i].th, NULL, run_worker, &w[i])) {
			fprintf(stderr, "record_flood: pthread_create failed\n");
			return 1;
		}
	}
	for (unsigned int i = 0; i < threads; i++)
		pthread_join(w[i].th, NULL);
	el = (mono_ns() - start) / 1e9;
	printf("FLOOD prog_id=%u tgid=%d runs=%llu errors=%llu first_error=%d seconds=%.2f rate=%.0f\n",
	       id, (int)getpid(), (unsigned long long)f.runs,
	       (unsigned long long)f.errors, f.first_err, el, f.runs / el);
	return f.runs ? 0 : 1;
}
