// msi_fw: the MSI example firmware. The model is linked in as a C array (sasrnn_msi_model.cpp
// and .h, made at build time by `sasrnn export-c`). The exit code (0 = ran) comes back through
// semihosting.
#include <cstddef>

#include "msi_app.hpp"
#include "platform.hpp"
#include "sasrnn_msi_model.h"  // sasrnn export-c: the model as a C array

#ifndef SASRNN_FW_REPS
#define SASRNN_FW_REPS 2
#endif

int main() {
  fw::MsiConfig cfg;
  cfg.reps = SASRNN_FW_REPS;
  fw::stack_paint();
  const int rc = fw::run_msi(sasrnn_msi_model, sasrnn_msi_model_size, cfg, nullptr);
  fw::print("# stack used: %lu of %lu bytes\n", static_cast<unsigned long>(fw::stack_used()),
            static_cast<unsigned long>(fw::stack_size()));
  return rc;
}
