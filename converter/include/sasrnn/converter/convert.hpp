// `sasrnn convert INPUT OUTPUT`: format conversion between .sasrnn, .npz and .json, compact
// encodings (compact.hpp) and the accuracy check of an encoded model.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "sasrnn/converter/npz.hpp"
#include "sasrnn/feedforward/model.hpp"
#include "sasrnn/network.hpp"

namespace sasrnn::conv {

/// Options of `sasrnn convert` (cli/convert.cpp only parses them into this).
struct ConvertOptions {
  std::string input;   ///< .sasrnn, .npz or .json
  std::string output;  ///< .sasrnn, .npz or .json
  bool force = false;  ///< replace an existing OUTPUT

  /// Encoding of a .sasrnn OUTPUT (encoding_preset() name); empty = the input's own encoding
  /// (.sasrnn input) or dense. The overrides below apply on top and make the layers sparse.
  std::string encoding;
  std::optional<ValueType> values;
  std::optional<float> prune, pi_zero, xi_zero;

  /// Accuracy check: the task's evaluation set in MeanField and SampledPerStep, source and encoded
  /// model with the same seed: MSI, 24 conditions x eval_trials; sequential MNIST, the first
  /// eval_images test images. 0 = no check.
  uint32_t eval_trials = 100;
  uint32_t eval_images = 1000;
  uint64_t eval_seed = 1;
  /// Refuse to write a model that loses more than this (percentage points) in either mode.
  std::optional<double> max_accuracy_drop;
  /// Measures a model's accuracy (fraction of correct decisions) in a mode on its task's
  /// evaluation set of `count` trials (MSI repetitions) or images (MNIST); throws
  /// std::invalid_argument if the model cannot be evaluated. Supplied by the CLI (the evaluation
  /// library, analysis/); without it no accuracy is measured.
  std::function<double(const ModelView&, Mode, uint32_t count, uint64_t seed)> evaluate;
  /// The same for a feedforward MNIST stack (the first `count` test images).
  std::function<double(const ff::ModelView&, Mode, uint32_t count, uint64_t seed)> evaluate_ff;
};

/// Reads `input`, encodes and writes `output` (formats by extension), and prints the sizes before
/// and after, the encoding, and (MSI models, .sasrnn output) the accuracy change.
/// On any error prints "sasrnn convert: <cause>" to `err` and returns 1; OUTPUT is then untouched.
int convert_command(const ConvertOptions& options, std::ostream& out, std::ostream& err);

}  // namespace sasrnn::conv
