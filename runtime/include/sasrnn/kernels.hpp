// Kernels of the network step with a defined summation order, so that host and microcontroller
// agree bit for bit.
//
// A sum over j = 0..cols-1 is accumulated in kLanes interleaved partial sums (lane = j mod kLanes,
// each lane in increasing j) and the lanes are combined by a fixed tree. The order does not depend
// on the compiler or the vector width: an x86 host runs a chunk of 8 columns as one AVX2 vector, a
// Cortex-M runs it scalar, and both perform the same IEEE operations in the same order (build with
// -ffp-contract=off). A term that is exactly zero may be skipped: the lanes start at +0 and can
// never become -0, so x + (+-0) == x for every partial sum we can reach.
//
// With AVX2 (and without SASRNN_NO_SIMD) the row kernels below use intrinsics; otherwise they are
// plain loops. Both compute the same terms in the same order: tests/test_bitexact.cpp checks the
// network against a straightforward reference with both.
#pragma once

#include <cmath>
#include <cstdint>

#include "sasrnn/dynamics.hpp"
#include "sasrnn/rng.hpp"

#if defined(__AVX2__) && !defined(SASRNN_NO_SIMD)
#include <immintrin.h>
#define SASRNN_KERNELS_AVX2 1
#else
#define SASRNN_KERNELS_AVX2 0
#endif

/// Keeps a function out of line (smaller firmware code where inlining would copy a loop per caller).
#if defined(__GNUC__)
#define SASRNN_NOINLINE __attribute__((noinline))
#else
#define SASRNN_NOINLINE
#endif

namespace sasrnn::kernel {

constexpr int kLanes = 8;

/// True when the row kernels run with AVX2 intrinsics (else portable loops).
constexpr bool kSimd = SASRNN_KERNELS_AVX2 != 0;

template <class T>
struct Lanes {
  T a[kLanes] = {};
  /// The fixed combination tree: ((0+4)+(2+6)) + ((1+5)+(3+7)).
  T total() const { return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7])); }
};

// ---------------------------------------------------------------------------------------------
// The portable loops of the row kernels below (what a Cortex-M runs): out of line, with the row
// length and count at run time, so that firmware carries one copy of each, not one per layer
// width and row block. A silent presynaptic unit (v_j = 0) is skipped: its term is +-0.
// ---------------------------------------------------------------------------------------------
namespace loop {

SASRNN_NOINLINE inline void mean_rows(const float* pi, const float* m, int cols, int rows,
                                      const float* v, float* out) {
  for (int r = 0; r < rows; ++r) {
    Lanes<float> acc;
    const float* p = pi + r * cols;
    const float* mm = m + r * cols;
    for (int j = 0; j < cols; ++j)
      if (v[j] != 0.0f) acc.a[j % kLanes] += dyn::sas_mean(p[j], mm[j]) * v[j];
    out[r] = acc.total();
  }
}

SASRNN_NOINLINE inline void moment_rows(const float* pi, const float* m, const float* xi, int cols,
                                        int rows, const float* v, const float* v2, float* g,
                                        float* d2) {
  for (int r = 0; r < rows; ++r) {
    Lanes<float> ag, ad;
    const float* p = pi + r * cols;
    const float* mm = m + r * cols;
    const float* x = xi + r * cols;
    for (int j = 0; j < cols; ++j) {
      if (v[j] == 0.0f) continue;
      ag.a[j % kLanes] += dyn::sas_mean(p[j], mm[j]) * v[j];
      ad.a[j % kLanes] += dyn::sas_var(p[j], mm[j], x[j]) * v2[j];
    }
    g[r] = ag.total();
    d2[r] = ad.total();
  }
}

SASRNN_NOINLINE inline void mean_rows_precomputed(const float* mu, int cols, int rows,
                                                  const float* v, float* out) {
  for (int r = 0; r < rows; ++r) {
    Lanes<float> acc;
    const float* u = mu + r * cols;
    for (int j = 0; j < cols; ++j)
      if (v[j] != 0.0f) acc.a[j % kLanes] += u[j] * v[j];
    out[r] = acc.total();
  }
}

SASRNN_NOINLINE inline void moment_rows_precomputed(const float* mu, const float* var, int cols,
                                                    int rows, const float* v, const float* v2,
                                                    float* g, float* d2) {
  for (int r = 0; r < rows; ++r) {
    Lanes<float> ag, ad;
    const float* u = mu + r * cols;
    const float* w = var + r * cols;
    for (int j = 0; j < cols; ++j) {
      if (v[j] == 0.0f) continue;
      ag.a[j % kLanes] += u[j] * v[j];
      ad.a[j % kLanes] += w[j] * v2[j];
    }
    g[r] = ag.total();
    d2[r] = ad.total();
  }
}

}  // namespace loop

// ---------------------------------------------------------------------------------------------
// Deterministic rows: one pass over the hyperparameters of a row, read in place.
// ---------------------------------------------------------------------------------------------

#if SASRNN_KERNELS_AVX2
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
#endif

/// sum_j mu_j v_j with mu = (1 - pi) m (MeanWeights), for R consecutive rows of a row-major
/// layer (row r starts at pi + r * cols; cols at run time, a constant where the caller's is): out[r] = the sum of row r. Rows are interleaved only so
/// that their independent sums hide the latency of the additions; each row's sum is the defined one.
template <int R>
inline void mean_rows(int cols, const float* pi, const float* m, const float* v, float* out) {
#if SASRNN_KERNELS_AVX2
  // A silent unit's term is +-0 and leaves its lane unchanged, so it need not be skipped; the
  // last partial chunk is read masked (zeros past the row end).
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
#else
  loop::mean_rows(pi, m, cols, R, v, out);
#endif
}

/// One row of mean_rows().
inline float mean_row(int cols, const float* pi, const float* m, const float* v) {
  float out;
  mean_rows<1>(cols, pi, m, v, &out);
  return out;
}

/// Mean-field sums (paper eq. 5) of R consecutive rows: g[r] = sum_j mu_j v_j and
/// d2[r] = sum_j var_j v_j^2, with mu = (1 - pi) m and var = (1 - pi)(xi + pi m m)
/// (dyn::sas_mean, dyn::sas_var) computed as the row is read: one pass over pi, m and xi.
/// `v2` holds v_j * v_j.
template <int R>
inline void moment_rows(int cols, const float* pi, const float* m, const float* xi, const float* v,
                        const float* v2, float* g, float* d2) {
#if SASRNN_KERNELS_AVX2
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
#else
  loop::moment_rows(pi, m, xi, cols, R, v, v2, g, d2);
#endif
}

// Rows with precomputed moments (a dense layer that stores mu and var, model.hpp): the same
// terms as mean_rows()/moment_rows(), which compute mu and var as they read pi, m, xi with the
// same IEEE operations that produced the stored values (load() checks them bit for bit), summed in
// the same lanes and the same tree. So the results are bit for bit those of the pi/m/xi kernels;
// only the reads (two arrays instead of three) and the arithmetic per connection change.

/// mean_rows() from precomputed mu: out[r] = sum_j mu_j v_j for R consecutive rows.
template <int R>
inline void mean_rows_precomputed(int cols, const float* mu, const float* v, float* out) {
#if SASRNN_KERNELS_AVX2
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
#else
  loop::mean_rows_precomputed(mu, cols, R, v, out);
#endif
}

/// moment_rows() from precomputed mu and var: g[r] = sum_j mu_j v_j, d2[r] = sum_j var_j v2_j.
template <int R>
inline void moment_rows_precomputed(int cols, const float* mu, const float* var, const float* v,
                                    const float* v2, float* g, float* d2) {
#if SASRNN_KERNELS_AVX2
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
#else
  loop::moment_rows_precomputed(mu, var, cols, R, v, v2, g, d2);
#endif
}

// ---------------------------------------------------------------------------------------------
// Random words in batches: Philox4x32-10 of 8 counters at once, the same words as random_block().
// ---------------------------------------------------------------------------------------------

/// Words of 8 Philox blocks: w[k][l] is word k of the block of lane l.
struct Blocks8 {
  alignas(32) uint32_t w[4][8];
};

#if SASRNN_KERNELS_AVX2
/// Philox4x32-10 of 8 counters (x0[l], c1, c2, c3) in AVX2 registers; x0..x3 become the words.
inline void philox8_avx2(__m256i& x0, __m256i& x1, __m256i& x2, __m256i& x3, uint64_t seed) {
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(detail::kPhiloxM0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(detail::kPhiloxM1));
  for (int round = 0; round < 10; ++round) {
    // 32x32 -> 64 products: even lanes directly, odd lanes shifted down; high halves blended.
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
#endif

/// Philox4x32-10 of the counters (index[l], c1, c2, c3), l = 0..7, key = seed; equals
/// random_block(seed, Counter{index[l], c1, c2, c3}) word for word. Lanes l >= n may be left
/// uncomputed (the portable loop skips them; AVX2 computes all 8 at the price of one).
inline void philox8(const uint32_t* index, uint32_t c1, uint32_t c2, uint32_t c3, uint64_t seed,
                    Blocks8& out, int n = 8) {
#if SASRNN_KERNELS_AVX2
  (void)n;
  __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(index));
  __m256i x1 = _mm256_set1_epi32(static_cast<int>(c1));
  __m256i x2 = _mm256_set1_epi32(static_cast<int>(c2));
  __m256i x3 = _mm256_set1_epi32(static_cast<int>(c3));
  philox8_avx2(x0, x1, x2, x3, seed);
  _mm256_store_si256(reinterpret_cast<__m256i*>(out.w[0]), x0);
  _mm256_store_si256(reinterpret_cast<__m256i*>(out.w[1]), x1);
  _mm256_store_si256(reinterpret_cast<__m256i*>(out.w[2]), x2);
  _mm256_store_si256(reinterpret_cast<__m256i*>(out.w[3]), x3);
#else
  const uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int l = 0; l < n && l < 8; ++l) {
    const Block b = philox4x32_10(index[l], c1, c2, c3, k0, k1);
    for (int k = 0; k < 4; ++k) out.w[k][l] = b.w[k];
  }
#endif
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

/// out[i] = normal(seed, Counter{i, step, trial, stream}) for i in [0, count).
inline void normals(uint64_t seed, uint32_t step, uint32_t trial, uint32_t stream, int count,
                    float* out) {
  Blocks8 b;
  uint32_t index[8];
  for (int i0 = 0; i0 < count; i0 += 8) {
    for (int l = 0; l < 8; ++l) index[l] = static_cast<uint32_t>(i0 + l);
    philox8(index, step, trial, stream, seed, b, count - i0 < 8 ? count - i0 : 8);
    for (int l = 0; l < 8 && i0 + l < count; ++l)
      out[i0 + l] = normal_of_lane(seed, Counter{index[l], step, trial, stream}, b, l);
  }
}

// ---------------------------------------------------------------------------------------------
// Sampled rows (paper eq. 3 per connection, summed with the presynaptic values).
// ---------------------------------------------------------------------------------------------

/// The presynaptic units of a layer that are not silent (v_j != 0), in increasing j, with their
/// values; padded with 8 entries of value 0 so that batches of 8 may read past `count`. Room for
/// `Cap` columns; a layer has `cols` <= Cap.
template <int Cap>
struct Active {
  int count = 0;
  int32_t index[Cap + 8];
  float value[Cap + 8];
  Active(const float* v, int cols) {
    for (int j = 0; j < cols; ++j) {
      index[count] = j;
      value[count] = v[j];
      count += v[j] != 0.0f ? 1 : 0;
    }
    for (int l = 0; l < 8; ++l) {
      index[count + l] = 0;
      value[count + l] = 0.0f;
    }
  }
};

namespace loop {
/// sampled_row() in plain loops (see namespace loop above): the active entries `index_of`,
/// `value`, `count` drawn 8 at a time (Philox), each slab from the ziggurat.
SASRNN_NOINLINE inline float sampled_row(const float* pi, const float* m, const float* xi,
                                         const int32_t* index_of, const float* value, int count,
                                         uint32_t first, uint32_t step, uint32_t trial,
                                         uint32_t stream, uint64_t seed) {
  Lanes<float> acc;
  Blocks8 b;
  uint32_t index[8];
  for (int k0 = 0; k0 < count; k0 += 8) {
    const int n = count - k0 < 8 ? count - k0 : 8;
    for (int l = 0; l < n; ++l) index[l] = first + static_cast<uint32_t>(index_of[k0 + l]);
    philox8(index, step, trial, stream, seed, b, n);
    for (int l = 0; l < n; ++l) {
      const int j = index_of[k0 + l];
      if (uniform01(b.w[0][l]) < pi[j]) continue;  // the spike: w = 0
      float w = m[j];
      if (xi[j] != 0.0f)  // sqrt(xi) == 0 exactly when xi == 0
        w = w + std::sqrt(xi[j]) * normal_of_lane(seed, Counter{index[l], step, trial, stream}, b, l);
      acc.a[j % kLanes] += w * value[k0 + l];
    }
  }
  return acc.total();
}
}  // namespace loop

/// sum_j w_j v_j over the active presynaptic units of one row, with w_j = sas_sample(seed,
/// Counter{first + j, step, trial, stream}, pi_j, m_j, sqrt(xi_j)) (paper eq. 3). Silent units
/// and spikes (w = 0) add nothing, and no other draw changes (each draw is a pure function of
/// its counter). With AVX2, 8 connections at a time: Philox, the Bernoulli decision, the
/// ziggurat's first attempt and the slab value in vector registers; the rare rejections
/// (about 1.2 % of slab draws) finish in normal_from_block().
template <int Cap>
inline float sampled_row(const float* pi, const float* m, const float* xi, const Active<Cap>& a,
                         uint32_t first, uint32_t step, uint32_t trial, uint32_t stream,
                         uint64_t seed) {
#if SASRNN_KERNELS_AVX2
  Lanes<float> acc;
  const detail::ZigguratTables& z = detail::kZiggurat;
  const __m256i vfirst = _mm256_set1_epi32(static_cast<int>(first));
  const __m256i byte_mask = _mm256_set1_epi32(0x7F);
  const __m256i sign_bit = _mm256_set1_epi32(static_cast<int>(0x80000000u));
  const __m256i one_i = _mm256_set1_epi32(1);
  const __m256 zero = _mm256_setzero_ps();
  const __m256 two_m24 = _mm256_set1_ps(1.0f / 16777216.0f);
  alignas(32) float term[8];
  for (int k0 = 0; k0 < a.count; k0 += 8) {
    const __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.index + k0));
    const __m256 v = _mm256_loadu_ps(a.value + k0);  // 0 past the end
    __m256i x0 = _mm256_add_epi32(idx, vfirst);
    const __m256i counter0 = x0;
    __m256i x1 = _mm256_set1_epi32(static_cast<int>(step));
    __m256i x2 = _mm256_set1_epi32(static_cast<int>(trial));
    __m256i x3 = _mm256_set1_epi32(static_cast<int>(stream));
    philox8_avx2(x0, x1, x2, x3, seed);
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
    const int n = a.count - k0 < 8 ? a.count - k0 : 8;
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
#else
  return loop::sampled_row(pi, m, xi, a.index, a.value, a.count, first, step, trial, stream,
                           seed);
#endif
}

/// A concrete row (paper eq. 3) for a trial cache: w[j] = sas_sample(seed, Counter{first + j,
/// step, trial, stream}, pi_j, m_j, sqrt(xi_j)) for every column, the spike as 0: the weights
/// sampled_row() draws, 8 Philox blocks at a time.
inline void draw_row(int cols, const float* pi, const float* m, const float* xi, uint32_t first,
                     uint32_t step, uint32_t trial, uint32_t stream, uint64_t seed, float* w) {
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

// ---------------------------------------------------------------------------------------------
// SampledPerStep rows: the spike of every connection, the slabs summed exactly (rng.hpp).
// ---------------------------------------------------------------------------------------------

/// Scratch of spike_moment_rows() for one layer and one step: the four spike words of every
/// column for the current group of four rows (AVX2 only; the portable loops need none). Columns
/// whose words were never drawn (silent units) hold 0 or an earlier group's words: their terms
/// are +-0 either way, since their presynaptic value is 0. Room for `Cap` columns.
template <int Cap>
struct SpikeWords {
#if SASRNN_KERNELS_AVX2
  alignas(32) uint32_t w[4][(Cap + 7) / 8 * 8] = {};
#endif
};

namespace loop {
/// spike_moment_rows() in plain loops (see namespace loop above); per batch of 8 active columns
/// (`index_of`, `value`, `count`), 8 Philox blocks serve the `rows` rows of the group.
SASRNN_NOINLINE inline void spike_moment_rows(const float* pi, const float* m, const float* xi,
                                              int cols, uint32_t row, int rows,
                                              const int32_t* index_of, const float* value,
                                              int count, const float* v2, uint32_t step,
                                              uint32_t trial, uint32_t stream, uint64_t seed,
                                              float* g, float* d2) {
  const uint32_t first = (row >> 2) * static_cast<uint32_t>(cols);
  const uint32_t q0 = row & 3u;
  Lanes<float> ag[4], ad[4];
  Blocks8 b;
  uint32_t index[8];
  for (int k0 = 0; k0 < count; k0 += 8) {
    const int n = count - k0 < 8 ? count - k0 : 8;
    for (int l = 0; l < n; ++l) index[l] = first + static_cast<uint32_t>(index_of[k0 + l]);
    philox8(index, step, trial, stream, seed, b, n);
    for (int l = 0; l < n; ++l) {
      const int j = index_of[k0 + l];
      const float vj = value[k0 + l];
      for (int r = 0; r < rows; ++r) {
        const int o = r * cols + j;
        if (uniform01(b.w[q0 + static_cast<uint32_t>(r)][l]) < pi[o]) continue;  // the spike
        ag[r].a[j % kLanes] += m[o] * vj;
        ad[r].a[j % kLanes] += xi[o] * v2[j];
      }
    }
  }
  for (int r = 0; r < rows; ++r) {
    g[r] = ag[r].total();
    d2[r] = ad[r].total();
  }
}
}  // namespace loop

/// The sums of R consecutive rows row..row+R-1 (all in one group of four: row / 4 equal) of a
/// row-major layer for SampledPerStep: g[r] = sum_j z_j m_j v_j and d2[r] = sum_j z_j xi_j v2_j,
/// z_j the spike of connection (row + r, j) (rng.hpp, spike_counter()), in the lane order of
/// moment_rows(). `pi`, `m`, `xi` point at row `row`; `v2` holds v_j * v_j; `a` lists the active
/// entries of v. One Philox block per active column serves the four rows of the group.
template <int Cap, int R>
inline void spike_moment_rows(int cols, const float* pi, const float* m, const float* xi,
                              uint32_t row, const Active<Cap>& a, const float* v, const float* v2,
                              uint32_t step, uint32_t trial, uint32_t stream, uint64_t seed,
                              SpikeWords<Cap>& words, float* g, float* d2) {
  static_assert(R >= 1 && R <= 4, "a group has four rows");
  const uint32_t first = (row >> 2) * static_cast<uint32_t>(cols);
  const uint32_t q0 = row & 3u;  // word of row `row`; rows row+r use word q0 + r
#if SASRNN_KERNELS_AVX2
  // 1. The words of the active columns, 8 columns (8 Philox blocks) at a time.
  const __m256i vfirst = _mm256_set1_epi32(static_cast<int>(first));
  Blocks8 b;
  for (int k0 = 0; k0 < a.count; k0 += 8) {
    __m256i x0 = _mm256_add_epi32(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.index + k0)), vfirst);
    __m256i x1 = _mm256_set1_epi32(static_cast<int>(step));
    __m256i x2 = _mm256_set1_epi32(static_cast<int>(trial));
    __m256i x3 = _mm256_set1_epi32(static_cast<int>(stream));
    philox8_avx2(x0, x1, x2, x3, seed);
    _mm256_store_si256(reinterpret_cast<__m256i*>(b.w[0]), x0);
    _mm256_store_si256(reinterpret_cast<__m256i*>(b.w[1]), x1);
    _mm256_store_si256(reinterpret_cast<__m256i*>(b.w[2]), x2);
    _mm256_store_si256(reinterpret_cast<__m256i*>(b.w[3]), x3);
    const int n = a.count - k0 < 8 ? a.count - k0 : 8;
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
#else
  (void)words;
  (void)v;
  (void)first;
  (void)q0;
  loop::spike_moment_rows(pi, m, xi, cols, row, R, a.index, a.value, a.count, v2, step, trial,
                          stream, seed, g, d2);
#endif
}

}  // namespace sasrnn::kernel
