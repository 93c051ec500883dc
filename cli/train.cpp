// sasrnn train: mean-field gBPTT training of an MSI network (trainer/), evaluated at the end with
// the runtime (firmware_examples/host/) so that the model's provenance holds runtime accuracies.
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "sasrnn/host/msi_eval.hpp"
#include "sasrnn/trainer/train_command.hpp"

namespace sasrnn::cli {

namespace {

struct TrainArgs {
  train::TrainJob job;
  double lr = 1e-3;
  double lr_pi = 0;  // 0: same as --lr
  double lr_xi = 0;
  std::vector<std::string> groups;
  std::string optimizer = "adam";
  std::string precision = "float";
  int eval_trials = 20;
  float fixation_ms = 300, stimulus_ms = 900, decision_ms = 400;
};

int run(TrainArgs& a, const std::string& command) {
  train::TrainJob job = a.job;
  train::TrainConfig& c = job.cfg;
  c.opt.kind = a.optimizer == "rmsprop" ? train::OptimizerKind::RMSprop : train::OptimizerKind::Adam;
  c.single_precision = a.precision == "float";
  c.task.protocol.fixation_ms = a.fixation_ms;
  c.task.protocol.stimulus_ms = a.stimulus_ms;
  c.task.protocol.decision_ms = a.decision_ms;
  c.opt.train.fill(a.groups.empty());
  for (const std::string& g : a.groups) {
    bool found = false;
    for (int k = 0; k < train::kGroups; ++k)
      if (g == train::group_name(static_cast<train::Group>(k))) {
        c.opt.train[static_cast<size_t>(k)] = true;
        found = true;
      }
    if (!found) {
      std::cerr << "sasrnn train: --train: unknown group '" << g
                << "' (groups: m_in pi_in xi_in m_rec pi_rec xi_rec m_out pi_out xi_out)\n";
      return 2;
    }
  }
  for (int k = 0; k < train::kGroups; ++k) {
    const int kind = k % 3;  // m, pi, xi
    c.opt.lr[static_cast<size_t>(k)] = kind == 1 && a.lr_pi > 0 ? a.lr_pi : (kind == 2 && a.lr_xi > 0 ? a.lr_xi : a.lr);
  }
  job.command = command;
  if (a.eval_trials > 0) {
    const int reps = a.eval_trials;
    job.evaluate = [reps](const conv::ModelData& model) {
      const conv::AlignedBuffer buf = conv::build_model_file(model);
      ModelView view;
      const Status s = load(buf.data(), buf.size(), view);
      if (s != Status::Ok) throw std::runtime_error(status_message(s));
      std::vector<conv::Metric> metrics;
      for (Mode mode : {Mode::MeanField, Mode::SampledPerStep}) {
        host::EvalConfig e;
        e.mode = mode;
        e.reps = static_cast<uint32_t>(reps);
        e.seed = 1;
        const host::EvalResult r = host::evaluate_msi(view, e);
        std::cout << "runtime evaluation, " << mode_name(mode) << ", dt 20 ms, " << reps
                  << " trials per condition: accuracy " << r.accuracy << "\n";
        metrics.push_back({std::string("accuracy_") + mode_name(mode) + "_dt20", r.accuracy});
      }
      return metrics;
    };
  }
  return train::run_train_job(job, std::cout, std::cerr);
}

}  // namespace

void add_train(CLI::App& app, int& status) {
  auto a = std::make_shared<TrainArgs>();
  train::TrainConfig& c = a->job.cfg;
  auto* t = app.add_subcommand(
      "train",
      "Train an MSI spike-and-slab RNN with mean-field gBPTT (paper eq. 4-13) and write a .sasrnn "
      "model, a CSV log (loss, accuracy, sparsity, entropies per epoch) and a checkpoint");
  t->add_option("--out,-o", a->job.out, "Model file to write (.sasrnn)")->required();
  t->add_option("--n", c.n, "Recurrent units (a multiple of 3: auditory, visual, no input)")
      ->check(CLI::Range(3, 4096))
      ->default_val(150);
  t->add_option("--seed", c.seed, "Seed: initialisation, trials, noise")->default_val(1);
  t->add_option("--epochs", c.epochs, "Training epochs (one batch each)")
      ->check(CLI::Range(1, 100000000))
      ->default_val(2000);
  t->add_option("--batch", c.batch, "Trials per epoch")->check(CLI::Range(1, 100000))->default_val(30);
  t->add_option("--lr", a->lr, "Learning rate of every group")->check(CLI::PositiveNumber)->default_val(1e-3);
  t->add_option("--lr-pi", a->lr_pi, "Learning rate of the pi groups (default: --lr)")
      ->check(CLI::NonNegativeNumber);
  t->add_option("--lr-xi", a->lr_xi, "Learning rate of the Xi groups (default: --lr)")
      ->check(CLI::NonNegativeNumber);
  t->add_option("--train", a->groups,
                "Groups to learn, comma separated (default: all nine): m_in pi_in xi_in m_rec "
                "pi_rec xi_rec m_out pi_out xi_out")
      ->delimiter(',');
  t->add_option("--optimizer", a->optimizer, "adam or rmsprop")
      ->check(CLI::IsMember({"adam", "rmsprop"}))
      ->default_val("adam");
  t->add_option("--decay", c.opt.decay, "Learning-rate factor applied every --decay-every epochs")
      ->check(CLI::Range(0.0, 1.0))
      ->default_val(1.0);
  t->add_option("--decay-every", c.opt.decay_every, "Epochs between learning-rate decays (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->default_val(0);
  t->add_option("--l2", c.l2, "l2 strength on m and Xi")->check(CLI::NonNegativeNumber)->default_val(1e-3);
  t->add_option("--target-loss", c.target_loss, "Stop when the mean loss of the last 10 epochs is below")
      ->check(CLI::NonNegativeNumber)
      ->default_val(0.0);
  t->add_option("--sigma-rec", c.sigma_rec, "Recurrent noise sigma (paper eq. 1a)")
      ->check(CLI::NonNegativeNumber)
      ->default_val(0.15);
  t->add_option("--init-xi", c.init_xi, "Initial Xi ~ INIT_XI * U(0,1)")->check(CLI::NonNegativeNumber)->default_val(0.01);
  t->add_option("--catch-fraction", c.task.catch_fraction, "Share of catch trials")
      ->check(CLI::Range(0.0, 0.9))
      ->default_val(0.1);
  t->add_option("--fixation-ms", a->fixation_ms, "Training fixation epoch")->check(CLI::Range(0.0f, 1e5f))->default_val(300);
  t->add_option("--stimulus-ms", a->stimulus_ms, "Training stimulus epoch")->check(CLI::Range(20.0f, 1e5f))->default_val(900);
  t->add_option("--decision-ms", a->decision_ms, "Training decision epoch")->check(CLI::Range(20.0f, 1e5f))->default_val(400);
  t->add_option("--precision", a->precision, "Arithmetic of the forward/backward passes")
      ->check(CLI::IsMember({"float", "double"}))
      ->default_val("float");
  t->add_option("--threads", c.threads, "Worker threads (results do not depend on it)")
      ->check(CLI::Range(1, 64))
      ->default_val(2);
  t->add_option("--chunks", c.chunks, "Fixed parts the batch is split into (results depend on it)")
      ->check(CLI::Range(1, 64))
      ->default_val(2);
  t->add_option("--log", a->job.log, "CSV log (default: OUT with .csv)");
  t->add_option("--checkpoint", a->job.checkpoint, "Checkpoint file (default: OUT with .ckpt)");
  t->add_option("--checkpoint-every", a->job.checkpoint_every, "Epochs between checkpoints")
      ->check(CLI::NonNegativeNumber)
      ->default_val(100);
  t->add_flag("--resume", a->job.resume, "Continue from the checkpoint (same configuration)");
  t->add_option("--eval-trials", a->eval_trials,
                "After training, run the runtime on the MSI test set with this many trials per "
                "condition (MeanField and SampledPerStep, dt 20 ms); 0 = skip")
      ->check(CLI::Range(0, 10000))
      ->default_val(20);
  t->add_option("--progress-every", a->job.progress_every,
                "Epochs between progress lines when stderr is not a terminal (0: about 40 lines)")
      ->check(CLI::NonNegativeNumber);
  t->callback([&status, a] { status = run(*a, command_line()); });
}

}  // namespace sasrnn::cli
