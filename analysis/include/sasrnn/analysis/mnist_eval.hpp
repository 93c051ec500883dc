// Evaluation of a sequential-MNIST model with the runtime: every image of a set as a sequence
// (row by row or pixel by pixel, as the model's task says), the decision at the last step, and
// the accuracy, per-class accuracy and confusion matrix. Shared by `sasrnn run`, the trainer's
// validation and the analyses; any network size up to the host limits (host_network.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <ostream>

#include "sasrnn/analysis/host_network.hpp"
#include "sasrnn/analysis/mnist_data.hpp"

namespace sasrnn::analysis {

struct MnistEvalConfig {
  Mode mode = Mode::MeanField;
  uint64_t seed = 1;      ///< every draw (mean-field noise, sampled weights); image k is trial k
  int limit = 0;          ///< the first `limit` images only (0: all)
  int threads = 2;        ///< images are independent; results do not depend on this
  bool batch = true;      ///< several images at once where possible (trials.hpp; the same results)
  bool recurrent_noise = true;
  /// Called from the calling thread about once a second with (images done, images in total).
  std::function<void(int, int)> progress;
};

struct MnistEvalResult {
  int count = 0;
  int correct = 0;
  std::array<std::array<int, 10>, 10> confusion{};  ///< [label][decision]
  uint64_t steps = 0;
  double seconds = 0;   ///< wall time of the images, summed over threads
  double accuracy() const { return count ? static_cast<double>(correct) / count : 0.0; }
  /// Accuracy on the images of digit d (0 if there are none).
  double class_accuracy(int d) const;
  int class_count(int d) const;
};

/// The sequence form of a sequential-MNIST model (its task), or throws std::invalid_argument
/// (one line) if the model is not one, or its NIn/NOut do not fit the task.
MnistSequence mnist_sequence_of(const ModelView& model);

/// Runs the model on `set` (decisions = argmax of the outputs at the last step).
MnistEvalResult evaluate_mnist(const ModelView& model, const MnistSet& set,
                               const MnistEvalConfig& cfg);

/// Prints accuracy, per-class accuracy, the confusion matrix and the time per step.
void print_mnist_report(std::ostream& out, const ModelView& model, const char* set_name,
                        const MnistEvalConfig& cfg, const MnistEvalResult& r);
/// The report without its first line (shared with the feedforward report, ff_eval.hpp).
void print_mnist_tables(std::ostream& out, const MnistEvalResult& r);

}  // namespace sasrnn::analysis
