// Multisensory integration (MSI) task stimuli: one definition for the runtime and the trainer.
//
// docs/method.md (MSI task) / paper Sec. III B, Fig. 10 (after Song, Yang & Wang 2016):
//   inputs   0 visual+, 1 auditory+, 2 visual-, 3 auditory-, 4 start cue
//   stimulus positively tuned 0.4 + 0.8 (f - 9) / 7, negatively tuned 0.4 + 0.8 (16 - f) / 7,
//            on the channels of the trial's modality, during the stimulus epoch only
//   cue      1 during stimulus and decision epochs
//   every input: + baseline x0 + sqrt(2 sigma_in^2 / alpha) xi, xi ~ N(0,1) per step (paper eq. 2)
//   outputs  0 = high choice, 1 = low choice; targets hi / lo; catch trials: no stimulus, all lo.
// No heap; the noise is a pure function of (seed, trial index, step, input) via rng.hpp.
#pragma once

#include <cstdint>

#include "sasrnn/dynamics.hpp"
#include "sasrnn/model.hpp"
#include "sasrnn/rng.hpp"

namespace sasrnn::msi {

constexpr int kInputs = 5;
constexpr int kOutputs = 2;
constexpr int kRates = 8;          ///< event rates 9..16
constexpr int kModalities = 3;     ///< visual, auditory, both
constexpr int kConditions = kModalities * kRates;

enum Channel : int { VisualPos = 0, AuditoryPos = 1, VisualNeg = 2, AuditoryNeg = 3, StartCue = 4 };
enum Output : int { High = 0, Low = 1 };

enum class Modality : uint8_t { Visual = 0, Auditory = 1, Both = 2, Catch = 3 };

inline const char* modality_name(Modality m) {
  switch (m) {
    case Modality::Visual: return "visual";
    case Modality::Auditory: return "auditory";
    case Modality::Both: return "both";
    case Modality::Catch: return "catch";
  }
  return "unknown";
}

/// Event rate of rate index k (0..7): 9..16 events per second.
constexpr float rate_of(int k) { return 9.0f + static_cast<float>(k); }

/// Amplitude of a positively tuned input at event rate f.
constexpr float amplitude_pos(float f) { return 0.4f + 0.8f * (f - 9.0f) / 7.0f; }
/// Amplitude of a negatively tuned input at event rate f.
constexpr float amplitude_neg(float f) { return 0.4f + 0.8f * (16.0f - f) / 7.0f; }

/// Timing, noise and targets of a set of trials.
struct Protocol {
  float fixation_ms = 500.0f;
  float stimulus_ms = 1000.0f;
  float decision_ms = 300.0f;
  float trial_ms = 0.0f;     ///< total length when padded after the decision (0: no padding)
  float dt_ms = 20.0f;
  float tau_ms = 100.0f;
  float baseline = 0.2f;     ///< x0
  float sigma_in = 0.01f;    ///< input noise strength (paper eq. 2)
  bool input_noise = true;
  float boundary = 12.5f;
  float target_hi = 1.0f;
  float target_lo = 0.2f;
  uint64_t seed = 0;
  float model_dt_ms = 0.0f;  ///< the model's step, set by with_model() (0: no model)
  float model_alpha = 0.0f;  ///< the model's stored alpha, set by with_model() (0: no model)

  /// The leak factor dt / tau of this protocol's runs: a model's stored alpha when the run's step
  /// is the model's (load() has checked it against dt_ms / tau_ms, kAlphaTolerance; the stored
  /// value is the one that runs), else dt_ms / tau_ms (a test at another step, e.g. 0.5 ms).
  float alpha() const {
    return model_alpha > 0.0f && dt_ms == model_dt_ms ? model_alpha : dt_ms / tau_ms;
  }

  /// The paper's training protocol (Fig. 10): 300/900/400 ms at dt = 20 ms.
  static Protocol training() {
    Protocol p;
    p.fixation_ms = 300.0f;
    p.stimulus_ms = 900.0f;
    p.decision_ms = 400.0f;
    return p;
  }
  /// The authors' reference implementation's training protocol: 100/1000/300 ms padded to
  /// 2500 ms (125 steps at dt = 20 ms); the padding is not in the loss, except in catch trials.
  /// The project's one default for training: the trainer trains with it and it is what the
  /// trainer and the converter (conv::apply_msi_task) write into a model's MSI task fields.
  /// `sasrnn run` uses test() unless asked for the model's durations (--protocol model).
  static Protocol reference_training() {
    Protocol p;
    p.fixation_ms = 100.0f;
    p.stimulus_ms = 1000.0f;
    p.decision_ms = 300.0f;
    p.trial_ms = 2500.0f;
    return p;
  }
  /// The paper's test protocol: 500/1000/300 ms at a given dt (20 ms or 0.5 ms).
  static Protocol test(float dt_ms) {
    Protocol p;
    p.dt_ms = dt_ms;
    return p;
  }
};

/// `timing` (e.g. Protocol::test(dt)) run on `model`: its tau (and stored alpha, for runs at its
/// step: Protocol::alpha()), baseline x0 and input noise
/// sigma_in (paper eq. 2) and, for an MSI model, its decision boundary and targets. The one place
/// where a protocol meets a model (every app and tool calls this); seed and input_noise are kept.
inline Protocol with_model(Protocol timing, const ModelView& model) {
  timing.tau_ms = model.dynamics.tau_ms;
  timing.model_dt_ms = model.dynamics.dt_ms;
  timing.model_alpha = model.dynamics.alpha;
  timing.baseline = model.dynamics.baseline;
  timing.sigma_in = model.dynamics.sigma_in;
  if (model.task == TaskKind::MSI) {
    timing.boundary = model.msi.boundary;
    timing.target_hi = model.msi.target_hi;
    timing.target_lo = model.msi.target_lo;
  }
  return timing;
}

/// Number of steps of an epoch lasting `ms` at step `dt_ms` (rounded to nearest).
// NOLINTNEXTLINE(bugprone-incorrect-roundings): ms / dt_ms > 0, and every step count depends on it
inline int epoch_steps(float ms, float dt_ms) { return static_cast<int>(ms / dt_ms + 0.5f); }

struct Trial {
  Modality modality = Modality::Both;
  float rate = 12.0f;     ///< event rate f
  uint32_t index = 0;     ///< trial number: keys the input noise
};

/// The correct choice of a trial (catch trials have none; they return Low).
inline int correct_choice(const Trial& t, float boundary) {
  return (t.modality != Modality::Catch && t.rate > boundary) ? High : Low;
}

enum class Epoch : uint8_t { Fixation, Stimulus, Decision, Padding };

/// One trial's inputs and targets, step by step. Step t (0-based) is the network's t-th step:
/// its input is x(t+1) of paper eq. 1b and its output y(t+1) is compared with target(t).
class Stimulus {
 public:
  Stimulus(const Protocol& p, const Trial& trial)
      : p_(p),
        trial_(trial),
        n_fix_(epoch_steps(p.fixation_ms, p.dt_ms)),
        n_stim_(epoch_steps(p.stimulus_ms, p.dt_ms)),
        n_dec_(epoch_steps(p.decision_ms, p.dt_ms)),
        n_total_(epoch_steps(p.trial_ms, p.dt_ms) > n_fix_ + n_stim_ + n_dec_
                     ? epoch_steps(p.trial_ms, p.dt_ms)
                     : n_fix_ + n_stim_ + n_dec_),
        noise_scale_(p.input_noise ? dyn::input_noise_scale(p.alpha(), p.sigma_in) : 0.0f) {}

  int steps() const { return n_total_; }
  int fixation_steps() const { return n_fix_; }
  int stimulus_steps() const { return n_stim_; }
  int decision_steps() const { return n_dec_; }
  const Trial& trial() const { return trial_; }
  float noise_scale() const { return noise_scale_; }

  Epoch epoch(int t) const {
    if (t < n_fix_) return Epoch::Fixation;
    if (t < n_fix_ + n_stim_) return Epoch::Stimulus;
    if (t < n_fix_ + n_stim_ + n_dec_) return Epoch::Decision;
    return Epoch::Padding;
  }

  /// The noiseless task input x_task(t) (without baseline), kInputs values.
  void task_input(int t, float* x) const {
    for (int j = 0; j < kInputs; ++j) x[j] = 0.0f;
    const Epoch e = epoch(t);
    if (trial_.modality == Modality::Catch) return;
    x[StartCue] = (e == Epoch::Stimulus || e == Epoch::Decision) ? 1.0f : 0.0f;
    if (e != Epoch::Stimulus) return;
    const float pos = amplitude_pos(trial_.rate), neg = amplitude_neg(trial_.rate);
    if (trial_.modality != Modality::Auditory) {
      x[VisualPos] = pos;
      x[VisualNeg] = neg;
    }
    if (trial_.modality != Modality::Visual) {
      x[AuditoryPos] = pos;
      x[AuditoryNeg] = neg;
    }
  }

  /// The full input of paper eq. 2: x0 + x_task + sqrt(2 sigma_in^2 / alpha) xi.
  void input(int t, float* x) const {
    task_input(t, x);
    for (int j = 0; j < kInputs; ++j) {
      float v = p_.baseline + x[j];
      if (noise_scale_ > 0.0f)
        v += noise_scale_ * normal(p_.seed, Counter{static_cast<uint32_t>(j), static_cast<uint32_t>(t),
                                                    trial_.index,
                                                    static_cast<uint32_t>(Stream::InputNoise)});
      x[j] = v;
    }
  }

  /// Targets and loss mask for step t: fixation both lo (mask 1); stimulus mask 0;
  /// decision the correct unit hi and the other lo (mask 1); padding mask 0;
  /// catch trials all lo, mask 1 throughout.
  void target(int t, float* y, float* mask) const {
    const Epoch e = epoch(t);
    y[High] = p_.target_lo;
    y[Low] = p_.target_lo;
    const bool counted =
        trial_.modality == Modality::Catch || e == Epoch::Fixation || e == Epoch::Decision;
    mask[High] = mask[Low] = counted ? 1.0f : 0.0f;
    if (trial_.modality != Modality::Catch && e == Epoch::Decision)
      y[correct_choice(trial_, p_.boundary)] = p_.target_hi;
  }

 private:
  Protocol p_;
  Trial trial_;
  int n_fix_, n_stim_, n_dec_, n_total_;
  float noise_scale_;
};

/// Input wiring (docs/method.md): with G = N / 3, units [0, G) receive auditory inputs only,
/// [G, 2G) visual only, [2G, N) no sensory input; every unit receives the start cue.
inline bool input_connected(int unit, int channel, int n) {
  if (channel == StartCue) return true;
  const int g = n / 3;
  const bool auditory = channel == AuditoryPos || channel == AuditoryNeg;
  if (unit < g) return auditory;
  if (unit < 2 * g) return !auditory;
  return false;
}

/// The standard evaluation set: kModalities x kRates conditions x `reps` repetitions.
/// Trial k is condition k / reps (modality-major, then rate), repetition k % reps.
inline Trial evaluation_trial(uint32_t k, uint32_t reps) {
  const uint32_t condition = k / reps;
  Trial t;
  t.modality = static_cast<Modality>(condition / kRates);
  t.rate = rate_of(static_cast<int>(condition % kRates));
  t.index = k;
  return t;
}

inline uint32_t evaluation_size(uint32_t reps) { return static_cast<uint32_t>(kConditions) * reps; }

}  // namespace sasrnn::msi
