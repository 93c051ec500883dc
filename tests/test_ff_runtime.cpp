// The feedforward stack in the model file and the runtime (feedforward/model.hpp, network.hpp):
// a written stack loads back; every class of bad stack is refused with its own status (an empty
// stack, sizes that do not chain, too deep, recurrent fields, a recurrent model given to ff::load()
// and a stack given to load()); the modes against an independent double-precision computation
// (MeanWeights) and against the moments every mode must have (one layer: mean G and variance
// Delta^2 of paper eq. 5, tolerances from the sample size); Network and NetworkUpTo bit for bit;
// the outputs of every mode against known-answer digests, the same in this AVX2 build and in the
// portable one (test_ff_runtime_portable), so a backend that differs is caught here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/crc32c.hpp"
#include "sasrnn/feedforward/network.hpp"
#include "support.hpp"

using namespace sasrnn;

namespace {

/// A random stack of the given sizes with every connection class (test::fill_mixed).
conv::ModelData stack(const std::vector<uint32_t>& sizes, uint32_t seed) {
  conv::ModelData d;
  std::mt19937 gen(seed);
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    conv::LayerData x = conv::LayerData::zeros(sizes[l + 1], sizes[l]);
    test::fill_mixed(x, gen, 1.0f / std::sqrt(static_cast<float>(sizes[l])));
    d.layers.push_back(x);
  }
  d.name = "stack";
  return d;
}

std::vector<float> inputs(int n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = gen() % 4 == 0 ? 0.0f : u(gen);  // exact zeros, as MNIST's background
  return x;
}

Status ff_status(const conv::AlignedBuffer& b, LoadDetail* where = nullptr) {
  ff::ModelView v;
  return ff::load(b.data(), b.size(), v, where);
}

/// A version 3 file written directly (no checks of the writer), for the stacks the converter refuses.
struct RawStack {
  std::vector<std::pair<uint32_t, uint32_t>> shapes;  ///< (rows, cols) per layer
  uint32_t version = kFormatVersionFeedforward;
  uint32_t n = 0;
  int n_in = -1, n_out = -1;  ///< -1: the stack's ends
  bool with_dynamics = false;
  int task = 0;
  bool empty_vector = false;
};

conv::AlignedBuffer raw(const RawStack& s) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::Layer>> layers;
  for (const auto& [rows, cols] : s.shapes) {
    const std::vector<float> pi(static_cast<size_t>(rows) * cols, 0.5f), m(pi.size(), 0.1f), xi(pi.size(), 0.01f);
    layers.push_back(fb::CreateLayerDirect(fbb, rows, cols, &pi, &m, &xi));
  }
  const auto vec = fbb.CreateVector(layers);
  const auto dyn = s.with_dynamics ? fb::CreateDynamics(fbb, 0.2f, 100.0f, 20.0f) : 0;
  const auto task = fb::CreateTask(fbb, static_cast<fb::TaskKind>(s.task));
  fb::ModelBuilder b(fbb);
  b.add_format_version(s.version);
  b.add_n(s.n);
  b.add_n_in(s.n_in >= 0 ? static_cast<uint32_t>(s.n_in) : (s.shapes.empty() ? 0 : s.shapes.front().second));
  b.add_n_out(s.n_out >= 0 ? static_cast<uint32_t>(s.n_out) : (s.shapes.empty() ? 0 : s.shapes.back().first));
  if (s.with_dynamics) b.add_dynamics(dyn);
  b.add_task(task);
  if (!s.shapes.empty() || s.empty_vector) b.add_layers(vec);
  fb::FinishModelBuffer(fbb, b.Finish());
  return conv::AlignedBuffer(fbb.GetBufferPointer(), fbb.GetSize());
}

}  // namespace

TEST(FfModel, WrittenStackLoadsBack) {
  const conv::ModelData d = stack({7, 5, 4, 3}, 1);
  const conv::AlignedBuffer b = conv::build_model_file(d);
  ff::ModelView v;
  ASSERT_EQ(ff::load(b.data(), b.size(), v), Status::Ok);
  EXPECT_EQ(v.n_layers, 3u);
  EXPECT_EQ(v.n_in, 7u);
  EXPECT_EQ(v.n_out, 3u);
  EXPECT_TRUE(v.checksum_verified);
  EXPECT_EQ(v.root->format_version(), kFormatVersionFeedforward);
  EXPECT_EQ(v.width(2), 4u);
  EXPECT_EQ((ff::load<7, 5, 4, 3>(b.data(), b.size(), v)), Status::Ok);
  EXPECT_EQ((ff::load<7, 5, 4, 2>(b.data(), b.size(), v)), Status::ShapeMismatch);
  EXPECT_EQ((ff::load<7, 5, 3>(b.data(), b.size(), v)), Status::ShapeMismatch);
  const conv::ModelData back = conv::read_model(b.data(), b.size());
  ASSERT_EQ(back.layers.size(), 3u);
  for (size_t l = 0; l < 3; ++l) {
    EXPECT_EQ(back.layers[l].pi, d.layers[l].pi);
    EXPECT_EQ(back.layers[l].m, d.layers[l].m);
    EXPECT_EQ(back.layers[l].xi, d.layers[l].xi);
  }
  // the compact encodings of a recurrent layer serve a stack's layers too
  conv::ModelData q = d;
  for (conv::LayerData& l : q.layers) {
    l.encoding.sparse = true;
    l.encoding.values = ValueType::F16;
  }
  const conv::AlignedBuffer bq = conv::build_model_file(q);
  ASSERT_EQ(ff::load(bq.data(), bq.size(), v), Status::Ok);
  EXPECT_TRUE(v.layers[1].is_sparse);
}

TEST(FfModel, EachEntryPointRefusesTheOtherKind) {
  const conv::AlignedBuffer ffb = conv::build_model_file(stack({7, 5, 3}, 2));
  ModelView rv;
  LoadDetail where;
  EXPECT_EQ(load(ffb.data(), ffb.size(), rv, &where), Status::NotRecurrent);
  const conv::AlignedBuffer rb = conv::build_model_file(test::mixed_model(6, 3, 2, 3));
  ff::ModelView fv;
  EXPECT_EQ(ff::load(rb.data(), rb.size(), fv), Status::NotFeedforward);
  EXPECT_TRUE(conv::is_feedforward(ffb.data(), ffb.size()));
  EXPECT_FALSE(conv::is_feedforward(rb.data(), rb.size()));
  // the host reader takes both kinds
  EXPECT_EQ(conv::read_model(ffb.data(), ffb.size()).layers.size(), 2u);
  EXPECT_TRUE(conv::read_model(rb.data(), rb.size()).layers.empty());
}

TEST(FfModel, BadStacksHaveTheirOwnStatus) {
  LoadDetail w;
  EXPECT_EQ(ff_status(raw({{}, 3, 0, -1, -1, false, 0, true}), &w), Status::BadStack);  // empty stack
  EXPECT_STREQ(w.field, "layers");
  EXPECT_EQ(ff_status(raw({{{5, 7}, {4, 6}}}), &w), Status::BadStack);  // 6 cols after 5 rows
  EXPECT_STREQ(w.field, "layer 1");
  EXPECT_EQ(w.value, 6.0f);
  EXPECT_EQ(w.limit, 5.0f);
  std::vector<std::pair<uint32_t, uint32_t>> deep(9, {2, 2});
  EXPECT_EQ(ff_status(raw({deep})), Status::BadStack);  // deeper than kMaxLayers
  deep.resize(8);
  EXPECT_EQ(ff_status(raw({deep})), Status::Ok);
  EXPECT_EQ(ff_status(raw({{{0, 7}}})), Status::BadStack);  // a layer without units
  EXPECT_EQ(ff_status(raw({{{5, 7}}, 3, 0, 6})), Status::BadDimensions);  // NIn disagrees
  EXPECT_EQ(ff_status(raw({{{5, 7}}, 3, 0, -1, 4})), Status::BadDimensions);  // NOut disagrees
  EXPECT_EQ(ff_status(raw({{{5, 7}}, 3, 0, -1, -1, true})), Status::NotFeedforward);  // recurrent fields
  EXPECT_EQ(ff_status(raw({{{5, 7}}, 3, 4})), Status::NotFeedforward);  // N > 0
  EXPECT_EQ(ff_status(raw({{{5, 7}}, 2})), Status::NotFeedforward);  // version 2 with layers
  EXPECT_EQ(ff_status(raw({{{5, 7}}, 4})), Status::UnsupportedVersion);
  EXPECT_EQ(ff_status(raw({{{5, 7}}, 3, 0, -1, -1, false, 1})), Status::BadTask);  // MSI on a stack
  EXPECT_EQ(ff_status(raw({{{5, 7}}, 3, 0, -1, -1, false, 4})), Status::BadTask);  // MNIST needs 784 -> 10
  EXPECT_EQ(ff_status(raw({{{10, 784}}, 3, 0, -1, -1, false, 4})), Status::Ok);
  EXPECT_EQ(ff_status(raw({{{5, 7}}, 3, 0, -1, -1, false, 9})), Status::BadTask);
  // a stack given to the recurrent loader, even a malformed one, is not recurrent
  ModelView rv;
  const conv::AlignedBuffer b = raw({{{5, 7}, {4, 6}}});
  EXPECT_EQ(load(b.data(), b.size(), rv), Status::NotRecurrent);
  // values are judged as in a recurrent layer, and named by layer
  conv::ModelData d = stack({7, 5, 3}, 4);
  conv::AlignedBuffer good = conv::build_model_file(d);
  const ff::ModelView ok = [&] {
    ff::ModelView v;
    EXPECT_EQ(ff::load(good.data(), good.size(), v), Status::Ok);
    return v;
  }();
  float* pi1 = const_cast<float*>(ok.layers[1].pi);  // the buffer is ours
  pi1[2 * 5 + 3] = 1.5f;
  test::reseal(good.data(), good.size());
  EXPECT_EQ(ff_status(good, &w), Status::PiOutOfRange);
  EXPECT_STREQ(w.field, "pi_1");
  EXPECT_EQ(w.row, 2u);
  EXPECT_EQ(w.col, 3u);
  EXPECT_EQ(conv::describe_load_failure(Status::PiOutOfRange, w),
            "array 'pi_1' has 1.5 at (2, 3), expected in [0, 1] [PiOutOfRange]");
  // and the writer refuses a stack that does not chain, before writing anything
  d.layers[1] = conv::LayerData::zeros(3, 4);
  EXPECT_THROW((void)conv::build_model_file(d), std::invalid_argument);
}

TEST(FfNetwork, BindAndInferRefuseBadUse) {
  const conv::AlignedBuffer b = conv::build_model_file(stack({7, 5, 3}, 5));
  ff::ModelView v;
  ASSERT_EQ(ff::load(b.data(), b.size(), v), Status::Ok);
  static ff::Network<7, 5, 3> net;
  std::vector<float> x = inputs(7, 1);
  EXPECT_EQ(net.infer(x.data(), 0), Status::NotBound);
  EXPECT_EQ((ff::Network<7, 6, 3>{}.bind(v, {})), Status::ShapeMismatch);
  EXPECT_EQ((ff::NetworkUpTo<7, 4, 2>{}.bind(v, {})), Status::ShapeMismatch);  // too wide
  EXPECT_EQ((ff::NetworkUpTo<7, 8, 1>{}.bind(v, {})), Status::ShapeMismatch);  // too deep
  Options alpha;
  alpha.alpha = 0.5f;
  EXPECT_EQ(net.bind(v, alpha), Status::BadOption);
  Options bad;
  bad.mode = static_cast<Mode>(7);
  EXPECT_EQ(net.bind(v, bad), Status::BadOption);
  ASSERT_EQ(net.bind(v, {}), Status::Ok);
  ASSERT_EQ(net.infer(x.data(), 0), Status::Ok);
  const float z0 = net.z()[0];
  x[3] = std::nanf("");
  EXPECT_EQ(net.infer(x.data(), 1), Status::NonFiniteInput);
  x[3] = 2e6f;
  EXPECT_EQ(net.infer(x.data(), 1), Status::InputOverflow);
  EXPECT_EQ(test::bits(net.z()[0]), test::bits(z0));  // the previous output kept
}

// MeanWeights against z = mu a computed in double, layer by layer, ReLU between.
TEST(FfNetwork, MeanWeightsIsTheMeanNetwork) {
  const std::vector<uint32_t> sizes{30, 20, 12, 4};
  const conv::ModelData d = stack(sizes, 6);
  const conv::AlignedBuffer b = conv::build_model_file(d);
  ff::ModelView v;
  ASSERT_EQ(ff::load(b.data(), b.size(), v), Status::Ok);
  static ff::Network<30, 20, 12, 4> net;
  Options o;
  o.mode = Mode::MeanWeights;
  ASSERT_EQ(net.bind(v, o), Status::Ok);
  for (uint32_t trial = 0; trial < 20; ++trial) {
    const std::vector<float> x = inputs(30, 100 + trial);
    ASSERT_EQ(net.infer(x.data(), trial), Status::Ok);
    std::vector<double> a(x.begin(), x.end());
    for (size_t l = 0; l < d.layers.size(); ++l) {
      const conv::LayerData& w = d.layers[l];
      std::vector<double> z(w.rows, 0.0);
      for (uint32_t i = 0; i < w.rows; ++i)
        for (uint32_t j = 0; j < w.cols; ++j) {
          const size_t k = static_cast<size_t>(i) * w.cols + j;
          z[i] += (1.0 - static_cast<double>(w.pi[k])) * static_cast<double>(w.m[k]) * a[j];
        }
      if (l + 1 < d.layers.size())
        for (double& zi : z) zi = std::max(0.0, zi);
      a = z;
    }
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(net.z()[k], a[static_cast<size_t>(k)], 1e-5 * (1.0 + std::fabs(a[static_cast<size_t>(k)])));
    double sum = 0;
    for (int k = 0; k < 4; ++k) sum += net.output()[k];
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

// One layer: in every random mode z_i is a sum of independent spike-and-slab weights times a_j,
// so its mean is G_i = sum mu a and its variance Delta_i^2 = sum var a^2 (paper eq. 5). 4000
// inferences: the sample mean lies within 4.5 sd / sqrt(4000) of G, the sample variance within
// 4.5 sqrt(2 / 4000) = 10 % of Delta^2 (about the normal's; a sum of 40 weights is close to one).
TEST(FfNetwork, EveryRandomModeHasTheMomentsOfPaperEq5) {
  constexpr int kIn = 40, kOut = 6, kSamples = 4000;
  const conv::ModelData d = stack({kIn, kOut}, 7);
  const conv::AlignedBuffer b = conv::build_model_file(d);
  ff::ModelView v;
  ASSERT_EQ(ff::load(b.data(), b.size(), v), Status::Ok);
  const std::vector<float> x = inputs(kIn, 8);
  std::vector<double> g(kOut, 0.0), d2(kOut, 0.0);
  const conv::LayerData& w = d.layers[0];
  for (int i = 0; i < kOut; ++i)
    for (int j = 0; j < kIn; ++j) {
      const size_t k = static_cast<size_t>(i) * kIn + static_cast<size_t>(j);
      const double pi = w.pi[k], m = w.m[k], xi = w.xi[k], a = x[static_cast<size_t>(j)];
      g[static_cast<size_t>(i)] += (1 - pi) * m * a;
      d2[static_cast<size_t>(i)] += (1 - pi) * (xi + pi * m * m) * a * a;
    }
  for (Mode mode : {Mode::MeanField, Mode::SampledPerStep, Mode::SampledPerTrial}) {
    static ff::Network<kIn, kOut> net;
    Options o;
    o.mode = mode;
    o.seed = 11;
    ASSERT_EQ(net.bind(v, o), Status::Ok);
    std::vector<double> s1(kOut, 0.0), s2(kOut, 0.0);
    for (uint32_t t = 0; t < kSamples; ++t) {
      ASSERT_EQ(net.infer(x.data(), t), Status::Ok);
      for (int i = 0; i < kOut; ++i) {
        s1[static_cast<size_t>(i)] += net.z()[i];
        s2[static_cast<size_t>(i)] += static_cast<double>(net.z()[i]) * net.z()[i];
      }
    }
    for (size_t i = 0; i < kOut; ++i) {
      const double mean = s1[i] / kSamples, var = s2[i] / kSamples - mean * mean;
      EXPECT_NEAR(mean, g[i], 4.5 * std::sqrt(d2[i] / kSamples)) << mode_name(mode) << " unit " << i;
      EXPECT_NEAR(var, d2[i], 4.5 * std::sqrt(2.0 / kSamples) * d2[i]) << mode_name(mode) << " unit " << i;
    }
  }
}

// The same index draws the same network; the fixed and the any-size network agree bit for bit;
// every mode's outputs match known-answer digests, in this build and in the portable one.
TEST(FfNetwork, BitForBitAcrossInstantiationsAndBackends) {
  const conv::ModelData d = stack({37, 21, 9, 3}, 9);
  const conv::AlignedBuffer b = conv::build_model_file(d);
  ff::ModelView v;
  ASSERT_EQ(ff::load(b.data(), b.size(), v), Status::Ok);
  static ff::Network<37, 21, 9, 3> fixed;
  static ff::NetworkUpTo<64, 32, 4> any;
  // MeanField, SampledPerStep, SampledPerTrial, MeanWeights: recorded from the portable build
  // (what a Cortex-M runs); a change of the maths, the order or the counters changes them
  const uint32_t expected[] = {0x6aa61b34u, 0xbc60f3dbu, 0x50751a25u, 0xbc6846c2u};
  uint32_t digests[4] = {};
  int m = 0;
  for (Mode mode : test::kModes) {
    Options o;
    o.mode = mode;
    o.seed = 5;
    ASSERT_EQ(fixed.bind(v, o), Status::Ok);
    ASSERT_EQ(any.bind(v, o), Status::Ok);
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t t = 0; t < 50; ++t) {
      const std::vector<float> x = inputs(37, 200 + t);
      ASSERT_EQ(fixed.infer(x.data(), t), Status::Ok);
      ASSERT_EQ(any.infer(x.data(), t), Status::Ok);
      for (int k = 0; k < 3; ++k) {
        ASSERT_EQ(test::bits(fixed.z()[k]), test::bits(any.z()[k])) << mode_name(mode);
        const uint32_t bz = test::bits(fixed.z()[k]);
        crc = crc32c::extend(crc, reinterpret_cast<const uint8_t*>(&bz), sizeof bz);
      }
    }
    ASSERT_EQ(fixed.infer(inputs(37, 200).data(), 0), Status::Ok);
    const uint32_t again = test::bits(fixed.z()[0]);
    ASSERT_EQ(any.infer(inputs(37, 200).data(), 0), Status::Ok);
    EXPECT_EQ(again, test::bits(any.z()[0]));
    digests[m++] = ~crc;
  }
  for (int k = 0; k < 4; ++k)
    EXPECT_EQ(digests[k], expected[k]) << mode_name(test::kModes[k]) << ": digest 0x" << std::hex << digests[k];
}
