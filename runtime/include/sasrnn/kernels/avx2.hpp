// The AVX2 backend of the row kernels (x86-64 hosts): 8 columns per vector register, lane l of a
// register is lane l of kernels/order.hpp, so the sums are bit for bit those of the portable
// loops (kernels/portable.hpp). kernels.hpp selects it when the compiler targets AVX2 and
// SASRNN_NO_SIMD is not defined. A silent unit's term is +-0 and leaves its lane unchanged, so
// the dense kernels need not skip it; the last partial chunk of a row is read masked (zeros past
// the row end).
#pragma once

#if !defined(__AVX2__)
#error "kernels/avx2.hpp needs a compiler targeting AVX2 (kernels.hpp includes it only then)"
#endif

#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "sasrnn/kernels/order.hpp"
#include "sasrnn/kernels/rng_batch.hpp"
#include "sasrnn/rng.hpp"

namespace sasrnn::kernel::avx2 {

/// The name of the backend (bench --json, test properties).
constexpr bool kSimd = true;
constexpr const char* kName = "avx2";

/// Lanes 0..r-1 set, for _mm256_maskload_ps (masked-out lanes are neither read nor faulted).
inline __m256i tail_mask(int r) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(r), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// The 8 lane sums of a register combined by the fixed tree (Lanes::total).
inline float lane_total(__m256 lanes) {
  Lanes<float> acc;
  _mm256_storeu_ps(acc.a, lanes);
  return acc.total();
}

// ---------------------------------------------------------------------------------------------
// Deterministic rows: one pass over the hyperparameters of a row, read in place.
// ---------------------------------------------------------------------------------------------

template <int R>
inline void mean_rows(int cols, const float* pi, const float* m, const float* v, float* out) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 s[R];
  for (int r = 0; r < R; ++r) s[r] = _mm256_setzero_ps();
  auto chunk = [&](int r, __m256 p, __m256 mm, __m256 vv) {
    s[r] = _mm256_add_ps(s[r], _mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(one, p), mm), vv));
  };
  int j = 0;
  for (; j + kLanes <= cols; j += kLanes) {
    const __m256 vv = _mm256_loadu_ps(v + j);
    for (int r = 0; r < R; ++r)
      chunk(r, _mm256_loadu_ps(pi + r * cols + j), _mm256_loadu_ps(m + r * cols + j), vv);
  }
  if (cols % kLanes != 0) {
    const __m256i k = tail_mask(cols % kLanes);
    const __m256 vv = _mm256_maskload_ps(v + j, k);
    for (int r = 0; r < R; ++r)
      chunk(r, _mm256_maskload_ps(pi + r * cols + j, k), _mm256_maskload_ps(m + r * cols + j, k), vv);
  }
  for (int r = 0; r < R; ++r) out[r] = lane_total(s[r]);
}

template <int R>
inline void moment_rows(int cols, const float* pi, const float* m, const float* xi, const float* v,
                        const float* v2, float* g, float* d2) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 sg[R], sd[R];
  for (int r = 0; r < R; ++r) sg[r] = sd[r] = _mm256_setzero_ps();
  auto chunk = [&](int r, __m256 p, __m256 mm, __m256 x, __m256 vv, __m256 vv2) {
    const __m256 q = _mm256_sub_ps(one, p);
    const __m256 var = _mm256_mul_ps(q, _mm256_add_ps(x, _mm256_mul_ps(_mm256_mul_ps(p, mm), mm)));
    sg[r] = _mm256_add_ps(sg[r], _mm256_mul_ps(_mm256_mul_ps(q, mm), vv));
    sd[r] = _mm256_add_ps(sd[r], _mm256_mul_ps(var, vv2));
  };
  int j = 0;
  for (; j + kLanes <= cols; j += kLanes) {
    const __m256 vv = _mm256_loadu_ps(v + j), vv2 = _mm256_loadu_ps(v2 + j);
    for (int r = 0; r < R; ++r)
      chunk(r, _mm256_loadu_ps(pi + r * cols + j), _mm256_loadu_ps(m + r * cols + j),
            _mm256_loadu_ps(xi + r * cols + j), vv, vv2);
  }
  if (cols % kLanes != 0) {
    const __m256i k = tail_mask(cols % kLanes);
    const __m256 vv = _mm256_maskload_ps(v + j, k), vv2 = _mm256_maskload_ps(v2 + j, k);
    for (int r = 0; r < R; ++r)
      chunk(r, _mm256_maskload_ps(pi + r * cols + j, k), _mm256_maskload_ps(m + r * cols + j, k),
            _mm256_maskload_ps(xi + r * cols + j, k), vv, vv2);
  }
  for (int r = 0; r < R; ++r) {
    g[r] = lane_total(sg[r]);
    d2[r] = lane_total(sd[r]);
  }
}

template <int R>
inline void mean_rows_precomputed(int cols, const float* mu, const float* v, float* out) {
  __m256 s[R];
  for (int r = 0; r < R; ++r) s[r] = _mm256_setzero_ps();
  int j = 0;
  for (; j + kLanes <= cols; j += kLanes) {
    const __m256 vv = _mm256_loadu_ps(v + j);
    for (int r = 0; r < R; ++r)
      s[r] = _mm256_add_ps(s[r], _mm256_mul_ps(_mm256_loadu_ps(mu + r * cols + j), vv));
  }
  if (cols % kLanes != 0) {
    const __m256i k = tail_mask(cols % kLanes);
    const __m256 vv = _mm256_maskload_ps(v + j, k);
    for (int r = 0; r < R; ++r)
      s[r] = _mm256_add_ps(s[r], _mm256_mul_ps(_mm256_maskload_ps(mu + r * cols + j, k), vv));
  }
  for (int r = 0; r < R; ++r) out[r] = lane_total(s[r]);
}

template <int R>
inline void moment_rows_precomputed(int cols, const float* mu, const float* var, const float* v,
                                    const float* v2, float* g, float* d2) {
  __m256 sg[R], sd[R];
  for (int r = 0; r < R; ++r) sg[r] = sd[r] = _mm256_setzero_ps();
  int j = 0;
  for (; j + kLanes <= cols; j += kLanes) {
    const __m256 vv = _mm256_loadu_ps(v + j), vv2 = _mm256_loadu_ps(v2 + j);
    for (int r = 0; r < R; ++r) {
      sg[r] = _mm256_add_ps(sg[r], _mm256_mul_ps(_mm256_loadu_ps(mu + r * cols + j), vv));
      sd[r] = _mm256_add_ps(sd[r], _mm256_mul_ps(_mm256_loadu_ps(var + r * cols + j), vv2));
    }
  }
  if (cols % kLanes != 0) {
    const __m256i k = tail_mask(cols % kLanes);
    const __m256 vv = _mm256_maskload_ps(v + j, k), vv2 = _mm256_maskload_ps(v2 + j, k);
    for (int r = 0; r < R; ++r) {
      sg[r] = _mm256_add_ps(sg[r], _mm256_mul_ps(_mm256_maskload_ps(mu + r * cols + j, k), vv));
      sd[r] = _mm256_add_ps(sd[r], _mm256_mul_ps(_mm256_maskload_ps(var + r * cols + j, k), vv2));
    }
  }
  for (int r = 0; r < R; ++r) {
    g[r] = lane_total(sg[r]);
    d2[r] = lane_total(sd[r]);
  }
}

// ---------------------------------------------------------------------------------------------
// The moment cache's columns (network.hpp, use_moment_cache()): mu and var stored column by
// column, 8 rows per vector. Lane l of the contract becomes a register per 8 rows that runs over
// the active units of lane l in increasing j (Active::fill_by_lane()); the lanes are then combined
// by the fixed tree, 8 rows at a time. Silent units are skipped (their terms are +-0).
// ---------------------------------------------------------------------------------------------

/// The sums of lane l (and the tree's partial sums) of 8 V rows: g, and d when Var.
template <int V, bool Var>
struct ColSums {
  __m256 g[V], d[V];
};

/// The V * 8 rows' sums of lane l.
template <int V, bool Var, int Cap>
SASRNN_ALWAYS_INLINE ColSums<V, Var> lane_cols(int l, int stride, const float* mu,
                                               const float* var, const Active<Cap>& a,
                                               const float* v2) {
  ColSums<V, Var> s;
  for (int q = 0; q < V; ++q) s.g[q] = s.d[q] = _mm256_setzero_ps();
  for (int k = a.lane_begin[l]; k < a.lane_begin[l + 1]; ++k) {
    const int j = a.index[k];
    const ptrdiff_t o = static_cast<ptrdiff_t>(j) * stride;
    const __m256 vv = _mm256_set1_ps(a.value[k]);
    for (int q = 0; q < V; ++q) s.g[q] = _mm256_add_ps(s.g[q], _mm256_mul_ps(_mm256_loadu_ps(mu + o + 8 * q), vv));
    if constexpr (Var) {
      const __m256 vv2 = _mm256_set1_ps(v2[j]);
      for (int q = 0; q < V; ++q)
        s.d[q] = _mm256_add_ps(s.d[q], _mm256_mul_ps(_mm256_loadu_ps(var + o + 8 * q), vv2));
    }
  }
  return s;
}

template <int V, bool Var>
SASRNN_ALWAYS_INLINE ColSums<V, Var> add_sums(const ColSums<V, Var>& x, const ColSums<V, Var>& y) {
  ColSums<V, Var> s;
  for (int q = 0; q < V; ++q) {
    s.g[q] = _mm256_add_ps(x.g[q], y.g[q]);
    s.d[q] = Var ? _mm256_add_ps(x.d[q], y.d[q]) : x.d[q];
  }
  return s;
}

/// g[0..8V) (and d2 when Var) of the rows at mu (var): the 8 lanes combined by the fixed tree
/// ((0+4)+(2+6)) + ((1+5)+(3+7)), its left half parked in g and d2 meanwhile (fewer registers).
template <int V, bool Var, int Cap>
SASRNN_ALWAYS_INLINE void cols_tree(int stride, const float* mu, const float* var,
                                    const Active<Cap>& a, const float* v2, float* g, float* d2) {
  auto lane = [&](int l) { return lane_cols<V, Var>(l, stride, mu, var, a, v2); };
  ColSums<V, Var> t = add_sums(lane(0), lane(4));
  t = add_sums(t, add_sums(lane(2), lane(6)));
  for (int q = 0; q < V; ++q) {
    _mm256_storeu_ps(g + 8 * q, t.g[q]);
    if constexpr (Var) _mm256_storeu_ps(d2 + 8 * q, t.d[q]);
  }
  ColSums<V, Var> u = add_sums(lane(1), lane(5));
  u = add_sums(u, add_sums(lane(3), lane(7)));
  for (int q = 0; q < V; ++q) {
    _mm256_storeu_ps(g + 8 * q, _mm256_add_ps(_mm256_loadu_ps(g + 8 * q), u.g[q]));
    if constexpr (Var) _mm256_storeu_ps(d2 + 8 * q, _mm256_add_ps(_mm256_loadu_ps(d2 + 8 * q), u.d[q]));
  }
}

/// 8 V rows (V = 1..4); g and d2 two vectors at a time (their sums fill the registers).
template <int V, int Cap>
inline void moment_cols(int stride, const float* mu, const float* var, const Active<Cap>& a,
                        const float* v2, float* g, float* d2) {
  static_assert(V >= 1 && V <= 4, "blocks of up to 32 rows");
  if constexpr (V > 2) {
    cols_tree<2, true>(stride, mu, var, a, v2, g, d2);
    cols_tree<V - 2, true>(stride, mu + 16, var + 16, a, v2, g + 16, d2 + 16);
  } else {
    cols_tree<V, true>(stride, mu, var, a, v2, g, d2);
  }
}

template <int V, int Cap>
inline void mean_cols(int stride, const float* mu, const Active<Cap>& a, float* out) {
  static_assert(V >= 1 && V <= 4, "blocks of up to 32 rows");
  cols_tree<V, false>(stride, mu, nullptr, a, nullptr, out, nullptr);
}

// ---------------------------------------------------------------------------------------------
// Philox4x32-10 of 8 counters in vector registers.
// ---------------------------------------------------------------------------------------------

/// Philox4x32-10 of 8 counters (x0[l], c1, c2, c3) in AVX2 registers; x0..x3 become the words.
SASRNN_ALWAYS_INLINE void philox8_regs(__m256i& x0, __m256i& x1, __m256i& x2, __m256i& x3, uint64_t seed) {
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(detail::kPhiloxM0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(detail::kPhiloxM1));
  for (int round = 0; round < 10; ++round) {
    // 32x32 -> 64 products: even lanes directly, odd lanes shifted down; high halves blended.
    // (Blending the low halves from the same products instead of _mm256_mullo_epi32 measured
    // 6 % slower in SampledPerStep on the 2-core EPYC VM: more instructions, the same chain.)
    const __m256i pe0 = _mm256_mul_epu32(x0, m0);
    const __m256i po0 = _mm256_mul_epu32(_mm256_srli_epi64(x0, 32), m0);
    const __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(pe0, 32), po0, 0xAA);
    const __m256i lo0 = _mm256_mullo_epi32(x0, m0);
    const __m256i pe1 = _mm256_mul_epu32(x2, m1);
    const __m256i po1 = _mm256_mul_epu32(_mm256_srli_epi64(x2, 32), m1);
    const __m256i hi1 = _mm256_blend_epi32(_mm256_srli_epi64(pe1, 32), po1, 0xAA);
    const __m256i lo1 = _mm256_mullo_epi32(x2, m1);
    x0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), _mm256_set1_epi32(static_cast<int>(k0)));
    x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32(static_cast<int>(k1)));
    x1 = lo1;
    x3 = lo0;
    k0 += detail::kPhiloxW0;
    k1 += detail::kPhiloxW1;
  }
}

/// All 8 lanes are computed (at the price of one); `n` is not needed.
inline void philox8(const uint32_t* index, uint32_t c1, uint32_t c2, uint32_t c3, uint64_t seed,
                    Blocks8& out, int /*n*/ = 8) {
  __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(index));
  __m256i x1 = _mm256_set1_epi32(static_cast<int>(c1));
  __m256i x2 = _mm256_set1_epi32(static_cast<int>(c2));
  __m256i x3 = _mm256_set1_epi32(static_cast<int>(c3));
  philox8_regs(x0, x1, x2, x3, seed);
  _mm256_store_si256(reinterpret_cast<__m256i*>(out.w[0]), x0);
  _mm256_store_si256(reinterpret_cast<__m256i*>(out.w[1]), x1);
  _mm256_store_si256(reinterpret_cast<__m256i*>(out.w[2]), x2);
  _mm256_store_si256(reinterpret_cast<__m256i*>(out.w[3]), x3);
}

/// out[i] = normal(seed, Counter{i, step, trial, stream}) for i in [0, count): 8 Philox blocks and
/// the ziggurat's first attempt in registers (branch-free: the sign of a scalar normal_of_lane()
/// is a branch taken half the time), the rare rejections finished by normal_from_block().
inline void normals(uint64_t seed, uint32_t step, uint32_t trial, uint32_t stream, int count,
                    float* out) {
  const detail::ZigguratTables& z = detail::kZiggurat;
  const __m256i byte_mask = _mm256_set1_epi32(0x7F);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int i0 = 0; i0 < count; i0 += 8) {
    __m256i x0 = _mm256_add_epi32(_mm256_set1_epi32(i0), lane);
    __m256i x1 = _mm256_set1_epi32(static_cast<int>(step));
    __m256i x2 = _mm256_set1_epi32(static_cast<int>(trial));
    __m256i x3 = _mm256_set1_epi32(static_cast<int>(stream));
    philox8_regs(x0, x1, x2, x3, seed);
    // ziggurat, first attempt: mag = w1 >> 1, sign = w1 & 1, layer = w2 & 127 (rng.hpp)
    const __m256i mag = _mm256_srli_epi32(x1, 1);
    const __m256i layer = _mm256_and_si256(x2, byte_mask);
    const __m256i kl = _mm256_i32gather_epi32(reinterpret_cast<const int*>(z.k), layer, 4);
    const __m256 wl = _mm256_i32gather_ps(z.w, layer, 4);
    const __m256i accept = _mm256_cmpgt_epi32(kl, mag);  // both < 2^31
    const __m256 e = _mm256_xor_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(mag), wl),
                                   _mm256_castsi256_ps(_mm256_slli_epi32(x1, 31)));
    const int n = count - i0 < 8 ? count - i0 : 8;
    alignas(32) float e8[8];
    _mm256_store_ps(e8, e);
    for (int l = 0; l < n; ++l) out[i0 + l] = e8[l];
    int redo = ~_mm256_movemask_ps(_mm256_castsi256_ps(accept)) & ((1 << n) - 1);
    while (redo != 0) {  // rejected first attempts: the rest of the ziggurat, scalar
      const int l = __builtin_ctz(static_cast<unsigned>(redo));
      redo &= redo - 1;
      alignas(32) uint32_t w[4][8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(w[0]), x0);
      _mm256_store_si256(reinterpret_cast<__m256i*>(w[1]), x1);
      _mm256_store_si256(reinterpret_cast<__m256i*>(w[2]), x2);
      _mm256_store_si256(reinterpret_cast<__m256i*>(w[3]), x3);
      out[i0 + l] = normal_from_block(seed, Counter{static_cast<uint32_t>(i0 + l), step, trial, stream},
                                      Block{{w[0][l], w[1][l], w[2][l], w[3][l]}});
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sampled rows (paper eq. 3 per connection), 8 connections at a time: Philox, the Bernoulli
// decision, the ziggurat's first attempt and the slab value in vector registers; the rare
// rejections (about 1.2 % of slab draws) finish in normal_from_block().
// ---------------------------------------------------------------------------------------------

template <int Cap>
inline float sampled_row(const float* pi, const float* m, const float* xi, const Active<Cap>& a,
                         uint32_t first, uint32_t step, uint32_t trial, uint32_t stream,
                         uint64_t seed) {
  Lanes<float> acc;
  const detail::ZigguratTables& z = detail::kZiggurat;
  const __m256i vfirst = _mm256_set1_epi32(static_cast<int>(first));
  const __m256i byte_mask = _mm256_set1_epi32(0x7F);
  const __m256i sign_bit = _mm256_set1_epi32(static_cast<int>(0x80000000u));
  const __m256i one_i = _mm256_set1_epi32(1);
  const __m256 zero = _mm256_setzero_ps();
  const __m256 two_m24 = _mm256_set1_ps(1.0f / 16777216.0f);
  alignas(32) float term[8];
  const int count = a.count;
  for (int k0 = 0; k0 < count; k0 += 8) {
    const __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.index + k0));
    const __m256 v = _mm256_loadu_ps(a.value + k0);  // 0 past the end
    __m256i x0 = _mm256_add_epi32(idx, vfirst);
    const __m256i counter0 = x0;
    __m256i x1 = _mm256_set1_epi32(static_cast<int>(step));
    __m256i x2 = _mm256_set1_epi32(static_cast<int>(trial));
    __m256i x3 = _mm256_set1_epi32(static_cast<int>(stream));
    philox8_regs(x0, x1, x2, x3, seed);
    const __m256 p = _mm256_i32gather_ps(pi, idx, 4);
    const __m256 mm = _mm256_i32gather_ps(m, idx, 4);
    const __m256 x = _mm256_i32gather_ps(xi, idx, 4);
    // Bernoulli: the slab when !(uniform01(w0) < pi)
    const __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(x0, 8)), two_m24);
    const __m256 slab = _mm256_cmp_ps(u, p, _CMP_NLT_UQ);
    // ziggurat, first attempt: mag = w1 >> 1, sign = w1 & 1, layer = w2 & 127
    const __m256i mag = _mm256_srli_epi32(x1, 1);
    const __m256i layer = _mm256_and_si256(x2, byte_mask);
    const __m256i kl = _mm256_i32gather_epi32(reinterpret_cast<const int*>(z.k), layer, 4);
    const __m256 wl = _mm256_i32gather_ps(z.w, layer, 4);
    const __m256i accept = _mm256_cmpgt_epi32(kl, mag);  // both < 2^31
    const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(x1, one_i), 31);
    const __m256 eps = _mm256_xor_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(mag), wl),
                                     _mm256_castsi256_ps(_mm256_and_si256(sign, sign_bit)));
    const __m256 gauss = _mm256_cmp_ps(x, zero, _CMP_NEQ_OQ);  // sqrt(xi) == 0 iff xi == 0
    __m256 w = _mm256_blendv_ps(mm, _mm256_add_ps(mm, _mm256_mul_ps(_mm256_sqrt_ps(x), eps)), gauss);
    const __m256 t = _mm256_and_ps(_mm256_mul_ps(w, v), slab);  // +0 for spikes and padding
    _mm256_store_ps(term, t);
    const int n = count - k0 < 8 ? count - k0 : 8;
    int redo = _mm256_movemask_ps(_mm256_and_ps(_mm256_and_ps(slab, gauss),
                                                _mm256_castsi256_ps(_mm256_xor_si256(accept, _mm256_set1_epi32(-1)))));
    redo &= (1 << n) - 1;
    while (redo != 0) {  // rejected first attempts: the rest of the ziggurat, scalar
      const int l = __builtin_ctz(static_cast<unsigned>(redo));
      redo &= redo - 1;
      alignas(32) uint32_t c0[8], w0[8], w1[8], w2[8], w3[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(c0), counter0);
      _mm256_store_si256(reinterpret_cast<__m256i*>(w0), x0);
      _mm256_store_si256(reinterpret_cast<__m256i*>(w1), x1);
      _mm256_store_si256(reinterpret_cast<__m256i*>(w2), x2);
      _mm256_store_si256(reinterpret_cast<__m256i*>(w3), x3);
      const int j = a.index[k0 + l];
      const float e = normal_from_block(seed, Counter{c0[l], step, trial, stream},
                                        Block{{w0[l], w1[l], w2[l], w3[l]}});
      term[l] = (m[j] + std::sqrt(xi[j]) * e) * a.value[k0 + l];
    }
    for (int l = 0; l < n; ++l) acc.a[a.index[k0 + l] & 7] += term[l];
  }
  return acc.total();
}

// ---------------------------------------------------------------------------------------------
// SampledPerStep rows: the spike of every connection, the slabs summed exactly (rng.hpp).
// ---------------------------------------------------------------------------------------------

/// The four spike words of every column for the current group of four rows. Columns whose words
/// were not drawn (silent units) hold 0 or the words of an earlier group or step: their terms are
/// +-0 either way, since their presynaptic value is 0. Room for `Cap` columns.
template <int Cap>
struct SpikeWords {
  alignas(32) uint32_t w[4][(Cap + 7) / 8 * 8] = {};
};

template <int Cap, int R>
inline void spike_moment_rows(int cols, const float* pi, const float* m, const float* xi,
                              uint32_t row, const Active<Cap>& a, const float* v, const float* v2,
                              uint32_t step, uint32_t trial, uint32_t stream, uint64_t seed,
                              SpikeWords<Cap>& words, float* g, float* d2) {
  static_assert(R >= 1 && R <= 4, "a group has four rows");
  const uint32_t first = (row >> 2) * static_cast<uint32_t>(cols);
  const uint32_t q0 = row & 3u;  // word of row `row`; rows row+r use word q0 + r
  // 1. The words of the active columns, 8 columns (8 Philox blocks) at a time.
  const __m256i vfirst = _mm256_set1_epi32(static_cast<int>(first));
  Blocks8 b;
  const int count = a.count;
  for (int k0 = 0; k0 < count; k0 += 8) {
    __m256i x0 = _mm256_add_epi32(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.index + k0)), vfirst);
    __m256i x1 = _mm256_set1_epi32(static_cast<int>(step));
    __m256i x2 = _mm256_set1_epi32(static_cast<int>(trial));
    __m256i x3 = _mm256_set1_epi32(static_cast<int>(stream));
    philox8_regs(x0, x1, x2, x3, seed);
    _mm256_store_si256(reinterpret_cast<__m256i*>(b.w[0]), x0);
    _mm256_store_si256(reinterpret_cast<__m256i*>(b.w[1]), x1);
    _mm256_store_si256(reinterpret_cast<__m256i*>(b.w[2]), x2);
    _mm256_store_si256(reinterpret_cast<__m256i*>(b.w[3]), x3);
    const int n = count - k0 < 8 ? count - k0 : 8;
    for (int l = 0; l < n; ++l) {
      const int j = a.index[k0 + l];
      for (int r = 0; r < R; ++r) words.w[q0 + static_cast<uint32_t>(r)][j] = b.w[q0 + static_cast<uint32_t>(r)][l];
    }
  }
  // 2. Every column of the rows, 8 at a time: the slab's terms where !(uniform01(word) < pi).
  const __m256 two_m24 = _mm256_set1_ps(1.0f / 16777216.0f);
  __m256 sg[R], sd[R];
  for (int r = 0; r < R; ++r) sg[r] = sd[r] = _mm256_setzero_ps();
  auto chunk = [&](int r, __m256 p, __m256 mm, __m256 x, __m256i w, __m256 vv, __m256 vv2) {
    const __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(w, 8)), two_m24);
    const __m256 slab = _mm256_cmp_ps(u, p, _CMP_NLT_UQ);
    sg[r] = _mm256_add_ps(sg[r], _mm256_and_ps(_mm256_mul_ps(mm, vv), slab));
    sd[r] = _mm256_add_ps(sd[r], _mm256_and_ps(_mm256_mul_ps(x, vv2), slab));
  };
  auto word = [&](int r, int j) {
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(&words.w[q0 + static_cast<uint32_t>(r)][j]));
  };
  int j = 0;
  for (; j + kLanes <= cols; j += kLanes) {
    const __m256 vv = _mm256_loadu_ps(v + j), vv2 = _mm256_loadu_ps(v2 + j);
    for (int r = 0; r < R; ++r)
      chunk(r, _mm256_loadu_ps(pi + r * cols + j), _mm256_loadu_ps(m + r * cols + j),
            _mm256_loadu_ps(xi + r * cols + j), word(r, j), vv, vv2);
  }
  if (cols % kLanes != 0) {  // masked: zeros past the row end add +0
    const __m256i k = tail_mask(cols % kLanes);
    const __m256 vv = _mm256_maskload_ps(v + j, k), vv2 = _mm256_maskload_ps(v2 + j, k);
    for (int r = 0; r < R; ++r)
      chunk(r, _mm256_maskload_ps(pi + r * cols + j, k), _mm256_maskload_ps(m + r * cols + j, k),
            _mm256_maskload_ps(xi + r * cols + j, k), word(r, j), vv, vv2);
  }
  for (int r = 0; r < R; ++r) {
    g[r] = lane_total(sg[r]);
    d2[r] = lane_total(sd[r]);
  }
}

}  // namespace sasrnn::kernel::avx2
