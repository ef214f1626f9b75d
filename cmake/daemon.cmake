# tierd (main loop, control socket), tierctl, their tests, the systemd unit
# and the man pages.

if(NOT TARGET tierd_log)
  add_library(tierd_log STATIC daemon/log.c)
  target_include_directories(tierd_log PUBLIC daemon)
endif()

# Pure pieces of the control protocol and the renderers: no syscalls, so
# the unit tests link them without sockets or a daemon.
add_library(tierd_render STATIC
  daemon/strbuf.c
  daemon/json.c
  daemon/stats_render.c
  daemon/control_proto.c)
target_include_directories(tierd_render PUBLIC daemon bpf)
target_link_libraries(tierd_render PUBLIC m)

add_executable(tierctl daemon/tierctl.c)
target_include_directories(tierctl PRIVATE daemon)
target_link_libraries(tierctl PRIVATE m)
install(TARGETS tierctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

if(TARGET tierd_pipeline AND TARGET tierd_config)
  add_executable(tierd daemon/tierd.c daemon/control.c)
  target_compile_definitions(tierd PRIVATE
    TIERD_VERSION="${PROJECT_VERSION}")
  target_link_libraries(tierd PRIVATE tierd_render tierd_pipeline
                        tierd_config tierd_log PkgConfig::SYSTEMD)
  install(TARGETS tierd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
else()
  message(STATUS "tierd: waiting for tierd_pipeline and tierd_config targets")
endif()

# The unit names the installed binary; configure_file puts the prefix in.
set(TIERD_SBINDIR_FULL "${CMAKE_INSTALL_FULL_SBINDIR}")
configure_file(systemd/tierd.service.in
               ${CMAKE_CURRENT_BINARY_DIR}/tierd.service @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tierd.service
        DESTINATION ${TIERD_UNITDIR})
install(FILES docs/tierd.8 docs/tierctl.8
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)

if(BUILD_TESTING)
  foreach(t test_control test_stats_render)
    add_executable(${t} tests/unit/${t}.c)
    target_link_libraries(${t} PRIVATE tierd_render PkgConfig::CMOCKA)
    target_include_directories(${t} PRIVATE tests/common)
    add_test(NAME ${t} COMMAND ${t})
  endforeach()

  # Man pages must format without groff warnings.
  find_program(GROFF groff)
  if(GROFF)
    foreach(page tierd.8 tierctl.8)
      add_test(NAME man_${page}
               COMMAND sh -c "out=$(${GROFF} -man -z -ww \"$1\" 2>&1); [ -z \"$out\" ] || { echo \"$out\"; exit 1; }"
                       sh ${CMAKE_CURRENT_SOURCE_DIR}/docs/${page})
    endforeach()
  endif()

  if(TARGET tierd)
    add_test(NAME tierd_unit_file
             COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tests/unit/test_unit_file.sh
                     ${CMAKE_CURRENT_BINARY_DIR}/tierd.service
                     $<TARGET_FILE:tierd>)
    add_test(NAME tierd_smoke
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/daemon/smoke.sh
                     $<TARGET_FILE:tierd> $<TARGET_FILE:tierctl>
                     ${CMAKE_CURRENT_SOURCE_DIR}/tests/daemon)
    # The smoke test skips (exit 77) when not run as root.
    set_tests_properties(tierd_smoke PROPERTIES SKIP_RETURN_CODE 77
                         TIMEOUT 120)
    set_tests_properties(tierd_unit_file PROPERTIES SKIP_RETURN_CODE 77)

    # The unit's capabilities suffice for, and are each needed by, what
    # tierd does (BPF, move_pages, clear_refs, chown).
    add_executable(caps_probe tests/daemon/caps_probe.c)
    target_link_libraries(caps_probe PRIVATE tierd_pipeline tierd_config
                          tierd_log)
    add_test(NAME tierd_unit_caps
             COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tests/daemon/test_unit_caps.sh
                     ${CMAKE_CURRENT_BINARY_DIR}/tierd.service
                     $<TARGET_FILE:caps_probe>)
    set_tests_properties(tierd_unit_caps PROPERTIES SKIP_RETURN_CODE 77)
  endif()
endif()
