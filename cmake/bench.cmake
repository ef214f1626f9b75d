# Benchmarks print figures; they are not tests and ctest does not run them.
add_executable(bench_ingest bench/ingest.c)
target_link_libraries(bench_ingest PRIVATE tierd_core)

add_executable(bench_placement bench/placement_sim.c)
target_link_libraries(bench_placement PRIVATE tierd_core)

add_custom_target(bench
  COMMAND bench_ingest
  COMMAND bench_placement
  DEPENDS bench_ingest bench_placement
  COMMENT "Running tierd core benchmarks"
  USES_TERMINAL)
