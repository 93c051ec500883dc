// sasrnn train: mean-field gBPTT training of an MSI network (trainer/), evaluated at the end with
// the runtime (firmware_examples/host/) so that the model's provenance holds runtime accuracies.
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "sasrnn/analysis/msi_eval.hpp"
#include "sasrnn/trainer/train_command.hpp"

namespace sasrnn::cli {

namespace {

struct TrainArgs {
  train::TrainJob job;
  double lr = 1e-3;
  std::vector<std::string> lr_groups;  // NAME=VALUE
  std::vector<std::string> groups;
  std::vector<std::string> decay_groups;
  std::string optimizer = "rmsprop";
  std::string precision = "float";
  int eval_trials = 20;
  int validate_trials = 20;
};

bool parse_group(const std::string& name, train::Group& g) {
  for (int k = 0; k < train::kGroups; ++k)
    if (name == train::group_name(static_cast<train::Group>(k))) {
      g = static_cast<train::Group>(k);
      return true;
    }
  return false;
}

/// Noise seed of the validation trials; evaluations (sasrnn run, --eval-trials) use seed 1.
constexpr uint64_t kValidationSeed = 1000003;

/// The runtime's view of a model built in memory; `buf` keeps its bytes alive.
ModelView runtime_view(const conv::ModelData& model, conv::AlignedBuffer& buf) {
  buf = conv::build_model_file(model);
  ModelView view;
  const Status s = load(buf.data(), buf.size(), view);
  if (s != Status::Ok) throw std::runtime_error(status_message(s));
  return view;
}

constexpr const char* kGroupList = "m_in pi_in xi_in m_rec pi_rec xi_rec m_out pi_out xi_out";

int run(TrainArgs& a, const std::string& command) {
  train::TrainJob job = a.job;
  train::TrainConfig& c = job.cfg;
  c.opt.kind = a.optimizer == "rmsprop" ? train::OptimizerKind::RMSprop : train::OptimizerKind::Adam;
  c.single_precision = a.precision == "float";
  const auto bad_group = [](const std::string& opt, const std::string& g) {
    std::cerr << "sasrnn train: " << opt << ": unknown group '" << g << "' (groups: " << kGroupList
              << ")\n";
    return 2;
  };
  if (!a.groups.empty()) {
    c.opt.train.fill(false);
    for (const std::string& name : a.groups) {
      train::Group g;
      if (!parse_group(name, g)) return bad_group("--train", name);
      c.opt.train[static_cast<size_t>(g)] = true;
    }
  }
  if (!a.decay_groups.empty()) {
    c.opt.decayed.fill(false);
    for (const std::string& name : a.decay_groups) {
      train::Group g;
      if (!parse_group(name, g)) return bad_group("--decay-groups", name);
      c.opt.decayed[static_cast<size_t>(g)] = true;
    }
  }
  for (int k = 0; k < train::kGroups; ++k)
    if (k % 3 != 1) c.opt.lr[static_cast<size_t>(k)] = a.lr;  // m and Xi groups
  for (const std::string& spec : a.lr_groups) {
    const size_t eq = spec.find('=');
    train::Group g;
    if (eq == std::string::npos || !parse_group(spec.substr(0, eq), g))
      return bad_group("--lr-group", spec.substr(0, eq));
    try {
      size_t used = 0;
      const double v = std::stod(spec.substr(eq + 1), &used);
      if (used != spec.size() - eq - 1 || !(v >= 0)) throw std::invalid_argument("");
      c.opt.lr[static_cast<size_t>(g)] = v;
    } catch (const std::exception&) {
      std::cerr << "sasrnn train: --lr-group: '" << spec << "' is not NAME=RATE with RATE >= 0\n";
      return 2;
    }
  }
  job.command = command;
  if (job.validate_every > 0) {
    const int reps = a.validate_trials;
    job.validate = [reps](const conv::ModelData& model) {
      conv::AlignedBuffer buf;
      const ModelView view = runtime_view(model, buf);
      analysis::EvalConfig e;
      e.reps = static_cast<uint32_t>(reps);
      e.seed = kValidationSeed;  // held-out trials: the final evaluation uses seed 1
      return analysis::evaluate_msi(view, e).accuracy;
    };
  }
  if (a.eval_trials > 0) {
    const int reps = a.eval_trials;
    job.evaluate = [reps](const conv::ModelData& model) {
      conv::AlignedBuffer buf;
      const ModelView view = runtime_view(model, buf);
      std::vector<conv::Metric> metrics;
      for (Mode mode : {Mode::MeanField, Mode::SampledPerStep}) {
        analysis::EvalConfig e;
        e.mode = mode;
        e.reps = static_cast<uint32_t>(reps);
        e.seed = 1;
        const analysis::EvalResult r = analysis::evaluate_msi(view, e);
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
  msi::Protocol& pr = c.task.protocol;
  auto* t = app.add_subcommand(
      "train",
      "Train an MSI spike-and-slab RNN with mean-field gBPTT (paper eq. 4-13) and write a .sasrnn "
      "model, a CSV log (loss, accuracy, sparsity, entropies per epoch) and a checkpoint. The "
      "defaults are the paper's MSI settings as the authors' reference implementation runs them.");
  t->add_option("--out,-o", a->job.out, "Model file to write (.sasrnn)")->required();
  t->add_option("--n", c.n, "Recurrent units (thirds: auditory, visual, no sensory input)")
      ->check(CLI::Range(3, 4096))
      ->capture_default_str();
  t->add_option("--seed", c.seed, "Seed: initialisation, trials, noise")->capture_default_str();
  t->add_option("--epochs", c.epochs, "Most training epochs (one batch each)")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str();
  t->add_option("--batch", c.batch, "Trials per epoch")->check(CLI::Range(1, 100000))->capture_default_str();
  t->add_option("--target-loss", c.target_loss,
                "Stop when the mean loss of the last 10 epochs is below (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  t->add_option("--optimizer", a->optimizer, "rmsprop or adam")
      ->check(CLI::IsMember({"adam", "rmsprop"}))
      ->capture_default_str();
  t->add_option("--lr", a->lr, "Learning rate of the m and Xi groups")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  t->add_option("--lr-group", a->lr_groups,
                "Learning rate of one group, NAME=RATE (repeatable); defaults: pi_rec=1, "
                "pi_out=0.1");
  t->add_option("--train", a->groups,
                std::string("Groups to learn, comma separated (default: all but pi_in, xi_in, "
                            "i.e. deterministic inputs): ") + kGroupList)
      ->delimiter(',');
  t->add_option("--decay", c.opt.decay, "Learning-rate factor applied every --decay-every epochs")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  t->add_option("--decay-every", c.opt.decay_every, "Epochs between learning-rate decays (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  t->add_option("--decay-groups", a->decay_groups, "Groups whose rate decays (default: pi_rec,pi_out)")
      ->delimiter(',');
  t->add_option("--l2", c.l2, "l2 strength on m and Xi (gradient += l2 * value)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  t->add_option("--sigma-rec", c.sigma_rec, "Recurrent noise sigma (paper eq. 1a)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  t->add_option("--init-xi", c.init_xi, "Initial recurrent and output Xi ~ INIT_XI * U(0,1)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  t->add_option("--catch-fraction", c.task.catch_fraction, "Share of catch trials in a batch")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str();
  t->add_flag("!--random-conditions", c.task.balanced,
              "Draw each trial's condition at random instead of the balanced batch (24 "
              "conditions in order, catch trials at the end)");
  t->add_option("--fixation-ms", pr.fixation_ms, "Training fixation epoch")
      ->check(CLI::Range(0.0f, 1e5f))
      ->capture_default_str();
  t->add_option("--stimulus-ms", pr.stimulus_ms, "Training stimulus epoch")
      ->check(CLI::Range(20.0f, 1e5f))
      ->capture_default_str();
  t->add_option("--decision-ms", pr.decision_ms, "Training decision epoch")
      ->check(CLI::Range(20.0f, 1e5f))
      ->capture_default_str();
  t->add_option("--trial-ms", pr.trial_ms, "Pad every training trial to this length (catch trials too)")
      ->check(CLI::Range(0.0f, 1e6f))
      ->capture_default_str();
  t->add_option("--precision", a->precision, "Arithmetic of the forward/backward passes")
      ->check(CLI::IsMember({"float", "double"}))
      ->capture_default_str();
  t->add_option("--threads", c.threads, "Worker threads (results do not depend on it)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  t->add_option("--chunks", c.chunks, "Fixed parts the batch is split into (results depend on it)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  t->add_option("--log", a->job.log, "CSV log (default: OUT with .csv)");
  t->add_option("--checkpoint", a->job.checkpoint, "Checkpoint file (default: OUT with .ckpt)");
  t->add_option("--checkpoint-every", a->job.checkpoint_every, "Epochs between checkpoints")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  t->add_flag("--resume", a->job.resume, "Continue from the checkpoint (same configuration)");
  t->add_option("--eval-trials", a->eval_trials,
                "After training, run the runtime on the MSI test set with this many trials per "
                "condition (MeanField and SampledPerStep, dt 20 ms); 0 = skip")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  t->add_option("--validate-every", a->job.validate_every,
                "Model selection: every N epochs run the runtime (MeanField, dt 20 ms) on held-out "
                "trials (noise seed 1000003) and write the best parameters instead of the last (0: off)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  t->add_option("--validate-from", a->job.validate_from, "First epoch of the model selection")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  t->add_option("--validate-trials", a->validate_trials, "Repetitions per condition of a validation")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  t->add_option("--progress-every", a->job.progress_every,
                "Epochs between progress lines when stderr is not a terminal (0: about 40 lines)")
      ->check(CLI::NonNegativeNumber);
  t->callback([&status, a] { status = run(*a, command_line()); });
}

}  // namespace sasrnn::cli
