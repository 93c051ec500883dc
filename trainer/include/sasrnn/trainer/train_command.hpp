// `sasrnn train`: the whole training job (progress line, CSV log, checkpoints, resume, model), one
// code for the recurrent Trainer and the feedforward ff::Trainer.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/trainer/ff_trainer.hpp"
#include "sasrnn/trainer/trainer.hpp"

namespace sasrnn::train {

/// What every training job has, whatever it trains: its files, checkpoints, resume, progress,
/// evaluation and model selection.
struct JobOptions {
  std::string out;              ///< model file to write
  std::string log;              ///< CSV log (empty: OUT with .csv)
  std::string checkpoint;       ///< checkpoint file (empty: OUT with .ckpt)
  int checkpoint_every = 100;   ///< epochs between checkpoints (0: only at the end)
  bool resume = false;          ///< continue from the checkpoint (replaces OUT, the log and it)
  bool force = false;           ///< start afresh, replacing an existing OUT, log and checkpoint
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
  /// The stopping rule stops only when `validate` scores the current model at least this
  /// (recurrent trainer; a rule must be set); else training goes on. 0 = the rule alone stops.
  double stop_validation = 0;
};

/// A recurrent network's training (Trainer).
struct TrainJob : JobOptions {
  TrainConfig cfg = msi_paper_config();
};

/// A feedforward stack's training (ff::Trainer).
struct FfTrainJob : JobOptions {
  ff::TrainerConfig cfg;
};

/// The log and checkpoint paths of a job (its own or derived from OUT).
std::string log_path(const JobOptions& job);
std::string checkpoint_path(const JobOptions& job);

/// Checks the job's outputs before any work (docs/cli.md): OUT, the log and the checkpoint are
/// three different files, none is a directory, their directories take new files; without
/// --resume or --force none exists; with --resume the checkpoint exists. Returns 0, or prints one
/// line "sasrnn train: <cause>" on `err` and returns the exit code (1, or 2 for a usage error).
int check_job_outputs(const JobOptions& job, std::ostream& err);

/// Runs the job; returns the process exit code. Errors are one line on `err`.
/// Every file is written atomically (a temporary and a rename): a run killed at any moment
/// leaves the previous checkpoint or the new one. SIGINT and SIGTERM stop the run at the next
/// epoch boundary (MNIST: the next batch, back to the epoch's start), write the checkpoint and
/// the log, and return 128 + the signal. A non-finite loss stops the run with exit code 1 and a
/// checkpoint of the last whole epoch, never of non-finite parameters. A final evaluation that
/// throws (`evaluate`) costs only its metrics: the model is written, with a warning on `err`.
int run_train_job(const TrainJob& job, std::ostream& out, std::ostream& err);
/// The same job for a feedforward stack (one code for both: the same files, signals and selection).
int run_train_job(const FfTrainJob& job, std::ostream& out, std::ostream& err);

}  // namespace sasrnn::train
