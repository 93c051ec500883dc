// msi_installed: the runtime as an outside project sees it (find_package(sasrnn), sasrnn::runtime).
// Reads an N=150 MSI model file, runs the 24 MSI conditions once each in MeanField mode and
// prints the decisions and the number correct.
//   usage: msi_installed MODEL.sasrnn [SEED]
// Built with MSI_INSTALLED_EMBEDDED (msi_installed_embedded), the model is the C array that the
// package's sasrnn_export_c() wrote at build time (msi_model.h), as in firmware:
//   usage: msi_installed_embedded [SEED]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <new>
#include <sasrnn/sasrnn.hpp>
#include <vector>

#ifdef MSI_INSTALLED_EMBEDDED
#include "msi_model.h"
#endif

namespace {

struct AlignedDelete {
  void operator()(unsigned char* p) const { ::operator delete[](p, std::align_val_t(16)); }
};

sasrnn::Network<150, 5, 2> g_net;  // about 1.4 KB of state; keep it off the stack

}  // namespace

int main(int argc, char** argv) {
#ifdef MSI_INSTALLED_EMBEDDED
  if (argc > 2) {
    std::fprintf(stderr, "usage: %s [SEED]\n", argv[0]);
    return 2;
  }
  const char* what = "the embedded model";
  const unsigned char* model = msi_model;  // 16-byte aligned by sasrnn export-c
  const size_t model_size = msi_model_size;
  const char* seed_arg = argc == 2 ? argv[1] : nullptr;
#else
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s MODEL.sasrnn [SEED]\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "msi_installed: cannot open %s\n", argv[1]);
    return 1;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  // load() needs a 16-byte aligned buffer.
  std::unique_ptr<unsigned char[], AlignedDelete> buffer(
      new (std::align_val_t(16)) unsigned char[bytes.size() + 1]);
  std::copy(bytes.begin(), bytes.end(), buffer.get());
  const char* what = argv[1];
  const unsigned char* model = buffer.get();
  const size_t model_size = bytes.size();
  const char* seed_arg = argc == 3 ? argv[2] : nullptr;
#endif

  sasrnn::ModelView view;
  sasrnn::Status s = sasrnn::load<150, 5, 2>(model, model_size, view);
  if (s != sasrnn::Status::Ok) {
    std::fprintf(stderr, "msi_installed: %s: %s\n", what, sasrnn::status_message(s));
    return 1;
  }
  namespace msi = sasrnn::msi;
  msi::Protocol protocol = msi::with_model(msi::Protocol::test(20.0f), view);
  protocol.seed = seed_arg ? std::strtoull(seed_arg, nullptr, 10) : 1;
  sasrnn::Options opt;
  opt.mode = sasrnn::Mode::MeanField;
  opt.seed = protocol.seed;
  opt.alpha = protocol.alpha();
  s = g_net.bind(view, opt);
  if (s != sasrnn::Status::Ok) {
    std::fprintf(stderr, "msi_installed: %s\n", sasrnn::status_message(s));
    return 1;
  }
  int correct = 0;
  for (uint32_t k = 0; k < msi::evaluation_size(1); ++k) {
    const msi::Trial trial = msi::evaluation_trial(k, 1);
    const msi::Stimulus stim(protocol, trial);
    g_net.reset(trial.index);
    sasrnn::Network<150, 5, 2>::Input x;
    for (int t = 0; t < stim.steps(); ++t) {
      stim.input(t, x.data());
      g_net.step(x);
    }
    const int d = g_net.decide();
    correct += d == msi::correct_choice(trial, protocol.boundary);
    std::printf("%-8s %2.0f events/s: %s\n", msi::modality_name(trial.modality),
                static_cast<double>(trial.rate), d == msi::High ? "high" : "low");
  }
  std::printf("msi_installed: %d of %d correct (mean-field, seed %llu)\n", correct,
              static_cast<int>(msi::evaluation_size(1)),
              static_cast<unsigned long long>(protocol.seed));
  return 0;
}
