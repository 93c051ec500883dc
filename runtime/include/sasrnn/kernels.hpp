// The row kernels of the network step, and the one place where their backend is chosen.
//
//   kernels/order.hpp      the summation-order contract every backend computes (8 lanes, a fixed
//                          tree, no FMA), and the list of active presynaptic units
//   kernels/rng_batch.hpp  Philox blocks and normals in batches of 8 (backend-neutral parts)
//   kernels/portable.hpp   plain loops: Cortex-M, and any host with SASRNN_NO_SIMD
//   kernels/avx2.hpp       AVX2 intrinsics: x86-64 hosts
//
// A backend is a namespace sasrnn::kernel::<name> with these members, all bit for bit the
// portable ones (tests/test_bitexact.cpp checks the network built on each against a reference):
//   kName, kSimd                           its name; whether it uses SIMD
//   mean_rows<R>(cols, pi, m, v, out)      out[r] = sum_j mu_j v_j, mu = (1 - pi) m (MeanWeights)
//   moment_rows<R>(cols, pi, m, xi, v, v2, g, d2)   paper eq. 5: g[r] = sum_j mu_j v_j,
//                                          d2[r] = sum_j var_j v2_j, var = (1 - pi)(xi + pi m m)
//   mean_rows_precomputed<R>, moment_rows_precomputed<R>   the same from stored mu and var
//   moment_cols<V>(stride, mu, var, Active<Cap>, v2, g, d2), mean_cols<V>(stride, mu, Active, out)
//                                          the same sums of 8V rows from the moment cache, mu and
//                                          var stored column by column (column j at mu + j * stride),
//                                          over the active units grouped by lane (fill_by_lane())
//   philox8(index, c1, c2, c3, seed, Blocks8&, n = 8)      8 Philox blocks (kernels/rng_batch.hpp)
//   normals(seed, step, trial, stream, count, out)  out[i] = normal(seed, Counter{i, step, trial,
//                                          stream}) for i in [0, count)
//   sampled_row<Cap>(pi, m, xi, Active<Cap>, first, step, trial, stream, seed)
//                                          sum_j w_j v_j with w_j drawn from paper eq. 3
//   SpikeWords<Cap>                        its scratch for spike_moment_rows (may be empty)
//   spike_moment_rows<Cap, R>(...)         SampledPerStep: the slab sums of the drawn spikes
// for R consecutive rows of a row-major layer (row r starts at pi + r * cols) and R in 1..4.
// Adding a backend (e.g. Helium on a Cortex-M55) is a new file kernels/<name>.hpp with these
// members and one more branch of the selection below; nothing else changes.
#pragma once

#include <cstdint>

#include "sasrnn/dynamics.hpp"
#include "sasrnn/kernels/order.hpp"
#include "sasrnn/kernels/portable.hpp"
#include "sasrnn/kernels/rng_batch.hpp"
#include "sasrnn/rng.hpp"

// The selection point.
#if defined(__AVX2__) && !defined(SASRNN_NO_SIMD)
#include "sasrnn/kernels/avx2.hpp"
namespace sasrnn::kernel {
namespace backend = avx2;
}
#else
namespace sasrnn::kernel {
namespace backend = portable;
}
#endif

namespace sasrnn::kernel {

/// The name of the selected backend ("avx2", "portable").
constexpr const char* kBackendName = backend::kName;
/// True when the selected backend uses SIMD (else the portable loops).
constexpr bool kSimd = backend::kSimd;

using backend::mean_cols;
using backend::mean_rows;
using backend::mean_rows_precomputed;
using backend::moment_cols;
using backend::moment_rows;
using backend::moment_rows_precomputed;
using backend::normals;
using backend::philox8;
using backend::sampled_row;
using backend::spike_moment_rows;
template <int Cap>
using SpikeWords = backend::SpikeWords<Cap>;

/// One row of mean_rows().
inline float mean_row(int cols, const float* pi, const float* m, const float* v) {
  float out;
  mean_rows<1>(cols, pi, m, v, &out);
  return out;
}


/// A concrete row (paper eq. 3) for a trial cache: the weights sampled_row() draws, every column
/// (rng_batch.hpp, draw_row_with()).
inline void draw_row(int cols, const float* pi, const float* m, const float* xi, uint32_t first,
                     uint32_t step, uint32_t trial, uint32_t stream, uint64_t seed, float* w) {
  draw_row_with([](const uint32_t* index, uint32_t c1, uint32_t c2, uint32_t c3, uint64_t s,
                   Blocks8& b, int n) { backend::philox8(index, c1, c2, c3, s, b, n); },
                cols, pi, m, xi, first, step, trial, stream, seed, w);
}

}  // namespace sasrnn::kernel
