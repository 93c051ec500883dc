# `cmake --install BUILD --prefix P` installs the header-only runtime as a CMake package:
#   P/include/sasrnn/*.hpp (+ the generated sasrnn_generated.h), P/share/sasrnn/sasrnn.fbs,
#   P/lib/cmake/sasrnn/{sasrnnConfig,sasrnnConfigVersion,sasrnnTargets}.cmake, the firmware
#   helpers (toolchain file, board table, sasrnn_export_c.cmake) and P/bin/sasrnn, the CLI.
# An outside project then uses find_package(sasrnn), links sasrnn::runtime and may call
# sasrnn_export_c(), which runs the installed program (imported as sasrnn::sasrnn)
# (firmware_examples/installed_app).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SASRNN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/sasrnn)
set(SASRNN_INSTALL_SCHEMA ${CMAKE_INSTALL_DATADIR}/sasrnn/sasrnn.fbs)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/sasrnn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(FILES ${CMAKE_BINARY_DIR}/generated/sasrnn/sasrnn_generated.h ${CMAKE_BINARY_DIR}/generated/sasrnn/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sasrnn)
install(FILES ${PROJECT_SOURCE_DIR}/runtime/schema/sasrnn.fbs DESTINATION ${CMAKE_INSTALL_DATADIR}/sasrnn)

set_target_properties(sasrnn_runtime PROPERTIES EXPORT_NAME runtime)
install(TARGETS sasrnn_runtime EXPORT sasrnnTargets INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS sasrnn EXPORT sasrnnTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT sasrnnTargets NAMESPACE sasrnn:: DESTINATION ${SASRNN_INSTALL_CMAKEDIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/sasrnnConfig.cmake.in
  ${CMAKE_BINARY_DIR}/sasrnnConfig.cmake
  INSTALL_DESTINATION ${SASRNN_INSTALL_CMAKEDIR}
  PATH_VARS SASRNN_INSTALL_SCHEMA)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/sasrnnConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_BINARY_DIR}/sasrnnConfig.cmake ${CMAKE_BINARY_DIR}/sasrnnConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake ${CMAKE_CURRENT_LIST_DIR}/sasrnn_boards.cmake
              ${CMAKE_CURRENT_LIST_DIR}/sasrnn_mps2.ld
              ${CMAKE_CURRENT_LIST_DIR}/sasrnn_export_c.cmake
        DESTINATION ${SASRNN_INSTALL_CMAKEDIR})
