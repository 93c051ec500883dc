// Host side of platform.hpp: stdout, no instruction counter.
#include <cstdio>

#include "platform.hpp"

namespace fw {

void write(const char* s, size_t n) { std::fwrite(s, 1, n, stdout); }
void ticks_start() {}
uint32_t ticks() { return 0; }

}  // namespace fw
