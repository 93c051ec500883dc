// Google Benchmark view of the per-step latency: every variant (runtime modes, Eigen floor,
// naive sampler) at N = 32, 64, 150, 256 on the MSI test protocol. The shipped model is used at
// N = 150 and resampled for the other sizes (bench::msi_like_model). The distribution per step
// (min / median / p99) comes from `sasrnn bench`; this binary reports Google Benchmark's
// per-iteration time over repetitions. Also load()'s cost per shipped model file and the CRC-32C
// check's share of it ("load/<model>", "crc32c/<model>"; bench/src/load_cost.cpp prints the same
// as a table, docs/firmware.md "Checksum cost"):
//   build/bench/sasrnn_gbench --benchmark_filter='load|crc32c'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include <string>

#include "sasrnn/bench/latency.hpp"
#include "sasrnn/bench/models.hpp"
#include "sasrnn/crc32c.hpp"

namespace {

sasrnn::conv::ModelData model_of_size(uint32_t n) {
  static const sasrnn::conv::ModelData shipped = [] {
    try {
      const auto buf = sasrnn::conv::read_file(std::string(SASRNN_SOURCE_DIR) + "/models/msi_n150.sasrnn");
      return sasrnn::conv::read_model(buf.data(), buf.size());
    } catch (const std::exception&) {
      return sasrnn::bench::msi_like_model(150, 150);  // synthetic until a model is shipped
    }
  }();
  return n == shipped.n ? shipped : sasrnn::bench::msi_like_model(n, 1000 + n, &shipped);
}

void step_benchmark(benchmark::State& state, std::string variant) {
  const auto model = model_of_size(static_cast<uint32_t>(state.range(0)));
  auto stepper = sasrnn::bench::make_stepper(model, variant, 1);
  for (int k = 0; k < 90; ++k) stepper->step();  // one trial of warm-up
  for (auto _ : state) stepper->step();
}

/// load() of a model file (every check, the checksum included unless SASRNN_NO_CHECKSUM) or the
/// CRC-32C alone over its bytes (crc32c.hpp: SSE4.2's instruction where the build may use it).
void load_benchmark(benchmark::State& state, const std::string& file, bool crc_only) {
  sasrnn::conv::AlignedBuffer buf;
  try {
    buf = sasrnn::conv::read_file(std::string(SASRNN_SOURCE_DIR) + "/models/" + file);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  sasrnn::ModelView view;
  for (auto _ : state) {
    if (crc_only)
      benchmark::DoNotOptimize(sasrnn::crc32c::compute(buf.data(), buf.size()));
    else
      benchmark::DoNotOptimize(sasrnn::load(buf.data(), buf.size(), view));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(buf.size()));
}

}  // namespace

int main(int argc, char** argv) {
  for (const std::string& v : sasrnn::bench::variant_names()) {
    auto* b = benchmark::RegisterBenchmark(("step/" + v).c_str(), step_benchmark, v);
    b->Arg(32)->Arg(64)->Arg(150)->Arg(256)->Unit(benchmark::kMicrosecond);
    b->Repetitions(5)->ReportAggregatesOnly(true);
    b->ComputeStatistics("min", [](const std::vector<double>& v) {
      return *std::min_element(v.begin(), v.end());
    });
  }
  for (const char* file : {"msi_n150.sasrnn", "msi_n150_compact.sasrnn", "mnist_row_n100.sasrnn",
                           "mnist_row_n100_compact.sasrnn"}) {
    const std::string f = file;
    benchmark::RegisterBenchmark(("load/" + f).c_str(), load_benchmark, f, false)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("crc32c/" + f).c_str(), load_benchmark, f, true)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
