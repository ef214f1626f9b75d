# libFuzzer targets for the two parsers that take untrusted input: the
# config file and control-socket requests (plus the reply renderers).
#
# The project compiles with cc (gcc), which has no libFuzzer, so each fuzzer
# is one explicit clang invocation (compile + link) in add_custom_command:
# a handful of sources, no per-file objects worth caching, and no nested
# CMake project whose toolchain could drift from this one.  They build with
# the default target and ctest runs each for a bounded time (label "fuzz").
# For longer runs: tests/fuzz/run_fuzz.sh BIN CORPUS DICT SECONDS.

if(BUILD_TESTING)
  find_program(TIERD_FUZZ_CLANG NAMES clang-14 clang)
  set(_fuzz_ok FALSE)
  if(TIERD_FUZZ_CLANG)
    # Debian ships the fuzzer runtime in libclang-rt-14-dev; probe it.
    set(_probe ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe.c)
    file(WRITE ${_probe} "#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n")
    execute_process(
      COMMAND ${TIERD_FUZZ_CLANG} -fsanitize=fuzzer,address,undefined
              ${_probe} -o ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe
      RESULT_VARIABLE _probe_rc OUTPUT_QUIET ERROR_VARIABLE _probe_err)
    if(_probe_rc EQUAL 0)
      set(_fuzz_ok TRUE)
    else()
      set(_fuzz_why "clang cannot link -fsanitize=fuzzer (install libclang-rt-14-dev): ${_probe_err}")
    endif()
  else()
    set(_fuzz_why "no clang found")
  endif()

  set(_fuzz_dir ${CMAKE_CURRENT_SOURCE_DIR}/tests/fuzz)
  set(_fuzz_flags -fsanitize=fuzzer,address,undefined
      -fno-sanitize-recover=undefined -g -O1 -std=gnu11 -D_GNU_SOURCE
      -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
      -I${CMAKE_CURRENT_SOURCE_DIR}/daemon -I${CMAKE_CURRENT_SOURCE_DIR}/bpf
      -I${_fuzz_dir} -I${CMAKE_CURRENT_SOURCE_DIR}/tests/common ${INIH_CFLAGS})
  set(_fuzz_libs ${INIH_LDFLAGS} -lm)
  file(GLOB _fuzz_headers ${CMAKE_CURRENT_SOURCE_DIR}/daemon/*.h
       ${CMAKE_CURRENT_SOURCE_DIR}/bpf/tierd.h ${_fuzz_dir}/*.h
       ${CMAKE_CURRENT_SOURCE_DIR}/tests/common/*.h)

  set(_fuzz_config_src tests/fuzz/fuzz_config.c daemon/config.c)
  set(_fuzz_control_src tests/fuzz/fuzz_control.c daemon/config.c
      daemon/control_proto.c daemon/strbuf.c daemon/json.c
      daemon/stats_render.c)

  foreach(f fuzz_config fuzz_control)
    set(_bin ${CMAKE_CURRENT_BINARY_DIR}/fuzz/${f})
    if(_fuzz_ok)
      add_custom_command(OUTPUT ${_bin}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/fuzz
        COMMAND ${TIERD_FUZZ_CLANG} ${_fuzz_flags} ${_${f}_src} ${_fuzz_libs}
                -o ${_bin}
        DEPENDS ${_${f}_src} ${_fuzz_headers}
        WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
        COMMENT "Building libFuzzer target ${f} with clang"
        VERBATIM)
      add_custom_target(${f} ALL DEPENDS ${_bin})
      add_test(NAME ${f}
               COMMAND sh ${_fuzz_dir}/run_fuzz.sh ${_bin}
                       ${_fuzz_dir}/corpus/${f} ${_fuzz_dir}/${f}.dict 20)
      set_tests_properties(${f} PROPERTIES LABELS fuzz TIMEOUT 120)
    else()
      add_test(NAME ${f}
               COMMAND sh -c "echo \"SKIP: $1\"; exit 77" sh "${_fuzz_why}")
      set_tests_properties(${f} PROPERTIES LABELS fuzz SKIP_RETURN_CODE 77)
    endif()
  endforeach()
endif()
