// mnist_row_fw_host: the host twin of mnist_row_fw. The same app source, model array and image
// array, built with the host compiler; its output is what the QEMU runs are compared with. It
// also checks its decisions against the project's host evaluator (sasrnn::analysis::evaluate_mnist,
// the code behind `sasrnn run`) on the same images, mode by mode.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "fw_mnist_images.h"  // fw_mnist_images: the first test images as a C array
#include "host_mnist_check.hpp"
#include "mnist_app.hpp"
#include "platform.hpp"
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
    return fw::check_host_decisions(view, fw_mnist_images, fw_mnist_labels, cfg, decisions, "step");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mnist_row_fw_host: %s\n", e.what());
    return 1;
  }
}
