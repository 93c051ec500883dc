// Import and export: .npz files written by real NumPy (tests/npz_fixtures.py), JSON, .sasrnn;
// every class of bad input gives its one-line message, never a crash.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "sasrnn/converter/convert.hpp"
#include "sasrnn/converter/npz.hpp"
#include "support.hpp"

using namespace sasrnn;

namespace {

const std::string kDir = SASRNN_NPZ_FIXTURES;
std::string fx(const std::string& name) { return kDir + "/" + name; }

uint32_t bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void spit(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void spit(const std::string& path, const std::string& text) {
  spit(path, std::vector<uint8_t>(text.begin(), text.end()));
}

void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t k = 0; k < a.size(); ++k) ASSERT_EQ(bits(a[k]), bits(b[k])) << what << " at " << k;
}

/// Every field of two models equal, floats bit for bit.
void expect_same_model(const conv::ModelData& a, const conv::ModelData& b) {
  EXPECT_EQ(a.name, b.name);
  ASSERT_EQ(a.n, b.n);
  ASSERT_EQ(a.n_in, b.n_in);
  ASSERT_EQ(a.n_out, b.n_out);
  const conv::LayerData* la[3] = {&a.input, &a.recurrent, &a.output};
  const conv::LayerData* lb[3] = {&b.input, &b.recurrent, &b.output};
  for (int l = 0; l < 3; ++l) {
    EXPECT_EQ(la[l]->rows, lb[l]->rows);
    EXPECT_EQ(la[l]->cols, lb[l]->cols);
    expect_same_bits(la[l]->pi, lb[l]->pi, "pi");
    expect_same_bits(la[l]->m, lb[l]->m, "m");
    expect_same_bits(la[l]->xi, lb[l]->xi, "xi");
  }
  const float da[] = {a.dynamics.alpha, a.dynamics.tau_ms, a.dynamics.dt_ms, a.dynamics.sigma_rec,
                      a.dynamics.sigma_in, a.dynamics.baseline};
  const float db[] = {b.dynamics.alpha, b.dynamics.tau_ms, b.dynamics.dt_ms, b.dynamics.sigma_rec,
                      b.dynamics.sigma_in, b.dynamics.baseline};
  for (int k = 0; k < 6; ++k) EXPECT_EQ(bits(da[k]), bits(db[k])) << "dynamics " << k;
  EXPECT_EQ(a.dynamics.readout, b.dynamics.readout);
  EXPECT_EQ(a.task, b.task);
  const float ma[] = {a.msi.fixation_ms, a.msi.stimulus_ms, a.msi.decision_ms, a.msi.boundary,
                      a.msi.rate_min,    a.msi.rate_max,    a.msi.target_hi,   a.msi.target_lo};
  const float mb[] = {b.msi.fixation_ms, b.msi.stimulus_ms, b.msi.decision_ms, b.msi.boundary,
                      b.msi.rate_min,    b.msi.rate_max,    b.msi.target_hi,   b.msi.target_lo};
  for (int k = 0; k < 8; ++k) EXPECT_EQ(bits(ma[k]), bits(mb[k])) << "msi " << k;
  EXPECT_EQ(a.input_mask, b.input_mask);
  EXPECT_EQ(a.provenance.trainer_version, b.provenance.trainer_version);
  EXPECT_EQ(a.provenance.seed, b.provenance.seed);
  EXPECT_EQ(a.provenance.command, b.provenance.command);
  EXPECT_EQ(a.provenance.created, b.provenance.created);
  ASSERT_EQ(a.provenance.metrics.size(), b.provenance.metrics.size());
  for (size_t k = 0; k < a.provenance.metrics.size(); ++k) {
    EXPECT_EQ(a.provenance.metrics[k].name, b.provenance.metrics[k].name);
    EXPECT_EQ(std::memcmp(&a.provenance.metrics[k].value, &b.provenance.metrics[k].value, 8), 0);
  }
}

std::string message_of(const std::string& path) {
  try {
    conv::import_model(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string tmp(const std::string& name) { return ::testing::TempDir() + "sasrnn_npz_" + name; }

}  // namespace

TEST(Npz, ReadsNumpySavezValuesBitForBit) {
  const conv::ModelData d = conv::read_npz(fx("good.npz"));
  EXPECT_EQ(d.n, 12u);
  EXPECT_EQ(d.n_in, 5u);
  EXPECT_EQ(d.n_out, 2u);
  // The nine arrays as NumPy's tobytes() wrote them, C order, '<f4'.
  const std::vector<uint8_t> raw = slurp(fx("good_raw.bin"));
  const std::vector<float>* arrays[9] = {&d.input.pi,     &d.input.m,     &d.input.xi,
                                         &d.recurrent.pi, &d.recurrent.m, &d.recurrent.xi,
                                         &d.output.pi,    &d.output.m,    &d.output.xi};
  size_t total = 0;
  for (const auto* a : arrays) total += a->size();
  ASSERT_EQ(raw.size(), 4 * total);
  size_t at = 0;
  for (const auto* a : arrays)
    for (float v : *a) {
      uint32_t want = 0;
      for (int b = 0; b < 4; ++b) want |= static_cast<uint32_t>(raw[at++]) << (8 * b);
      ASSERT_EQ(bits(v), want) << "value " << at / 4 - 1;
    }
  // Values set on purpose in npz_fixtures.py.
  EXPECT_EQ(bits(d.recurrent.m[0]), 0x80000000u);  // -0.0
  EXPECT_EQ(d.recurrent.m[1], 1e-40f);             // subnormal
  EXPECT_EQ(d.recurrent.m[12 + 1], 0.1f);
  EXPECT_EQ(d.recurrent.m[12 + 2], 1.8e19f);
  EXPECT_EQ(d.dynamics.alpha, 0.2f);
  EXPECT_EQ(d.dynamics.tau_ms, 100.0f);
  EXPECT_EQ(d.dynamics.dt_ms, 20.0f);
  EXPECT_EQ(d.dynamics.sigma_rec, 0.15f);
  EXPECT_EQ(d.dynamics.sigma_in, 0.01f);
  EXPECT_EQ(d.dynamics.baseline, 0.2f);
  EXPECT_EQ(d.dynamics.readout, Readout::Argmax);
  EXPECT_EQ(d.task, TaskKind::MSI);
  EXPECT_EQ(d.msi.decision_ms, 350.0f);
  EXPECT_EQ(d.msi.boundary, 12.5f);
  // MSI wiring: units 0-3 auditory (channels 1, 3), 4-7 visual (0, 2), 8-11 only the start cue.
  ASSERT_EQ(d.input_mask.size(), 60u);
  const uint8_t unit0[5] = {0, 1, 0, 1, 1}, unit5[5] = {1, 0, 1, 0, 1}, unit9[5] = {0, 0, 0, 0, 1};
  for (int j = 0; j < 5; ++j) {
    EXPECT_EQ(d.input_mask[0 * 5 + j], unit0[j]);
    EXPECT_EQ(d.input_mask[5 * 5 + j], unit5[j]);
    EXPECT_EQ(d.input_mask[9 * 5 + j], unit9[j]);
  }
  EXPECT_EQ(d.name, "npz-fixture-\xc3\xa9\xf0\x9f\xa7\xa0");  // U+00E9 and U+1F9E0 from UTF-32
  EXPECT_EQ(d.provenance.trainer_version, "fixture 1.0");
  EXPECT_EQ(d.provenance.seed, 42u);
  EXPECT_EQ(d.provenance.command, "npz_fixtures.py");
  EXPECT_EQ(d.provenance.created, "2024-01-02T03:04:05Z");
  ASSERT_EQ(d.provenance.metrics.size(), 2u);
  EXPECT_EQ(d.provenance.metrics[0].name, "accuracy");
  EXPECT_EQ(d.provenance.metrics[0].value, 0.9854);
  EXPECT_EQ(d.provenance.metrics[1].name, "loss");
  EXPECT_EQ(d.provenance.metrics[1].value, 0.0123);
}

TEST(Npz, EveryAcceptedFormIsTheSameModel) {
  const conv::ModelData good = conv::read_npz(fx("good.npz"));
  // deflate, f8 rounded to nearest f32, Fortran order, big-endian (and a uint8 mask), zip64 records
  for (const char* name : {"good_compressed.npz", "f8.npz", "fortran.npz", "bigendian.npz", "zip64.npz"}) {
    SCOPED_TRACE(name);
    expect_same_model(conv::read_npz(fx(name)), good);
  }
}

TEST(Npz, OptionalArraysTakeTheirDefaults) {
  const conv::ModelData d = conv::read_npz(fx("minimal.npz"));
  EXPECT_EQ(d.task, TaskKind::None);
  EXPECT_EQ(d.dynamics.readout, Readout::Identity);
  EXPECT_TRUE(d.input_mask.empty());
  EXPECT_TRUE(d.name.empty());
  EXPECT_FALSE(d.provenance.seed.has_value());  // no provenance_seed: unknown, not 0
  EXPECT_TRUE(d.provenance.metrics.empty());

  // task 1 without MSI parameters: apply_msi_task's values, but the mask and pi untouched
  const conv::ModelData m = conv::read_npz(fx("msi_defaults.npz"));
  conv::ModelData ref = conv::make_empty_model(12, 5, 2);
  conv::apply_msi_task(ref);
  EXPECT_EQ(m.task, TaskKind::MSI);
  EXPECT_EQ(m.msi.fixation_ms, ref.msi.fixation_ms);
  EXPECT_EQ(m.msi.stimulus_ms, ref.msi.stimulus_ms);
  EXPECT_EQ(m.msi.decision_ms, ref.msi.decision_ms);
  EXPECT_EQ(m.msi.boundary, ref.msi.boundary);
  EXPECT_EQ(m.msi.rate_min, ref.msi.rate_min);
  EXPECT_EQ(m.msi.rate_max, ref.msi.rate_max);
  EXPECT_EQ(m.msi.target_hi, ref.msi.target_hi);
  EXPECT_EQ(m.msi.target_lo, ref.msi.target_lo);
  EXPECT_EQ(m.msi.fixation_ms, 100.0f);  // the trainer's protocol, 100/1000/300 ms
  EXPECT_EQ(m.msi.decision_ms, 300.0f);
  EXPECT_TRUE(m.input_mask.empty());
  expect_same_bits(m.input.pi, d.input.pi, "pi_in");
}

TEST(Npz, ASeedIsKnownOrUnknownNeverZeroByDefault) {
  conv::ModelData d = conv::read_npz(fx("minimal.npz"));  // no provenance_seed
  ASSERT_FALSE(d.provenance.seed.has_value());
  const conv::AlignedBuffer unknown = conv::build_model_file(d);
  EXPECT_FALSE(conv::read_model(unknown.data(), unknown.size()).provenance.seed.has_value());
  d.provenance.seed = 0;  // a known seed 0 (the schema's default) is written and read back
  const conv::AlignedBuffer zero = conv::build_model_file(d);
  const conv::ModelData back = conv::read_model(zero.data(), zero.size());
  ASSERT_TRUE(back.provenance.seed.has_value());
  EXPECT_EQ(*back.provenance.seed, 0u);
  conv::write_npz(back, tmp("seed0.npz"));
  EXPECT_EQ(conv::read_npz(tmp("seed0.npz")).provenance.seed, std::optional<uint64_t>(0));
}

TEST(Npz, WriteReadIsExactAndDeterministic) {
  const conv::ModelData good = conv::read_npz(fx("good.npz"));
  const std::string a = tmp("a.npz"), b = tmp("b.npz");
  conv::write_npz(good, a);
  expect_same_model(conv::read_npz(a), good);
  conv::write_npz(conv::read_npz(a), b);
  EXPECT_EQ(slurp(a), slurp(b));  // same model, same bytes
  const std::vector<uint8_t> bytes = slurp(a);
  ASSERT_GT(bytes.size(), 4u);
  EXPECT_EQ(bytes[0], 'P');
  EXPECT_EQ(bytes[1], 'K');
}

TEST(Npz, RoundTripThroughSasrnnAndJson) {
  const conv::ModelData good = conv::read_npz(fx("good.npz"));
  conv::export_model(good, tmp("rt.sasrnn"));
  const conv::ModelData from_file = conv::import_model(tmp("rt.sasrnn"));
  expect_same_model(from_file, good);
  conv::export_model(from_file, tmp("rt.json"));
  expect_same_model(conv::import_model(tmp("rt.json")), good);
  conv::export_model(conv::import_model(tmp("rt.json")), tmp("rt2.sasrnn"));
  EXPECT_EQ(slurp(tmp("rt.sasrnn")), slurp(tmp("rt2.sasrnn")));
}

TEST(Json, EveryFloatRoundTripsBitForBit) {
  // Random bit patterns over every exponent (subnormals, -0.0, huge and tiny values) in m, and
  // random pi in [0, 1] and xi >= 0: each must come back with the same bits.
  conv::ModelData d = test::mixed_model(120, 7, 3, 5);
  std::mt19937 gen(11);
  std::uniform_int_distribution<uint32_t> any;
  auto finite = [&] {
    while (true) {
      const uint32_t b = any(gen);
      float v;
      std::memcpy(&v, &b, 4);
      if (std::isfinite(v)) return v;
    }
  };
  for (conv::LayerData* l : {&d.input, &d.recurrent, &d.output})
    for (size_t k = 0; k < l->size(); ++k) {
      l->m[k] = finite();
      l->xi[k] = std::fabs(finite());
      const float p = std::fabs(finite());
      l->pi[k] = p <= 1.0f ? p : 1.0f / p;
      // a huge m or xi only on an absent connection (pi = 1): a model whose sums would overflow
      // is refused (MeanOverflow, VarianceOverflow), and absent connections never enter them;
      // their xi + m^2 must still be finite (their var is 0 * (xi + m^2)): square roots if not
      if (std::fabs(l->m[k]) > 1.0e6f || l->xi[k] > 1.0e6f) l->pi[k] = 1.0f;
      if (!std::isfinite(l->xi[k] + l->m[k] * l->m[k])) {
        l->m[k] = std::copysign(std::sqrt(std::fabs(l->m[k])), l->m[k]);
        l->xi[k] = std::sqrt(l->xi[k]);
      }
    }
  d.recurrent.m[0] = -0.0f;
  d.recurrent.m[1] = 1.0f;
  d.recurrent.m[2] = -16777216.0f;
  d.provenance.metrics = {{"a", 0.1}, {"b", -1e-300}, {"c", 1.0 / 3.0}};
  d.provenance.seed = 18446744073709551615ull;
  d.provenance.command = "say \"hi\"\n\tand a backslash \\";
  conv::write_json(d, tmp("bits.json"));
  const conv::ModelData back = conv::read_json(tmp("bits.json"));
  expect_same_model(back, d);
  EXPECT_EQ(bits(back.recurrent.m[0]), 0x80000000u);
  EXPECT_EQ(back.provenance.seed, 18446744073709551615ull);
}

TEST(Json, ShortestDigitsWhenTheyReadBackExactly) {
  conv::ModelData d = conv::read_npz(fx("good.npz"));
  conv::write_json(d, tmp("short.json"));
  const std::vector<uint8_t> bytes = slurp(tmp("short.json"));
  const std::string text(bytes.begin(), bytes.end());
  EXPECT_NE(text.find("\"alpha\": 0.2,"), std::string::npos);
  EXPECT_NE(text.find("\"tau_ms\": 100.0,"), std::string::npos);
  EXPECT_NE(text.find("\"msi_decision_ms\": 350.0,"), std::string::npos);
  EXPECT_NE(text.find("\"seed\": 42,"), std::string::npos);
  EXPECT_NE(text.find("[-0.0, 1e-40,"), std::string::npos);  // m_rec row 0
}

TEST(NpzErrors, EachBadClassHasItsOneLineMessage) {
  const std::pair<const char*, const char*> cases[] = {
      {"missing.npz", "missing array 'xi_rec'"},
      {"misnamed.npz",
       "2 problems: unknown array 'pi_recurrent' (the names are pi_in m_in xi_in pi_rec m_rec xi_rec pi_out "
       "m_out xi_out, alpha tau_ms dt_ms sigma_rec sigma_in baseline, and optional ones listed in docs/model-format.md); "
       "missing array 'pi_rec'"},
      // every problem of reading a file in one error, in a fixed order: unknown, missing, then by
      // array; its values (xi_in -0.5, pi_out 1.5) are judged by load() once it can be read
      {"six_problems.npz",
       "4 problems: unknown array 'bias' (the names are pi_in m_in xi_in pi_rec m_rec xi_rec pi_out m_out "
       "xi_out, alpha tau_ms dt_ms sigma_rec sigma_in baseline, and optional ones listed in docs/model-format.md); "
       "missing array 'xi_rec'; missing array 'tau_ms'; array 'm_rec' has dtype '<i4', expected '<f4' or '<f8'"},
      {"wrong_shape.npz", "array 'pi_rec' has shape (12, 11), expected (12, 12)"},
      {"int32.npz", "array 'm_rec' has dtype '<i4', expected '<f4' or '<f8'"},
      {"complex.npz", "array 'm_in' has dtype '<c8', expected '<f4' or '<f8'"},
      {"object.npz", "array 'm_out' has dtype '|O', expected '<f4' or '<f8'"},
      // the values: load()'s verdict, where it found it (LoadDetail) and its Status
      {"nan.npz", "array 'm_rec' has nan at (3, 4), expected a finite number [NonFinite]"},
      {"pi_range.npz", "array 'pi_rec' has 1.5 at (2, 5), expected in [0, 1] [PiOutOfRange]"},
      {"xi_negative.npz", "array 'xi_out' has -0.25 at (1, 3), expected >= 0 [XiNegative]"},
      {"f8_overflow.npz", "array 'm_rec' has 1e+300 at (0, 1), too large for float32"},
      {"mask_vs_pi.npz", "array 'pi_in' has 0.5 at (0, 0), expected 1 where input_mask is 0 [BadMask]"},
      {"bad_readout.npz", "array 'readout' is 7, expected 0 (identity), 1 (softmax) or 2 (argmax)"},
      {"scalar_shape.npz", "array 'alpha' has shape (1,), expected () (a 0-d array)"},
      {"truncated.npz", "truncated zip file (no end of central directory record)"},
      {"bad_crc.npz", "corrupt member 'pi_rec.npy' (CRC-32 mismatch)"},
      {"corrupt_deflate.npz", "corrupt deflate data in member 'pi_rec.npy' (invalid literal/length code)"},
      {"not_a_zip.npz", "not a zip file (a .npz is a zip archive of .npy arrays)"},
      {"empty.npz", "not a zip file (a .npz is a zip archive of .npy arrays)"},
      {"bad_npy.npz", "array 'pi_rec' is not a .npy array (bad magic)"},
  };
  for (const auto& [file, message] : cases) {
    const std::string what = message_of(fx(file));
    EXPECT_EQ(what, fx(file) + ": " + message);
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_EQ(message_of(fx("does_not_exist.npz")), fx("does_not_exist.npz") + ": cannot open (No such file or directory)");
}

TEST(NpzErrors, NoTruncationOrFlippedByteCrashes) {
  // Every prefix and every single-byte corruption of a stored and a compressed file: each either
  // reads as a valid model or throws a one-line std::runtime_error (ASan/UBSan builds check bounds).
  for (const char* name : {"good.npz", "good_compressed.npz", "zip64.npz"}) {
    const std::vector<uint8_t> whole = slurp(fx(name));
    const std::string path = tmp("fuzz.npz");
    size_t errors = 0, valid = 0;
    auto attempt = [&](const std::vector<uint8_t>& bytes) {
      spit(path, bytes);
      try {
        conv::read_npz(path);
        ++valid;
      } catch (const std::runtime_error& e) {
        ++errors;
        ASSERT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
        ASSERT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
      }
    };
    for (size_t n = 0; n < whole.size(); n += 11) attempt(std::vector<uint8_t>(whole.begin(), whole.begin() + n));
    for (size_t k = 0; k < whole.size(); k += 5) {
      std::vector<uint8_t> bytes = whole;
      bytes[k] ^= 0xA5;
      attempt(bytes);
    }
    SCOPED_TRACE(name);
    EXPECT_GT(errors, whole.size() / 11);  // every proper prefix fails at least
    EXPECT_GT(valid, 0u);                 // bytes the reader ignores (times, version made by)
  }
}

TEST(JsonErrors, EachBadClassHasItsOneLineMessage) {
  conv::write_json(conv::read_npz(fx("minimal.npz")), tmp("ok.json"));
  const std::vector<uint8_t> okb = slurp(tmp("ok.json"));
  const std::string ok(okb.begin(), okb.end());
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = ok;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  auto rows_of = [&](const std::string& key) { return ok.find("\"" + key + "\": [\n    [") + key.size() + 10; };
  // pi_rec's first row cut to one entry; pi_out's first entry replaced by null
  std::string ragged = ok;
  const size_t r0 = rows_of("pi_rec");
  ragged.replace(r0, ok.find('\n', r0) - r0, "[0.5],");
  std::string null_entry = ok;
  const size_t e0 = rows_of("pi_out") + 1;
  null_entry.replace(e0, ok.find(',', e0) - e0, "null");
  const std::pair<std::string, std::string> cases[] = {
      {"{\"alpha\": 0.2,", "not valid JSON (parse error at line 1, column 15: syntax error while parsing object key - unexpected end of input; expected string literal)"},
      {"[1, 2]", "not a model: the JSON holds a list, expected an object"},
      {replaced("\"alpha\"", "\"alpah\""), "2 problems: unknown array 'alpah' (the names are pi_in m_in xi_in pi_rec m_rec xi_rec pi_out m_out xi_out, alpha tau_ms dt_ms sigma_rec sigma_in baseline, and optional ones listed in docs/model-format.md); missing array 'alpha'"},
      {replaced("\"xi_out\"", "\"provenance_x\""), "2 problems: unknown array 'provenance_x' (the names are pi_in m_in xi_in pi_rec m_rec xi_rec pi_out m_out xi_out, alpha tau_ms dt_ms sigma_rec sigma_in baseline, and optional ones listed in docs/model-format.md); missing array 'xi_out'"},
      {ragged, "array 'pi_rec' row 1 has 12 entries, row 0 has 1"},
      {replaced("\"alpha\": 0.2", "\"alpha\": \"fast\""), "array 'alpha' has dtype 'string', expected '<f4' or '<f8'"},
      {replaced("\"alpha\": 0.2", "\"alpha\": 1.5"), "alpha is 1.5, expected 0 < alpha <= 1 [BadDynamics]"},
      {replaced("\"tau_ms\": 100.0", "\"tau_ms\": 1e400"), "not valid JSON (number overflow parsing '1e400')"},
      {replaced("\"alpha\": 0.2", "\"alpha\": 1e300"), "array 'alpha' is 1e+300, too large for float32"},
      {replaced("\"trainer_version\": \"\",", "\"trainer_version\": \"\", \"seed\": -3,"),
       "array 'provenance_seed' is -3, expected >= 0"},
      {null_entry, "array 'pi_out' has a null at (0, 0), expected a number"},
  };
  for (const auto& [text, message] : cases) {
    spit(tmp("bad.json"), text);
    EXPECT_EQ(message_of(tmp("bad.json")), tmp("bad.json") + ": " + message);
  }
}

TEST(Convert, DispatchAndRefusals) {
  EXPECT_EQ(message_of(tmp("model.txt")), tmp("model.txt") + ": unknown model format '.txt' (expected .sasrnn, .npz or .json)");
  // invalid models are never written
  conv::ModelData bad = conv::read_npz(fx("minimal.npz"));
  bad.recurrent.xi[3] = -1.0f;
  for (const char* ext : {".npz", ".json", ".sasrnn"}) {
    const std::string path = tmp(std::string("refused") + ext);
    std::remove(path.c_str());
    try {
      conv::export_model(bad, path);
      ADD_FAILURE() << "wrote an invalid model to " << path;
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()),
                path + ": refusing to write an invalid model: array 'xi_rec' has -1 at (0, 3), expected >= 0 [XiNegative]");
    }
    EXPECT_FALSE(std::ifstream(path).good());
  }
  // convert_command: refuses to replace OUTPUT without --force, one line on stderr, exit 1
  std::ostringstream out, err;
  conv::ConvertOptions o;
  o.input = fx("good.npz");
  o.output = tmp("conv.json");
  o.force = true;
  ASSERT_EQ(conv::convert_command(o, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("N=12 NIn=5 NOut=2\nwrote " + tmp("conv.json") + " (json, "), std::string::npos);
  o.force = false;
  std::ostringstream out2, err2;
  EXPECT_EQ(conv::convert_command(o, out2, err2), 1);
  EXPECT_EQ(err2.str(), "sasrnn convert: " + tmp("conv.json") + " exists (pass --force to replace it)\n");
  EXPECT_EQ(out2.str(), "");
}
