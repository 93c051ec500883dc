// mnist_ff_fw: the feedforward MNIST firmware. The compact stack (sasrnn_mnist_ff_model.{h,cpp},
// the model as a C array) and the first test images (fw_mnist_images.{h,cpp}, fw_mnist_images)
// are linked in as C arrays made at build time; it classifies all of them in every mode. The exit
// code (0 = ran) comes back through semihosting.
#include "fw_mnist_images.h"  // fw_mnist_images: the first test images as a C array
#include "mnist_ff_app.hpp"
#include "platform.hpp"
#include "sasrnn_mnist_ff_model.h"  // the model as a C array

int main() {
  fw::MnistConfig cfg;
  cfg.images = FW_MNIST_IMAGE_COUNT;
  fw::stack_paint();
  const int rc = fw::run_mnist_ff(sasrnn_mnist_ff_model, sasrnn_mnist_ff_model_size,
                                  fw_mnist_images, fw_mnist_labels, cfg, nullptr);
  fw::print("# stack used: %lu of %lu bytes\n", static_cast<unsigned long>(fw::stack_used()),
            static_cast<unsigned long>(fw::stack_size()));
  return rc;
}
