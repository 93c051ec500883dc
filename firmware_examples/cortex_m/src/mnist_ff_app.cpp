// The feedforward MNIST app (see mnist_ff_app.hpp): one source for mnist_ff_fw (boards),
// mnist_ff_count (instruction counts) and the host twin mnist_ff_fw_host.
#include "mnist_ff_app.hpp"

#include "app_output.hpp"
#include "platform.hpp"
#include "sasrnn/feedforward/model.hpp"
#include "sasrnn/mnist.hpp"
#include "sasrnn/model.hpp"

namespace fw {
namespace {

namespace an = sasrnn::mnist;

MnistFfNetwork g_net;  // static storage: the network's RAM is counted in .bss, never on the stack
float g_x[kMnistPixels];  // the input of the current image (3 KiB: not on the 8 KiB stack either)

int run_mode(const sasrnn::ff::ModelView& view, sasrnn::Mode mode, const uint8_t (*images)[kMnistPixels],
             const uint8_t* labels, const MnistConfig& cfg, int8_t* decisions) {
  return run_mnist_mode(
      mode, images, labels, cfg, decisions, kMnistFfOut, [&] { return mnist_ff_bind(view, mode, cfg.seed); },
      [](uint32_t k, const uint8_t* image, Fnv* hash) { return mnist_ff_classify(k, image, hash); },
      []() -> decltype(auto) { return g_net.output(); });
}

}  // namespace

MnistFfNetwork& mnist_ff_network() { return g_net; }

size_t mnist_ff_input_bytes() { return sizeof g_x; }

sasrnn::Status mnist_ff_bind(const sasrnn::ff::ModelView& view, sasrnn::Mode mode, uint64_t seed) {
  sasrnn::Options opt;
  opt.mode = mode;
  opt.seed = seed;
  return g_net.bind(view, opt);
}

int mnist_ff_classify(uint32_t k, const uint8_t* image, Fnv* hash) {
  // x = pixels / 255 in row-major order: the 28 rows of the runtime's one definition
  for (int t = 0; t < an::kSide; ++t)
    an::sequence_input(an::Sequence::Row, image, t, g_x + t * an::kSide);
  if (g_net.infer(g_x, k) != sasrnn::Status::Ok) return -1;
  if (hash)
    for (int j = 0; j < kMnistFfOut; ++j) hash->add(g_net.z()[j]);
  return g_net.decide();
}

int run_mnist_ff(const uint8_t* model, size_t size, const uint8_t (*images)[kMnistPixels],
                 const uint8_t* labels, const MnistConfig& cfg, MnistDecisions* decisions) {
  sasrnn::ff::ModelView view;
  const sasrnn::Status s = sasrnn::ff::load(model, size, view);
  if (s != sasrnn::Status::Ok) {
    print("model does not load: %s\n", sasrnn::status_name(s));
    return 1;
  }
  if (view.task != sasrnn::TaskKind::MNISTImage) {
    print("not a mnist-ff model (task %s)\n", sasrnn::task_name(view.task));
    return 1;
  }
  if (cfg.images > MnistDecisions::kMaxImages) {
    print("too many images\n");
    return 1;
  }
  print(
      "sasrnn-fw mnist-ff: stack [784, 100, 100, 10], model %lu bytes, seed %lu, %lu test images, "
      "one "
      "inference per image\n",
      static_cast<unsigned long>(size), static_cast<unsigned long>(cfg.seed),
      static_cast<unsigned long>(cfg.images));
  // '#' lines differ between host and target by nature (sizes of pointers) and are not compared.
  print(
      "# ff::network_ram_bytes<784,100,100,10>() = %lu, input x %lu bytes, model %lu bytes "
      "(flash)\n",
      static_cast<unsigned long>(
          sasrnn::ff::network_ram_bytes<kMnistPixels, 100, 100, kMnistFfOut>()),
      static_cast<unsigned long>(sizeof g_x), static_cast<unsigned long>(size));
  static MnistDecisions local;  // not on the stack
  MnistDecisions& out = decisions ? *decisions : local;
  out.images = cfg.images;
  int rc = 0;
  for (int mi = 0; mi < kMnistModeCount; ++mi)
    rc |= run_mode(view, kMnistModes[mi], images, labels, cfg, out.decision[mi]);
  return rc;
}

}  // namespace fw
