// sasrnn run: a model's task with the runtime, through the evaluation library (analysis/). The
// task comes from the model file: MSI (the psychometric table over the 24 conditions), or
// sequential MNIST or a feedforward MNIST stack (test accuracy, per class, confusion matrix).
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "commands.hpp"
#include "sasrnn/analysis/ff_eval.hpp"
#include "sasrnn/analysis/mnist_eval.hpp"
#include "sasrnn/analysis/msi_eval.hpp"
#include "sasrnn/converter/model_file.hpp"

namespace sasrnn::cli {

namespace {

struct RunArgs {
  std::string path;
  analysis::EvalConfig cfg;
  bool no_rec_noise = false;
  bool no_in_noise = false;
  int limit = 0;
  std::string mnist_dir;
  // options of one task only, to refuse them for a model of the other
  std::vector<CLI::Option*> msi_only, mnist_only;
};

/// "--x" if any option of `opts` was given, else empty.
std::string given(const std::vector<CLI::Option*>& opts) {
  for (const CLI::Option* o : opts)
    if (o->count() > 0) return o->get_name();
  return "";
}

int run_mnist(const RunArgs& a, const ModelView& model) {
  analysis::MnistEvalConfig cfg;
  cfg.mode = a.cfg.mode;
  cfg.seed = a.cfg.seed;
  cfg.threads = a.cfg.threads;
  cfg.recurrent_noise = !a.no_rec_noise;
  cfg.limit = a.limit;
  analysis::mnist_sequence_of(model);  // the model fits its task, before the data is read
  const std::string dir = a.mnist_dir.empty() ? analysis::default_mnist_dir() : a.mnist_dir;
  const analysis::MnistSet test = analysis::load_mnist(dir, analysis::MnistSplit::Test);
  cfg.progress = progress_line("sasrnn run", "test images");
  const analysis::MnistEvalResult r = analysis::evaluate_mnist(model, test, cfg);
  analysis::print_mnist_report(std::cout, model, "test", cfg, r);
  return 0;
}

/// A feedforward stack (format version 3): MNIST images through the stack.
int run_ff(const RunArgs& a) {
  auto [buffer, model] = conv::load_ff_model_file(a.path);
  if (model.task != TaskKind::MNISTImage) {
    std::cerr << "sasrnn run: " << a.path << " is a feedforward stack without a task (mnist-ff), so there is "
              << "nothing to run it on\n";
    return 1;
  }
  const std::string wrong = given(a.msi_only);
  if (!wrong.empty() || a.no_rec_noise) {
    std::cerr << "sasrnn run: " << (wrong.empty() ? "--no-recurrent-noise" : wrong)
              << " is an option of recurrent models; " << a.path << " is a feedforward stack\n";
    return 2;
  }
  analysis::check_mnist_stack(model);  // before the data is read
  analysis::MnistEvalConfig cfg;
  cfg.mode = a.cfg.mode;
  cfg.seed = a.cfg.seed;
  cfg.threads = a.cfg.threads;
  cfg.limit = a.limit;
  const std::string dir = a.mnist_dir.empty() ? analysis::default_mnist_dir() : a.mnist_dir;
  const analysis::MnistSet test = analysis::load_mnist(dir, analysis::MnistSplit::Test);
  cfg.progress = progress_line("sasrnn run", "test images");
  const analysis::MnistEvalResult r = analysis::evaluate_mnist(model, test, cfg);
  analysis::print_mnist_report(std::cout, model, "test", cfg, r);
  return 0;
}

int run_command(const RunArgs& a) {
  try {
    {
      const conv::AlignedBuffer bytes = conv::read_file(a.path);
      if (conv::is_feedforward(bytes.data(), bytes.size())) return run_ff(a);
    }
    auto [buffer, model] = conv::load_model_file(a.path);
    if (model.task == TaskKind::None) {
      std::cerr << "sasrnn run: " << a.path
                << " has no task (msi, mnist-row or mnist-pixel), so there is nothing to run it "
                   "on; give it one when converting it\n";
      return 1;
    }
    const bool mnist = model.task == TaskKind::SeqMNISTRow || model.task == TaskKind::SeqMNISTPixel;
    const std::string wrong = mnist ? given(a.msi_only) : given(a.mnist_only);
    if (!wrong.empty()) {
      std::cerr << "sasrnn run: " << wrong << " is an option of "
                << (mnist ? "MSI" : "sequential-MNIST") << " models; " << a.path << " is a "
                << task_name(model.task) << " model\n";
      return 2;
    }
    if (mnist) return run_mnist(a, model);
    analysis::EvalConfig cfg = a.cfg;
    cfg.recurrent_noise = !a.no_rec_noise;
    cfg.input_noise = !a.no_in_noise;
    cfg.progress = progress_line("sasrnn run", "trials");
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
      "Run a model's task with the runtime, the task read from the model file. MSI: the "
      "evaluation set (3 modalities x 8 event rates x TRIALS), the psychometric table, accuracy "
      "and time per step. Sequential MNIST and feedforward MNIST stacks: the 10 000 test images "
      "(or --limit), accuracy per class and the confusion matrix.");
  run->footer(
      "Examples:\n"
      "  sasrnn run models/msi_n150.sasrnn --mode sampled-per-step\n"
      "  sasrnn run models/mnist_row_n100.sasrnn --limit 1000\n"
      "  sasrnn run models/mnist_ff_784_100_100_10.sasrnn --mode sampled-per-trial   (a fresh concrete\n"
      "    network per image)");
  run->add_option("model", a->path, "Model file (.sasrnn)")->required();
  run->add_option("--mode", a->cfg.mode,
                  "mean-field (paper eq. 4-5), sampled-per-step (a fresh concrete network each "
                  "step), sampled-per-trial, or mean-weights (w = (1-pi) m)")
      ->transform(enum_names(mode_names()))
      ->default_str("mean-field");
  const std::map<std::string, analysis::ProtocolChoice> protocols{
      {"test", analysis::ProtocolChoice::Test}, {"model", analysis::ProtocolChoice::Model}};
  a->msi_only.push_back(run->add_option("--protocol", a->cfg.protocol,
                  "MSI: epoch durations: test (the paper's test protocol, fixation/stimulus/decision "
                  "500/1000/300 ms, whatever the model was trained with) or model (the durations "
                  "in the model's task fields, e.g. the trainer's 100/1000/300 ms). Printed in the "
                  "report's header")
      ->transform(enum_names(protocols))
      ->default_str("test"));
  a->msi_only.push_back(run->add_option("--fixation-ms", a->cfg.fixation_ms, "MSI: fixation epoch in ms, replacing the protocol's")
      ->check(CLI::Range(0.0f, 1e5f)));
  a->msi_only.push_back(run->add_option("--stimulus-ms", a->cfg.stimulus_ms, "MSI: stimulus epoch in ms, replacing the protocol's")
      ->check(CLI::Range(0.01f, 1e5f)));
  a->msi_only.push_back(run->add_option("--decision-ms", a->cfg.decision_ms, "MSI: decision epoch in ms, replacing the protocol's")
      ->check(CLI::Range(0.01f, 1e5f)));
  run->add_option("--seed", a->cfg.seed, "Seed of every random draw (noise and sampled weights)")
      ->default_val(1);
  run->add_flag("--no-recurrent-noise", a->no_rec_noise,
                "Switch off the recurrent noise of paper eq. 1a");
  run->add_option("--threads", a->cfg.threads, "Worker threads (results do not depend on it)")
      ->check(CLI::Range(1, 64))
      ->default_val(2);
  a->msi_only.push_back(
      run->add_option("--trials", a->cfg.reps, "MSI: repetitions of each of the 24 conditions")
          ->check(CLI::Range(1u, 100000u))
          ->default_val(100));
  a->msi_only.push_back(
      run->add_option("--dt", a->cfg.dt_ms,
                      "MSI: test time step in ms (alpha = dt / tau); the paper tests at 20 and 0.5")
          ->check(CLI::Range(0.01f, 100.0f))
          ->default_val(20.0f));
  a->msi_only.push_back(run->add_flag("--no-input-noise", a->no_in_noise,
                                      "MSI: switch off the input noise of paper eq. 2"));
  a->mnist_only.push_back(
      run->add_option("--limit", a->limit, "MNIST: the first K test images only (default: all 10 000)")
          ->check(CLI::Range(1, 10000)));
  a->mnist_only.push_back(run->add_option(
      "--mnist-dir", a->mnist_dir,
      "MNIST: folder of the idx files (default: $SASRNN_MNIST_DIR, else ~/.cache/sasrnn/mnist; "
      "scripts/fetch-mnist fetches them)"));
  run->callback([&status, a] { status = run_command(*a); });
}

}  // namespace sasrnn::cli
