// sasrnn run: the MSI evaluation set with the runtime (firmware_examples/host/).
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "commands.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/analysis/msi_eval.hpp"

namespace sasrnn::cli {

namespace {

struct RunArgs {
  std::string path;
  analysis::EvalConfig cfg;
  bool no_rec_noise = false;
  bool no_in_noise = false;
};

int run_command(const RunArgs& a) {
  try {
    auto [buffer, model] = conv::load_model_file(a.path);
    analysis::EvalConfig cfg = a.cfg;
    cfg.recurrent_noise = !a.no_rec_noise;
    cfg.input_noise = !a.no_in_noise;
    const auto result = analysis::evaluate_msi(model, cfg);
    analysis::print_report(std::cout, cfg, result);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "sasrnn run: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

const std::map<std::string, Mode>& mode_names() {
  static const std::map<std::string, Mode> modes{{"mean-field", Mode::MeanField},
                                                 {"sampled-per-step", Mode::SampledPerStep},
                                                 {"sampled-per-trial", Mode::SampledPerTrial},
                                                 {"mean-weights", Mode::MeanWeights}};
  return modes;
}

void add_run(CLI::App& app, int& status) {
  auto a = std::make_shared<RunArgs>();
  auto* run = app.add_subcommand(
      "run",
      "Run the MSI evaluation set (3 modalities x 8 event rates x TRIALS) with the runtime and "
      "print the psychometric table, accuracy and time per step");
  run->add_option("model", a->path, "Model file (.sasrnn) of an MSI network")->required();
  run->add_option("--mode", a->cfg.mode,
                  "mean-field (paper eq. 4-5), sampled-per-step (a fresh concrete network each "
                  "step), sampled-per-trial, or mean-weights (w = (1-pi) m)")
      ->transform(CLI::CheckedTransformer(mode_names(), CLI::ignore_case))
      ->default_str("mean-field");
  run->add_option("--trials", a->cfg.reps, "Repetitions of each of the 24 conditions")
      ->check(CLI::Range(1u, 100000u))
      ->default_val(100);
  run->add_option("--seed", a->cfg.seed, "Seed of every random draw (noise and sampled weights)")
      ->default_val(1);
  run->add_option("--dt", a->cfg.dt_ms,
                  "Test time step in ms (alpha = dt / tau); the paper tests at 20 and 0.5")
      ->check(CLI::Range(0.01f, 100.0f))
      ->default_val(20.0f);
  run->add_flag("--no-recurrent-noise", a->no_rec_noise,
                "Switch off the recurrent noise of paper eq. 1a");
  run->add_flag("--no-input-noise", a->no_in_noise, "Switch off the input noise of paper eq. 2");
  run->add_option("--threads", a->cfg.threads, "Worker threads (results do not depend on it)")
      ->check(CLI::Range(1, 64))
      ->default_val(2);
  run->callback([&status, a] { status = run_command(*a); });
}

}  // namespace sasrnn::cli
