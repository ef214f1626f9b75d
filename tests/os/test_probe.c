// SPDX-License-Identifier: GPL-2.0
/*
 * How many arguments a tracepoint has: from the prototype in the kernel's
 * BTF (the host's own events) and from tracefs format files (fake ones:
 * the layout the kernel prints, for the node_private events of this and
 * of the previous kernel-patches/).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/tierd.h"
#include "os/probe.h"

#define COMMON_FIELDS							\
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

#define FAULT_FIELDS_7							\
	"\tfield:int nid;\toffset:8;\tsize:4;\tsigned:1;\n"		\
	"\tfield:unsigned long pfn;\toffset:16;\tsize:8;\tsigned:0;\n"	\
	"\tfield:unsigned int order;\toffset:24;\tsize:4;\tsigned:0;\n"	\
	"\tfield:unsigned long address;\toffset:32;\tsize:8;\tsigned:0;\n" \
	"\tfield:int level;\toffset:40;\tsize:4;\tsigned:1;\n"		\
	"\tfield:bool handled;\toffset:44;\tsize:1;\tsigned:0;\n"	\
	"\tfield:unsigned int ret;\toffset:48;\tsize:4;\tsigned:0;\n"

static char dir[64];

static const char *put(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/tierd-probe.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void test_format_files(void **state)
{
	assert_int_equal(probe_tp_args_format(put("fault8",
		"name: node_private_write_fault\nID: 1402\nformat:\n"
		COMMON_FIELDS FAULT_FIELDS_7
		"\tfield:int access;\toffset:52;\tsize:4;\tsigned:1;\n\n"
		"print fmt: \"nid=%d pfn=0x%lx\", REC->nid, REC->pfn\n")),
		TIERD_NP_FAULT_ARGS);
	/* the event before access was appended */
	assert_int_equal(probe_tp_args_format(put("fault7",
		"name: node_private_write_fault\nID: 1402\nformat:\n"
		COMMON_FIELDS FAULT_FIELDS_7
		"\nprint fmt: \"nid=%d\", REC->nid\n")), 7);
	assert_int_equal(probe_tp_args_format(put("migrate",
		"name: node_private_migrate\nID: 1403\nformat:\n" COMMON_FIELDS
		"\tfield:int src_nid;\toffset:8;\tsize:4;\tsigned:1;\n"
		"\tfield:int dst_nid;\toffset:12;\tsize:4;\tsigned:1;\n"
		"\tfield:unsigned long pfn;\toffset:16;\tsize:8;\tsigned:0;\n"
		"\tfield:unsigned int order;\toffset:24;\tsize:4;\tsigned:0;\n"
		"\tfield:int reason;\toffset:28;\tsize:4;\tsigned:1;\n"
		"\tfield:int ret;\toffset:32;\tsize:4;\tsigned:1;\n")),
		TIERD_NP_MIGRATE_ARGS);
	/* nothing that reads as a format: no count, never a guess */
	assert_int_equal(probe_tp_args_format(put("empty", "")), -EINVAL);
	assert_int_equal(probe_tp_args_format(put("common_only",
		"name: x\nformat:\n" COMMON_FIELDS)), -EINVAL);
	assert_int_equal(probe_tp_args_format(put("no_format",
		"\tfield:int nid;\toffset:8;\tsize:4;\tsigned:1;\n")), -EINVAL);
	assert_int_equal(probe_tp_args_format(put("garbage",
		"format:\n\tfield:int nid\n\tfield\n")), -EINVAL);
	assert_int_equal(probe_tp_args_format("/nonexistent/format"), -ENOENT);
}

/*
 * The host kernel's own x86 events, whose prototype has not changed since
 * they were added: page_fault_{user,kernel}(address, regs, error_code).
 */
static void test_btf_prototypes(void **state)
{
	struct btf *vmlinux;

	if (access("/sys/kernel/btf/vmlinux", R_OK))
		fail_msg("this host has kernel BTF; /sys/kernel/btf/vmlinux unreadable");
	vmlinux = btf__load_vmlinux_btf();
	assert_false(libbpf_get_error(vmlinux));
	assert_int_equal(probe_tp_args_btf(vmlinux, "page_fault_user"), 3);
	assert_int_equal(probe_tp_args_btf(vmlinux, "page_fault_kernel"), 3);
	assert_int_equal(probe_tp_args_btf(vmlinux, "no_such_event_here"),
			 -ENOENT);
	assert_int_equal(probe_tp_args_btf(NULL, "page_fault_user"), -ENOENT);
	btf__free(vmlinux);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format_files, setup,
						teardown),
		cmocka_unit_test(test_btf_prototypes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
