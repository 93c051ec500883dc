// Counter-based RNG: known answers, purity, order independence, distribution of normals.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sasrnn/rng.hpp"
#include "support.hpp"

using namespace sasrnn;

// Random123 kat_vectors for Philox4x32-10 (Salmon et al. 2011).
TEST(Philox, KnownAnswerVectors) {
  Block a = philox4x32_10(0, 0, 0, 0, 0, 0);
  EXPECT_EQ(a.w[0], 0x6627e8d5u);
  EXPECT_EQ(a.w[1], 0xe169c58du);
  EXPECT_EQ(a.w[2], 0xbc57ac4cu);
  EXPECT_EQ(a.w[3], 0x9b00dbd8u);
  Block b = philox4x32_10(~0u, ~0u, ~0u, ~0u, ~0u, ~0u);
  EXPECT_EQ(b.w[0], 0x408f276du);
  EXPECT_EQ(b.w[1], 0x41c83b0eu);
  EXPECT_EQ(b.w[2], 0xa20bc7c6u);
  EXPECT_EQ(b.w[3], 0x6d5451fdu);
  Block c = philox4x32_10(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u);
  EXPECT_EQ(c.w[0], 0xd16cfe09u);
  EXPECT_EQ(c.w[1], 0x94fdccebu);
  EXPECT_EQ(c.w[2], 0x5001e420u);
  EXPECT_EQ(c.w[3], 0x24126ea1u);
}

// The counter layout is part of the model-run contract: (index, step, trial, stream), key = seed.
TEST(Philox, CounterLayout) {
  const uint64_t seed = 0x0123456789abcdefull;
  const Block viaCounter = random_block(seed, Counter{7, 11, 13, 2});
  const Block raw = philox4x32_10(7, 11, 13, 2, 0x89abcdefu, 0x01234567u);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(viaCounter.w[k], raw.w[k]);
}

// Pinned golden values: the normal and SaS draws of fixed counters. A change here breaks the
// host = MCU and run-to-run reproducibility contract; update only with a format/contract change.
TEST(Rng, PinnedGoldenVector) {
  const uint64_t seed = 42;
  const float expected_normals[8] = {-0x1.6eca1cp-1f, -0x1.d2bb7cp+0f, 0x1.386e9p-2f, 0x1.67a128p-3f, -0x1.7eb108p+0f, 0x1.817e58p+0f, 0x1.15169ap+0f, -0x1.5e35f6p-1f};
  for (uint32_t i = 0; i < 8; ++i) {
    const float z = normal(seed, Counter{i, 3, 5, static_cast<uint32_t>(Stream::MeanFieldU)});
    EXPECT_EQ(z, expected_normals[i]) << "index " << i;
  }
  const float expected_sas[8] = {0x1.aae51ep-2f, 0x1.0eaebp-2f, 0x0p+0f, -0x1.49c0ap-6f, 0x1.40b696p-2f, 0x0p+0f, 0x1.c1ae34p-4f, 0x1.a59242p-3f};
  for (uint32_t i = 0; i < 8; ++i) {
    const float w = sas_sample(seed, Counter{i, 0, 1, static_cast<uint32_t>(Stream::RecurrentWeight)},
                               0.25f, 0.25f, 0.1f);
    EXPECT_EQ(w, expected_sas[i]) << "index " << i;
  }
}

TEST(Rng, SameInputsSameValueWhateverTheLoopOrder) {
  const uint64_t seed = 9;
  const uint32_t n = 40;
  std::vector<float> forward(n * n), backward(n * n, 99.0f);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j)
      forward[i * n + j] = normal(seed, Counter{i * n + j, 17, 3, 1});
  // reversed, column-major, and skipping every third entry
  for (uint32_t j = n; j-- > 0;)
    for (uint32_t i = n; i-- > 0;)
      if ((i + j) % 3 != 0) backward[i * n + j] = normal(seed, Counter{i * n + j, 17, 3, 1});
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j)
      if ((i + j) % 3 != 0) {
        EXPECT_EQ(forward[i * n + j], backward[i * n + j]);
      }
}

TEST(Rng, DifferentCounterFieldsGiveDifferentStreams) {
  const float base = normal(1, Counter{0, 0, 0, 1});
  EXPECT_NE(base, normal(2, Counter{0, 0, 0, 1}));
  EXPECT_NE(base, normal(1, Counter{1, 0, 0, 1}));
  EXPECT_NE(base, normal(1, Counter{0, 1, 0, 1}));
  EXPECT_NE(base, normal(1, Counter{0, 0, 1, 1}));
  EXPECT_NE(base, normal(1, Counter{0, 0, 0, 2}));
}

TEST(Rng, UniformIsInUnitInterval) {
  EXPECT_EQ(uniform01(0u), 0.0f);
  EXPECT_LT(uniform01(~0u), 1.0f);
  EXPECT_GT(uniform_open0(0u), 0.0f);
  EXPECT_EQ(uniform_open0(~0u), 1.0f);
}

// Normal variates: mean 0, variance 1, skewness 0, kurtosis 3 and the KS statistic, with
// tolerances from the sample size (5 standard errors; KS at significance 0.001).
TEST(Rng, ZigguratIsStandardNormal) {
  const size_t n = 400000;
  std::vector<double> z(n);
  double s1 = 0, s2 = 0, s3 = 0, s4 = 0, tail = 0;
  for (size_t k = 0; k < n; ++k) {
    z[k] = normal(2024, Counter{static_cast<uint32_t>(k), 0, 0, 4});
    s1 += z[k];
    s2 += z[k] * z[k];
    s3 += z[k] * z[k] * z[k];
    s4 += z[k] * z[k] * z[k] * z[k];
    tail += std::fabs(z[k]) > 3.442619855899;
  }
  const double dn = static_cast<double>(n);
  EXPECT_NEAR(s1 / dn, 0.0, 5.0 / std::sqrt(dn));                  // se 1/sqrt(n)
  EXPECT_NEAR(s2 / dn, 1.0, 5.0 * std::sqrt(2.0 / dn));            // se sqrt(2/n)
  EXPECT_NEAR(s3 / dn, 0.0, 5.0 * std::sqrt(15.0 / dn));           // se sqrt(15/n)
  EXPECT_NEAR(s4 / dn, 3.0, 5.0 * std::sqrt(96.0 / dn));           // se sqrt(96/n)
  // the ziggurat's tail branch: P(|z| > r) = 2 (1 - Phi(r)) = 5.76e-4
  const double p_tail = 2.0 * (1.0 - test::normal_cdf(3.442619855899));
  EXPECT_NEAR(tail / dn, p_tail, 5.0 * std::sqrt(p_tail / dn));
  EXPECT_LT(test::ks_statistic(z, test::normal_cdf), test::ks_critical_001(n));
}

TEST(DetMath, ExpMatchesLibmToFloatPrecision) {
  for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
    const double ref = std::exp(static_cast<double>(x));
    EXPECT_NEAR(det_exp(x) / ref, 1.0, 4e-7) << x;
  }
  for (float x = -103.4f; x < -87.0f; x += 0.1f)
    EXPECT_NEAR(det_exp(x), std::exp(static_cast<double>(x)), 3e-45) << x;
  EXPECT_EQ(det_exp(0.0f), 1.0f);
  EXPECT_EQ(det_exp(-200.0f), 0.0f);
  EXPECT_TRUE(std::isinf(det_exp(100.0f)));
}

TEST(DetMath, LogMatchesLibmToFloatPrecision) {
  for (float x = 1e-38f; x < 1e38f; x *= 1.0371f) {
    const double ref = std::log(static_cast<double>(x));
    EXPECT_NEAR(det_log(x), ref, 4e-7 * std::max(1.0, std::fabs(ref))) << x;
  }
  for (float x = 0.5f; x <= 2.0f; x += 1e-4f) {
    const double ref = std::log(static_cast<double>(x));
    EXPECT_NEAR(det_log(x), ref, 2e-7) << x;
  }
  EXPECT_EQ(det_log(1.0f), 0.0f);
  EXPECT_NEAR(det_log(1e-45f), std::log(1.4012984643e-45), 1e-5);  // subnormal
  EXPECT_TRUE(std::isinf(det_log(0.0f)));
  EXPECT_TRUE(std::isnan(det_log(-1.0f)));
}
