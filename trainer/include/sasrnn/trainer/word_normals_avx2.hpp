// AVX2 backend of word_normals.hpp: the ziggurat's first attempt of 8 words in registers (two
// table gathers), word for word the numbers of word_normals::first_attempt(); 8 Philox blocks of
// per-lane index and trial with the runtime's vector Philox (kernels/avx2.hpp).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "sasrnn/kernels/avx2.hpp"
#include "sasrnn/rng.hpp"

namespace sasrnn::train::word_normals::avx2 {

inline unsigned first_attempts8(const uint32_t* w, float* x) {
  const detail::ZigguratTables& z = detail::kZiggurat;
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
  const __m256i layer = _mm256_and_si256(v, _mm256_set1_epi32(127));
  const __m256i mag = _mm256_slli_epi32(_mm256_srli_epi32(v, 8), 7);  // < 2^31
  const __m256i k = _mm256_i32gather_epi32(reinterpret_cast<const int*>(z.k), layer, 4);
  const __m256 scale = _mm256_i32gather_ps(z.w, layer, 4);
  // mag and every k[layer] are below 2^31: the signed comparison is the unsigned one
  const __m256i accept = _mm256_cmpgt_epi32(k, mag);
  // cvtepi32 is static_cast<float> of these non-negative values (round to nearest); bit 7 of
  // the word moved to bit 31 flips the sign, as the scalar -a does
  const __m256i sign = _mm256_and_si256(_mm256_slli_epi32(v, 24), _mm256_set1_epi32(INT32_MIN));
  const __m256 a = _mm256_mul_ps(_mm256_cvtepi32_ps(mag), scale);
  _mm256_storeu_ps(x, _mm256_xor_ps(a, _mm256_castsi256_ps(sign)));
  return static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(accept)));
}

/// All 8 lanes are computed (at the price of one); lanes from n on hold blocks no one reads.
inline void philox8_pairs(const uint32_t* index, uint32_t step, const uint32_t* trial, uint32_t stream,
                          uint64_t key, kernel::Blocks8& b, int /*n*/) {
  __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(index));
  __m256i x1 = _mm256_set1_epi32(static_cast<int>(step));
  __m256i x2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(trial));
  __m256i x3 = _mm256_set1_epi32(static_cast<int>(stream));
  kernel::avx2::philox8_regs(x0, x1, x2, x3, key);
  _mm256_store_si256(reinterpret_cast<__m256i*>(b.w[0]), x0);
  _mm256_store_si256(reinterpret_cast<__m256i*>(b.w[1]), x1);
  _mm256_store_si256(reinterpret_cast<__m256i*>(b.w[2]), x2);
  _mm256_store_si256(reinterpret_cast<__m256i*>(b.w[3]), x3);
}

}  // namespace sasrnn::train::word_normals::avx2
