#include "sasrnn/bench/latency.hpp"

#include <valgrind/callgrind.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <iomanip>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "sasrnn/analysis/host_network.hpp"
#include "sasrnn/analysis/mnist_data.hpp"
#include "sasrnn/msi.hpp"
#include "sasrnn/network.hpp"

namespace sasrnn::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kIn = 5, kOut = 2;  // the MSI sizes, compiled as Network<N, 5, 2>

bool is_mnist(const ModelView& v) {
  return v.task == TaskKind::SeqMNISTRow || v.task == TaskKind::SeqMNISTPixel;
}

/// Inputs of a pool of 48 trials of the model's task: MSI test trials (24 conditions, 2
/// repetitions, input noise on), or the first 48 MNIST test images as sequences.
struct InputPool {
  int steps_per_trial = 0;
  int trials = 48;
  int n_in = 0;
  std::vector<float> x;  // trial-major, step, n_in values
  InputPool(const ModelView& view, uint64_t seed) : n_in(static_cast<int>(view.n_in)) {
    if (is_mnist(view)) {
      const analysis::MnistSequence seq = view.task == TaskKind::SeqMNISTRow
                                              ? analysis::MnistSequence::Row
                                              : analysis::MnistSequence::Pixel;
      const analysis::MnistSet set =
          analysis::load_mnist(analysis::default_mnist_dir(), analysis::MnistSplit::Test);
      steps_per_trial = analysis::sequence_steps(seq);
      resize();
      for (int k = 0; k < trials; ++k)
        for (int st = 0; st < steps_per_trial; ++st)
          analysis::sequence_input(seq, set.image(k), st, at(k, st));
      return;
    }
    if (view.n_in != kIn || view.n_out != kOut)
      throw std::invalid_argument("sasrnn bench runs MSI models (5 inputs, 2 outputs) and sequential-MNIST models");
    msi::Protocol p = msi::with_model(msi::Protocol::test(20.0f), view);
    p.seed = seed;
    steps_per_trial = msi::Stimulus(p, msi::Trial{}).steps();
    resize();
    for (int k = 0; k < trials; ++k) {
      msi::Trial t = msi::evaluation_trial(static_cast<uint32_t>(k), 2);
      t.index = static_cast<uint32_t>(k);
      const msi::Stimulus s(p, t);
      for (int st = 0; st < steps_per_trial; ++st) s.input(st, at(k, st));
    }
  }
  void resize() {
    x.resize(static_cast<size_t>(trials) * static_cast<size_t>(steps_per_trial) *
             static_cast<size_t>(n_in));
  }
  float* at(int trial, int step) {
    return x.data() + (static_cast<size_t>(trial) * static_cast<size_t>(steps_per_trial) +
                       static_cast<size_t>(step)) * static_cast<size_t>(n_in);
  }
};

/// One benchmarked variant: reset() starts trial k, step() advances one step with input x.
struct Variant {
  virtual ~Variant() = default;
  virtual void reset(uint32_t trial) = 0;
  virtual void step(const float* x) = 0;
  virtual float checksum() const = 0;
  virtual int active() const { return 0; }
};

/// A runtime network: Network<N, 5, 2> for the compiled MSI sizes (what a firmware runs), else
/// the host tools' any-size network (analysis::HostNetwork, the same results bit for bit).
template <class Net>
struct RuntimeVariant : Variant {
  Net net;
  RuntimeVariant(const ModelView& view, Mode mode, uint64_t seed) {
    Options o;
    o.mode = mode;
    o.seed = seed;
    o.recurrent_noise = true;
    if (net.bind(view, o) != Status::Ok) throw std::invalid_argument("cannot bind the model");
    if (mode == Mode::SampledPerTrial) {  // as a host user runs it: the trial network cached
      cache.resize(net.trial_cache_floats());
      (void)net.use_trial_cache(cache.data(), cache.size());
    }
    if (mode == Mode::MeanField || mode == Mode::MeanWeights) {  // and the moments
      cache.resize(net.moment_cache_floats());
      (void)net.use_moment_cache(cache.data(), cache.size());
    }
  }
  std::vector<float> cache;
  void reset(uint32_t trial) override { net.reset(trial); }
  void step(const float* x) override { (void)net.step(x); }
  float checksum() const override { return net.output()[0]; }
  int active() const override {
    int a = 0;
    for (int i = 0; i < net.n_units(); ++i) a += net.rates()[i] > 0.0f ? 1 : 0;
    return a;
  }
};

/// Deterministic RNN step with Eigen, w = mu: the floor every mode is compared with.
struct EigenFloor : Variant {
  Eigen::MatrixXf w, w_in, w_out;
  Eigen::VectorXf h, r, u, y;
  float alpha;
  explicit EigenFloor(const conv::ModelData& d) : alpha(d.dynamics.alpha) {
    auto mu = [](const conv::LayerData& l) {
      Eigen::MatrixXf a(l.rows, l.cols);
      for (uint32_t i = 0; i < l.rows; ++i)
        for (uint32_t j = 0; j < l.cols; ++j) {
          const size_t k = static_cast<size_t>(i) * l.cols + j;
          a(i, j) = (1.0f - l.pi[k]) * l.m[k];
        }
      return a;
    };
    w = mu(d.recurrent);
    w_in = mu(d.input);
    w_out = mu(d.output);
    h = r = u = Eigen::VectorXf::Zero(d.n);
    y = Eigen::VectorXf::Zero(d.n_out);
  }
  void reset(uint32_t) override { h.setZero(); r.setZero(); }
  void step(const float* x) override {
    u.noalias() = w * r;
    u.noalias() += w_in * Eigen::Map<const Eigen::VectorXf>(x, w_in.cols());
    h = (1.0f - alpha) * h + alpha * u;
    r = h.cwiseMax(0.0f);
    y.noalias() = w_out * r;
  }
  float checksum() const override { return y[0]; }
};

/// What a user writes first: a concrete network drawn per step with <random>, then Eigen.
struct NaiveSampler : Variant {
  const conv::ModelData& d;
  std::mt19937 gen;
  Eigen::MatrixXf w, w_in, w_out;
  Eigen::VectorXf h, r, y;
  float alpha, noise_scale;
  NaiveSampler(const conv::ModelData& model, uint64_t seed)
      : d(model), gen(static_cast<uint32_t>(seed)), alpha(model.dynamics.alpha),
        noise_scale(std::sqrt(2.0f * model.dynamics.alpha * model.dynamics.sigma_rec *
                              model.dynamics.sigma_rec)) {
    w.resize(d.n, d.n);
    w_in.resize(d.n, d.n_in);
    w_out.resize(d.n_out, d.n);
    h = r = Eigen::VectorXf::Zero(d.n);
    y = Eigen::VectorXf::Zero(d.n_out);
  }
  void sample(const conv::LayerData& l, Eigen::MatrixXf& a) {
    for (uint32_t i = 0; i < l.rows; ++i)
      for (uint32_t j = 0; j < l.cols; ++j) {
        const size_t k = static_cast<size_t>(i) * l.cols + j;
        std::bernoulli_distribution spike(l.pi[k]);
        if (spike(gen)) {
          a(i, j) = 0.0f;
        } else if (l.xi[k] > 0.0f) {
          std::normal_distribution<float> slab(l.m[k], std::sqrt(l.xi[k]));
          a(i, j) = slab(gen);
        } else {
          a(i, j) = l.m[k];
        }
      }
  }
  void reset(uint32_t) override { h.setZero(); r.setZero(); }
  void step(const float* x) override {
    sample(d.recurrent, w);
    sample(d.input, w_in);
    sample(d.output, w_out);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    const Eigen::VectorXf u = w * r + w_in * Eigen::Map<const Eigen::VectorXf>(x, w_in.cols());
    for (Eigen::Index i = 0; i < h.size(); ++i)
      h[i] = (1.0f - alpha) * h[i] + alpha * u[i] + noise_scale * noise(gen);
    r = h.cwiseMax(0.0f);
    y.noalias() = w_out * r;
  }
  float checksum() const override { return y[0]; }
};

template <int N>
std::unique_ptr<Variant> make_runtime(const ModelView& view, Mode mode, uint64_t seed) {
  return std::make_unique<RuntimeVariant<Network<N, kIn, kOut>>>(view, mode, seed);
}

std::unique_ptr<Variant> make_variant(const std::string& name, const conv::ModelData& d,
                                      const ModelView& view, uint64_t seed) {
  if (name == "eigen-floor") return std::make_unique<EigenFloor>(d);
  if (name == "naive-sampler") return std::make_unique<NaiveSampler>(d, seed);
  Mode mode;
  if (name == "mean-field") mode = Mode::MeanField;
  else if (name == "sampled-per-step") mode = Mode::SampledPerStep;
  else if (name == "sampled-per-trial") mode = Mode::SampledPerTrial;
  else if (name == "mean-weights") mode = Mode::MeanWeights;
  else throw std::invalid_argument("unknown variant '" + name + "'");
  if (d.n_in == kIn && d.n_out == kOut) {
    switch (d.n) {
#define SASRNN_BENCH_CASE(n) \
  case n: return make_runtime<n>(view, mode, seed);
      SASRNN_BENCH_SIZES(SASRNN_BENCH_CASE)
#undef SASRNN_BENCH_CASE
      default: break;
    }
  }
  analysis::check_host_sizes(view);
  return std::make_unique<RuntimeVariant<analysis::HostNetwork>>(view, mode, seed);
}

/// A variant running through the input pool trial after trial.
struct Runner {
  std::unique_ptr<Variant> v;
  InputPool* pool;
  int trial = 0, t = 0;
  double sink = 0;
  std::vector<double> ns;
  int64_t active_sum = 0;
  void advance() {
    if (t == pool->steps_per_trial) {
      t = 0;
      trial = (trial + 1) % pool->trials;
      v->reset(static_cast<uint32_t>(trial));
    }
  }
  void run(int steps, bool timed) {
    for (int s = 0; s < steps; ++s) {
      const auto t0 = Clock::now();  // a trial's first step includes its reset()
      advance();
      const float* x = pool->at(trial, t);
      v->step(x);
      const auto t1 = Clock::now();
      ++t;
      if (timed) {
        ns.push_back(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
        active_sum += v->active();
      }
      sink += static_cast<double>(v->checksum());
    }
  }
};

Stats summarise(const std::string& name, std::vector<double> ns) {
  Stats s;
  s.variant = name;
  s.steps = static_cast<int>(ns.size());
  if (ns.empty()) return s;
  std::sort(ns.begin(), ns.end());
  double sum = 0;
  for (double v : ns) sum += v;
  const size_t n = ns.size();
  s.min_us = ns.front() / 1e3;
  s.median_us = (n % 2 ? ns[n / 2] : 0.5 * (ns[n / 2 - 1] + ns[n / 2])) / 1e3;
  const size_t k99 = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(n))) - 1;
  s.p99_us = ns[std::min(k99, n - 1)] / 1e3;
  s.mean_us = sum / static_cast<double>(n) / 1e3;
  return s;
}

}  // namespace

const std::vector<std::string>& variant_names() {
  static const std::vector<std::string> names{"eigen-floor", "mean-field", "sampled-per-step",
                                              "sampled-per-trial", "mean-weights",
                                              "naive-sampler"};
  return names;
}

const Stats* SizeResult::find(const std::string& variant) const {
  for (const Stats& s : stats)
    if (s.variant == variant) return &s;
  return nullptr;
}

SizeResult run_size(const conv::ModelData& model, const std::string& origin, const Config& cfg) {
  if (cfg.steps < 1 || cfg.rounds < 1 || cfg.naive_steps < 0)
    throw std::invalid_argument("steps and rounds must be positive");
  const conv::AlignedBuffer buf = conv::build_model_file(model);
  ModelView view;
  const Status st = load(buf.data(), buf.size(), view);
  if (st != Status::Ok) throw std::invalid_argument(std::string("invalid model: ") + status_message(st));
  InputPool pool(view, cfg.seed);
  std::vector<Runner> runners;
  for (const std::string& name : variant_names()) {
    if (name == "naive-sampler" && cfg.naive_steps == 0) continue;
    Runner r;
    r.v = make_variant(name, model, view, cfg.seed);
    r.pool = &pool;
    r.v->reset(0);
    r.run(name == "naive-sampler" ? 5 : pool.steps_per_trial, false);  // warm-up
    runners.push_back(std::move(r));
  }
  for (int round = 0; round < cfg.rounds; ++round) {
    for (size_t k = 0; k < runners.size(); ++k) {
      const bool naive = runners[k].v && dynamic_cast<NaiveSampler*>(runners[k].v.get()) != nullptr;
      const int total = naive ? cfg.naive_steps : cfg.steps;
      const int chunk = total / cfg.rounds + (round < total % cfg.rounds ? 1 : 0);
      runners[k].run(chunk, true);
    }
    if (cfg.progress) cfg.progress(round + 1, cfg.rounds);
  }
  SizeResult res;
  res.n = model.n;
  res.model = origin;
  size_t k = 0;
  for (const std::string& name : variant_names()) {
    if (name == "naive-sampler" && cfg.naive_steps == 0) continue;
    Runner& r = runners[k++];
    res.stats.push_back(summarise(name, r.ns));
    if (name == "sampled-per-step" && !r.ns.empty())
      res.active_fraction = static_cast<double>(r.active_sum) /
                            (static_cast<double>(r.ns.size()) * static_cast<double>(model.n));
  }
  return res;
}

double run_steps(const conv::ModelData& model, const std::string& variant, int steps,
                 uint64_t seed) {
  const conv::AlignedBuffer buf = conv::build_model_file(model);
  ModelView view;
  if (load(buf.data(), buf.size(), view) != Status::Ok) throw std::invalid_argument("invalid model");
  InputPool pool(view, seed);
  Runner r;
  r.v = make_variant(variant, model, view, seed);
  r.pool = &pool;
  r.v->reset(0);
  r.run(variant == "naive-sampler" ? 5 : pool.steps_per_trial, false);  // warm-up, not counted
  CALLGRIND_ZERO_STATS;
  CALLGRIND_TOGGLE_COLLECT;
  r.run(steps, false);
  CALLGRIND_TOGGLE_COLLECT;
  return r.sink;
}

namespace {
struct PoolStepper : Stepper {
  conv::AlignedBuffer buf;
  ModelView view;
  std::unique_ptr<InputPool> pool;
  Runner r;
  void step() override { r.run(1, false); }
};
}  // namespace

std::unique_ptr<Stepper> make_stepper(const conv::ModelData& model, const std::string& variant,
                                      uint64_t seed) {
  auto s = std::make_unique<PoolStepper>();
  s->buf = conv::build_model_file(model);
  if (load(s->buf.data(), s->buf.size(), s->view) != Status::Ok)
    throw std::invalid_argument("invalid model");
  s->pool = std::make_unique<InputPool>(s->view, seed);
  s->r.v = make_variant(variant, model, s->view, seed);
  s->r.pool = s->pool.get();
  s->r.v->reset(0);
  return s;
}

double timer_overhead_ns() {
  std::vector<double> v;
  for (int k = 0; k < 10001; ++k) {
    const auto t0 = Clock::now();
    const auto t1 = Clock::now();
    v.push_back(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
  }
  std::nth_element(v.begin(), v.begin() + 5000, v.end());
  return v[5000];
}

void print_table(std::ostream& out, const SizeResult& r) {
  const Stats* floor = r.find("eigen-floor");
  out << "N=" << r.n << " (" << r.model << "; " << std::fixed << std::setprecision(1)
      << 100.0 * r.active_fraction << " % of units active)   per-step latency in us\n";
  out << "  " << std::left << std::setw(19) << "variant" << std::right << std::setw(10) << "min"
      << std::setw(10) << "median" << std::setw(10) << "p99" << std::setw(9) << "steps"
      << std::setw(16) << "median/floor\n";
  for (const Stats& s : r.stats) {
    out << "  " << std::left << std::setw(19) << s.variant << std::right << std::setprecision(2)
        << std::setw(10) << s.min_us << std::setw(10) << s.median_us << std::setw(10) << s.p99_us
        << std::setw(9) << s.steps;
    if (floor != nullptr && floor->median_us > 0)
      out << std::setw(14) << std::setprecision(2) << s.median_us / floor->median_us << "x";
    out << "\n";
  }
}

void write_json(std::ostream& out, const std::vector<SizeResult>& results, const Config& cfg,
                double timer_ns) {
  out << std::setprecision(6) << "{\n  \"unit\": \"microseconds per step\",\n"
      << "  \"protocol\": \"MSI test trials 500/1000/300 ms at dt 20 ms, recurrent and input noise on\",\n"
      << "  \"timer_overhead_ns\": " << timer_ns << ",\n  \"steps\": " << cfg.steps
      << ",\n  \"naive_steps\": " << cfg.naive_steps << ",\n  \"rounds\": " << cfg.rounds
      << ",\n  \"seed\": " << cfg.seed << ",\n  \"simd\": \"" << kernel::kBackendName
      << "\",\n  \"sizes\": [\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const SizeResult& r = results[i];
    out << "    {\"n\": " << r.n << ", \"model\": \"" << r.model
        << "\", \"active_fraction\": " << r.active_fraction << ", \"variants\": {\n";
    for (size_t k = 0; k < r.stats.size(); ++k) {
      const Stats& s = r.stats[k];
      out << "      \"" << s.variant << "\": {\"steps\": " << s.steps << ", \"min_us\": " << s.min_us
          << ", \"median_us\": " << s.median_us << ", \"p99_us\": " << s.p99_us
          << ", \"mean_us\": " << s.mean_us << "}" << (k + 1 < r.stats.size() ? "," : "") << "\n";
    }
    out << "    }}" << (i + 1 < results.size() ? "," : "") << "\n";
  }
  out << "  ]\n}\n";
}

void dump_model(const conv::ModelData& d, const std::string& dir) {
  // All files of one size are replaced together and atomically (conv::write_files, like every
  // other output of the tools): a failure or a kill leaves the old set, never a half-written file.
  const std::string base = dir + "/n" + std::to_string(d.n);
  std::vector<std::pair<std::string, std::string>> files;
  auto put = [&](const std::string& name, const std::vector<float>& v) {
    files.emplace_back(base + "_" + name + ".f32",
                       std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
  };
  const std::pair<const char*, const conv::LayerData*> layers[] = {
      {"input", &d.input}, {"recurrent", &d.recurrent}, {"output", &d.output}};
  for (const auto& [name, l] : layers) {
    put(std::string(name) + "_pi", l->pi);
    put(std::string(name) + "_m", l->m);
    put(std::string(name) + "_xi", l->xi);
  }
  std::ostringstream j;
  j << "{\"n\": " << d.n << ", \"n_in\": " << d.n_in << ", \"n_out\": " << d.n_out
    << ", \"alpha\": " << d.dynamics.alpha << ", \"sigma_rec\": " << d.dynamics.sigma_rec << "}\n";
  files.emplace_back(base + ".json", j.str());
  conv::write_files(files);
}

}  // namespace sasrnn::bench
