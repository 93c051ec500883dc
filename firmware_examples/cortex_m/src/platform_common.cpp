// Output and instruction-count marks shared by every platform (platform.hpp).
#include <cstdarg>
#include <cstdio>

#include "platform.hpp"

namespace {
uint32_t g_marks = 0;
}

extern "C" __attribute__((noinline, used)) void sasrnn_fw_mark(void) {
  __asm__ volatile("" ::: "memory");  // a real call, never folded away
}

namespace fw {

void print(const char* fmt, ...) {
  char line[256];
  va_list args;
  va_start(args, fmt);
  const int n = std::vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  if (n > 0)
    write(line, static_cast<size_t>(n) < sizeof line ? static_cast<size_t>(n) : sizeof line - 1);
}

uint32_t mark() {
  sasrnn_fw_mark();
  return g_marks++;
}

void calibrate_spans() {
  ticks_start();
  for (int c = 0; c < 4; ++c) {
    const uint32_t t0 = ticks();
    mark();
    mark();
    const uint32_t t1 = ticks();
    print("span calibration %d ticks %lu\n", c, static_cast<unsigned long>((t1 - t0) & 0xFFFFFFu));
  }
}

void print_stack_used(const char* what) {
  const size_t used = stack_used();  // before print()'s own frame touches the stack
  print("# stack used %s: %lu of %lu bytes (depth at the call %lu)\n", what, static_cast<unsigned long>(used),
        static_cast<unsigned long>(stack_size()), static_cast<unsigned long>(stack_depth()));
}

}  // namespace fw
