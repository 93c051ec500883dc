# sasrnn bench --dump-dir writes its arrays atomically, as one set (conv::write_files: every
# temporary written and flushed, then each renamed into place): a run leaves the 9 .f32 files and
# the .json of each size with their full sizes and no temporary; a run that cannot replace the
# first of them (a directory in its place) fails with one line and leaves no file of the set and
# no temporary behind.
#   cmake -DPROGRAM=sasrnn -DMODEL=msi7.sasrnn -DN=7 -DDIR=... -P check_bench_dump.cmake
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR}/ok ${DIR}/blocked/n${N}_input_pi.f32)
set(bench_args --steps 2 --naive-steps 0 --rounds 1)

execute_process(COMMAND ${PROGRAM} bench ${MODEL} ${bench_args} --dump-dir ${DIR}/ok
                RESULT_VARIABLE code OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "bench --dump-dir failed (${code}): ${err}")
endif()
file(GLOB written RELATIVE ${DIR}/ok ${DIR}/ok/*)
list(LENGTH written count)
if(NOT count EQUAL 10)
  message(FATAL_ERROR "expected 10 files, found ${count}: ${written}")
endif()
math(EXPR in_bytes "${N} * 5 * 4")
math(EXPR rec_bytes "${N} * ${N} * 4")
math(EXPR out_bytes "2 * ${N} * 4")
foreach(part pi m xi)
  foreach(layer_bytes "input;${in_bytes}" "recurrent;${rec_bytes}" "output;${out_bytes}")
    list(GET layer_bytes 0 layer)
    list(GET layer_bytes 1 bytes)
    file(SIZE ${DIR}/ok/n${N}_${layer}_${part}.f32 size)
    if(NOT size EQUAL bytes)
      message(FATAL_ERROR "n${N}_${layer}_${part}.f32 has ${size} bytes, expected ${bytes}")
    endif()
  endforeach()
endforeach()
file(READ ${DIR}/ok/n${N}.json meta)
if(NOT meta MATCHES "^\\{\"n\": ${N}, \"n_in\": 5, \"n_out\": 2, \"alpha\": 0.2, \"sigma_rec\": [0-9.e-]+\\}\n$")
  message(FATAL_ERROR "n${N}.json: ${meta}")
endif()

execute_process(COMMAND ${PROGRAM} bench ${MODEL} ${bench_args} --dump-dir ${DIR}/blocked
                RESULT_VARIABLE code OUTPUT_QUIET ERROR_VARIABLE err)
if(code EQUAL 0)
  message(FATAL_ERROR "bench wrote over a directory")
endif()
if(NOT err MATCHES "^sasrnn bench: [^\n]*n${N}_input_pi.f32: cannot replace \\([^\n]*\\)\n$")
  message(FATAL_ERROR "unexpected error: ${err}")
endif()
file(GLOB left RELATIVE ${DIR}/blocked ${DIR}/blocked/*)
if(NOT left STREQUAL "n${N}_input_pi.f32")
  message(FATAL_ERROR "a failed dump left: ${left}")
endif()
