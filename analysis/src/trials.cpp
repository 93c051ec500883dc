// Independent trials of a model on every worker, batched where the batch runs the model
// (trials.hpp).
#include "sasrnn/analysis/trials.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sasrnn/analysis/decoded_model.hpp"
#include "sasrnn/analysis/parallel.hpp"

namespace sasrnn::analysis {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

uint32_t trial_number(const TrialSet& set, int k) {
  return set.index ? set.index(k) : static_cast<uint32_t>(k);
}

/// Trial k alone in `net` (bound to the model and options).
void run_single(HostNetwork& net, const TrialSet& set, int k, std::vector<float>& x,
                std::vector<float>& y) {
  net.reset(trial_number(set, k));
  Status first = Status::Ok;
  for (int t = 0; t < set.steps; ++t) {
    set.input(k, t, x.data());
    const Status s = net.step(x.data());
    if (s != Status::Ok && first == Status::Ok) first = s;
    if (set.observe) set.observe(k, t, net.rates().data());
  }
  for (int j = 0; j < net.n_outputs(); ++j) y[static_cast<size_t>(j)] = net.output()[j];
  set.finish(k, first, y.data(), net.decide());
}

/// A batch network bound to the model with its moment cache in `cache`, or null if the batch does
/// not run the model (the sampled modes).
std::unique_ptr<HostBatchNetwork> bound_batch(const ModelView& model, const Options& opt,
                                              std::vector<float>& cache) {
  auto net = std::make_unique<HostBatchNetwork>();  // large: on the heap, not the stack
  cache.resize(HostBatchNetwork::moment_cache_floats(static_cast<int>(model.n),
                                                     static_cast<int>(model.n_in),
                                                     static_cast<int>(model.n_out)));
  if (net->use_moment_cache(cache.data(), cache.size()) != Status::Ok) {
    cache.clear();  // a build without the cache: the batch reads the layers' rows
    net->use_moment_cache(nullptr, 0);
  }
  if (net->bind(model, opt) != Status::Ok) return nullptr;
  return net;
}

/// One worker: the batch network if it runs the model, the single one when needed.
struct Worker {
  const ModelView& model;
  const Options& opt;
  std::unique_ptr<HostBatchNetwork> batch;
  std::vector<float> batch_cache;  ///< the batch's moment cache
  std::unique_ptr<WorkerNetwork> single;
  std::vector<float> x, y, r;

  Worker(const ModelView& m, const Options& o, bool batched) : model(m), opt(o) {
    if (batched) batch = bound_batch(model, opt, batch_cache);
    x.resize(static_cast<size_t>(model.n_in) * kHostBatch);
    y.resize(model.n_out);
    r.resize(model.n);
  }

  HostNetwork& one() {
    if (!single) single = std::make_unique<WorkerNetwork>(model, opt);
    return single->net;
  }

  /// Trials [k0, k0 + m) in the lanes of the batch; lanes m .. B-1 repeat trial k0 + m - 1 and
  /// are not reported. If a step is refused, the m trials run again one at a time, so that each
  /// gets its own status and results.
  void run_batch(const TrialSet& set, int k0, int m) {
    constexpr int B = kHostBatch;
    const size_t n_in = model.n_in;
    uint32_t trials[B];
    for (int b = 0; b < B; ++b) trials[b] = trial_number(set, k0 + std::min(b, m - 1));
    batch->reset(trials);
    for (int t = 0; t < set.steps; ++t) {
      for (int b = 0; b < m; ++b) set.input(k0 + b, t, &x[static_cast<size_t>(b) * n_in]);
      for (int b = m; b < B; ++b)
        std::memcpy(&x[static_cast<size_t>(b) * n_in], &x[static_cast<size_t>(m - 1) * n_in],
                    n_in * sizeof(float));
      if (batch->step(x.data()) != Status::Ok) {
        for (int b = 0; b < m; ++b) run_single(one(), set, k0 + b, x, y);
        return;
      }
      if (set.observe)
        for (int b = 0; b < m; ++b) {
          for (int i = 0; i < batch->n_units(); ++i) r[static_cast<size_t>(i)] = batch->rate(b, i);
          set.observe(k0 + b, t, r.data());
        }
    }
    for (int b = 0; b < m; ++b) {
      for (int j = 0; j < batch->n_outputs(); ++j) y[static_cast<size_t>(j)] = batch->output(b, j);
      set.finish(k0 + b, Status::Ok, y.data(), batch->decide(b));
    }
  }
};

}  // namespace

TrialsRun run_trials(const ModelView& stored, const Options& opt, const TrialSet& set, int threads,
                     bool batch, const std::function<void(int, int)>& progress) {
  // a compact model's sparse layers decoded once: the same network at the dense kernels' speed
  const DecodedModel decoded(stored);
  const ModelView& model = decoded.view();
  {
    float alpha = 0.0f;
    const Status s = HostNetwork::check(model, opt, alpha);
    if (s != Status::Ok)
      throw std::invalid_argument(std::string("cannot run the model: ") + status_message(s));
  }
  TrialsRun run;
  if (set.count <= 0) return run;
  if (batch) {  // the model is dense (decoded): the batch binds it with or without its cache
    auto probe = std::make_unique<HostBatchNetwork>();  // large: on the heap, not the stack
    run.batched = probe->bind(model, opt) == Status::Ok;
  }
  const int per = run.batched ? kHostBatch : 1;  // trials per unit of work
  const int units = (set.count + per - 1) / per;
  const int workers = std::max(1, std::min(threads, units));
  std::vector<double> seconds(static_cast<size_t>(workers), 0.0);
  std::function<void(int, int)> report;
  if (progress)
    report = [&](int done, int) { progress(std::min(done * per, set.count), set.count); };
  for_each_trial(units, workers, [&](int w) {
    auto worker = std::make_shared<Worker>(model, opt, run.batched);
    return [&, w, worker](int u) {
      const auto t0 = std::chrono::steady_clock::now();
      if (run.batched)
        worker->run_batch(set, u * per, std::min(per, set.count - u * per));
      else
        run_single(worker->one(), set, u, worker->x, worker->y);
      seconds[static_cast<size_t>(w)] += seconds_since(t0);
    };
  }, report);
  for (double s : seconds) run.seconds += s;
  return run;
}

}  // namespace sasrnn::analysis
