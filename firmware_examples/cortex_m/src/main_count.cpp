// msi_count: per-step instruction counts. Runs one MSI trial (both modalities, 16 events/s,
// 90 steps at dt = 20 ms) in each of the four modes and brackets every net.step() with two
// instruction-count marks. Under QEMU with the project's plugin (tools/insn_plugin.cpp) each
// mark reports the exact number of instructions executed so far; fw_compare pairs the marks with
// the "span" lines printed here. Calibration spans (two marks with nothing between) measure the
// marks' own cost, which fw_compare subtracts. With -icount, the SysTick ticks of each span give
// an independent count (the virtual clock advances 2^shift ns per instruction).
// Stack: the stack is painted before load() and before each mode, and the high-water mark of each
// ("# stack used <what>: X of Y bytes") is printed after it, with the depth at the call, so that
// fw.<board>.stack bounds every mode and the per-step scratch is the difference.
#include <cstddef>

#include "msi_app.hpp"
#include "platform.hpp"
#include "sasrnn/crc32c.hpp"
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
  fw::stack_paint();
  fw::calibrate_spans();
  // load()'s cost (the checksum included unless SASRNN_NO_CHECKSUM) and the CRC-32C alone over
  // the model file: spans "load" and "crc32c" (docs/firmware.md, "Checksum cost")
  sasrnn::Status loaded = sasrnn::Status::Ok;
  fw::span("load", 0, [&] {
    loaded = sasrnn::load<fw::kN, fw::kNIn, fw::kNOut>(sasrnn_msi_model, sasrnn_msi_model_size, view);
  });
  if (loaded != sasrnn::Status::Ok) return 1;
  fw::print_stack_used("load");
  volatile uint32_t crc = 0;
  fw::span("crc32c", 0, [&] { crc = sasrnn::crc32c::compute(sasrnn_msi_model, sasrnn_msi_model_size); });
  fw::print("# checksum %s, CRC-32C of the file %08lx\n",
            view.checksum_verified ? "verified" : "not checked", static_cast<unsigned long>(crc));
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
    fw::stack_paint();
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
    fw::print_stack_used(label);
    // the cache changes nothing: the same final state, bit for bit (exit code 3 otherwise)
    for (int i = 0; i < fw::kN; ++i) {
      if (mode == sasrnn::Mode::SampledPerTrial && !cached) final_h_uncached[i] = g_net.state()[i];
      if (cached && !(g_net.state()[i] == final_h_uncached[i])) return 3;
    }
  }
  return 0;
}
