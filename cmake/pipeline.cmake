# The promotion pipeline and its thin syscall modules (migrate, procfs,
# numa_nodes).  Linked into tierd; needs the pure core and the collector.
if(TARGET tierd_core AND TARGET tierd_collector)
  add_library(tierd_pipeline STATIC
    daemon/pipeline.c
    daemon/migrate.c
    daemon/numa_nodes.c
    daemon/procfs.c)
  target_include_directories(tierd_pipeline PUBLIC daemon bpf)
  target_link_libraries(tierd_pipeline PUBLIC tierd_core tierd_collector
                        PkgConfig::NUMA)
endif()

if(BUILD_TESTING)
  add_executable(test_numa_nodes tests/unit/test_numa_nodes.c daemon/numa_nodes.c)
  target_include_directories(test_numa_nodes PRIVATE daemon)
  target_link_libraries(test_numa_nodes PkgConfig::CMOCKA PkgConfig::NUMA)
  add_test(NAME test_numa_nodes COMMAND test_numa_nodes)

  # real move_pages(2) on the host kernel
  add_executable(test_migrate tests/unit/test_migrate.c daemon/migrate.c)
  target_include_directories(test_migrate PRIVATE daemon)
  target_link_libraries(test_migrate PkgConfig::CMOCKA PkgConfig::NUMA)
  add_test(NAME test_migrate COMMAND test_migrate)
endif()
