// The sequential-MNIST row app, the same source on the Cortex-M boards and on the host: runs a
// few test images (built into the image as a C array) row by row (28 steps x 28 inputs) through
// Network<100, 28, 10> in each mode and prints every image's decision, the 10 outputs at the
// last step and a hash of all h_i(t) (floats as bit patterns, so host and target output can be
// compared exactly). Image k of the test set is trial k, as in sasrnn run / evaluate_mnist.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sasrnn/network.hpp"

namespace fw {

struct Fnv;

constexpr int kMnistN = 100;
constexpr int kMnistNIn = 28;
constexpr int kMnistNOut = 10;
constexpr int kMnistSteps = 28;
constexpr int kMnistPixels = 28 * 28;
using MnistNetwork = sasrnn::Network<kMnistN, kMnistNIn, kMnistNOut>;

/// The modes the app runs, in order. SampledPerTrial keeps the trial's network in a static
/// trial cache (as the host evaluator does; bit for bit the same as without it).
constexpr sasrnn::Mode kMnistModes[] = {sasrnn::Mode::MeanField, sasrnn::Mode::SampledPerStep,
                                        sasrnn::Mode::SampledPerTrial, sasrnn::Mode::MeanWeights};
constexpr int kMnistModeCount = 4;

struct MnistConfig {
  uint32_t images = 8;  ///< the first `images` of the embedded test images
  uint64_t seed = 1;    ///< sasrnn run's default
};

/// Decisions of one run: decision[mode][image], for the host's cross-check.
struct MnistDecisions {
  static constexpr uint32_t kMaxImages = 64;
  int8_t decision[kMnistModeCount][kMaxImages];
  uint32_t images = 0;
};

/// The app's network (static storage).
MnistNetwork& mnist_network();

/// Binds mnist_network() to the model in `mode` (seed, recurrent noise on, the model's alpha;
/// SampledPerTrial with the trial cache when the runtime has it).
sasrnn::Status mnist_bind(const sasrnn::ModelView& view, sasrnn::Mode mode, uint64_t seed);

/// Classifies test image k (28 x 28 bytes): reset(k), then the 28 rows as inputs x(t+1), pixels
/// / 255. Adds every h_i(t) to `hash` when given. Returns the decision, or -1 if a step fails.
int mnist_classify(uint32_t k, const uint8_t* image, Fnv* hash);

/// Runs the app on images[0 .. cfg.images) with labels; returns 0 on success, 1 if the model
/// does not load or bind or a step fails.
int run_mnist_row(const uint8_t* model, size_t size, const uint8_t (*images)[kMnistPixels],
                  const uint8_t* labels, const MnistConfig& cfg, MnistDecisions* decisions);

}  // namespace fw
