// Per-step latency of the runtime's modes against baselines, used by `sasrnn bench` and the
// Google Benchmark binary. Every variant runs the model's task on the same model: the MSI test
// protocol (500/1000/300 ms at 20 ms steps, recurrent and input noise on) or MNIST test images
// as sequences; every step is timed on its own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "sasrnn/converter/model_file.hpp"

namespace sasrnn::bench {

/// MSI sizes (NIn = 5, NOut = 2) benchmarked with the fixed-size Network<N, 5, 2> a firmware
/// uses; every other model (any size, sequential MNIST) runs on the host tools' any-size network.
#define SASRNN_BENCH_SIZES(X) X(12) X(32) X(64) X(150) X(256)

/// The variants of one size: the runtime's four modes and two baselines.
/// "eigen-floor": a deterministic RNN step with Eigen (W r + W_in x, leaky ReLU, W_out r) with
/// w = mu; "naive-sampler": a fresh network per step drawn with std::mt19937,
/// std::bernoulli_distribution and std::normal_distribution per connection, then Eigen products.
const std::vector<std::string>& variant_names();

struct Config {
  int steps = 4000;         ///< timed steps per mode (and for the floor)
  int naive_steps = 200;    ///< timed steps of the naive sampler (about 1 ms each at N = 150)
  int rounds = 8;           ///< variants take turns in this many rounds (drift hits all alike)
  uint64_t seed = 1;
  /// Called after each round with (rounds done, rounds), outside the timed steps (may be empty).
  std::function<void(int, int)> progress;
};

struct Stats {
  std::string variant;
  int steps = 0;
  double min_us = 0, median_us = 0, p99_us = 0, mean_us = 0;
};

struct SizeResult {
  uint32_t n = 0;
  std::string model;             ///< where the model came from
  double active_fraction = 0;    ///< mean fraction of units with r > 0 (SampledPerStep run)
  std::vector<Stats> stats;      ///< in variant_names() order
  const Stats* find(const std::string& variant) const;
};

/// Benchmarks one model (MSI or sequential MNIST, any size up to the host limits; throws
/// std::invalid_argument otherwise).
SizeResult run_size(const conv::ModelData& model, const std::string& origin, const Config& cfg);

/// Runs `steps` steps of one variant and returns a checksum (for callgrind: the instruction count
/// of a step is (count(steps) - count(0)) / steps, measured by the caller).
double run_steps(const conv::ModelData& model, const std::string& variant, int steps,
                 uint64_t seed);

/// One variant stepping through the MSI input pool (for Google Benchmark): step() = one step.
class Stepper {
 public:
  virtual ~Stepper() = default;
  virtual void step() = 0;
};
std::unique_ptr<Stepper> make_stepper(const conv::ModelData& model, const std::string& variant,
                                      uint64_t seed);

/// The table (min / median / p99 in microseconds and the median's ratio to the floor).
void print_table(std::ostream& out, const SizeResult& r);
/// All results as JSON (one object: timer overhead, sizes, stats).
void write_json(std::ostream& out, const std::vector<SizeResult>& results, const Config& cfg,
                double timer_overhead_ns);
/// Measured cost of one timer read pair, in ns (median of many).
double timer_overhead_ns();

/// Writes the hyperparameters as raw little-endian float32 files for bench/torch_step.py:
/// DIR/n{N}_{input,recurrent,output}_{pi,m,xi}.f32 plus DIR/n{N}.json (shapes, alpha, sigma).
void dump_model(const conv::ModelData& model, const std::string& dir);

}  // namespace sasrnn::bench
