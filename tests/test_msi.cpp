// MSI stimuli against the specification in docs/method.md (paper Sec. III B, Fig. 10).
#include <gtest/gtest.h>

#include <cmath>

#include "sasrnn/msi.hpp"

using namespace sasrnn;
using namespace sasrnn::msi;

TEST(Msi, TunedAmplitudes) {
  EXPECT_FLOAT_EQ(amplitude_pos(9.0f), 0.4f);
  EXPECT_FLOAT_EQ(amplitude_pos(16.0f), 1.2f);
  EXPECT_FLOAT_EQ(amplitude_neg(9.0f), 1.2f);
  EXPECT_FLOAT_EQ(amplitude_neg(16.0f), 0.4f);
  EXPECT_FLOAT_EQ(amplitude_pos(12.5f), 0.8f);
  EXPECT_FLOAT_EQ(amplitude_neg(12.5f), 0.8f);
  EXPECT_FLOAT_EQ(amplitude_pos(11.0f), 0.4f + 0.8f * 2.0f / 7.0f);
}

TEST(Msi, EpochLengthsAtBothTimeSteps) {
  const Stimulus train(Protocol::training(), Trial{});
  EXPECT_EQ(train.fixation_steps(), 15);  // 300 ms / 20 ms
  EXPECT_EQ(train.stimulus_steps(), 45);  // 900 ms
  EXPECT_EQ(train.decision_steps(), 20);  // 400 ms
  const Stimulus test20(Protocol::test(20.0f), Trial{});
  EXPECT_EQ(test20.steps(), 25 + 50 + 15);
  const Stimulus test05(Protocol::test(0.5f), Trial{});
  EXPECT_EQ(test05.fixation_steps(), 1000);
  EXPECT_EQ(test05.stimulus_steps(), 2000);
  EXPECT_EQ(test05.decision_steps(), 600);
  EXPECT_FLOAT_EQ(Protocol::test(0.5f).alpha(), 0.005f);
}

TEST(Msi, NoiselessInputsPerEpochAndModality) {
  Protocol p = Protocol::test(20.0f);
  p.input_noise = false;
  for (Modality mod : {Modality::Visual, Modality::Auditory, Modality::Both}) {
    const Stimulus s(p, Trial{mod, 14.0f, 3});
    float x[kInputs];
    for (int t = 0; t < s.steps(); ++t) {
      s.input(t, x);
      const Epoch e = s.epoch(t);
      EXPECT_FLOAT_EQ(x[StartCue], e == Epoch::Fixation ? 0.2f : 1.2f) << t;
      const bool stim = e == Epoch::Stimulus;
      const bool vis = mod != Modality::Auditory, aud = mod != Modality::Visual;
      EXPECT_FLOAT_EQ(x[VisualPos], 0.2f + (stim && vis ? amplitude_pos(14.0f) : 0.0f)) << t;
      EXPECT_FLOAT_EQ(x[VisualNeg], 0.2f + (stim && vis ? amplitude_neg(14.0f) : 0.0f)) << t;
      EXPECT_FLOAT_EQ(x[AuditoryPos], 0.2f + (stim && aud ? amplitude_pos(14.0f) : 0.0f)) << t;
      EXPECT_FLOAT_EQ(x[AuditoryNeg], 0.2f + (stim && aud ? amplitude_neg(14.0f) : 0.0f)) << t;
    }
    EXPECT_EQ(s.epoch(24), Epoch::Fixation);
    EXPECT_EQ(s.epoch(25), Epoch::Stimulus);
    EXPECT_EQ(s.epoch(74), Epoch::Stimulus);
    EXPECT_EQ(s.epoch(75), Epoch::Decision);
  }
}

TEST(Msi, CatchTrialsHaveOnlyTheBaseline) {
  Protocol p = Protocol::training();
  p.input_noise = false;
  const Stimulus s(p, Trial{Modality::Catch, 0.0f, 1});
  float x[kInputs], y[kOutputs], mask[kOutputs];
  for (int t = 0; t < s.steps(); ++t) {
    s.input(t, x);
    for (float v : x) EXPECT_FLOAT_EQ(v, 0.2f);
    s.target(t, y, mask);
    EXPECT_FLOAT_EQ(y[High], 0.2f);
    EXPECT_FLOAT_EQ(y[Low], 0.2f);
    EXPECT_FLOAT_EQ(mask[High], 1.0f);
  }
}

TEST(Msi, TargetsAndLossMask) {
  const Protocol p = Protocol::training();
  for (float rate : {9.0f, 12.0f, 13.0f, 16.0f}) {
    const Stimulus s(p, Trial{Modality::Both, rate, 0});
    const int correct = rate > 12.5f ? High : Low;
    float y[kOutputs], mask[kOutputs];
    for (int t = 0; t < s.steps(); ++t) {
      s.target(t, y, mask);
      switch (s.epoch(t)) {
        case Epoch::Fixation:
          EXPECT_FLOAT_EQ(y[High], 0.2f);
          EXPECT_FLOAT_EQ(y[Low], 0.2f);
          EXPECT_FLOAT_EQ(mask[Low], 1.0f);
          break;
        case Epoch::Stimulus:
          EXPECT_FLOAT_EQ(mask[High], 0.0f);
          EXPECT_FLOAT_EQ(mask[Low], 0.0f);
          break;
        case Epoch::Decision:
          EXPECT_FLOAT_EQ(y[correct], 1.0f);
          EXPECT_FLOAT_EQ(y[1 - correct], 0.2f);
          EXPECT_FLOAT_EQ(mask[High], 1.0f);
          break;
        case Epoch::Padding:
          ADD_FAILURE() << "the training protocol has no padding";
          break;
      }
    }
  }
}

// Input noise of paper eq. 2: sqrt(2 sigma_in^2 / alpha) xi, independent per input and step.
TEST(Msi, InputNoiseVarianceAtBothTimeSteps) {
  for (float dt : {20.0f, 0.5f}) {
    Protocol p = Protocol::test(dt);
    p.seed = 99;
    Protocol quiet = p;
    quiet.input_noise = false;
    const double expected = 2.0 * 0.01 * 0.01 / (dt / 100.0);
    double s1 = 0, s2 = 0, lag = 0;
    long n = 0;
    for (uint32_t trial = 0; trial < 40; ++trial) {
      const Stimulus s(p, Trial{Modality::Both, 10.0f, trial});
      const Stimulus q(quiet, Trial{Modality::Both, 10.0f, trial});
      float x[kInputs], x0[kInputs];
      double prev[kInputs] = {};
      for (int t = 0; t < s.steps(); ++t) {
        s.input(t, x);
        q.input(t, x0);
        for (int j = 0; j < kInputs; ++j) {
          const double e = static_cast<double>(x[j]) - x0[j];
          s1 += e;
          s2 += e * e;
          if (t > 0) lag += e * prev[j];
          prev[j] = e;
          ++n;
        }
      }
    }
    const double dn = static_cast<double>(n);
    EXPECT_NEAR(s1 / dn, 0.0, 5 * std::sqrt(expected / dn)) << dt;
    EXPECT_NEAR(s2 / dn, expected, 5 * expected * std::sqrt(2.0 / dn)) << dt;
    EXPECT_NEAR(lag / dn, 0.0, 5 * expected / std::sqrt(dn)) << dt;  // white in time
  }
}

TEST(Msi, InputWiringOfThe150UnitNetwork) {
  for (int i = 0; i < 150; ++i) {
    const bool aud = i < 50, vis = i >= 50 && i < 100;
    EXPECT_EQ(input_connected(i, AuditoryPos, 150), aud) << i;
    EXPECT_EQ(input_connected(i, AuditoryNeg, 150), aud) << i;
    EXPECT_EQ(input_connected(i, VisualPos, 150), vis) << i;
    EXPECT_EQ(input_connected(i, VisualNeg, 150), vis) << i;
    EXPECT_TRUE(input_connected(i, StartCue, 150));
  }
}

TEST(Msi, EvaluationSetCoversEveryConditionEqually) {
  const uint32_t reps = 7;
  int count[kModalities][kRates] = {};
  for (uint32_t k = 0; k < evaluation_size(reps); ++k) {
    const Trial t = evaluation_trial(k, reps);
    EXPECT_EQ(t.index, k);
    ++count[static_cast<int>(t.modality)][static_cast<int>(t.rate) - 9];
  }
  for (auto& row : count)
    for (int c : row) EXPECT_EQ(c, 7);
  EXPECT_EQ(correct_choice(Trial{Modality::Visual, 13.0f, 0}, 12.5f), High);
  EXPECT_EQ(correct_choice(Trial{Modality::Visual, 12.0f, 0}, 12.5f), Low);
}

TEST(Stimulus, ReferenceTrainingProtocolIsPaddedTo2500ms) {
  // The authors' training trials: 100/1000/300 ms then padding to 2500 ms (125 steps at 20 ms);
  // in the padding only baseline and noise reach the inputs and the loss does not count,
  // except in catch trials, which count everywhere.
  Protocol p = Protocol::reference_training();
  p.input_noise = false;
  const Stimulus s(p, Trial{Modality::Both, 15.0f, 0});
  ASSERT_EQ(s.steps(), 125);
  EXPECT_EQ(s.epoch(4), Epoch::Fixation);
  EXPECT_EQ(s.epoch(5), Epoch::Stimulus);
  EXPECT_EQ(s.epoch(69), Epoch::Decision);
  EXPECT_EQ(s.epoch(70), Epoch::Padding);
  float x[kInputs], y[kOutputs], mask[kOutputs];
  s.input(69, x);
  EXPECT_FLOAT_EQ(x[StartCue], 1.2f);
  s.target(69, y, mask);
  EXPECT_FLOAT_EQ(y[High], 1.0f);
  for (int t = 70; t < 125; ++t) {
    s.input(t, x);
    for (int j = 0; j < kInputs; ++j) EXPECT_FLOAT_EQ(x[j], 0.2f) << t;
    s.target(t, y, mask);
    EXPECT_EQ(mask[High], 0.0f);
    EXPECT_EQ(mask[Low], 0.0f);
  }
  const Stimulus c(p, Trial{Modality::Catch, 0.0f, 1});
  ASSERT_EQ(c.steps(), 125);
  for (int t = 0; t < 125; ++t) {
    c.target(t, y, mask);
    EXPECT_EQ(mask[High], 1.0f);
    EXPECT_FLOAT_EQ(y[High], 0.2f);
    EXPECT_FLOAT_EQ(y[Low], 0.2f);
  }
}
