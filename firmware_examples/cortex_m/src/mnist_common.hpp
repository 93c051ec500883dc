// What the two MNIST apps share (mnist_app.hpp: the row-by-row recurrent network; mnist_ff_app.hpp:
// the feedforward stack): the image size, the modes they run in order, the run's settings and the
// decisions the host twins check against the host evaluator (host_mnist_check.hpp), and the loop
// that runs one mode over the test images and prints what the tests compare.
#pragma once

#include <cstdint>

#include "app_output.hpp"
#include "platform.hpp"
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

/// One mode over the first cfg.images test images, as both apps print it: bind(), then per image
/// its label, decision, trajectory hash and the `n_out` outputs (hex, compared with the host bit
/// for bit), then the accuracy. `bind()` returns the Status of binding the network in `mode`;
/// `classify(k, image, &hash)` returns image k's decision or -1 on an error; `output()` the
/// outputs it left. Returns 0, or 1 after printing why.
template <class Bind, class Classify, class Output>
int run_mnist_mode(sasrnn::Mode mode, const uint8_t (*images)[kMnistPixels], const uint8_t* labels,
                   const MnistConfig& cfg, int8_t* decisions, int n_out, Bind bind, Classify classify,
                   Output output) {
  const sasrnn::Status s = bind();
  if (s != sasrnn::Status::Ok) {
    print("bind failed: %s\n", sasrnn::status_name(s));
    return 1;
  }
  print("mode %s\n", sasrnn::mode_name(mode));
  uint32_t correct = 0;
  for (uint32_t k = 0; k < cfg.images; ++k) {
    Fnv hash;
    const int d = classify(k, images[k], &hash);
    if (d < 0) {
      print("image %lu failed\n", static_cast<unsigned long>(k));
      return 1;
    }
    decisions[k] = static_cast<int8_t>(d);
    correct += d == labels[k] ? 1u : 0u;
    HexLine line("");
    print("image %lu label %d d=%d hash=%08lx y", static_cast<unsigned long>(k),
          static_cast<int>(labels[k]), d, static_cast<unsigned long>(hash.h));
    const auto& y = output();  // a pointer or a vector of floats
    for (int j = 0; j < n_out; ++j) line.add(y[j]);
    line.end();
  }
  print("accuracy %s: %lu/%lu images correct\n", sasrnn::mode_name(mode),
        static_cast<unsigned long>(correct), static_cast<unsigned long>(cfg.images));
  return 0;
}

}  // namespace fw
