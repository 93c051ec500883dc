// Fuzz target: the idx reader of the MNIST files (analysis/mnist_data). One input holds both
// files: a 4-byte little-endian length L, then L bytes of the idx3 image file, then the idx1 label
// file. Any pair is read or refused with a DataError; a pair it accepts must be consistent
// (count x 28 x 28 pixels, count labels 0..9), and every image becomes row and pixel sequences
// (sasrnn/mnist.hpp) of values in [0, 1].
#include <cstdint>
#include <exception>
#include <vector>

#include "sasrnn/analysis/mnist_data.hpp"

namespace {
void require(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const size_t n = static_cast<size_t>(data[0]) | static_cast<size_t>(data[1]) << 8 |
                   static_cast<size_t>(data[2]) << 16 | static_cast<size_t>(data[3]) << 24;
  if (n > size - 4) return 0;
  const std::vector<uint8_t> images(data + 4, data + 4 + n), labels(data + 4 + n, data + size);
  using namespace sasrnn;
  analysis::MnistSet set;
  try {
    set = analysis::parse_idx_pair(images, "images.idx3", labels, "labels.idx1");
  } catch (const analysis::DataError&) {
    return 0;
  }
  require(set.count > 0 && set.rows == 28 && set.cols == 28);
  require(set.pixels.size() == static_cast<size_t>(set.count) * 784u);
  require(set.labels.size() == static_cast<size_t>(set.count));
  for (uint8_t l : set.labels) require(l <= 9);
  const analysis::MnistSet last = set.slice(set.count - 1, 1);
  require(last.count == 1 && last.labels[0] == set.labels.back());
  for (mnist::Sequence s : {mnist::Sequence::Row, mnist::Sequence::Pixel}) {
    float x[mnist::kSide];
    for (int t = 0; t < mnist::sequence_steps(s); ++t) {
      mnist::sequence_input(s, last.image(0), t, x);
      for (int j = 0; j < mnist::sequence_inputs(s); ++j) require(x[j] >= 0.0f && x[j] <= 1.0f);
    }
  }
  return 0;
}
