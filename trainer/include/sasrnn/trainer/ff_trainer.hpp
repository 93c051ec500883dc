// Training loop of the feedforward spike-and-slab stack on MNIST (issue 19; Li & Huang, PRL 125,
// 178301 (2020)): mini-batches over the training split shuffled per epoch by seed, the mean-field
// forward pass and gBP of feedforward.hpp, Adam on every layer's (pi, m, Xi) followed by the
// projection (pi in [0, 1], Xi >= 0), and mean-field accuracy on any split.
//
// Where the PRL is silent the authors' code (Chan-Li/SAS-model, DNN-SAS-MNIST.py) settles the
// defaults: [784, 100, 100, 10], batch 500, Adam with rate 0.1 for all three groups and a
// decoupled weight decay 1e-4 (theta -= lr (adam step + 1e-4 theta)), m ~ sqrt(2/784) N(0, 1) in
// every layer, Xi ~ 0.01 U(0, 1), pi = 0. Deterministic for a seed and independent of the thread
// count: the batch is cut into a fixed number of chunks whose gradients are summed in order, and
// every random number is a Philox draw keyed by (seed, unit, layer, image).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sasrnn/analysis/mnist_data.hpp"
#include "sasrnn/trainer/feedforward.hpp"
#include "sasrnn/trainer/optimizer.hpp"

namespace sasrnn::train::ff {

struct TrainerConfig {
  std::vector<int> sizes{784, 100, 100, 10};  ///< [n_0, ..., n_L]; n_0 = 784, n_L = 10 for MNIST
  int batch = 500;
  int epochs = 100;
  int chunks = 10;   ///< fixed split of a batch (results do not depend on `threads`)
  int threads = 2;
  double lr_m = 0.1, lr_pi = 0.1, lr_xi = 0.1;
  double weight_decay = 1e-4;  ///< decoupled, on all three groups (the authors' Adam)
  double decay = 0.5;          ///< the rates are multiplied by this every decay_every epochs ...
  int decay_every = 0;         ///< ... (0: constant rates, as the authors' code)
  double init_m_sd = 0.050507627227610534;  ///< sqrt(2 / 784)
  double init_xi = 0.01;                    ///< Xi ~ init_xi U(0, 1)
  uint64_t seed = 1;
  bool single_precision = true;  ///< forward/backward in float; parameters and Adam in double
  std::string data_dir;          ///< empty: analysis::default_mnist_dir()
  int train_images = 0;          ///< use the first K images of the Train split (0: all 55 000)
};

/// One epoch's figures.
struct EpochStats {
  int epoch = 0;          ///< 1-based
  double loss = 0;        ///< mean cross entropy over the epoch's batches
  double accuracy = 0;    ///< training accuracy of the mean-field forward pass
  double seconds = 0;
};

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
  EpochStats train_epoch();
  int epoch() const { return epoch_; }
  const Stack<double>& params() const { return params_; }
  Stack<double>& params() { return params_; }
  const TrainerConfig& config() const { return cfg_; }
  int updates_per_epoch() const { return train_.count / cfg_.batch; }
  /// The factor of the rates in epoch `epoch` (0-based): decay^(epoch / decay_every).
  double rate_factor(int epoch) const;

 private:
  TrainerConfig cfg_;
  analysis::MnistSet train_;
  Stack<double> params_;
  std::vector<Layer<double>> m1_, m2_;  ///< Adam moments, per layer
  OptimizerConfig opt_;
  long t_ = 0;
  int epoch_ = 0;
};

}  // namespace sasrnn::train::ff
