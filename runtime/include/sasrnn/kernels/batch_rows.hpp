// Row kernels of the batched network (batch.hpp): B trials at once, each weight read once for all
// of them. Values are trial-minor: v[j * B + b] is column j of trial b, out[r * B + b] row r of
// trial b. Each trial's sum is the one of kernels/order.hpp (lane j mod kLanes in increasing j,
// then the fixed tree), so it equals the single-trial kernels of every backend bit for bit. The
// loop over b has no dependence between trials, and the compiler runs it in vector registers
// (trials in SIMD lanes; plain loops, so every target builds them). A silent unit's term is +-0
// and is added, not skipped, by the row kernels; the column kernels of the moment cache
// (cached_rows_batch) skip the columns that are 0 in every trial (kernels/order.hpp: a +-0 term
// may be skipped).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sasrnn/dynamics.hpp"
#include "sasrnn/kernels/order.hpp"

namespace sasrnn::kernel::batch {

/// The B sums of a row from its 8 lanes of B partial sums each (Lanes::total() per trial).
template <int B>
inline void lane_totals(const float (&acc)[kLanes][B], float* out) {
  for (int b = 0; b < B; ++b)
    out[b] = ((acc[0][b] + acc[4][b]) + (acc[2][b] + acc[6][b])) +
             ((acc[1][b] + acc[5][b]) + (acc[3][b] + acc[7][b]));
}

/// Lane l of a row for B trials: acc_g[b] = the sum over j = l, l + kLanes, ... < cols, in
/// increasing j, of mu[j] v[j*B+b] (and acc_d of var[j] v2[j*B+b] when Var). One lane at a time,
/// so that its B partial sums stay in registers.
template <int B, bool Var>
inline void lane_of_row(int cols, int l, const float* mu, const float* var, const float* v,
                        const float* v2, float (&acc_g)[B], float (&acc_d)[B]) {
#if defined(__GNUC__)
  if constexpr (B % 8 == 0) {  // GCC/Clang vector types: the same element-wise IEEE operations
    typedef float V8 __attribute__((vector_size(32), aligned(4)));
    constexpr int kV = B / 8;
    V8 ag[kV] = {}, ad[kV] = {};
    // unrolled: the same additions in the same order, fewer loop instructions (callgrind at
    // N = 150, B = 16: 6.6 % fewer per trial-step in MeanField, 10.8 % in MeanWeights)
#pragma GCC unroll 8
    for (int j = l; j < cols; j += kLanes) {
      const float u = mu[j];
      const V8* vj = reinterpret_cast<const V8*>(v + static_cast<ptrdiff_t>(j) * B);
      for (int k = 0; k < kV; ++k) ag[k] += u * vj[k];
      if constexpr (Var) {
        const float w = var[j];
        const V8* v2j = reinterpret_cast<const V8*>(v2 + static_cast<ptrdiff_t>(j) * B);
        for (int k = 0; k < kV; ++k) ad[k] += w * v2j[k];
      }
    }
    for (int b = 0; b < B; ++b) {
      acc_g[b] = ag[b / 8][b % 8];
      acc_d[b] = ad[b / 8][b % 8];
    }
    return;
  }
#endif
  float ag[B] = {}, ad[B] = {};
  for (int j = l; j < cols; j += kLanes) {
    const float u = mu[j];
    const float* vj = v + static_cast<ptrdiff_t>(j) * B;
    for (int b = 0; b < B; ++b) ag[b] += u * vj[b];
    if constexpr (Var) {
      const float w = var[j];
      const float* v2j = v2 + static_cast<ptrdiff_t>(j) * B;
      for (int b = 0; b < B; ++b) ad[b] += w * v2j[b];
    }
  }
  for (int b = 0; b < B; ++b) {
    acc_g[b] = ag[b];
    acc_d[b] = ad[b];
  }
}

/// The rows' sums for B trials. The moments of a row are the stored ones (mu not null) or are
/// computed once per row into row_mu, row_var (room for cols floats each; an element-wise loop,
/// the same IEEE operations in any vector width).
template <int B, bool Var>
inline void rows_batch(int cols, int rows, const float* pi, const float* m, const float* xi,
                       const float* mu, const float* var, const float* v, const float* v2,
                       float* row_mu, float* row_var, float* g, float* d2) {
  for (int r = 0; r < rows; ++r) {
    const ptrdiff_t o = static_cast<ptrdiff_t>(r) * cols;
    const float* u = mu != nullptr ? mu + o : row_mu;
    const float* w = mu != nullptr && Var ? var + o : row_var;
    if (mu == nullptr) {
      for (int j = 0; j < cols; ++j) row_mu[j] = dyn::sas_mean(pi[o + j], m[o + j]);
      if constexpr (Var)
        for (int j = 0; j < cols; ++j) row_var[j] = dyn::sas_var(pi[o + j], m[o + j], xi[o + j]);
    }
    float ag[kLanes][B], ad[kLanes][B];
    for (int l = 0; l < kLanes; ++l) lane_of_row<B, Var>(cols, l, u, w, v, v2, ag[l], ad[l]);
    lane_totals<B>(ag, g + static_cast<ptrdiff_t>(r) * B);
    if constexpr (Var) lane_totals<B>(ad, d2 + static_cast<ptrdiff_t>(r) * B);
  }
}

/// Mean-field sums (paper eq. 5) of `rows` rows for B trials: g[r*B+b] = sum_j mu_j v[j*B+b],
/// d2[r*B+b] = sum_j var_j v2[j*B+b]. mu and var are the stored moments when `mu` is not null,
/// else computed from pi, m, xi into row_mu, row_var (dyn::sas_mean, dyn::sas_var: the same bits,
/// load() checks it).
template <int B>
inline void moment_rows_batch(int cols, int rows, const float* pi, const float* m, const float* xi,
                              const float* mu, const float* var, const float* v, const float* v2,
                              float* row_mu, float* row_var, float* g, float* d2) {
  rows_batch<B, true>(cols, rows, pi, m, xi, mu, var, v, v2, row_mu, row_var, g, d2);
}

/// sum_j mu_j v[j*B+b] of `rows` rows for B trials (MeanWeights); mu stored or from pi, m.
template <int B>
inline void mean_rows_batch(int cols, int rows, const float* pi, const float* m, const float* mu,
                            const float* v, float* row_mu, float* out) {
  rows_batch<B, false>(cols, rows, pi, m, nullptr, mu, nullptr, v, nullptr, row_mu, nullptr, out,
                       nullptr);
}

/// The columns of a layer that are not 0 in every trial (v[j * B + b] != 0 for some b), grouped
/// by lane as Active::fill_by_lane(): entries [lane_begin[l], lane_begin[l + 1]) of index are the
/// columns j with j % kLanes == l, in increasing j. A column that is 0 in every trial adds +-0 to
/// every trial's sums and is skipped. Room for Cap columns.
template <int Cap>
struct ActiveColumns {
  int32_t index[Cap] = {};
  int lane_begin[kLanes + 1] = {};
  template <int B>
  void fill(const float* v, int cols) {
    int c = 0;
    for (int l = 0; l < kLanes; ++l) {
      lane_begin[l] = c;
      for (int j = l; j < cols; j += kLanes) {
        const float* vj = v + static_cast<ptrdiff_t>(j) * B;
        int active = 0;  // no early exit: the loop runs in vectors
        for (int b = 0; b < B; ++b) active |= vj[b] != 0.0f ? 1 : 0;
        index[c] = j;
        c += active;
      }
    }
    lane_begin[kLanes] = c;
  }
};

/// Rows [r0, r0 + R) of a layer in the moment cache's column layout (mu[j * stride + r]) for B
/// trials: g[r * B + b] = sum_j mu_rj v[j*B+b], and d2[r * B + b] = sum_j var_rj v2[j*B+b] when
/// Var, over the listed columns, each lane in increasing j, then Lanes' tree per trial. R rows at
/// once so that each column's B values are read once for R rows and the 2 R (kV) partial sums
/// hide the additions' latency.
template <int B, int R, bool Var>
inline void cached_rows_of_batch(int r0, int stride, const float* mu, const float* var,
                                 const int32_t* index, const int* lane_begin, const float* v,
                                 const float* v2, float* g, float* d2) {
  float lg[R][kLanes][B], ld[R][kLanes][B];
#if defined(__GNUC__)
  if constexpr (B % 8 == 0) {  // GCC/Clang vector types: the same element-wise IEEE operations
    typedef float V8 __attribute__((vector_size(32), aligned(4)));
    constexpr int kV = B / 8;
    for (int l = 0; l < kLanes; ++l) {
      V8 ag[R][kV] = {}, ad[R][kV] = {};
      for (int c = lane_begin[l]; c < lane_begin[l + 1]; ++c) {
        const ptrdiff_t j = index[c];
        const float* uj = mu + j * stride + r0;
        const V8* vj = reinterpret_cast<const V8*>(v + j * B);
        for (int r = 0; r < R; ++r)
          for (int k = 0; k < kV; ++k) ag[r][k] += uj[r] * vj[k];
        if constexpr (Var) {
          const float* wj = var + j * stride + r0;
          const V8* v2j = reinterpret_cast<const V8*>(v2 + j * B);
          for (int r = 0; r < R; ++r)
            for (int k = 0; k < kV; ++k) ad[r][k] += wj[r] * v2j[k];
        }
      }
      for (int r = 0; r < R; ++r) {
        std::memcpy(lg[r][l], ag[r], sizeof ag[r]);
        if constexpr (Var) std::memcpy(ld[r][l], ad[r], sizeof ad[r]);
      }
    }
  } else
#endif
  {
    for (int l = 0; l < kLanes; ++l) {
      for (int r = 0; r < R; ++r)
        for (int b = 0; b < B; ++b) lg[r][l][b] = ld[r][l][b] = 0.0f;
      for (int c = lane_begin[l]; c < lane_begin[l + 1]; ++c) {
        const ptrdiff_t j = index[c];
        for (int r = 0; r < R; ++r) {
          const float u = mu[j * stride + r0 + r];
          for (int b = 0; b < B; ++b) lg[r][l][b] += u * v[j * B + b];
          if constexpr (Var) {
            const float w = var[j * stride + r0 + r];
            for (int b = 0; b < B; ++b) ld[r][l][b] += w * v2[j * B + b];
          }
        }
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    lane_totals<B>(lg[r], g + static_cast<ptrdiff_t>(r0 + r) * B);
    if constexpr (Var) lane_totals<B>(ld[r], d2 + static_cast<ptrdiff_t>(r0 + r) * B);
  }
}

/// The `rows` rows of a layer from the moment cache (columns mu, var of the given stride) for B
/// trials over the active columns `a`: the sums of moment_rows_batch() (Var) or mean_rows_batch()
/// (not Var), bit for bit. Rows in pairs (Var: 8 partial-sum vectors at B = 16) or fours (means).
template <int B, bool Var, int Cap>
inline void cached_rows_batch(int rows, int stride, const float* mu, const float* var,
                              const ActiveColumns<Cap>& a, const float* v, const float* v2,
                              float* g, float* d2) {
  constexpr int R = Var ? 2 : 4;
  int r = 0;
  for (; r + R <= rows; r += R)
    cached_rows_of_batch<B, R, Var>(r, stride, mu, var, a.index, a.lane_begin, v, v2, g, d2);
  for (; r < rows; ++r)
    cached_rows_of_batch<B, 1, Var>(r, stride, mu, var, a.index, a.lane_begin, v, v2, g, d2);
}

}  // namespace sasrnn::kernel::batch
