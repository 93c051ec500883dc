// Optimisers for the nine hyperparameter groups: Adam and RMSprop, one learning rate and one
// on/off switch per group, a step learning-rate schedule, and the projection of
// docs/method.md (gBPTT): after each update pi is clipped to [0, 1] and Xi to >= 0.
#pragma once

#include <array>
#include <string>

#include "sasrnn/trainer/mean_field.hpp"

namespace sasrnn::train {

enum class OptimizerKind { Adam, RMSprop };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::Adam;
  std::array<double, kGroups> lr{};       ///< learning rate per group (0 with train = false)
  std::array<bool, kGroups> train{};      ///< which groups are learned
  double beta1 = 0.9, beta2 = 0.999;      ///< Adam moments
  double rho = 0.9;                       ///< RMSprop decay
  double eps = 1e-8;  ///< Adam: lr m / (sqrt(v) + eps); RMSprop: lr g / sqrt(v + eps)
  double decay = 1.0;                     ///< lr *= decay every decay_every epochs ...
  int decay_every = 0;                    ///< 0: constant learning rate
  std::array<bool, kGroups> decayed{{true, true, true, true, true, true, true, true, true}};  ///< ... for these groups
};

/// Per-group moment estimates. `mask` (same shape as a group, 1 = learnable) keeps entries such
/// as the absent MSI input connections fixed forever.
class Optimizer {
 public:
  Optimizer() = default;
  Optimizer(const OptimizerConfig& cfg, const Params<double>& shape);

  /// One update of all learned groups with gradients `g` at epoch `epoch` (0-based), then the
  /// projection. `fixed` marks entries never to change (1 = fixed) per layer, or is empty.
  void step(Params<double>& p, const Grads<double>& g, int epoch, const Params<double>* fixed);

  /// Learning rate of a group at an epoch (after the schedule).
  double lr(Group grp, int epoch) const;

  const OptimizerConfig& config() const { return cfg_; }
  long steps() const { return t_; }
  /// Moment state, for checkpoints.
  Params<double>& first() { return m1_; }
  Params<double>& second() { return m2_; }
  const Params<double>& first() const { return m1_; }
  const Params<double>& second() const { return m2_; }
  void set_steps(long t) { t_ = t; }

 private:
  OptimizerConfig cfg_;
  Params<double> m1_, m2_;
  long t_ = 0;
};

/// One update of one parameter array w by the optimiser of `cfg` with gradient g at update count
/// t (1-based) and rate lr: Adam (bias-corrected moments m1, m2) or RMSprop (m2). Entries where
/// `fixed` is non-zero stay as they are. The element-wise rule of every trainer (no projection).
void update_array(const OptimizerConfig& cfg, long t, double lr, Mat<double>& w, Mat<double>& m1,
                  Mat<double>& m2, const Mat<double>& g, const Mat<double>* fixed = nullptr);

/// Projection after an update: pi into [0, 1], Xi to >= 0 (docs/training.md).
void project(Params<double>& p);
void project(Layer<double>& l);

}  // namespace sasrnn::train
