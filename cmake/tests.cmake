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

# The pipeline glue, real core, fake thin edges: collector, migrate and
# procfs are replaced by not linking them, the two libnuma calls that share
# numa_nodes.c with the pure tier_choose() and the logger by --wrap (the
# reasons are at the top of the test).
if(BUILD_TESTING AND TARGET tierd_core AND TARGET tierd_config AND
   TARGET tierd_render AND TARGET tierd_log)
  add_executable(test_pipeline tests/unit/test_pipeline.c
                 daemon/pipeline.c daemon/numa_nodes.c)
  target_include_directories(test_pipeline PRIVATE daemon bpf)
  # a tracked-tgid map of 8 lets a test overflow it with a few processes
  target_compile_definitions(test_pipeline PRIVATE TIERD_TRACKED_MAX=8)
  target_link_libraries(test_pipeline PRIVATE tierd_core tierd_config
                        tierd_render tierd_log PkgConfig::NUMA
                        PkgConfig::CMOCKA)
  target_link_options(test_pipeline PRIVATE
                      -Wl,--wrap=numa_topology_read
                      -Wl,--wrap=numa_node_memory
                      -Wl,--wrap=tierd_log)
  add_test(NAME test_pipeline COMMAND test_pipeline)
endif()
