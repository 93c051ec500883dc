// The portable backend of the row kernels: plain C++ loops, what a Cortex-M runs (and the host
// with SASRNN_NO_SIMD). It computes the sums of kernels/order.hpp; kernels.hpp selects it when no
// other backend applies, and lists the functions every backend provides.
//
// The loops are out of line, with the row length and count at run time, so that firmware carries
// one copy of each, not one per layer width and row block. A silent presynaptic unit (v_j = 0) is
// skipped: its term is +-0.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "sasrnn/dynamics.hpp"
#include "sasrnn/kernels/order.hpp"
#include "sasrnn/kernels/rng_batch.hpp"
#include "sasrnn/rng.hpp"

namespace sasrnn::kernel::portable {

/// The name of the backend (bench --json, test properties).
constexpr bool kSimd = false;
constexpr const char* kName = "portable";

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

/// The moment cache's column kernel: for rows q in [0, rows), g[q] = sum_j mu[j * stride + q] v_j
/// and d2[q] = sum_j var[j * stride + q] v2_j over the active entries grouped by lane
/// (Active::fill_by_lane(): lane l sums its units in increasing j). var = nullptr: g only.
SASRNN_NOINLINE inline void moment_cols(const float* mu, const float* var, int stride, int rows,
                                        const int32_t* index, const float* value,
                                        const int* lane_begin, const float* v2, float* g,
                                        float* d2) {
  for (int q = 0; q < rows; ++q) {
    Lanes<float> ag, ad;
    for (int l = 0; l < kLanes; ++l)
      for (int k = lane_begin[l]; k < lane_begin[l + 1]; ++k) {
        const ptrdiff_t o = static_cast<ptrdiff_t>(index[k]) * stride + q;
        ag.a[l] += mu[o] * value[k];
        if (var != nullptr) ad.a[l] += var[o] * v2[index[k]];
      }
    g[q] = ag.total();
    if (var != nullptr) d2[q] = ad.total();
  }
}

/// sampled_row() over the active entries `index_of`, `value`, `count`, drawn 8 at a time
/// (Philox), each slab from the ziggurat.
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
    philox8_lanes(index, step, trial, stream, seed, b, n);
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

/// spike_moment_rows(): per batch of 8 active columns (`index_of`, `value`, `count`), 8 Philox
/// blocks serve the `rows` rows of the group.
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
    philox8_lanes(index, step, trial, stream, seed, b, n);
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

// ---------------------------------------------------------------------------------------------
// The backend interface (kernels.hpp documents each function).
// ---------------------------------------------------------------------------------------------

template <int R>
inline void mean_rows(int cols, const float* pi, const float* m, const float* v, float* out) {
  loop::mean_rows(pi, m, cols, R, v, out);
}

template <int R>
inline void moment_rows(int cols, const float* pi, const float* m, const float* xi, const float* v,
                        const float* v2, float* g, float* d2) {
  loop::moment_rows(pi, m, xi, cols, R, v, v2, g, d2);
}

template <int R>
inline void mean_rows_precomputed(int cols, const float* mu, const float* v, float* out) {
  loop::mean_rows_precomputed(mu, cols, R, v, out);
}

template <int R>
inline void moment_rows_precomputed(int cols, const float* mu, const float* var, const float* v,
                                    const float* v2, float* g, float* d2) {
  loop::moment_rows_precomputed(mu, var, cols, R, v, v2, g, d2);
}

template <int V, int Cap>
inline void moment_cols(int stride, const float* mu, const float* var, const Active<Cap>& a,
                        const float* v2, float* g, float* d2) {
  loop::moment_cols(mu, var, stride, 8 * V, a.index, a.value, a.lane_begin, v2, g, d2);
}

template <int V, int Cap>
inline void mean_cols(int stride, const float* mu, const Active<Cap>& a, float* out) {
  loop::moment_cols(mu, nullptr, stride, 8 * V, a.index, a.value, a.lane_begin, nullptr, out,
                    nullptr);
}

inline void philox8(const uint32_t* index, uint32_t c1, uint32_t c2, uint32_t c3, uint64_t seed,
                    Blocks8& out, int n = 8) {
  philox8_lanes(index, c1, c2, c3, seed, out, n);
}

inline void normals(uint64_t seed, uint32_t step, uint32_t trial, uint32_t stream, int count,
                    float* out) {
  normals_with([](const uint32_t* index, uint32_t c1, uint32_t c2, uint32_t c3, uint64_t s,
                  Blocks8& b, int n) { philox8_lanes(index, c1, c2, c3, s, b, n); },
               seed, step, trial, stream, count, out);
}

template <int Cap>
inline float sampled_row(const float* pi, const float* m, const float* xi, const Active<Cap>& a,
                         uint32_t first, uint32_t step, uint32_t trial, uint32_t stream,
                         uint64_t seed) {
  return loop::sampled_row(pi, m, xi, a.index, a.value, a.count, first, step, trial, stream, seed);
}

/// The portable loops need no spike words (one Philox block serves its rows at once).
template <int Cap>
struct SpikeWords {};

template <int Cap, int R>
inline void spike_moment_rows(int cols, const float* pi, const float* m, const float* xi,
                              uint32_t row, const Active<Cap>& a, const float* /*v*/,
                              const float* v2, uint32_t step, uint32_t trial, uint32_t stream,
                              uint64_t seed, SpikeWords<Cap>& /*words*/, float* g, float* d2) {
  static_assert(R >= 1 && R <= 4, "a group has four rows");
  loop::spike_moment_rows(pi, m, xi, cols, row, R, a.index, a.value, a.count, v2, step, trial,
                          stream, seed, g, d2);
}

}  // namespace sasrnn::kernel::portable
