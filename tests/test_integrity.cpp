// Integrity of model files and runs (issue "Hardening"): the CRC-32C content checksum that the
// converter writes and load() checks, bit flips in the shipped models, the load-time bounds on
// what the modes compute (MeanOverflow, VarianceOverflow), and the run-time refusals of step()
// and reset() (InputOverflow, NonFiniteInput, NonFiniteState).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "sasrnn/analysis/msi_eval.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/converter/npz.hpp"
#include "sasrnn/crc32c.hpp"
#include "sasrnn/network.hpp"
#include "support.hpp"

using namespace sasrnn;

namespace {

/// The bit-at-a-time definition of CRC-32C, to check the table and SSE4.2 forms against.
uint32_t crc32c_reference(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t k = 0; k < n; ++k) {
    c ^= p[k];
    for (int b = 0; b < 8; ++b) c = (c & 1u) != 0 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

Status status_of(const conv::AlignedBuffer& b) {
  ModelView v;
  return load(b.data(), b.size(), v);
}

conv::ModelData msi_model(uint32_t n, uint32_t seed) {
  conv::ModelData d = test::mixed_model(n, 5, 2, seed);
  conv::apply_msi_task(d);
  return d;
}

/// The status build_model_file() refuses a model with (Ok if it writes it).
Status write_status(const conv::ModelData& d) {
  try {
    conv::build_model_file(d);
    return Status::Ok;
  } catch (const conv::ModelError& e) {
    return e.status;
  }
}

std::vector<std::string> shipped_models() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(SASRNN_SOURCE_DIR "/models"))
    if (e.path().extension() == ".sasrnn") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

/// Flips bit (k mod 8) at offset k * size / 20 for k = 1..19 (19 evenly spaced offsets); returns
/// how many of the 19 files load, and counts ChecksumMismatch.
int flipped_files_that_load(const conv::AlignedBuffer& file, int& mismatches) {
  int loaded = 0;
  mismatches = 0;
  for (size_t k = 1; k <= 19; ++k) {
    conv::AlignedBuffer copy(file.data(), file.size());
    copy.data()[k * file.size() / 20] ^= static_cast<uint8_t>(1u << (k % 8));
    const Status s = status_of(copy);
    loaded += s == Status::Ok ? 1 : 0;
    mismatches += s == Status::ChecksumMismatch ? 1 : 0;
  }
  return loaded;
}

}  // namespace

TEST(Integrity, StatusNamesAndMessages) {
  // appended to the enum (codes are never renumbered), each with its name and sentence
  EXPECT_EQ(static_cast<int>(Status::BadStack) + 1, kStatusCount);
  EXPECT_EQ(static_cast<int>(Status::AlphaMismatch), static_cast<int>(Status::NonFiniteState) + 1);
  EXPECT_EQ(static_cast<int>(Status::NotRecurrent), static_cast<int>(Status::AlphaMismatch) + 1);
  EXPECT_EQ(static_cast<int>(Status::BadStack), static_cast<int>(Status::NotFeedforward) + 1);
  for (Status s : {Status::ChecksumMismatch, Status::MeanOverflow, Status::VarianceOverflow,
                   Status::InputOverflow, Status::NonFiniteState, Status::AlphaMismatch,
                   Status::NotRecurrent, Status::NotFeedforward, Status::BadStack}) {
    EXPECT_STRNE(status_name(s), "Unknown");
    EXPECT_STRNE(status_message(s), "unknown status");
  }
  EXPECT_STREQ(status_name(Status::ChecksumMismatch), "ChecksumMismatch");
}

TEST(Crc32c, KnownValueAndEveryLength) {
  const char* check = "123456789";
  EXPECT_EQ(crc32c::compute(reinterpret_cast<const uint8_t*>(check), 9), 0xE3069283u);
  EXPECT_EQ(crc32c::compute(nullptr, 0), 0u);
  std::mt19937 gen(3);
  std::vector<uint8_t> bytes(300);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(gen());
  for (size_t n = 0; n <= bytes.size(); ++n) {
    ASSERT_EQ(crc32c::compute(bytes.data(), n), crc32c_reference(bytes.data(), n)) << n;
    // in two parts: extend() continues where it stopped
    const uint32_t a = crc32c::extend(0xFFFFFFFFu, bytes.data(), n / 3);
    ASSERT_EQ(~crc32c::extend(a, bytes.data() + n / 3, n - n / 3), crc32c_reference(bytes.data(), n)) << n;
  }
}

TEST(Checksum, WrittenByTheConverterAndVerified) {
  for (const char* enc : {"dense", "dense-moments", "f16", "compact"}) {
    const conv::AlignedBuffer b =
        conv::build_model_file(conv::with_encoding(msi_model(9, 1), conv::encoding_preset(enc)));
    ModelView v;
    ASSERT_EQ(load(b.data(), b.size(), v), Status::Ok) << enc;
    EXPECT_TRUE(v.checksum_verified) << enc;
    const size_t at = detail::checksum_offset(b.data(), v.root);
    ASSERT_NE(at, 0u);
    uint32_t stored;
    std::memcpy(&stored, b.data() + at, 4);
    // the CRC of the whole file with the field read as zero, computed independently
    std::vector<uint8_t> zeroed(b.data(), b.data() + b.size());
    std::memset(zeroed.data() + at, 0, 4);
    EXPECT_EQ(stored, crc32c_reference(zeroed.data(), zeroed.size())) << enc;
    // a different stored value, or a changed value byte anywhere, is ChecksumMismatch
    conv::AlignedBuffer bad(b.data(), b.size());
    bad.data()[at] ^= 1;
    EXPECT_EQ(status_of(bad), Status::ChecksumMismatch) << enc;
  }
}

TEST(Checksum, ShippedModelsCarryOne) {
  const std::vector<std::string> models = shipped_models();
  ASSERT_GE(models.size(), 4u);
  for (const std::string& path : models) {
    const conv::AlignedBuffer bytes = conv::read_file(path);
    const bool verified = conv::is_feedforward(bytes.data(), bytes.size())
                              ? conv::load_ff_model_file(path).second.checksum_verified  // a stack
                              : conv::load_model_file(path).second.checksum_verified;
    EXPECT_TRUE(verified) << path << " has no checksum: re-write it with sasrnn convert";
  }
}

TEST(Checksum, EveryBitFlipAtNineteenOffsetsOfEachShippedModelIsRejected) {
  // issue "Hardening": before the checksum, 35 of these 38 flipped files loaded
  int files = 0;
  for (const std::string& path : shipped_models()) {
    const conv::AlignedBuffer file = conv::read_file(path);
    int mismatches = 0;
    EXPECT_EQ(flipped_files_that_load(file, mismatches), 0) << path;
    std::printf("%s: 19 flipped files refused, %d of them by the checksum\n", path.c_str(), mismatches);
    EXPECT_GE(mismatches, 17) << path;  // the other flips may break the structure first (Corrupt)
    files += 19;
  }
  EXPECT_GE(files, 4 * 19);
}

TEST(Checksum, AFileWrittenBeforeChecksumsStillLoads) {
  // models/msi_n150_compact.sasrnn as it was shipped before checksums (the fuzz corpus keeps it)
  const std::string old = SASRNN_SOURCE_DIR "/tests/fuzz/model/corpus/msi_n150_compact_before_checksums.sasrnn";
  auto [buf, view] = conv::load_model_file(old);
  EXPECT_FALSE(view.checksum_verified);
  EXPECT_EQ(detail::checksum_offset(buf.data(), view.root), 0u);
  // without a checksum a flipped weight goes unnoticed: most of the 19 flips still load
  int mismatches = 0;
  const int loaded = flipped_files_that_load(buf, mismatches);
  std::printf("before checksums: %d of 19 flipped files load\n", loaded);
  EXPECT_GE(loaded, 10);
  EXPECT_EQ(mismatches, 0);
  // the same model re-written carries a checksum and reads back to the same arrays
  const conv::ModelData d = conv::read_model(buf.data(), buf.size());
  const conv::AlignedBuffer rewritten = conv::build_model_file(d);
  ModelView v2;
  ASSERT_EQ(load(rewritten.data(), rewritten.size(), v2), Status::Ok);
  EXPECT_TRUE(v2.checksum_verified);
  EXPECT_LE(rewritten.size(), buf.size() + 16);  // a 4-byte field and its vtable slot (padding may absorb them)
  EXPECT_EQ(conv::read_model(rewritten.data(), rewritten.size()).recurrent.m, d.recurrent.m);
}

TEST(Bounds, HugeWeightsThatOverflowTheModesAreRefusedAtLoad) {
  const conv::ModelData base = msi_model(6, 2);
  // |m| around 1e19 (the example): finite, but m^2 overflows float (MeanField's var)
  conv::ModelData d = base;
  d.recurrent.pi[7] = 0.5f;
  d.recurrent.m[7] = 1.0e19f;
  EXPECT_EQ(write_status(d), Status::VarianceOverflow);
  // the converter names the row (the runtime's load() judges, its LoadDetail says where)
  try {
    conv::export_model(d, testing::TempDir() + "/never.json");
    ADD_FAILURE() << "an overflowing model was exported";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("row 1 of pi_rec/m_rec/xi_rec has 9.99999968e+37, expected a sum of xi + m^2 (over pi < 1) of at most"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[VarianceOverflow]"), std::string::npos) << e.what();
  }
  // as a dense-moments file: its var would be +inf
  EXPECT_EQ(write_status(conv::with_encoding(d, conv::encoding_preset("dense-moments"))), Status::VarianceOverflow);
  // as a sparse file (f32 and f16 values)
  EXPECT_EQ(write_status(conv::with_encoding(d, conv::encoding_preset("sparse-f32"))), Status::VarianceOverflow);
  // a mean beyond kMaxRowMean with a constant connection (pi = 0, xi = 0)
  d = base;
  d.output.pi[3] = 0.0f;
  d.output.xi[3] = 0.0f;
  d.output.m[3] = 2.0f * kMaxRowMean;
  EXPECT_EQ(write_status(d), Status::MeanOverflow);
  // a slab variance beyond kMaxRowVar (its sqrt is a small mean)
  d = base;
  d.input.pi[4] = 0.0f;
  d.input.xi[4] = 2.0f * kMaxRowVar;
  EXPECT_EQ(write_status(d), Status::VarianceOverflow);
  // many moderate values whose row sum breaks the bound
  d = base;
  for (uint32_t j = 0; j < d.n; ++j) {
    d.recurrent.pi[2 * d.n + j] = 0.0f;
    d.recurrent.xi[2 * d.n + j] = 0.3f * kMaxRowVar;
  }
  EXPECT_EQ(write_status(d), Status::VarianceOverflow);
  // an absent connection (pi = 1) never enters a row's sum: large values are fine while its var
  // (1 - pi)(xi + pi m^2) is 0 ...
  d = base;
  d.recurrent.pi[5] = 1.0f;
  d.recurrent.m[5] = 1.0e19f;
  d.recurrent.xi[5] = 1.0e38f;
  EXPECT_EQ(write_status(d), Status::Ok);
  // ... but not when xi + m^2 overflows: its var would be 0 * inf = NaN, and MeanField's sums
  // NaN (found by fuzz_model: the AVX2 row kernels and the moment cache then disagreed)
  for (const float m : {2.0e19f, -1.7e38f}) {
    d.recurrent.m[5] = m;
    d.recurrent.xi[5] = 0.0f;
    EXPECT_EQ(write_status(d), Status::VarianceOverflow) << m;
    // a sparse file does not store an absent connection at all
    EXPECT_EQ(write_status(conv::with_encoding(d, conv::encoding_preset("sparse-f32"))), Status::Ok) << m;
  }
  d.recurrent.m[5] = 2.0e19f;
  try {
    conv::export_model(d, testing::TempDir() + "/never.json");
    ADD_FAILURE() << "an absent connection with an infinite var was exported";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("array 'm_rec' has 2e+19 at (0, 5), expected xi + m m finite where pi = 1 (its var 0 * (xi + m m) is then 0, not NaN)"), std::string::npos) << e.what();
  }
}

namespace {
/// Every row of `l` just within both bounds (kMaxRowMean, kMaxRowVar), or all zero.
void at_bounds(conv::LayerData& l, bool zero) {
  const float cols = static_cast<float>(l.cols);
  for (size_t k = 0; k < l.size(); ++k) {
    l.pi[k] = zero ? 0.0f : 0.5f;
    l.xi[k] = zero ? 0.0f : 0.45f * kMaxRowVar / cols;
    l.m[k] = zero ? 0.0f : std::sqrt(0.45f * kMaxRowVar / cols);
  }
}
}  // namespace

TEST(Bounds, AtTheBoundsEverySumStaysFiniteAtTheLargestActivity) {
  // What the bounds promise: with every rate and input within kMaxActivity, the input and
  // recurrent sums (the pre-activation u) and the output sums stay finite in every mode.
  using Net = Network<4, 5, 2>;
  Net::State h0;
  h0.setConstant(kMaxActivity);
  Net::Input x;
  x.setConstant(kMaxActivity);
  for (int part = 0; part < 2; ++part) {
    conv::ModelData d = conv::make_empty_model(4, 5, 2);
    at_bounds(d.input, part == 1);      // part 0: input and recurrent layers at their bounds
    at_bounds(d.recurrent, part == 1);
    at_bounds(d.output, part == 0);     // part 1: the output layer at its bounds
    const conv::AlignedBuffer b = conv::build_model_file(d);
    ModelView v;
    ASSERT_EQ(load(b.data(), b.size(), v), Status::Ok);
    for (Mode mode : test::kModes) {
      SCOPED_TRACE(mode_name(mode));
      Net net;
      Options opt;
      opt.mode = mode;
      opt.seed = 11;
      ASSERT_EQ(net.bind(v, opt), Status::Ok);
      ASSERT_EQ(net.reset(0, h0), Status::Ok);  // rates r = kMaxActivity
      if (part == 0) {
        Net::State u;
        ASSERT_EQ(net.preactivation(x, u), Status::Ok);
        EXPECT_TRUE(u.allFinite());
        EXPECT_GT(u.cwiseAbs().maxCoeff(), 1.0e15f);  // the sums are huge, and finite
      } else {
        // u = 0: h(1) = (1 - alpha) h0 + noise stays within kMaxActivity, and so do the rates
        // that the output layer (at its bounds) sums
        ASSERT_EQ(net.step(Net::Input::Zero()), Status::Ok);
        EXPECT_TRUE(net.z().allFinite() && net.output().allFinite());
        EXPECT_GT(net.z().cwiseAbs().maxCoeff(), 1.0e15f);
      }
    }
  }
}

TEST(Run, InputsBeyondTheLargestActivityAreRefusedAndStateKept) {
  const conv::AlignedBuffer b = conv::build_model_file(msi_model(6, 3));
  ModelView v;
  ASSERT_EQ(load(b.data(), b.size(), v), Status::Ok);
  Network<6, 5, 2> net;
  ASSERT_EQ(net.bind(v, Options{}), Status::Ok);
  Network<6, 5, 2>::Input x;
  x << 1.0f, 0.5f, 0.2f, 0.0f, 1.0f;
  ASSERT_EQ(net.step(x), Status::Ok);
  const Network<6, 5, 2>::State h = net.state();
  for (float big : {2.0f * kMaxActivity, -2.0f * kMaxActivity, 1.0e20f /* its square overflows */}) {
    Network<6, 5, 2>::Input y = x;
    y[3] = big;
    EXPECT_EQ(net.step(y), Status::InputOverflow) << big;
    EXPECT_EQ(net.state(), h);
    EXPECT_EQ(net.step_index(), 1u);
  }
  x[3] = kMaxActivity;  // the bound itself is admissible
  EXPECT_EQ(net.step(x), Status::Ok);
}

TEST(Run, ResetRefusesANonFiniteOrHugeInitialState) {
  const conv::AlignedBuffer b = conv::build_model_file(msi_model(6, 4));
  ModelView v;
  ASSERT_EQ(load(b.data(), b.size(), v), Status::Ok);
  Network<6, 5, 2> net;
  ASSERT_EQ(net.bind(v, Options{}), Status::Ok);
  Network<6, 5, 2>::State h0;
  h0.setConstant(0.25f);
  ASSERT_EQ(net.reset(3, h0), Status::Ok);
  EXPECT_EQ(net.trial(), 3u);
  Network<6, 5, 2>::State bad = h0;
  bad[2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(net.reset(4, bad), Status::NonFiniteInput);
  bad[2] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(net.reset(4, bad), Status::NonFiniteInput);
  bad[2] = 2.0f * kMaxActivity;
  EXPECT_EQ(net.reset(4, bad), Status::InputOverflow);
  EXPECT_EQ(net.trial(), 3u);  // nothing changed
  EXPECT_EQ(net.state(), h0);
}

TEST(Run, ARunThatGoesNonFiniteSaysSoUntilReset) {
  // admissible weights (|m| = 1e12: m^2 = 1e24 within kMaxRowVar) that amplify the rates about
  // 1e12-fold per step: within a few steps they pass kMaxActivity and then overflow float
  conv::ModelData d = conv::make_empty_model(4, 5, 2);
  for (conv::LayerData* l : {&d.input, &d.recurrent, &d.output}) {
    std::fill(l->pi.begin(), l->pi.end(), 0.0f);
    std::fill(l->xi.begin(), l->xi.end(), 0.0f);
    std::fill(l->m.begin(), l->m.end(), 1.0f);
  }
  std::fill(d.recurrent.m.begin(), d.recurrent.m.end(), 1.0e12f);
  const conv::AlignedBuffer b = conv::build_model_file(d);
  ModelView v;
  ASSERT_EQ(load(b.data(), b.size(), v), Status::Ok);
  for (Mode mode : test::kModes) {
    Network<4, 5, 2> net;
    Options opt;
    opt.mode = mode;
    ASSERT_EQ(net.bind(v, opt), Status::Ok);
    Network<4, 5, 2>::Input x;
    x.setConstant(1.0f);
    int ok_steps = 0;
    Status s = Status::Ok;
    for (int t = 0; t < 20 && s == Status::Ok; ++t) {
      s = net.step(x);
      if (s == Status::Ok) {
        ++ok_steps;
        ASSERT_TRUE(net.state().allFinite() && net.output().allFinite()) << mode_name(mode);
      }
    }
    EXPECT_EQ(s, Status::NonFiniteState) << mode_name(mode);
    EXPECT_GE(ok_steps, 2) << mode_name(mode);
    EXPECT_EQ(net.step(x), Status::NonFiniteState);  // until a reset
    net.reset(0);
    EXPECT_EQ(net.step(x), Status::Ok);
    EXPECT_TRUE(net.state().allFinite());
  }
}

TEST(Run, AnEvaluationWhoseRunsGoNonFiniteFailsWithOneLine) {
  // the host tools' MSI evaluation (sasrnn run, train's validation, convert's accuracy gate) stops
  // with an error on the calling thread instead of scoring NaN outputs
  conv::ModelData d = msi_model(6, 5);
  std::fill(d.recurrent.pi.begin(), d.recurrent.pi.end(), 0.0f);
  std::fill(d.recurrent.xi.begin(), d.recurrent.xi.end(), 0.0f);
  std::fill(d.recurrent.m.begin(), d.recurrent.m.end(), 5.0e11f);  // 6 x m^2 within kMaxRowVar
  const conv::AlignedBuffer b = conv::build_model_file(d);
  ModelView v;
  ASSERT_EQ(load(b.data(), b.size(), v), Status::Ok);
  analysis::EvalConfig cfg;
  cfg.reps = 1;
  cfg.threads = 2;
  try {
    analysis::evaluate_msi(v, cfg);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(" of 24 trials stopped: step() returned NonFiniteState"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}
