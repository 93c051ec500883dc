// `sasrnn analyze`'s section on the runtime's modes side by side (analyze_modes.cpp): the accuracy
// and the course of the rates along the trials in each mode, so that a concrete network drawn once
// per trial (SampledPerTrial) can be compared with one drawn at every step and with the mean-field
// network it was trained as.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analyze_report.hpp"
#include "sasrnn/analysis/activity.hpp"

namespace sasrnn::cli {

/// One mode's results: accuracy on the evaluation set and the course of the rates.
struct ModeRun {
  Mode mode = Mode::MeanField;
  double accuracy = 0;
  std::string not_measured;  ///< why the accuracy is missing (the evaluation stopped), else empty
  analysis::RateCourse course;
};

/// What the section was measured on.
struct ModesSetup {
  bool msi = false;
  int evaluated = 0;   ///< trials or images behind each accuracy
  int traced = 0;      ///< trials or images behind each course
  std::string traced_what;  ///< which they are, e.g. "the first 1000 test images"
  double step_ms = 0;  ///< time (MSI, ms) or steps (MNIST) between recorded steps
};

/// Writes modes.csv into `dir`, adds "modes" to `summary` and a finding, and returns the report's
/// section. `runs` holds MeanField first.
std::string modes_section(const std::vector<ModeRun>& runs, const ModesSetup& setup,
                          const std::filesystem::path& dir, nlohmann::ordered_json& summary,
                          std::vector<report::Finding>& findings);

}  // namespace sasrnn::cli
