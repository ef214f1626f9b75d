# Configuration module: tierd.conf parsing and validation (inih), its unit
# test, the shipped config file and its man page.

add_library(tierd_config STATIC daemon/config.c)
target_include_directories(tierd_config PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/daemon)
target_link_libraries(tierd_config PUBLIC PkgConfig::INIH m)

if(BUILD_TESTING)
  add_executable(test_config tests/unit/test_config.c)
  target_link_libraries(test_config PRIVATE tierd_config PkgConfig::CMOCKA)
  # the test checks the shipped file and the man page, not copies of them
  target_compile_definitions(test_config PRIVATE
    TIERD_SHIPPED_CONF="${CMAKE_CURRENT_SOURCE_DIR}/conf/tierd.conf"
    TIERD_MAN_PAGE="${CMAKE_CURRENT_SOURCE_DIR}/docs/tierd.conf.5")
  add_test(NAME test_config COMMAND test_config)
endif()

install(FILES conf/tierd.conf DESTINATION ${TIERD_SYSCONFDIR})
install(FILES docs/tierd.conf.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
