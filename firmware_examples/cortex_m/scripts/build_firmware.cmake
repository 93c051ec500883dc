# cmake -DBOARD=... -DBINARY_DIR=... -DSOURCE_DIR=... -DTOOLCHAIN=... -DMODEL_SOURCE=...
#       -DGENERATED=... -DEIGEN=... -DFLATBUFFERS=... -DREPS=... [-DCOMPACT_MODEL_SOURCE=...]
#       [-DMNIST_MODEL_SOURCE=... -DMNIST_IMAGES_SOURCE=...] [-DMNIST_FF_MODEL_SOURCE=...]
#       [-DLAUNCHER=ccache] -P build_firmware.cmake
# Configures (quick when cached) and builds the Cortex-M examples for one board; LAUNCHER (the host
# build's compiler launcher, e.g. ccache) wraps the cross compiler too.
foreach(var BOARD BINARY_DIR SOURCE_DIR TOOLCHAIN MODEL_SOURCE GENERATED EIGEN FLATBUFFERS REPS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_firmware.cmake: ${var} not set")
  endif()
endforeach()
# Flags from the toolchain file only reach a fresh cache: start over when it changed.
get_filename_component(_cmake_dir ${TOOLCHAIN} DIRECTORY)
file(SHA256 ${TOOLCHAIN} _h1)
file(SHA256 ${_cmake_dir}/sasrnn_boards.cmake _h2)
file(SHA256 ${_cmake_dir}/sasrnn_mps2.ld _h3)
set(stamp "${_h1} ${_h2} ${_h3}")
set(old_stamp "")
if(EXISTS ${BINARY_DIR}/toolchain.stamp)
  file(READ ${BINARY_DIR}/toolchain.stamp old_stamp)
endif()
if(EXISTS ${BINARY_DIR}/CMakeCache.txt AND NOT old_stamp STREQUAL stamp)
  message(STATUS "toolchain file changed: reconfiguring ${BINARY_DIR} from scratch")
  file(REMOVE_RECURSE ${BINARY_DIR})
endif()
file(MAKE_DIRECTORY ${BINARY_DIR})
file(WRITE ${BINARY_DIR}/toolchain.stamp "${stamp}")
set(_launcher "")
if(LAUNCHER)
  set(_launcher "-DCMAKE_C_COMPILER_LAUNCHER=${LAUNCHER}" "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}")
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR} -G Ninja --toolchain ${TOOLCHAIN}
          -DSASRNN_BOARD=${BOARD} -DSASRNN_MODEL_SOURCE=${MODEL_SOURCE}
          -DSASRNN_GENERATED_INCLUDE=${GENERATED} -DSASRNN_EIGEN_INCLUDE=${EIGEN}
          -DSASRNN_FLATBUFFERS_INCLUDE=${FLATBUFFERS} -DSASRNN_FW_REPS=${REPS} ${_launcher}
          "-DSASRNN_COMPACT_MODEL_SOURCE=${COMPACT_MODEL_SOURCE}"
          "-DSASRNN_MNIST_MODEL_SOURCE=${MNIST_MODEL_SOURCE}" "-DSASRNN_MNIST_IMAGES_SOURCE=${MNIST_IMAGES_SOURCE}"
          "-DSASRNN_MNIST_FF_MODEL_SOURCE=${MNIST_FF_MODEL_SOURCE}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the firmware for ${BOARD} failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} --parallel 1 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the firmware for ${BOARD} failed")
endif()
