// Rates along trials and their course per mode, SLI and selectivity, the concrete networks of
// SampledPerStep (activity.hpp).
#include "sasrnn/analysis/activity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "sasrnn/analysis/host_network.hpp"
#include "sasrnn/analysis/trials.hpp"
#include "sasrnn/rng.hpp"

namespace sasrnn::analysis {

Traces record_traces(const ModelView& model, const Options& opt, int trials, int steps, int stride,
                     const std::function<uint32_t(int)>& trial_index, const TrialInput& input,
                     int threads) {
  check_host_sizes(model);
  if (trials < 1 || steps < 1 || stride < 1 || stride > steps)
    throw std::invalid_argument("record_traces: bad trials, steps or stride");
  Traces tr;
  tr.trials = trials;
  tr.steps = steps / stride;
  tr.n = static_cast<int>(model.n);
  tr.rates.assign(static_cast<size_t>(tr.trials) * tr.steps * tr.n, 0.0f);
  tr.decision.assign(static_cast<size_t>(trials), 0);
  tr.status.assign(static_cast<size_t>(trials), Status::Ok);
  TrialSet set;  // steps refused are not reported (the rates stay those of the last step run)
  set.count = trials;
  set.steps = steps;
  set.index = trial_index;
  set.input = input;
  set.observe = [&](int k, int t, const float* r) {
    const int rec = (t + 1) / stride - 1;
    if ((t + 1) % stride != 0 || rec >= tr.steps) return;
    float* dst = &tr.rates[(static_cast<size_t>(k) * tr.steps + static_cast<size_t>(rec)) * tr.n];
    for (int i = 0; i < tr.n; ++i) dst[i] = r[i];
  };
  set.finish = [&](int k, Status s, const float*, int d) {
    tr.decision[static_cast<size_t>(k)] = d;
    tr.status[static_cast<size_t>(k)] = s;
  };
  run_trials(model, opt, set, threads);
  return tr;
}

std::vector<double> group_means(const Traces& tr, const std::vector<int>& group, int groups) {
  const size_t per = static_cast<size_t>(tr.steps) * tr.n;
  std::vector<double> sum(static_cast<size_t>(groups) * per, 0.0);
  std::vector<int> count(static_cast<size_t>(groups), 0);
  for (int k = 0; k < tr.trials; ++k) {  // in trial order: independent of the thread count
    const int g = group[static_cast<size_t>(k)];
    if (g < 0) continue;
    ++count[static_cast<size_t>(g)];
    double* dst = &sum[static_cast<size_t>(g) * per];
    const float* src = &tr.rates[static_cast<size_t>(k) * per];
    for (size_t q = 0; q < per; ++q) dst[q] += src[q];
  }
  for (int g = 0; g < groups; ++g)
    if (count[static_cast<size_t>(g)] > 0)
      for (size_t q = 0; q < per; ++q) sum[static_cast<size_t>(g) * per + q] /= count[static_cast<size_t>(g)];
  return sum;
}

RateCourse rate_course(const Traces& tr) {
  RateCourse c;
  std::vector<int> kept;
  for (int k = 0; k < tr.trials; ++k)
    if (tr.status.empty() || tr.status[static_cast<size_t>(k)] == Status::Ok) kept.push_back(k);
  c.stopped = tr.trials - static_cast<int>(kept.size());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> trial_mean(kept.size());
  for (int t = 0; t < tr.steps; ++t) {
    // the largest finite rate of every trial, the stopped ones' too (before they stopped)
    double top = nan;
    for (int k = 0; k < tr.trials; ++k)
      for (int i = 0; i < tr.n; ++i) {
        const double r = tr.at(k, t, i);
        if (std::isfinite(r) && !(r <= top)) top = r;
      }
    c.max.push_back(top);
    if (kept.empty()) {
      c.mean.push_back(nan);
      c.median.push_back(nan);
      continue;
    }
    double sum = 0;
    for (size_t q = 0; q < kept.size(); ++q) {  // in trial order: independent of the thread count
      double s = 0;
      for (int i = 0; i < tr.n; ++i) s += tr.at(kept[q], t, i);
      trial_mean[q] = s / tr.n;
      sum += s;
    }
    c.mean.push_back(sum / (static_cast<double>(kept.size()) * tr.n));
    std::sort(trial_mean.begin(), trial_mean.end());
    const size_t h = trial_mean.size() / 2;
    c.median.push_back(trial_mean.size() % 2 ? trial_mean[h] : 0.5 * (trial_mean[h - 1] + trial_mean[h]));
  }
  return c;
}

std::vector<double> sli_at(const std::vector<double>& means, const Traces& tr, int groups, int t) {
  std::vector<double> out(static_cast<size_t>(tr.n));
  std::vector<double> r(static_cast<size_t>(groups));
  const size_t per = static_cast<size_t>(tr.steps) * tr.n;
  for (int i = 0; i < tr.n; ++i) {
    for (int g = 0; g < groups; ++g)
      r[static_cast<size_t>(g)] = means[static_cast<size_t>(g) * per + static_cast<size_t>(t) * tr.n + i];
    out[static_cast<size_t>(i)] = sli(r);
  }
  return out;
}

double preference(double a, double b) { return a + b > 0 ? (a - b) / (a + b) : 0.0; }

std::vector<ConcreteStep> concrete_networks(const HostLayer& rec, uint64_t seed, uint32_t trial,
                                            int steps) {
  const int n = static_cast<int>(rec.rows);
  if (rec.rows != rec.cols) throw std::invalid_argument("concrete_networks: not a square layer");
  std::vector<ConcreteStep> out;
  std::vector<float> w(rec.size());
  for (int t = 0; t < steps; ++t) {
    const uint32_t step = static_cast<uint32_t>(t);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const size_t k = static_cast<size_t>(i) * n + j;
        // the spike as kernel::spike_moment_rows decides it (rng.hpp, SampledPerStep)
        const Block b = random_block(seed, spike_counter(static_cast<uint32_t>(i), static_cast<uint32_t>(j),
                                                         static_cast<uint32_t>(n), step, trial,
                                                         Stream::RecurrentSpike));
        if (uniform01(b.w[i & 3]) < rec.pi[k]) {
          w[k] = 0.0f;
          continue;
        }
        float v = rec.m[k];
        if (rec.xi[k] != 0.0f)
          v += std::sqrt(rec.xi[k]) *
               normal(seed, Counter{static_cast<uint32_t>(k), step, trial,
                                    static_cast<uint32_t>(Stream::RecurrentWeight)});
        w[k] = v;
      }
    out.push_back({t, zero_fraction(w, n), asymmetry_eta(w, n)});
  }
  return out;
}

}  // namespace sasrnn::analysis
