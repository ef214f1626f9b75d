// SPDX-License-Identifier: GPL-2.0
/*
 * The settings record (daemon/os/owned.c) against a scratch sysctl tree:
 * record before write, restore on close, restore what a dead tierd left,
 * refuse a live one's record, leave values somebody else changed, holders
 * across a reload, a corrupt record moved aside.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "os/owned.h"

#define NB "kernel/numa_balancing"
#define RATE "kernel/numa_balancing_promote_rate_limit_MBps"

static char dir[64], root[128], record[128];

static void put(const char *name, long v)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%ld\n", v);
	fclose(f);
}

static long get(const char *name)
{
	char path[256];
	long v = -999;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &v), 1);
	fclose(f);
	return v;
}

static int setup(void **state)
{
	char path[256];

	snprintf(dir, sizeof(dir), "/tmp/tierd-owned.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(root, sizeof(root), "%s/sys", dir);
	snprintf(path, sizeof(path), "%s/kernel", root);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	/* the record's directory does not exist yet: owned_open makes it */
	snprintf(record, sizeof(record), "%s/run/tierd/owned-settings", dir);
	put(NB, 0);
	put(RATE, 65536);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static struct owned *open_ok(void)
{
	struct owned *o = NULL;
	char err[256] = "";
	pid_t holder = -1;

	if (owned_open(record, root, &o, &holder, err, sizeof(err)))
		fail_msg("owned_open: %s", err);
	assert_int_equal(holder, 0);
	return o;
}

static void set_ok(struct owned *o, const char *owner, const char *name,
		   long v)
{
	char err[256] = "";

	if (owned_sysctl_set(o, owner, name, v, err, sizeof(err)))
		fail_msg("owned_sysctl_set: %s", err);
}

/* Set, then close: the old values come back, the record goes. */
static void test_set_and_restore(void **state)
{
	struct owned *o = open_ok();
	char desc[256];

	set_ok(o, "numa_hint", RATE, 0);
	set_ok(o, "numa_hint", NB, 2);
	assert_int_equal(get(NB), 2);
	assert_int_equal(get(RATE), 0);
	assert_true(owned_holds(o, "numa_hint", NB));
	owned_describe(o, desc, sizeof(desc));
	assert_string_equal(desc,
		RATE " 65536 -> 0 (numa_hint); " NB " 0 -> 2 (numa_hint)");
	/* recorded before the write: the file names both */
	assert_int_equal(access(record, F_OK), 0);
	owned_close(o);
	assert_int_equal(get(NB), 0);
	assert_int_equal(get(RATE), 65536);
	assert_int_equal(access(record, F_OK), -1);
}

/* A crash: the next tierd restores what the dead one changed. */
static void test_crash_recovery(void **state)
{
	pid_t child = fork();
	struct owned *o;
	int st;

	assert_true(child >= 0);
	if (child == 0) {
		struct owned *c = open_ok();

		set_ok(c, "numa_hint", RATE, 0);
		set_ok(c, "numa_hint", NB, 2);
		_exit(0);	/* no owned_close: a SIGKILL */
	}
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_int_equal(get(NB), 2);
	o = open_ok();
	assert_int_equal(get(NB), 0);
	assert_int_equal(get(RATE), 65536);
	assert_false(owned_holds(o, "numa_hint", NB));
	owned_close(o);
}

/* A value somebody changed after tierd is theirs: left alone. */
static void test_changed_by_somebody(void **state)
{
	struct owned *o = open_ok();

	set_ok(o, "numa_hint", NB, 2);
	put(NB, 3);			/* the admin */
	owned_restore(o, "numa_hint");
	assert_int_equal(get(NB), 3);
	assert_false(owned_holds(o, "numa_hint", NB));
	owned_close(o);
	assert_int_equal(get(NB), 3);
}

/* A value already right is not recorded: nothing of ours to undo. */
static void test_already_set(void **state)
{
	struct owned *o = open_ok();

	put(NB, 2);
	set_ok(o, "numa_hint", NB, 2);
	assert_false(owned_holds(o, "numa_hint", NB));
	owned_close(o);
	assert_int_equal(get(NB), 2);
}

/*
 * A reload opens the new source before it closes the old one: the old
 * one's restore must leave what the new one keeps.
 */
static void test_holders_across_reload(void **state)
{
	struct owned *o = open_ok();

	set_ok(o, "numa_hint", NB, 2);		/* old source */
	set_ok(o, "numa_hint", NB, 2);		/* new source: a holder */
	owned_restore(o, "numa_hint");		/* old source closes */
	assert_int_equal(get(NB), 2);
	assert_true(owned_holds(o, "numa_hint", NB));
	owned_restore(o, "numa_hint");		/* new source closes */
	assert_int_equal(get(NB), 0);
	owned_close(o);
}

/* Owners are apart: one's restore does not touch the other's. */
static void test_owners_apart(void **state)
{
	struct owned *o = open_ok();

	set_ok(o, "take_over", RATE, 0);
	set_ok(o, "numa_hint", NB, 2);
	owned_restore(o, "numa_hint");
	assert_int_equal(get(NB), 0);
	assert_int_equal(get(RATE), 0);
	owned_close(o);
	assert_int_equal(get(RATE), 65536);
}

/* A live tierd's record is refused, and its settings left as they are. */
static void test_live_holder_refused(void **state)
{
	struct owned *o = NULL;
	char err[256] = "";
	int ready[2], st;
	pid_t holder = 0, tierd;
	FILE *f;

	o = open_ok();		/* creates the directory */
	owned_close(o);
	o = NULL;
	assert_int_equal(pipe(ready), 0);
	tierd = fork();
	assert_true(tierd >= 0);
	if (tierd == 0) {
		/* a process the record's reader takes for a running tierd */
		prctl(PR_SET_NAME, "tierd");
		close(ready[0]);
		assert_int_equal(write(ready[1], "x", 1), 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], err, 1), 1);
	close(ready[0]);
	put(NB, 2);
	f = fopen(record, "w");
	assert_non_null(f);
	fprintf(f, "pid %d\nsysctl numa_hint %s 0 2\n", (int)tierd, NB);
	fclose(f);
	assert_int_equal(owned_open(record, root, &o, &holder, err,
				    sizeof(err)), -EBUSY);
	assert_null(o);
	assert_int_equal(holder, tierd);
	assert_non_null(strstr(err, "owns the settings recorded in"));
	assert_int_equal(get(NB), 2);
	kill(tierd, SIGKILL);
	assert_int_equal(waitpid(tierd, &st, 0), tierd);
	/* gone: now its change is undone */
	o = open_ok();
	assert_int_equal(get(NB), 0);
	owned_close(o);
}

/* A record that is not one is moved aside, never trusted. */
static void test_corrupt_record(void **state)
{
	struct owned *o;
	char aside[192];
	FILE *f;

	o = open_ok();		/* creates the directory */
	owned_close(o);
	f = fopen(record, "w");
	assert_non_null(f);
	fprintf(f, "pid 1\nsysctl numa_hint kernel/numa_balancing zero 2\n");
	fclose(f);
	put(NB, 2);
	o = open_ok();
	assert_int_equal(get(NB), 2);		/* not restored: not trusted */
	snprintf(aside, sizeof(aside), "%s.corrupt", record);
	assert_int_equal(access(aside, F_OK), 0);
	owned_close(o);
}

/* Names that would leave the sysctl root are refused. */
static void test_bad_name(void **state)
{
	struct owned *o = open_ok();
	char err[256] = "";
	long v;

	assert_int_equal(owned_sysctl_set(o, "x", "../../etc/passwd", 1, err,
					  sizeof(err)), -EINVAL);
	assert_int_equal(owned_sysctl_get(o, "/etc/passwd", &v), -EINVAL);
	assert_int_equal(owned_sysctl_get(o, "kernel/missing", &v), -ENOENT);
	owned_close(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_and_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_by_somebody, setup, teardown),
		cmocka_unit_test_setup_teardown(test_already_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holders_across_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owners_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_holder_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_name, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
