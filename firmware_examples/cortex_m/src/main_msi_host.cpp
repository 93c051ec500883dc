// msi_fw_host: the host reference of msi_fw. The same app source and the same C array, built
// with the host compiler; its output is what the QEMU runs are compared with. It also checks
// its decisions against the project's host evaluator (sasrnn::analysis::evaluate_msi, the code
// behind `sasrnn run`) for the same model, seed and repetitions, and reports its time per step.
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "msi_app.hpp"
#include "platform.hpp"
#include "sasrnn/analysis/msi_eval.hpp"
#include "sasrnn_msi_model.h"  // sasrnn export-c: the model as a C array

#ifndef SASRNN_FW_REPS
#define SASRNN_FW_REPS 2
#endif

// usage: msi_fw_host [REPETITIONS]  (default: the firmware's SASRNN_FW_REPS)
int main(int argc, char** argv) {
  fw::MsiConfig cfg;
  cfg.reps = SASRNN_FW_REPS;
  if (argc == 2) cfg.reps = static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10));
  if (argc > 2 || cfg.reps < 1 || cfg.reps > 8) {
    std::fprintf(stderr, "usage: msi_fw_host [REPETITIONS in 1..8]\n");
    return 2;
  }
  fw::MsiDecisions decisions;
  const int rc = fw::run_msi(sasrnn_msi_model, sasrnn_msi_model_size, cfg, &decisions);
  if (rc != 0) return rc;
  try {
    sasrnn::ModelView view;
    if (sasrnn::load(sasrnn_msi_model, sasrnn_msi_model_size, view) != sasrnn::Status::Ok) return 1;
    for (int mi = 0; mi < 2; ++mi) {
      sasrnn::analysis::EvalConfig ec;
      ec.mode = fw::kMsiModes[mi];
      ec.reps = cfg.reps;
      ec.seed = cfg.seed;
      ec.dt_ms = cfg.dt_ms;
      ec.threads = 1;
      const auto r = sasrnn::analysis::evaluate_msi(view, ec);
      uint32_t same = 0;
      for (uint32_t k = 0; k < decisions.trials; ++k)
        same += r.trials[k].decision == decisions.decision[mi][k] ? 1u : 0u;
      const double us = r.steps ? 1e6 * r.seconds / static_cast<double>(r.steps) : 0.0;
      fw::print(
          "# host evaluator (sasrnn run) %s: %lu/%lu decisions equal; %.2f us per step on this "
          "host\n",
          sasrnn::mode_name(ec.mode), static_cast<unsigned long>(same),
          static_cast<unsigned long>(decisions.trials), us);
      if (same != decisions.trials) return 3;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "msi_fw_host: %s\n", e.what());
    return 1;
  }
  return 0;
}
