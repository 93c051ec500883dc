// `sasrnn analyze` of a feedforward stack (analyze_ff.cpp): the options it takes.
#pragma once

#include <cstdint>
#include <string>

#include "sasrnn/analysis/ensemble.hpp"
#include "sasrnn/analysis/ff_analysis.hpp"

namespace sasrnn::cli {

struct FfAnalyzeArgs {
  std::string path, log, out, mnist_dir, python, plot_script, command;
  bool no_plots = false, force = false;
  analysis::VipRule rule;
  analysis::EntropyOptions entropy;
  analysis::FfSweepConfig sweep;
  int images = 0;         ///< test images of the accuracy (0: all)
  int sweep_images = 1000;
  uint64_t seed = 1;
  int threads = 2;
};

/// The report of a stack into DIR (as the recurrent one: CSV, JSON, figures, report.md); 0 or throws.
int analyze_ff(const FfAnalyzeArgs& a);

}  // namespace sasrnn::cli
