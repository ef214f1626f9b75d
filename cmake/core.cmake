# Pure policy core: hotness table and promotion policy, no syscalls.
add_library(tierd_core STATIC
  daemon/hotness.c
  daemon/policy.c)
target_include_directories(tierd_core PUBLIC
  ${CMAKE_CURRENT_SOURCE_DIR}/daemon
  ${CMAKE_CURRENT_SOURCE_DIR}/bpf)
target_link_libraries(tierd_core PUBLIC m)
set_target_properties(tierd_core PROPERTIES POSITION_INDEPENDENT_CODE ON)

if(BUILD_TESTING)
  foreach(t hotness policy)
    add_executable(test_${t} tests/unit/test_${t}.c)
    target_link_libraries(test_${t} PRIVATE tierd_core PkgConfig::CMOCKA)
    add_test(NAME test_${t} COMMAND test_${t})
  endforeach()
endif()
