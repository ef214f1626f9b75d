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
