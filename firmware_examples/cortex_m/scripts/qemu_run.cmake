# Shared by the run scripts: sasrnn_qemu_run(ELF OUT ERR TIMEOUT RC_VAR [extra qemu args...])
# Runs one ELF on ${MACHINE} with semihosting on stdio; stdout to OUT, stderr to ERR; the
# process's exit code (the firmware's return from main, 1 for a fault) into RC_VAR, or
# "timeout" when the run exceeded TIMEOUT seconds.
function(sasrnn_qemu_run elf out err timeout rc_var)
  execute_process(
    COMMAND ${QEMU} -M ${MACHINE} -display none -monitor none -serial none
            -chardev stdio,id=sh0 -semihosting-config enable=on,target=native,chardev=sh0
            ${ARGN} -kernel ${elf}
    INPUT_FILE /dev/null
    OUTPUT_FILE ${out} ERROR_FILE ${err}
    TIMEOUT ${timeout}
    RESULT_VARIABLE rc)
  if(NOT rc MATCHES "^[0-9]+$")
    set(rc timeout)
  endif()
  set(${rc_var} ${rc} PARENT_SCOPE)
endfunction()
