// The network every host tool runs models with: the runtime's NetworkUpTo at the largest sizes a
// host tool accepts, so that `sasrnn run`, `train`'s validation, `convert`'s accuracy gate, `bench`
// and the analyses run any model up to these sizes, bit for bit as Network<N, NIn, NOut> would;
// and its batched form BatchNetworkUpTo, which the evaluations (trials.hpp) use where it runs.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sasrnn/batch.hpp"
#include "sasrnn/model.hpp"
#include "sasrnn/network.hpp"

namespace sasrnn::analysis {

/// The documented limits of the host tools (the runtime itself has none: a firmware instantiates
/// Network<N, NIn, NOut> of its model's sizes). Per-step scratch grows with them (about 40 KB of
/// stack at these values).
constexpr int kHostMaxUnits = 1024;
constexpr int kHostMaxInputs = 1024;
constexpr int kHostMaxOutputs = 64;

using HostNetwork = NetworkUpTo<kHostMaxUnits, kHostMaxInputs, kHostMaxOutputs>;

/// Trials a host evaluation advances at once (B of BatchNetwork): 16 runs the most trial-steps
/// per second at N = 150 (docs/performance.md, sasrnn_batch_throughput).
constexpr int kHostBatch = 16;
/// HostNetwork for kHostBatch trials at once (MeanField and MeanWeights; with a moment cache also
/// sparse layers; its bind() refuses the rest). About 0.75 MB (sized by the host limits): on the
/// heap, one per worker.
using HostBatchNetwork = BatchNetworkUpTo<kHostMaxUnits, kHostMaxInputs, kHostMaxOutputs, kHostBatch>;

/// One evaluation worker's network: a HostNetwork bound to `model`, with its own trial cache in
/// SampledPerTrial (the trial's network drawn once per trial) and its own moment cache in
/// MeanField and MeanWeights (mu and var column by column, for dense and sparse models alike):
/// the same results, faster. Large (the network's state is sized by the host limits): keep it
/// on the heap, one per worker.
struct WorkerNetwork {
  HostNetwork net;
  std::vector<float> cache;
  WorkerNetwork(const ModelView& model, const Options& opt) {
    net.bind(model, opt);
    if (opt.mode == Mode::SampledPerTrial) {
      cache.resize(net.trial_cache_floats());
      net.use_trial_cache(cache.data(), cache.size());
    } else if (opt.mode == Mode::MeanField || opt.mode == Mode::MeanWeights) {
      cache.resize(net.moment_cache_floats());
      net.use_moment_cache(cache.data(), cache.size());
    }
  }
  WorkerNetwork(const WorkerNetwork&) = delete;
  WorkerNetwork& operator=(const WorkerNetwork&) = delete;
};

/// Throws std::runtime_error (one line, on the calling thread) if some trials or images of an
/// evaluation stopped because step() refused to go on: `failed[k]` is that Status, 0 if trial k
/// ran through (e.g. NonFiniteState: a run whose rates overflowed float). Never a silent result.
inline void throw_if_steps_failed(const std::vector<uint8_t>& failed, const char* what) {
  size_t count = 0, first = 0;
  for (size_t k = 0; k < failed.size(); ++k)
    if (failed[k] != 0 && count++ == 0) first = k;
  if (count == 0) return;
  const Status s = static_cast<Status>(failed[first]);
  throw std::runtime_error(std::to_string(count) + " of " + std::to_string(failed.size()) + " " + what +
                           " stopped: step() returned " + status_name(s) + " (" + status_message(s) +
                           "), the first at number " + std::to_string(first));
}

/// Throws std::invalid_argument (one line) if a model is larger than the host tools run.
inline void check_host_sizes(const ModelView& m) {
  if (m.n > static_cast<uint32_t>(kHostMaxUnits) || m.n_in > static_cast<uint32_t>(kHostMaxInputs) ||
      m.n_out > static_cast<uint32_t>(kHostMaxOutputs))
    throw std::invalid_argument(
        "the model has N=" + std::to_string(m.n) + " NIn=" + std::to_string(m.n_in) +
        " NOut=" + std::to_string(m.n_out) + "; the host tools run N <= " +
        std::to_string(kHostMaxUnits) + ", NIn <= " + std::to_string(kHostMaxInputs) + ", NOut <= " +
        std::to_string(kHostMaxOutputs));
}

}  // namespace sasrnn::analysis
