// sasrnn: one command-line tool, one subcommand per stage. Each subcommand's code lives in the
// folder of its stage (converter/, firmware_examples/host/, trainer/); this file only wires them.
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <string>

#include "sasrnn/converter/commands.hpp"
#include "sasrnn/host/msi_eval.hpp"

namespace {

int run_command(const std::string& path, const sasrnn::host::EvalConfig& cfg) {
  try {
    auto [buffer, model] = sasrnn::conv::load_model_file(path);
    const auto result = sasrnn::host::evaluate_msi(model, cfg);
    sasrnn::host::print_report(std::cout, cfg, result);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "sasrnn run: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sasrnn: spike-and-slab recurrent networks -- train, convert, inspect, verify and run"};
  app.require_subcommand(1);
  int status = 0;

  std::string inspect_path;
  auto* inspect = app.add_subcommand("inspect", "Print a model's shapes, dynamics, sparsity, size and provenance");
  inspect->add_option("model", inspect_path, "Model file (.sasrnn)")->required();
  inspect->callback([&] { status = sasrnn::conv::inspect_command(inspect_path, std::cout, std::cerr); });

  std::string verify_path;
  auto* verify = app.add_subcommand("verify", "Verify a model file as the runtime does; exit 0 if valid");
  verify->add_option("model", verify_path, "Model file (.sasrnn)")->required();
  verify->callback([&] { status = sasrnn::conv::verify_command(verify_path, std::cout, std::cerr); });

  std::string run_path;
  sasrnn::host::EvalConfig cfg;
  bool no_rec_noise = false, no_in_noise = false;
  const std::map<std::string, sasrnn::Mode> modes{{"mean-field", sasrnn::Mode::MeanField},
                                                  {"sampled-per-step", sasrnn::Mode::SampledPerStep},
                                                  {"sampled-per-trial", sasrnn::Mode::SampledPerTrial},
                                                  {"mean-weights", sasrnn::Mode::MeanWeights}};
  auto* run = app.add_subcommand(
      "run", "Run the MSI evaluation set (3 modalities x 8 event rates x TRIALS) with the runtime and print "
             "the psychometric table, accuracy and time per step");
  run->add_option("model", run_path, "Model file (.sasrnn) of an MSI network")->required();
  run->add_option("--mode", cfg.mode,
                  "mean-field (paper eq. 4-5), sampled-per-step (a fresh concrete network each step), "
                  "sampled-per-trial, or mean-weights (w = (1-pi) m)")
      ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case))
      ->default_str("mean-field");
  run->add_option("--trials", cfg.reps, "Repetitions of each of the 24 conditions")
      ->check(CLI::Range(1u, 100000u))
      ->default_val(100);
  run->add_option("--seed", cfg.seed, "Seed of every random draw (noise and sampled weights)")->default_val(1);
  run->add_option("--dt", cfg.dt_ms, "Test time step in ms (alpha = dt / tau); the paper tests at 20 and 0.5")
      ->check(CLI::Range(0.01f, 100.0f))
      ->default_val(20.0f);
  run->add_flag("--no-recurrent-noise", no_rec_noise, "Switch off the recurrent noise of paper eq. 1a");
  run->add_flag("--no-input-noise", no_in_noise, "Switch off the input noise of paper eq. 2");
  run->add_option("--threads", cfg.threads, "Worker threads (results do not depend on it)")
      ->check(CLI::Range(1, 64))
      ->default_val(2);
  run->callback([&] {
    cfg.recurrent_noise = !no_rec_noise;
    cfg.input_noise = !no_in_noise;
    status = run_command(run_path, cfg);
  });

  CLI11_PARSE(app, argc, argv);
  return status;
}
