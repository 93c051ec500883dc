// Output helpers shared by the example apps (msi_app.cpp, mnist_app.cpp), on the boards and on
// the host: floats printed as bit patterns ("x:3f800000", so that host and target output can be
// compared exactly) and an FNV-1a hash over the bit patterns of a whole state trajectory.
// Integer arithmetic only: no float printf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "platform.hpp"

namespace fw {

inline uint32_t bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

/// FNV-1a over the bit patterns of a whole trajectory: equal hashes <=> (practically) every
/// h_i(t) equal bit for bit.
struct Fnv {
  uint32_t h = 2166136261u;
  void add(float v) {
    uint32_t b = bits(v);
    for (int k = 0; k < 4; ++k) {
      h ^= b & 0xFFu;
      h *= 16777619u;
      b >>= 8;
    }
  }
};

/// Prints floats as "x:XXXXXXXX" tokens, several per output call. One line at a time: the
/// buffer is shared (static), to keep the app's stack small.
class HexLine {
 public:
  explicit HexLine(const char* head) { print("%s", head); }
  void add(float v) {
    if (used_ + 12 > sizeof buf_) flush();
    std::memcpy(buf_ + used_, " x:", 3);
    static const char kDigits[] = "0123456789abcdef";
    const uint32_t b = bits(v);
    for (int k = 0; k < 8; ++k)
      buf_[used_ + 3 + static_cast<size_t>(k)] = kDigits[(b >> (28 - 4 * k)) & 15u];
    used_ += 11;
  }
  void end() {
    if (used_ + 1 > sizeof buf_) flush();
    buf_[used_++] = '\n';
    flush();
  }

 private:
  void flush() {
    write(buf_, used_);
    used_ = 0;
  }
  static inline char buf_[240];
  size_t used_ = 0;
};

}  // namespace fw
