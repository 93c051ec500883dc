// footprint_fw: the runtime and nothing else on top of footprint_baseline (same start-up, same
// printf and exit). Model pointer, mode and input come through volatile variables so that the
// compiler keeps load(), bind() and step() in every mode; the model array itself is not linked
// (its size is the model's, not the runtime's). Runs and exits 0 (the null model is refused).
#include <cstdio>

#include "sasrnn/model.hpp"
#include "sasrnn/network.hpp"

const unsigned char* volatile g_model = nullptr;
volatile unsigned g_model_size = 0;
volatile int g_mode = 0;
volatile float g_input = 0.2f;

namespace {
sasrnn::Network<150, 5, 2> g_net;
}

int main() {
  sasrnn::ModelView view;
  sasrnn::Status s = sasrnn::load<150, 5, 2>(g_model, g_model_size, view);
  if (s == sasrnn::Status::Ok) {
    sasrnn::Options opt;
    opt.mode = static_cast<sasrnn::Mode>(g_mode);
    s = g_net.bind(view, opt);
    g_net.reset(0);
    sasrnn::Network<150, 5, 2>::Input x;
    const float input = g_input;
    x.setConstant(input);
    if (s == sasrnn::Status::Ok) s = g_net.step(x);
  }
  std::printf("footprint: status %d, decision %d\n", static_cast<int>(s), g_net.decide());
  return 0;
}
