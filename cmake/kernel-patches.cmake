# kernel-patches/: the project's kernel series (node_private tracepoints).
# The check needs git, perl and Debian's linux-source-6.1 (checkpatch.pl and
# the 6.1 files the series touches); it extracts them once into the build
# tree and exits 77 (skipped, with the reason) when they are missing.
if(BUILD_TESTING)
  add_test(NAME kernel_patches_series
           COMMAND bash ${PROJECT_SOURCE_DIR}/kernel-patches/check-series.sh
                   --cache ${CMAKE_BINARY_DIR}/kernel-patches-cache
                   ${PROJECT_SOURCE_DIR}/kernel-patches)
  set_tests_properties(kernel_patches_series PROPERTIES
                       SKIP_RETURN_CODE 77
                       LABELS "kernel-patches")
endif()
