// Cortex-M side of platform.hpp: picolibc's semihosting stdio (SYS_WRITE via the debugger
// channel QEMU provides) and SysTick. Exit codes travel back through picolibc's exit()
// (semihosting SYS_EXIT), so `return` from main() is the QEMU process's exit status.
#include <cstdio>

#include "platform.hpp"

namespace {
// SysTick registers (ARMv7-M / ARMv8-M architecture reference, B3.3).
volatile uint32_t& syst_csr() { return *reinterpret_cast<volatile uint32_t*>(0xE000E010u); }
volatile uint32_t& syst_rvr() { return *reinterpret_cast<volatile uint32_t*>(0xE000E014u); }
volatile uint32_t& syst_cvr() { return *reinterpret_cast<volatile uint32_t*>(0xE000E018u); }
}  // namespace

namespace fw {

void write(const char* s, size_t n) { std::fwrite(s, 1, n, stdout); }

void ticks_start() {
  syst_csr() = 0;
  syst_rvr() = 0x00FFFFFFu;
  syst_cvr() = 0;
  syst_csr() = 5u;  // enable, processor clock, no interrupt
}

uint32_t ticks() { return (0x00FFFFFFu - syst_cvr()) & 0x00FFFFFFu; }

}  // namespace fw
