// Model verification: every Status of load() from a crafted file; nothing crashes (run under
// ASan + UBSan in CI); round trip through the converter library.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <tuple>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/network.hpp"
#include "support.hpp"

using namespace sasrnn;

namespace {

conv::ModelData small_msi_model() {
  conv::ModelData d = test::mixed_model(6, 5, 2, 7);
  conv::apply_msi_task(d);
  d.name = "small";
  d.provenance.trainer_version = "test";
  d.provenance.seed = 7;
  d.provenance.command = "unit test";
  d.provenance.metrics = {{"accuracy", 0.5}};
  return d;
}

Status load_copy(const std::vector<uint8_t>& bytes, ModelView& v) {
  conv::AlignedBuffer buf(bytes.data(), bytes.size());
  return load(buf.data(), buf.size(), v);
}

std::vector<uint8_t> bytes_of(const conv::AlignedBuffer& b) {
  return std::vector<uint8_t>(b.data(), b.data() + b.size());
}

// Offset of a float array's first element in the file (to patch values in place).
size_t offset_of(const conv::AlignedBuffer& b, const float* p) {
  return static_cast<size_t>(reinterpret_cast<const uint8_t*>(p) - b.data());
}

}  // namespace

TEST(Load, ValidModelRoundTrips) {
  const conv::ModelData d = small_msi_model();
  const conv::AlignedBuffer buf = conv::build_model_file(d);
  ModelView v;
  ASSERT_EQ((load<6, 5, 2>(buf.data(), buf.size(), v)), Status::Ok);
  EXPECT_EQ(v.n, 6u);
  EXPECT_EQ(v.task, TaskKind::MSI);
  // arrays are read in place, 16-byte aligned, and hold the values written
  EXPECT_EQ(reinterpret_cast<uintptr_t>(v.recurrent.m) % 16, 0u);
  EXPECT_GE(reinterpret_cast<const uint8_t*>(v.recurrent.m), buf.data());
  EXPECT_LT(reinterpret_cast<const uint8_t*>(v.recurrent.m), buf.data() + buf.size());
  const conv::ModelData back = conv::read_model(buf.data(), buf.size());
  EXPECT_EQ(back.recurrent.m, d.recurrent.m);
  EXPECT_EQ(back.recurrent.pi, d.recurrent.pi);
  EXPECT_EQ(back.input.xi, d.input.xi);
  EXPECT_EQ(back.output.m, d.output.m);
  EXPECT_EQ(back.input_mask, d.input_mask);
  EXPECT_EQ(back.name, "small");
  EXPECT_EQ(back.provenance.command, "unit test");
  ASSERT_EQ(back.provenance.metrics.size(), 1u);
  EXPECT_EQ(back.provenance.metrics[0].value, 0.5);
  EXPECT_EQ(back.msi.boundary, 12.5f);
  EXPECT_EQ(back.dynamics.alpha, 0.2f);
}

TEST(Load, NullAndUnalignedBuffers) {
  ModelView v;
  EXPECT_EQ(load(nullptr, 100, v), Status::NullBuffer);
  const conv::AlignedBuffer buf = conv::build_model_file(small_msi_model());
  std::vector<uint8_t> shifted(buf.size() + 32);
  uint8_t* base = shifted.data() + (16 - reinterpret_cast<uintptr_t>(shifted.data()) % 16);
  std::memcpy(base + 4, buf.data(), buf.size());
  EXPECT_EQ(load(base + 4, buf.size(), v), Status::UnalignedBuffer);
}

TEST(Load, TruncationsAtManyLengthsAreRejected) {
  const conv::AlignedBuffer buf = conv::build_model_file(small_msi_model());
  const conv::ModelData full = conv::read_model(buf.data(), buf.size());
  std::set<Status> seen;
  for (size_t len = 0; len < buf.size(); len += (len < 64 || len + 32 > buf.size() ? 1 : 7)) {
    conv::AlignedBuffer cut(buf.data(), len);
    ModelView v;
    const Status s = load(cut.data(), len, v);
    seen.insert(s);
    if (len + 16 <= buf.size()) {
      EXPECT_NE(s, Status::Ok) << "truncated to " << len << " of " << buf.size();
    } else if (s == Status::Ok) {
      // only alignment padding was cut (FlatBuffers pads the end of the buffer to the
      // 16-byte vector alignment): the model read must be the whole model
      const conv::ModelData back = conv::read_model(cut.data(), len);
      EXPECT_EQ(back.recurrent.m, full.recurrent.m);
      EXPECT_EQ(back.input.pi, full.input.pi);
      EXPECT_EQ(back.output.xi, full.output.xi);
    }
  }
  EXPECT_TRUE(seen.count(Status::TooSmall));
  EXPECT_TRUE(seen.count(Status::Corrupt));
}

TEST(Load, CorruptBytesNeverCrash) {
  // Flip single bytes throughout the file: every outcome must be a Status, and anything that
  // loads must still be fully valid (verified ranges).
  const conv::AlignedBuffer buf = conv::build_model_file(small_msi_model());
  for (size_t k = 0; k < buf.size(); ++k) {
    conv::AlignedBuffer flipped(buf.data(), buf.size());  // must outlive the view
    flipped.data()[k] ^= 0xA5;
    ModelView v;
    const Status s = load(flipped.data(), flipped.size(), v);
    if (s == Status::Ok) {
      for (uint32_t i = 0; i < v.n * v.n; ++i) {
        EXPECT_GE(v.recurrent.pi[i], 0.0f);
        EXPECT_LE(v.recurrent.pi[i], 1.0f);
      }
    }
  }
}

TEST(Load, WrongIdentifier) {
  std::vector<uint8_t> bytes = bytes_of(conv::build_model_file(small_msi_model()));
  bytes[4] = 'X';
  ModelView v;
  EXPECT_EQ(load_copy(bytes, v), Status::BadIdentifier);
}

TEST(Load, ShapeMismatchWithTemplateSizes) {
  const conv::AlignedBuffer buf = conv::build_model_file(small_msi_model());
  ModelView v;
  EXPECT_EQ((load<7, 5, 2>(buf.data(), buf.size(), v)), Status::ShapeMismatch);
  EXPECT_EQ((load<6, 4, 2>(buf.data(), buf.size(), v)), Status::ShapeMismatch);
  EXPECT_EQ((load<6, 5, 3>(buf.data(), buf.size(), v)), Status::ShapeMismatch);
  // and a Network refuses a view of another size
  ASSERT_EQ(load(buf.data(), buf.size(), v), Status::Ok);
  Network<8, 5, 2> net;
  EXPECT_EQ(net.bind(v, Options{}), Status::ShapeMismatch);
  EXPECT_EQ(net.step(Network<8, 5, 2>::Input::Zero()), Status::NotBound);
}

// Patches one float of a layer array in a copy of the file and loads it.
Status load_with_patched(const conv::AlignedBuffer& buf, const float* where, float value) {
  std::vector<uint8_t> bytes = bytes_of(buf);
  std::memcpy(&bytes[offset_of(buf, where)], &value, sizeof value);
  test::reseal(bytes.data(), bytes.size());  // the value check, not the checksum
  ModelView v;
  return load_copy(bytes, v);
}

TEST(Load, ValueRangesAreChecked) {
  const conv::AlignedBuffer buf = conv::build_model_file(small_msi_model());
  ModelView v;
  ASSERT_EQ(load(buf.data(), buf.size(), v), Status::Ok);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(load_with_patched(buf, v.recurrent.pi + 3, 1.5f), Status::PiOutOfRange);
  EXPECT_EQ(load_with_patched(buf, v.output.pi + 1, -0.1f), Status::PiOutOfRange);
  EXPECT_EQ(load_with_patched(buf, v.recurrent.xi + 2, -1.0f), Status::XiNegative);
  EXPECT_EQ(load_with_patched(buf, v.recurrent.m + 4, nan), Status::NonFinite);
  EXPECT_EQ(load_with_patched(buf, v.input.m + 4, inf), Status::NonFinite);
  EXPECT_EQ(load_with_patched(buf, v.output.xi, nan), Status::NonFinite);
  // a masked input connection (unit 0 does not see visual+, channel 0) must have pi = 1
  EXPECT_EQ(load_with_patched(buf, v.input.pi + 0, 0.5f), Status::BadMask);
}

TEST(Load, BuilderChecksAndStatusesForInconsistentData) {
  conv::ModelData d = small_msi_model();
  d.recurrent.m.pop_back();
  EXPECT_THROW(conv::build_model_file(d), std::invalid_argument);
  d = small_msi_model();
  d.dynamics.alpha = 0.0f;
  try {
    conv::build_model_file(d);
    FAIL() << "alpha = 0 accepted";
  } catch (const conv::ModelError& e) {
    EXPECT_EQ(e.status, Status::BadDynamics);
  }
  d = small_msi_model();
  d.dynamics.sigma_rec = std::numeric_limits<float>::quiet_NaN();
  try {
    conv::build_model_file(d);
    FAIL();
  } catch (const conv::ModelError& e) {
    EXPECT_EQ(e.status, Status::NonFinite);
  }
  d = small_msi_model();
  d.dynamics.readout = static_cast<Readout>(7);
  try {
    conv::build_model_file(d);
    FAIL();
  } catch (const conv::ModelError& e) {
    EXPECT_EQ(e.status, Status::BadEnum);
  }
  d = small_msi_model();
  d.msi.boundary = 20.0f;
  try {
    conv::build_model_file(d);
    FAIL();
  } catch (const conv::ModelError& e) {
    EXPECT_EQ(e.status, Status::BadTask);
  }
  d = small_msi_model();
  d.input_mask[3] = 2;
  try {
    conv::build_model_file(d);
    FAIL();
  } catch (const conv::ModelError& e) {
    EXPECT_EQ(e.status, Status::BadMask);
  }
}

// Files made with the raw FlatBuffers builder: missing tables, wrong sizes, misaligned arrays.
namespace {
conv::AlignedBuffer raw_model(bool with_recurrent, uint32_t n, uint32_t rec_len, bool misalign,
                              uint32_t layer_rows, uint32_t version = kFormatVersion, float alpha = 0.2f,
                              float tau_ms = 100.0f, float dt_ms = 20.0f) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<float> zeros_in(n * 5, 0.0f), zeros_out(2 * n, 0.0f), rec(rec_len, 0.0f);
  auto in = fb::CreateLayerDirect(fbb, n, 5, &zeros_in, &zeros_in, &zeros_in);
  flatbuffers::Offset<fb::Layer> recurrent = 0;
  if (with_recurrent) {
    flatbuffers::Offset<flatbuffers::Vector<float>> pi, m, xi;
    if (misalign) {
      // plain CreateVector with an odd-sized padding vector before it: no force_align
      fbb.CreateVector(std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8});
      pi = fbb.CreateVector(rec);
      fbb.CreateVector(std::vector<uint8_t>{1, 2, 3, 4});
      m = fbb.CreateVector(rec);
      fbb.CreateVector(std::vector<uint8_t>{1, 2, 3, 4});
      xi = fbb.CreateVector(rec);
    } else {
      fbb.ForceVectorAlignment(rec.size(), sizeof(float), 16);
      pi = fbb.CreateVector(rec);
      fbb.ForceVectorAlignment(rec.size(), sizeof(float), 16);
      m = fbb.CreateVector(rec);
      fbb.ForceVectorAlignment(rec.size(), sizeof(float), 16);
      xi = fbb.CreateVector(rec);
    }
    recurrent = fb::CreateLayer(fbb, layer_rows, n, pi, m, xi);
  }
  auto out = fb::CreateLayerDirect(fbb, 2, n, &zeros_out, &zeros_out, &zeros_out);
  auto dyn = fb::CreateDynamics(fbb, alpha, tau_ms, dt_ms, 0.15f, 0.01f, 0.2f);
  auto root = fb::CreateModel(fbb, version, n, 5, 2, in, recurrent, out, dyn);
  fb::FinishModelBuffer(fbb, root);
  return conv::AlignedBuffer(fbb.GetBufferPointer(), fbb.GetSize());
}
}  // namespace

TEST(Load, RawFilesWithStructuralProblems) {
  ModelView v;
  {
    const auto ok = raw_model(true, 8, 64, false, 8);
    EXPECT_EQ(load(ok.data(), ok.size(), v), Status::Ok);
  }
  {
    const auto b = raw_model(true, 8, 64, false, 8, 4);
    EXPECT_EQ(load(b.data(), b.size(), v), Status::UnsupportedVersion);
  }
  {  // version 3 is a feedforward stack (feedforward/model.hpp): not for the recurrent loader
    const auto b = raw_model(true, 8, 64, false, 8, kFormatVersionFeedforward);
    EXPECT_EQ(load(b.data(), b.size(), v), Status::NotRecurrent);
  }
  {
    const auto b = raw_model(true, 8, 64, false, 8, 0);
    EXPECT_EQ(load(b.data(), b.size(), v), Status::UnsupportedVersion);
  }
  {
    const auto b = raw_model(false, 8, 64, false, 8);
    EXPECT_EQ(load(b.data(), b.size(), v), Status::MissingField);
  }
  {
    const auto b = raw_model(true, 8, 63, false, 8);
    EXPECT_EQ(load(b.data(), b.size(), v), Status::ArraySizeMismatch);
  }
  {
    const auto b = raw_model(true, 8, 64, false, 9);
    EXPECT_EQ(load(b.data(), b.size(), v), Status::BadDimensions);
  }
  {
    // with three differently padded vectors, at least one is off 16-byte alignment
    const auto b = raw_model(true, 8, 64, true, 8);
    EXPECT_EQ(load(b.data(), b.size(), v), Status::UnalignedArray);
  }
  {
    const auto b = raw_model(true, 0, 0, false, 0);
    EXPECT_EQ(load(b.data(), b.size(), v), Status::BadDimensions);
  }
}

// load()'s LoadDetail says where each class of failure lies: the array (named as in the array
// layout), the position, the value and the rule; the converter's one line words exactly that.
namespace {
struct Verdict {
  Status status;
  LoadDetail where;
};
Verdict load_patched(const conv::AlignedBuffer& buf, const float* at, float value) {
  std::vector<uint8_t> bytes = bytes_of(buf);
  std::memcpy(&bytes[offset_of(buf, at)], &value, sizeof value);
  test::reseal(bytes.data(), bytes.size());  // the value check, not the checksum
  conv::AlignedBuffer copy(bytes.data(), bytes.size());
  ModelView v;
  Verdict r{Status::Ok, LoadDetail{}};
  r.status = load(copy.data(), copy.size(), v, &r.where);
  return r;
}
void expect_element(const Verdict& r, Status s, const char* field, uint32_t row, uint32_t col) {
  EXPECT_EQ(r.status, s) << status_name(r.status);
  EXPECT_EQ(r.where.kind, LoadDetail::Kind::Element);
  ASSERT_NE(r.where.field, nullptr);
  EXPECT_STREQ(r.where.field, field);
  EXPECT_EQ(r.where.row, row);
  EXPECT_EQ(r.where.col, col);
}
std::string cause_of(const conv::ModelData& d) {
  try {
    conv::build_model_file(d);
  } catch (const conv::ModelError& e) {
    return e.cause;
  }
  return "accepted";
}
}  // namespace

TEST(LoadDetail, ValuesNameTheirArrayAndPosition) {
  const conv::AlignedBuffer buf = conv::build_model_file(small_msi_model());  // N 6, NIn 5, NOut 2
  ModelView v;
  LoadDetail where;
  where.field = "stale";
  ASSERT_EQ(load(buf.data(), buf.size(), v, &where), Status::Ok);
  EXPECT_EQ(where.field, nullptr);  // cleared
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Verdict r = load_patched(buf, v.recurrent.pi + 15, 1.5f);  // row 2, column 3 of the 6 x 6 layer
  expect_element(r, Status::PiOutOfRange, "pi_rec", 2, 3);
  EXPECT_EQ(r.where.value, 1.5f);
  EXPECT_EQ(conv::describe_load_failure(r.status, r.where),
            "array 'pi_rec' has 1.5 at (2, 3), expected in [0, 1] [PiOutOfRange]");
  expect_element(load_patched(buf, v.output.pi + 7, -0.1f), Status::PiOutOfRange, "pi_out", 1, 1);
  expect_element(load_patched(buf, v.recurrent.xi + 2, -1.0f), Status::XiNegative, "xi_rec", 0, 2);
  expect_element(load_patched(buf, v.recurrent.m + 4, nan), Status::NonFinite, "m_rec", 0, 4);
  expect_element(load_patched(buf, v.input.m + 9, nan), Status::NonFinite, "m_in", 1, 4);
  expect_element(load_patched(buf, v.output.xi + 11, nan), Status::NonFinite, "xi_out", 1, 5);
  // a masked input connection (unit 0 does not see visual+, channel 0) must have pi = 1
  r = load_patched(buf, v.input.pi + 0, 0.5f);
  expect_element(r, Status::BadMask, "pi_in", 0, 0);
  EXPECT_EQ(conv::describe_load_failure(r.status, r.where),
            "array 'pi_in' has 0.5 at (0, 0), expected 1 where input_mask is 0 [BadMask]");
  // a row whose |m| sum breaks kMaxRowMean: the layer and the row, the sum and the bound
  uint32_t k = 6 * 4;  // the first present (pi < 1) connection from row 4 on: absent ones never count
  while (v.recurrent.pi[k] == 1.0f) ++k;
  r = load_patched(buf, v.recurrent.m + k, 1e30f);
  EXPECT_EQ(r.status, Status::MeanOverflow);
  EXPECT_EQ(r.where.kind, LoadDetail::Kind::Row);
  EXPECT_STREQ(r.where.field, "pi_rec/m_rec/xi_rec");
  EXPECT_EQ(r.where.row, k / 6);
  EXPECT_TRUE(r.where.has_limit);
  EXPECT_EQ(r.where.limit, kMaxRowMean);
  EXPECT_GT(r.where.value, kMaxRowMean);
}

TEST(LoadDetail, StructureDynamicsTaskAndMaskNameTheirField) {
  ModelView v;
  LoadDetail w;
  {
    const auto b = raw_model(false, 8, 64, false, 8);
    EXPECT_EQ(load(b.data(), b.size(), v, &w), Status::MissingField);
    EXPECT_EQ(w.kind, LoadDetail::Kind::Field);
    EXPECT_STREQ(w.field, "pi_rec/m_rec/xi_rec");
  }
  {
    const auto b = raw_model(true, 8, 63, false, 8);
    EXPECT_EQ(load(b.data(), b.size(), v, &w), Status::ArraySizeMismatch);
    EXPECT_STREQ(w.field, "pi_rec");
    EXPECT_EQ(conv::describe_load_failure(Status::ArraySizeMismatch, w),
              "pi_rec: a weight array's length is not rows*cols [ArraySizeMismatch]");
  }
  {
    const auto b = raw_model(true, 0, 0, false, 0);
    EXPECT_EQ(load(b.data(), b.size(), v, &w), Status::BadDimensions);
    EXPECT_EQ(w.kind, LoadDetail::Kind::Scalar);
    EXPECT_STREQ(w.field, "N");
    EXPECT_EQ(w.value, 0.0f);
  }
  {
    const std::vector<uint8_t> junk(64, 0x5a);
    conv::AlignedBuffer b(junk.data(), junk.size());
    EXPECT_EQ(load(b.data(), b.size(), v, &w), Status::BadIdentifier);
    EXPECT_EQ(w.kind, LoadDetail::Kind::File);  // the file as a whole: no field
    EXPECT_EQ(w.field, nullptr);
  }
  const conv::ModelData good = small_msi_model();
  conv::ModelData d = good;
  d.dynamics.sigma_in = -0.5f;
  EXPECT_EQ(cause_of(d), "sigma_in is -0.5, expected >= 0 [BadDynamics]");
  d = good;
  d.dynamics.baseline = std::numeric_limits<float>::infinity();
  EXPECT_EQ(cause_of(d), "baseline is inf, expected a finite number [NonFinite]");
  d = good;
  d.dynamics.readout = static_cast<Readout>(7);
  EXPECT_EQ(cause_of(d), "readout is 7, expected 0 (identity), 1 (softmax) or 2 (argmax) [BadEnum]");
  d = good;
  d.msi.boundary = 20.0f;
  EXPECT_EQ(cause_of(d), "msi_boundary is 20, expected a value between msi_rate_min and msi_rate_max [BadTask]");
  d = good;
  d.msi.decision_ms = 0.0f;
  EXPECT_EQ(cause_of(d), "msi_decision_ms is 0, expected > 0 [BadTask]");
  d = good;
  d.input_mask[3] = 2;
  EXPECT_EQ(cause_of(d), "array 'input_mask' has 2 at (0, 3), expected 0 or 1 [BadMask]");
  d = good;
  d.recurrent.xi[13] = 1e30f;  // row 2: xi + m^2 breaks kMaxRowVar, |m| + sqrt(xi) does not
  EXPECT_EQ(cause_of(d).rfind("row 2 of pi_rec/m_rec/xi_rec has 1.00000002e+30, expected a sum of xi + m^2 "
                              "(over pi < 1) of at most ", 0),
            0u)
      << cause_of(d);
  // and with a sparse encoding, the same names and positions (the values decoded from the file)
  d = conv::with_encoding(good, conv::encoding_preset("sparse-f32"));
  d.output.pi[9] = 0.5f;
  d.output.m[9] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(cause_of(d), "array 'm_out' has nan at (1, 3), expected a finite number [NonFinite]");
}

// alpha is stored and judged against dt_ms / tau_ms (kAlphaTolerance): every writer's rounding
// passes, a different alpha is refused (Status::AlphaMismatch), and the stored value is what runs.
TEST(LoadDetail, AlphaMustAgreeWithDtOverTau) {
  ModelView v;
  LoadDetail w;
  // within the tolerance: alpha a few ulps from dt / tau, and tau stored as 1 / alpha (MNIST)
  const float near = std::nextafter(std::nextafter(0.2f, 1.0f), 1.0f);
  for (const auto& [alpha, tau, dt] : {std::tuple<float, float, float>{0.2f, 100.0f, 20.0f},
                                       {near, 100.0f, 20.0f},
                                       {0.07f, static_cast<float>(1.0 / 0.07), 1.0f},
                                       {static_cast<float>(0.5 / 300.0), 300.0f, 0.5f}}) {
    const auto b = raw_model(true, 8, 64, false, 8, kFormatVersion, alpha, tau, dt);
    EXPECT_EQ(load(b.data(), b.size(), v, &w), Status::Ok) << alpha << " " << tau << " " << dt;
    EXPECT_EQ(v.dynamics.alpha, alpha);
  }
  // outside: alpha off by a relative 1e-5, tau edited alone, dt / tau > 1, dt / tau overflowing
  for (const auto& [alpha, tau, dt] : {std::tuple<float, float, float>{0.2f * (1 + 1e-5f), 100.0f, 20.0f},
                                       {0.2f, 200.0f, 20.0f},
                                       {1.0f, 10.0f, 20.0f},
                                       {0.5f, 1e-38f, 1e38f}}) {
    const auto b = raw_model(true, 8, 64, false, 8, kFormatVersion, alpha, tau, dt);
    EXPECT_EQ(load(b.data(), b.size(), v, &w), Status::AlphaMismatch) << alpha << " " << tau << " " << dt;
    EXPECT_EQ(w.kind, LoadDetail::Kind::Scalar);
    EXPECT_STREQ(w.field, "alpha");
    EXPECT_EQ(w.value, alpha);
    EXPECT_TRUE(w.has_limit);
  }
  conv::ModelData d = small_msi_model();
  d.dynamics.tau_ms = 200.0f;
  EXPECT_EQ(cause_of(d), "alpha is 0.200000003, expected dt_ms / tau_ms (to a relative 4.8e-07) = 0.100000001 "
                         "[AlphaMismatch]");
}

TEST(Load, EveryStatusHasANameAndMessage) {
  std::set<std::string> names, messages;
  for (int k = 0; k < kStatusCount; ++k) {
    const Status s = static_cast<Status>(k);
    names.insert(status_name(s));
    messages.insert(status_message(s));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kStatusCount));
  EXPECT_EQ(messages.size(), static_cast<size_t>(kStatusCount));
  EXPECT_EQ(names.count("Unknown"), 0u);
}

TEST(Load, FileErrorsAreOneLineMessages) {
  try {
    conv::load_model_file("/nonexistent/model.sasrnn");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos);
  }
}
