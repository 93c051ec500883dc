// mnist_row_fw_host: the host twin of mnist_row_fw. The same app source, model array and image
// array, built with the host compiler; its output is what the QEMU runs are compared with. It
// also checks its decisions against the project's host evaluator (sasrnn::analysis::evaluate_mnist,
// the code behind `sasrnn run`) on the same images, mode by mode.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "fw_mnist_images.h"  // fw_mnist_images: the first test images as a C array
#include "mnist_app.hpp"
#include "platform.hpp"
#include "sasrnn/analysis/mnist_eval.hpp"
#include "sasrnn_mnist_row_model.h"  // sasrnn export-c: the model as a C array

// usage: mnist_row_fw_host [IMAGES]  (default: all embedded images)
int main(int argc, char** argv) {
  fw::MnistConfig cfg;
  cfg.images = FW_MNIST_IMAGE_COUNT;
  if (argc == 2) cfg.images = static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10));
  if (argc > 2 || cfg.images < 1 || cfg.images > FW_MNIST_IMAGE_COUNT) {
    std::fprintf(stderr, "usage: mnist_row_fw_host [IMAGES in 1..%d]\n", FW_MNIST_IMAGE_COUNT);
    return 2;
  }
  fw::MnistDecisions decisions;
  const int rc = fw::run_mnist_row(sasrnn_mnist_row_model, sasrnn_mnist_row_model_size,
                                   fw_mnist_images, fw_mnist_labels, cfg, &decisions);
  if (rc != 0) return rc;
  try {
    sasrnn::ModelView view;
    if (sasrnn::load(sasrnn_mnist_row_model, sasrnn_mnist_row_model_size, view) !=
        sasrnn::Status::Ok)
      return 1;
    sasrnn::analysis::MnistSet set;
    set.count = static_cast<int>(cfg.images);
    set.rows = 28;
    set.cols = 28;
    set.pixels.resize(static_cast<size_t>(cfg.images) * fw::kMnistPixels);
    std::memcpy(set.pixels.data(), fw_mnist_images, set.pixels.size());
    set.labels.assign(fw_mnist_labels, fw_mnist_labels + cfg.images);
    for (int mi = 0; mi < fw::kMnistModeCount; ++mi) {
      sasrnn::analysis::MnistEvalConfig ec;
      ec.mode = fw::kMnistModes[mi];
      ec.seed = cfg.seed;
      ec.threads = 1;
      // evaluate_mnist returns the confusion matrix, not the decisions: image k's decision is
      // the entry that the first k + 1 images have more than the first k (image k is trial k).
      sasrnn::analysis::MnistEvalResult r, before;
      uint32_t same = 0;
      for (uint32_t k = 0; k < cfg.images; ++k) {
        ec.limit = static_cast<int>(k + 1);
        r = sasrnn::analysis::evaluate_mnist(view, set, ec);
        const auto& row = r.confusion[fw_mnist_labels[k]];
        const auto& row_before = before.confusion[fw_mnist_labels[k]];
        int d = -1;
        for (size_t c = 0; c < 10; ++c)
          if (row[c] > row_before[c]) d = static_cast<int>(c);
        same += d == decisions.decision[mi][k] ? 1u : 0u;
        before = r;
      }
      const double us = r.steps ? 1e6 * r.seconds / static_cast<double>(r.steps) : 0.0;
      fw::print(
          "# host evaluator (sasrnn run) %s: %lu/%lu decisions equal, accuracy %d/%d; %.2f us per "
          "step on this host\n",
          sasrnn::mode_name(ec.mode), static_cast<unsigned long>(same),
          static_cast<unsigned long>(cfg.images), r.correct, r.count, us);
      if (same != cfg.images) return 3;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mnist_row_fw_host: %s\n", e.what());
    return 1;
  }
  return 0;
}
