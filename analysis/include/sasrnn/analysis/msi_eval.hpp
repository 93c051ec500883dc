// Evaluation of an MSI model with the runtime: the test protocol over the 24 conditions, the
// psychometric table and fits. Shared by `sasrnn run`, the trainer's validation, `convert`'s accuracy
// gate and the host apps (firmware_examples/host).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "sasrnn/analysis/host_network.hpp"
#include "sasrnn/msi.hpp"

namespace sasrnn::analysis {

/// The epoch durations of a run. Test: the paper's test protocol, fixation/stimulus/decision
/// 500/1000/300 ms (msi::Protocol::test), whatever the model was trained with. Model: the
/// durations in the model's MSI task fields (the trainer writes those it trained with).
enum class ProtocolChoice { Test, Model };

/// "test" or "model", as the CLI spells them.
const char* protocol_choice_name(ProtocolChoice p);

struct EvalConfig {
  Mode mode = Mode::MeanField;
  ProtocolChoice protocol = ProtocolChoice::Test;
  /// Durations in ms that replace the chosen protocol's (negative: keep the protocol's).
  float fixation_ms = -1.0f, stimulus_ms = -1.0f, decision_ms = -1.0f;
  uint32_t reps = 100;          ///< repetitions of each of the 24 conditions
  uint64_t seed = 1;
  float dt_ms = 20.0f;          ///< test time step; alpha = dt / tau of the model
  bool recurrent_noise = true;
  bool input_noise = true;
  int threads = 2;              ///< trials are independent; results do not depend on this
  bool batch = true;            ///< several trials at once where possible (trials.hpp; the same results)
  /// Called from the calling thread about once a second with (trials done, trials in total).
  std::function<void(int, int)> progress;
};

/// Outcome of one trial.
struct TrialResult {
  msi::Trial trial;
  int decision = 0;             ///< argmax of the outputs at the last step
  float y_high = 0, y_low = 0;  ///< outputs at the last step
};

struct EvalResult {
  std::vector<TrialResult> trials;
  std::array<std::array<uint32_t, msi::kRates>, msi::kModalities> high{};   ///< high choices
  std::array<std::array<uint32_t, msi::kRates>, msi::kModalities> count{};  ///< trials
  double accuracy = 0;                                  ///< mean over conditions of P(correct)
  std::array<double, msi::kModalities> modality_accuracy{};
  uint64_t steps = 0;                                   ///< network steps run
  double seconds = 0;                                   ///< wall time of the trials, summed over threads
  int steps_per_trial = 0;
  msi::Protocol protocol;                               ///< what ran (eval_protocol)

  double p_high(int modality, int rate) const {
    const uint32_t c = count[modality][rate];
    return c ? static_cast<double>(high[modality][rate]) / c : 0.0;
  }
};

/// A cumulative Gaussian P(high | f) = Phi((f - mu) / sigma) fitted to one modality's choices by
/// maximum likelihood (binomial), mu in [9, 16], sigma in [0.02, 20]. sigma measures the
/// discrimination threshold: smaller is better.
struct PsychometricFit {
  double mu = 0;
  double sigma = 0;
};
PsychometricFit fit_psychometric(const std::array<uint32_t, msi::kRates>& high,
                                 const std::array<uint32_t, msi::kRates>& count);

/// Optimal cue integration (docs/method.md, MSI task): 1 / sigma_va^2 = 1 / sigma_v^2 + 1 / sigma_a^2.
double optimal_sigma(double sigma_v, double sigma_a);

/// The protocol a run of `model` uses: the durations of cfg.protocol and its overrides at
/// cfg.dt_ms, met with the model by msi::with_model. Throws std::invalid_argument for a model
/// without an MSI task or invalid durations.
msi::Protocol eval_protocol(const ModelView& model, const EvalConfig& cfg);

/// Runs the MSI evaluation set (the protocol of eval_protocol) on a verified MSI model.
/// Any N up to the host limits (host_network.hpp). Throws std::invalid_argument for a model
/// without an MSI task, too large, or invalid options (one-line message).
EvalResult evaluate_msi(const ModelView& model, const EvalConfig& cfg);

/// Prints the psychometric table, accuracies and the per-step time.
void print_report(std::ostream& out, const EvalConfig& cfg, const EvalResult& r);

}  // namespace sasrnn::analysis
