// BatchNetwork (batch.hpp) advances B trials together, each bit for bit the Network run of the
// same options and trial index: MeanField and MeanWeights, noise on and off, every readout, dense
// layers with and without stored moments, sizes with and without a remainder of 8 columns, trials
// in any order of lanes, inputs with exact zeros; BatchNetworkUpTo (sizes read at bind) alike,
// and with a moment cache (columns silent in every trial skipped; sparse layers too). Built twice, like test_bitexact: with the AVX2
// kernels of the single-trial network (test_batch) and with the portable loops (test_batch_portable).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sasrnn/batch.hpp"
#include "sasrnn/converter/compact.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/network.hpp"
#include "support.hpp"

using namespace sasrnn;
using test::bits;

namespace {

/// Runs B trials in a BatchNetwork (without and with a moment cache) and each alone in a
/// Network, with random inputs (a quarter of them exactly 0, and input 0 of every trial 0 in
/// every other step: a column silent in the whole batch), and compares h, r, z and y bitwise
/// after every step. `sparse`: the model's layers are sparse, which only the cached batch runs
/// (the others run its decoded dense model `dense`). Returns compared steps.
template <int N, int NIn, int NOut, int B>
int compare(const conv::ModelData& d, Mode mode, uint64_t seed, bool noise, int steps,
            const conv::ModelData* encoded = nullptr) {
  const test::BuiltModel<N, NIn, NOut> model(d);
  EXPECT_EQ(model.status, Status::Ok);
  const ModelView& view = model.view;
  const Options opt = test::run_options(mode, seed, noise);
  static BatchNetwork<N, NIn, NOut, B> batch;  // large: not on the stack
  EXPECT_EQ(batch.bind(view, opt), Status::Ok);
  static BatchNetworkUpTo<64, 16, 8, B> any;  // the host tools' any-size form: the same bits
  EXPECT_EQ(any.bind(view, opt), Status::Ok);
  EXPECT_EQ(any.n_units(), N);
  // the moment cache, in the any-size form (its columns' stride is the bound model's)
  const test::BuiltModel<N, NIn, NOut> cached_model(encoded != nullptr ? *encoded : d);
  EXPECT_EQ(cached_model.status, Status::Ok);
  static BatchNetworkUpTo<64, 16, 8, B> cached;
  std::vector<float> cache(decltype(cached)::moment_cache_floats(N, NIn, NOut));
  EXPECT_EQ(cached.use_moment_cache(cache.data(), cache.size() - 1), Status::Ok);
  EXPECT_EQ(cached.bind(cached_model.view, opt), Status::BadOption);  // too small
  EXPECT_EQ(cached.use_moment_cache(cache.data(), cache.size()), Status::Ok);
  EXPECT_EQ(cached.bind(cached_model.view, opt), Status::Ok);
  uint32_t trials[B];  // lanes in decreasing trial order
  for (int b = 0; b < B; ++b) trials[b] = static_cast<uint32_t>((B - b) * 977 + 5);
  batch.reset(trials);
  any.reset(trials);
  cached.reset(trials);
  std::mt19937 gen(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> u(-1.0f, 1.5f);
  std::vector<std::vector<float>> xs(static_cast<size_t>(steps), std::vector<float>(NIn * B));
  for (size_t t = 0; t < xs.size(); ++t)
    for (size_t k = 0; k < xs[t].size(); ++k)
      xs[t][k] = gen() % 4 == 0 || (t % 2 == 0 && k % NIn == 0) ? 0.0f : u(gen);
  int compared = 0;
  std::vector<Network<N, NIn, NOut>> single(B);
  for (int b = 0; b < B; ++b) {
    EXPECT_EQ(single[static_cast<size_t>(b)].bind(view, opt), Status::Ok);
    single[static_cast<size_t>(b)].reset(trials[b]);
  }
  for (int t = 0; t < steps; ++t) {
    const std::vector<float>& x = xs[static_cast<size_t>(t)];
    EXPECT_EQ(batch.step(x.data()), Status::Ok);
    EXPECT_EQ(any.step(x.data()), Status::Ok);
    EXPECT_EQ(cached.step(x.data()), Status::Ok);
    for (int b = 0; b < B; ++b) {
      Network<N, NIn, NOut>& net = single[static_cast<size_t>(b)];
      EXPECT_EQ(net.step(x.data() + b * NIn), Status::Ok);
      for (int i = 0; i < N; ++i)
        if (bits(net.state()[i]) != bits(batch.state(b, i)) ||
            bits(net.rates()[i]) != bits(batch.rate(b, i))) {
          ADD_FAILURE() << mode_name(mode) << " seed " << seed << " lane " << b << " trial "
                        << trials[b] << " step " << t << ": h[" << i << "] " << batch.state(b, i)
                        << " != " << net.state()[i];
          return compared;
        }
      for (int i = 0; i < N; ++i)
        if (bits(batch.state(b, i)) != bits(any.state(b, i))) {
          ADD_FAILURE() << "BatchNetworkUpTo lane " << b << " step " << t << ": h[" << i << "]";
          return compared;
        }
      for (int i = 0; i < N; ++i)
        if (bits(batch.state(b, i)) != bits(cached.state(b, i)) ||
            bits(batch.rate(b, i)) != bits(cached.rate(b, i))) {
          ADD_FAILURE() << "moment cache, " << mode_name(mode) << " lane " << b << " step " << t
                        << ": h[" << i << "] " << cached.state(b, i) << " != " << batch.state(b, i);
          return compared;
        }
      for (int k = 0; k < NOut; ++k) {
        EXPECT_EQ(bits(batch.output(b, k)), bits(any.output(b, k))) << "UpTo lane " << b << " step " << t;
        EXPECT_EQ(bits(batch.z(b, k)), bits(cached.z(b, k))) << "cache lane " << b << " step " << t;
        EXPECT_EQ(bits(batch.output(b, k)), bits(cached.output(b, k))) << "cache lane " << b << " step " << t;
        EXPECT_EQ(bits(net.z()[k]), bits(batch.z(b, k))) << "lane " << b << " step " << t;
        EXPECT_EQ(bits(net.output()[k]), bits(batch.output(b, k))) << "lane " << b << " step " << t;
      }
      EXPECT_EQ(net.decide(), batch.decide(b));
    }
    ++compared;
  }
  return compared;
}

template <int N, int NIn, int NOut, int B>
void every_mode(conv::ModelData d, const std::string& what, const conv::ModelData* encoded = nullptr) {
  int compared = 0;
  for (Mode mode : {Mode::MeanField, Mode::MeanWeights})
    for (bool noise : {true, false})
      for (uint64_t seed : {uint64_t{1}, uint64_t{77}})
        compared += compare<N, NIn, NOut, B>(d, mode, seed, noise, 12, encoded);
  EXPECT_EQ(compared, 2 * 2 * 2 * 12) << what;
}

}  // namespace

TEST(Batch, EveryTrialIsItsSingleRun) {
  every_mode<37, 5, 2, 8>(test::mixed_model(37, 5, 2, 11), "dense 37");
}

TEST(Batch, StoredMomentsAndReadouts) {
  conv::ModelData d = test::mixed_model(24, 7, 3, 5);
  d.recurrent.encoding.moments = true;
  d.input.encoding.moments = true;
  d.output.encoding.moments = true;
  d.dynamics.readout = Readout::Softmax;
  every_mode<24, 7, 3, 4>(d, "moments, softmax");
  d.dynamics.readout = Readout::Argmax;
  every_mode<24, 7, 3, 5>(d, "moments, argmax");
}

TEST(Batch, OneTrialAndSixteen) {
  every_mode<16, 3, 2, 1>(test::mixed_model(16, 3, 2, 3), "B = 1");
  every_mode<16, 3, 2, 16>(test::mixed_model(16, 3, 2, 3), "B = 16");
}

TEST(Batch, SparseLayersThroughTheMomentCache) {
  // every compact encoding: the cached batch runs the sparse model as the others run its decoded
  // dense model
  for (const char* preset : {"sparse-f32", "compact"}) {
    const conv::ModelData d = test::mixed_model(37, 5, 2, 8);
    const conv::ModelData encoded = conv::with_encoding(d, conv::encoding_preset(preset));
    const conv::AlignedBuffer buf = conv::build_model_file(encoded);
    const conv::ModelData decoded = conv::with_encoding(conv::read_model(buf.data(), buf.size()),
                                                        conv::encoding_preset("dense"));
    every_mode<37, 5, 2, 16>(decoded, preset, &encoded);
    const test::BuiltModel<37, 5, 2> sparse(encoded);
    static BatchNetwork<37, 5, 2, 16> uncached;
    EXPECT_EQ(uncached.bind(sparse.view, test::run_options(Mode::MeanField, 1, true)),
              Status::BadOption) << preset << ": sparse layers need the moment cache";
  }
}

TEST(Batch, RefusesWhatItDoesNotRun) {
  const conv::ModelData d = test::mixed_model(16, 3, 2, 3);
  const conv::AlignedBuffer buf = conv::build_model_file(d);
  ModelView view;
  ASSERT_EQ((load<16, 3, 2>(buf.data(), buf.size(), view)), Status::Ok);
  BatchNetwork<16, 3, 2, 4> batch;
  Options opt;
  for (Mode mode : {Mode::SampledPerStep, Mode::SampledPerTrial}) {
    opt.mode = mode;
    EXPECT_EQ(batch.bind(view, opt), Status::BadOption) << mode_name(mode);
    EXPECT_FALSE(batch.bound());
  }
  opt.mode = Mode::MeanField;
  BatchNetwork<17, 3, 2, 4> other;
  EXPECT_EQ(other.bind(view, opt), Status::ShapeMismatch);
  const float x[3 * 4] = {};
  EXPECT_EQ(other.step(x), Status::NotBound);
  ASSERT_EQ(batch.bind(view, opt), Status::Ok);
  float bad[3 * 4] = {};
  bad[7] = std::nanf("");
  EXPECT_EQ(batch.step(bad), Status::NonFiniteInput);
  EXPECT_EQ(batch.step_index(), 0u);
  bad[7] = 2.0e6f;
  EXPECT_EQ(batch.step(bad), Status::InputOverflow);
  EXPECT_EQ(batch.step(x), Status::Ok);
  EXPECT_EQ(batch.step_index(), 1u);
}
