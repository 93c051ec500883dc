# cmake -DPROGRAM=... -DREPS=<its one argument: repetitions or images> -DOUT=... -P run_host.cmake : runs a host reference into OUT.
execute_process(COMMAND ${PROGRAM} ${REPS} OUTPUT_FILE ${OUT} RESULT_VARIABLE rc TIMEOUT 300)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} failed: ${rc}")
endif()
file(STRINGS ${OUT} notes REGEX "^#")
string(JOIN "\n" notes ${notes})
message("${notes}")
