# cmake -DQEMU=... -DMACHINE=... -DELFS=<a.elf;b.elf> -DNM=... -DPLUGIN=... -DCOMPARE=... -DOUT_DIR=...
#       -DTIMEOUT=... -DTICK_NS=... [-DOUT_NAME=insn_count.txt] [-DUNIT=step|image] [-DWHAT=<text>]
#       -P run_count.cmake
# Runs msi_count (or mnist_row_count / mnist_ff_count, UNIT=image; WHAT says what an image's
# span holds) under QEMU with the instruction-count plugin and
# -icount shift=0 (the virtual clock advances 1 ns per instruction, so SysTick gives an
# independent count) and prints instructions per step (per image) per mode.
include(${CMAKE_CURRENT_LIST_DIR}/qemu_run.cmake)
if(NOT UNIT)
  set(UNIT step)
endif()
set(what "network step")
if(WHAT)
  set(what "${WHAT}")
elseif(UNIT STREQUAL "image")
  set(what "image (reset, 28 steps, decision)")
endif()
set(all "")
foreach(elf ${ELFS})
  get_filename_component(name ${elf} NAME_WE)
  set(out ${OUT_DIR}/${name}.txt)
  execute_process(COMMAND ${NM} ${elf} OUTPUT_VARIABLE syms)
  if(NOT syms MATCHES "([0-9a-fA-F]+) T sasrnn_fw_mark")
    message(FATAL_ERROR "${elf} has no sasrnn_fw_mark")
  endif()
  set(mark 0x${CMAKE_MATCH_1})
  sasrnn_qemu_run(${elf} ${out} ${out}.plugin ${TIMEOUT} rc -icount shift=0 -d plugin
                  -plugin ${PLUGIN},mark=${mark})
  if(NOT rc STREQUAL "0")
    file(READ ${out}.plugin err)
    message(FATAL_ERROR "${name} on ${MACHINE}: exit ${rc} (expected 0)\n${err}")
  endif()
  execute_process(COMMAND ${COMPARE} counts ${out} ${out}.plugin --tick-ns ${TICK_NS} --insn-ns 1 --unit ${UNIT}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE report)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "instruction counts of ${name} on ${MACHINE} failed:\n${report}")
  endif()
  string(APPEND all "${MACHINE} ${name}: instructions per ${what} (exact, QEMU plugin)\n${report}")
endforeach()
if(NOT OUT_NAME)
  set(OUT_NAME insn_count.txt)
endif()
file(WRITE ${OUT_DIR}/${OUT_NAME} "${all}")
message("${all}")
