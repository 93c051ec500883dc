// Training loop of the feedforward spike-and-slab stack on MNIST (issue 19; Li & Huang, PRL 125,
// 178301 (2020)): mini-batches over the training split shuffled per epoch by seed, the mean-field
// forward pass and gBP of feedforward.hpp, Adam on every layer's (pi, m, Xi) followed by the
// projection (pi in [0, 1], Xi >= 0), and mean-field accuracy on any split.
//
// Where the PRL is silent the authors' code (Chan-Li/SAS-model, DNN-SAS-MNIST.py) settles the
// defaults: [784, 100, 100, 10], batch 500, Adam with rate 0.1 for all three groups and a
// decoupled weight decay 1e-4 (theta -= lr (adam step + 1e-4 theta)), m ~ sqrt(2/784) N(0, 1) in
// every layer, Xi ~ 0.01 U(0, 1), pi = 0. One default is ours: the authors keep the rate
// constant (the stack then plateaus at 97.3-97.7 % validation accuracy here); the rates halve
// every 8 epochs over 40 epochs (98.1 %; docs/feedforward.md). Deterministic for a seed and independent of the thread
// count: the batch is cut into a fixed number of chunks whose gradients are summed in order, and
// every random number is a Philox draw keyed by (seed, unit, layer, image).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "sasrnn/analysis/mnist_data.hpp"
#include "sasrnn/trainer/feedforward.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/trainer/optimizer.hpp"

namespace sasrnn::train::ff {

struct TrainerConfig {
  std::vector<int> sizes{784, 100, 100, 10};  ///< [n_0, ..., n_L]; n_0 = 784, n_L = 10 for MNIST
  int batch = 500;
  int epochs = 40;
  int chunks = 10;   ///< fixed split of a batch (results do not depend on `threads`)
  int threads = 2;
  double lr_m = 0.1, lr_pi = 0.1, lr_xi = 0.1;
  double weight_decay = 1e-4;  ///< decoupled, on all three groups (the authors' Adam)
  double decay = 0.5;          ///< the rates are multiplied by this every decay_every epochs ...
  int decay_every = 8;         ///< ... (0: constant rates, as the authors' code: 97.3-97.7 %)
  double init_m_sd = 0.050507627227610534;  ///< sqrt(2 / 784)
  double init_xi = 0.01;                    ///< Xi ~ init_xi U(0, 1)
  uint64_t seed = 1;
  bool single_precision = true;  ///< forward/backward in float; parameters and Adam in double
  std::string data_dir;          ///< empty: analysis::default_mnist_dir()
  int train_images = 0;          ///< use the first K images of the Train split (0: all 55 000)
};

/// One epoch's figures (the CSV log's row).
struct EpochStats {
  int epoch = 0;          ///< 0-based
  double loss = 0;        ///< mean cross entropy over the epoch's batches
  double accuracy = 0;    ///< training accuracy of the mean-field forward pass
  double seconds = 0;
  std::vector<double> mean_pi;  ///< per layer, after the epoch: the mean spike probability (sparsity)
  /// the model selection's score of the parameters after this epoch (NaN: not validated)
  double validation = std::numeric_limits<double>::quiet_NaN();
};

/// Header and one row of the CSV log of an L-layer stack.
std::string csv_header(int layers);
std::string csv_row(const EpochStats& s);

/// One-line error of a configuration the trainer cannot run (sizes that do not fit MNIST, ...).
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Throws ConfigError if `c` is unusable.
void check(const TrainerConfig& c);

/// Mean-field accuracy of `s` on images [0, limit) of `set` (0: all), eps drawn from Philox
/// counters keyed by `eval_seed` (the same draws for every call with that seed).
double accuracy(const Stack<double>& s, const analysis::MnistSet& set, uint64_t eval_seed, int limit = 0,
                int threads = 2);

class Trainer {
 public:
  /// Loads the Train split (throws analysis::DataError) and initialises the parameters.
  explicit Trainer(const TrainerConfig& cfg);
  /// One epoch: every full batch of the shuffled training images, one Adam update each.
  EpochStats train_epoch();
  /// Runs epochs [epoch(), config().epochs); calls `on_epoch` after each (false stops early).
  void run(const std::function<bool(const EpochStats&)>& on_epoch);
  /// Called after every update of an epoch with (updates done, updates_per_epoch()).
  std::function<void(int, int)> on_update;
  /// Asked between two updates; true abandons the epoch (throws train::Interrupted after
  /// restoring the epoch's starting state), e.g. on SIGINT.
  std::function<bool()> interrupted;

  int epoch() const { return epoch_; }
  const Stack<double>& params() const { return params_; }
  Stack<double>& params() { return params_; }
  const TrainerConfig& config() const { return cfg_; }
  int updates_per_epoch() const { return train_.count / cfg_.batch; }
  /// The factor of the rates in epoch `epoch` (0-based): decay^(epoch / decay_every).
  double rate_factor(int epoch) const;
  const std::vector<EpochStats>& history() const { return history_; }
  /// Mean loss of the last (up to) 10 epochs.
  double recent_loss() const;
  bool stop_reached() const { return false; }  ///< no stopping rule: every epoch runs
  /// The run's description (the first lines `sasrnn train` prints).
  std::string describe() const;
  /// The CSV log of every epoch in the history.
  std::string log_csv() const;

  /// The model file content: a feedforward stack (format version 3) of the distributions of the
  /// weights the stack applies, m / sqrt(n_l), Xi / n_l and pi (the 1/sqrt(n_l) scale of
  /// feedforward.hpp folded in), task MNISTImage, with provenance.
  conv::ModelData to_model(const std::string& command) const;

  /// Model selection, as the recurrent Trainer's (part of the checkpoint).
  void note_validation(double score, int epoch);
  bool has_best() const { return best_epoch_ > 0; }
  const Stack<double>& best_params() const { return best_; }
  double best_score() const { return best_score_; }
  int best_epoch() const { return best_epoch_; }

  /// Checkpoint: parameters, Adam state, epoch, history and the best parameters, bit-exact
  /// (checkpoint.hpp's file with this trainer's identity and arrays).
  void save_checkpoint(const std::string& path) const;
  std::string checkpoint_bytes(const std::string& name) const;
  /// Restores a checkpoint of the same configuration; throws std::runtime_error naming the file
  /// and the cause, and leaves the trainer unchanged.
  void load_checkpoint(const std::string& path);
  void load_checkpoint_bytes(const uint8_t* data, size_t size, const std::string& path);

 private:
  TrainerConfig cfg_;
  analysis::MnistSet train_;
  Stack<double> params_;
  std::vector<Layer<double>> m1_, m2_;  ///< Adam moments, per layer
  OptimizerConfig opt_;
  long t_ = 0;
  int epoch_ = 0;
  std::vector<EpochStats> history_;
  Stack<double> best_;
  double best_score_ = -1;
  int best_epoch_ = -1;
};

}  // namespace sasrnn::train::ff
