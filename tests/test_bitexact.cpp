// The optimised runtime (network.hpp, kernels.hpp) equals the straightforward reference
// (reference_network.hpp) bit for bit: every mode, noise on and off, every readout, many seeds,
// trials and steps, sizes with and without a remainder of 8 columns, and every connection class.
// Built twice: with the AVX2 kernels (test_bitexact) and with the portable loops that a
// Cortex-M runs (test_bitexact_portable, -DSASRNN_NO_SIMD).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "reference_network.hpp"
#include "sasrnn/bench/models.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/msi.hpp"
#include "sasrnn/network.hpp"
#include "support.hpp"

using namespace sasrnn;

namespace {

using test::bits;
using test::kModes;

/// Inputs of step t of a trial: the MSI stimulus most of the time, sometimes arbitrary values
/// with exact zeros and negative entries (so the input layer's skip paths run too).
template <int NIn>
std::vector<float> input_at(uint32_t trial, int t, const msi::Stimulus& stim, std::mt19937& gen) {
  std::vector<float> x(NIn, 0.0f);
  if (NIn == msi::kInputs && trial % 3 != 2) {
    stim.input(t, x.data());
    return x;
  }
  std::uniform_real_distribution<float> u(-1.0f, 1.5f);
  for (float& v : x) v = gen() % 4 == 0 ? 0.0f : u(gen);
  return x;
}

/// The any-size network the host tools use: it must run every model bit for bit as the
/// Network of the model's sizes.
using AnyNet = NetworkUpTo<160, 16, 12>;

/// Runs net, the any-size net and the reference side by side and compares h, r, z and y bitwise
/// after every step. Returns the number of compared steps.
template <int N, int NIn, int NOut>
int compare(const conv::ModelData& d, Mode mode, uint64_t seed, bool noise, float alpha,
            uint32_t trials, int steps, const std::string& what, bool cache = false) {
  // cache: the trial network (SampledPerTrial) or the moments (MeanField, MeanWeights) in a
  // caller-owned cache, filled with garbage first
  const test::BuiltModel<N, NIn, NOut> model(d);
  EXPECT_EQ(model.status, Status::Ok);
  const ModelView& view = model.view;
  const Options opt = test::run_options(mode, seed, noise, alpha);
  Network<N, NIn, NOut> net;
  EXPECT_EQ(net.bind(view, opt), Status::Ok);
  std::vector<float> trial_cache(Network<N, NIn, NOut>::kTrialCacheFloats, -1.0f);
  std::vector<float> moment_cache(Network<N, NIn, NOut>::kMomentCacheFloats, -1.0f);
  if (cache) {
    EXPECT_EQ(net.use_trial_cache(trial_cache.data(), trial_cache.size()), Status::Ok);
    EXPECT_EQ(net.use_moment_cache(moment_cache.data(), moment_cache.size()), Status::Ok);
  }
  AnyNet any;
  EXPECT_EQ(any.bind(view, opt), Status::Ok);
  EXPECT_EQ(any.n_units(), N);
  EXPECT_EQ(any.trial_cache_floats(), (Network<N, NIn, NOut>::kTrialCacheFloats));
  std::vector<float> any_cache(any.trial_cache_floats(), -2.0f);
  EXPECT_EQ(any.moment_cache_floats(), (Network<N, NIn, NOut>::kMomentCacheFloats));
  std::vector<float> any_moments(any.moment_cache_floats(), -2.0f);
  if (cache) {
    EXPECT_EQ(any.use_trial_cache(any_cache.data(), any_cache.size()), Status::Ok);
    // before bind(): filled by bind()
    AnyNet fresh;
    EXPECT_EQ(fresh.use_moment_cache(any_moments.data(), any_moments.size()), Status::Ok);
    EXPECT_EQ(fresh.bind(view, opt), Status::Ok);
    any = fresh;  // a copy has no cache
    EXPECT_EQ(any.use_moment_cache(any_moments.data(), any_moments.size()), Status::Ok);
  }
  test::ReferenceNetwork ref(view, opt);
  std::mt19937 gen(static_cast<uint32_t>(seed * 7919u + static_cast<uint32_t>(mode)));
  const msi::Protocol protocol = msi::Protocol::test(20.0f);
  int compared = 0;
  for (uint32_t trial = 0; trial < trials; ++trial) {
    const uint32_t trial_id = trial * 977u + 3u;
    if (trial % 2 == 1) {  // start from a given h(0) with silent and active units
      std::vector<float> h0(N);
      typename Network<N, NIn, NOut>::State s;
      std::normal_distribution<float> g(0.0f, 0.5f);
      for (int i = 0; i < N; ++i) s[i] = h0[static_cast<size_t>(i)] = g(gen);
      EXPECT_EQ(net.reset(trial_id, s), Status::Ok);
      EXPECT_EQ(any.reset(trial_id, AnyNet::State(s)), Status::Ok);
      ref.reset(trial_id, h0);
    } else {
      net.reset(trial_id);
      any.reset(trial_id);
      ref.reset(trial_id);
    }
    const msi::Stimulus stim(protocol, msi::evaluation_trial(trial % 24, 1));
    for (int t = 0; t < steps; ++t) {
      const std::vector<float> x = input_at<NIn>(trial, t, stim, gen);
      typename Network<N, NIn, NOut>::Input xin;
      for (int j = 0; j < NIn; ++j) xin[j] = x[static_cast<size_t>(j)];
      EXPECT_EQ(net.step(xin), Status::Ok);
      EXPECT_EQ(any.step(AnyNet::Input(xin)), Status::Ok);
      ref.step(x);
      for (int i = 0; i < N; ++i)
        if (bits(net.state()[i]) != bits(any.state()[i])) {
          ADD_FAILURE() << what << " mode " << mode_name(mode) << " seed " << seed << " trial "
                        << trial_id << " step " << t << ": any-size h[" << i << "] "
                        << any.state()[i] << " != " << net.state()[i];
          return compared;
        }
      for (int k = 0; k < NOut; ++k) {
        EXPECT_EQ(bits(net.z()[k]), bits(any.z()[k]));
        EXPECT_EQ(bits(net.output()[k]), bits(any.output()[k]));
      }
      for (int i = 0; i < N; ++i) {
        if (bits(net.state()[i]) != bits(ref.state()[static_cast<size_t>(i)])) {
          ADD_FAILURE() << what << " mode " << mode_name(mode) << " seed " << seed << " trial "
                        << trial_id << " step " << t << ": h[" << i << "] " << net.state()[i]
                        << " != reference " << ref.state()[static_cast<size_t>(i)];
          return compared;
        }
        EXPECT_EQ(bits(net.rates()[i]), bits(ref.rates()[static_cast<size_t>(i)]));
      }
      for (int k = 0; k < NOut; ++k) {
        if (bits(net.z()[k]) != bits(ref.z()[static_cast<size_t>(k)]) ||
            bits(net.output()[k]) != bits(ref.output()[static_cast<size_t>(k)])) {
          ADD_FAILURE() << what << " mode " << mode_name(mode) << " seed " << seed << " trial "
                        << trial_id << " step " << t << ": z/y[" << k << "] differ";
          return compared;
        }
      }
      ++compared;
    }
    // the pre-activation of the next step, too
    typename Network<N, NIn, NOut>::State u;
    typename Network<N, NIn, NOut>::Input xin;
    for (int j = 0; j < NIn; ++j) xin[j] = 0.3f + 0.1f * static_cast<float>(j);
    EXPECT_EQ(net.preactivation(xin, u), Status::Ok);
    typename Network<N, NIn, NOut>::State u2;
    EXPECT_EQ(net.preactivation(xin, u2), Status::Ok);
    for (int i = 0; i < N; ++i) EXPECT_EQ(bits(u[i]), bits(u2[i]));
  }
  return compared;
}

template <int N, int NIn, int NOut>
void all_modes(const conv::ModelData& d, const std::string& what, uint32_t trials, int steps) {
  int compared = 0;
  for (Mode mode : kModes)
    for (uint64_t seed : {uint64_t{1}, uint64_t{0x9E3779B97F4A7C15ull}})
      for (bool noise : {true, false})
        compared += compare<N, NIn, NOut>(d, mode, seed, noise, noise ? 0.0f : 0.05f, trials,
                                          steps, what);
  // SampledPerTrial with the trial network kept in a cache (Network::use_trial_cache),
  // MeanField and MeanWeights with the moments in one (Network::use_moment_cache)
  for (Mode mode : {Mode::SampledPerTrial, Mode::MeanField, Mode::MeanWeights})
    for (uint64_t seed : {uint64_t{1}, uint64_t{0x9E3779B97F4A7C15ull}})
      compared += compare<N, NIn, NOut>(d, mode, seed, true, 0.0f, trials, steps,
                                        what + " (cache)", true);
  EXPECT_EQ(compared, (4 * 2 * 2 + 6) * static_cast<int>(trials) * steps) << what;
}

/// The model with precomputed moments (mu, var) in every layer: the network reads them in
/// MeanField and MeanWeights. Checks that they are really there.
conv::ModelData with_moments(const conv::ModelData& d) {
  conv::ModelData m = conv::with_encoding(d, conv::encoding_preset("dense-moments"));
  const conv::AlignedBuffer buf = conv::build_model_file(m);
  ModelView view;
  EXPECT_EQ(load(buf.data(), buf.size(), view), Status::Ok);
  EXPECT_TRUE(view.input.has_moments() && view.recurrent.has_moments() && view.output.has_moments());
  return m;
}

/// Runs the model with and without precomputed moments side by side, every mode: h, r, z and y
/// equal bit for bit after every step.
template <int N, int NIn, int NOut>
void moments_equal_plain(const conv::ModelData& d, const std::string& what, int steps) {
  const conv::AlignedBuffer plain = conv::build_model_file(d);
  const conv::AlignedBuffer with = conv::build_model_file(with_moments(d));
  ModelView vp, vm;
  ASSERT_EQ((load<N, NIn, NOut>(plain.data(), plain.size(), vp)), Status::Ok);
  ASSERT_EQ((load<N, NIn, NOut>(with.data(), with.size(), vm)), Status::Ok);
  ASSERT_FALSE(vp.recurrent.has_moments());
  ASSERT_TRUE(vm.recurrent.has_moments());
  for (Mode mode : kModes) {
    Options opt;
    opt.mode = mode;
    opt.seed = 77;
    Network<N, NIn, NOut> a, b;
    ASSERT_EQ(a.bind(vp, opt), Status::Ok);
    ASSERT_EQ(b.bind(vm, opt), Status::Ok);
    std::mt19937 gen(5);
    std::uniform_real_distribution<float> u(-1.0f, 1.5f);
    for (uint32_t trial = 0; trial < 3; ++trial) {
      a.reset(trial);
      b.reset(trial);
      for (int t = 0; t < steps; ++t) {
        typename Network<N, NIn, NOut>::Input x;
        for (int j = 0; j < NIn; ++j) x[j] = gen() % 4 == 0 ? 0.0f : u(gen);
        ASSERT_EQ(a.step(x), Status::Ok);
        ASSERT_EQ(b.step(x), Status::Ok);
        for (int i = 0; i < N; ++i)
          ASSERT_EQ(bits(a.state()[i]), bits(b.state()[i]))
              << what << " " << mode_name(mode) << " trial " << trial << " step " << t << " h[" << i << "]";
        for (int k = 0; k < NOut; ++k) {
          ASSERT_EQ(bits(a.z()[k]), bits(b.z()[k])) << what << " " << mode_name(mode) << " step " << t;
          ASSERT_EQ(bits(a.output()[k]), bits(b.output()[k])) << what << " " << mode_name(mode);
        }
      }
    }
  }
}

}  // namespace

TEST(BitExact, KernelsAreTheOnesExpected) {
#if defined(SASRNN_NO_SIMD)
  EXPECT_FALSE(kernel::kSimd);
#else
  RecordProperty("simd", kernel::kBackendName);
#endif
}

TEST(BitExact, Philox8EqualsRandomBlock) {
  kernel::Blocks8 b;
  const uint32_t index[8] = {0u, 1u, 7u, 149u, 22499u, 0xFFFFFFFFu, 123456u, 42u};
  for (uint64_t seed : {uint64_t{0}, uint64_t{1}, uint64_t{0xDEADBEEFCAFEF00Dull}}) {
    kernel::philox8(index, 17u, 5u, 1u, seed, b);
    for (int l = 0; l < 8; ++l) {
      const Block r = random_block(seed, Counter{index[l], 17u, 5u, 1u});
      for (int k = 0; k < 4; ++k) EXPECT_EQ(b.w[k][l], r.w[k]) << "lane " << l << " word " << k;
    }
  }
}

TEST(BitExact, BatchedNormalsEqualNormal) {
  float out[301];
  for (uint64_t seed : {uint64_t{3}, uint64_t{99}})
    for (uint32_t step : {0u, 1u, 500u, kTrialStep}) {
      kernel::normals(seed, step, 7u, 4u, 301, out);
      for (uint32_t i = 0; i < 301; ++i)
        EXPECT_EQ(bits(out[i]), bits(normal(seed, Counter{i, step, 7u, 4u}))) << i;
    }
}

TEST(BitExact, MixedClassesOddSize) {
  all_modes<13, 5, 2>(test::mixed_model(13, 5, 2, 21), "mixed N=13", 6, 40);
  // the moment cache's last block of rows in every width: 30 rows (4 vectors), 37 = 32 + 5 (1)
  all_modes<30, 5, 2>(test::mixed_model(30, 5, 2, 41), "mixed N=30", 3, 30);
  all_modes<37, 5, 2>(test::mixed_model(37, 5, 2, 43), "mixed N=37", 3, 30);
}

TEST(BitExact, MixedClassesSoftmaxAndArgmax) {
  conv::ModelData d = test::mixed_model(24, 3, 4, 8);
  d.dynamics.readout = Readout::Softmax;
  all_modes<24, 3, 4>(d, "softmax N=24", 4, 30);
  d.dynamics.readout = Readout::Argmax;
  all_modes<24, 3, 4>(d, "argmax N=24", 4, 30);
}

TEST(BitExact, TenOutputsAndOddInputs) {  // output rows in groups 0-3, 4-7 and a tail 8-9
  all_modes<21, 7, 10>(test::mixed_model(21, 7, 10, 31), "mixed N=21 NIn=7 NOut=10", 4, 30);
}

TEST(BitExact, MixedClassesN64) {
  all_modes<64, 5, 2>(test::mixed_model(64, 5, 2, 5), "mixed N=64", 4, 60);
}

TEST(BitExact, TrainedLikeN150) {
  all_modes<150, 5, 2>(bench::msi_like_model(150, 4), "msi-like N=150", 4, 90);
}

TEST(BitExact, ShippedModel) {
  const std::string path = std::string(SASRNN_SOURCE_DIR) + "/models/msi_n150.sasrnn";
  conv::ModelData d;
  try {
    const conv::AlignedBuffer buf = conv::read_file(path);
    d = conv::read_model(buf.data(), buf.size());
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no shipped model: " << e.what();
  }
  all_modes<150, 5, 2>(d, "shipped N=150", 3, 90);
  all_modes<32, 5, 2>(bench::msi_like_model(32, 9, &d), "resampled N=32", 4, 90);
}

// Precomputed moments (format version 2, `--encoding dense-moments`): MeanField and MeanWeights
// read mu and var instead of pi, m, xi and must give the same results bit for bit, against the
// reference and against the same model without moments; the sampled modes are unchanged.
TEST(BitExact, PrecomputedMomentsOddSizes) {
  const conv::ModelData d13 = test::mixed_model(13, 5, 2, 21);
  all_modes<13, 5, 2>(with_moments(d13), "moments mixed N=13", 6, 40);
  moments_equal_plain<13, 5, 2>(d13, "moments mixed N=13", 40);
  conv::ModelData d24 = test::mixed_model(24, 3, 4, 8);
  d24.dynamics.readout = Readout::Softmax;
  all_modes<24, 3, 4>(with_moments(d24), "moments softmax N=24", 4, 30);
  moments_equal_plain<24, 3, 4>(d24, "moments softmax N=24", 30);
  const conv::ModelData d64 = test::mixed_model(64, 5, 2, 5);
  all_modes<64, 5, 2>(with_moments(d64), "moments mixed N=64", 4, 60);
  moments_equal_plain<64, 5, 2>(d64, "moments mixed N=64", 60);
}

TEST(BitExact, PrecomputedMomentsN150) {
  const conv::ModelData d = bench::msi_like_model(150, 4);
  all_modes<150, 5, 2>(with_moments(d), "moments msi-like N=150", 4, 90);
  moments_equal_plain<150, 5, 2>(d, "moments msi-like N=150", 90);
  const std::string path = std::string(SASRNN_SOURCE_DIR) + "/models/msi_n150.sasrnn";
  conv::ModelData shipped;
  try {
    const conv::AlignedBuffer buf = conv::read_file(path);
    shipped = conv::read_model(buf.data(), buf.size());
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no shipped model: " << e.what();
  }
  all_modes<150, 5, 2>(with_moments(shipped), "moments shipped N=150", 3, 90);
  moments_equal_plain<150, 5, 2>(shipped, "moments shipped N=150", 90);
}
