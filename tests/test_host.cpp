// The host app core: evaluation set bookkeeping, determinism across threads, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/analysis/msi_eval.hpp"
#include "support.hpp"

using namespace sasrnn;

namespace {
// An MSI-shaped model whose "high" output simply follows the positively tuned inputs: both
// outputs read units that integrate visual+/auditory+ minus visual-/auditory-. It decides
// correctly on every condition without noise, which makes the bookkeeping checkable.
conv::ModelData reading_model() {
  conv::ModelData d = conv::make_empty_model(6, 5, 2);
  conv::apply_msi_task(d);
  // units 0,1 auditory; 2,3 visual; 4,5 no sensory input (N/3 = 2)
  auto in = [&](int i, int j) -> float& { return d.input.m[static_cast<size_t>(i) * 5 + j]; };
  in(0, msi::AuditoryPos) = 1.0f;
  in(1, msi::AuditoryNeg) = 1.0f;
  in(2, msi::VisualPos) = 1.0f;
  in(3, msi::VisualNeg) = 1.0f;
  for (int i = 0; i < 6; ++i) d.recurrent.m[static_cast<size_t>(i) * 6 + i] = 0.9f;  // memory
  // high = pos - neg, low = neg - pos (+ an offset so that "no evidence" is low)
  d.output.m = {1, -1, 1, -1, 0, 0, -1, 1, -1, 1, 0, 0};
  d.dynamics.sigma_rec = 0.0f;
  return d;
}
}  // namespace

TEST(Host, EvaluationIsCorrectForAReadingNetworkAndCountsEveryTrial) {
  const conv::AlignedBuffer buf = conv::build_model_file(reading_model());
  ModelView v;
  ASSERT_EQ(load(buf.data(), buf.size(), v), Status::Ok);
  analysis::EvalConfig cfg;
  cfg.reps = 3;
  cfg.input_noise = false;
  cfg.recurrent_noise = false;
  const analysis::EvalResult r = analysis::evaluate_msi(v, cfg);
  ASSERT_EQ(r.trials.size(), 72u);
  for (int m = 0; m < 3; ++m)
    for (int k = 0; k < 8; ++k) {
      EXPECT_EQ(r.count[m][k], 3u);
      EXPECT_EQ(r.p_high(m, k), msi::rate_of(k) > 12.5f ? 1.0 : 0.0) << m << " " << k;
    }
  EXPECT_DOUBLE_EQ(r.accuracy, 1.0);
  EXPECT_EQ(r.steps_per_trial, 90);
  EXPECT_EQ(r.steps, 72u * 90u);
}

TEST(Host, ResultsDoNotDependOnThreadCount) {
  conv::ModelData d = test::mixed_model(30, 5, 2, 5);
  conv::apply_msi_task(d);
  const conv::AlignedBuffer buf = conv::build_model_file(d);
  ModelView v;
  ASSERT_EQ(load(buf.data(), buf.size(), v), Status::Ok);
  for (Mode mode : {Mode::MeanField, Mode::SampledPerStep}) {
    analysis::EvalConfig cfg;
    cfg.mode = mode;
    cfg.reps = 2;
    cfg.threads = 1;
    const auto one = analysis::evaluate_msi(v, cfg);
    cfg.threads = 2;
    const auto two = analysis::evaluate_msi(v, cfg);
    for (size_t k = 0; k < one.trials.size(); ++k) {
      EXPECT_EQ(one.trials[k].decision, two.trials[k].decision);
      EXPECT_EQ(one.trials[k].y_high, two.trials[k].y_high);
    }
  }
}

TEST(Host, BadInputGivesOneLineErrors) {
  ModelView v;
  conv::ModelData wrong_shape = test::mixed_model(6, 3, 2, 1);
  const auto b1 = conv::build_model_file(wrong_shape);
  ASSERT_EQ(load(b1.data(), b1.size(), v), Status::Ok);
  EXPECT_THROW(analysis::evaluate_msi(v, analysis::EvalConfig{}), std::invalid_argument);
  conv::ModelData odd = test::mixed_model(7, 5, 2, 1);
  conv::apply_msi_task(odd);
  const auto b2 = conv::build_model_file(odd);
  ASSERT_EQ(load(b2.data(), b2.size(), v), Status::Ok);
  analysis::EvalConfig seven;
  seven.reps = 1;
  EXPECT_EQ(analysis::evaluate_msi(v, seven).trials.size(), 24u);  // any size runs
  conv::ModelData huge = test::mixed_model(analysis::kHostMaxUnits + 1, 5, 2, 1);
  conv::apply_msi_task(huge);
  const auto b4 = conv::build_model_file(huge);
  ASSERT_EQ(load(b4.data(), b4.size(), v), Status::Ok);
  try {
    analysis::evaluate_msi(v, analysis::EvalConfig{});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("N=1025"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("the host tools run N <= 1024"), std::string::npos) << e.what();
  }
  conv::ModelData ok = test::mixed_model(6, 5, 2, 1);
  conv::apply_msi_task(ok);
  const auto b3 = conv::build_model_file(ok);
  ASSERT_EQ(load(b3.data(), b3.size(), v), Status::Ok);
  analysis::EvalConfig cfg;
  cfg.reps = 0;
  EXPECT_THROW(analysis::evaluate_msi(v, cfg), std::invalid_argument);
  cfg.reps = 1;
  cfg.dt_ms = 500.0f;  // alpha = 5 > 1
  EXPECT_THROW(analysis::evaluate_msi(v, cfg), std::invalid_argument);
}

TEST(Host, AModelWithoutATaskIsRefusedNotRunAsMsi) {
  const auto b = conv::build_model_file(test::mixed_model(6, 5, 2, 1));  // task none
  ModelView v;
  ASSERT_EQ(load(b.data(), b.size(), v), Status::Ok);
  try {
    analysis::evaluate_msi(v, analysis::EvalConfig{});
    FAIL() << "a model without a task was evaluated";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("the model has no task (task 0)", 0), 0u) << e.what();
  }
}

TEST(Host, TheProtocolIsAnExplicitChoice) {
  conv::ModelData d = reading_model();
  d.msi.fixation_ms = 100.0f;  // as the trainer writes it: 100/1000/300 ms
  d.msi.stimulus_ms = 1000.0f;
  d.msi.decision_ms = 300.0f;
  const conv::AlignedBuffer buf = conv::build_model_file(d);
  ModelView v;
  ASSERT_EQ(load(buf.data(), buf.size(), v), Status::Ok);
  analysis::EvalConfig cfg;  // default: the test protocol, whatever the model says
  EXPECT_EQ(cfg.protocol, analysis::ProtocolChoice::Test);
  msi::Protocol p = analysis::eval_protocol(v, cfg);
  EXPECT_EQ(p.fixation_ms, 500.0f);
  EXPECT_EQ(p.stimulus_ms, 1000.0f);
  EXPECT_EQ(p.decision_ms, 300.0f);
  cfg.protocol = analysis::ProtocolChoice::Model;
  p = analysis::eval_protocol(v, cfg);
  EXPECT_EQ(p.fixation_ms, 100.0f);
  cfg.decision_ms = 200.0f;  // an override of one duration keeps the others
  cfg.dt_ms = 10.0f;
  p = analysis::eval_protocol(v, cfg);
  EXPECT_EQ(p.fixation_ms, 100.0f);
  EXPECT_EQ(p.decision_ms, 200.0f);
  EXPECT_EQ(p.dt_ms, 10.0f);
  EXPECT_EQ(p.tau_ms, v.dynamics.tau_ms);  // met with the model (msi::with_model)
  cfg.reps = 1;
  cfg.input_noise = false;
  cfg.recurrent_noise = false;
  const analysis::EvalResult r = analysis::evaluate_msi(v, cfg);
  EXPECT_EQ(r.steps_per_trial, 10 + 100 + 20);
  EXPECT_EQ(r.protocol.decision_ms, 200.0f);
  std::ostringstream report;
  analysis::print_report(report, cfg, r);
  EXPECT_NE(report.str().find("protocol: model, fixation/stimulus/decision 100/1000/200 ms (130 steps "
                              "per trial), durations overridden"),
            std::string::npos)
      << report.str();
  cfg.stimulus_ms = 1.0f;  // shorter than one step
  EXPECT_THROW(analysis::evaluate_msi(v, cfg), std::invalid_argument);
}

TEST(Psychometric, MaximumLikelihoodFitRecoversAKnownCurve) {
  // 1000 trials per rate with counts exactly at Phi((f - 12.3) / 0.8): the fit recovers both.
  std::array<uint32_t, msi::kRates> high{}, count{};
  for (int k = 0; k < msi::kRates; ++k) {
    const double f = 9.0 + k;
    count[static_cast<size_t>(k)] = 1000;
    high[static_cast<size_t>(k)] = static_cast<uint32_t>(
        std::lround(1000 * 0.5 * std::erfc(-(f - 12.3) / (0.8 * std::sqrt(2.0)))));
  }
  const analysis::PsychometricFit fit = analysis::fit_psychometric(high, count);
  EXPECT_NEAR(fit.mu, 12.3, 0.02);
  EXPECT_NEAR(fit.sigma, 0.8, 0.02);
  // A step between 12 and 13 (a perfect observer) gives a steep curve centred at the boundary.
  for (int k = 0; k < msi::kRates; ++k) high[static_cast<size_t>(k)] = k >= 4 ? 1000 : 0;
  const analysis::PsychometricFit step = analysis::fit_psychometric(high, count);
  EXPECT_NEAR(step.mu, 12.5, 0.5);
  EXPECT_LT(step.sigma, 0.1);
  EXPECT_NEAR(analysis::optimal_sigma(0.3, 0.4), 0.24, 1e-12);
}
