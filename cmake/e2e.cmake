# End-to-end tests in a two-node NUMA qemu guest (tests/e2e/, docs/e2e.md).

function(tierd_e2e_daemon_tests)
  if(NOT (TARGET tierd AND TARGET tierctl))
    message(STATUS "e2e: no tierd/tierctl targets, only the harness self-tests are registered")
    return()
  endif()
  set(E2E_RUN ${CMAKE_SOURCE_DIR}/tests/e2e/run-e2e.sh)
  set(E2E_BINS --workload $<TARGET_FILE:e2e-workload>
               --tierd $<TARGET_FILE:tierd> --tierctl $<TARGET_FILE:tierctl>
               --artifacts ${CMAKE_BINARY_DIR}/e2e-artifacts)
  add_test(NAME e2e_promotion
           COMMAND ${E2E_RUN} --scenario tierd ${E2E_BINS})
  # Promotion disabled: the hot set must stay on node 1 and the run must
  # fail for exactly that reason.
  add_test(NAME e2e_promotion_disabled_fails
           COMMAND ${E2E_RUN} --scenario tierd-disabled --duration-ms 10000
                   --expect-fail hot_promoted ${E2E_BINS})
  # More headroom demanded than node 0 has: nothing may be promoted.
  add_test(NAME e2e_headroom
           COMMAND ${E2E_RUN} --scenario tierd-headroom --duration-ms 10000
                   ${E2E_BINS})
  set_tests_properties(e2e_promotion e2e_promotion_disabled_fails e2e_headroom
                       PROPERTIES LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 360
                                  RUN_SERIAL TRUE)
  # the real unit under systemd as PID 1 in the guest
  add_test(NAME e2e_systemd_unit
           COMMAND ${CMAKE_SOURCE_DIR}/tests/e2e/systemd-unit.sh
                   --unit ${CMAKE_BINARY_DIR}/tierd.service
                   --tierd $<TARGET_FILE:tierd> --tierctl $<TARGET_FILE:tierctl>
                   --workload $<TARGET_FILE:e2e-workload>
                   --artifacts ${CMAKE_BINARY_DIR}/e2e-artifacts)
  set_tests_properties(e2e_systemd_unit PROPERTIES LABELS e2e
                       SKIP_RETURN_CODE 77 TIMEOUT 300 RUN_SERIAL TRUE)
endfunction()

add_executable(e2e-workload tests/e2e/workload.c)
target_link_libraries(e2e-workload PRIVATE PkgConfig::NUMA)

if(BUILD_TESTING)
  set(E2E_RUN ${CMAKE_CURRENT_SOURCE_DIR}/tests/e2e/run-e2e.sh)
  set(E2E_ARTIFACTS ${CMAKE_CURRENT_BINARY_DIR}/e2e-artifacts)

  # The harness proving itself without tierd: an oracle that moves exactly
  # the hot set must pass; migratepages (moves everything) must trip the
  # cold-set check.
  add_test(NAME e2e_harness_oracle
           COMMAND ${E2E_RUN} --scenario oracle --duration-ms 6000
                   --workload $<TARGET_FILE:e2e-workload>
                   --artifacts ${E2E_ARTIFACTS})
  add_test(NAME e2e_harness_migratepages_caught
           COMMAND ${E2E_RUN} --scenario migratepages --duration-ms 6000
                   --expect-fail cold_kept
                   --workload $<TARGET_FILE:e2e-workload>
                   --artifacts ${E2E_ARTIFACTS})
  set(E2E_TESTS e2e_harness_oracle e2e_harness_migratepages_caught)

  set_tests_properties(${E2E_TESTS} PROPERTIES
                       LABELS e2e
                       SKIP_RETURN_CODE 77
                       TIMEOUT 360
                       RUN_SERIAL TRUE)

  # tierd and tierctl may be defined by a fragment included after this one
  # (or deferred), so look for them once the whole project is configured.
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL tierd_e2e_daemon_tests)
endif()

# move_pages throughput, batched / THP / unbatched vs memcpy; run it in the
# guest with bench/guest_compare.sh --migrate or on the host directly.
add_executable(migrate_bench bench/migrate_bench.c)
target_link_libraries(migrate_bench PRIVATE PkgConfig::NUMA)
