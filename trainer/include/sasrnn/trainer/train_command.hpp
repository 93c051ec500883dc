// `sasrnn train`: the whole training job (progress line, CSV log, checkpoints, resume, model).
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/trainer/trainer.hpp"

namespace sasrnn::train {

struct TrainJob {
  TrainConfig cfg = msi_paper_config();
  std::string out;              ///< model file to write
  std::string log;              ///< CSV log (empty: OUT with .csv)
  std::string checkpoint;       ///< checkpoint file (empty: OUT with .ckpt)
  int checkpoint_every = 100;   ///< epochs between checkpoints (0: only at the end)
  bool resume = false;          ///< continue from the checkpoint
  int progress_every = 0;       ///< epochs between progress lines when not a terminal (0: auto)
  std::string command;          ///< the command line, for provenance
  /// Measures the trained model (e.g. with the runtime) and returns metrics for its provenance.
  std::function<std::vector<conv::Metric>(const conv::ModelData&)> evaluate;
  /// Model selection on held-out trials: every `validate_every` epochs from `validate_from` on,
  /// `validate` scores the current model (higher is better) and the best one is written.
  /// Its trials must not be those of the final evaluation. 0 = off.
  int validate_every = 0;
  int validate_from = 0;
  std::function<double(const conv::ModelData&)> validate;
};

/// Runs the job; returns the process exit code. Errors are one line on `err`.
int run_train_job(const TrainJob& job, std::ostream& out, std::ostream& err);

}  // namespace sasrnn::train
