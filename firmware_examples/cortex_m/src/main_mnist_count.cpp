// mnist_row_count: instructions per image of the sequential-MNIST row app. Classifies the
// embedded test images in each of the four modes with the app's own mnist_classify() (reset,
// 28 row steps, decision) bracketed by two instruction-count marks, as msi_count brackets its
// steps: under QEMU with the project's plugin (tools/insn_plugin.cpp) each mark reports the
// exact number of instructions executed so far, and `fw_compare counts --unit image` pairs the
// marks with the "span" lines printed here (the calibration spans give the marks' own cost,
// subtracted). SampledPerTrial includes the draw of the image's network into the trial cache at
// reset(), for every image. With -icount, SysTick ticks give an independent count.
#include "fw_mnist_images.h"  // fw_mnist_images: the first test images as a C array
#include "mnist_app.hpp"
#include "platform.hpp"
#include "sasrnn/model.hpp"
#include "sasrnn_mnist_row_model.h"  // sasrnn export-c: the model as a C array

int main() {
  sasrnn::ModelView view;
  if (sasrnn::load<fw::kMnistN, fw::kMnistNIn, fw::kMnistNOut>(
          sasrnn_mnist_row_model, sasrnn_mnist_row_model_size, view) != sasrnn::Status::Ok)
    return 1;
  fw::calibrate_spans();
  for (const sasrnn::Mode mode : fw::kMnistModes) {
    if (fw::mnist_bind(view, mode, 1) != sasrnn::Status::Ok) return 1;
    // bind() starts trial 0 (in SampledPerTrial it draws that trial's network into the cache at
    // once): start another trial, so that every image, image 0 included, draws its own network
    // inside its span.
    fw::mnist_network().reset(~0u);
    for (uint32_t k = 0; k < FW_MNIST_IMAGE_COUNT; ++k) {
      const uint32_t t0 = fw::ticks();
      fw::mark();
      const int d = fw::mnist_classify(k, fw_mnist_images[k], nullptr);
      fw::mark();
      const uint32_t t1 = fw::ticks();
      if (d < 0) return 1;
      fw::print("span %s %lu ticks %lu\n", sasrnn::mode_name(mode), static_cast<unsigned long>(k),
                static_cast<unsigned long>((t1 - t0) & 0xFFFFFFu));
      fw::print("decision %s %lu label %d d=%d\n", sasrnn::mode_name(mode),
                static_cast<unsigned long>(k), static_cast<int>(fw_mnist_labels[k]), d);
    }
  }
  return 0;
}
