// MSI training batches from the runtime's stimulus code (runtime/include/sasrnn/msi.hpp): the
// trainer and the runtime share one definition of the task.
#pragma once

#include <cstdint>

#include "sasrnn/msi.hpp"
#include "sasrnn/trainer/mean_field.hpp"

namespace sasrnn::train {

struct MsiTaskConfig {
  msi::Protocol protocol = msi::Protocol::training();
  double catch_fraction = 0.1;  ///< share of catch trials (no stimulus, no cue, all targets lo)
};

/// The condition of training trial `index` (a pure function of seed and index): catch with
/// probability catch_fraction, otherwise modality and event rate uniform.
msi::Trial draw_training_trial(const MsiTaskConfig& task, uint64_t seed, uint32_t index);

/// Trials [first, first + count) of the training stream as a batch (x, targets, mask).
template <class T>
Batch<T> make_msi_batch(const MsiTaskConfig& task, uint64_t seed, uint32_t first, int count);

/// Quenched noise for those trials: eps^u, eps^out (N(0,1)) and the recurrent noise already
/// scaled by sqrt(2 alpha sigma^2); a pure function of (seed, trial index, step, unit).
template <class T>
Noise<T> make_noise(uint64_t seed, uint32_t first, int count, int steps, int n, int n_out,
                    double noise_scale);

}  // namespace sasrnn::train
