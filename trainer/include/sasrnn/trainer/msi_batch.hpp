// MSI training batches from the runtime's stimulus code (runtime/include/sasrnn/msi.hpp): the
// trainer and the runtime share one definition of the task.
#pragma once

#include <cstdint>

#include "sasrnn/msi.hpp"
#include "sasrnn/rng.hpp"
#include "sasrnn/trainer/mean_field.hpp"

namespace sasrnn::train {

struct MsiTaskConfig {
  /// The authors' training trials by default: 100/1000/300 ms padded to 2500 ms.
  msi::Protocol protocol = msi::Protocol::reference_training();
  double catch_fraction = 0.2;  ///< share of catch trials (no stimulus, no cue, all targets lo)
  /// Balanced batches (the authors'): every batch holds the 24 conditions in order, repeated to
  /// fill it, and round(batch * catch_fraction) catch trials at its end. Otherwise each trial's
  /// condition is drawn at random.
  bool balanced = true;
};

/// The condition of training trial `index` of the stream (batch b holds trials
/// [b * batch, (b + 1) * batch)): a pure function of (task, seed, index, batch).
msi::Trial draw_training_trial(const MsiTaskConfig& task, uint64_t seed, uint32_t index, int batch);

/// Trials [first, first + count) of the training stream as a batch (x, targets, mask).
template <class T>
Batch<T> make_msi_batch(const MsiTaskConfig& task, uint64_t seed, uint32_t first, int count,
                        int batch);

/// Standard normals (times `scale`) for rows x (steps * count) entries: entry (i, s * count + b)
/// is a pure function of (key, stream, trial first + b, step s, row i); four per Philox block
/// (one ziggurat attempt per 32-bit word, finished exactly where the fast path rejects).
/// Steps before `from_step` are set to 0 instead (values no one reads); the others are the same
/// numbers whatever `from_step` is.
template <class T>
void fill_normals(uint64_t key, Stream stream, uint32_t first, int steps, int count, T scale,
                  Mat<T>& out, int from_step = 0);

/// Quenched noise for those trials: eps^u, eps^out (N(0,1)) and the recurrent noise already
/// scaled by sqrt(2 alpha sigma^2); a pure function of (seed, trial index, step, unit).
/// eps^out only from step `output_from_step` on (0 before it): a loss at the last step only
/// (MNIST) reads no other. `eps` false: eps^u and eps^out are all 0 instead, for a network
/// without variance (mean_field.hpp, has_variance(): every Delta is 0, so eps Delta is 0 whatever
/// eps is; e.g. the plain-BPTT baseline).
template <class T>
Noise<T> make_noise(uint64_t seed, uint32_t first, int count, int steps, int n, int n_out,
                    double noise_scale, int output_from_step = 0, bool eps = true);

}  // namespace sasrnn::train
