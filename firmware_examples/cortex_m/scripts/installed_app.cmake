# cmake -DBUILD_DIR=... -DPREFIX=... -DAPP_SOURCE=... -DAPP_BUILD=... -DMODEL=... -DSOURCE_DIR=...
#       -P installed_app.cmake
# Installs the build into PREFIX, then configures, builds and runs firmware_examples/installed_app
# against it with find_package(sasrnn), as an outside project would: from the model file and from
# the C array that the package's sasrnn_export_c() writes (the two must decide alike).
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
# The runtime's include paths: the install's own include directory only (FlatBuffers and Eigen
# come from find_dependency, not as paths of the machine that built the package).
file(GLOB targets_files ${PREFIX}/lib/cmake/sasrnn/sasrnnTargets*.cmake)
foreach(f ${targets_files})
  file(STRINGS ${f} include_lines REGEX "INTERFACE_INCLUDE_DIRECTORIES")
  foreach(line ${include_lines})
    string(REPLACE "\${_IMPORT_PREFIX}/" "" rest "${line}")
    if(rest MATCHES "\"[^\"]*/")
      message(FATAL_ERROR "${f}: an include path outside the install: ${line}")
    endif()
  endforeach()
endforeach()
# With MSI_MODEL the app also builds msi_installed_embedded, the model as a C array written by
# the package's sasrnn_export_c() with the installed sasrnn program.
run("configuring installed_app" ${CMAKE_COMMAND} -S ${APP_SOURCE} -B ${APP_BUILD} -G Ninja
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${PREFIX} -DMSI_MODEL=${MODEL})
run("building installed_app" ${CMAKE_COMMAND} --build ${APP_BUILD})
run("running msi_installed" ${APP_BUILD}/msi_installed ${MODEL} 3)
set(from_file "${last_output}")
run("running msi_installed_embedded" ${APP_BUILD}/msi_installed_embedded 3)
if(NOT last_output STREQUAL from_file)
  message(FATAL_ERROR "the embedded model decides otherwise than the file:\n${from_file}\n${last_output}")
endif()
if(NOT EXISTS ${APP_BUILD}/model/msi_model.h)
  message(FATAL_ERROR "sasrnn_export_c() wrote no ${APP_BUILD}/model/msi_model.h")
endif()
message("msi_installed_embedded (sasrnn_export_c): same decisions as from the file\n${from_file}")
