// A layer's rows in each of its storage encodings, and visit_layer(): the one place where the
// network chooses the code of a layer's encoding (model.hpp, encodings.md):
//   Dense         dense f32 pi, m, xi, read in place (the kernels of kernels.hpp)
//   DenseMoments  the same with the stored mu and var: MeanField and MeanWeights read those (bit
//                 for bit the sums from pi, m, xi; load() checks them), the sampled modes pi, m, xi
//   Sparse        sparse layers, values in f32, f16 or q8 (sparse.hpp)
// Each offers the five row operations of the network's modes with one signature, so network.hpp
// writes every mode once for all encodings. A new encoding is one struct here and one branch of
// visit_layer(). Builds with SASRNN_NO_SPARSE or SASRNN_NO_MOMENTS leave those branches out.
// fill_moment_cache() writes any encoding's mu and var into the network's moment cache (column by
// column), from which MeanField and MeanWeights then run alike for every encoding.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sasrnn/dynamics.hpp"
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
  void spike_moments(int i, const kernel::Active<Cap>& a, const float* v, const float* v2,
                     uint32_t step, uint32_t trial, uint32_t stream, uint64_t seed,
                     kernel::SpikeWords<Cap>& /*words*/, float* g, float* d2) const {
    uint32_t active[(Cap + 31) / 32];  // a's units as a bit mask (a few dozen instructions)
    a.bit_mask(active, (Cap + 31) / 32);
    sparse::spike_moment_rows(*s, cols, i, R, active, v, v2, step, trial, stream, seed, g, d2);
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

/// The moment cache of a layer (network.hpp, use_moment_cache()): mu and var of every connection
/// stored column by column in caller-owned RAM, mu[j * stride + i] for row i, column j, with
/// stride = moment_stride(rows) (the rows rounded up to 8; the padding rows hold 0), then var
/// alike: 2 * moment_stride(rows) * cols floats.
constexpr int moment_stride(int rows) { return (rows + 7) / 8 * 8; }
constexpr size_t moment_layer_floats(int rows, int cols) {
  return 2 * static_cast<size_t>(moment_stride(rows)) * static_cast<size_t>(cols);
}

/// Fills layer `l`'s moment cache at `mu` (var follows it) with dyn::sas_mean and dyn::sas_var of
/// each connection's pi, m, xi (a sparse layer's decoded values): the values the dense-moments
/// encoding stores and load() checks bit for bit. Absent connections of a sparse layer are 0
/// there (their terms are +-0 in the dense layer of the decoded values: the sums are the same).
inline void fill_moment_cache(const LayerView& l, int rows, int cols, float* mu) {
  const ptrdiff_t stride = moment_stride(rows);
  float* var = mu + stride * cols;
  for (ptrdiff_t k = 0; k < 2 * stride * cols; ++k) mu[k] = 0.0f;
  auto set = [&](int i, uint32_t j, float pi, float m, float xi) {
    mu[static_cast<ptrdiff_t>(j) * stride + i] = dyn::sas_mean(pi, m);
    var[static_cast<ptrdiff_t>(j) * stride + i] = dyn::sas_var(pi, m, xi);
  };
  if constexpr (kSparseBuilt) {
    if (l.is_sparse) {
      for (int i = 0; i < rows; ++i)
        sparse::visit_row(l.sparse, static_cast<uint32_t>(cols), static_cast<uint32_t>(i),
                          [&](uint32_t j, uint32_t, float pi, float m, float xi) { set(i, j, pi, m, xi); });
      return;
    }
  }
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const ptrdiff_t k = static_cast<ptrdiff_t>(i) * cols + j;
      set(i, static_cast<uint32_t>(j), l.pi[k], l.m[k], l.xi[k]);
    }
}

/// A network's whole moment cache (Network and BatchNetwork, use_moment_cache()): the layers
/// recurrent (0, n x n), input (1, n x n_in) and output (2, n_out x n) one after the other, each as
/// fill_moment_cache() lays it out. The one place that knows this layout.
struct MomentCache {
  /// A layer's columns: mu[j * stride + i] and var[j * stride + i] of row i, column j.
  struct Columns {
    const float* mu;
    const float* var;
    int stride;
  };
  float* p;
  int n, n_in, n_out;

  static constexpr size_t floats(int n, int n_in, int n_out) {
    return moment_layer_floats(n, n) + moment_layer_floats(n, n_in) + moment_layer_floats(n_out, n);
  }
  int rows(int layer) const { return layer == 2 ? n_out : n; }
  int cols(int layer) const { return layer == 1 ? n_in : n; }
  float* layer(int k) const {
    float* q = p;
    for (int i = 0; i < k; ++i) q += moment_layer_floats(rows(i), cols(i));
    return q;
  }
  Columns columns(int k) const {
    const float* q = layer(k);
    const int stride = moment_stride(rows(k));
    return {q, q + static_cast<ptrdiff_t>(stride) * cols(k), stride};
  }
  void fill(const LayerView& rec, const LayerView& in, const LayerView& out) const {
    const LayerView* layers[3] = {&rec, &in, &out};
    for (int k = 0; k < 3; ++k) fill_moment_cache(*layers[k], rows(k), cols(k), layer(k));
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
