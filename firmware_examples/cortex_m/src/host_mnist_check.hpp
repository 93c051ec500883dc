// Host only: the MNIST host twins' cross-check (main_mnist_host.cpp, main_mnist_ff_host.cpp). Runs
// the project's host evaluator (sasrnn::analysis::evaluate_mnist, the code behind `sasrnn run`,
// for a recurrent model or a feedforward stack alike) on the embedded images, mode by mode, and
// compares its decisions with the app's; prints one '#' line per mode.
#pragma once

#include <cstdint>
#include <cstring>

#include "mnist_common.hpp"
#include "platform.hpp"
#include "sasrnn/analysis/ff_eval.hpp"
#include "sasrnn/analysis/mnist_eval.hpp"

namespace fw {

/// Returns 0 if the host evaluator's decisions equal `decisions` in every mode, 3 if not.
/// `unit` names what MnistEvalResult::steps counts ("step" or "image"), for the timing line.
/// Throws what evaluate_mnist throws.
template <class View>
int check_host_decisions(const View& view, const uint8_t (*images)[kMnistPixels],
                         const uint8_t* labels, const MnistConfig& cfg,
                         const MnistDecisions& decisions, const char* unit) {
  sasrnn::analysis::MnistSet set;
  set.count = static_cast<int>(cfg.images);
  set.rows = 28;
  set.cols = 28;
  set.pixels.resize(static_cast<size_t>(cfg.images) * kMnistPixels);
  std::memcpy(set.pixels.data(), images, set.pixels.size());
  set.labels.assign(labels, labels + cfg.images);
  int rc = 0;
  for (int mi = 0; mi < kMnistModeCount; ++mi) {
    sasrnn::analysis::MnistEvalConfig ec;
    ec.mode = kMnistModes[mi];
    ec.seed = cfg.seed;
    ec.threads = 1;
    // evaluate_mnist returns the confusion matrix, not the decisions: image k's decision is
    // the entry that the first k + 1 images have more than the first k (image k is trial k).
    sasrnn::analysis::MnistEvalResult r, before;
    uint32_t same = 0;
    for (uint32_t k = 0; k < cfg.images; ++k) {
      ec.limit = static_cast<int>(k + 1);
      r = sasrnn::analysis::evaluate_mnist(view, set, ec);
      const auto& row = r.confusion[labels[k]];
      const auto& row_before = before.confusion[labels[k]];
      int d = -1;
      for (size_t c = 0; c < 10; ++c)
        if (row[c] > row_before[c]) d = static_cast<int>(c);
      same += d == decisions.decision[mi][k] ? 1u : 0u;
      before = r;
    }
    const double us = r.steps ? 1e6 * r.seconds / static_cast<double>(r.steps) : 0.0;
    print(
        "# host evaluator (sasrnn run) %s: %lu/%lu decisions equal, accuracy %d/%d; %.2f us per %s "
        "on this host\n",
        sasrnn::mode_name(ec.mode), static_cast<unsigned long>(same),
        static_cast<unsigned long>(cfg.images), r.correct, r.count, us, unit);
    if (same != cfg.images) rc = 3;
  }
  return rc;
}

}  // namespace fw
