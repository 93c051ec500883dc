// sasrnn convert (converter/): format conversion between .sasrnn, .npz and .json, compact
// encodings, and the accuracy check of the encoded model with the runtime (analysis/).
#include <iostream>
#include <map>
#include <memory>

#include "commands.hpp"
#include "sasrnn/converter/convert.hpp"
#include "sasrnn/analysis/ff_eval.hpp"
#include "sasrnn/analysis/mnist_eval.hpp"
#include "sasrnn/analysis/msi_eval.hpp"

namespace sasrnn::cli {

void add_convert(CLI::App& app, int& status) {
  auto options = std::make_shared<conv::ConvertOptions>();
  auto threads = std::make_shared<int>(2);
  auto mnist_dir = std::make_shared<std::string>();
  auto* convert = app.add_subcommand(
      "convert",
      "Convert a model between .sasrnn, .npz (NumPy) and .json (formats by file extension), "
      "optionally into a compact encoding; for MSI and sequential-MNIST models, print the "
      "accuracy before and after in MeanField and SampledPerStep, measured with the runtime");
  convert->add_option("input", options->input, "Model to read (.sasrnn, .npz or .json)")->required();
  convert->add_option("output", options->output, "Model to write (.sasrnn, .npz or .json)")->required();
  convert->add_flag("--force", options->force, "Replace OUTPUT if it exists");
  std::string names;
  for (const std::string& n : conv::encoding_names()) names += (names.empty() ? "" : ", ") + n;
  convert->add_option("--encoding", options->encoding,
                      "Storage of a .sasrnn OUTPUT: dense (f32, format v1); dense-moments (dense "
                      "f32 plus precomputed mu and var, format v2: same results bit for bit, "
                      "faster MeanField and MeanWeights, larger file); sparse-f32 (by "
                      "connection class, absent ones dropped; lossless); f16; q8 (pi/255, m and xi "
                      "with a scale per row); compact (q8, prune pi>=0.9, pi<=0.01 -> 0, "
                      "xi<=1e-5 -> 0). Default: the input's own encoding")
      ->check(CLI::IsMember(conv::encoding_names()));
  const std::map<std::string, ValueType> values{
      {"f32", ValueType::F32}, {"f16", ValueType::F16}, {"q8", ValueType::Q8}};
  convert->add_option("--values", options->values, "Value storage of a sparse encoding: f32, f16 or q8")
      ->transform(enum_names(values));
  convert->add_option("--prune", options->prune,
                      "Drop connections with pi >= P (the paper's unimportant weights); 1 = only "
                      "absent ones")
      ->check(CLI::Range(0.0f, 1.0f));
  convert->add_option("--pi-zero", options->pi_zero, "Store pi <= E as 0 (no Bernoulli draw)")
      ->check(CLI::Range(0.0f, 0.999f));
  convert->add_option("--xi-zero", options->xi_zero, "Store xi <= E as 0 (no Gaussian draw)")
      ->check(CLI::Range(0.0f, 1e30f));
  convert->add_option("--eval-trials", options->eval_trials,
                      "Repetitions of each of the 24 MSI conditions for the accuracy check (0 = skip)")
      ->check(CLI::Range(0u, 100000u))
      ->default_val(100);
  convert->add_option("--eval-images", options->eval_images,
                      "MNIST models: test images of the accuracy check (0 = skip)")
      ->check(CLI::Range(0u, 10000u))
      ->default_val(1000);
  convert->add_option("--mnist-dir", *mnist_dir,
                      "MNIST models: folder of the idx files (default: $SASRNN_MNIST_DIR, else "
                      "~/.cache/sasrnn/mnist)");
  convert->add_option("--eval-seed", options->eval_seed, "Seed of the accuracy check")->default_val(1);
  convert->add_option("--max-accuracy-drop", options->max_accuracy_drop,
                      "Refuse to write a model whose MeanField or SampledPerStep accuracy drops by "
                      "more than P percentage points")
      ->check(CLI::Range(0.0, 100.0));
  convert->add_option("--threads", *threads, "Worker threads of the accuracy check (results do not depend on it)")
      ->check(CLI::Range(1, 64))
      ->default_val(2);
  convert->footer("Example (the shipped compact model; refused if an accuracy drops by more than 1 pp):\n"
                  "  sasrnn convert models/msi_n150.sasrnn msi_compact.sasrnn --encoding compact "
                  "--max-accuracy-drop 1");
  convert->callback([&status, options, threads, mnist_dir] {
    const int n_threads = *threads;
    auto test = std::make_shared<std::unique_ptr<analysis::MnistSet>>();  // read when needed
    const std::string dir = mnist_dir->empty() ? analysis::default_mnist_dir() : *mnist_dir;
    // the first `count` test images (read once, when first needed) of an MNIST model of either kind
    const auto mnist_accuracy = [n_threads, test, dir](const auto& model, Mode mode, uint32_t count, uint64_t seed) {
      try {
        if (!*test)
          *test = std::make_unique<analysis::MnistSet>(analysis::load_mnist(dir, analysis::MnistSplit::Test));
      } catch (const analysis::DataError& e) {
        throw std::invalid_argument(e.what());
      }
      analysis::MnistEvalConfig cfg;
      cfg.mode = mode;
      cfg.seed = seed;
      cfg.limit = static_cast<int>(count);
      cfg.threads = n_threads;
      cfg.progress = progress_line(std::string("  ") + mode_name(mode), "test images");
      return analysis::evaluate_mnist(model, **test, cfg).accuracy();
    };
    options->evaluate = [n_threads, mnist_accuracy](const ModelView& model, Mode mode, uint32_t count,
                                                    uint64_t seed) {
      if (model.task == TaskKind::SeqMNISTRow || model.task == TaskKind::SeqMNISTPixel)
        return mnist_accuracy(model, mode, count, seed);
      analysis::EvalConfig cfg;
      cfg.mode = mode;
      cfg.reps = count;
      cfg.seed = seed;
      cfg.threads = n_threads;
      cfg.progress = progress_line(std::string("  ") + mode_name(mode), "trials");
      return analysis::evaluate_msi(model, cfg).accuracy;
    };
    options->evaluate_ff = mnist_accuracy;
    status = conv::convert_command(*options, std::cout, std::cerr);
  });
}

}  // namespace sasrnn::cli
