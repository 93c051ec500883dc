# cmake -DBUILD_DIR=... -DPREFIX=... -DAPP_SOURCE=... -DAPP_BUILD=... -DMODEL=... -DSOURCE_DIR=...
#       -P installed_app.cmake
# Installs the build into PREFIX, then configures, builds and runs firmware_examples/installed_app
# against it with find_package(sasrnn), as an outside project would.
file(REMOVE_RECURSE ${PREFIX} ${APP_BUILD})
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed:\n${out}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()
run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX})
file(GLOB_RECURSE config_files ${PREFIX}/lib/cmake/sasrnn/*.cmake)
foreach(f ${config_files})
  file(READ ${f} text)
  string(FIND "${text}" "${SOURCE_DIR}" in_source)
  string(FIND "${text}" "${BUILD_DIR}" in_build)
  if(NOT in_source EQUAL -1 OR NOT in_build EQUAL -1)
    message(FATAL_ERROR "${f} refers to the source or build tree; the package must stand alone")
  endif()
endforeach()
run("configuring installed_app" ${CMAKE_COMMAND} -S ${APP_SOURCE} -B ${APP_BUILD} -G Ninja
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${PREFIX})
run("building installed_app" ${CMAKE_COMMAND} --build ${APP_BUILD})
run("running msi_installed" ${APP_BUILD}/msi_installed ${MODEL} 3)
message("${last_output}")
