# cmake -DQEMU=... -DMACHINE=... -DELF=... -DOUT=... -DHOST_OUT=... -DCOMPARE=... [-DCOMPARE_ARGS=...]
#       [-DKIND=msi|mnist] -DTIMEOUT=... -P run_msi.cmake
# Runs an app (msi_fw, or with KIND=mnist mnist_row_fw) under QEMU (bounded by TIMEOUT) and
# compares its output with the host reference (fw_compare KIND).
include(${CMAKE_CURRENT_LIST_DIR}/qemu_run.cmake)
if(NOT KIND)
  set(KIND msi)
endif()
get_filename_component(name ${ELF} NAME_WE)
sasrnn_qemu_run(${ELF} ${OUT} ${OUT}.stderr ${TIMEOUT} rc)
if(NOT rc STREQUAL "0")
  file(READ ${OUT}.stderr err)
  message(FATAL_ERROR "${name} on ${MACHINE}: exit ${rc} (expected 0)\n${err}")
endif()
separate_arguments(extra UNIX_COMMAND "${COMPARE_ARGS}")
execute_process(COMMAND ${COMPARE} ${KIND} ${HOST_OUT} ${OUT} ${extra} RESULT_VARIABLE rc OUTPUT_VARIABLE report)
file(WRITE ${OUT}.compare "${report}")
file(STRINGS ${OUT} summary REGEX "^(accuracy|# stack)")
string(JOIN "\n" summary ${summary})
message("${MACHINE} ${name} vs host:\n${report}${summary}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${name} on ${MACHINE} disagrees with the host reference")
endif()
