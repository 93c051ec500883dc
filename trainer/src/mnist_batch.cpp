// Sequential-MNIST training batches and the per-epoch shuffle.
#include "sasrnn/trainer/mnist_batch.hpp"

#include <numeric>

#include "sasrnn/rng.hpp"

namespace sasrnn::train {

namespace {
constexpr uint64_t kShuffleSalt = 0x73687566666C6521ull;  // "shuffle!"
}

std::vector<int> epoch_order(uint64_t seed, int epoch, int count) {
  std::vector<int> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), 0);
  for (int i = count - 1; i > 0; --i) {
    const Block w = random_block(seed ^ kShuffleSalt,
                                 Counter{static_cast<uint32_t>(i), static_cast<uint32_t>(epoch), 0,
                                         static_cast<uint32_t>(Stream::TaskDraw)});
    // a 64-bit draw reduced to [0, i]: the bias (i / 2^64) is far below anything measurable
    const uint64_t r = (uint64_t{w.w[0]} << 32) | w.w[1];
    const int j = static_cast<int>(r % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

template <class T>
Batch<T> make_mnist_batch(const analysis::MnistSet& set, analysis::MnistSequence seq,
                          const int* images, int count) {
  const int steps = analysis::sequence_steps(seq), n_in = analysis::sequence_inputs(seq);
  Batch<T> b;
  b.steps = steps;
  b.size = count;
  b.x.resize(n_in, static_cast<Eigen::Index>(steps) * count);
  b.target.setZero(10, static_cast<Eigen::Index>(steps) * count);
  float x[28];
  for (int bi = 0; bi < count; ++bi) {
    const uint8_t* img = set.image(images[bi]);
    for (int s = 0; s < steps; ++s) {
      analysis::sequence_input(seq, img, s, x);
      for (int j = 0; j < n_in; ++j) b.x(j, s * count + bi) = static_cast<T>(x[j]);
    }
    b.target(set.labels[static_cast<size_t>(images[bi])], (steps - 1) * count + bi) = T(1);
  }
  return b;
}

template Batch<float> make_mnist_batch<float>(const analysis::MnistSet&, analysis::MnistSequence,
                                              const int*, int);
template Batch<double> make_mnist_batch<double>(const analysis::MnistSet&, analysis::MnistSequence,
                                                const int*, int);

}  // namespace sasrnn::train
