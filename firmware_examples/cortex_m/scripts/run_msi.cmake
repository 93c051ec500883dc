# cmake -DQEMU=... -DMACHINE=... -DELF=... -DOUT=... -DHOST_OUT=... -DCOMPARE=... [-DCOMPARE_ARGS=...]
#       -DTIMEOUT=... -P run_msi.cmake
# Runs msi_fw under QEMU (bounded by TIMEOUT) and compares its output with the host reference.
include(${CMAKE_CURRENT_LIST_DIR}/qemu_run.cmake)
sasrnn_qemu_run(${ELF} ${OUT} ${OUT}.stderr ${TIMEOUT} rc)
if(NOT rc STREQUAL "0")
  file(READ ${OUT}.stderr err)
  message(FATAL_ERROR "msi_fw on ${MACHINE}: exit ${rc} (expected 0)\n${err}")
endif()
separate_arguments(extra UNIX_COMMAND "${COMPARE_ARGS}")
execute_process(COMMAND ${COMPARE} msi ${HOST_OUT} ${OUT} ${extra} RESULT_VARIABLE rc OUTPUT_VARIABLE report)
file(WRITE ${OUT}.compare "${report}")
message("${MACHINE} vs host:\n${report}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "msi_fw on ${MACHINE} disagrees with the host reference")
endif()
