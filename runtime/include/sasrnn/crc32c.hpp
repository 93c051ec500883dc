// CRC-32C (Castagnoli; reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF, as
// iSCSI, ext4 and SSE4.2's crc32 instruction compute it): the content checksum of a model file
// (docs/model-format.md, "Checksum"). No heap; a 1 KB table computed at compile time, or SSE4.2's
// instruction where the compiler may use it (the same values).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE4_2__) && !defined(SASRNN_NO_SIMD)
#include <nmmintrin.h>
#endif

namespace sasrnn::crc32c {

constexpr uint32_t kPolynomial = 0x82F63B78u;  // 0x1EDC6F41 bit-reversed

struct Table {
  uint32_t v[256];
};

constexpr Table make_table() {
  Table t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? (c >> 1) ^ kPolynomial : c >> 1;
    t.v[b] = c;
  }
  return t;
}

/// The table of the byte-at-a-time loop (in flash on a microcontroller).
inline constexpr Table kTable = make_table();

/// Continues a CRC over `n` more bytes: `state` is ~crc (start with 0xFFFFFFFF; finish with ~).
inline uint32_t extend(uint32_t state, const uint8_t* p, size_t n) {
#if defined(__SSE4_2__) && !defined(SASRNN_NO_SIMD)
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    state = static_cast<uint32_t>(_mm_crc32_u64(state, w));
  }
  for (; n > 0; --n, ++p) state = _mm_crc32_u8(state, *p);
#else
  for (; n > 0; --n, ++p) state = kTable.v[(state ^ *p) & 0xFFu] ^ (state >> 8);
#endif
  return state;
}

/// CRC-32C of [p, p + n) ("123456789" gives 0xE3069283).
inline uint32_t compute(const uint8_t* p, size_t n) { return ~extend(0xFFFFFFFFu, p, n); }

}  // namespace sasrnn::crc32c
