// Random words in batches: Philox4x32-10 of 8 counters at once and the normals of such a batch,
// word for word the numbers of rng.hpp's random_block() and normal(). The parts here are the same
// for every backend; each backend (kernels/portable.hpp, kernels/avx2.hpp) provides philox8(), the
// 8 blocks themselves, and kernels.hpp builds normals() and draw_row() on the selected one.
#pragma once

#include <cmath>
#include <cstdint>

#include "sasrnn/kernels/order.hpp"
#include "sasrnn/rng.hpp"

namespace sasrnn::kernel {

/// Words of 8 Philox blocks: w[k][l] is word k of the block of lane l.
struct Blocks8 {
  alignas(32) uint32_t w[4][8];
};

/// Philox4x32-10 of the counters (index[l], c1, c2, c3), l = 0..n-1 (n <= 8), key = seed, one
/// block after the other: random_block(seed, Counter{index[l], c1, c2, c3}) word for word. Lanes
/// l >= n are left as they were.
inline void philox8_lanes(const uint32_t* index, uint32_t c1, uint32_t c2, uint32_t c3,
                          uint64_t seed, Blocks8& out, int n) {
  const uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int l = 0; l < n && l < 8; ++l) {
    const Block b = philox4x32_10(index[l], c1, c2, c3, k0, k1);
    for (int k = 0; k < 4; ++k) out.w[k][l] = b.w[k];
  }
}

/// The normal of normal_from_block() for lane l of a batch: the ziggurat's first attempt inline
/// (accepted about 98.8 % of the time), the rest of normal_from_block() otherwise.
inline float normal_of_lane(uint64_t seed, const Counter& c, const Blocks8& b, int l) {
  const detail::ZigguratTables& z = detail::kZiggurat;
  const uint32_t w1 = b.w[1][l];
  const uint32_t mag = w1 >> 1;
  const uint32_t layer = b.w[2][l] & 127u;
  if (mag < z.k[layer]) {
    const float x = static_cast<float>(mag) * z.w[layer];
    return (w1 & 1u) != 0 ? -x : x;
  }
  return normal_from_block(seed, c, Block{{b.w[0][l], w1, b.w[2][l], b.w[3][l]}});
}

/// out[i] = normal(seed, Counter{i, step, trial, stream}) for i in [0, count), with the 8 blocks
/// of a batch from `philox8` (a backend's philox8()).
template <class Philox8>
inline void normals_with(Philox8&& philox8, uint64_t seed, uint32_t step, uint32_t trial,
                         uint32_t stream, int count, float* out) {
  Blocks8 b;
  uint32_t index[8];
  for (int i0 = 0; i0 < count; i0 += 8) {
    for (int l = 0; l < 8; ++l) index[l] = static_cast<uint32_t>(i0 + l);
    philox8(index, step, trial, stream, seed, b, count - i0 < 8 ? count - i0 : 8);
    for (int l = 0; l < 8 && i0 + l < count; ++l)
      out[i0 + l] = normal_of_lane(seed, Counter{index[l], step, trial, stream}, b, l);
  }
}

/// A concrete row (paper eq. 3) for a trial cache: w[j] = sas_sample(seed, Counter{first + j,
/// step, trial, stream}, pi_j, m_j, sqrt(xi_j)) for every column, the spike as 0, the 8 blocks of
/// a batch from `philox8`: the weights a backend's sampled_row() draws.
template <class Philox8>
inline void draw_row_with(Philox8&& philox8, int cols, const float* pi, const float* m,
                          const float* xi, uint32_t first, uint32_t step, uint32_t trial,
                          uint32_t stream, uint64_t seed, float* w) {
  Blocks8 b;
  uint32_t index[8];
  for (int j0 = 0; j0 < cols; j0 += 8) {
    const int n = cols - j0 < 8 ? cols - j0 : 8;
    for (int l = 0; l < 8; ++l) index[l] = first + static_cast<uint32_t>(j0 + l);
    philox8(index, step, trial, stream, seed, b, n);
    for (int l = 0; l < n; ++l) {
      const int j = j0 + l;
      float wj = 0.0f;  // the spike
      if (!(uniform01(b.w[0][l]) < pi[j])) {
        wj = m[j];
        if (xi[j] != 0.0f)  // sqrt(xi) == 0 exactly when xi == 0
          wj = wj + std::sqrt(xi[j]) *
                        normal_of_lane(seed, Counter{index[l], step, trial, stream}, b, l);
      }
      w[j] = wj;
    }
  }
}

}  // namespace sasrnn::kernel
