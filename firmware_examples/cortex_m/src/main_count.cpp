// msi_count: per-step instruction counts. Runs one MSI trial (both modalities, 16 events/s,
// 90 steps at dt = 20 ms) in each of the four modes and brackets every net.step() with two
// instruction-count marks. Under QEMU with the project's plugin (tools/insn_plugin.cpp) each
// mark reports the exact number of instructions executed so far; fw_compare pairs the marks with
// the "span" lines printed here. Calibration spans (two marks with nothing between) measure the
// marks' own cost, which fw_compare subtracts. With -icount, the SysTick ticks of each span give
// an independent count (the virtual clock advances 2^shift ns per instruction).
#include <cstddef>

#include "msi_app.hpp"
#include "platform.hpp"
#include "sasrnn/model.hpp"
#include "sasrnn/msi.hpp"
#include "sasrnn_msi_model.h"  // sasrnn export-c: the model as a C array

namespace {
fw::MsiNetwork g_net;
constexpr sasrnn::Mode kModes[] = {sasrnn::Mode::MeanField, sasrnn::Mode::SampledPerStep,
                                   sasrnn::Mode::SampledPerTrial, sasrnn::Mode::MeanWeights};
}  // namespace

int main() {
  namespace msi = sasrnn::msi;
  sasrnn::ModelView view;
  if (sasrnn::load<fw::kN, fw::kNIn, fw::kNOut>(sasrnn_msi_model, sasrnn_msi_model_size, view) !=
      sasrnn::Status::Ok)
    return 1;
  fw::ticks_start();
  for (int c = 0; c < 4; ++c) {
    const uint32_t t0 = fw::ticks();
    fw::mark();
    fw::mark();
    const uint32_t t1 = fw::ticks();
    fw::print("span calibration %d ticks %lu\n", c,
              static_cast<unsigned long>((t1 - t0) & 0xFFFFFFu));
  }
  msi::Protocol protocol = msi::Protocol::test(20.0f);
  protocol.tau_ms = view.dynamics.tau_ms;
  protocol.baseline = view.dynamics.baseline;
  protocol.sigma_in = view.dynamics.sigma_in;
  protocol.seed = 7;
  const msi::Trial trial = msi::evaluation_trial(msi::kConditions - 1, 1);  // both, 16 events/s
  const msi::Stimulus stim(protocol, trial);
  for (sasrnn::Mode mode : kModes) {
    sasrnn::Options opt;
    opt.mode = mode;
    opt.seed = 7;
    opt.alpha = protocol.alpha();
    if (g_net.bind(view, opt) != sasrnn::Status::Ok) return 1;
    g_net.reset(trial.index);
    fw::MsiNetwork::Input x;
    for (int t = 0; t < stim.steps(); ++t) {
      stim.input(t, x.data());
      const uint32_t t0 = fw::ticks();
      fw::mark();
      const sasrnn::Status s = g_net.step(x);
      fw::mark();
      const uint32_t t1 = fw::ticks();
      if (s != sasrnn::Status::Ok) return 1;
      fw::print("span %s %d ticks %lu\n", sasrnn::mode_name(mode), t,
                static_cast<unsigned long>((t1 - t0) & 0xFFFFFFu));
    }
    fw::print("decision %s %d\n", sasrnn::mode_name(mode), g_net.decide());
  }
  return 0;
}
