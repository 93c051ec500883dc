// A layer's rows in each of its storage encodings, and visit_layer(): the one place where the
// network chooses the code of a layer's encoding (model.hpp, encodings.md):
//   Dense         dense f32 pi, m, xi, read in place (the kernels of kernels.hpp)
//   DenseMoments  the same with the stored mu and var: MeanField and MeanWeights read those (bit
//                 for bit the sums from pi, m, xi; load() checks them), the sampled modes pi, m, xi
//   Sparse        sparse layers, values in f32, f16 or q8 (sparse.hpp)
// Each offers the five row operations of the network's modes with one signature, so network.hpp
// writes every mode once for all encodings. A new encoding is one struct here and one branch of
// visit_layer(). Builds with SASRNN_NO_SPARSE or SASRNN_NO_MOMENTS leave those branches out.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sasrnn/kernels.hpp"
#include "sasrnn/model.hpp"
#include "sasrnn/sparse.hpp"

namespace sasrnn::encoding {

/// A dense f32 layer of `cols` columns, row-major.
struct Dense {
  const float* pi;
  const float* m;
  const float* xi;
  int cols;

  ptrdiff_t offset(int row) const { return static_cast<ptrdiff_t>(row) * cols; }

  /// Mean-field sums (paper eq. 5) of rows [i, i + R).
  template <int R>
  void moments(int i, const float* v, const float* v2, float* g, float* d2) const {
    const ptrdiff_t o = offset(i);
    kernel::moment_rows<R>(cols, pi + o, m + o, xi + o, v, v2, g, d2);
  }
  /// sum_j mu_j v_j of rows [i, i + R) (MeanWeights).
  template <int R>
  void means(int i, const float* v, float* out) const {
    const ptrdiff_t o = offset(i);
    kernel::mean_rows<R>(cols, pi + o, m + o, v, out);
  }
  /// SampledPerStep sums (kernel::spike_moment_rows) of rows [i, i + R), one group of four.
  template <int R, int Cap>
  void spike_moments(int i, const kernel::Active<Cap>& a, const float* v, const float* v2,
                     uint32_t step, uint32_t trial, uint32_t stream, uint64_t seed,
                     kernel::SpikeWords<Cap>& words, float* g, float* d2) const {
    const ptrdiff_t o = offset(i);
    kernel::spike_moment_rows<Cap, R>(cols, pi + o, m + o, xi + o, static_cast<uint32_t>(i), a, v,
                                      v2, step, trial, stream, seed, words, g, d2);
  }
  /// Row `row` with weights drawn from paper eq. 3; `a` lists the active entries of `v`.
  template <int Cap>
  float sampled_row(int row, const kernel::Active<Cap>& a, const float* /*v*/, uint32_t step,
                    uint32_t trial, uint32_t stream, uint64_t seed) const {
    const ptrdiff_t o = offset(row);
    return kernel::sampled_row(pi + o, m + o, xi + o, a, static_cast<uint32_t>(o), step, trial,
                               stream, seed);
  }
  /// The concrete row `row` (paper eq. 3) that sampled_row() draws, into w[0..cols).
  void draw_row(int row, uint32_t step, uint32_t trial, uint32_t stream, uint64_t seed,
                float* w) const {
    const ptrdiff_t o = offset(row);
    kernel::draw_row(cols, pi + o, m + o, xi + o, static_cast<uint32_t>(o), step, trial, stream,
                     seed, w);
  }
};

/// A dense layer that also stores mu and var (format version 2, `dense-moments`).
struct DenseMoments : Dense {
  const float* mu;
  const float* var;

  template <int R>
  void moments(int i, const float* v, const float* v2, float* g, float* d2) const {
    const ptrdiff_t o = offset(i);
    kernel::moment_rows_precomputed<R>(cols, mu + o, var + o, v, v2, g, d2);
  }
  template <int R>
  void means(int i, const float* v, float* out) const {
    kernel::mean_rows_precomputed<R>(cols, mu + offset(i), v, out);
  }
};

/// A sparse layer (sparse.hpp), bit for bit the dense f32 layer of its decoded values.
struct Sparse {
  const SparseView* s;
  uint32_t cols;

  template <int R>
  void moments(int i, const float* v, const float* v2, float* g, float* d2) const {
    for (int k = 0; k < R; ++k) sparse::moment_row(*s, cols, i + k, v, v2, g[k], d2[k]);
  }
  template <int R>
  void means(int i, const float* v, float* out) const {
    for (int k = 0; k < R; ++k) out[k] = sparse::mean_row(*s, cols, i + k, v);
  }
  template <int R, int Cap>
  void spike_moments(int i, const kernel::Active<Cap>& /*a*/, const float* v, const float* v2,
                     uint32_t step, uint32_t trial, uint32_t stream, uint64_t seed,
                     kernel::SpikeWords<Cap>& /*words*/, float* g, float* d2) const {
    sparse::spike_moment_rows(*s, cols, i, R, v, v2, step, trial, stream, seed, g, d2);
  }
  template <int Cap>
  float sampled_row(int row, const kernel::Active<Cap>& /*a*/, const float* v, uint32_t step,
                    uint32_t trial, uint32_t stream, uint64_t seed) const {
    return sparse::sampled_row(*s, cols, row, v, step, trial, stream, seed);
  }
  void draw_row(int row, uint32_t step, uint32_t trial, uint32_t stream, uint64_t seed,
                float* w) const {
    sparse::draw_row(*s, cols, row, step, trial, stream, seed, w);
  }
};

/// Calls f(layer) with layer `l` (`cols` columns) as the struct of its encoding, and returns
/// what f returns. Moments = false for the operations that read pi, m, xi (the sampled modes):
/// a layer with stored moments is then visited as Dense, so that f is not built twice alike.
template <bool Moments, class F>
inline decltype(auto) visit_layer(const LayerView& l, int cols, F&& f) {
  if constexpr (kSparseBuilt) {
    if (l.is_sparse) return f(Sparse{&l.sparse, static_cast<uint32_t>(cols)});
  }
  const Dense d{l.pi, l.m, l.xi, cols};
  if constexpr (kMomentsBuilt && Moments) {
    if (l.has_moments()) return f(DenseMoments{d, l.mu, l.var});
  }
  return f(d);
}

/// visit_layer() for MeanField and MeanWeights (moments() and means()).
template <class F>
inline decltype(auto) visit_moments(const LayerView& l, int cols, F&& f) {
  return visit_layer<true>(l, cols, static_cast<F&&>(f));
}

/// visit_layer() for the sampled modes (spike_moments(), sampled_row(), draw_row()).
template <class F>
inline decltype(auto) visit_sampled(const LayerView& l, int cols, F&& f) {
  return visit_layer<false>(l, cols, static_cast<F&&>(f));
}

}  // namespace sasrnn::encoding
