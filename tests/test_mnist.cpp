// Sequential MNIST: the idx reader (every class of bad file a one-line DataError naming the file
// and how to fetch it), the fixed split of the real files (known label counts), the sequences,
// the training batches and shuffle, and the evaluation library against a direct run of the
// fixed-size runtime network.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "sasrnn/analysis/mnist_eval.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/trainer/mnist_batch.hpp"
#include "support.hpp"

using namespace sasrnn;
using analysis::DataError;
using analysis::MnistSequence;

namespace {

std::string temp_dir() {
  const std::string d = ::testing::TempDir() + "sasrnn_mnist_test";
  std::string cmd = "mkdir -p '" + d + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return d;
}

void put_be32(std::vector<uint8_t>& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

void write(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()),
                                              static_cast<std::streamsize>(b.size()));
}

/// An idx3 file of `count` rows x cols images (pixel k of image i = (i * 7 + k) % 256).
std::vector<uint8_t> images(uint32_t count, uint32_t rows = 28, uint32_t cols = 28,
                            uint32_t magic = 0x803) {
  std::vector<uint8_t> b;
  put_be32(b, magic);
  put_be32(b, count);
  put_be32(b, rows);
  put_be32(b, cols);
  for (uint32_t i = 0; i < count; ++i)
    for (uint32_t k = 0; k < rows * cols; ++k) b.push_back(static_cast<uint8_t>((i * 7 + k) % 256));
  return b;
}

std::vector<uint8_t> labels(uint32_t count, uint8_t first = 3) {
  std::vector<uint8_t> b;
  put_be32(b, 0x801);
  put_be32(b, count);
  for (uint32_t i = 0; i < count; ++i) b.push_back(static_cast<uint8_t>((first + i) % 10));
  return b;
}

/// The DataError message of reading the pair, or "" if it reads.
std::string error_of(const std::vector<uint8_t>& img, const std::vector<uint8_t>& lab) {
  const std::string d = temp_dir();
  write(d + "/img", img);
  write(d + "/lab", lab);
  try {
    analysis::read_idx_pair(d + "/img", d + "/lab");
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

bool have_real_mnist() {
  std::ifstream f(analysis::default_mnist_dir() + "/t10k-labels-idx1-ubyte");
  return f.good();
}

}  // namespace

TEST(IdxReader, ReadsAWellFormedPair) {
  const std::string d = temp_dir();
  write(d + "/img", images(3));
  write(d + "/lab", labels(3));
  const analysis::MnistSet s = analysis::read_idx_pair(d + "/img", d + "/lab");
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.pixels_per_image(), 784);
  EXPECT_EQ(s.labels, (std::vector<uint8_t>{3, 4, 5}));
  EXPECT_EQ(s.image(2)[5], (2 * 7 + 5) % 256);
  const analysis::MnistSet t = s.slice(1, 2);
  EXPECT_EQ(t.count, 2);
  EXPECT_EQ(t.labels[0], 4);
  EXPECT_EQ(t.image(0)[0], s.image(1)[0]);
}

TEST(IdxReader, EveryBadFileIsOneLineNamingItAndHowToFetch) {
  const auto expect_error = [](const std::string& msg, const std::string& file, const std::string& what) {
    EXPECT_NE(msg.find(file + ": "), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
    EXPECT_NE(msg.find("run scripts/fetch-mnist"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  };
  std::vector<uint8_t> truncated = images(3);
  truncated.resize(truncated.size() - 1);
  expect_error(error_of(truncated, labels(3)), "/img", "truncated or wrong size");
  expect_error(error_of(std::vector<uint8_t>(10, 0), labels(3)), "/img", "truncated (10 bytes)");
  expect_error(error_of(images(3, 28, 28, 0x802), labels(3)), "/img", "not an idx3 ubyte file");
  expect_error(error_of(images(3, 27, 28), labels(3)), "/img", "images are 27x28, expected 28x28");
  expect_error(error_of(images(0), labels(0)), "/img", "holds no image");
  expect_error(error_of(images(3), labels(4)), "/lab", "4 labels for 3 images");
  std::vector<uint8_t> bad_label = labels(3);
  bad_label.back() = 10;
  expect_error(error_of(images(3), bad_label), "/lab", "label 10 of image 2 is not a digit");
  std::vector<uint8_t> huge;  // dimensions whose product overflows
  put_be32(huge, 0x803);
  put_be32(huge, 0xFFFFFFFFu);
  put_be32(huge, 0xFFFFFFFFu);
  put_be32(huge, 28);
  expect_error(error_of(huge, labels(3)), "/img", "dimensions too large");
  // missing files and folders
  const std::string d = temp_dir();
  try {
    analysis::load_mnist(d + "/nowhere", analysis::MnistSplit::Test);
    ADD_FAILURE() << "a missing folder must not load";
  } catch (const DataError& e) {
    expect_error(e.what(), "/nowhere/t10k-images-idx3-ubyte", "missing");
  }
  try {
    analysis::read_idx_pair(d, d + "/lab");  // a folder given as a file
    ADD_FAILURE() << "a folder must not load";
  } catch (const DataError& e) {
    expect_error(e.what(), d, "not a regular file");
  }
}

// The real files (scripts/fetch-mnist; the test command fetches them): the split and the label
// counts every MNIST user knows.
TEST(RealMnist, SplitSizesAndKnownLabelCounts) {
  if (!have_real_mnist()) GTEST_SKIP() << "no MNIST files: run scripts/fetch-mnist";
  const std::string dir = analysis::default_mnist_dir();
  const analysis::MnistSet test = analysis::load_mnist(dir, analysis::MnistSplit::Test);
  const analysis::MnistSet train = analysis::load_mnist(dir, analysis::MnistSplit::Train);
  const analysis::MnistSet val = analysis::load_mnist(dir, analysis::MnistSplit::Validation);
  EXPECT_EQ(test.count, 10000);
  EXPECT_EQ(train.count, 55000);
  EXPECT_EQ(val.count, 5000);
  std::array<int, 10> counts{};
  for (uint8_t l : test.labels) ++counts[l];
  EXPECT_EQ(counts, (std::array<int, 10>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  EXPECT_EQ(train.labels[0], 5);  // the first training image is a 5
  EXPECT_EQ(test.labels[0], 7);   // the first test image is a 7
}

TEST(Sequences, RowsAndPixelsInScanLineOrder) {
  std::vector<uint8_t> img(784);
  for (int k = 0; k < 784; ++k) img[static_cast<size_t>(k)] = static_cast<uint8_t>(k % 251);
  float x[28];
  analysis::sequence_input(MnistSequence::Row, img.data(), 3, x);
  for (int j = 0; j < 28; ++j) EXPECT_FLOAT_EQ(x[j], static_cast<float>((3 * 28 + j) % 251) / 255.0f);
  analysis::sequence_input(MnistSequence::Pixel, img.data(), 500, x);
  EXPECT_FLOAT_EQ(x[0], static_cast<float>(500 % 251) / 255.0f);
  EXPECT_EQ(analysis::sequence_steps(MnistSequence::Pixel), 784);
  EXPECT_EQ(analysis::sequence_inputs(MnistSequence::Row), 28);
}

TEST(TrainingBatches, ShuffleIsAPermutationPerEpochAndBatchesHoldTheImages) {
  const std::vector<int> a = train::epoch_order(7, 0, 1000), b = train::epoch_order(7, 1, 1000);
  EXPECT_EQ(std::set<int>(a.begin(), a.end()).size(), 1000u);
  EXPECT_EQ(*std::min_element(a.begin(), a.end()), 0);
  EXPECT_EQ(*std::max_element(a.begin(), a.end()), 999);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, train::epoch_order(7, 0, 1000));
  const std::string d = temp_dir();
  write(d + "/img", images(5));
  write(d + "/lab", labels(5));
  const analysis::MnistSet s = analysis::read_idx_pair(d + "/img", d + "/lab");
  const int pick[2] = {4, 1};
  for (MnistSequence seq : {MnistSequence::Row, MnistSequence::Pixel}) {
    const train::Batch<double> batch = train::make_mnist_batch<double>(s, seq, pick, 2);
    const int steps = analysis::sequence_steps(seq), n_in = analysis::sequence_inputs(seq);
    ASSERT_EQ(batch.x.rows(), n_in);
    ASSERT_EQ(batch.x.cols(), steps * 2);
    for (int bi = 0; bi < 2; ++bi)
      for (int st : {0, steps / 2, steps - 1}) {
        float x[28];
        analysis::sequence_input(seq, s.image(pick[bi]), st, x);
        for (int j = 0; j < n_in; ++j) EXPECT_EQ(batch.x(j, st * 2 + bi), static_cast<double>(x[j]));
      }
    EXPECT_EQ(batch.target.sum(), 2.0);  // one-hot at the last step only
    EXPECT_EQ(batch.target(s.labels[4], (steps - 1) * 2 + 0), 1.0);
    EXPECT_EQ(batch.target(s.labels[1], (steps - 1) * 2 + 1), 1.0);
  }
}

// The evaluation library decides as a fixed-size Network<8, 28, 10> run image by image does,
// in every mode, whatever the thread count; a wrong model is refused with one line.
TEST(MnistEval, EqualsADirectFixedSizeRunInEveryMode) {
  conv::ModelData d = test::mixed_model(8, 28, 10, 3);
  d.task = TaskKind::SeqMNISTRow;
  d.dynamics.readout = Readout::Softmax;
  const conv::AlignedBuffer buf = conv::build_model_file(d);
  ModelView view;
  ASSERT_EQ(load(buf.data(), buf.size(), view), Status::Ok);
  const std::string dir = temp_dir();
  write(dir + "/img", images(13));
  write(dir + "/lab", labels(13));
  const analysis::MnistSet set = analysis::read_idx_pair(dir + "/img", dir + "/lab");
  for (Mode mode : test::kModes) {
    analysis::MnistEvalConfig cfg;
    cfg.mode = mode;
    cfg.seed = 5;
    cfg.threads = 1;
    const analysis::MnistEvalResult one = analysis::evaluate_mnist(view, set, cfg);
    cfg.threads = 3;
    const analysis::MnistEvalResult three = analysis::evaluate_mnist(view, set, cfg);
    EXPECT_EQ(one.confusion, three.confusion);
    Network<8, 28, 10> net;
    Options opt;
    opt.mode = mode;
    opt.seed = 5;
    ASSERT_EQ(net.bind(view, opt), Status::Ok);
    std::array<std::array<int, 10>, 10> confusion{};
    int correct = 0;
    for (int k = 0; k < set.count; ++k) {
      net.reset(static_cast<uint32_t>(k));
      Network<8, 28, 10>::Input x;
      for (int t = 0; t < 28; ++t) {
        analysis::sequence_input(MnistSequence::Row, set.image(k), t, x.data());
        ASSERT_EQ(net.step(x), Status::Ok);
      }
      ++confusion[set.labels[static_cast<size_t>(k)]][static_cast<size_t>(net.decide())];
      correct += net.decide() == set.labels[static_cast<size_t>(k)] ? 1 : 0;
    }
    EXPECT_EQ(one.confusion, confusion) << mode_name(mode);
    EXPECT_EQ(one.correct, correct);
    EXPECT_EQ(one.count, 13);
    EXPECT_EQ(one.steps, 13u * 28u);
  }
  analysis::MnistEvalConfig limited;
  limited.limit = 4;
  EXPECT_EQ(analysis::evaluate_mnist(view, set, limited).count, 4);
  limited.limit = 14;
  EXPECT_THROW(analysis::evaluate_mnist(view, set, limited), std::invalid_argument);
  // an MSI model is not a sequential-MNIST model
  conv::ModelData msi = test::mixed_model(9, 5, 2, 4);
  conv::apply_msi_task(msi);
  const conv::AlignedBuffer mbuf = conv::build_model_file(msi);
  ModelView mview;
  ASSERT_EQ(load(mbuf.data(), mbuf.size(), mview), Status::Ok);
  try {
    analysis::evaluate_mnist(mview, set, analysis::MnistEvalConfig{});
    ADD_FAILURE() << "an MSI model must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "not a sequential-MNIST model (its task is msi)");
  }
}

// The runtime refuses an MNIST task whose sizes do not fit it (one definition of valid).
TEST(MnistEval, ModelWithTheWrongInputsIsBadTask) {
  conv::ModelData d = test::mixed_model(8, 27, 10, 3);
  d.task = TaskKind::SeqMNISTRow;
  try {
    conv::build_model_file(d);
    ADD_FAILURE() << "27 inputs cannot be a row-by-row model";
  } catch (const conv::ModelError& e) {
    EXPECT_EQ(e.status, Status::BadTask);
  }
  d = test::mixed_model(8, 1, 9, 3);
  d.task = TaskKind::SeqMNISTPixel;
  EXPECT_THROW(conv::build_model_file(d), conv::ModelError);
}
