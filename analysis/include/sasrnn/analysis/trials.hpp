// The one place where the host tools run a set of independent trials of a model: the MSI and MNIST
// evaluations (so `sasrnn run`, the trainer's validation, `convert`'s accuracy gate and
// `sasrnn analyze`'s sweeps) and the recorded traces. Trials run on every worker of
// for_each_trial, kHostBatch at a time in HostBatchNetwork where it runs the model (MeanField and
// MeanWeights, with its moment cache: any encoding), else one at a time in HostNetwork
// (WorkerNetwork: a trial cache in SampledPerTrial). Either way every trial's results
// are bit for bit those of its own single run (BatchNetwork's contract), so nothing a caller sees
// depends on the batch or the thread count.
#pragma once

#include <cstdint>
#include <functional>

#include "sasrnn/analysis/host_network.hpp"

namespace sasrnn::analysis {

/// A set of trials, k = 0 .. count - 1, each of `steps` steps from h(0) = 0.
struct TrialSet {
  int count = 0;
  int steps = 0;
  /// The trial number of trial k (the counters of its draws); empty: k.
  std::function<uint32_t(int k)> index;
  /// Writes x(t+1) of trial k (NIn values) for its step t. Called from the workers at once: it
  /// must only read shared data.
  std::function<void(int k, int t, float* x)> input;
  /// Optional: called after step t of trial k with its rates r(t+1) (N values). May be called
  /// again for the same k and t with the same values (a batch in which some trial's step is
  /// refused runs its trials again one at a time).
  std::function<void(int k, int t, const float* rates)> observe;
  /// Called once at the end of trial k with the first non-Ok Status a step returned (Ok if none;
  /// a trial goes on to its last step either way, every step refused once its state went
  /// non-finite), its outputs y at the end (NOut values) and its decision (argmax of y).
  std::function<void(int k, Status status, const float* y, int decision)> finish;
};

/// How a set of trials ran.
struct TrialsRun {
  double seconds = 0;    ///< wall time spent in the trials, summed over workers
  bool batched = false;  ///< kHostBatch trials at a time (else one at a time)
};

/// Runs `set` on `threads` workers (for_each_trial; `progress` as there, in trials). With
/// `batch` false every trial runs alone (the same results: for tests and measurements). Throws
/// std::invalid_argument "cannot run the model: ..." if the model and options cannot be bound.
TrialsRun run_trials(const ModelView& model, const Options& opt, const TrialSet& set, int threads,
                     bool batch = true, const std::function<void(int, int)>& progress = {});

}  // namespace sasrnn::analysis
