// Training a spike-and-slab RNN with mean-field gBPTT on MSI or sequential MNIST: initialisation,
// the epoch loop (batched, both cores, deterministic for a seed), statistics per epoch,
// checkpoints and resume, and the export of the result as a .sasrnn model.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/analysis/mnist_data.hpp"
#include "sasrnn/trainer/mean_field.hpp"
#include "sasrnn/trainer/mnist_batch.hpp"
#include "sasrnn/trainer/msi_batch.hpp"
#include "sasrnn/trainer/optimizer.hpp"

namespace sasrnn::train {

/// What a run learns. MSI: one batch per epoch (the authors' epochs), masked squared error on
/// every step. MNIST: an epoch is a pass over the 55 000 training images in shuffled batches
/// (the last partial batch left out), softmax cross entropy at the last step.
enum class TrainTask { Msi, MnistRow, MnistPixel };
const char* train_task_name(TrainTask t);

/// When training stops before `epochs` (the loss of an epoch is that of its batch, before the
/// update; epochs count from 0).
enum class StopRule {
  None,     ///< run all epochs
  Mean10,   ///< the mean loss of the last 10 epochs is < target_loss (from epoch stop_from on)
  Authors,  ///< the authors' code: the first epoch >= stop_from whose loss is <= target_loss
};

struct TrainConfig {
  TrainTask kind = TrainTask::Msi;
  int n = 150;
  uint64_t seed = 1;
  int epochs = 2000;
  int batch = 30;
  StopRule stop = StopRule::Mean10;
  double target_loss = 0.0;  ///< threshold of the stopping rule; 0 = never stop early
  int stop_from = 0;         ///< first epoch (0-based) at which the rule may stop
  double l2 = 1e-3;          ///< l2 strength on m and Xi: adds (l2 / 2)(sum m^2 + sum Xi^2)
  double sigma_rec = 0.15;   ///< recurrent noise (paper eq. 1a)
  double init_xi = 0.01;     ///< recurrent and output Xi ~ init_xi * U(0, 1) at start
  double init_xi_in = 0.01;  ///< input Xi ~ init_xi_in * U(0, 1) (0: deterministic inputs)
  bool init_rec_identity = false;  ///< recurrent m = identity (else N(0, 1/N))
  /// Each group's gradient (l2 included) is scaled down to this Frobenius norm if larger, as
  /// the authors' MNIST code clips (they clip at 10); 0 = off.
  double clip = 0.0;
  bool single_precision = true;  ///< compute in float (parameters and optimiser stay double)
  int chunks = 2;            ///< the batch is split in this many fixed parts (results depend on it)
  int threads = 2;           ///< worker threads (results do not depend on it)
  OptimizerConfig opt;
  MsiTaskConfig task;     ///< the MSI task (kind Msi)
  MnistTaskConfig mnist;  ///< the sequential-MNIST task (kinds MnistRow, MnistPixel)
  double mnist_alpha = 0.1;  ///< dt / tau of the MNIST network (paper Sec. III A: tau = 10 steps)

  bool is_mnist() const { return kind != TrainTask::Msi; }
  int n_in() const;
  int n_out() const;
};

/// The settings of the paper's MSI experiment (Fig. 10: alpha 0.2, sigma 0.15, sigma_in 0.01,
/// x0 0.2, l2 1e-3, lr 1e-3) as the authors' reference implementation runs it (trainer.cpp).
TrainConfig msi_paper_config();

/// The paper's sequential-MNIST settings (Sec. III A: N = 100, alpha = 0.1, no noise, x0 = 0,
/// deterministic input layer, l2 1e-4, lr 1e-3) with the authors' code's facts: Adam with lr 1e-3
/// for every learned group, batch 128, the rate halved every 40 epochs, recurrent means
/// initialised to the identity.
TrainConfig mnist_paper_config(TrainTask kind);

/// Name of a stopping rule as the CLI spells it ("none", "mean10", "authors").
const char* stop_rule_name(StopRule r);

/// Statistics of one epoch (the per-epoch log).
struct EpochStats {
  int epoch = 0;
  double loss = 0;      ///< masked squared error of the batch (without the l2 term)
  double accuracy = 0;  ///< decisions at the last step, non-catch trials of the batch
  double seconds = 0;   ///< wall time of the epoch
  // sparsity = mean pi (paper Sec. III); recurrent I: w_ij with i < j, II: i > j
  double sparsity_in = 0, sparsity_rec_i = 0, sparsity_rec_ii = 0, sparsity_out = 0;
  // mean entropy per connection (paper eq. 14 split in its two levels)
  double pi_entropy_in = 0, pi_entropy_rec = 0, pi_entropy_out = 0;
  double xi_entropy_in = 0, xi_entropy_rec = 0, xi_entropy_out = 0;
  double vip_rec = 0, vip_out = 0;  ///< fraction of VIP connections (pi < 0.1, |m| > 0.05)
  /// the model selection's score of the parameters after this epoch (NaN: not validated)
  double validation = std::numeric_limits<double>::quiet_NaN();
};

/// Header and one row of the CSV log.
std::string csv_header();
std::string csv_row(const EpochStats& s);

/// Layer statistics as in the log, from parameters (connected input entries only).
EpochStats parameter_stats(const Params<double>& p, const Mat<double>& input_mask);

/// Whether `rule` (threshold `target_loss`, from epoch `stop_from`) stops training after the last
/// epoch of `history`.
bool stop_reached(StopRule rule, double target_loss, int stop_from,
                  const std::vector<EpochStats>& history);

/// Thrown by Trainer::gradients() (so by train_epoch() and run()) when the loss or a gradient is
/// not finite. Nothing was updated: the trainer holds the state after its last whole epoch.
struct NonFiniteLoss : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Thrown by train_epoch() when `Trainer::interrupted` returns true between two updates of an
/// epoch; the trainer is back at the state of the epoch's start (the last whole epoch).
struct Interrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Trainer {
 public:
  explicit Trainer(const TrainConfig& cfg);

  /// Runs epochs [epoch(), cfg.epochs) or until the stopping rule holds (and `confirm_stop`, if
  /// set, agrees); calls `on_epoch` after each (return false to stop early, e.g. to checkpoint).
  void run(const std::function<bool(const EpochStats&)>& on_epoch);
  /// Asked after an epoch at which the stopping rule holds: false lets training go on (e.g. the
  /// held-out validation is not good enough yet). Unset: the rule alone stops.
  std::function<bool()> confirm_stop;

  /// One epoch: batch(es), forward, backward, l2, update. Returns its statistics.
  EpochStats train_epoch();

  /// Gradients of the loss (+ l2) of update `update`'s batch at the current parameters (MSI:
  /// update = epoch; MNIST: batch update % updates_per_epoch() of epoch update /
  /// updates_per_epoch()). Groups not learned (opt.train false) may be left without their
  /// gradient (backward()'s `needed`: the pi and Xi of a layer without variance).
  Grads<double> gradients(int update, double* loss, double* accuracy);

  /// Optimiser updates in one epoch (MSI 1; MNIST the full batches of the training images).
  int updates_per_epoch() const;
  /// Called after every update of an epoch with (updates done, updates_per_epoch()) (progress).
  std::function<void(int, int)> on_update;
  /// Asked between two updates of an epoch of several updates (MNIST); true abandons the epoch
  /// (throws Interrupted after restoring the epoch's starting state), e.g. on SIGINT.
  std::function<bool()> interrupted;

  const Params<double>& params() const { return params_; }
  Params<double>& params() { return params_; }
  const Mat<double>& input_mask() const { return input_mask_; }
  const TrainConfig& config() const { return cfg_; }
  int epoch() const { return epoch_; }
  double recent_loss() const;
  /// Whether the configured stopping rule holds after the last epoch trained.
  bool stop_reached() const;
  std::vector<EpochStats>& history() { return history_; }
  const std::vector<EpochStats>& history() const { return history_; }
  /// The run's description (the first lines `sasrnn train` prints: task, sizes, stopping rule).
  std::string describe() const;
  /// The CSV log of every epoch in the history (csv_header(), csv_row()).
  std::string log_csv() const;

  /// The model file content (float32) with MSI metadata and provenance.
  conv::ModelData to_model(const std::string& command) const;

  /// Model selection: records a validation score of the current parameters after `epoch`
  /// epochs; keeps them if the score is the best so far (strictly higher). Part of the checkpoint,
  /// so a resumed run continues the selection.
  void note_validation(double score, int epoch);
  bool has_best() const { return best_epoch_ > 0; }
  const Params<double>& best_params() const { return best_; }
  double best_score() const { return best_score_; }
  int best_epoch() const { return best_epoch_; }

  /// Checkpoint: parameters, optimiser state, epoch, history and the model selection's best
  /// parameters, bit-exact.
  void save_checkpoint(const std::string& path) const;
  /// The bytes save_checkpoint() writes (`name` names it in errors).
  std::string checkpoint_bytes(const std::string& name) const;
  /// Restores a checkpoint written with the same configuration (throws std::runtime_error, naming
  /// the file and the cause, on a mismatch or a damaged file; the trainer is then unchanged).
  void load_checkpoint(const std::string& path);
  /// load_checkpoint() of a checkpoint's bytes (`path` names them in errors); the fuzz target
  /// tests/fuzz/checkpoint reads through it.
  void load_checkpoint_bytes(const uint8_t* data, size_t size, const std::string& path);

 private:
  TrainConfig cfg_;
  Params<double> params_;
  Params<double> fixed_;      ///< 1 = never updated (absent MSI input connections)
  Mat<double> input_mask_;    ///< N x NIn, 1 = connected
  analysis::MnistSet mnist_;  ///< the training images (MNIST kinds)
  std::vector<int> order_;    ///< the current epoch's image order (MNIST)
  int order_epoch_ = -1;
  Optimizer opt_;
  int epoch_ = 0;
  std::vector<EpochStats> history_;
  Params<double> best_;  ///< the best validated parameters (has_best())
  double best_score_ = -1;
  int best_epoch_ = -1;
};

/// Human-readable duration, e.g. "3m12s".
std::string format_duration(double seconds);

/// A matrix's values in row-major float (a model file's array).
std::vector<float> row_major(const Mat<double>& a);
/// A trained model's provenance: this trainer's version, the seed, the command line and the
/// time of writing (ISO 8601, UTC).
conv::Provenance make_provenance(uint64_t seed, const std::string& command);

}  // namespace sasrnn::train
