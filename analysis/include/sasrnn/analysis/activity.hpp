// What the network does along a trial: the firing rates of every unit at every step (recorded with
// the runtime on both cores), their means per stimulus class, the selectivity index SLI of every
// unit (paper eq. 15, Fig. 8), the MSI choice and modality selectivity (Fig. 15), and the concrete
// networks that SampledPerStep draws along a trial: fraction of zero weights and asymmetry eta per
// step (Fig. 9, 18), and the course of the rates in any mode (how far a concrete network drawn once
// per trial strays from the mean-field network). Used by `sasrnn analyze`.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "sasrnn/analysis/ensemble.hpp"
#include "sasrnn/network.hpp"

namespace sasrnn::analysis {

/// Rates r_i(t) of `trials` trials at the recorded steps, and each trial's decision.
struct Traces {
  int trials = 0, steps = 0, n = 0;  ///< steps: recorded steps per trial
  std::vector<float> rates;          ///< [trial][step][unit]
  std::vector<int> decision;         ///< argmax of the outputs at the last step
  std::vector<Status> status;        ///< Ok, or the first status a step of the trial returned
  float at(int k, int t, int i) const {
    return rates[(static_cast<size_t>(k) * steps + t) * n + i];
  }
};

/// The input of trial k at step t (NIn values) and the trial number the network is reset to.
using TrialInput = std::function<void(int k, int t, float* x)>;

/// Runs `trials` trials of `steps` steps with options `opt` (threads workers; the result does not
/// depend on them) and records the rates after every `stride`-th step (steps stride-1, 2 stride-1,
/// ...). Throws std::invalid_argument if the model cannot be run.
Traces record_traces(const ModelView& model, const Options& opt, int trials, int steps, int stride,
                     const std::function<uint32_t(int)>& trial_index, const TrialInput& input,
                     int threads);

/// Mean rate per group, step and unit: [g][t][i], groups given per trial (-1: left out). A group
/// without trials is all zero.
std::vector<double> group_means(const Traces& tr, const std::vector<int>& group, int groups);

/// The course of the rates along the trials of one mode: at each recorded step the mean rate over
/// the trials and units, the median over the trials of a trial's mean rate, and the largest finite
/// rate of any unit in any trial. Trials that stopped (a step returned a status other than Ok, e.g.
/// Status::NonFiniteState: the state overflowed) are counted in `stopped` and left out of the mean
/// and the median (NaN when no trial is left); the largest rate includes what they reached. A
/// concrete network that is unstable over a long sequence shows as growth here that the
/// mean-field network does not have (`sasrnn analyze`, docs/analysis.md).
struct RateCourse {
  std::vector<double> mean, median, max;  ///< per recorded step
  int stopped = 0;
};
RateCourse rate_course(const Traces& tr);

/// SLI (eq. 15) of every unit at recorded step t, the stimuli being the groups of `means`
/// (group_means with `groups` groups).
std::vector<double> sli_at(const std::vector<double>& means, const Traces& tr, int groups, int t);

/// (a - b) / (a + b) of two mean rates, 0 when both are 0: a preference index in [-1, 1].
double preference(double a, double b);

/// The recurrent concrete network of every step of one trial as SampledPerStep draws it: the
/// spike of connection (i, j) exactly as the runtime decides it (rng.hpp, spike_counter, stream
/// RecurrentSpike), a present connection's slab value m + sqrt(Xi) eps with eps =
/// normal(seed, {i N + j, t, trial, RecurrentWeight}) (the runtime sums the slabs of a row as one
/// Gaussian and never draws single values; this is one draw of them).
struct ConcreteStep {
  int step = 0;
  double zero_fraction = 0;  ///< of all N^2 weights
  double eta = 0;            ///< asymmetry_eta
};
std::vector<ConcreteStep> concrete_networks(const HostLayer& rec, uint64_t seed, uint32_t trial,
                                            int steps);

}  // namespace sasrnn::analysis
