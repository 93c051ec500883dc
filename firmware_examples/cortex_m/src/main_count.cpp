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
// SampledPerTrial once more with the trial's network in a RAM cache (Network::use_trial_cache):
// N^2 + N NIn + NOut N floats (92 KiB at N = 150), static, so no heap either.
float g_trial_cache[sasrnn::kTrialCacheBuilt ? fw::MsiNetwork::kTrialCacheFloats : 1];
}  // namespace

int main() {
  namespace msi = sasrnn::msi;
  sasrnn::ModelView view;
  if (sasrnn::load<fw::kN, fw::kNIn, fw::kNOut>(sasrnn_msi_model, sasrnn_msi_model_size, view) !=
      sasrnn::Status::Ok)
    return 1;
  fw::calibrate_spans();
  msi::Protocol protocol = msi::with_model(msi::Protocol::test(20.0f), view);
  protocol.seed = 7;
  const msi::Trial trial = msi::evaluation_trial(msi::kConditions - 1, 1);  // both, 16 events/s
  const msi::Stimulus stim(protocol, trial);
  static float final_h_uncached[fw::kN];
  for (int run = 0; run < 5; ++run) {
    // run 4: SampledPerTrial with the trial cache ("per-trial-cached"); its draw at reset() is
    // the span "trial-draw"
    const bool cached = run == 4;
    if (cached && !sasrnn::kTrialCacheBuilt) break;
    const sasrnn::Mode mode = cached ? sasrnn::Mode::SampledPerTrial : kModes[run];
    const char* label = cached ? "per-trial-cached" : sasrnn::mode_name(mode);
    sasrnn::Options opt;
    opt.mode = mode;
    opt.seed = 7;
    opt.alpha = protocol.alpha();
    if (g_net.bind(view, opt) != sasrnn::Status::Ok) return 1;
    if (cached) {
      if (g_net.use_trial_cache(g_trial_cache, fw::MsiNetwork::kTrialCacheFloats) !=
          sasrnn::Status::Ok)
        return 1;
      const uint32_t t0 = fw::ticks();
      fw::mark();
      g_net.reset(trial.index);
      fw::mark();
      const uint32_t t1 = fw::ticks();
      fw::print("span trial-draw 0 ticks %lu\n", static_cast<unsigned long>((t1 - t0) & 0xFFFFFFu));
    } else {
      g_net.reset(trial.index);
    }
    fw::MsiNetwork::Input x;
    for (int t = 0; t < stim.steps(); ++t) {
      stim.input(t, x.data());
      const uint32_t t0 = fw::ticks();
      fw::mark();
      const sasrnn::Status s = g_net.step(x);
      fw::mark();
      const uint32_t t1 = fw::ticks();
      if (s != sasrnn::Status::Ok) return 1;
      fw::print("span %s %d ticks %lu\n", label, t,
                static_cast<unsigned long>((t1 - t0) & 0xFFFFFFu));
    }
    fw::print("decision %s %d\n", label, g_net.decide());
    // the cache changes nothing: the same final state, bit for bit (exit code 3 otherwise)
    for (int i = 0; i < fw::kN; ++i) {
      if (mode == sasrnn::Mode::SampledPerTrial && !cached) final_h_uncached[i] = g_net.state()[i];
      if (cached && !(g_net.state()[i] == final_h_uncached[i])) return 3;
    }
  }
  return 0;
}
