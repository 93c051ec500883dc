// The ensemble analyses of `sasrnn analyze` (analysis/ensemble.hpp, perturbation.hpp,
// activity.hpp) against cases with known answers: eq. 14 for a pure Gaussian slab and a pure
// Bernoulli connection, SLI (eq. 15) of one-hot and flat responses, eta of symmetric and
// antisymmetric matrices, the probit fit on synthetic data, a perturbation that removes nothing, and
// the course of the rates per mode (hand-computed; the same in every mode for deterministic weights).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "sasrnn/analysis/activity.hpp"
#include "sasrnn/analysis/ensemble.hpp"
#include "sasrnn/analysis/ff_analysis.hpp"
#include "sasrnn/analysis/msi_eval.hpp"
#include "sasrnn/analysis/perturbation.hpp"
#include "support.hpp"

namespace sasrnn::analysis {
namespace {

constexpr double kPi = 3.14159265358979323846;

// The Monte Carlo error of eq. 14 in both known cases: S = const + mean_s(eps_s^2) / 2, and
// eps^2 / 2 has standard deviation 1 / sqrt(2), so the mean of B has 1 / sqrt(2 B).
double mc_tolerance(int b) { return 5.0 / std::sqrt(2.0 * b); }

TEST(Entropy, PureGaussianSlabIsHalfLog2PiEXi) {
  for (int b : {100, 10000}) {
    EntropyOptions o;
    o.samples = b;
    const std::vector<double> eps = entropy_normals(o);
    for (double xi : {1e-3, 0.04, 2.0})
      for (double m : {0.0, -0.7}) {
        const double s = sas_entropy(0.0, m, xi, eps, o.a);
        EXPECT_NEAR(s, 0.5 * std::log(2 * kPi * std::exp(1.0) * xi), mc_tolerance(b)) << xi << " " << b;
      }
  }
}

TEST(Entropy, PureBernoulliIsBinaryEntropyPlusTheRelaxationWidth) {
  // Xi = 0 is relaxed to a: two narrow Gaussians of variance a, far apart (|m| >> sqrt(a)); the
  // discrete part is the binary entropy, the rest the entropy 1/2 ln(2 pi e a) of the relaxation.
  for (int b : {100, 10000}) {
    EntropyOptions o;
    o.samples = b;
    const std::vector<double> eps = entropy_normals(o);
    for (double pi : {0.05, 0.3, 0.5, 0.9}) {
      const double s = sas_entropy(pi, 0.5, 0.0, eps, o.a);
      EXPECT_NEAR(s - 0.5 * std::log(2 * kPi * std::exp(1.0) * o.a), binary_entropy(pi), mc_tolerance(b))
          << pi << " " << b;
    }
  }
  EXPECT_NEAR(binary_entropy(0.5), std::log(2.0), 1e-15);
  EXPECT_EQ(binary_entropy(0.0), 0.0);
  EXPECT_EQ(binary_entropy(1.0), 0.0);
}

TEST(Entropy, MonteCarloErrorShrinksWithB) {
  // the deviation at B = 10000 is within its (100 times smaller) tolerance: B is used
  EntropyOptions o;
  o.samples = 10000;
  const double s = sas_entropy(0.0, 0.0, 1.0, entropy_normals(o), o.a);
  EXPECT_NEAR(s, 0.5 * std::log(2 * kPi * std::exp(1.0)), mc_tolerance(10000));
}

TEST(Entropy, OptionsOutOfRangeAreRefused) {
  EntropyOptions o;
  o.a = 0;
  EXPECT_THROW(o.check(), std::invalid_argument);
  o.a = 1e-4;
  o.samples = 0;
  EXPECT_THROW(o.check(), std::invalid_argument);
  VipRule r;
  r.vip_pi_max = 1.5;
  EXPECT_THROW(r.check(), std::invalid_argument);
  r = VipRule{};
  r.vip_m_min = -1;
  EXPECT_THROW(r.check(), std::invalid_argument);
  r = VipRule{};
  r.uip_pi_min = 1.0;
  EXPECT_THROW(r.check(), std::invalid_argument);
  VipRule{}.check();
}

TEST(Summary, SplitsTheRecurrentLayerAndCountsVipUip) {
  HostLayer l;
  l.rows = l.cols = 3;
  // pi: upper (i < j) 0.2, lower 0.6, diagonal 0; m = 0.1 everywhere; one VIP per off-diagonal
  l.pi = {0.0f, 0.2f, 0.05f, 0.6f, 0.0f, 0.2f, 0.95f, 0.6f, 0.0f};
  l.m.assign(9, 0.1f);
  l.xi.assign(9, 0.0f);
  EntropyOptions eo;
  const std::vector<double> eps = entropy_normals(eo);
  const VipRule rule;
  const LayerSummary up = summarize("I", l, Part::Upper, rule, eo, eps);
  const LayerSummary lo = summarize("II", l, Part::Lower, rule, eo, eps);
  const LayerSummary dg = summarize("d", l, Part::Diagonal, rule, eo, eps);
  EXPECT_EQ(up.count, 3u);
  EXPECT_NEAR(up.sparsity, (0.2 + 0.05 + 0.2) / 3, 1e-7);
  EXPECT_NEAR(lo.sparsity, (0.6 + 0.95 + 0.6) / 3, 1e-7);
  EXPECT_NEAR(up.vip, 1.0 / 3, 1e-12);  // pi = 0.05 < 0.1 and |m| = 0.1 > 0.05
  EXPECT_NEAR(lo.uip, 1.0 / 3, 1e-12);  // pi = 0.95 > 0.9
  EXPECT_EQ(dg.count, 3u);
  EXPECT_NEAR(dg.vip, 1.0, 1e-12);
  EXPECT_EQ(vip_indices(l, rule), (std::vector<uint32_t>{0, 2, 4, 8}));
  const std::vector<uint8_t> mask = {1, 1, 1, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(summarize("m", l, Part::All, rule, eo, eps, mask.data()).count, 3u);
}

TEST(Sli, OneHotIsOneFlatIsZero) {
  EXPECT_NEAR(sli({0, 0, 3.5, 0, 0, 0, 0, 0, 0, 0}), 1.0, 1e-12);
  EXPECT_NEAR(sli({2, 2, 2, 2}), 0.0, 1e-12);
  EXPECT_EQ(sli({0, 0, 0}), 0.0);  // silent
  // two of four equal: (1 - (1/2)^2 / (1/2)) / (3/4) = 2/3
  EXPECT_NEAR(sli({1, 1, 0, 0}), 2.0 / 3.0, 1e-12);
}

TEST(Eta, SymmetricIsOneAntisymmetricIsMinusOne) {
  const int n = 6;
  std::mt19937 gen(3);
  std::normal_distribution<float> g;
  std::vector<float> s(n * n), a(n * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) {
      const float v = g(gen), w = g(gen);
      s[i * n + j] = s[j * n + i] = v;
      a[i * n + j] = w;
      a[j * n + i] = -w;
    }
  EXPECT_NEAR(asymmetry_eta(s, n), 1.0, 1e-12);
  EXPECT_NEAR(asymmetry_eta(a, n), -1.0, 1e-12);
  std::vector<float> z(n * n, 0.0f);
  z[1] = 1.0f;  // one connection, no reciprocal one
  EXPECT_EQ(asymmetry_eta(z, n), 0.0);
  EXPECT_NEAR(zero_fraction(z, n), 35.0 / 36.0, 1e-12);
}

TEST(Concrete, ZeroFractionFollowsPiAndSymmetricDeterministicWeightsGiveEtaOne) {
  HostLayer l;
  l.rows = l.cols = 40;
  l.pi.assign(1600, 0.3f);
  l.m.assign(1600, 0.2f);
  l.xi.assign(1600, 0.0f);
  const std::vector<ConcreteStep> st = concrete_networks(l, 7, 0, 5);
  ASSERT_EQ(st.size(), 5u);
  // binomial: 1600 draws of p = 0.3, sd sqrt(0.21 / 1600) = 0.0115
  for (const ConcreteStep& c : st) EXPECT_NEAR(c.zero_fraction, 0.3, 5 * 0.0115);
  std::fill(l.pi.begin(), l.pi.end(), 0.0f);
  for (const ConcreteStep& c : concrete_networks(l, 7, 0, 2)) {
    EXPECT_EQ(c.zero_fraction, 0.0);
    EXPECT_NEAR(c.eta, 1.0, 1e-12);
  }
}

// rate_course: per recorded step the mean over trials and units, the median trial's mean and the
// largest rate, computed by hand; a stopped trial is left out of the mean and median and counted,
// its finite rates still count for the largest.
TEST(RateCourse, MeanMedianAndLargestLeaveOutStoppedTrials) {
  Traces tr;
  tr.trials = 4;
  tr.steps = 2;
  tr.n = 2;
  // [trial][step][unit]: trial means at step 0: 9, 1, 100 (stopped), 2; at step 1: 5, 3, NaN, 4
  tr.rates = {8, 10, 5, 5,  0, 2, 3, 3,  100, 100, NAN, NAN,  1, 3, 4, 4};
  tr.decision.assign(4, 0);
  tr.status = {Status::Ok, Status::Ok, Status::NonFiniteState, Status::Ok};
  const RateCourse c = rate_course(tr);
  EXPECT_EQ(c.stopped, 1);
  ASSERT_EQ(c.mean.size(), 2u);
  EXPECT_DOUBLE_EQ(c.mean[0], (8 + 10 + 0 + 2 + 1 + 3) / 6.0);
  EXPECT_DOUBLE_EQ(c.mean[1], (5 + 5 + 3 + 3 + 4 + 4) / 6.0);
  EXPECT_DOUBLE_EQ(c.median[0], 2.0);  // of 9, 1, 2
  EXPECT_DOUBLE_EQ(c.median[1], 4.0);  // of 5, 3, 4
  EXPECT_DOUBLE_EQ(c.max[0], 100.0);   // the stopped trial's, before it stopped
  EXPECT_DOUBLE_EQ(c.max[1], 5.0);     // its NaN is passed over
  tr.status[2] = Status::Ok;  // four trials: the median is the mean of the middle two
  tr.rates[10] = tr.rates[11] = 6;
  const RateCourse d = rate_course(tr);
  EXPECT_EQ(d.stopped, 0);
  EXPECT_DOUBLE_EQ(d.median[0], (2.0 + 9.0) / 2);   // of 9, 1, 100, 2
  EXPECT_DOUBLE_EQ(d.median[1], (4.0 + 5.0) / 2);   // of 5, 3, 6, 4
  tr.status.assign(4, Status::NonFiniteState);  // nothing left: NaN, but the largest rate stays
  const RateCourse e = rate_course(tr);
  EXPECT_TRUE(std::isnan(e.mean[0]));
  EXPECT_TRUE(std::isnan(e.median[0]));
  EXPECT_DOUBLE_EQ(e.max[0], 100.0);
}

// With deterministic weights (pi in {0, 1}, Xi = 0) every mode runs the same network: the four
// courses of the rates are the same; with a variable ensemble the sampled modes differ.
TEST(RateCourse, DeterministicWeightsGiveTheSameCourseInEveryMode) {
  conv::ModelData d = test::mixed_model(24, 5, 2, 3);
  conv::apply_msi_task(d);
  for (conv::LayerData* l : {&d.input, &d.recurrent, &d.output}) {
    for (size_t k = 0; k < l->pi.size(); ++k) l->pi[k] = l->pi[k] == 1.0f || k % 3 == 0 ? 1.0f : 0.0f;  // masked inputs stay 1
    std::fill(l->xi.begin(), l->xi.end(), 0.0f);
  }
  const auto course = [](const conv::ModelData& md, Mode mode) {
    const conv::AlignedBuffer buf = conv::build_model_file(md);
    ModelView model;
    EXPECT_EQ(load(buf.data(), buf.size(), model), Status::Ok);
    const Options opt = test::run_options(mode, 5, false);
    return rate_course(record_traces(
        model, opt, 6, 30, 3, [](int k) { return static_cast<uint32_t>(k); },
        [](int k, int t, float* x) {
          for (int j = 0; j < 5; ++j) x[j] = 0.1f * static_cast<float>((k + j + t) % 4);
        },
        2));
  };
  const RateCourse mf = course(d, Mode::MeanField);
  ASSERT_EQ(mf.mean.size(), 10u);
  EXPECT_GT(mf.max.back(), 0.0);
  for (Mode mode : {Mode::SampledPerStep, Mode::SampledPerTrial, Mode::MeanWeights}) {
    const RateCourse c = course(d, mode);
    EXPECT_EQ(c.stopped, 0);
    for (size_t t = 0; t < mf.mean.size(); ++t) {
      EXPECT_NEAR(c.mean[t], mf.mean[t], 1e-5 * (1 + mf.mean[t])) << mode_name(mode) << " step " << t;
      EXPECT_NEAR(c.max[t], mf.max[t], 1e-5 * (1 + mf.max[t])) << mode_name(mode) << " step " << t;
    }
  }
  for (size_t k = 0; k < d.recurrent.pi.size(); ++k) d.recurrent.pi[k] = 0.5f;
  const RateCourse mixed_mf = course(d, Mode::MeanField), mixed_spt = course(d, Mode::SampledPerTrial);
  double diff = 0;
  for (size_t t = 0; t < mixed_mf.mean.size(); ++t) diff += std::fabs(mixed_mf.mean[t] - mixed_spt.mean[t]);
  EXPECT_GT(diff, 1e-3);
}

/// Synthetic psychometric data from Phi((f - mu) / sigma) with n trials per rate.
void synthetic(double mu, double sigma, int n, uint32_t seed, std::vector<double>& x,
               std::vector<double>& k, std::vector<double>& cnt) {
  std::mt19937 gen(seed);
  x.clear();
  k.clear();
  cnt.clear();
  for (int r = 0; r < 8; ++r) {
    const double f = 9 + r, p = 0.5 * std::erfc(-(f - mu) / (sigma * std::sqrt(2.0)));
    std::binomial_distribution<int> b(n, p);
    x.push_back(f);
    k.push_back(b(gen));
    cnt.push_back(n);
  }
}

TEST(Probit, RecoversMuAndSigmaWithinItsStandardErrors) {
  // 400 synthetic data sets (8 rates x 100 trials): the errors z = (estimate - truth) / SE have
  // mean 0 and variance 1 if the fit is unbiased and its standard errors are right. Tolerances at
  // about 3 sd: mean 3 / sqrt(400) = 0.15, variance 3 sqrt(2 / 400) = 0.21, the fraction within
  // 2 SE 0.954 +- 3 sqrt(0.954 * 0.046 / 400) = 0.03.
  const double mu = 12.3, sigma = 1.4;
  const int sets = 400;
  double zm[2] = {0, 0}, zv[2] = {0, 0};
  int within2[2] = {0, 0};
  for (uint32_t seed = 1; seed <= sets; ++seed) {
    std::vector<double> x, k, n;
    synthetic(mu, sigma, 100, seed, x, k, n);
    const ProbitFit f = fit_probit(x, k, n);
    ASSERT_TRUE(f.converged) << seed;
    ASSERT_FALSE(f.separated);
    const double z[2] = {(f.mu - mu) / f.se_mu, (f.sigma - sigma) / f.se_sigma};
    for (int q = 0; q < 2; ++q) {
      zm[q] += z[q];
      zv[q] += z[q] * z[q];
      within2[q] += std::fabs(z[q]) < 2 ? 1 : 0;
    }
  }
  for (int q = 0; q < 2; ++q) {
    EXPECT_NEAR(zm[q] / sets, 0.0, 0.15) << q;
    EXPECT_NEAR(zv[q] / sets, 1.0, 0.21) << q;
    EXPECT_NEAR(static_cast<double>(within2[q]) / sets, 0.954, 0.03) << q;
  }
  // one large data set: within 3 standard errors, which are small
  std::vector<double> x, k, n;
  synthetic(mu, sigma, 20000, 7, x, k, n);
  const ProbitFit f = fit_probit(x, k, n);
  EXPECT_LT(std::fabs(f.mu - mu), 3 * f.se_mu);
  EXPECT_LT(std::fabs(f.sigma - sigma), 3 * f.se_sigma);
  EXPECT_LT(f.se_mu, 0.01);
}

TEST(Probit, IsTheMaximumOfTheLikelihood) {
  std::vector<double> x, k, n;
  synthetic(11.0, 2.0, 50, 9, x, k, n);
  const ProbitFit f = fit_probit(x, k, n);
  ASSERT_TRUE(f.converged);
  const auto ll = [&](double mu, double s) {
    double l = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double p = 0.5 * std::erfc(-(x[i] - mu) / (s * std::sqrt(2.0)));
      l += k[i] * std::log(p) + (n[i] - k[i]) * std::log(1 - p);
    }
    return l;
  };
  EXPECT_NEAR(f.log_likelihood, ll(f.mu, f.sigma), 1e-9);
  for (double dm : {-1e-3, 1e-3})
    for (double ds : {-1e-3, 0.0, 1e-3}) EXPECT_LT(ll(f.mu + dm, f.sigma + ds), f.log_likelihood);
}

TEST(Probit, SeparatedDataHaveNoFiniteSigma) {
  const std::vector<double> x = {9, 10, 11, 12, 13, 14, 15, 16}, n(8, 100.0);
  const std::vector<double> k = {0, 0, 0, 0, 100, 100, 100, 100};
  const ProbitFit f = fit_probit(x, k, n);
  EXPECT_TRUE(f.separated);
  EXPECT_EQ(f.sigma, 0.0);
  EXPECT_DOUBLE_EQ(f.mu, 12.5);
  // the 95 % upper bound: with mu = 12.5 the nearest rates are 0.5 away, 100 trials each on both
  // sides: 2 * 100 * ln Phi(0.5 / s) = -1.92 gives Phi(0.5 / s) = exp(-0.0096), 0.5 / s = 2.34
  EXPECT_NEAR(f.sigma_upper, 0.5 / 2.3413, 0.002);
}

TEST(Probit, OptimalIntegrationPrediction) {
  ProbitFit v, a;
  v.sigma = 3;
  a.sigma = 4;
  v.se_sigma = a.se_sigma = 0;
  EXPECT_NEAR(optimal_integration(v, a).sigma, 2.4, 1e-12);  // 1 / sqrt(1/9 + 1/16)
  EXPECT_NEAR(optimal_integration(v, a).sigma, optimal_sigma(3, 4), 1e-12);
}

TEST(Perturbation, RemovingNothingLeavesTheAccuracyBitForBit) {
  conv::ModelData d = test::mixed_model(30, 5, 2, 1);
  conv::apply_msi_task(d);
  for (const char* enc : {"dense", "dense-moments", "compact"}) {
    const conv::AlignedBuffer buf =
        conv::build_model_file(conv::with_encoding(d, conv::encoding_preset(enc)));
    ModelView model;
    ASSERT_EQ(load(buf.data(), buf.size(), model), Status::Ok);
    EditableModel edit(model);
    edit.set_removed({});
    for (Mode mode : {Mode::MeanField, Mode::SampledPerStep}) {
      EvalConfig cfg;
      cfg.mode = mode;
      cfg.reps = 3;
      const EvalResult a = evaluate_msi(model, cfg), b = evaluate_msi(edit.view(), cfg);
      ASSERT_EQ(a.trials.size(), b.trials.size());
      for (size_t k = 0; k < a.trials.size(); ++k) {
        EXPECT_EQ(test::bits(a.trials[k].y_high), test::bits(b.trials[k].y_high)) << enc << k;
        EXPECT_EQ(test::bits(a.trials[k].y_low), test::bits(b.trials[k].y_low)) << enc << k;
      }
      EXPECT_EQ(a.accuracy, b.accuracy);
    }
  }
}

TEST(Perturbation, RemovedSetsAreNestedAndRemovalMakesConnectionsAbsent) {
  const conv::ModelData d = test::mixed_model(20, 5, 2, 4);
  const conv::AlignedBuffer buf = conv::build_model_file(d);
  ModelView model;
  ASSERT_EQ(load(buf.data(), buf.size(), model), Status::Ok);
  EditableModel edit(model);
  const VipRule rule;
  const size_t v = vip_indices(edit.original(), rule).size();
  ASSERT_GT(v, 10u);
  const auto half = removed_set(edit.original(), rule, true, 0, 0.5, 1);
  const auto all = removed_set(edit.original(), rule, true, 0, 1.0, 1);
  EXPECT_EQ(half.size(), static_cast<size_t>(std::llround(0.5 * static_cast<double>(v))));
  EXPECT_EQ(all, vip_indices(edit.original(), rule));
  EXPECT_TRUE(std::includes(all.begin(), all.end(), half.begin(), half.end()));
  const auto rnd = removed_set(edit.original(), rule, false, 1, 0.5, 1);
  EXPECT_EQ(rnd.size(), half.size());
  EXPECT_NE(rnd, removed_set(edit.original(), rule, false, 2, 0.5, 1));  // draws differ
  edit.set_removed(all);
  for (uint32_t k : all) EXPECT_EQ(edit.view().recurrent.pi[k], 1.0f);
  EXPECT_EQ(edit.view().input.pi, model.input.pi);  // the other layers are the model's own
  SweepConfig cfg;
  cfg.points = 3;
  cfg.draws = 2;
  int calls = 0;
  const auto pts = perturbation_sweep(model, cfg, [&](const ModelView&, Mode) {
    ++calls;
    return 0.5;
  });
  EXPECT_EQ(pts.size(), 2u * 2u * 2u * 3u);
  // equal sets run once; per mode: nothing removed, half the VIPs in each of 2 draws, all VIPs,
  // 2 random sets of each nonzero size: 1 + 2 + 1 + 4 = 8
  EXPECT_EQ(calls, 16);
}

}  // namespace
}  // namespace sasrnn::analysis

namespace sasrnn::analysis {
namespace {

// The synapse kinds of a feedforward stack (ff_analysis.hpp): the authors' exact rules, the training
// scale (m sqrt(n), Xi n), the perturbed sets (nested, of the right size and kind), and the sweep
// applying them (a stub accuracy that counts what it sees).
TEST(FfAnalysis, KindsScaleAndPerturbedSets) {
  const FfKindRule rule;
  EXPECT_EQ(rule.kind(0.0f, 0.0f), FfKindRule::Important);
  EXPECT_EQ(rule.kind(1.0f, 0.3f), FfKindRule::Unimportant);
  EXPECT_EQ(rule.kind(0.0f, 1e-9f), FfKindRule::Variable);
  EXPECT_EQ(rule.kind(0.5f, 0.0f), FfKindRule::Variable);
  FfKindRule bad;
  bad.important_pi_max = 0.6;
  bad.unimportant_pi_min = 0.5;
  EXPECT_THROW(bad.check(), std::invalid_argument);
  // a 4 x 16 layer: columns 0-3 important, 4-7 unimportant, 8-15 variable
  HostLayer h;
  h.rows = 4;
  h.cols = 16;
  for (uint32_t i = 0; i < 4; ++i)
    for (uint32_t j = 0; j < 16; ++j) {
      h.pi.push_back(j < 4 ? 0.0f : j < 8 ? 1.0f : 0.5f);
      h.m.push_back(0.25f);
      h.xi.push_back(j < 8 ? 0.0f : 0.0625f);
    }
  const LayerView v = layer_view(h);
  const HostLayer t = training_scale_layer(v);
  EXPECT_FLOAT_EQ(t.m[0], 1.0f);       // 0.25 sqrt(16)
  EXPECT_FLOAT_EQ(t.xi[8], 1.0f);      // 0.0625 * 16
  const FfLayerSummary s = summarize_ff("l", t, rule, VipRule{}, EntropyOptions{}, entropy_normals(EntropyOptions{}));
  EXPECT_DOUBLE_EQ(s.important, 0.25);
  EXPECT_DOUBLE_EQ(s.unimportant, 0.25);
  EXPECT_DOUBLE_EQ(s.variable, 0.5);
  const auto imp = ff_changed_set(t, rule, "important", 0, 1.0, 1);
  const auto imp_half = ff_changed_set(t, rule, "important", 0, 0.5, 1);
  const auto var_half = ff_changed_set(t, rule, "variable", 0, 0.5, 1);
  const auto uip = ff_changed_set(t, rule, "unimportant", 2, 0.25, 1);
  EXPECT_EQ(imp.size(), 16u);
  EXPECT_EQ(imp_half.size(), 8u);
  EXPECT_TRUE(std::includes(imp.begin(), imp.end(), imp_half.begin(), imp_half.end()));
  EXPECT_EQ(var_half.size(), 8u);  // as many as half the important ones
  for (uint32_t k : var_half) EXPECT_GE(k % 16, 8u);
  EXPECT_EQ(uip.size(), 4u);
  for (uint32_t k : uip) EXPECT_TRUE(k % 16 >= 4 && k % 16 < 8);
  EXPECT_THROW(ff_changed_set(t, rule, "other", 0, 0.5, 1), std::invalid_argument);
  // the sweep hands the accuracy function the perturbed stack: count pi = 1 and the randomized
  ff::ModelView model;
  model.n_layers = 1;
  model.n_in = 16;
  model.n_out = 4;
  model.layers[0] = v;
  FfSweepConfig cfg;
  cfg.points = 3;
  cfg.draws = 1;
  int evaluated = 0;
  const auto pts = ff_perturbation_sweep(model, cfg, [&](const ff::ModelView& m) {
    ++evaluated;
    const HostLayer p = decode_layer(m.layers[0]);
    double absent = 0, random = 0;
    for (size_t k = 0; k < p.size(); ++k) {
      absent += p.pi[k] == 1.0f ? 1 : 0;
      random += p.xi[k] == 1.0f / 16 && p.m[k] == 0.0f ? 1 : 0;
    }
    return absent + 1000 * random;  // an "accuracy" that says what was changed
  });
  ASSERT_EQ(pts.size(), 9u);
  EXPECT_EQ(evaluated, 7);  // the three fraction-0 points are one evaluation
  for (const FfSweepPoint& p : pts) {
    if (p.kind == "unimportant")
      EXPECT_DOUBLE_EQ(p.accuracy, 16 - static_cast<double>(p.changed) + 1000.0 * static_cast<double>(p.changed)) << p.fraction;
    else
      EXPECT_DOUBLE_EQ(p.accuracy, 16 + static_cast<double>(p.changed)) << p.kind << " " << p.fraction;
  }
  FfSweepConfig wrong = cfg;
  wrong.layer = 1;
  EXPECT_THROW(ff_perturbation_sweep(model, wrong, [](const ff::ModelView&) { return 0.0; }), std::invalid_argument);
}

}  // namespace
}  // namespace sasrnn::analysis
