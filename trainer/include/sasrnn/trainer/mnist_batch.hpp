// Sequential-MNIST training batches (paper Sec. III A): images from the evaluation library's
// reader (analysis/mnist_data.hpp) as row-by-row or pixel-by-pixel sequences, the one-hot label
// as the target of the last step (softmax cross entropy at T only), shuffled per epoch by seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sasrnn/analysis/mnist_data.hpp"
#include "sasrnn/trainer/mean_field.hpp"

namespace sasrnn::train {

struct MnistTaskConfig {
  analysis::MnistSequence sequence = analysis::MnistSequence::Row;
  std::string data_dir;  ///< the four idx files; empty: analysis::default_mnist_dir()
};

/// The order in which epoch `epoch` visits `count` training images: a permutation, a pure
/// function of (seed, epoch) (Fisher-Yates with Philox draws).
std::vector<int> epoch_order(uint64_t seed, int epoch, int count);

/// Images images[0..count) of `set` as a batch: x(s+1) = row s or pixel s (/ 255) in columns
/// s * count + b, the one-hot label as the target of the last step (zero elsewhere); no mask.
template <class T>
Batch<T> make_mnist_batch(const analysis::MnistSet& set, analysis::MnistSequence seq,
                          const int* images, int count);

}  // namespace sasrnn::train
