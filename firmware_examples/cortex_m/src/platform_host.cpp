// Host side of platform.hpp: stdout, no instruction counter.
#include <cstdio>

#include "platform.hpp"

namespace fw {

void write(const char* s, size_t n) { std::fwrite(s, 1, n, stdout); }
void ticks_start() {}
uint32_t ticks() { return 0; }
void stack_paint() {}
size_t stack_used() { return 0; }
size_t stack_size() { return 0; }
size_t stack_depth() { return 0; }

}  // namespace fw
