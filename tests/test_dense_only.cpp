// The runtime built for small firmware with -DSASRNN_NO_SPARSE -DSASRNN_NO_MOMENTS: dense models
// load and run as in the full build; sparse models and models with precomputed moments are
// refused with Status::EncodingNotBuilt (never misread). This binary links no other sasrnn code
// (the options must be alike in every translation unit of a program): it reads the model files
// that make_test_models writes with the full build.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "sasrnn/msi.hpp"
#include "sasrnn/network.hpp"

using namespace sasrnn;

static_assert(!kSparseBuilt && !kMomentsBuilt && !kTrialCacheBuilt && !kMomentCacheBuilt,
              "build this test with SASRNN_NO_SPARSE, SASRNN_NO_MOMENTS, SASRNN_NO_TRIAL_CACHE and "
              "SASRNN_NO_MOMENT_CACHE");

namespace {

struct File {
  std::unique_ptr<uint8_t, decltype(&std::free)> data{nullptr, &std::free};
  size_t size = 0;
};

File read(const std::string& name) {
  std::ifstream in(std::string(SASRNN_CLI_MODELS) + "/" + name, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  File f;
  f.size = bytes.size();
  f.data.reset(static_cast<uint8_t*>(std::aligned_alloc(16, (bytes.size() + 15) / 16 * 16)));
  std::copy(bytes.begin(), bytes.end(), f.data.get());
  return f;
}

}  // namespace

TEST(DenseOnly, DenseModelsRunInEveryMode) {
  const File f = read("good.sasrnn");
  ASSERT_GT(f.size, 1000u);
  ModelView v;
  ASSERT_EQ((load<30, 5, 2>(f.data.get(), f.size, v)), Status::Ok);
  const msi::Stimulus stim(msi::Protocol::test(20.0f), msi::evaluation_trial(5, 1));
  for (Mode mode : {Mode::MeanField, Mode::SampledPerStep, Mode::SampledPerTrial, Mode::MeanWeights}) {
    Network<30, 5, 2> net;
    Options opt;
    opt.mode = mode;
    opt.seed = 3;
    ASSERT_EQ(net.bind(v, opt), Status::Ok);
    Network<30, 5, 2>::Input x;
    float sum = 0.0f;
    for (int t = 0; t < stim.steps(); ++t) {
      stim.input(t, x.data());
      ASSERT_EQ(net.step(x), Status::Ok);
      sum += std::abs(net.output()[0]) + std::abs(net.output()[1]);
    }
    EXPECT_TRUE(std::isfinite(sum)) << mode_name(mode);
    EXPECT_GT(sum, 0.0f) << mode_name(mode);
  }
}

TEST(DenseOnly, SparseAndMomentModelsAreRefused) {
  for (const char* name : {"fixture_compact.sasrnn", "fixture_dense-moments.sasrnn"}) {
    const File f = read(name);
    ASSERT_GT(f.size, 100u) << name;
    ModelView v;
    EXPECT_EQ(load(f.data.get(), f.size, v), Status::EncodingNotBuilt) << name;
    EXPECT_EQ(v.n, 0u);  // nothing half-filled
  }
}

TEST(DenseOnly, MomentCacheIsRefusedAndNothingIsWritten) {
  const File f = read("good.sasrnn");
  ModelView v;
  ASSERT_EQ((load<30, 5, 2>(f.data.get(), f.size, v)), Status::Ok);
  Network<30, 5, 2> net;
  ASSERT_EQ(net.bind(v, Options{}), Status::Ok);
  std::vector<float> cache(Network<30, 5, 2>::kMomentCacheFloats, 5.0f);
  EXPECT_EQ(net.use_moment_cache(cache.data(), cache.size()), Status::BadOption);
  EXPECT_EQ(net.use_moment_cache(nullptr, 0), Status::Ok);
  ASSERT_EQ(net.bind(v, Options{}), Status::Ok);
  ASSERT_EQ(net.step(Network<30, 5, 2>::Input::Constant(0.5f)), Status::Ok);
  for (float c : cache) ASSERT_EQ(c, 5.0f);
}

TEST(DenseOnly, TrialCacheIsRefusedAndNothingIsWritten) {
  const File f = read("good.sasrnn");
  ModelView v;
  ASSERT_EQ((load<30, 5, 2>(f.data.get(), f.size, v)), Status::Ok);
  Network<30, 5, 2> net;
  Options opt;
  opt.mode = Mode::SampledPerTrial;
  ASSERT_EQ(net.bind(v, opt), Status::Ok);
  std::vector<float> cache(Network<30, 5, 2>::kTrialCacheFloats, 5.0f);
  EXPECT_EQ(net.use_trial_cache(cache.data(), cache.size()), Status::BadOption);
  EXPECT_EQ(net.use_trial_cache(nullptr, 0), Status::Ok);  // "no cache" is always fine
  net.reset(3);
  Network<30, 5, 2>::Input x = Network<30, 5, 2>::Input::Constant(0.5f);
  ASSERT_EQ(net.step(x), Status::Ok);
  for (float c : cache) ASSERT_EQ(c, 5.0f);
}
