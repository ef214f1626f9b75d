# Whole-daemon tests on the host kernel (need the tierd and tierctl targets).
if(BUILD_TESTING AND TARGET tierd AND TARGET tierctl)
  add_executable(fault_writer tests/daemon/fault_writer.c)
  add_test(NAME pipeline_host
           COMMAND ${PROJECT_SOURCE_DIR}/tests/daemon/pipeline_host.sh
                   $<TARGET_FILE:tierd> $<TARGET_FILE:tierctl>
                   $<TARGET_FILE:fault_writer>)
  set_tests_properties(pipeline_host PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
endif()

if(BUILD_TESTING AND TARGET tierd AND TARGET tierctl)
  add_test(NAME install_layout
           COMMAND ${PROJECT_SOURCE_DIR}/tests/daemon/install_layout.sh
                   ${PROJECT_BINARY_DIR} ${CMAKE_INSTALL_PREFIX})
endif()
