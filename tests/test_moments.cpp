// Precomputed moments mu and var of dense layers (format version 2, `--encoding dense-moments`):
// what the converter writes, and every way load() rejects moments that are absent in half, of the
// wrong size, misaligned, in a version 1 file, beside a sparse layer, or not exactly
// dyn::sas_mean / dyn::sas_var of the layer's pi, m, xi. (Bit-identity of the network with and
// without moments: tests/test_bitexact.cpp.)
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/dynamics.hpp"
#include "sasrnn/model.hpp"
#include "support.hpp"

using namespace sasrnn;

namespace {

using test::bits;

conv::ModelData small_model() { return test::mixed_model(9, 5, 2, 3); }

/// What a test does to the recurrent layer's moments when it writes the file by hand.
struct RawMoments {
  bool mu = true, var = true;      // present
  int mu_size_delta = 0;           // elements added to (or removed from) mu
  bool misalign = false;           // write mu without force_align, after an odd-sized vector
  bool sparse = false;             // store the layer sparse (moments beside it)
  uint32_t version = kFormatVersion;
  void (*patch)(std::vector<float>& mu, std::vector<float>& var) = nullptr;
};

/// The model file with input and output layers dense, and the recurrent layer written with the
/// FlatBuffers builder as `how` says.
conv::AlignedBuffer raw_file(const conv::ModelData& d, const RawMoments& how) {
  flatbuffers::FlatBufferBuilder fbb;
  const conv::LayerData& r = d.recurrent;
  std::vector<float> mu(r.size()), var(r.size());
  for (size_t k = 0; k < r.size(); ++k) {
    mu[k] = dyn::sas_mean(r.pi[k], r.m[k]);
    var[k] = dyn::sas_var(r.pi[k], r.m[k], r.xi[k]);
  }
  if (how.patch) how.patch(mu, var);
  mu.resize(static_cast<size_t>(static_cast<long>(mu.size()) + how.mu_size_delta), 0.5f);
  auto aligned = [&](const std::vector<float>& v) {
    fbb.ForceVectorAlignment(v.size(), sizeof(float), 16);
    return fbb.CreateVector(v);
  };
  flatbuffers::Offset<flatbuffers::Vector<float>> mu_off = 0, var_off = 0;
  if (how.mu) {
    if (how.misalign) {  // two tries: one of them lands off a 16-byte boundary
      fbb.CreateVector(std::vector<uint8_t>{1, 2, 3, 4});
      mu_off = fbb.CreateVector(mu);
    } else {
      mu_off = aligned(mu);
    }
  }
  if (how.var) {
    if (how.misalign) fbb.CreateVector(std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8});
    var_off = how.misalign ? fbb.CreateVector(var) : aligned(var);
  }
  flatbuffers::Offset<fb::Layer> recurrent;
  if (how.sparse) {
    const conv::SparseData s = conv::encode_sparse(r, conv::encoding_preset("sparse-f32"));
    const auto sp = fb::CreateSparseLayerDirect(fbb, fb::ValueType::F32, &s.present, &s.cls, &s.m_start,
                                                &s.pi_start, &s.xi_start, &s.pi, &s.m, &s.xi);
    recurrent = fb::CreateLayer(fbb, r.rows, r.cols, 0, 0, 0, sp, mu_off, var_off);
  } else {
    const auto pi = aligned(r.pi), m = aligned(r.m), xi = aligned(r.xi);
    recurrent = fb::CreateLayer(fbb, r.rows, r.cols, pi, m, xi, 0, mu_off, var_off);
  }
  const auto input = fb::CreateLayerDirect(fbb, d.input.rows, d.input.cols, &d.input.pi, &d.input.m, &d.input.xi);
  const auto output =
      fb::CreateLayerDirect(fbb, d.output.rows, d.output.cols, &d.output.pi, &d.output.m, &d.output.xi);
  const DynamicsView& y = d.dynamics;
  const auto dyn = fb::CreateDynamics(fbb, y.alpha, y.tau_ms, y.dt_ms, y.sigma_rec, y.sigma_in, y.baseline);
  const auto root = fb::CreateModel(fbb, how.version, d.n, d.n_in, d.n_out, input, recurrent, output, dyn);
  fb::FinishModelBuffer(fbb, root);
  return conv::AlignedBuffer(fbb.GetBufferPointer(), fbb.GetSize());
}

Status load_status(const conv::AlignedBuffer& b) {
  ModelView v;
  return load(b.data(), b.size(), v);
}

/// Copies the file, replaces the float at `where` (a pointer into `buf`) with `value`, loads it.
Status load_patched(const conv::AlignedBuffer& buf, const float* where, float value) {
  conv::AlignedBuffer copy(buf.data(), buf.size());
  const size_t off = static_cast<size_t>(reinterpret_cast<const uint8_t*>(where) - buf.data());
  std::memcpy(copy.data() + off, &value, sizeof value);
  test::reseal(copy.data(), copy.size());  // the moments check, not the checksum
  return load_status(copy);
}

float next_up(float f) {
  uint32_t b = bits(f);
  b += 1;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

}  // namespace

TEST(Moments, PresetWritesVersion2AndReadsBack) {
  const conv::LayerEncoding e = conv::encoding_preset("dense-moments");
  EXPECT_TRUE(e.moments);
  EXPECT_FALSE(e.sparse);
  EXPECT_EQ(e.describe(), "dense f32 + moments");
  EXPECT_EQ(conv::encoding_preset("dense").describe(), "dense f32");
  bool listed = false;
  for (const std::string& n : conv::encoding_names()) listed = listed || n == "dense-moments";
  EXPECT_TRUE(listed);

  const conv::ModelData d = small_model();
  const conv::AlignedBuffer plain = conv::build_model_file(d);
  const conv::AlignedBuffer with = conv::build_model_file(conv::with_encoding(d, e));
  ModelView vp, vm;
  ASSERT_EQ(load(plain.data(), plain.size(), vp), Status::Ok);
  ASSERT_EQ(load(with.data(), with.size(), vm), Status::Ok);
  EXPECT_EQ(vp.root->format_version(), kFormatVersionDense);
  EXPECT_EQ(vm.root->format_version(), kFormatVersion);
  EXPECT_FALSE(vp.recurrent.has_moments());
  const size_t connections = d.input.size() + d.recurrent.size() + d.output.size();
  EXPECT_GE(with.size(), plain.size() + 8 * connections);  // two more floats per connection
  for (const LayerView* l : {&vm.input, &vm.recurrent, &vm.output}) {
    ASSERT_TRUE(l->has_moments());
    ASSERT_NE(l->var, nullptr);
    for (size_t k = 0; k < static_cast<size_t>(l->rows) * l->cols; ++k) {
      EXPECT_EQ(bits(l->mu[k]), bits(dyn::sas_mean(l->pi[k], l->m[k])));
      EXPECT_EQ(bits(l->var[k]), bits(dyn::sas_var(l->pi[k], l->m[k], l->xi[k])));
    }
  }
  const conv::ModelData back = conv::read_model(with.data(), with.size());
  EXPECT_TRUE(back.recurrent.encoding == e);
  EXPECT_TRUE(back.input.encoding.moments && back.output.encoding.moments);
  EXPECT_EQ(back.recurrent.pi, d.recurrent.pi);
  EXPECT_EQ(back.recurrent.m, d.recurrent.m);
  EXPECT_EQ(back.recurrent.xi, d.recurrent.xi);
  // written again from what was read: the same bytes
  const conv::AlignedBuffer again = conv::build_model_file(back);
  ASSERT_EQ(again.size(), with.size());
  EXPECT_EQ(std::memcmp(again.data(), with.data(), with.size()), 0);
}

TEST(Moments, OneLayerWithMomentsIsVersion2) {
  conv::ModelData d = small_model();
  d.output.encoding.moments = true;
  const conv::AlignedBuffer b = conv::build_model_file(d);
  ModelView v;
  ASSERT_EQ(load(b.data(), b.size(), v), Status::Ok);
  EXPECT_EQ(v.root->format_version(), kFormatVersion);
  EXPECT_TRUE(v.output.has_moments());
  EXPECT_FALSE(v.recurrent.has_moments());
  EXPECT_FALSE(v.input.has_moments());
}

TEST(Moments, ConverterRefusesMomentsWithSparse) {
  conv::ModelData d = small_model();
  conv::LayerEncoding e = conv::encoding_preset("q8");
  e.moments = true;
  d.recurrent.encoding = e;
  EXPECT_THROW(conv::build_model_file(d), std::invalid_argument);
}

TEST(Moments, RawFileAsWrittenLoads) {
  const conv::ModelData d = small_model();
  const conv::AlignedBuffer b = raw_file(d, RawMoments{});
  ModelView v;
  ASSERT_EQ(load(b.data(), b.size(), v), Status::Ok);
  EXPECT_TRUE(v.recurrent.has_moments());
  EXPECT_FALSE(v.input.has_moments());
}

TEST(Moments, HalfPresentIsMissingField) {
  const conv::ModelData d = small_model();
  RawMoments only_mu;
  only_mu.var = false;
  EXPECT_EQ(load_status(raw_file(d, only_mu)), Status::MissingField);
  RawMoments only_var;
  only_var.mu = false;
  EXPECT_EQ(load_status(raw_file(d, only_var)), Status::MissingField);
}

TEST(Moments, WrongSizeAndAlignment) {
  const conv::ModelData d = small_model();
  for (int delta : {-1, 1, -static_cast<int>(d.recurrent.size())}) {
    RawMoments h;
    h.mu_size_delta = delta;
    EXPECT_EQ(load_status(raw_file(d, h)), Status::ArraySizeMismatch) << delta;
  }
  RawMoments h;
  h.misalign = true;
  EXPECT_EQ(load_status(raw_file(d, h)), Status::UnalignedArray);
}

TEST(Moments, Version1FileWithMomentsIsBadMoments) {
  RawMoments h;
  h.version = kFormatVersionDense;
  EXPECT_EQ(load_status(raw_file(small_model(), h)), Status::BadMoments);
}

TEST(Moments, BesideASparseLayerIsBadSparse) {
  RawMoments h;
  h.sparse = true;
  EXPECT_EQ(load_status(raw_file(small_model(), h)), Status::BadSparse);
  h.var = false;
  EXPECT_EQ(load_status(raw_file(small_model(), h)), Status::BadSparse);
}

TEST(Moments, ValuesThatDisagreeAreBadMoments) {
  const conv::ModelData d = small_model();
  const conv::AlignedBuffer b = conv::build_model_file(conv::with_encoding(d, conv::encoding_preset("dense-moments")));
  ModelView v;
  ASSERT_EQ(load(b.data(), b.size(), v), Status::Ok);
  // one unit in the last place, in every layer, first and last element, mu and var
  for (const LayerView* l : {&v.input, &v.recurrent, &v.output}) {
    const size_t last = static_cast<size_t>(l->rows) * l->cols - 1;
    for (size_t k : {size_t{0}, last}) {
      EXPECT_EQ(load_patched(b, l->mu + k, next_up(l->mu[k])), Status::BadMoments) << k;
      EXPECT_EQ(load_patched(b, l->var + k, next_up(l->var[k])), Status::BadMoments) << k;
    }
  }
  // the sign of a zero counts (bit for bit): mu = (1 - pi) m is +0 where m = +0 and pi < 1 ...
  conv::ModelData z = d;
  z.recurrent.m[4] = 0.0f;
  z.recurrent.pi[4] = 0.5f;
  z.recurrent.xi[4] = 0.0f;
  const conv::AlignedBuffer bz = conv::build_model_file(conv::with_encoding(z, conv::encoding_preset("dense-moments")));
  ModelView vz;
  ASSERT_EQ(load(bz.data(), bz.size(), vz), Status::Ok);
  ASSERT_EQ(bits(vz.recurrent.mu[4]), 0u);
  ASSERT_EQ(bits(vz.recurrent.var[4]), 0u);
  EXPECT_EQ(load_patched(bz, vz.recurrent.mu + 4, -0.0f), Status::BadMoments);
  EXPECT_EQ(load_patched(bz, vz.recurrent.var + 4, -0.0f), Status::BadMoments);
  // a file written by hand with a var that is off (the constant connection at index 1: var = 0)
  RawMoments other;
  other.patch = [](std::vector<float>& mu, std::vector<float>& var) {
    (void)mu;
    var[1] = var[1] * 1.0000001f == var[1] ? next_up(var[1]) : var[1] * 1.0000001f;
  };
  EXPECT_EQ(load_status(raw_file(d, other)), Status::BadMoments);
  // a patched pi with unchanged moments: the moments no longer belong to the file's pi
  EXPECT_EQ(load_patched(b, v.recurrent.pi + 2, v.recurrent.pi[2] == 0.5f ? 0.25f : 0.5f), Status::BadMoments);
}

TEST(Moments, StatusNameAndMessage) {
  EXPECT_STREQ(status_name(Status::BadMoments), "BadMoments");
  EXPECT_STREQ(status_name(Status::EncodingNotBuilt), "EncodingNotBuilt");
  EXPECT_EQ(static_cast<int>(Status::EncodingNotBuilt) + 1, static_cast<int>(Status::ChecksumMismatch));
}
