// Cortex-M side of platform.hpp: picolibc's semihosting stdio (SYS_WRITE via the debugger
// channel QEMU provides) and SysTick. Exit codes travel back through picolibc's exit()
// (semihosting SYS_EXIT), so `return` from main() is the QEMU process's exit status.
#include <cstdio>

#include "platform.hpp"

// The linker script (cmake/sasrnn_mps2.ld): the stack is [__heap_end, __stack), 8 KiB.
extern "C" char __stack[];
extern "C" char __heap_end[];

namespace {
constexpr uint32_t kPaint = 0xA5A5A5A5u;

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

void stack_paint() {
  char* sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  for (uint32_t* p = reinterpret_cast<uint32_t*>(__heap_end);
       reinterpret_cast<char*>(p + 1) < sp - 64; ++p)
    *p = kPaint;
}

size_t stack_used() {
  const uint32_t* p = reinterpret_cast<const uint32_t*>(__heap_end);
  while (reinterpret_cast<const char*>(p) < __stack && *p == kPaint) ++p;
  return static_cast<size_t>(__stack - reinterpret_cast<const char*>(p));
}

size_t stack_size() { return static_cast<size_t>(__stack - __heap_end); }

size_t stack_depth() {
  char* sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  return static_cast<size_t>(__stack - sp);
}

}  // namespace fw
