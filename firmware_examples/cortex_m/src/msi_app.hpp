// The MSI example app, the same source on the Cortex-M boards and on the host: runs the MSI
// evaluation set (24 conditions x reps, fixed seed) on a model held as a C array, in MeanField
// and SampledPerStep, and prints every trial's decision, its output trajectory and final state
// (floats as bit patterns, "x:3f800000", so host and target output can be compared exactly),
// then the psychometric table. Integer arithmetic only in the printout: no float printf.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sasrnn/network.hpp"

namespace fw {

constexpr int kN = 150;
constexpr int kNIn = 5;
constexpr int kNOut = 2;
using MsiNetwork = sasrnn::Network<kN, kNIn, kNOut>;

struct MsiConfig {
  uint32_t reps = 2;  ///< repetitions of each of the 24 conditions
  uint64_t seed = 7;
  float dt_ms = 20.0f;       ///< test protocol 500/1000/300 ms at this step
  bool trajectories = true;  ///< print y(t) of every step and the final h of every trial
};

/// The modes the app runs, in order.
constexpr sasrnn::Mode kMsiModes[] = {sasrnn::Mode::MeanField, sasrnn::Mode::SampledPerStep};

/// Decisions of one run: decision[mode][trial], for the host's cross-check.
struct MsiDecisions {
  static constexpr uint32_t kMaxTrials = 24 * 8;
  int8_t decision[2][kMaxTrials];
  uint32_t trials = 0;
};

/// Runs the app; returns 0 on success, 1 if the model does not load or bind.
int run_msi(const uint8_t* model, size_t size, const MsiConfig& cfg, MsiDecisions* decisions);

}  // namespace fw
