// The selected kernel backend (kernels.hpp: AVX2 on this host, or whatever a new backend file
// adds) equals the portable loops (kernels/portable.hpp, what a Cortex-M runs) bit for bit,
// function by function: every row kernel for R = 1..4 rows, row lengths with and without a
// remainder of 8, presynaptic values with exact zeros, pi with exact 0 and 1, xi with exact 0, and
// the batched Philox blocks. test_bitexact checks the whole network against a reference; this
// test names the kernel that differs when a backend is wrong.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <type_traits>
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

TEST(Backends, MomentColumnsEqualTheRowKernels) {
  // the moment cache's column kernels (8 V rows from mu and var stored column by column) give
  // each row's sum of moment_rows / mean_rows, in the selected backend and the portable one
  for (int cols : {1, 5, 8, 13, 150, 157})
    for (uint32_t seed : {1u, 7u}) {
      constexpr int kRows = 32;
      std::vector<Rows> groups;
      groups.reserve(kRows / 4);
      for (int k = 0; k < kRows / 4; ++k) groups.emplace_back(cols, seed + 100u * static_cast<uint32_t>(k));
      const std::vector<float>& v = groups[0].v;
      const std::vector<float>& v2 = groups[0].v2;
      constexpr size_t stride = kRows + 8;  // more than the rows: the stride is the caller's
      std::vector<float> mu(stride * static_cast<size_t>(cols), 9.0f);
      std::vector<float> var(mu.size(), 9.0f);
      float want_g[kRows], want_d2[kRows], want_mean[kRows];
      for (int i = 0; i < kRows; ++i) {
        const Rows& d = groups[static_cast<size_t>(i / 4)];
        const size_t o = static_cast<size_t>(i % 4) * static_cast<size_t>(cols);
        kernel::portable::moment_rows<1>(cols, d.pi.data() + o, d.m.data() + o, d.xi.data() + o,
                                         v.data(), v2.data(), &want_g[i], &want_d2[i]);
        kernel::portable::mean_rows<1>(cols, d.pi.data() + o, d.m.data() + o, v.data(), &want_mean[i]);
        for (int j = 0; j < cols; ++j) {
          const size_t c = static_cast<size_t>(j) * stride + static_cast<size_t>(i);
          mu[c] = d.mu[o + static_cast<size_t>(j)];
          var[c] = d.var[o + static_cast<size_t>(j)];
        }
      }
      kernel::Active<kCap> act;
      act.fill_by_lane(v.data(), cols);
      auto check = [&](auto vecs) {
        constexpr int V = decltype(vecs)::value;
        for (int i0 = 0; i0 + 8 * V <= kRows; i0 += 8) {
          float g[8 * V], d2[8 * V], mean[8 * V], pg[8 * V], pd2[8 * V], pmean[8 * V];
          kernel::moment_cols<V>(static_cast<int>(stride), mu.data() + i0, var.data() + i0, act, v2.data(), g, d2);
          kernel::mean_cols<V>(static_cast<int>(stride), mu.data() + i0, act, mean);
          kernel::portable::moment_cols<V>(static_cast<int>(stride), mu.data() + i0, var.data() + i0, act, v2.data(), pg, pd2);
          kernel::portable::mean_cols<V>(static_cast<int>(stride), mu.data() + i0, act, pmean);
          for (int q = 0; q < 8 * V; ++q) {
            const int i = i0 + q;
            EXPECT_EQ(bits(g[q]), bits(want_g[i])) << "moment_cols g V=" << V << " cols=" << cols << " row " << i;
            EXPECT_EQ(bits(d2[q]), bits(want_d2[i])) << "moment_cols d2 V=" << V << " cols=" << cols << " row " << i;
            EXPECT_EQ(bits(mean[q]), bits(want_mean[i])) << "mean_cols V=" << V << " cols=" << cols;
            EXPECT_EQ(bits(pg[q]), bits(want_g[i])) << "portable moment_cols g V=" << V;
            EXPECT_EQ(bits(pd2[q]), bits(want_d2[i])) << "portable moment_cols d2 V=" << V;
            EXPECT_EQ(bits(pmean[q]), bits(want_mean[i])) << "portable mean_cols V=" << V;
          }
        }
      };
      check(std::integral_constant<int, 1>{});
      check(std::integral_constant<int, 2>{});
      check(std::integral_constant<int, 3>{});
      check(std::integral_constant<int, 4>{});
    }
}
