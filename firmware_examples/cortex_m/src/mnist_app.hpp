// The sequential-MNIST row app, the same source on the Cortex-M boards and on the host: runs a
// few test images (built into the image as a C array) row by row (28 steps x 28 inputs) through
// Network<100, 28, 10> in each mode and prints every image's decision, the 10 outputs at the
// last step and a hash of all h_i(t) (floats as bit patterns, so host and target output can be
// compared exactly). Image k of the test set is trial k, as in sasrnn run / evaluate_mnist.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mnist_common.hpp"
#include "sasrnn/network.hpp"

namespace fw {

struct Fnv;

constexpr int kMnistN = 100;
constexpr int kMnistNIn = 28;
constexpr int kMnistNOut = 10;
constexpr int kMnistSteps = 28;
using MnistNetwork = sasrnn::Network<kMnistN, kMnistNIn, kMnistNOut>;

// kMnistModes (SampledPerTrial with the trial cache here, as the host evaluator; bit for bit the
// same as without it), MnistConfig and MnistDecisions: mnist_common.hpp.

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
