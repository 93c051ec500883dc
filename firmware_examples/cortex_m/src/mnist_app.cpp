// The sequential-MNIST row app (see mnist_app.hpp): one source for mnist_row_fw (boards),
// mnist_row_count (instruction counts) and the host twin mnist_row_fw_host.
#include "mnist_app.hpp"

#include "app_output.hpp"
#include "platform.hpp"
#include "sasrnn/mnist.hpp"
#include "sasrnn/model.hpp"

namespace fw {
namespace {

namespace an = sasrnn::mnist;

MnistNetwork g_net;  // static storage: the network's RAM is counted in .bss, never on the stack
// SampledPerTrial's concrete network of the current image: N^2 + N NIn + NOut N floats
// (54 KiB at N = 100), static, so no heap either.
float g_trial_cache[sasrnn::kTrialCacheBuilt ? MnistNetwork::kTrialCacheFloats : 1];

int run_mode(const sasrnn::ModelView& view, sasrnn::Mode mode, const uint8_t (*images)[kMnistPixels],
             const uint8_t* labels, const MnistConfig& cfg, int8_t* decisions) {
  return run_mnist_mode(
      mode, images, labels, cfg, decisions, kMnistNOut, [&] { return mnist_bind(view, mode, cfg.seed); },
      [](uint32_t k, const uint8_t* image, Fnv* hash) { return mnist_classify(k, image, hash); },
      []() -> decltype(auto) { return g_net.output(); });
}

}  // namespace

MnistNetwork& mnist_network() { return g_net; }

sasrnn::Status mnist_bind(const sasrnn::ModelView& view, sasrnn::Mode mode, uint64_t seed) {
  sasrnn::Options opt;
  opt.mode = mode;
  opt.seed = seed;
  opt.recurrent_noise = true;
  sasrnn::Status s = g_net.bind(view, opt);
  if (s != sasrnn::Status::Ok) return s;
  const bool cache = sasrnn::kTrialCacheBuilt && mode == sasrnn::Mode::SampledPerTrial;
  return g_net.use_trial_cache(cache ? g_trial_cache : nullptr, MnistNetwork::kTrialCacheFloats);
}

int mnist_classify(uint32_t k, const uint8_t* image, Fnv* hash) {
  g_net.reset(k);
  float x[kMnistNIn];
  for (int t = 0; t < kMnistSteps; ++t) {
    an::sequence_input(an::Sequence::Row, image, t, x);
    if (g_net.step(x) != sasrnn::Status::Ok) return -1;
    if (hash)
      for (int i = 0; i < kMnistN; ++i) hash->add(g_net.state()[i]);
  }
  return g_net.decide();
}

int run_mnist_row(const uint8_t* model, size_t size, const uint8_t (*images)[kMnistPixels],
                  const uint8_t* labels, const MnistConfig& cfg, MnistDecisions* decisions) {
  sasrnn::ModelView view;
  const sasrnn::Status s = sasrnn::load<kMnistN, kMnistNIn, kMnistNOut>(model, size, view);
  if (s != sasrnn::Status::Ok) {
    print("model does not load: %s\n", sasrnn::status_name(s));
    return 1;
  }
  if (view.task != sasrnn::TaskKind::SeqMNISTRow) {
    print("not a mnist-row model (task %s)\n", sasrnn::task_name(view.task));
    return 1;
  }
  if (cfg.images > MnistDecisions::kMaxImages) {
    print("too many images\n");
    return 1;
  }
  print("sasrnn-fw mnist-row: N=%d NIn=%d NOut=%d, model %lu bytes, seed %lu, %lu test images, "
        "%d steps per image\n",
        kMnistN, kMnistNIn, kMnistNOut, static_cast<unsigned long>(size),
        static_cast<unsigned long>(cfg.seed), static_cast<unsigned long>(cfg.images), kMnistSteps);
  // '#' lines differ between host and target by nature (sizes of pointers) and are not compared.
  print("# network_ram_bytes<100,28,10>() = %lu, trial cache %lu bytes\n",
        static_cast<unsigned long>(sasrnn::network_ram_bytes<kMnistN, kMnistNIn, kMnistNOut>()),
        static_cast<unsigned long>(sizeof g_trial_cache));
  static MnistDecisions local;  // not on the stack
  MnistDecisions& out = decisions ? *decisions : local;
  out.images = cfg.images;
  int rc = 0;
  for (int mi = 0; mi < kMnistModeCount; ++mi)
    rc |= run_mode(view, kMnistModes[mi], images, labels, cfg, out.decision[mi]);
  return rc;
}

}  // namespace fw
