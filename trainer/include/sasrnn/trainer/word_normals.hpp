// The fast path of the trainer's quenched-noise normals (msi_batch.hpp, fill_normals()): one
// ziggurat attempt per 32-bit word with the runtime's tables (rng.hpp) -- layer from bits 0-6,
// sign from bit 7, a 24-bit magnitude from bits 8-31 -- for 8 words at once. The ~2.8 % of
// attempts outside their layer's rectangle are not finished here: the caller finishes them
// exactly as the scalar ziggurat does. And 8 Philox blocks whose counters differ in index and
// trial (philox8_pairs), which the runtime's philox8() (one trial) does not cover: the blocks
// left over when a column's count is not a multiple of 8, and the spare blocks of rejected
// attempts, gathered over trials. Two backends, bit for bit the same numbers:
//   word_normals.hpp        (this file) the plain loop, and the one place a backend is chosen
//   word_normals_avx2.hpp   AVX2 gathers: x86-64 hosts
#pragma once

#include <cstdint>

#include "sasrnn/kernels/rng_batch.hpp"
#include "sasrnn/rng.hpp"

namespace sasrnn::train::word_normals {

/// The attempt of one word: x (signed) and whether the ziggurat accepts it.
inline bool first_attempt(uint32_t w, float& x) {
  const detail::ZigguratTables& z = detail::kZiggurat;
  const uint32_t layer = w & 127u;
  const uint32_t mag = (w >> 8) << 7;  // 31-bit magnitude, 24 random bits
  const float a = static_cast<float>(mag) * z.w[layer];
  x = (w & 128u) != 0 ? -a : a;
  return mag < z.k[layer];
}

namespace portable {
/// x[l] = the attempt of w[l], l = 0..7; bit l of the result is set when it was accepted.
inline unsigned first_attempts8(const uint32_t* w, float* x) {
  unsigned accepted = 0;
  for (int l = 0; l < 8; ++l)
    if (first_attempt(w[l], x[l])) accepted |= 1u << l;
  return accepted;
}

/// Lane l (l < n) of b = random_block(key, Counter{index[l], step, trial[l], stream}).
inline void philox8_pairs(const uint32_t* index, uint32_t step, const uint32_t* trial, uint32_t stream,
                          uint64_t key, kernel::Blocks8& b, int n) {
  for (int l = 0; l < n; ++l) {
    const Block k = random_block(key, Counter{index[l], step, trial[l], stream});
    for (int w = 0; w < 4; ++w) b.w[w][l] = k.w[w];
  }
}
}  // namespace portable

}  // namespace sasrnn::train::word_normals

#if defined(__AVX2__) && !defined(SASRNN_NO_SIMD)
#include "sasrnn/trainer/word_normals_avx2.hpp"
namespace sasrnn::train::word_normals {
using avx2::first_attempts8;
using avx2::philox8_pairs;
}
#else
namespace sasrnn::train::word_normals {
using portable::first_attempts8;
using portable::philox8_pairs;
}
#endif
