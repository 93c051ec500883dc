// What the two MNIST apps share (mnist_app.hpp: the row-by-row recurrent network; mnist_ff_app.hpp:
// the feedforward stack): the image size, the modes they run in order, the run's settings and the
// decisions the host twins check against the host evaluator (host_mnist_check.hpp).
#pragma once

#include <cstdint>

#include "sasrnn/network.hpp"

namespace fw {

constexpr int kMnistPixels = 28 * 28;

/// The modes the apps run, in order.
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

}  // namespace fw
