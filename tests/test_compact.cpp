// Compact encodings (converter/compact.hpp, runtime/sparse.hpp):
//  - a sparse layer runs bit for bit like the dense f32 layer that holds its decoded values, in
//    every mode, for every value type (so a compact model equals its f32 source up to the
//    quantisation, and the lossless sparse-f32 encoding equals the source exactly);
//  - the decoded values lie within the quantisation step of the source values, and pruning and
//    classes follow their thresholds;
//  - f16 conversion round-trips every half value and rounds to nearest even;
//  - every class of malformed sparse layer is rejected by load() with its own status.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sasrnn/converter/compact.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/msi.hpp"
#include "sasrnn/network.hpp"
#include "support.hpp"

using namespace sasrnn;

namespace {

using test::bits;
using test::kModes;

/// Runs two networks (model a, model b) side by side on MSI trials and counts the steps at which
/// h, z or y differ in any bit. Also returns the number of compared steps. With `cache_a`,
/// network a keeps its trial network in a cache (Network::use_trial_cache; SampledPerTrial) and
/// its moments in another (Network::use_moment_cache; MeanField, MeanWeights). NetA: the network
/// type that runs model a (Network<N, 5, 2>, or the any-size NetworkUpTo of the host tools).
template <int N, class NetA = Network<N, 5, 2>>
std::pair<int, int> differing_steps(const conv::AlignedBuffer& a, const conv::AlignedBuffer& b,
                                    Mode mode, uint64_t seed, bool cache_a = false) {
  ModelView va, vb;
  EXPECT_EQ((load<N, 5, 2>(a.data(), a.size(), va)), Status::Ok);
  EXPECT_EQ((load<N, 5, 2>(b.data(), b.size(), vb)), Status::Ok);
  Options opt;
  opt.mode = mode;
  opt.seed = seed;
  NetA na;
  Network<N, 5, 2> nb;
  EXPECT_EQ(na.bind(va, opt), Status::Ok);
  EXPECT_EQ(nb.bind(vb, opt), Status::Ok);
  std::vector<float> cache(na.trial_cache_floats()), moments(na.moment_cache_floats(), -1.0f);
  if (cache_a) {
    EXPECT_EQ(na.use_trial_cache(cache.data(), cache.size()), Status::Ok);
    EXPECT_EQ(na.use_moment_cache(moments.data(), moments.size()), Status::Ok);
  }
  const msi::Protocol protocol = msi::Protocol::test(20.0f);
  int differ = 0, steps = 0;
  for (uint32_t trial = 0; trial < 4; ++trial) {
    const msi::Stimulus stim(protocol, msi::evaluation_trial(trial * 7 % 24, 1));
    na.reset(trial);
    nb.reset(trial);
    typename Network<N, 5, 2>::Input x;
    for (int t = 0; t < stim.steps(); ++t) {
      stim.input(t, x.data());
      EXPECT_EQ(na.step(x.data()), Status::Ok);
      EXPECT_EQ(nb.step(x), Status::Ok);
      bool same = true;
      for (int i = 0; i < N; ++i) same = same && bits(na.state()[i]) == bits(nb.state()[i]);
      for (int k = 0; k < 2; ++k)
        same = same && bits(na.z()[k]) == bits(nb.z()[k]) && bits(na.output()[k]) == bits(nb.output()[k]);
      differ += same ? 0 : 1;
      ++steps;
    }
  }
  return {differ, steps};
}

/// The model of `encoded` decoded into dense f32 (read_model decodes sparse layers).
conv::AlignedBuffer dense_of(const conv::AlignedBuffer& encoded) {
  conv::ModelData d = conv::read_model(encoded.data(), encoded.size());
  return conv::build_model_file(conv::with_encoding(d, conv::encoding_preset("dense")));
}

conv::ModelData msi_mixed(uint32_t n, uint32_t seed) {
  conv::ModelData d = test::mixed_model(n, 5, 2, seed);
  conv::apply_msi_task(d);
  return d;
}

}  // namespace

// --- bit identity -----------------------------------------------------------------------------

class EveryEncoding : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryEncoding, SparseRunsBitForBitLikeItsDecodedDenseModel) {
  const conv::ModelData d = msi_mixed(37, 5);  // 37 columns: a remainder of 8, every class
  const conv::AlignedBuffer encoded =
      conv::build_model_file(conv::with_encoding(d, conv::encoding_preset(GetParam())));
  const conv::AlignedBuffer dense = dense_of(encoded);
  for (Mode mode : kModes)
    for (uint64_t seed : {1u, 99u}) {
      const auto [differ, steps] = differing_steps<37>(encoded, dense, mode, seed);
      EXPECT_EQ(differ, 0) << GetParam() << " " << mode_name(mode) << " seed " << seed;
      EXPECT_EQ(steps, 4 * 90);
    }
  // the sparse model's trial network drawn into a cache, and its moments: still the dense
  // model's, uncached
  for (Mode mode : {Mode::SampledPerTrial, Mode::MeanField, Mode::MeanWeights}) {
    const auto [differ, steps] = differing_steps<37>(encoded, dense, mode, 3, true);
    EXPECT_EQ(differ, 0) << GetParam() << " cache " << mode_name(mode);
    EXPECT_EQ(steps, 4 * 90);
  }
  // the any-size network of the host tools runs the sparse model as the fixed-size one runs
  // its decoded dense model
  for (Mode mode : kModes)
    for (bool cache : {false, true}) {
      const auto [d_any, s_any] =
          differing_steps<37, NetworkUpTo<64, 8, 4>>(encoded, dense, mode, 5, cache);
      EXPECT_EQ(d_any, 0) << GetParam() << " any-size " << mode_name(mode) << " cache " << cache;
      EXPECT_EQ(s_any, 4 * 90);
    }
}

INSTANTIATE_TEST_SUITE_P(Encodings, EveryEncoding,
                         ::testing::Values("sparse-f32", "f16", "q8", "compact"));

TEST(Compact, LosslessSparseEqualsTheSourceExactly) {
  const conv::ModelData d = msi_mixed(37, 8);
  const conv::AlignedBuffer source = conv::build_model_file(d);
  const conv::AlignedBuffer sparse =
      conv::build_model_file(conv::with_encoding(d, conv::encoding_preset("sparse-f32")));
  EXPECT_LT(sparse.size(), source.size());
  for (Mode mode : kModes) {
    const auto [differ, steps] = differing_steps<37>(sparse, source, mode, 5);
    EXPECT_EQ(differ, 0) << mode_name(mode);
    EXPECT_EQ(steps, 360);
  }
  // and the values read back are the source's, bit for bit (absent ones are pi = 1 there too)
  const conv::ModelData back = conv::read_model(sparse.data(), sparse.size());
  for (const auto& [a, b] : {std::pair{&d.input, &back.input}, {&d.recurrent, &back.recurrent},
                             {&d.output, &back.output}})
    for (size_t k = 0; k < a->size(); ++k) {
      EXPECT_EQ(bits(a->pi[k]), bits(b->pi[k]));
      if (a->pi[k] == 1.0f) continue;  // absent: m and xi are not stored
      EXPECT_EQ(bits(a->m[k]), bits(b->m[k]));
      EXPECT_EQ(bits(a->xi[k]), bits(b->xi[k]));
    }
}

TEST(Compact, QuantisationChangesTheTrajectories) {
  // The identity above is not vacuous: a q8 model and its f32 source do differ.
  const conv::ModelData d = msi_mixed(37, 5);
  const conv::AlignedBuffer source = conv::build_model_file(d);
  const conv::AlignedBuffer q8 =
      conv::build_model_file(conv::with_encoding(d, conv::encoding_preset("q8")));
  const auto [differ, steps] = differing_steps<37>(q8, source, Mode::MeanField, 1);
  EXPECT_GT(differ, steps / 2);
}

// --- values, classes, pruning -----------------------------------------------------------------

TEST(Compact, DecodedValuesLieWithinTheQuantisationStep) {
  const conv::ModelData d = msi_mixed(40, 3);
  for (const char* name : {"f16", "q8"}) {
    const conv::AlignedBuffer buf =
        conv::build_model_file(conv::with_encoding(d, conv::encoding_preset(name)));
    const conv::ModelData back = conv::read_model(buf.data(), buf.size());
    const bool q8 = std::string(name) == "q8";
    for (const auto& [a, b] : {std::pair{&d.input, &back.input}, {&d.recurrent, &back.recurrent},
                               {&d.output, &back.output}})
      for (uint32_t i = 0; i < a->rows; ++i) {
        float m_max = 0.0f, xi_max = 0.0f;
        for (uint32_t j = 0; j < a->cols; ++j) {
          const size_t k = static_cast<size_t>(i) * a->cols + j;
          if (a->pi[k] == 1.0f) continue;
          m_max = std::max(m_max, std::fabs(a->m[k]));
          if (a->xi[k] > 0.0f) xi_max = std::max(xi_max, a->xi[k]);
        }
        for (uint32_t j = 0; j < a->cols; ++j) {
          const size_t k = static_cast<size_t>(i) * a->cols + j;
          if (a->pi[k] == 1.0f) {
            EXPECT_EQ(b->pi[k], 1.0f);
            continue;
          }
          // q8: half a step of pi / 255 and of the row's scale; f16: half an ulp (2^-11 relative)
          const double tol_pi = q8 ? 0.5 / 255 + 1e-7 : std::ldexp(std::fabs(a->pi[k]), -11) + 1e-8;
          const double tol_m = q8 ? 0.5 * m_max / 127 * (1 + 1e-6) : std::ldexp(std::fabs(a->m[k]), -11) + 1e-8;
          const double tol_xi = q8 ? 0.5 * xi_max / 255 * (1 + 1e-6) : std::ldexp(a->xi[k], -11) + 1e-8;
          EXPECT_LE(std::fabs(double(a->pi[k]) - b->pi[k]), tol_pi) << name << " pi at " << k;
          EXPECT_LE(std::fabs(double(a->m[k]) - b->m[k]), tol_m) << name << " m at " << k;
          EXPECT_LE(std::fabs(double(a->xi[k]) - b->xi[k]), tol_xi) << name << " xi at " << k;
        }
      }
  }
}

TEST(Compact, PruningAndClassesFollowTheirThresholds) {
  conv::ModelData d = msi_mixed(24, 4);
  // recurrent row 0: one connection per region of the thresholds
  const float pis[] = {0.95f, 0.9f, 0.89f, 0.01f, 0.011f, 0.0f, 0.5f, 0.5f};
  const float xis[] = {0.02f, 0.02f, 0.0f, 1e-5f, 2e-5f, 0.3f, 1e-6f, 0.1f};
  for (int j = 0; j < 8; ++j) {
    d.recurrent.pi[static_cast<size_t>(j)] = pis[j];
    d.recurrent.xi[static_cast<size_t>(j)] = xis[j];
    d.recurrent.m[static_cast<size_t>(j)] = 0.25f;
  }
  conv::LayerEncoding enc = conv::encoding_preset("compact");
  enc.values = ValueType::F32;  // exact values, to see only the thresholds
  const conv::SparseData s = conv::encode_sparse(d.recurrent, enc);
  // expected: absent, absent, Bernoulli, constant, full, Gaussian, Bernoulli, full
  const uint32_t expected[] = {99, 99, kBernoulli, kConstant, kFull, kGaussian, kBernoulli, kFull};
  uint32_t stored = 0;
  for (int j = 0; j < 8; ++j) {
    const bool present = ((s.present[0] >> j) & 1u) != 0;
    EXPECT_EQ(present, expected[j] != 99) << j;
    if (present) {
      EXPECT_EQ(sparse::class_of(s.cls.data(), stored++), expected[j]) << j;
    }
  }
  // decoded: pruned -> pi 1; pi <= 0.01 -> 0; xi <= 1e-5 -> 0; the rest exact
  const conv::AlignedBuffer buf = conv::build_model_file(conv::with_encoding(d, enc));
  const conv::ModelData back = conv::read_model(buf.data(), buf.size());
  const float pi_back[] = {1.0f, 1.0f, 0.89f, 0.0f, 0.011f, 0.0f, 0.5f, 0.5f};
  const float xi_back[] = {0.0f, 0.0f, 0.0f, 0.0f, 2e-5f, 0.3f, 0.0f, 0.1f};
  for (int j = 0; j < 8; ++j) {
    EXPECT_EQ(back.recurrent.pi[static_cast<size_t>(j)], pi_back[j]) << j;
    EXPECT_EQ(back.recurrent.xi[static_cast<size_t>(j)], xi_back[j]) << j;
  }
  // class counts add up to the stored connections; nothing stored for the masked inputs
  const conv::SparseData in = conv::encode_sparse(d.input, enc);
  size_t masked = 0;
  for (uint8_t v : d.input_mask) masked += v == 0 ? 1 : 0;
  EXPECT_EQ(in.stored + masked + /*absent in the mixed fill*/ 0,
            in.count[0] + in.count[1] + in.count[2] + in.count[3] + masked);
  size_t absent = 0;
  for (float p : d.input.pi) absent += p == 1.0f ? 1 : 0;
  EXPECT_EQ(in.stored, d.input.size() - absent);
}

TEST(Compact, EncodingsShrinkTheModelInOrder) {
  const conv::ModelData d = msi_mixed(60, 9);
  size_t last = SIZE_MAX;
  for (const char* name : {"dense", "sparse-f32", "f16", "q8"}) {
    const size_t size =
        conv::build_model_file(conv::with_encoding(d, conv::encoding_preset(name))).size();
    EXPECT_LT(size, last) << name;
    last = size;
  }
}

TEST(Compact, BadThresholdsAndNamesAreRejected) {
  const conv::ModelData d = msi_mixed(12, 1);
  conv::LayerEncoding e = conv::encoding_preset("compact");
  e.prune = 1.5f;
  EXPECT_THROW(conv::encode_sparse(d.recurrent, e), std::invalid_argument);
  e = conv::encoding_preset("compact");
  e.xi_zero = -1.0f;
  EXPECT_THROW(conv::encode_sparse(d.recurrent, e), std::invalid_argument);
  EXPECT_THROW(conv::encoding_preset("q4"), std::invalid_argument);
  conv::ModelData big = d;
  big.recurrent.m[3] = 1e6f;
  EXPECT_THROW(conv::encode_sparse(big.recurrent, conv::encoding_preset("f16")), std::invalid_argument);
}

// --- f16 --------------------------------------------------------------------------------------

TEST(Half, EveryHalfValueRoundTrips) {
  int checked = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const bool nan = (h & 0x7C00u) == 0x7C00u && (h & 0x3FFu) != 0;
    if (nan) {
      EXPECT_TRUE(std::isnan(sparse::half_to_float(static_cast<uint16_t>(h))));
      continue;
    }
    EXPECT_EQ(conv::float_to_half(sparse::half_to_float(static_cast<uint16_t>(h))), h) << h;
    ++checked;
  }
  EXPECT_EQ(checked, 65536 - 2 * 1023);
}

TEST(Half, KnownValuesAndRoundingToNearestEven) {
  EXPECT_EQ(sparse::half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(sparse::half_to_float(0xC000), -2.0f);
  EXPECT_EQ(sparse::half_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(sparse::half_to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(sparse::half_to_float(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(conv::float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // tie -> even
  EXPECT_EQ(conv::float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie -> even
  EXPECT_EQ(conv::float_to_half(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3C01);
  EXPECT_EQ(conv::float_to_half(std::ldexp(1.0f, -25)), 0x0000);  // tie -> even (0)
  EXPECT_EQ(conv::float_to_half(std::ldexp(3.0f, -26)), 0x0001);
  EXPECT_EQ(conv::float_to_half(65520.0f), 0x7C00);  // rounds past the largest half: inf
  EXPECT_EQ(conv::float_to_half(-0.0f), 0x8000);
  // every float rounds to one of its two neighbouring halves, the nearer one
  std::mt19937 gen(17);
  std::uniform_real_distribution<float> u(-70000.0f, 70000.0f);
  for (int k = 0; k < 100000; ++k) {
    const float f = k % 2 ? u(gen) : u(gen) * 1e-6f;
    const float h = sparse::half_to_float(conv::float_to_half(f));
    if (std::fabs(f) > 65504.0f) continue;
    const int e = std::max(std::ilogb(f), -14);
    EXPECT_LE(std::fabs(double(h) - f), std::ldexp(1.0, e - 11)) << f;
  }
}

// --- malformed sparse layers ------------------------------------------------------------------

namespace {

/// A model whose recurrent layer is the given SparseData (other layers dense), built with the
/// FlatBuffers API directly so that the converter's own checks are bypassed.
conv::AlignedBuffer raw_sparse_model(const conv::ModelData& d, const conv::SparseData& s,
                                     uint32_t version = kFormatVersion, bool dense_too = false,
                                     int value_type = -1) {
  flatbuffers::FlatBufferBuilder fbb;
  auto dense = [&](const conv::LayerData& l) {
    return fb::CreateLayerDirect(fbb, l.rows, l.cols, &l.pi, &l.m, &l.xi);
  };
  const auto in = dense(d.input);
  const auto out = dense(d.output);
  const auto sp = fb::CreateSparseLayerDirect(
      fbb, static_cast<fb::ValueType>(value_type >= 0 ? value_type : static_cast<int>(s.values)),
      &s.present, &s.cls, &s.m_start, &s.pi_start, &s.xi_start, &s.pi, &s.m, &s.xi,
      s.m_scale.empty() ? nullptr : &s.m_scale, s.xi_scale.empty() ? nullptr : &s.xi_scale);
  const auto pi = dense_too ? fbb.CreateVector(d.recurrent.pi) : 0;
  const auto rec = fb::CreateLayer(fbb, d.recurrent.rows, d.recurrent.cols, pi, 0, 0, sp);
  const DynamicsView& y = d.dynamics;
  const auto dyn = fb::CreateDynamics(fbb, y.alpha, y.tau_ms, y.dt_ms, y.sigma_rec, y.sigma_in, y.baseline);
  const auto root = fb::CreateModel(fbb, version, d.n, d.n_in, d.n_out, in, rec, out, dyn);
  fb::FinishModelBuffer(fbb, root);
  return conv::AlignedBuffer(fbb.GetBufferPointer(), fbb.GetSize());
}

Status load_status(const conv::AlignedBuffer& b) {
  ModelView v;
  return load(b.data(), b.size(), v);
}

}  // namespace

TEST(CompactVerify, EveryMalformedSparseLayerHasItsStatus) {
  const conv::ModelData d = test::mixed_model(20, 5, 2, 6);
  for (ValueType t : {ValueType::F32, ValueType::F16, ValueType::Q8}) {
    SCOPED_TRACE(value_type_name(t));
    conv::LayerEncoding enc = conv::encoding_preset("compact");
    enc.values = t;
    const conv::SparseData good = conv::encode_sparse(d.recurrent, enc);
    ASSERT_EQ(load_status(raw_sparse_model(d, good)), Status::Ok);
    auto with = [&](auto change) {
      conv::SparseData s = good;
      change(s);
      return load_status(raw_sparse_model(d, s));
    };
    EXPECT_EQ(load_status(raw_sparse_model(d, good, 1)), Status::BadSparse);  // sparse in v1
    EXPECT_EQ(load_status(raw_sparse_model(d, good, kFormatVersion, true)), Status::BadSparse);
    EXPECT_EQ(load_status(raw_sparse_model(d, good, kFormatVersion, false, 3)), Status::BadEnum);
    EXPECT_EQ(with([](conv::SparseData& s) { s.present.pop_back(); }), Status::ArraySizeMismatch);
    EXPECT_EQ(with([](conv::SparseData& s) { s.present.back() ^= 0x80; }), Status::BadSparse);
    EXPECT_EQ(with([](conv::SparseData& s) { s.present[0] ^= 0x01; }), Status::BadSparse);
    EXPECT_EQ(with([](conv::SparseData& s) { s.m_start[3] += 1; }), Status::BadSparse);
    EXPECT_EQ(with([](conv::SparseData& s) { s.m_start.pop_back(); }), Status::ArraySizeMismatch);
    EXPECT_EQ(with([](conv::SparseData& s) { s.pi_start[5] += 1; }), Status::BadSparse);
    EXPECT_EQ(with([](conv::SparseData& s) { s.xi_start[0] = 1; }), Status::BadSparse);
    EXPECT_EQ(with([](conv::SparseData& s) { s.cls[0] ^= 0x03; }), Status::BadSparse);
    EXPECT_EQ(with([](conv::SparseData& s) { s.cls.push_back(0); }), Status::ArraySizeMismatch);
    EXPECT_EQ(with([](conv::SparseData& s) { s.m.pop_back(); }), Status::ArraySizeMismatch);
    EXPECT_EQ(with([](conv::SparseData& s) { s.xi.push_back(0); }), Status::ArraySizeMismatch);
    EXPECT_EQ(with([](conv::SparseData& s) { s.pi.clear(); }), Status::ArraySizeMismatch);
    if (t == ValueType::Q8) {
      EXPECT_EQ(with([](conv::SparseData& s) { s.m_scale.pop_back(); }), Status::ArraySizeMismatch);
      EXPECT_EQ(with([](conv::SparseData& s) { s.m_scale.clear(); }), Status::MissingField);
      EXPECT_EQ(with([](conv::SparseData& s) { s.xi_scale[2] = -1.0f; }), Status::BadSparse);
      EXPECT_EQ(with([](conv::SparseData& s) { s.m_scale[1] = NAN; }), Status::NonFinite);
      EXPECT_EQ(with([](conv::SparseData& s) { s.m_scale[1] = 3e38f; s.m[s.m_start[1]] = 127; }),
                Status::NonFinite);  // a finite scale whose product overflows
    } else {
      EXPECT_EQ(with([](conv::SparseData& s) { s.m_scale.assign(20, 1.0f); }), Status::BadSparse);
      const size_t vb = value_bytes(t);
      auto put = [&](std::vector<uint8_t>& v, size_t k, float f) {
        if (t == ValueType::F32) {
          std::memcpy(&v[k * vb], &f, 4);
        } else {
          const uint16_t h = conv::float_to_half(f);
          v[k * vb] = static_cast<uint8_t>(h & 0xFF);
          v[k * vb + 1] = static_cast<uint8_t>(h >> 8);
        }
      };
      EXPECT_EQ(with([&](conv::SparseData& s) { put(s.m, 4, NAN); }), Status::NonFinite);
      EXPECT_EQ(with([&](conv::SparseData& s) { put(s.xi, 0, INFINITY); }), Status::NonFinite);
      EXPECT_EQ(with([&](conv::SparseData& s) { put(s.pi, 2, 1.5f); }), Status::PiOutOfRange);
      EXPECT_EQ(with([&](conv::SparseData& s) { put(s.pi, 1, -0.25f); }), Status::PiOutOfRange);
      EXPECT_EQ(with([&](conv::SparseData& s) { put(s.xi, 3, -0.5f); }), Status::XiNegative);
    }
  }
}

TEST(CompactVerify, PaddingBitsMustBeZero) {
  const conv::ModelData d = test::mixed_model(22, 5, 2, 6);  // 484 bits: 4 padding bits
  conv::SparseData s = conv::encode_sparse(d.recurrent, conv::encoding_preset("q8"));
  ASSERT_EQ(load_status(raw_sparse_model(d, s)), Status::Ok);
  s.present.back() = static_cast<uint8_t>(s.present.back() | 0x80);
  EXPECT_EQ(load_status(raw_sparse_model(d, s)), Status::BadSparse);
  s = conv::encode_sparse(d.recurrent, conv::encoding_preset("q8"));
  ASSERT_NE(s.stored % 4, 0u);
  s.cls.back() = static_cast<uint8_t>(s.cls.back() | 0xC0);  // a class past the last stored one
  EXPECT_EQ(load_status(raw_sparse_model(d, s)), Status::BadSparse);
}

TEST(CompactVerify, AStoredMaskedInputIsRejected) {
  conv::ModelData d = msi_mixed(12, 2);
  const conv::LayerEncoding enc = conv::encoding_preset("q8");
  conv::AlignedBuffer ok = conv::build_model_file(conv::with_encoding(d, enc));
  ModelView v;
  ASSERT_EQ(load(ok.data(), ok.size(), v), Status::Ok);
  // flip one masked input connection to present: pi 0.5 there, mask still 0
  size_t k = 0;
  while (d.input_mask[k] != 0) ++k;
  d.input.pi[k] = 0.5f;
  EXPECT_THROW(conv::build_model_file(conv::with_encoding(d, enc)), conv::ModelError);
  try {
    conv::build_model_file(conv::with_encoding(d, enc));
  } catch (const conv::ModelError& e) {
    EXPECT_EQ(e.status, Status::BadMask);
  }
}

TEST(CompactVerify, CorruptOrTruncatedFilesNeverCrash) {
  // Every single-byte corruption and every truncation of sparse models (f16 and q8) ends in a
  // Status; whatever still loads is valid and runs a few steps in every mode (ASan and UBSan
  // watch the reads in the sanitizer build).
  const conv::ModelData d = msi_mixed(12, 3);
  for (const char* name : {"f16", "compact"}) {
    SCOPED_TRACE(name);
    const conv::AlignedBuffer buf =
        conv::build_model_file(conv::with_encoding(d, conv::encoding_preset(name)));
    int loaded = 0, rejected = 0;
    for (size_t k = 0; k < buf.size(); ++k) {
      conv::AlignedBuffer flipped(buf.data(), buf.size());
      flipped.data()[k] ^= 0x5A;
      test::reseal(flipped.data(), flipped.size());  // past the checksum, to the checks behind it
      ModelView v;
      if (load<12, 5, 2>(flipped.data(), flipped.size(), v) != Status::Ok) {
        ++rejected;
        continue;
      }
      ++loaded;
      for (Mode mode : kModes) {
        Network<12, 5, 2> net;
        Options opt;
        opt.mode = mode;
        ASSERT_EQ(net.bind(v, opt), Status::Ok);
        Network<12, 5, 2>::Input x;
        x << 1.0f, 0.5f, 0.2f, 0.0f, 1.0f;
        // huge but admissible weights may drive the rates far beyond kMaxActivity: the step
        // then says so (NonFiniteState), and an Ok step has a finite state
        for (int t = 0; t < 5; ++t) {
          const Status s = net.step(x);
          ASSERT_TRUE(s == Status::Ok || s == Status::NonFiniteState) << status_name(s);
          if (s == Status::Ok) {
            ASSERT_TRUE(net.state().allFinite() && net.output().allFinite());
          }
        }
      }
      // what loads is valid: every decoded value in range (huge but finite weights may still
      // drive the network to infinity, as they would in a dense model)
      for (const LayerView* l : {&v.input, &v.recurrent, &v.output}) {
        ASSERT_TRUE(l->is_sparse);
        for (uint32_t i = 0; i < l->rows; ++i)
          sparse::visit_row(l->sparse, l->cols, i, [&](uint32_t, uint32_t, float pi, float m, float xi) {
            EXPECT_TRUE(pi >= 0.0f && pi <= 1.0f && std::isfinite(m) && xi >= 0.0f && std::isfinite(xi));
          });
      }
    }
    EXPECT_GT(rejected, 0);
    EXPECT_GT(loaded, 0);  // flips inside values can leave a valid model
    for (size_t len = 0; len + 16 <= buf.size(); ++len) {
      conv::AlignedBuffer cut(buf.data(), len);
      ModelView v;
      EXPECT_NE(load(cut.data(), len, v), Status::Ok) << "truncated to " << len;
    }
  }
}
