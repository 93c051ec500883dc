# CMake toolchain file: Debian's arm-none-eabi GCC with picolibc, for the QEMU mps2 boards.
#   cmake -S firmware_examples/cortex_m -B build-fw --toolchain cmake/arm-none-eabi.cmake \
#         -DSASRNN_BOARD=mps2-an386
# Compiles with picolibc.specs, -fno-exceptions -fno-rtti, one section per function/object and
# -ffp-contract=off (bit-identity with the host, docs/rng-and-bit-identity.md). Links with gcc, not g++
# (no libstdc++), picolibc's semihosting crt0 and linker script (through sasrnn_mps2.ld, for an
# 8 KiB stack), and section garbage collection.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SASRNN_BOARD)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

if(NOT SASRNN_BOARD)
  set(SASRNN_BOARD mps2-an386 CACHE STRING "QEMU board: mps2-an385, mps2-an386, mps2-an500, mps2-an505")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/sasrnn_boards.cmake)
sasrnn_board_info(${SASRNN_BOARD} _sasrnn_board)
list(JOIN _sasrnn_board_CPU_FLAGS " " _sasrnn_cpu)

set(_sasrnn_common "${_sasrnn_cpu} --specs=picolibc.specs -ffunction-sections -fdata-sections -ffp-contract=off -fno-math-errno")
set(CMAKE_C_FLAGS_INIT "${_sasrnn_common}")
set(CMAKE_CXX_FLAGS_INIT "${_sasrnn_common} -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit")
set(CMAKE_EXE_LINKER_FLAGS_INIT
  "${_sasrnn_cpu} --specs=picolibc.specs --oslib=semihost --crt0=semihost -T${CMAKE_CURRENT_LIST_DIR}/sasrnn_mps2.ld -Wl,--gc-sections -Wl,--defsym=__flash=${_sasrnn_board_FLASH},--defsym=__flash_size=${_sasrnn_board_FLASH_SIZE},--defsym=__ram=${_sasrnn_board_RAM},--defsym=__ram_size=${_sasrnn_board_RAM_SIZE}")
# Link C++ programs with the C driver (the linker flags carry the CPU flags and specs): g++
# would add -lstdc++ (and with it an allocator).
set(CMAKE_CXX_LINK_EXECUTABLE "<CMAKE_C_COMPILER> <CMAKE_CXX_LINK_FLAGS> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES> -lm")
