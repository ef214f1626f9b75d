# BPF-side benchmark: cost of the fault program per fault (needs root).
if(TARGET tierd_collector AND TARGET tierd_config)
  add_executable(bench_bpf_fault_cost bench/bpf_fault_cost.c)
  target_link_libraries(bench_bpf_fault_cost tierd_collector tierd_config
                        tierd_log)
endif()
