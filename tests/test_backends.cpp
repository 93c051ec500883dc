// The selected kernel backend (kernels.hpp: AVX2 on this host, or whatever a new backend file
// adds) equals the portable loops (kernels/portable.hpp, what a Cortex-M runs) bit for bit,
// function by function: every row kernel for R = 1..4 rows, row lengths with and without a
// remainder of 8, presynaptic values with exact zeros, pi with exact 0 and 1, xi with exact 0, and
// the batched Philox blocks. test_bitexact checks the whole network against a reference; this
// test names the kernel that differs when a backend is wrong.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "sasrnn/kernels.hpp"
#include "support.hpp"

using namespace sasrnn;
using test::bits;

namespace {

constexpr int kCap = 160;

/// A random layer of 4 rows of `cols` columns with the edge values of every kernel.
struct Rows {
  std::vector<float> pi, m, xi, mu, var, v, v2;
  Rows(int cols, uint32_t seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f), s(-1.0f, 1.0f);
    for (int k = 0; k < 4 * cols; ++k) {
      const uint32_t c = gen() % 8;
      pi.push_back(c == 0 ? 0.0f : c == 1 ? 1.0f : u(gen));
      m.push_back(s(gen));
      xi.push_back(c == 2 ? 0.0f : 0.1f * u(gen));
      mu.push_back(dyn::sas_mean(pi.back(), m.back()));
      var.push_back(dyn::sas_var(pi.back(), m.back(), xi.back()));
    }
    for (int j = 0; j < cols; ++j) {
      v.push_back(gen() % 3 == 0 ? 0.0f : 2.0f * u(gen));
      v2.push_back(v.back() * v.back());
    }
  }
};

template <int R>
void compare_rows(int cols, uint32_t seed) {
  const Rows d(cols, seed);
  float a[R], b[R], c[R], e[R];
  kernel::mean_rows<R>(cols, d.pi.data(), d.m.data(), d.v.data(), a);
  kernel::portable::mean_rows<R>(cols, d.pi.data(), d.m.data(), d.v.data(), b);
  for (int r = 0; r < R; ++r) EXPECT_EQ(bits(a[r]), bits(b[r])) << "mean_rows R=" << R << " cols=" << cols;
  kernel::mean_rows_precomputed<R>(cols, d.mu.data(), d.v.data(), a);
  for (int r = 0; r < R; ++r) EXPECT_EQ(bits(a[r]), bits(b[r])) << "mean_rows_precomputed";
  kernel::moment_rows<R>(cols, d.pi.data(), d.m.data(), d.xi.data(), d.v.data(), d.v2.data(), a, c);
  kernel::portable::moment_rows<R>(cols, d.pi.data(), d.m.data(), d.xi.data(), d.v.data(),
                                   d.v2.data(), b, e);
  for (int r = 0; r < R; ++r) {
    EXPECT_EQ(bits(a[r]), bits(b[r])) << "moment_rows g R=" << R << " cols=" << cols;
    EXPECT_EQ(bits(c[r]), bits(e[r])) << "moment_rows d2 R=" << R << " cols=" << cols;
  }
  kernel::moment_rows_precomputed<R>(cols, d.mu.data(), d.var.data(), d.v.data(), d.v2.data(), a, c);
  for (int r = 0; r < R; ++r) {
    EXPECT_EQ(bits(a[r]), bits(b[r])) << "moment_rows_precomputed g";
    EXPECT_EQ(bits(c[r]), bits(e[r])) << "moment_rows_precomputed d2";
  }
  // SampledPerStep: rows 4..4+R of a layer (second group), step 3, trial 9, stream 9
  const kernel::Active<kCap> act(d.v.data(), cols);
  kernel::SpikeWords<kCap> words;
  kernel::portable::SpikeWords<kCap> none;
  for (uint32_t row : {0u, 4u}) {
    kernel::spike_moment_rows<kCap, R>(cols, d.pi.data(), d.m.data(), d.xi.data(), row, act,
                                       d.v.data(), d.v2.data(), 3u, 9u, 9u, seed, words, a, c);
    kernel::portable::spike_moment_rows<kCap, R>(cols, d.pi.data(), d.m.data(), d.xi.data(), row,
                                                 act, d.v.data(), d.v2.data(), 3u, 9u, 9u, seed,
                                                 none, b, e);
    for (int r = 0; r < R; ++r) {
      EXPECT_EQ(bits(a[r]), bits(b[r])) << "spike_moment_rows g R=" << R << " cols=" << cols;
      EXPECT_EQ(bits(c[r]), bits(e[r])) << "spike_moment_rows d2 R=" << R << " cols=" << cols;
    }
  }
}

}  // namespace

TEST(Backends, RowKernelsEqualPortable) {
  RecordProperty("backend", kernel::kBackendName);
  for (int cols : {1, 5, 7, 8, 13, 64, 150, 157})
    for (uint32_t seed : {1u, 2u, 3u}) {
      compare_rows<1>(cols, seed);
      compare_rows<2>(cols, seed);
      compare_rows<3>(cols, seed);
      compare_rows<4>(cols, seed);
    }
}

TEST(Backends, SampledRowEqualsPortable) {
  for (int cols : {1, 7, 8, 13, 150, 157})
    for (uint32_t seed : {1u, 5u}) {
      const Rows d(cols, seed);
      const kernel::Active<kCap> act(d.v.data(), cols);
      for (uint32_t step : {0u, 17u, kTrialStep}) {
        const float a = kernel::sampled_row(d.pi.data(), d.m.data(), d.xi.data(), act, 300u, step,
                                            4u, 1u, seed);
        const float b = kernel::portable::sampled_row(d.pi.data(), d.m.data(), d.xi.data(), act,
                                                      300u, step, 4u, 1u, seed);
        EXPECT_EQ(bits(a), bits(b)) << "cols " << cols << " step " << step;
      }
    }
}

TEST(Backends, Philox8EqualsPortable) {
  const uint32_t index[8] = {0u, 1u, 7u, 149u, 22499u, 0xFFFFFFFFu, 123456u, 42u};
  for (uint64_t seed : {uint64_t{0}, uint64_t{0xDEADBEEFCAFEF00Dull}})
    for (int n = 1; n <= 8; ++n) {
      kernel::Blocks8 a{}, b{};
      kernel::philox8(index, 3u, 5u, 11u, seed, a, n);
      kernel::portable::philox8(index, 3u, 5u, 11u, seed, b, n);
      for (int l = 0; l < n; ++l)
        for (int k = 0; k < 4; ++k) EXPECT_EQ(a.w[k][l], b.w[k][l]) << "lane " << l << " n " << n;
    }
}
