// The feedforward MNIST app, the same source on the Cortex-M boards and on the host: runs a few
// test images (built into the image as a C array, the same array as the row app's) through the
// spike-and-slab stack ff::Network<784, 100, 100, 10> (Li & Huang, PRL 125, 178301, 2020) in each
// mode and prints every image's decision, its 10 outputs (softmax of the logits) and a hash of the
// 10 logits z (floats as bit patterns, so host and target output can be compared exactly). The
// input is the image's pixels / 255 (28 rows of sasrnn::mnist::sequence_input, as the host
// evaluator's x), and image k of the test set is inference k, as in sasrnn run / evaluate_mnist.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mnist_common.hpp"
#include "sasrnn/feedforward/network.hpp"

namespace fw {

struct Fnv;

constexpr int kMnistFfOut = 10;
using MnistFfNetwork = sasrnn::ff::Network<kMnistPixels, 100, 100, kMnistFfOut>;

/// The app's network (static storage).
MnistFfNetwork& mnist_ff_network();

/// Binds mnist_ff_network() to the stack in `mode` with `seed`.
sasrnn::Status mnist_ff_bind(const sasrnn::ff::ModelView& view, sasrnn::Mode mode, uint64_t seed);

/// Classifies test image k (28 x 28 bytes): one inference of x = pixels / 255 as inference k.
/// Adds the 10 logits to `hash` when given. Returns the decision, or -1 if infer() fails.
int mnist_ff_classify(uint32_t k, const uint8_t* image, Fnv* hash);

/// RAM of the app besides the network: the input vector x (static, 784 floats).
size_t mnist_ff_input_bytes();

/// Runs the app on images[0 .. cfg.images) with labels; returns 0 on success, 1 if the model
/// does not load or bind or an inference fails.
int run_mnist_ff(const uint8_t* model, size_t size, const uint8_t (*images)[kMnistPixels],
                 const uint8_t* labels, const MnistConfig& cfg, MnistDecisions* decisions);

}  // namespace fw
