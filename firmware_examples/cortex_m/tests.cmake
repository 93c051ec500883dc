# Cortex-M examples: included by the top-level CMakeLists inside its tests block.
# Builds the host side (model as a C array by `sasrnn export-c`, host reference, comparison tool, QEMU plugin) and
# registers, per QEMU board, CTest tests that cross-build the firmware, run it under QEMU with a
# timeout and check it against the host:
#   fw.<board>.build          configure + build firmware_examples/cortex_m with the toolchain file
#   fw.<board>.msi_vs_host    MSI evaluation set on the board == host reference (decisions, floats)
#   fw.<board>.no_allocator   nm: no malloc/free/operator new/_sbrk in any image
#   fw.<board>.footprint      runtime .text/.data/.bss against a baseline image; Network RAM
#   fw.<board>.insn_count     exact instructions per step per mode (QEMU plugin) + icount check
#   fw.<board>.stack          every app's stack high-water mark (every mode) + 1 KiB fits the stack
# With models/msi_n150_compact.sasrnn (sparse layers), also per board:
#   fw.<board>.msi_compact_vs_host   msi_fw_compact on the board == msi_fw_compact_host
#   fw.<board>.insn_count_compact    instructions per step of msi_count_compact(_o3)
# With models/mnist_row_n100.sasrnn and the MNIST test files (scripts/fetch-mnist), also:
#   fw.<board>.mnist_row_vs_host     mnist_row_fw (the first test images, every mode) == host
#   fw.mps2-an386.mnist_row_insn_count   exact instructions per image per mode (M4F)
# With models/mnist_ff_784_100_100_10_compact.sasrnn and the MNIST test files, also:
#   fw.<board>.mnist_ff_vs_host      mnist_ff_fw (the compact [784, 100, 100, 10] stack, the same
#                                    test images, every mode) == mnist_ff_fw_host; flash and RAM
#   fw.mps2-an386.mnist_ff_insn_count    exact instructions per image per mode (M4F)
# Labels: firmware, no-sanitize (QEMU and the cross build are not sanitizer material).
if(SASRNN_SANITIZE)
  return()
endif()
find_program(SASRNN_QEMU_ARM qemu-system-arm)
find_program(SASRNN_ARM_GCC arm-none-eabi-gcc)
find_program(SASRNN_ARM_NM arm-none-eabi-nm)
find_program(SASRNN_ARM_SIZE arm-none-eabi-size)
if(NOT SASRNN_QEMU_ARM OR NOT SASRNN_ARM_GCC OR NOT SASRNN_ARM_NM OR NOT SASRNN_ARM_SIZE)
  message(WARNING "Cortex-M tests skipped: qemu-system-arm or arm-none-eabi-gcc missing (scripts/install-deps)")
  return()
endif()

set(_fw_dir ${CMAKE_CURRENT_LIST_DIR})
set(_fw_bin ${CMAKE_BINARY_DIR}/firmware_cortex_m)
add_subdirectory(${_fw_dir}/host ${_fw_bin})
include(${PROJECT_SOURCE_DIR}/cmake/sasrnn_boards.cmake)

get_target_property(_fw_eigen Eigen3::Eigen INTERFACE_INCLUDE_DIRECTORIES)
list(GET _fw_eigen 0 _fw_eigen)
get_target_property(_fw_fb flatbuffers::flatbuffers INTERFACE_INCLUDE_DIRECTORIES)
list(GET _fw_fb 0 _fw_fb)
set(_fw_scripts ${_fw_dir}/scripts)
set(_fw_labels "firmware;no-sanitize")

# Repetitions of the 24 MSI conditions per board: two, one on the Cortex-M3, whose soft-float
# arithmetic makes QEMU about three times slower (keeps the suite within a few minutes).
# The host reference runs once per repetition count.
foreach(reps 1 2)
  add_test(NAME fw.host_reference.r${reps}
    COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:msi_fw_host> -DREPS=${reps}
            -DOUT=${_fw_bin}/host_msi_r${reps}.txt -P ${_fw_scripts}/run_host.cmake)
  set_tests_properties(fw.host_reference.r${reps} PROPERTIES FIXTURES_SETUP fw_host_ref_r${reps}
                       LABELS "${_fw_labels}" TIMEOUT 300)
  if(FW_COMPACT_MODEL_SOURCE)
    add_test(NAME fw.host_reference_compact.r${reps}
      COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:msi_fw_compact_host> -DREPS=${reps}
              -DOUT=${_fw_bin}/host_msi_compact_r${reps}.txt -P ${_fw_scripts}/run_host.cmake)
    set_tests_properties(fw.host_reference_compact.r${reps} PROPERTIES
                         FIXTURES_SETUP fw_host_ref_compact_r${reps} LABELS "${_fw_labels}" TIMEOUT 300)
  endif()
endforeach()

# The sequential-MNIST row app: its host reference (all embedded test images, every board runs
# them all: about 6 s of QEMU on the soft-float M3).
if(FW_MNIST_MODEL_SOURCE)
  add_test(NAME fw.host_reference_mnist_row
    COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:mnist_row_fw_host> -DREPS=${FW_MNIST_IMAGES}
            -DOUT=${_fw_bin}/host_mnist_row.txt -P ${_fw_scripts}/run_host.cmake)
  set_tests_properties(fw.host_reference_mnist_row PROPERTIES FIXTURES_SETUP fw_host_ref_mnist_row
                       LABELS "${_fw_labels}" TIMEOUT 300)
endif()
# The feedforward MNIST app's host reference (the same images through the stack).
if(FW_MNIST_FF_MODEL_SOURCE)
  add_test(NAME fw.host_reference_mnist_ff
    COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:mnist_ff_fw_host> -DREPS=${FW_MNIST_IMAGES}
            -DOUT=${_fw_bin}/host_mnist_ff.txt -P ${_fw_scripts}/run_host.cmake)
  set_tests_properties(fw.host_reference_mnist_ff PROPERTIES FIXTURES_SETUP fw_host_ref_mnist_ff
                       LABELS "${_fw_labels}" TIMEOUT 300)
endif()

# The runtime as an installed package used by an outside project (firmware_examples/installed_app).
add_test(NAME fw.installed_package
  COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${CMAKE_BINARY_DIR} -DPREFIX=${_fw_bin}/install
          -DAPP_SOURCE=${PROJECT_SOURCE_DIR}/firmware_examples/installed_app -DAPP_BUILD=${_fw_bin}/installed_app
          -DMODEL=${FW_MODEL} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -P ${_fw_scripts}/installed_app.cmake)
set_tests_properties(fw.installed_package PROPERTIES LABELS "install;no-sanitize" TIMEOUT 300
                     PASS_REGULAR_EXPRESSION "msi_installed: [0-9]+ of 24 correct")

foreach(board ${SASRNN_BOARDS})
  set(dir ${_fw_bin}/${board})
  set(reps 2)
  if(board STREQUAL "mps2-an385")
    set(reps 1)
  endif()
  add_test(NAME fw.${board}.build
    COMMAND ${CMAKE_COMMAND} -DBOARD=${board} -DBINARY_DIR=${dir} -DSOURCE_DIR=${_fw_dir}
            -DTOOLCHAIN=${PROJECT_SOURCE_DIR}/cmake/arm-none-eabi.cmake
            -DMODEL_SOURCE=${FW_MODEL_SOURCE} -DGENERATED=${CMAKE_BINARY_DIR}/generated
            -DEIGEN=${_fw_eigen} -DFLATBUFFERS=${_fw_fb} -DREPS=${reps}
            "-DCOMPACT_MODEL_SOURCE=${FW_COMPACT_MODEL_SOURCE}" "-DMNIST_MODEL_SOURCE=${FW_MNIST_MODEL_SOURCE}"
            "-DMNIST_IMAGES_SOURCE=${FW_MNIST_IMAGES_SOURCE}" "-DMNIST_FF_MODEL_SOURCE=${FW_MNIST_FF_MODEL_SOURCE}"
            "-DLAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}"
            -P ${_fw_scripts}/build_firmware.cmake)
  set_tests_properties(fw.${board}.build PROPERTIES FIXTURES_SETUP fw_${board} LABELS "${_fw_labels}"
                       TIMEOUT 600 RESOURCE_LOCK fw_cross_build)

  add_test(NAME fw.${board}.msi_vs_host
    COMMAND ${CMAKE_COMMAND} -DQEMU=${SASRNN_QEMU_ARM} -DMACHINE=${board} -DELF=${dir}/msi_fw.elf
            -DOUT=${dir}/msi_fw.txt -DHOST_OUT=${_fw_bin}/host_msi_r${reps}.txt -DCOMPARE=$<TARGET_FILE:fw_compare>
            "-DCOMPARE_ARGS=--require-bit-identical" -DTIMEOUT=240 -P ${_fw_scripts}/run_msi.cmake)
  set_tests_properties(fw.${board}.msi_vs_host PROPERTIES FIXTURES_REQUIRED "fw_${board};fw_host_ref_r${reps}"
                       FIXTURES_SETUP fw_${board}_ran LABELS "${_fw_labels}" TIMEOUT 300)

  set(elfs "${dir}/msi_fw.elf;${dir}/msi_count.elf;${dir}/msi_count_o3.elf;${dir}/footprint_fw.elf;${dir}/footprint_fw_os.elf;${dir}/footprint_fw_dense.elf;${dir}/footprint_fw_dense_os.elf")
  set(footprint_fixtures "fw_${board};fw_${board}_ran")
  if(FW_COMPACT_MODEL_SOURCE)
    add_test(NAME fw.${board}.msi_compact_vs_host
      COMMAND ${CMAKE_COMMAND} -DQEMU=${SASRNN_QEMU_ARM} -DMACHINE=${board} -DELF=${dir}/msi_fw_compact.elf
              -DOUT=${dir}/msi_fw_compact.txt -DHOST_OUT=${_fw_bin}/host_msi_compact_r${reps}.txt
              -DCOMPARE=$<TARGET_FILE:fw_compare> "-DCOMPARE_ARGS=--require-bit-identical" -DTIMEOUT=240
              -P ${_fw_scripts}/run_msi.cmake)
    set_tests_properties(fw.${board}.msi_compact_vs_host PROPERTIES
                         FIXTURES_REQUIRED "fw_${board};fw_host_ref_compact_r${reps}"
                         FIXTURES_SETUP fw_${board}_compact_ran LABELS "${_fw_labels}" TIMEOUT 300)
    list(APPEND elfs ${dir}/msi_fw_compact.elf ${dir}/msi_count_compact.elf ${dir}/msi_count_compact_o3.elf)
    list(APPEND footprint_fixtures fw_${board}_compact_ran)
  endif()

  if(FW_MNIST_MODEL_SOURCE)
    add_test(NAME fw.${board}.mnist_row_vs_host
      COMMAND ${CMAKE_COMMAND} -DQEMU=${SASRNN_QEMU_ARM} -DMACHINE=${board} -DELF=${dir}/mnist_row_fw.elf
              -DOUT=${dir}/mnist_row_fw.txt -DHOST_OUT=${_fw_bin}/host_mnist_row.txt
              -DCOMPARE=$<TARGET_FILE:fw_compare> -DKIND=mnist "-DCOMPARE_ARGS=--require-bit-identical"
              -DTIMEOUT=240 -P ${_fw_scripts}/run_msi.cmake)
    set_tests_properties(fw.${board}.mnist_row_vs_host PROPERTIES
                         FIXTURES_REQUIRED "fw_${board};fw_host_ref_mnist_row"
                         FIXTURES_SETUP fw_${board}_mnist_ran LABELS "${_fw_labels}" TIMEOUT 300)
    list(APPEND elfs ${dir}/mnist_row_fw.elf ${dir}/mnist_row_count.elf)
    list(APPEND footprint_fixtures fw_${board}_mnist_ran)
  endif()
  # The feedforward MNIST app: the compact stack (135 KB) fits every board's flash (4 MiB) and
  # RAM (2 MiB) of cmake/sasrnn_boards.cmake; the output prints the ELF's flash and RAM.
  if(FW_MNIST_FF_MODEL_SOURCE)
    add_test(NAME fw.${board}.mnist_ff_vs_host
      COMMAND ${CMAKE_COMMAND} -DQEMU=${SASRNN_QEMU_ARM} -DMACHINE=${board} -DELF=${dir}/mnist_ff_fw.elf
              -DOUT=${dir}/mnist_ff_fw.txt -DHOST_OUT=${_fw_bin}/host_mnist_ff.txt
              -DCOMPARE=$<TARGET_FILE:fw_compare> -DKIND=mnist_ff "-DCOMPARE_ARGS=--require-bit-identical"
              -DSIZE=${SASRNN_ARM_SIZE} -DTIMEOUT=240 -P ${_fw_scripts}/run_msi.cmake)
    set_tests_properties(fw.${board}.mnist_ff_vs_host PROPERTIES
                         FIXTURES_REQUIRED "fw_${board};fw_host_ref_mnist_ff"
                         FIXTURES_SETUP fw_${board}_mnist_ff_ran LABELS "${_fw_labels}" TIMEOUT 300)
    list(APPEND elfs ${dir}/mnist_ff_fw.elf ${dir}/mnist_ff_count.elf)
  endif()

  add_test(NAME fw.${board}.no_allocator
    COMMAND ${CMAKE_COMMAND} -DNM=${SASRNN_ARM_NM}
            "-DELFS=${elfs}"
            -P ${_fw_scripts}/check_no_alloc.cmake)
  set_tests_properties(fw.${board}.no_allocator PROPERTIES FIXTURES_REQUIRED fw_${board}
                       LABELS "${_fw_labels}" TIMEOUT 60)

  add_test(NAME fw.${board}.footprint
    COMMAND ${CMAKE_COMMAND} -DSIZE=${SASRNN_ARM_SIZE} -DDIR=${dir} -DBOARD=${board}
            -DRAM_BYTES_FROM=${dir}/msi_fw.txt -P ${_fw_scripts}/footprint.cmake)
  set_tests_properties(fw.${board}.footprint PROPERTIES FIXTURES_REQUIRED "${footprint_fixtures}"
                       LABELS "${_fw_labels}" TIMEOUT 60)

  # SysTick runs at the board's system clock: 25 MHz on the mps2 FPGA images (40 ns), 20 MHz on
  # the an505 (50 ns); -icount shift=0 makes one instruction 1 ns of virtual time.
  set(tick_ns 40)
  if(board STREQUAL "mps2-an505")
    set(tick_ns 50)
  endif()
  add_test(NAME fw.${board}.insn_count
    COMMAND ${CMAKE_COMMAND} -DQEMU=${SASRNN_QEMU_ARM} -DMACHINE=${board} "-DELFS=${dir}/msi_count.elf;${dir}/msi_count_o3.elf"
            -DNM=${SASRNN_ARM_NM} -DPLUGIN=$<TARGET_FILE:sasrnn_insn_plugin> -DCOMPARE=$<TARGET_FILE:fw_compare>
            -DOUT_DIR=${dir} -DTIMEOUT=240 -DTICK_NS=${tick_ns} -P ${_fw_scripts}/run_count.cmake)
  set_tests_properties(fw.${board}.insn_count PROPERTIES FIXTURES_REQUIRED fw_${board}
                       FIXTURES_SETUP fw_${board}_counted LABELS "${_fw_labels}" TIMEOUT 300)
  # The outputs whose "# stack used" lines fw.${board}.stack checks (the apps that ran).
  set(stack_files "${dir}/msi_fw.txt;${dir}/msi_count.txt;${dir}/msi_count_o3.txt")
  set(stack_fixtures "fw_${board}_ran;fw_${board}_counted")
  if(FW_COMPACT_MODEL_SOURCE)
    add_test(NAME fw.${board}.insn_count_compact
      COMMAND ${CMAKE_COMMAND} -DQEMU=${SASRNN_QEMU_ARM} -DMACHINE=${board}
              "-DELFS=${dir}/msi_count_compact.elf;${dir}/msi_count_compact_o3.elf"
              -DNM=${SASRNN_ARM_NM} -DPLUGIN=$<TARGET_FILE:sasrnn_insn_plugin> -DCOMPARE=$<TARGET_FILE:fw_compare>
              -DOUT_DIR=${dir} -DOUT_NAME=insn_count_compact.txt -DTIMEOUT=240 -DTICK_NS=${tick_ns}
              -P ${_fw_scripts}/run_count.cmake)
    set_tests_properties(fw.${board}.insn_count_compact PROPERTIES FIXTURES_REQUIRED fw_${board}
                         FIXTURES_SETUP fw_${board}_compact_counted LABELS "${_fw_labels}" TIMEOUT 300)
    if(board STREQUAL "mps2-an386")
      # scripts/fw-profile: the plugin's per-address profile summed per function (and it must
      # account for every instruction the plugin counted).
      add_test(NAME fw.${board}.profile
        COMMAND ${SASRNN_PYTHON} ${PROJECT_SOURCE_DIR}/scripts/fw-profile ${dir}/msi_count_compact.elf
                --machine ${board} --plugin $<TARGET_FILE:sasrnn_insn_plugin> --top 5 --annotate spike_tile)
      set_tests_properties(fw.${board}.profile PROPERTIES FIXTURES_REQUIRED fw_${board}
        PASS_REGULAR_EXPRESSION "instructions executed.*spike_tile.*spike_tile<.sasrnn::ValueType.2>.*: [1-9][0-9]+ instructions"
        LABELS "${_fw_labels}" TIMEOUT 300)
      # a missing ELF is fw-profile's one-line error (exit 1), not a traceback
      add_test(NAME fw.${board}.profile_no_elf
        COMMAND ${SASRNN_PYTHON} ${PROJECT_SOURCE_DIR}/scripts/fw-profile ${dir}/no_such.elf
                --plugin $<TARGET_FILE:sasrnn_insn_plugin>)
      set_tests_properties(fw.${board}.profile_no_elf PROPERTIES
        PASS_REGULAR_EXPRESSION "^fw-profile: no ELF [^\n]*no_such.elf\n$" LABELS "${_fw_labels}")
    endif()
    list(APPEND stack_files ${dir}/msi_fw_compact.txt ${dir}/msi_count_compact.txt ${dir}/msi_count_compact_o3.txt)
    list(APPEND stack_fixtures fw_${board}_compact_ran fw_${board}_compact_counted)
  endif()
  if(FW_MNIST_MODEL_SOURCE)
    list(APPEND stack_files ${dir}/mnist_row_fw.txt)
    list(APPEND stack_fixtures fw_${board}_mnist_ran)
  endif()
  if(FW_MNIST_FF_MODEL_SOURCE)
    list(APPEND stack_files ${dir}/mnist_ff_fw.txt)
    list(APPEND stack_fixtures fw_${board}_mnist_ff_ran)
  endif()
  # Instructions per image of the MNIST row app, on the M4F (reported in the test output).
  if(FW_MNIST_MODEL_SOURCE AND board STREQUAL "mps2-an386")
    add_test(NAME fw.${board}.mnist_row_insn_count
      COMMAND ${CMAKE_COMMAND} -DQEMU=${SASRNN_QEMU_ARM} -DMACHINE=${board} -DELFS=${dir}/mnist_row_count.elf
              -DNM=${SASRNN_ARM_NM} -DPLUGIN=$<TARGET_FILE:sasrnn_insn_plugin> -DCOMPARE=$<TARGET_FILE:fw_compare>
              -DOUT_DIR=${dir} -DOUT_NAME=mnist_row_insn_count.txt -DUNIT=image -DTIMEOUT=240
              -DTICK_NS=${tick_ns} -P ${_fw_scripts}/run_count.cmake)
    set_tests_properties(fw.${board}.mnist_row_insn_count PROPERTIES FIXTURES_REQUIRED fw_${board}
                         FIXTURES_SETUP fw_${board}_mnist_counted LABELS "${_fw_labels}" TIMEOUT 300)
    list(APPEND stack_files ${dir}/mnist_row_count.txt)
    list(APPEND stack_fixtures fw_${board}_mnist_counted)
  endif()
  # Instructions per image of the feedforward MNIST app, on the M4F (reported in the test output).
  if(FW_MNIST_FF_MODEL_SOURCE AND board STREQUAL "mps2-an386")
    add_test(NAME fw.${board}.mnist_ff_insn_count
      COMMAND ${CMAKE_COMMAND} -DQEMU=${SASRNN_QEMU_ARM} -DMACHINE=${board} -DELFS=${dir}/mnist_ff_count.elf
              -DNM=${SASRNN_ARM_NM} -DPLUGIN=$<TARGET_FILE:sasrnn_insn_plugin> -DCOMPARE=$<TARGET_FILE:fw_compare>
              -DOUT_DIR=${dir} -DOUT_NAME=mnist_ff_insn_count.txt -DUNIT=image
              "-DWHAT=image (x = pixels / 255, one inference through the 3 layers, decision)" -DTIMEOUT=240
              -DTICK_NS=${tick_ns} -P ${_fw_scripts}/run_count.cmake)
    set_tests_properties(fw.${board}.mnist_ff_insn_count PROPERTIES FIXTURES_REQUIRED fw_${board}
                         FIXTURES_SETUP fw_${board}_mnist_ff_counted LABELS "${_fw_labels}" TIMEOUT 300)
    list(APPEND stack_files ${dir}/mnist_ff_count.txt)
    list(APPEND stack_fixtures fw_${board}_mnist_ff_counted)
  endif()
  # The stack bound: the high-water marks printed by the runs above (every app, every mode; a
  # painted stack) plus a 1 KiB margin must fit the linker script's stack (cmake/sasrnn_mps2.ld).
  add_test(NAME fw.${board}.stack
    COMMAND ${CMAKE_COMMAND} -DBOARD=${board} "-DFILES=${stack_files}" -DMARGIN=1024
            -P ${_fw_scripts}/check_stack.cmake)
  set_tests_properties(fw.${board}.stack PROPERTIES FIXTURES_REQUIRED "fw_${board};${stack_fixtures}"
                       LABELS "${_fw_labels}" TIMEOUT 60)
endforeach()
