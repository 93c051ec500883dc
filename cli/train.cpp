// sasrnn train: mean-field gBPTT training of an MSI or sequential-MNIST network (trainer/),
// validated and evaluated with the runtime through the evaluation library (analysis/), so that the
// model's provenance holds runtime accuracies. Defaults are the task's paper recipe; an option
// given on the command line overrides it.
#include <algorithm>
#include <cmath>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "sasrnn/analysis/ff_eval.hpp"
#include "sasrnn/analysis/mnist_eval.hpp"
#include "sasrnn/analysis/msi_eval.hpp"
#include "sasrnn/trainer/train_command.hpp"

namespace sasrnn::cli {

namespace {

struct TrainArgs {
  train::TrainJob job;
  CLI::App* app = nullptr;  // to ask which options were given
  train::ff::TrainerConfig ff;  // --task mnist-ff
  bool plain_bp = false;
  std::string task = "msi";
  std::string config_file;  // expanded into options before parsing (config_file.cpp)
  std::string mnist_dir;
  /// For every option bound to the configuration: sets it to the MNIST recipe's value unless it
  /// was given (the defaults shown are MSI's).
  std::vector<std::pair<CLI::Option*, std::function<void(TrainArgs&, const train::TrainConfig&)>>>
      recipe;
  double lr = 1e-3;
  std::vector<std::string> lr_groups;  // NAME=VALUE
  std::vector<std::string> groups;
  std::vector<std::string> decay_groups;
  std::string optimizer = "rmsprop";
  std::string precision = "float";
  int eval_trials = 20;
  int validate_trials = 20;
};

bool parse_group(const std::string& name, train::Group& g) { return train::parse_group(name.c_str(), g); }

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

const std::map<std::string, train::TrainTask>& task_names() {
  static const std::map<std::string, train::TrainTask> t{{"msi", train::TrainTask::Msi},
                                                         {"mnist-row", train::TrainTask::MnistRow},
                                                         {"mnist-pixel", train::TrainTask::MnistPixel}};
  return t;
}

/// An MNIST run's model selection score with the runtime: MeanField accuracy on the first `limit`
/// images of the validation split (noise seed kValidationSeed). `to_view(model, buf)` gives the
/// runtime's view of a recurrent network or a stack, so both trainers share this code.
template <class ToView>
std::function<double(const conv::ModelData&)> mnist_validation(const std::string& dir, int limit,
                                                               int threads, ToView to_view) {
  auto val = std::make_shared<analysis::MnistSet>(analysis::load_mnist(dir, analysis::MnistSplit::Validation));
  return [val, limit, threads, to_view](const conv::ModelData& model) {
    conv::AlignedBuffer buf;
    const auto view = to_view(model, buf);
    analysis::MnistEvalConfig e;
    e.seed = kValidationSeed;
    e.limit = std::min(limit, val->count);
    e.threads = threads;
    return analysis::evaluate_mnist(view, *val, e).accuracy();
  };
}

/// An MNIST run's final evaluation with the runtime: accuracy on the first `limit` test images
/// (seed 1) in each of `modes`, printed and returned as provenance metrics. A mode whose trials go
/// non-finite (sampled networks that overflow) gets no metric and a line that says why.
template <class ToView>
std::function<std::vector<conv::Metric>(const conv::ModelData&)> mnist_test_evaluation(
    const std::string& dir, int limit, int threads, std::vector<Mode> modes, ToView to_view) {
  auto test = std::make_shared<analysis::MnistSet>(analysis::load_mnist(dir, analysis::MnistSplit::Test));
  return [test, limit, threads, modes = std::move(modes), to_view](const conv::ModelData& model) {
    conv::AlignedBuffer buf;
    const auto view = to_view(model, buf);
    std::vector<conv::Metric> metrics;
    for (Mode mode : modes) {
      analysis::MnistEvalConfig e;
      e.mode = mode;
      e.seed = 1;
      e.limit = std::min(limit, test->count);
      e.threads = threads;
      try {
        const analysis::MnistEvalResult r = analysis::evaluate_mnist(view, *test, e);
        std::cout << "runtime evaluation, " << mode_name(mode) << ", " << r.count
                  << " test images: accuracy " << r.accuracy() << "\n";
        metrics.push_back({std::string("test_accuracy_") + mode_name(mode), r.accuracy()});
      } catch (const std::runtime_error& err) {  // trials stopped (throw_if_steps_failed): the rest count
        std::cout << "runtime evaluation, " << mode_name(mode) << ": no accuracy, " << err.what() << "\n";
      }
      std::cout.flush();
    }
    return metrics;
  };
}

/// Validation and final evaluation of an MNIST run with the runtime (MeanField for the model
/// selection on the validation split; every sampled mode on the test set at the end).
void set_mnist_evaluation(TrainArgs& a, train::TrainJob& job) {
  const std::string dir =
      job.cfg.mnist.data_dir.empty() ? analysis::default_mnist_dir() : job.cfg.mnist.data_dir;
  const int threads = job.cfg.threads;
  if (job.validate_every > 0 || job.stop_validation > 0)
    job.validate = mnist_validation(dir, a.validate_trials, threads, runtime_view);
  if (a.eval_trials > 0)
    job.evaluate = mnist_test_evaluation(
        dir, a.eval_trials, threads, {Mode::MeanField, Mode::SampledPerStep, Mode::SampledPerTrial}, runtime_view);
}

/// The runtime's view of a feedforward stack built in memory; `buf` keeps its bytes alive.
ff::ModelView ff_runtime_view(const conv::ModelData& model, conv::AlignedBuffer& buf) {
  buf = conv::build_model_file(model);
  ff::ModelView view;
  const Status s = ff::load(buf.data(), buf.size(), view);
  if (s != Status::Ok) throw std::runtime_error(status_message(s));
  return view;
}

/// The options of a recurrent network that a feedforward stack does not have.
constexpr const char* kRecurrentOnly[] = {
    "--n", "--sigma-rec", "--optimizer", "--lr-group", "--train", "--l2", "--clip", "--stop", "--target-loss",
    "--stop-from", "--decay-groups", "--catch-fraction", "--random-conditions", "--fixation-ms", "--stimulus-ms",
    "--decision-ms", "--trial-ms", "--stop-validation"};
/// And the options only a feedforward stack has.
constexpr const char* kFeedforwardOnly[] = {"--sizes", "--weight-decay", "--plain-bp", "--train-images"};

/// --task mnist-ff: the feedforward stack of "Learning credit assignment" (ff_trainer.hpp), its
/// recipe for every option not given; validated (MeanField, the validation split) and evaluated
/// (every mode, the test set) with the runtime's feedforward network.
int run_ff(TrainArgs& a, const std::string& command) {
  for (const char* name : kRecurrentOnly)
    if (a.app->count(name) > 0) {
      std::cerr << "sasrnn train: " << name << " is an option of a recurrent network; --task mnist-ff trains a "
                   "feedforward stack (see sasrnn train --help)\n";
      return 2;
    }
  train::FfTrainJob job;
  // the files, checkpoints, resume and selection: the job options part of the parsed job
  const train::JobOptions& options = a.job;
  static_cast<train::JobOptions&>(job) = options;
  train::ff::TrainerConfig& c = job.cfg;
  c = a.ff;
  const train::TrainConfig& given = a.job.cfg;
  const auto set_if_given = [&](const char* name, auto& field, auto value) {
    if (a.app->count(name) > 0) field = value;
  };
  set_if_given("--seed", c.seed, given.seed);
  set_if_given("--epochs", c.epochs, given.epochs);
  set_if_given("--batch", c.batch, given.batch);
  set_if_given("--threads", c.threads, given.threads);
  set_if_given("--chunks", c.chunks, given.chunks);
  set_if_given("--decay", c.decay, given.opt.decay);
  set_if_given("--decay-every", c.decay_every, given.opt.decay_every);
  set_if_given("--init-xi", c.init_xi, given.init_xi);
  if (a.app->count("--lr") > 0) c.lr_m = c.lr_pi = c.lr_xi = a.lr;
  c.single_precision = a.precision == "float";
  c.data_dir = a.mnist_dir;
  if (a.plain_bp) {  // the pi = Xi = 0 limit: plain backpropagation of the weights m / sqrt(n)
    c.lr_pi = c.lr_xi = 0.0;
    c.init_xi = 0.0;
  }
  if (a.app->count("--checkpoint-every") == 0) job.checkpoint_every = 1;
  if (a.app->count("--validate-every") == 0) job.validate_every = 1;
  const int validate_images = a.app->count("--validate-trials") > 0 ? a.validate_trials : 5000;
  const int eval_images = a.app->count("--eval-trials") > 0 ? a.eval_trials : 10000;
  try {
    train::ff::check(c);
  } catch (const std::exception& e) {
    std::cerr << "sasrnn train: " << e.what() << "\n";
    return 2;
  }
  for (int n : c.sizes)
    if (n > analysis::kHostMaxWidth) {
      std::cerr << "sasrnn train: --sizes: at most " << analysis::kHostMaxWidth << " units per layer\n";
      return 2;
    }
  if (static_cast<int>(c.sizes.size()) - 1 > ff::kMaxLayers) {
    std::cerr << "sasrnn train: --sizes: at most " << ff::kMaxLayers << " layers (" << ff::kMaxLayers + 1
              << " sizes)\n";
    return 2;
  }
  job.command = command;
  if (const int bad = train::check_job_outputs(job, std::cerr)) return bad;
  try {
    const std::string dir = c.data_dir.empty() ? analysis::default_mnist_dir() : c.data_dir;
    const int threads = c.threads;
    if (job.validate_every > 0) job.validate = mnist_validation(dir, validate_images, threads, ff_runtime_view);
    if (eval_images > 0)
      job.evaluate = mnist_test_evaluation(
          dir, eval_images, threads,
          {Mode::MeanField, Mode::SampledPerStep, Mode::SampledPerTrial, Mode::MeanWeights}, ff_runtime_view);
  } catch (const std::exception& e) {
    std::cerr << "sasrnn train: " << e.what() << "\n";
    return 1;
  }
  return train::run_train_job(job, std::cout, std::cerr);
}

int run(TrainArgs& a, const std::string& command) {
  if (a.task == "mnist-ff") return run_ff(a, command);
  for (const char* name : kFeedforwardOnly)
    if (a.app->count(name) > 0) {
      std::cerr << "sasrnn train: " << name << " is an option of --task mnist-ff (a feedforward stack)\n";
      return 2;
    }
  train::TrainJob& job = a.job;
  train::TrainConfig& c = job.cfg;
  c.kind = task_names().at(a.task);
  if (c.is_mnist()) {  // the MNIST recipe for every option not given
    const train::TrainConfig base = train::mnist_paper_config(c.kind);
    for (auto& [opt, set] : a.recipe)
      if (opt->count() == 0) set(a, base);
    c.mnist = base.mnist;
    c.mnist.data_dir = a.mnist_dir;
    c.init_rec_identity = base.init_rec_identity;
    c.opt.lr = base.opt.lr;
    if (a.groups.empty()) c.opt.train = base.opt.train;
    if (a.decay_groups.empty()) c.opt.decayed = base.opt.decayed;
  }
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
      if (used != spec.size() - eq - 1 || !std::isfinite(v) || v < 0) throw std::invalid_argument("");
      c.opt.lr[static_cast<size_t>(g)] = v;
    } catch (const std::exception&) {
      std::cerr << "sasrnn train: --lr-group: '" << spec << "' is not NAME=RATE with a finite RATE >= 0\n";
      return 2;
    }
  }
  // Every option must be one the run can finish with: refuse now what the trainer or the final
  // evaluation would refuse later (after the data is read, or after hours of training).
  if (c.n > analysis::kHostMaxUnits) {  // the final evaluation could not run it: refuse now
    std::cerr << "sasrnn train: --n: at most " << analysis::kHostMaxUnits
              << " units (the host tools' limit)\n";
    return 2;
  }
  if (!c.is_mnist() && c.n < 3) {
    std::cerr << "sasrnn train: --n: an MSI network has at least 3 units (auditory, visual and "
                 "no sensory input)\n";
    return 2;
  }
  if (c.chunks > c.batch) {
    std::cerr << "sasrnn train: --chunks " << c.chunks << " is more than --batch " << c.batch
              << " (each part of the batch holds at least one trial)\n";
    return 2;
  }
  constexpr int kMnistTrainImages = 60000 - analysis::kMnistValidation;
  if (c.is_mnist() && c.batch > kMnistTrainImages) {
    std::cerr << "sasrnn train: --batch: at most " << kMnistTrainImages
              << " images (the MNIST training split) per batch\n";
    return 2;
  }
  if (job.stop_validation > 0 && (c.stop == train::StopRule::None || !(c.target_loss > 0))) {
    std::cerr << "sasrnn train: --stop-validation confirms a stopping rule: give --stop authors|mean10 "
                 "and --target-loss too\n";
    return 2;
  }
  job.command = command;
  // the outputs before any work (reading MNIST takes seconds, training hours)
  if (const int bad = train::check_job_outputs(job, std::cerr)) return bad;
  if (c.is_mnist()) {
    try {
      set_mnist_evaluation(a, job);
    } catch (const std::exception& e) {
      std::cerr << "sasrnn train: " << e.what() << "\n";
      return 1;
    }
    return train::run_train_job(job, std::cout, std::cerr);
  }
  if (job.validate_every > 0 || job.stop_validation > 0) {
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
      "Train a spike-and-slab RNN with mean-field gBPTT (paper eq. 4-13) on the MSI task or "
      "sequential MNIST, and write a .sasrnn model, a CSV log (loss, accuracy, sparsity, entropies "
      "per epoch) and a checkpoint. Defaults are the task's paper recipe: the shown defaults are "
      "MSI's (as the authors' reference implementation runs it); '[mnist: X]' gives the MNIST "
      "recipe's value where it differs.");
  t->footer(
      "Examples:\n"
      "  sasrnn train --out msi.sasrnn --seed 2\n"
      "  sasrnn train --config models/msi_n150.toml --out msi.sasrnn   (the shipped model's recipe)\n"
      "  sasrnn train --task mnist-row --out mnist_row.sasrnn --epochs 20\n"
      "  sasrnn train --task mnist-row --out mnist_row.sasrnn --epochs 40 --resume   (continue)\n"
      "  sasrnn train --task mnist-ff --out mnist_ff.sasrnn   (784-100-100-10, 40 epochs, about 6 min)\n"
      "  sasrnn train --task mnist-ff --plain-bp --out mnist_ff_bp.sasrnn   (its plain-BP baseline)\n"
      "mnist-ff takes --seed --epochs --batch --lr --decay --decay-every --init-xi --threads --chunks\n"
      "--precision and the evaluation and output options; its defaults are its own recipe (batch 500,\n"
      "Adam lr 0.1, rates halved every 8 epochs, 40 epochs; docs/feedforward.md).");
  // For an option bound to the configuration: its MNIST default comes from the MNIST recipe.
  auto recipe = [&a](CLI::Option* o, auto field) {
    a->recipe.emplace_back(o, [field](TrainArgs& args, const train::TrainConfig& base) {
      train::TrainConfig recipe_cfg = base;  // field() takes a mutable configuration
      field(args.job.cfg) = field(recipe_cfg);
    });
    return o;
  };
  const std::string task_group = "Task";
  const std::string net_group = "Network";
  const std::string opt_group = "Optimiser";
  const std::string sched_group = "Schedule and stopping";
  const std::string eval_group = "Evaluation and model selection";
  const std::string out_group = "Output, checkpoints and resume";

  t->add_option("--config", a->config_file,
                "Read options from FILE: TOML/INI lines `name = value` (the long option names "
                "without --, lists as [\"a\", \"b\"], flags as true/false, an optional [train] "
                "section); an option on the command line wins over the file. models/*.toml are "
                "the shipped models' recipes")
      ->group(task_group);
  a->app = t;
  t->add_option("--task", a->task,
                "msi, mnist-row (28 steps x 28 inputs), mnist-pixel (784 x 1), or mnist-ff: the "
                "feedforward stack of 'Learning credit assignment' trained by gBP on whole images "
                "(its own recipe: docs/feedforward.md)")
      ->check(CLI::IsMember({"msi", "mnist-row", "mnist-pixel", "mnist-ff"}))
      ->capture_default_str()
      ->group(task_group);
  t->add_option("--mnist-dir", a->mnist_dir,
                "Folder of the four MNIST idx files (default: $SASRNN_MNIST_DIR, else "
                "~/.cache/sasrnn/mnist, where scripts/fetch-mnist puts them)")
      ->group(task_group);
  t->add_option("--catch-fraction", c.task.catch_fraction, "MSI: share of catch trials in a batch")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str()
      ->group(task_group);
  t->add_flag("!--random-conditions", c.task.balanced,
              "MSI: draw each trial's condition at random instead of the balanced batch (24 "
              "conditions in order, catch trials at the end)")
      ->group(task_group);
  t->add_option("--fixation-ms", pr.fixation_ms, "MSI: training fixation epoch")
      ->check(CLI::Range(0.0f, 1e5f))
      ->capture_default_str()
      ->group(task_group);
  t->add_option("--stimulus-ms", pr.stimulus_ms, "MSI: training stimulus epoch")
      ->check(CLI::Range(20.0f, 1e5f))
      ->capture_default_str()
      ->group(task_group);
  t->add_option("--decision-ms", pr.decision_ms, "MSI: training decision epoch")
      ->check(CLI::Range(20.0f, 1e5f))
      ->capture_default_str()
      ->group(task_group);
  t->add_option("--trial-ms", pr.trial_ms, "MSI: pad every training trial to this length (catch trials too)")
      ->check(CLI::Range(0.0f, 1e6f))
      ->capture_default_str()
      ->group(task_group);

  const std::string ff_group = "Feedforward stack (--task mnist-ff)";
  t->add_option("--sizes", a->ff.sizes,
                "mnist-ff: layer sizes n_0, ..., n_L, comma separated (784 inputs, 10 outputs, at most 8 layers)")
      ->delimiter(',')
      ->capture_default_str()
      ->group(ff_group);
  t->add_option("--weight-decay", a->ff.weight_decay,
                "mnist-ff: decoupled weight decay of pi, m and Xi (theta -= lr * DECAY * theta per update)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(ff_group);
  t->add_flag("--plain-bp", a->plain_bp,
              "mnist-ff: the baseline: pi = Xi = 0 held fixed, only m learned (plain backpropagation of "
              "the same stack)")
      ->group(ff_group);
  t->add_option("--train-images", a->ff.train_images,
                "mnist-ff: train on the first K images of the training split only (0: all 55 000)")
      ->check(CLI::Range(0, 55000))
      ->capture_default_str()
      ->group(ff_group);

  recipe(t->add_option("--n", c.n, "Recurrent units (MSI: thirds auditory, visual, no sensory input) [mnist: 100]")
             ->check(CLI::Range(1, analysis::kHostMaxUnits))
             ->capture_default_str()
             ->group(net_group),
         [](train::TrainConfig& x) -> auto& { return x.n; });
  recipe(t->add_option("--sigma-rec", c.sigma_rec, "Recurrent noise sigma (paper eq. 1a) [mnist: 0]")
             ->check(CLI::NonNegativeNumber)
             ->capture_default_str()
             ->group(net_group),
         [](train::TrainConfig& x) -> auto& { return x.sigma_rec; });
  recipe(t->add_option("--init-xi", c.init_xi, "Initial recurrent and output Xi ~ INIT_XI * U(0,1)")
             ->check(CLI::NonNegativeNumber)
             ->capture_default_str()
             ->group(net_group),
         [](train::TrainConfig& x) -> auto& { return x.init_xi; });
  t->add_option("--seed", c.seed, "Seed: initialisation, trials or image order, noise")
      ->capture_default_str()
      ->group(net_group);
  t->add_option("--precision", a->precision, "Arithmetic of the forward/backward passes")
      ->check(CLI::IsMember({"float", "double"}))
      ->capture_default_str()
      ->group(net_group);

  auto* opt_kind = t->add_option("--optimizer", a->optimizer, "rmsprop or adam [mnist: adam]")
                       ->check(CLI::IsMember({"adam", "rmsprop"}))
                       ->capture_default_str()
                       ->group(opt_group);
  a->recipe.emplace_back(opt_kind, [](TrainArgs& args, const train::TrainConfig&) { args.optimizer = "adam"; });
  t->add_option("--lr", a->lr, "Learning rate of the m and Xi groups")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(opt_group);
  t->add_option("--lr-group", a->lr_groups,
                "Learning rate of one group, NAME=RATE (repeatable); defaults: pi_rec=1, "
                "pi_out=0.1 [mnist: every group 1e-3]")
      ->group(opt_group);
  t->add_option("--train", a->groups,
                std::string("Groups to learn, comma separated (default: all but pi_in, xi_in, "
                            "i.e. deterministic inputs): ") + kGroupList)
      ->delimiter(',')
      ->group(opt_group);
  recipe(t->add_option("--l2", c.l2, "l2 strength on m and Xi (gradient += l2 * value) [mnist: 1e-4]")
             ->check(CLI::NonNegativeNumber)
             ->capture_default_str()
             ->group(opt_group),
         [](train::TrainConfig& x) -> auto& { return x.l2; });
  t->add_option("--clip", c.clip,
                "Scale each group's gradient down to this Frobenius norm if larger (the authors' "
                "MNIST code clips at 10); 0 = off")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(opt_group);
  recipe(t->add_option("--batch", c.batch, "Trials (MSI) or images (MNIST) per batch [mnist: 128]")
             ->check(CLI::Range(1, 100000))
             ->capture_default_str()
             ->group(opt_group),
         [](train::TrainConfig& x) -> auto& { return x.batch; });
  t->add_option("--threads", c.threads, "Worker threads (results do not depend on it)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str()
      ->group(opt_group);
  t->add_option("--chunks", c.chunks, "Fixed parts the batch is split into (results depend on it)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str()
      ->group(opt_group);

  recipe(t->add_option("--epochs", c.epochs,
                       "Most training epochs (MSI: one batch each; MNIST: a pass over the 55 000 "
                       "training images) [mnist: 100]")
             ->check(CLI::Range(1, 100000000))
             ->capture_default_str()
             ->group(sched_group),
         [](train::TrainConfig& x) -> auto& { return x.epochs; });
  const std::map<std::string, train::StopRule> stop_rules{{"authors", train::StopRule::Authors},
                                                          {"mean10", train::StopRule::Mean10},
                                                          {"none", train::StopRule::None}};
  recipe(t->add_option("--stop", c.stop,
                       "When to stop before --epochs: authors (as the authors' code: the first "
                       "epoch from --stop-from on whose batch loss is <= --target-loss), mean10 (the "
                       "mean loss of the last 10 epochs is < --target-loss), none (run every epoch) "
                       "[mnist: none]")
             ->transform(enum_names(stop_rules))
             ->default_str(train::stop_rule_name(c.stop))
             ->group(sched_group),
         [](train::TrainConfig& x) -> auto& { return x.stop; });
  recipe(t->add_option("--target-loss", c.target_loss,
                       "Loss threshold of --stop (0: never stop early) [mnist: 0]")
             ->check(CLI::NonNegativeNumber)
             ->capture_default_str()
             ->group(sched_group),
         [](train::TrainConfig& x) -> auto& { return x.target_loss; });
  recipe(t->add_option("--stop-from", c.stop_from, "First epoch (0-based) at which --stop may stop")
             ->check(CLI::NonNegativeNumber)
             ->capture_default_str()
             ->group(sched_group),
         [](train::TrainConfig& x) -> auto& { return x.stop_from; });
  recipe(t->add_option("--decay", c.opt.decay, "Learning-rate factor applied every --decay-every epochs")
             ->check(CLI::Range(0.0, 1.0))
             ->capture_default_str()
             ->group(sched_group),
         [](train::TrainConfig& x) -> auto& { return x.opt.decay; });
  recipe(t->add_option("--decay-every", c.opt.decay_every,
                       "Epochs between learning-rate decays (0: none) [mnist: 40]")
             ->check(CLI::NonNegativeNumber)
             ->capture_default_str()
             ->group(sched_group),
         [](train::TrainConfig& x) -> auto& { return x.opt.decay_every; });
  t->add_option("--decay-groups", a->decay_groups,
                "Groups whose rate decays (default: pi_rec,pi_out) [mnist: all]")
      ->delimiter(',')
      ->group(sched_group);

  // options of the job (not of the configuration) with an MNIST default of their own
  auto job_recipe = [&a](CLI::Option* o, std::function<void(TrainArgs&)> set) {
    a->recipe.emplace_back(o, [set = std::move(set)](TrainArgs& args, const train::TrainConfig&) { set(args); });
  };
  job_recipe(t->add_option("--eval-trials", a->eval_trials,
                           "After training, evaluate with the runtime: MSI, this many trials per "
                           "condition (MeanField and SampledPerStep, dt 20 ms); MNIST, the first "
                           "this many test images (MeanField, SampledPerStep, SampledPerTrial); "
                           "0 = skip [mnist: 10000]")
                 ->check(CLI::Range(0, 10000))
                 ->capture_default_str()
                 ->group(eval_group),
             [](TrainArgs& x) { x.eval_trials = 10000; });
  job_recipe(t->add_option("--validate-every", a->job.validate_every,
                           "Model selection: every N epochs run the runtime (MeanField) on held-out "
                           "data (MSI: trials of noise seed 1000003; MNIST: the validation split, "
                           "the last 5 000 training images) and write the best parameters instead "
                           "of the last (0: off) [mnist: 1]")
                 ->check(CLI::NonNegativeNumber)
                 ->capture_default_str()
                 ->group(eval_group),
             [](TrainArgs& x) { x.job.validate_every = 1; });
  t->add_option("--validate-from", a->job.validate_from, "First epoch of the model selection")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(eval_group);
  job_recipe(t->add_option("--validate-trials", a->validate_trials,
                           "MSI: repetitions per condition of a validation; MNIST: validation "
                           "images [mnist: 5000]")
                 ->check(CLI::Range(1, 10000))
                 ->capture_default_str()
                 ->group(eval_group),
             [](TrainArgs& x) { x.validate_trials = 5000; });
  t->add_option("--stop-validation", a->job.stop_validation,
                "The stopping rule (--stop) stops only when the held-out validation (as "
                "--validate-every: MeanField, --validate-trials) scores at least ACC, else "
                "training goes on; guards against a rule that holds on one lucky batch (0: off)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str()
      ->group(eval_group);

  t->add_option("--out,-o", a->job.out, "Model file to write (.sasrnn)")->required()->group(out_group);
  t->add_option("--log", a->job.log, "CSV log (default: OUT with .csv)")->group(out_group);
  t->add_option("--checkpoint", a->job.checkpoint, "Checkpoint file (default: OUT with .ckpt)")
      ->group(out_group);
  job_recipe(t->add_option("--checkpoint-every", a->job.checkpoint_every,
                           "Epochs between checkpoints [mnist: 1]")
                 ->check(CLI::NonNegativeNumber)
                 ->capture_default_str()
                 ->group(out_group),
             [](TrainArgs& x) { x.job.checkpoint_every = 1; });
  t->add_flag("--resume", a->job.resume,
              "Continue from the checkpoint (same configuration; replaces OUT and the log)")
      ->group(out_group);
  t->add_flag("--force", a->job.force,
              "Start afresh even if OUT, the log or the checkpoint exist, replacing them")
      ->group(out_group);
  t->add_option("--progress-every", a->job.progress_every,
                "Epochs between progress lines when stderr is not a terminal (0: about 40 lines)")
      ->check(CLI::NonNegativeNumber)
      ->group(out_group);
  t->callback([&status, a] { status = run(*a, command_line()); });
}

}  // namespace sasrnn::cli
