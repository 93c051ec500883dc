// sasrnn bench: per-step latency of every runtime mode against an Eigen floor and a naive
// sampler (bench/); PyTorch eager is timed by bench/torch_step.py (see bench/run_bench.py).
#include <sstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "sasrnn/analysis/host_network.hpp"
#include "sasrnn/bench/latency.hpp"
#include "sasrnn/bench/models.hpp"
#include "sasrnn/converter/model_file.hpp"

namespace sasrnn::cli {

namespace {

struct BenchArgs {
  std::string path;
  std::vector<uint32_t> sizes;
  bench::Config cfg;
  std::string json;
  std::string dump_dir;
  bool force = false;
};

int bench_command(const BenchArgs& a) {
  try {
    const conv::AlignedBuffer buf = conv::read_file(a.path);
    const conv::ModelData model = conv::read_model(buf.data(), buf.size());
    std::vector<uint32_t> sizes = a.sizes;
    if (sizes.empty()) sizes.push_back(model.n);
    for (uint32_t n : sizes)
      if (n != model.n && model.task != TaskKind::MSI)
        throw std::invalid_argument("--sizes resamples MSI models only; this is a " +
                                    std::string(task_name(model.task)) + " model of N=" +
                                    std::to_string(model.n));
    if (!a.json.empty()) conv::check_output(a.json, a.force);  // before the (long) work
    std::vector<bench::SizeResult> results;
    const double timer = bench::timer_overhead_ns();
    std::cout << "timer overhead " << timer << " ns per step (included below)\n";
    for (uint32_t n : sizes) {
      // the model itself at its own size; at other sizes, its statistics resampled
      const conv::ModelData d = n == model.n ? model : bench::msi_like_model(n, 1000 + n, &model);
      const std::string origin =
          n == model.n ? a.path : "resampled from " + a.path + " (bench::msi_like_model)";
      if (!a.dump_dir.empty()) bench::dump_model(d, a.dump_dir);
      bench::Config cfg = a.cfg;
      cfg.progress = progress_line("bench N=" + std::to_string(n), "rounds");
      results.push_back(bench::run_size(d, origin, cfg));
      bench::print_table(std::cout, results.back());
      std::cout.flush();
    }
    if (!a.json.empty()) {
      std::ostringstream json;
      bench::write_json(json, results, a.cfg, timer);
      const std::string text = json.str();
      conv::write_file(a.json, reinterpret_cast<const uint8_t*>(text.data()), text.size());
      std::cout << "wrote " << a.json << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "sasrnn bench: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

void add_bench(CLI::App& app, int& status) {
  auto a = std::make_shared<BenchArgs>();
  auto* b = app.add_subcommand(
      "bench",
      "Per-step latency (min, median, p99) of every runtime mode, a deterministic Eigen floor "
      "and a naive std::mt19937 sampler, on the MSI test protocol. A trial's first step includes "
      "its reset(); sampled-per-trial keeps the trial's network in a trial cache, drawn by that "
      "reset()");
  b->add_option("model", a->path,
                "Model file of an MSI network (5 inputs, 2 outputs); other sizes resample its "
                "hyperparameters")
      ->required();
  b->add_option("--sizes", a->sizes, "Recurrent sizes N to benchmark (default: the model's N)")
      ->delimiter(',')
      ->check(CLI::Range(1u, static_cast<uint32_t>(analysis::kHostMaxUnits)));
  b->add_option("--steps", a->cfg.steps, "Timed steps per mode and for the floor")
      ->check(CLI::Range(1, 100000000))
      ->default_val(4000);
  b->add_option("--naive-steps", a->cfg.naive_steps, "Timed steps of the naive sampler (0: skip it)")
      ->check(CLI::Range(0, 100000000))
      ->default_val(200);
  b->add_option("--rounds", a->cfg.rounds, "Variants take turns in this many rounds")
      ->check(CLI::Range(1, 10000))
      ->default_val(8);
  b->add_option("--seed", a->cfg.seed, "Seed of the network draws and of the input noise")
      ->default_val(1);
  b->add_option("--json", a->json, "Also write the results as JSON to this file (written at the end; "
                "an existing FILE is refused before anything runs unless --force)");
  b->add_flag("--force", a->force, "Replace the --json FILE if it exists");
  b->add_option("--dump-dir", a->dump_dir,
                "Write each benchmarked model's arrays as float32 files for bench/torch_step.py")
      ->check(CLI::ExistingDirectory);
  b->footer("Example:\n  sasrnn bench models/msi_n150.sasrnn --sizes 64,150 --json latency.json");
  b->callback([&status, a] { status = bench_command(*a); });
}

}  // namespace sasrnn::cli
