# cmake -DQEMU=... -DMACHINE=... -DELF=... -DOUT=... -DHOST_OUT=... -DCOMPARE=... [-DCOMPARE_ARGS=...]
#       [-DKIND=msi|mnist|mnist_ff] [-DSIZE=arm-none-eabi-size] -DTIMEOUT=... -P run_msi.cmake
# Runs an app (msi_fw, or with KIND=mnist mnist_row_fw, KIND=mnist_ff mnist_ff_fw) under QEMU
# (bounded by TIMEOUT) and compares its output with the host reference (fw_compare KIND). With
# SIZE, also prints the ELF's flash and RAM (text + data; data + bss, which holds the stack) in
# the test's output.
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
file(STRINGS ${OUT} summary REGEX "^(accuracy|# stack|# (ff::)?network_ram)")
string(JOIN "\n" summary ${summary})
set(sizes "")
if(SIZE)
  execute_process(COMMAND ${SIZE} ${ELF} OUTPUT_VARIABLE size_out RESULT_VARIABLE rc_size)
  if(rc_size EQUAL 0 AND size_out MATCHES "\n[ \t]*([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)")
    math(EXPR flash "${CMAKE_MATCH_1} + ${CMAKE_MATCH_2}")
    math(EXPR ram "${CMAKE_MATCH_2} + ${CMAKE_MATCH_3}")
    set(sizes "\n${name}: text ${CMAKE_MATCH_1} data ${CMAKE_MATCH_2} bss ${CMAKE_MATCH_3} bytes: flash ${flash} B (text + data), RAM ${ram} B (data + bss, the reserved stack of the linker script included)")
  endif()
endif()
message("${MACHINE} ${name} vs host:\n${report}${summary}${sizes}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${name} on ${MACHINE} disagrees with the host reference")
endif()
