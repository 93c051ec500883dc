// The one training configuration of the checkpoint fuzz target (tests/fuzz/checkpoint): its seed
// checkpoints are written with it (make_checkpoints.cpp) and its harness reads them into a
// trainer of it (fuzz_checkpoint.cpp), so that mutations get past the identity check.
#pragma once

#include "sasrnn/trainer/trainer.hpp"

namespace sasrnn::fuzz {

/// A tiny MSI network (N = 6): a checkpoint of it is about 7 KB.
inline train::TrainConfig checkpoint_config() {
  train::TrainConfig c = train::msi_paper_config();
  c.n = 6;
  c.epochs = 3;
  c.batch = 4;
  c.seed = 3;
  c.threads = 1;
  c.single_precision = false;
  return c;
}

}  // namespace sasrnn::fuzz
