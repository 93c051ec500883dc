// msi_host: the smallest host application of the runtime. Loads a model file, runs the MSI
// evaluation set in mean-field mode and prints the psychometric table.
//   usage: msi_host MODEL.sasrnn [REPETITIONS]
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/analysis/msi_eval.hpp"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s MODEL.sasrnn [REPETITIONS]\n", argv[0]);
    return 2;
  }
  try {
    auto [buffer, model] = sasrnn::conv::load_model_file(argv[1]);
    sasrnn::analysis::EvalConfig cfg;
    if (argc == 3) {
      char* end = nullptr;
      const long reps = std::strtol(argv[2], &end, 10);
      if (*end != '\0' || reps < 1 || reps > 100000) {
        std::fprintf(stderr, "msi_host: REPETITIONS must be an integer in [1, 100000]\n");
        return 2;
      }
      cfg.reps = static_cast<uint32_t>(reps);
    }
    const auto result = sasrnn::analysis::evaluate_msi(model, cfg);
    sasrnn::analysis::print_report(std::cout, cfg, result);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "msi_host: %s\n", e.what());
    return 1;
  }
}
