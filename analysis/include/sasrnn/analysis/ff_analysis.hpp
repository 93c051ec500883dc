// The analyses of "Learning credit assignment" (Li & Huang, PRL 125, 178301, 2020) on a trained
// feedforward stack: the three kinds of synapse per layer, as the authors' code sorts them (very
// important: pi = 0 and Xi = 0, a deterministic weight; unimportant: pi = 1, absent; variable: the
// rest), their hyperparameter statistics and entropy (the recurrent paper's eq. 14, computed as
// for a recurrent layer), and the targeted perturbation of a layer (the authors' "target weight
// perturbation"): a growing fraction of its important weights removed, against as many variable
// ones, and the unimportant ones given random weights. Every statistic is of the training's
// parametrization (m and Xi times sqrt(n) and n: the model file stores the applied weights, see
// docs/feedforward.md), so the rules mean what they mean in the authors' code. Used by
// `sasrnn analyze`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sasrnn/analysis/ensemble.hpp"
#include "sasrnn/analysis/mnist_eval.hpp"
#include "sasrnn/feedforward/model.hpp"

namespace sasrnn::analysis {

/// The three kinds of synapse. Defaults: the authors' exact rules (their projection leaves exact
/// 0 and 1); the bounds are inclusive.
struct FfKindRule {
  double important_pi_max = 0.0;  ///< important: pi <= this ...
  double important_xi_max = 0.0;  ///< ... and Xi <= this (training scale)
  double unimportant_pi_min = 1.0;  ///< unimportant: pi >= this
  /// Throws std::invalid_argument (one line) unless the bounds are finite, in [0, 1] (pi) and
  /// >= 0 (Xi), and important_pi_max < unimportant_pi_min.
  void check() const;
  enum Kind { Important = 0, Unimportant = 1, Variable = 2 };
  Kind kind(float pi, float xi) const;
};

/// Layer l of a stack in the training's parametrization: pi, m sqrt(n_l), Xi n_l (n_l = cols).
HostLayer training_scale_layer(const LayerView& l);

/// One layer's statistics: those of the recurrent analysis (summarize(); its VIP/UIP fields use
/// `vip`), the three kinds' fractions, and per kind the mean |m| and Xi.
struct FfLayerSummary {
  LayerSummary base;
  double important = 0, unimportant = 0, variable = 0;  ///< fractions of the layer's connections
  double important_abs_m = 0, variable_abs_m = 0, variable_xi = 0;
};
FfLayerSummary summarize_ff(const std::string& name, const HostLayer& l, const FfKindRule& kinds,
                            const VipRule& vip, const EntropyOptions& eo, const std::vector<double>& eps);

/// The targeted perturbation of one layer (the authors' target weight perturbation).
struct FfSweepConfig {
  int layer = 0;          ///< the perturbed layer
  int points = 11;        ///< fractions 0, 1/(points-1), ..., 1
  int draws = 3;          ///< random draws of each perturbed set
  uint64_t seed = 1;      ///< the draws of the sets (the runtime's RNG)
  Mode mode = Mode::SampledPerStep;  ///< how the perturbed stacks are run (a concrete network per image)
  FfKindRule kinds;
  void check(const ff::ModelView& model) const;
};

/// One point: kind "important" (that fraction of the layer's important weights removed: pi = 1),
/// "variable" (as many variable weights removed as important ones at that fraction) or
/// "unimportant" (that fraction of its unimportant weights given a random weight N(0, 1) in the
/// training scale: pi = 0, m = 0, Xi = 1, drawn afresh with every concrete network).
struct FfSweepPoint {
  std::string kind;
  int draw = 0;
  double fraction = 0;
  size_t changed = 0;
  double accuracy = 0;
};

/// The changed set of a point: the first round(fraction * count) of draw `draw`'s permutation of
/// the pool (the layer's important, variable or unimportant connections; count = the number of
/// important ones for kinds important and variable, of unimportant ones for unimportant). Nested
/// in the fraction. Flat indices i * cols + j, increasing.
std::vector<uint32_t> ff_changed_set(const HostLayer& layer, const FfKindRule& kinds, const std::string& kind,
                                     int draw, double fraction, uint64_t seed);

/// Every point (kinds x draws x fractions), each perturbed stack evaluated by `accuracy`;
/// `progress` gets (done, total).
std::vector<FfSweepPoint> ff_perturbation_sweep(
    const ff::ModelView& model, const FfSweepConfig& cfg,
    const std::function<double(const ff::ModelView&)>& accuracy, const std::function<void(int, int)>& progress = {});

}  // namespace sasrnn::analysis
