// The evaluations' one trial runner (analysis/trials.hpp): batched, every trial is bit for bit its
// single run, for the shipped models (MSI N = 150, MNIST rows N = 100) in MeanField and
// MeanWeights: outputs, decisions and the rates of every step; the MSI evaluation as a whole; a
// set whose size is not a multiple of the batch; a trial whose input is refused in the middle of a
// batch (its batch runs again one trial at a time, each trial keeping its own status); the modes
// the batch does not run (the sampled modes) run one at a time; and a model with sparse layers,
// which run_trials decodes into dense ones (DecodedModel), runs in every mode and every sparse
// encoding as the runtime runs its sparse layers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sasrnn/analysis/decoded_model.hpp"
#include "sasrnn/analysis/host_network.hpp"
#include "sasrnn/analysis/msi_eval.hpp"
#include "sasrnn/analysis/trials.hpp"
#include "sasrnn/converter/compact.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "support.hpp"

using namespace sasrnn;
using test::bits;

namespace {

/// A shipped model's file, or an empty buffer if it is not there.
conv::AlignedBuffer shipped(const char* name) {
  try {
    return conv::read_file(std::string(SASRNN_SOURCE_DIR) + "/models/" + name);
  } catch (const std::exception&) {
    return conv::AlignedBuffer();
  }
}

/// What a run of a trial set gives: per trial its status, decision, outputs and every step's rates.
struct Outcome {
  std::vector<uint8_t> status;
  std::vector<int> decision;
  std::vector<uint32_t> y, rates;  ///< bits
  bool batched = false;
};

/// `count` trials of `steps` steps with reproducible random inputs in [0, 1) (a quarter exactly 0;
/// NaN at step `nan_step` of trial `nan_trial`), trial k numbered 3 k + 1.
Outcome run(const ModelView& view, Mode mode, int count, int steps, bool batch, int nan_trial = -1,
            int nan_step = -1) {
  Options opt;
  opt.mode = mode;
  opt.seed = 11;
  const int n = static_cast<int>(view.n), n_in = static_cast<int>(view.n_in),
            n_out = static_cast<int>(view.n_out);
  Outcome o;
  o.status.assign(static_cast<size_t>(count), 255);
  o.decision.assign(static_cast<size_t>(count), -1);
  o.y.assign(static_cast<size_t>(count) * n_out, 0);
  o.rates.assign(static_cast<size_t>(count) * steps * n, 0);
  analysis::TrialSet set;
  set.count = count;
  set.steps = steps;
  set.index = [](int k) { return static_cast<uint32_t>(3 * k + 1); };
  set.input = [&](int k, int t, float* x) {
    std::mt19937 gen(static_cast<uint32_t>(k * 1000 + t));
    for (int j = 0; j < n_in; ++j)
      x[j] = gen() % 4 == 0 ? 0.0f : static_cast<float>(gen() % 1000) / 1000.0f;
    if (k == nan_trial && t == nan_step) x[0] = std::nanf("");
  };
  set.observe = [&](int k, int t, const float* r) {
    for (int i = 0; i < n; ++i)
      o.rates[(static_cast<size_t>(k) * steps + static_cast<size_t>(t)) * n + static_cast<size_t>(i)] = bits(r[i]);
  };
  set.finish = [&](int k, Status s, const float* y, int d) {
    o.status[static_cast<size_t>(k)] = static_cast<uint8_t>(s);
    o.decision[static_cast<size_t>(k)] = d;
    for (int j = 0; j < n_out; ++j) o.y[static_cast<size_t>(k) * n_out + static_cast<size_t>(j)] = bits(y[j]);
  };
  o.batched = analysis::run_trials(view, opt, set, 2, batch).batched;
  return o;
}

void expect_same(const Outcome& a, const Outcome& b, const std::string& what) {
  EXPECT_EQ(a.status, b.status) << what;
  EXPECT_EQ(a.decision, b.decision) << what;
  EXPECT_EQ(a.y, b.y) << what;
  size_t differ = 0;
  for (size_t q = 0; q < a.rates.size(); ++q) differ += a.rates[q] != b.rates[q];
  EXPECT_EQ(differ, 0u) << what << ": rates differ";
}

}  // namespace

TEST(Trials, BatchedIsSingleForTheShippedModels) {
  for (const char* name : {"msi_n150.sasrnn", "mnist_row_n100.sasrnn"}) {
    const conv::AlignedBuffer buf = shipped(name);
    if (buf.size() == 0) GTEST_SKIP() << "no shipped model " << name;
    ModelView view;
    ASSERT_EQ(load(buf.data(), buf.size(), view), Status::Ok) << name;
    for (Mode mode : {Mode::MeanField, Mode::MeanWeights}) {
      const std::string what = std::string(name) + " " + mode_name(mode);
      const Outcome batched = run(view, mode, 37, 28, true);  // 2 full batches and 5 trials
      const Outcome single = run(view, mode, 37, 28, false);
      EXPECT_TRUE(batched.batched) << what;
      EXPECT_FALSE(single.batched) << what;
      for (uint8_t s : batched.status) EXPECT_EQ(s, 0) << what;
      size_t active = 0;  // the rates were observed: not a comparison of zeros
      for (uint32_t r : batched.rates) active += r != 0;
      EXPECT_GT(active, batched.rates.size() / 10) << what;
      expect_same(batched, single, what);
    }
  }
}

TEST(Trials, ARefusedInputRunsItsBatchAlone) {
  const conv::ModelData d = test::mixed_model(20, 5, 2, 3);
  const conv::AlignedBuffer buf = conv::build_model_file(d);
  ModelView view;
  ASSERT_EQ(load(buf.data(), buf.size(), view), Status::Ok);
  const Outcome batched = run(view, Mode::MeanField, 40, 12, true, 19, 5);
  const Outcome single = run(view, Mode::MeanField, 40, 12, false, 19, 5);
  EXPECT_TRUE(batched.batched);
  EXPECT_EQ(batched.status[19], static_cast<uint8_t>(Status::NonFiniteInput));
  EXPECT_EQ(batched.status[18], 0);
  expect_same(batched, single, "NaN in trial 19");
}

TEST(Trials, WhatTheBatchDoesNotRunRunsAlone) {
  const conv::ModelData d = test::mixed_model(20, 5, 2, 3);
  const conv::AlignedBuffer dense = conv::build_model_file(d);
  ModelView view;
  ASSERT_EQ(load(dense.data(), dense.size(), view), Status::Ok);
  for (Mode mode : {Mode::SampledPerStep, Mode::SampledPerTrial}) {
    const Outcome o = run(view, mode, 5, 6, true);
    EXPECT_FALSE(o.batched) << mode_name(mode);
    expect_same(o, run(view, mode, 5, 6, false), mode_name(mode));
  }
  const conv::AlignedBuffer compact = shipped("msi_n150_compact.sasrnn");
  if (compact.size() == 0) GTEST_SKIP() << "no shipped compact model";
  ASSERT_EQ(load(compact.data(), compact.size(), view), Status::Ok);
  ASSERT_TRUE(view.recurrent.is_sparse);
  const Outcome o = run(view, Mode::MeanField, 3, 4, true);
  EXPECT_TRUE(o.batched);  // the batch runs sparse layers through its moment cache
  expect_same(o, run(view, Mode::MeanField, 3, 4, false), "compact");
}

namespace {

/// run_trials decodes the sparse layers (DecodedModel); in every mode it must give what the
/// runtime gives on the sparse layers themselves, trial by trial and step by step.
void expect_decoded_runs_as_sparse(const ModelView& view, const std::string& what) {
  const analysis::DecodedModel decoded(view);
  EXPECT_TRUE(decoded.decoded()) << what;
  EXPECT_FALSE(decoded.view().recurrent.is_sparse || decoded.view().input.is_sparse ||
               decoded.view().output.is_sparse) << what;
  const int n = static_cast<int>(view.n), n_in = static_cast<int>(view.n_in);
  for (Mode mode : {Mode::MeanField, Mode::SampledPerStep, Mode::SampledPerTrial, Mode::MeanWeights}) {
    const int count = 5, steps = 20;
    const Outcome o = run(view, mode, count, steps, false);
    // the same trials on the sparse layers, one HostNetwork, no cache
    Options opt;
    opt.mode = mode;
    opt.seed = 11;
    static analysis::HostNetwork net;  // large: not on the stack
    ASSERT_EQ(net.bind(view, opt), Status::Ok) << what;
    size_t differ = 0, active = 0;
    std::vector<float> x(static_cast<size_t>(n_in));
    for (int k = 0; k < count; ++k) {
      net.reset(static_cast<uint32_t>(3 * k + 1));
      for (int t = 0; t < steps; ++t) {
        std::mt19937 gen(static_cast<uint32_t>(k * 1000 + t));  // run()'s inputs
        for (float& xj : x) xj = gen() % 4 == 0 ? 0.0f : static_cast<float>(gen() % 1000) / 1000.0f;
        ASSERT_EQ(net.step(x.data()), Status::Ok) << what;
        for (int i = 0; i < n; ++i) {
          const uint32_t r = bits(net.rates()[i]);
          differ += r != o.rates[(static_cast<size_t>(k) * steps + static_cast<size_t>(t)) * n + static_cast<size_t>(i)];
          active += r != 0;
        }
      }
      EXPECT_EQ(net.decide(), o.decision[static_cast<size_t>(k)]) << what << " " << mode_name(mode);
    }
    EXPECT_EQ(differ, 0u) << what << " " << mode_name(mode);
    EXPECT_GT(active, 0u) << what << " " << mode_name(mode);
  }
}

}  // namespace

TEST(Trials, ACompactModelRunsDecodedAsItsSparseLayersWould) {
  for (const char* preset : {"sparse-f32", "f16", "q8", "compact"}) {
    const conv::ModelData d = test::mixed_model(37, 5, 2, 21);
    const conv::AlignedBuffer buf =
        conv::build_model_file(conv::with_encoding(d, conv::encoding_preset(preset)));
    ModelView view;
    ASSERT_EQ(load(buf.data(), buf.size(), view), Status::Ok) << preset;
    expect_decoded_runs_as_sparse(view, preset);
  }
  const conv::AlignedBuffer compact = shipped("msi_n150_compact.sasrnn");
  if (compact.size() == 0) GTEST_SKIP() << "no shipped compact model";
  ModelView view;
  ASSERT_EQ(load(compact.data(), compact.size(), view), Status::Ok);
  ASSERT_TRUE(view.recurrent.is_sparse && view.input.is_sparse && view.output.is_sparse);
  expect_decoded_runs_as_sparse(view, "msi_n150_compact");
}

TEST(Trials, TheMsiEvaluationIsTheSameBatched) {
  const conv::AlignedBuffer buf = shipped("msi_n150.sasrnn");
  if (buf.size() == 0) GTEST_SKIP() << "no shipped model";
  ModelView view;
  ASSERT_EQ(load(buf.data(), buf.size(), view), Status::Ok);
  analysis::EvalConfig cfg;
  cfg.reps = 2;  // 48 trials of 90 steps
  cfg.mode = Mode::MeanField;
  const analysis::EvalResult batched = analysis::evaluate_msi(view, cfg);
  cfg.batch = false;
  const analysis::EvalResult single = analysis::evaluate_msi(view, cfg);
  ASSERT_EQ(batched.trials.size(), 48u);
  ASSERT_EQ(single.trials.size(), 48u);
  for (size_t k = 0; k < 48; ++k) {
    EXPECT_EQ(batched.trials[k].trial.index, single.trials[k].trial.index);
    EXPECT_EQ(batched.trials[k].decision, single.trials[k].decision) << k;
    EXPECT_EQ(bits(batched.trials[k].y_high), bits(single.trials[k].y_high)) << k;
    EXPECT_EQ(bits(batched.trials[k].y_low), bits(single.trials[k].y_low)) << k;
  }
  EXPECT_EQ(batched.high, single.high);
  EXPECT_EQ(batched.accuracy, single.accuracy);
  EXPECT_EQ(batched.steps, single.steps);
}
