// The few things the example apps need from where they run: text output, instruction-count
// marks and a tick counter. platform_semihost.cpp implements them on the Cortex-M boards
// (semihosting, SysTick), platform_host.cpp on the host (stdout, no marks).
#pragma once

#include <cstddef>
#include <cstdint>

namespace fw {

/// Writes n bytes to the standard output.
void write(const char* s, size_t n);

/// printf-style output of one line or part of one (at most 255 characters per call).
void print(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/// An instruction-count mark: calls the extern "C" function sasrnn_fw_mark, at whose entry the
/// QEMU plugin (tools/insn_plugin.cpp) reports its running instruction count. Returns the
/// number of marks made before this one.
uint32_t mark();

/// SysTick value counted up since fw::ticks_start() (wraps at 2^24); 0 on the host. Used with
/// QEMU -icount, where the virtual clock advances 2^shift ns per instruction.
uint32_t ticks();
void ticks_start();

/// Starts the tick counter and prints four "span calibration" lines: the ticks and (for the QEMU
/// plugin) the instructions of an empty span between two marks, which the count tools subtract.
void calibrate_spans();

/// One span: f() between two marks, then its line "span <label> <index> ticks <T>", which the
/// count tools pair with the plugin's marks (as the apps' own step spans).
template <class F>
void span(const char* label, unsigned long index, F&& f) {
  const uint32_t t0 = ticks();
  mark();
  f();
  mark();
  const uint32_t t1 = ticks();
  print("span %s %lu ticks %lu\n", label, index, static_cast<unsigned long>((t1 - t0) & 0xFFFFFFu));
}

/// Stack use: stack_paint() fills the unused stack with a pattern, stack_used() returns the
/// deepest use since then in bytes (0 on the host) and stack_size() the reserved stack.
/// stack_depth() is the stack in use at its call (the caller's frames; 0 on the host).
/// fw.<board>.stack (scripts/check_stack.cmake) checks every printed "# stack used" line.
void stack_paint();
size_t stack_used();
size_t stack_size();
size_t stack_depth();
/// Prints "# stack used <what>: <stack_used()> of <stack_size()> bytes (depth at the call <stack_depth()>)".
void print_stack_used(const char* what);

}  // namespace fw
