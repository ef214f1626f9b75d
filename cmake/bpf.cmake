# BPF collector: vmlinux.h from the build host's BTF, the CO-RE object,
# its skeleton, the collector library and the BPF tests.

set(TIERD_VMLINUX_BTF "/sys/kernel/btf/vmlinux" CACHE FILEPATH
    "Kernel BTF that vmlinux.h is generated from")
if(NOT EXISTS "${TIERD_VMLINUX_BTF}")
  message(FATAL_ERROR
    "tierd: ${TIERD_VMLINUX_BTF} does not exist, so vmlinux.h cannot be "
    "generated for the BPF collector. Build on a kernel with "
    "CONFIG_DEBUG_INFO_BTF=y, or point -DTIERD_VMLINUX_BTF=<file> at the BTF "
    "of the kernel you target.")
endif()

find_program(BPFTOOL bpftool PATHS /usr/sbin /sbin REQUIRED)
find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)

set(TIERD_BPF_GEN "${PROJECT_BINARY_DIR}/bpf")
set(TIERD_BPF_SRC "${PROJECT_SOURCE_DIR}/bpf/tierd.bpf.c")
file(MAKE_DIRECTORY "${TIERD_BPF_GEN}")

add_custom_command(
  OUTPUT "${TIERD_BPF_GEN}/vmlinux.h"
  COMMAND "${BPFTOOL}" btf dump file "${TIERD_VMLINUX_BTF}" format c
          > "${TIERD_BPF_GEN}/vmlinux.h"
  DEPENDS "${TIERD_VMLINUX_BTF}"
  COMMENT "Generating vmlinux.h from ${TIERD_VMLINUX_BTF}"
  VERBATIM)

# -mcpu=v3: the aggregation uses fetch-and-add and compare-and-swap (5.12+).
add_custom_command(
  OUTPUT "${TIERD_BPF_GEN}/tierd.bpf.o"
  COMMAND "${BPF_CLANG}" -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86
          -Wall -Wno-unused-function
          -I "${TIERD_BPF_GEN}" -I "${PROJECT_SOURCE_DIR}/bpf"
          -idirafter /usr/include/x86_64-linux-gnu
          -c "${TIERD_BPF_SRC}" -o "${TIERD_BPF_GEN}/tierd.bpf.tmp.o"
  # bpftool's linker drops the DWARF the skeleton would otherwise embed
  COMMAND "${BPFTOOL}" gen object "${TIERD_BPF_GEN}/tierd.bpf.o"
          "${TIERD_BPF_GEN}/tierd.bpf.tmp.o"
  DEPENDS "${TIERD_BPF_SRC}" "${PROJECT_SOURCE_DIR}/bpf/tierd.h"
          "${TIERD_BPF_GEN}/vmlinux.h"
  COMMENT "Compiling BPF object tierd.bpf.o"
  VERBATIM)

add_custom_command(
  OUTPUT "${TIERD_BPF_GEN}/tierd.skel.h"
  COMMAND "${BPFTOOL}" gen skeleton "${TIERD_BPF_GEN}/tierd.bpf.o"
          name tierd_bpf > "${TIERD_BPF_GEN}/tierd.skel.h"
  DEPENDS "${TIERD_BPF_GEN}/tierd.bpf.o"
  COMMENT "Generating BPF skeleton tierd.skel.h"
  VERBATIM)

add_custom_target(tierd_bpf_skel DEPENDS "${TIERD_BPF_GEN}/tierd.skel.h")

if(NOT TARGET tierd_log)
  add_library(tierd_log STATIC "${PROJECT_SOURCE_DIR}/daemon/log.c")
  target_include_directories(tierd_log PUBLIC "${PROJECT_SOURCE_DIR}/daemon")
endif()

add_library(tierd_collector STATIC "${PROJECT_SOURCE_DIR}/daemon/collector.c")
add_dependencies(tierd_collector tierd_bpf_skel)
target_include_directories(tierd_collector PUBLIC
  "${PROJECT_SOURCE_DIR}/daemon"
  "${PROJECT_SOURCE_DIR}/bpf"
  "${TIERD_BPF_GEN}")
target_link_libraries(tierd_collector PUBLIC PkgConfig::LIBBPF tierd_log)

if(BUILD_TESTING)
  # Feature decisions and reason strings: no BPF load, runs unprivileged.
  add_executable(test_collector_reasons
    "${PROJECT_SOURCE_DIR}/tests/bpf/test_collector_reasons.c")
  target_link_libraries(test_collector_reasons PRIVATE tierd_collector
    PkgConfig::CMOCKA)
  add_test(NAME test_collector_reasons COMMAND test_collector_reasons)

  # Real faults through exceptions:page_fault_user (root).
  add_executable(test_bpf_collect
    "${PROJECT_SOURCE_DIR}/tests/bpf/test_bpf_collect.c")
  target_link_libraries(test_bpf_collect PRIVATE tierd_collector
    PkgConfig::CMOCKA)
  add_test(NAME test_bpf_collect COMMAND test_bpf_collect)

  # Private-node programs through BPF_PROG_TEST_RUN (root).
  add_executable(test_bpf_private_node
    "${PROJECT_SOURCE_DIR}/tests/bpf/test_bpf_private_node.c")
  target_link_libraries(test_bpf_private_node PRIVATE tierd_collector
    PkgConfig::CMOCKA)
  add_test(NAME test_bpf_private_node COMMAND test_bpf_private_node)

  # cmocka's skip() exits 0: show skips as skipped, not passed.
  set_tests_properties(test_bpf_collect test_bpf_private_node PROPERTIES
    SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
endif()
