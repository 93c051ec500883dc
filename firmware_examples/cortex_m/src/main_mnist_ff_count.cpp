// mnist_ff_count: instructions per image of the feedforward MNIST app. Classifies the embedded
// test images in each of the four modes with the app's own mnist_ff_classify() (x = pixels / 255,
// one inference through the three layers, decision) bracketed by two instruction-count marks, as
// mnist_row_count does: under QEMU with the project's plugin (tools/insn_plugin.cpp) each mark
// reports the exact number of instructions executed so far, and `fw_compare counts --unit image`
// pairs the marks with the "span" lines printed here (the calibration spans give the marks' own
// cost, subtracted). With -icount, SysTick ticks give an independent count.
// Stack: painted before ff::load() and before each mode; each high-water mark is printed
// ("# stack used <what>: X of Y bytes") for fw.<board>.stack.
#include "fw_mnist_images.h"  // fw_mnist_images: the first test images as a C array
#include "mnist_ff_app.hpp"
#include "platform.hpp"
#include "sasrnn/crc32c.hpp"
#include "sasrnn/feedforward/model.hpp"
#include "sasrnn_mnist_ff_model.h"  // the model as a C array

int main() {
  sasrnn::ff::ModelView view;
  fw::stack_paint();
  fw::calibrate_spans();
  // ff::load()'s cost and the CRC-32C alone over the file (spans "load", "crc32c"; index 0, which
  // --unit image lists with the images)
  sasrnn::Status loaded = sasrnn::Status::Ok;
  fw::span("load", 0, [&] {
    loaded = sasrnn::ff::load(sasrnn_mnist_ff_model, sasrnn_mnist_ff_model_size, view);
  });
  if (loaded != sasrnn::Status::Ok) return 1;
  fw::print_stack_used("load");
  volatile uint32_t crc = 0;
  fw::span("crc32c", 0, [&] {
    crc = sasrnn::crc32c::compute(sasrnn_mnist_ff_model, sasrnn_mnist_ff_model_size);
  });
  fw::print("# checksum %s, CRC-32C of the file %08lx\n",
            view.checksum_verified ? "verified" : "not checked", static_cast<unsigned long>(crc));
  for (const sasrnn::Mode mode : fw::kMnistModes) {
    fw::stack_paint();
    if (fw::mnist_ff_bind(view, mode, 1) != sasrnn::Status::Ok) return 1;
    for (uint32_t k = 0; k < FW_MNIST_IMAGE_COUNT; ++k) {
      int d = -1;
      fw::span(sasrnn::mode_name(mode), k,
               [&] { d = fw::mnist_ff_classify(k, fw_mnist_images[k], nullptr); });
      if (d < 0) return 1;
      fw::print("decision %s %lu label %d d=%d\n", sasrnn::mode_name(mode),
                static_cast<unsigned long>(k), static_cast<int>(fw_mnist_labels[k]), d);
    }
    fw::print_stack_used(sasrnn::mode_name(mode));
  }
  return 0;
}
