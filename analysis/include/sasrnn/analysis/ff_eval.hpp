// Evaluation of a feedforward MNIST stack (feedforward/network.hpp) with the runtime: every image
// of a set (784 pixels / 255) through the stack, the decision (argmax of the last layer), the
// accuracy, per-class accuracy and confusion matrix of mnist_eval.hpp. Shared by `sasrnn run`,
// the trainer's validation and final evaluation; any stack up to the host limits below.
#pragma once

#include <ostream>

#include "sasrnn/analysis/host_network.hpp"
#include "sasrnn/analysis/mnist_data.hpp"
#include "sasrnn/analysis/mnist_eval.hpp"
#include "sasrnn/feedforward/network.hpp"

namespace sasrnn::analysis {

/// The widest layer the host tools run (the trainer's limit too); inputs as kHostMaxInputs.
constexpr int kHostMaxWidth = 4096;

/// The stack every host tool runs feedforward models with (about 200 KB: one per worker, on the heap).
using HostFfNetwork = ff::NetworkUpTo<kHostMaxInputs, kHostMaxWidth, ff::kMaxLayers>;

/// Throws std::invalid_argument (one line) if the stack is not an MNIST classifier the host tools
/// run: 784 inputs, 10 outputs, layers within kHostMaxWidth.
void check_mnist_stack(const ff::ModelView& model);

/// Runs the stack on `set`; image k is inference k (its draws). cfg.recurrent_noise is unused.
MnistEvalResult evaluate_mnist(const ff::ModelView& model, const MnistSet& set, const MnistEvalConfig& cfg);

/// Prints the report of mnist_eval.hpp for a stack (its first line names the stack's sizes).
void print_mnist_report(std::ostream& out, const ff::ModelView& model, const char* set_name,
                        const MnistEvalConfig& cfg, const MnistEvalResult& r);

}  // namespace sasrnn::analysis
