// sasrnn_batch_throughput MODEL MODE TRIALS: trial-steps per second of the MSI test protocol
// (Delta t = 20 ms, 90 steps a trial, input noise on) at the model's sizes, N = 150, 5 inputs,
// 2 outputs. On one thread: Network<150, 5, 2> one trial after the other (without and with its
// moment cache) against BatchNetwork (batch.hpp) with B = 8 and B = 16 trials at once (B = 16
// also with the moment cache). Then what the evaluations do (analysis::run_trials, trials.hpp, on
// every core): one trial at a time per thread, and batched (both with the moment cache).
// Each figure is the fastest of three rounds in which the variants take turns.
// MODE is mean-field, mean-weights or sampled-per-step (not batched yet: the batch lines are
// left out). Under valgrind --tool=callgrind --collect-atstart=no it also gives the
// instructions per trial-step of each single-thread variant (collection is switched on only
// around the steps; run it with one variant at a time: a fourth argument single, single-cache,
// batch8, batch16 or batch16-cache). Checks that every trial's final state (h, or y for the
// evaluations) is the same in all variants (exit 3 otherwise).
#include <valgrind/callgrind.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sasrnn/analysis/trials.hpp"
#include "sasrnn/batch.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/msi.hpp"
#include "sasrnn/network.hpp"

namespace {

using namespace sasrnn;
constexpr int kN = 150, kIn = 5, kOut = 2;

/// The inputs of every step of every trial: x[(trial * steps + t) * kIn + j].
struct Inputs {
  int trials = 0, steps = 0;
  std::vector<float> x;
  Inputs(const ModelView& view, int count) : trials(count) {
    const msi::Protocol p = msi::with_model(msi::Protocol::test(20.0f), view);
    for (int k = 0; k < count; ++k) {
      msi::Trial t = msi::evaluation_trial(static_cast<uint32_t>(k % 24), 1);
      t.index = static_cast<uint32_t>(k);
      const msi::Stimulus s(p, t);
      steps = s.steps();
      for (int i = 0; i < steps; ++i) {
        float xi[kIn];
        s.input(i, xi);
        x.insert(x.end(), xi, xi + kIn);
      }
    }
  }
  const float* at(int trial, int t) const {
    return x.data() + (static_cast<size_t>(trial) * static_cast<size_t>(steps) + static_cast<size_t>(t)) * kIn;
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Runs every trial in Network, one after the other; returns the seconds; h_out[trial * kN + i],
/// y_out[trial * kOut + k].
double run_single(const ModelView& view, const Options& opt, const Inputs& in, std::vector<float>& h_out,
                  std::vector<float>& y_out, bool cache = false) {
  using Net = Network<kN, kIn, kOut>;
  auto net = std::make_unique<Net>();
  std::vector<float> moments(cache ? Net::kMomentCacheFloats : 0);
  net->bind(view, opt);
  if (cache) net->use_moment_cache(moments.data(), moments.size());
  const auto t0 = std::chrono::steady_clock::now();
  CALLGRIND_ZERO_STATS;
  CALLGRIND_TOGGLE_COLLECT;
  for (int k = 0; k < in.trials; ++k) {
    net->reset(static_cast<uint32_t>(k));
    for (int t = 0; t < in.steps; ++t) net->step(in.at(k, t));
    for (int i = 0; i < kN; ++i) h_out[static_cast<size_t>(k) * kN + static_cast<size_t>(i)] = net->state()[i];
    for (int j = 0; j < kOut; ++j) y_out[static_cast<size_t>(k) * kOut + static_cast<size_t>(j)] = net->output()[j];
  }
  CALLGRIND_TOGGLE_COLLECT;
  return seconds_since(t0);
}

template <int B>
double run_batch(const ModelView& view, const Options& opt, const Inputs& in, std::vector<float>& h_out,
                 bool cache = false) {
  using Net = BatchNetwork<kN, kIn, kOut, B>;
  auto net = std::make_unique<Net>();
  std::vector<float> moments(cache ? Net::kMomentCacheFloats : 0);
  if (cache) net->use_moment_cache(moments.data(), moments.size());
  if (net->bind(view, opt) != Status::Ok) return -1.0;
  std::vector<float> x(static_cast<size_t>(B) * kIn);
  const auto t0 = std::chrono::steady_clock::now();
  CALLGRIND_ZERO_STATS;
  CALLGRIND_TOGGLE_COLLECT;
  for (int k0 = 0; k0 + B <= in.trials; k0 += B) {
    uint32_t trials[B];
    for (int b = 0; b < B; ++b) trials[b] = static_cast<uint32_t>(k0 + b);
    net->reset(trials);
    for (int t = 0; t < in.steps; ++t) {
      for (int b = 0; b < B; ++b) std::memcpy(&x[static_cast<size_t>(b) * kIn], in.at(k0 + b, t), sizeof(float) * kIn);
      net->step(x.data());
    }
    for (int b = 0; b < B; ++b)
      for (int i = 0; i < kN; ++i)
        h_out[static_cast<size_t>(k0 + b) * kN + static_cast<size_t>(i)] = net->state(b, i);
  }
  CALLGRIND_TOGGLE_COLLECT;
  return seconds_since(t0);
}

/// The evaluations' runner (analysis::run_trials) on `threads` threads, batched or not; returns
/// the wall-clock seconds; y_out[trial * kOut + k].
double run_evaluation(const ModelView& view, const Options& opt, const Inputs& in, int threads, bool batch,
                      std::vector<float>& y_out) {
  analysis::TrialSet set;
  set.count = in.trials;
  set.steps = in.steps;
  set.input = [&](int k, int t, float* x) { std::memcpy(x, in.at(k, t), sizeof(float) * kIn); };
  set.finish = [&](int k, Status, const float* y, int) {
    std::memcpy(&y_out[static_cast<size_t>(k) * kOut], y, sizeof(float) * kOut);
  };
  const auto t0 = std::chrono::steady_clock::now();
  analysis::run_trials(view, opt, set, threads, batch);
  return seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: sasrnn_batch_throughput MODEL mean-field|mean-weights|sampled-per-step TRIALS [single|single-cache|batch8|batch16|batch16-cache]\n");
    return 2;
  }
  try {
    const conv::AlignedBuffer buf = conv::read_file(argv[1]);
    ModelView view;
    const Status st = load<kN, kIn, kOut>(buf.data(), buf.size(), view);
    if (st != Status::Ok) {
      std::fprintf(stderr, "sasrnn_batch_throughput: %s\n", status_message(st));
      return 1;
    }
    Options opt;
    const std::string mode = argv[2];
    if (mode == "mean-field") opt.mode = Mode::MeanField;
    else if (mode == "mean-weights") opt.mode = Mode::MeanWeights;
    else if (mode == "sampled-per-step") opt.mode = Mode::SampledPerStep;
    else {
      std::fprintf(stderr, "sasrnn_batch_throughput: unknown mode '%s'\n", argv[2]);
      return 2;
    }
    opt.seed = 7;
    const int trials = std::stoi(argv[3]) / 16 * 16;
    if (trials < 16) {
      std::fprintf(stderr, "sasrnn_batch_throughput: TRIALS must be at least 16\n");
      return 2;
    }
    const std::string only = argc == 5 ? argv[4] : "";
    const Inputs in(view, trials);
    const double trial_steps = static_cast<double>(trials) * in.steps;
    const size_t hs = static_cast<size_t>(trials) * kN, ys = static_cast<size_t>(trials) * kOut;
    std::vector<float> h1(hs), hc(hs), h8(hs), h16(hs), h16c(hs), y1(ys), yc(ys), ye1(ys), yeb(ys);
    const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::printf("%s, %d trials of %d steps, N = %d, %s kernels\n", mode.c_str(), trials, in.steps, kN,
                kernel::kBackendName);
    if (!only.empty()) {  // one variant, once (callgrind)
      if (only == "single") run_single(view, opt, in, h1, y1);
      if (only == "single-cache") run_single(view, opt, in, hc, yc, true);
      if (only == "batch8") run_batch<8>(view, opt, in, h8);
      if (only == "batch16") run_batch<16>(view, opt, in, h16);
      if (only == "batch16-cache") run_batch<16>(view, opt, in, h16c, true);
      return 0;
    }
    // The fastest of kRounds rounds, the variants taking turns: on a shared machine the fastest
    // round is the one least disturbed by other processes.
    constexpr int kRounds = 3;
    double s1 = 1e300, sc = 1e300, s8 = 1e300, s16 = 1e300, s16c = 1e300, se1 = 1e300, seb = 1e300;
    const bool moments = opt.mode == Mode::MeanField || opt.mode == Mode::MeanWeights;
    for (int round = 0; round < kRounds; ++round) {
      s1 = std::min(s1, run_single(view, opt, in, h1, y1));
      if (moments) sc = std::min(sc, run_single(view, opt, in, hc, yc, true));
      s8 = std::min(s8, run_batch<8>(view, opt, in, h8));  // -1: the batch does not run the mode
      s16 = std::min(s16, run_batch<16>(view, opt, in, h16));
      if (s16 > 0) s16c = std::min(s16c, run_batch<16>(view, opt, in, h16c, true));
      se1 = std::min(se1, run_evaluation(view, opt, in, threads, false, ye1));
      if (s16 > 0) seb = std::min(seb, run_evaluation(view, opt, in, threads, true, yeb));
    }
    const bool batched = s16 > 0;
    std::printf("single    %10.0f trial-steps/s  1 thread\n", trial_steps / s1);
    if (moments)
      std::printf("single, moment cache  %10.0f trial-steps/s  1 thread   %.2fx\n", trial_steps / sc,
                  s1 / sc);
    if (batched) {
      std::printf("batch 8   %10.0f trial-steps/s  1 thread   %.2fx\n", trial_steps / s8, s1 / s8);
      std::printf("batch 16  %10.0f trial-steps/s  1 thread   %.2fx\n", trial_steps / s16, s1 / s16);
      std::printf("batch 16, moment cache  %10.0f trial-steps/s  1 thread   %.2fx\n",
                  trial_steps / s16c, s1 / s16c);
    }
    std::printf("evaluation single   %10.0f trial-steps/s  %d threads  %.2fx\n", trial_steps / se1, threads,
                s1 / se1);
    if (batched)
      std::printf("evaluation batched  %10.0f trial-steps/s  %d threads  %.2fx\n", trial_steps / seb, threads,
                  s1 / seb);
    const size_t hb = sizeof(float) * hs, yb = sizeof(float) * ys;
    if (std::memcmp(y1.data(), ye1.data(), yb) != 0 ||
        (moments && (std::memcmp(h1.data(), hc.data(), hb) != 0 || std::memcmp(y1.data(), yc.data(), yb) != 0)) ||
        (batched && (std::memcmp(h1.data(), h8.data(), hb) != 0 || std::memcmp(h1.data(), h16.data(), hb) != 0 ||
                     std::memcmp(h1.data(), h16c.data(), hb) != 0 ||
                     std::memcmp(y1.data(), yeb.data(), yb) != 0))) {
      std::fprintf(stderr, "sasrnn_batch_throughput: a batched trial differs from its single run\n");
      return 3;
    }
    std::printf("every trial's final h and y bit for bit equal in every variant\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sasrnn_batch_throughput: %s\n", e.what());
    return 1;
  }
}
