// Fuzzing support: runs a verified model a few steps in every mode on every Network shape the
// tools and the firmware use, and stops the process (__builtin_trap, which libFuzzer and the
// replay test report as a crash) if the runtime breaks a promise: a step that returns Ok with a
// non-finite state or output, or SampledPerTrial giving other numbers with its trial cache than
// without it, or MeanField and MeanWeights with their moment cache (network.hpp promises bit for
// bit the same). A feedforward stack runs a few
// inferences in every mode on the host tools' stack and on the firmware's 784-100-100-10, which
// must agree bit for bit.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "sasrnn/analysis/ff_eval.hpp"
#include "sasrnn/analysis/host_network.hpp"
#include "sasrnn/feedforward/network.hpp"
#include "sasrnn/network.hpp"

namespace sasrnn::fuzz {

inline void require(bool ok) {
  if (!ok) __builtin_trap();
}

/// Steps of each run: enough to feed the state back through the recurrent layer twice.
constexpr int kSteps = 3;

/// The inputs of step t: MSI-like rates and MNIST-like pixels, the same for every model.
inline float input_value(int t, int j) { return 0.25f * static_cast<float>((t + j) % 5); }

/// Runs `net` (bound) kSteps steps from trial `trial`; returns false once a step reports an
/// error. Every Ok step must leave a finite state, rates and output. The outputs go to `trace`.
template <class Net>
bool run_steps(Net& net, uint32_t trial, std::vector<float>& trace) {
  net.reset(trial);
  std::vector<float> x(static_cast<size_t>(net.n_inputs()));
  for (int t = 0; t < kSteps; ++t) {
    for (int j = 0; j < net.n_inputs(); ++j) x[static_cast<size_t>(j)] = input_value(t, j);
    const Status s = net.step(x.data());
    if (s != Status::Ok) return false;
    for (int i = 0; i < net.n_units(); ++i) require(std::isfinite(net.state()[i]) && std::isfinite(net.rates()[i]));
    for (int k = 0; k < net.n_outputs(); ++k) {
      require(std::isfinite(net.output()[k]) && std::isfinite(net.z()[k]));
      trace.push_back(net.output()[k]);
    }
  }
  return true;
}

/// Every mode on `net` (which must fit the model); SampledPerTrial also with a trial cache,
/// MeanField and MeanWeights with a moment cache, which must give the same outputs bit for bit.
template <class Net>
void exercise(Net& net, const ModelView& model, std::vector<float>& cache) {
  const Mode modes[] = {Mode::MeanField, Mode::SampledPerStep, Mode::SampledPerTrial, Mode::MeanWeights};
  for (Mode mode : modes) {
    Options opt;
    opt.mode = mode;
    opt.seed = 7;
    net.use_trial_cache(nullptr, 0);
    net.use_moment_cache(nullptr, 0);
    if (net.bind(model, opt) != Status::Ok) continue;  // e.g. a trained alpha the options refuse
    std::vector<float> plain;
    const bool ok = run_steps(net, 1, plain);
    if (mode == Mode::SampledPerStep) continue;
    if (mode == Mode::SampledPerTrial) {
      cache.assign(net.trial_cache_floats(), 0.0f);
      require(net.use_trial_cache(cache.data(), cache.size()) == Status::Ok);
    } else {
      cache.assign(net.moment_cache_floats(), 0.0f);
      require(net.use_moment_cache(cache.data(), cache.size()) == Status::Ok);
    }
    require(net.bind(model, opt) == Status::Ok);
    std::vector<float> cached;
    const bool ok_cached = run_steps(net, 1, cached);
    require(ok == ok_cached && plain.size() == cached.size());
    require(plain.empty() || std::memcmp(plain.data(), cached.data(), plain.size() * sizeof(float)) == 0);
    net.use_trial_cache(nullptr, 0);
    net.use_moment_cache(nullptr, 0);
  }
}

/// The networks: the host tools' any-size network, and the fixed sizes of the firmware apps
/// (MSI N = 150, row MNIST N = 100) and of the CLI tests' model (N = 30), when the model has them.
inline void exercise_all(const ModelView& model) {
  static analysis::HostNetwork host;  // large (sized by the host limits): not on the stack
  static Network<150, 5, 2> msi150;
  static Network<100, 28, 10> mnist100;
  static Network<30, 5, 2> msi30;
  static std::vector<float> cache;
  if (model.n <= static_cast<uint32_t>(analysis::kHostMaxUnits) &&
      model.n_in <= static_cast<uint32_t>(analysis::kHostMaxInputs) &&
      model.n_out <= static_cast<uint32_t>(analysis::kHostMaxOutputs))
    exercise(host, model, cache);
  if (model.n == 150 && model.n_in == 5 && model.n_out == 2) exercise(msi150, model, cache);
  if (model.n == 100 && model.n_in == 28 && model.n_out == 10) exercise(mnist100, model, cache);
  if (model.n == 30 && model.n_in == 5 && model.n_out == 2) exercise(msi30, model, cache);
}

/// A verified feedforward stack: two inferences in every mode on the host tools' network and, for
/// a 784-100-100-10 stack, on the fixed one (bit for bit the same); an Ok inference has finite
/// outputs that sum to 1.
inline void exercise_stack(const ff::ModelView& model) {
  static auto host = std::make_unique<analysis::HostFfNetwork>();  // large: on the heap, once
  static auto fixed = std::make_unique<ff::Network<784, 100, 100, 10>>();
  const bool is_fixed = model.n_layers == 3 && model.n_in == 784 && model.width(1) == 100 &&
                        model.width(2) == 100 && model.n_out == 10;
  std::vector<float> x(model.n_in);
  for (uint32_t j = 0; j < model.n_in; ++j) x[j] = input_value(1, static_cast<int>(j));
  const Mode modes[] = {Mode::MeanField, Mode::SampledPerStep, Mode::SampledPerTrial, Mode::MeanWeights};
  for (Mode mode : modes) {
    Options opt;
    opt.mode = mode;
    opt.seed = 7;
    if (host->bind(model, opt) != Status::Ok) return;  // wider or deeper than the host tools run
    if (is_fixed) require(fixed->bind(model, opt) == Status::Ok);
    for (uint32_t k = 0; k < 2; ++k) {
      const Status s = host->infer(x.data(), k);
      if (is_fixed) require(fixed->infer(x.data(), k) == s);
      if (s != Status::Ok) continue;
      float sum = 0.0f;
      for (int c = 0; c < host->n_outputs(); ++c) {
        require(std::isfinite(host->z()[c]) && std::isfinite(host->output()[c]));
        sum += host->output()[c];
        if (is_fixed) require(std::memcmp(&host->z()[c], &fixed->z()[c], sizeof(float)) == 0);
      }
      require(std::fabs(sum - 1.0f) < 1e-3f);
    }
  }
}

}  // namespace sasrnn::fuzz
