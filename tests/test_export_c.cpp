// sasrnn export-c: the C array that cmake/sasrnn_export_c.cmake wrote at build time from a test
// model (tests/CMakeLists.txt) is the model file, byte for byte, 16-byte aligned, loads, and runs
// exactly as the file's buffer does; the same from the C source compiled as C. Also: names, and
// the output does not depend on when or where it was written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "sasrnn/converter/export_c.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/msi.hpp"
#include "sasrnn/network.hpp"
#include "sasrnn_test_model.h"  // written by sasrnn_export_c() at build time (C++ source)

// export_c_consumer.c (a C11 translation unit) returns the array of the C source
// (sasrnn export-c --lang c).
extern "C" const unsigned char* export_c_consumer_data(void);
extern "C" size_t export_c_consumer_size(void);

using namespace sasrnn;

namespace {

constexpr int kN = 30, kIn = 5, kOut = 2;  // make_test_models' good.sasrnn
using Net = Network<kN, kIn, kOut>;

std::vector<uint8_t> file_bytes() {
  const conv::AlignedBuffer f = conv::read_file(SASRNN_EXPORT_TEST_MODEL);
  return std::vector<uint8_t>(f.data(), f.data() + f.size());
}

/// Two MSI trials (visual 10 events/s, both 15 events/s) with input and recurrent noise: every
/// step's h and y, and the decisions.
std::vector<float> msi_run(const ModelView& view, Mode mode) {
  Options opt;
  opt.mode = mode;
  opt.seed = 11;
  Net net;
  EXPECT_EQ(net.bind(view, opt), Status::Ok);
  msi::Protocol p = msi::Protocol::test(20.0f);
  p.seed = 5;
  std::vector<float> out;
  const msi::Trial trials[] = {{msi::Modality::Visual, 10.0f, 0}, {msi::Modality::Both, 15.0f, 1}};
  for (const msi::Trial& trial : trials) {
    const msi::Stimulus s(p, trial);
    net.reset(trial.index);
    Net::Input x;
    for (int t = 0; t < s.steps(); ++t) {
      s.input(t, x.data());
      EXPECT_EQ(net.step(x), Status::Ok);
      out.insert(out.end(), net.state().data(), net.state().data() + kN);
      out.insert(out.end(), net.output().data(), net.output().data() + kOut);
    }
    out.push_back(static_cast<float>(net.decide()));
  }
  return out;
}

bool points_into(const float* p, const unsigned char* begin, size_t size) {
  const auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(begin);
  return a >= b && a < b + size;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(ExportC, ArrayIsAlignedAndHoldsTheFileBytes) {
  EXPECT_EQ(reinterpret_cast<uintptr_t>(sasrnn_test_model) % 16, 0u);
  const std::vector<uint8_t> file = file_bytes();
  ASSERT_GT(file.size(), 10000u);  // N=30 with three f32 arrays per layer: tens of kB
  ASSERT_EQ(sasrnn_test_model_size, file.size());
  const std::vector<uint8_t> array(sasrnn_test_model, sasrnn_test_model + sasrnn_test_model_size);
  EXPECT_EQ(array, file);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sasrnn_test_model) + 4, 4), "SASR");
}

TEST(ExportC, ArrayLoadsInPlaceAndRunsAsTheFile) {
  ModelView from_array;
  ASSERT_EQ((load<kN, kIn, kOut>(sasrnn_test_model, sasrnn_test_model_size, from_array)),
            Status::Ok);
  EXPECT_EQ(from_array.n, 30u);
  EXPECT_EQ(from_array.n_in, 5u);
  EXPECT_EQ(from_array.n_out, 2u);
  EXPECT_EQ(from_array.task, TaskKind::MSI);
  // the hyperparameters are read where they are: in the array (flash on a microcontroller)
  EXPECT_TRUE(points_into(from_array.recurrent.pi, sasrnn_test_model, sasrnn_test_model_size));
  EXPECT_TRUE(points_into(from_array.output.m, sasrnn_test_model, sasrnn_test_model_size));

  const conv::AlignedBuffer file = conv::read_file(SASRNN_EXPORT_TEST_MODEL);
  ModelView from_file;
  ASSERT_EQ((load<kN, kIn, kOut>(file.data(), file.size(), from_file)), Status::Ok);
  for (Mode mode : {Mode::MeanField, Mode::SampledPerStep}) {
    const std::vector<float> a = msi_run(from_array, mode), f = msi_run(from_file, mode);
    ASSERT_EQ(a.size(), 2u * (90u * (kN + kOut) + 1u)) << mode_name(mode);  // 500/1000/300 ms
    EXPECT_EQ(a, f) << mode_name(mode);
    double activity = 0;
    for (float v : a) activity += v > 0.0f ? v : -v;
    EXPECT_GT(activity, 1.0) << mode_name(mode);  // a run that does something
  }
}

TEST(ExportC, CSourceCompiledAsCHoldsTheSameArray) {
  const unsigned char* data = export_c_consumer_data();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 16, 0u);
  const std::vector<uint8_t> file = file_bytes();
  ASSERT_EQ(export_c_consumer_size(), file.size());
  EXPECT_EQ(std::vector<uint8_t>(data, data + export_c_consumer_size()), file);
  ModelView view;
  EXPECT_EQ((load<kN, kIn, kOut>(data, export_c_consumer_size(), view)), Status::Ok);
}

TEST(ExportC, OutputDependsOnlyOnBytesNameAndFileName) {
  const std::filesystem::path tmp =
      std::filesystem::temp_directory_path() / ("sasrnn_export_c_" + std::to_string(::getpid()));
  std::filesystem::remove_all(tmp);
  const std::vector<uint8_t> file = file_bytes();
  // unaligned input bytes are fine: export_c verifies an aligned copy
  std::vector<uint8_t> shifted(file.size() + 1);
  std::copy(file.begin(), file.end(), shifted.begin() + 1);
  const conv::ExportCResult a =
      conv::export_c(file.data(), file.size(), "/some/dir/good.sasrnn", "m", (tmp / "a").string());
  const conv::ExportCResult b = conv::export_c(shifted.data() + 1, file.size(),
                                               "/other/good.sasrnn", "m", (tmp / "b").string());
  EXPECT_EQ(a.bytes, file.size());
  EXPECT_EQ(a.n, 30u);
  EXPECT_EQ(a.source_path, (tmp / "a" / "m.cpp").string());
  EXPECT_EQ(read_text(a.header_path), read_text(b.header_path));
  EXPECT_EQ(read_text(a.source_path), read_text(b.source_path));
  const std::string header = read_text(a.header_path);
  EXPECT_NE(header.find("extern const unsigned char m[];"), std::string::npos);
  EXPECT_NE(header.find("extern const size_t m_size;"), std::string::npos);
  EXPECT_NE(header.find("good.sasrnn: N=30 NIn=5 NOut=2, " + std::to_string(file.size()) +
                        " bytes, 16-byte aligned"),
            std::string::npos);
  EXPECT_EQ(header.find("/some/dir"), std::string::npos);  // the file name, not where it was
  const std::string source = read_text(a.source_path);
  EXPECT_NE(source.find("alignas(16) const unsigned char m[" + std::to_string(file.size()) +
                        "] = {\n    0x"),
            std::string::npos);
  // 16 bytes per line: the lines of hex bytes
  EXPECT_NE(source.find(",\n    0x"), std::string::npos);
  size_t lines = 0;
  for (size_t k = 0; (k = source.find("\n    0x", k)) != std::string::npos; ++k) ++lines;
  EXPECT_EQ(lines, (file.size() + 15) / 16);
  // --lang c: the same text in NAME.c
  const conv::ExportCResult c = conv::export_c(file.data(), file.size(), "good.sasrnn", "m",
                                               (tmp / "c").string(), conv::CLanguage::C);
  EXPECT_EQ(c.source_path, (tmp / "c" / "m.c").string());
  EXPECT_EQ(read_text(c.source_path), source);
  std::filesystem::remove_all(tmp);
}

TEST(ExportC, NamesMustBeUsableCIdentifiers) {
  for (const char* ok : {"m", "msi_model", "Model9", "_model", "x_"})
    EXPECT_EQ(conv::c_identifier_problem(ok), nullptr) << ok;
  const std::pair<const char*, const char*> bad[] = {
      {"", "empty"},
      {"9lives", "starts with a digit"},
      {"a-b", "a character other than A-Z, a-z, 0-9 and _"},
      {"my model", "a character other than A-Z, a-z, 0-9 and _"},
      {"int", "a C or C++ keyword"},
      {"class", "a C or C++ keyword"},
      {"bool", "a C or C++ keyword"},
      {"__m", "reserved (starts with __ or with _ and a capital letter)"},
      {"_M", "reserved (starts with __ or with _ and a capital letter)"},
      {"a__b", "reserved in C++ (contains __)"},
      {"main", "reserved (main)"}};
  for (const auto& [name, why] : bad) {
    ASSERT_NE(conv::c_identifier_problem(name), nullptr) << name;
    EXPECT_STREQ(conv::c_identifier_problem(name), why) << name;
  }
  const std::vector<uint8_t> file = file_bytes();
  EXPECT_THROW(conv::export_c(file.data(), file.size(), "good.sasrnn", "9lives", "unused"),
               std::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists("unused"));
}

TEST(ExportC, InvalidModelIsNotExported) {
  std::vector<uint8_t> file = file_bytes();
  file[4] = 'Z';  // file identifier
  try {
    conv::export_c(file.data(), file.size(), "broken.sasrnn", "m", "unused");
    FAIL() << "exported an invalid model";
  } catch (const conv::ModelError& e) {
    EXPECT_EQ(e.status, Status::BadIdentifier);
    EXPECT_EQ(std::string(e.what()).rfind("broken.sasrnn: ", 0), 0u) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists("unused"));
}
