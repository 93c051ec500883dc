// Network modes: sampling statistics (paper eq. 3-5), mode equivalences, options and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/network.hpp"
#include "support.hpp"

using namespace sasrnn;

namespace {

constexpr int kN = 24, kIn = 5, kOut = 2;
using Net = Network<kN, kIn, kOut>;

struct Bound {
  conv::AlignedBuffer buf;
  ModelView view;
};

Bound bind_model(const conv::ModelData& d) {
  Bound b{conv::build_model_file(d), {}};
  EXPECT_EQ((load<kN, kIn, kOut>(b.buf.data(), b.buf.size(), b.view)), Status::Ok);
  return b;
}

Net::State test_h0() {
  Net::State h;
  for (int i = 0; i < kN; ++i) h[i] = (i % 4 == 0) ? -0.3f : 0.1f + 0.05f * static_cast<float>(i);
  return h;
}

Net::Input test_x() {
  Net::Input x;
  x << 0.2f, 1.0f, 0.6f, 0.0f, 1.2f;
  return x;
}

}  // namespace

// One spike-and-slab draw per connection class: mean (1-pi)m, second moment (1-pi)(m^2+xi),
// zero fraction pi, and a normal slab (KS), within 5 standard errors of the sample size.
TEST(Sampling, SasSampleMomentsPerConnectionClass) {
  struct Case {
    float pi, m, xi;
  };
  const Case cases[] = {{1.0f, 0.7f, 0.3f},   // absent
                        {0.0f, -0.4f, 0.0f},  // constant
                        {0.35f, 0.8f, 0.0f},  // Bernoulli only
                        {0.0f, 0.2f, 0.09f},  // Gaussian only
                        {0.6f, -0.5f, 0.04f}, // full SaS
                        {0.05f, 1.5f, 0.5f}};
  const uint32_t S = 40000;
  for (const Case& c : cases) {
    const float sd = std::sqrt(c.xi);
    double s1 = 0, s2 = 0, zeros = 0;
    std::vector<double> slab;
    for (uint32_t t = 0; t < S; ++t) {
      const float w = sas_sample(77, Counter{3, t, 0, 1}, c.pi, c.m, sd);
      s1 += w;
      s2 += static_cast<double>(w) * w;
      if (w == 0.0f) {
        zeros += 1;
      } else if (c.xi > 0.0f) {
        slab.push_back((w - c.m) / sd);
      }
    }
    const double pi = c.pi, m = c.m, xi = c.xi;
    const double mean = (1 - pi) * m, second = (1 - pi) * (m * m + xi);
    const double fourth = (1 - pi) * (m * m * m * m + 6 * m * m * xi + 3 * xi * xi);
    const double var = std::max(0.0, second - mean * mean);
    const double var2 = std::max(0.0, fourth - second * second);
    EXPECT_NEAR(s1 / S, mean, 5 * std::sqrt(var / S) + 1e-7) << "pi=" << pi << " m=" << m << " xi=" << xi;
    EXPECT_NEAR(s2 / S, second, 5 * std::sqrt(var2 / S) + 1e-7) << "pi=" << pi;
    EXPECT_NEAR(zeros / S, pi, 5 * std::sqrt(pi * (1 - pi) / S) + 1e-7) << "pi=" << pi;
    if (c.xi > 0.0f && c.pi < 1.0f) {
      ASSERT_GT(slab.size(), 1000u);
      EXPECT_LT(test::ks_statistic(slab, test::normal_cdf), test::ks_critical_001(slab.size()));
    }
  }
}

// In SampledPerStep mode the pre-activation u at fixed r and x has, over draws, the mean G and the
// variance Delta^2 of paper eq. 4b-5 (computed here in double from the model arrays).
TEST(Sampling, SampledPreactivationHasMeanFieldMoments) {
  const conv::ModelData d = test::mixed_model(kN, kIn, kOut, 11);
  Bound b = bind_model(d);
  const Net::State h0 = test_h0();
  const Net::Input x = test_x();
  std::vector<double> G(kN, 0.0), D2(kN, 0.0);
  for (int i = 0; i < kN; ++i) {
    for (int j = 0; j < kN; ++j) {
      const double r = std::max(0.0f, h0[j]);
      const size_t k = static_cast<size_t>(i) * kN + j;
      const double pi = d.recurrent.pi[k], m = d.recurrent.m[k], xi = d.recurrent.xi[k];
      G[i] += (1 - pi) * m * r;                                        // eq. 5b
      D2[i] += ((1 - pi) * (m * m + xi) - (1 - pi) * (1 - pi) * m * m) * r * r;  // eq. 5e
    }
    for (int j = 0; j < kIn; ++j) {
      const size_t k = static_cast<size_t>(i) * kIn + j;
      const double pi = d.input.pi[k], m = d.input.m[k], xi = d.input.xi[k];
      G[i] += (1 - pi) * m * x[j];                                     // eq. 5a
      D2[i] += ((1 - pi) * (m * m + xi) - (1 - pi) * (1 - pi) * m * m) * x[j] * x[j];  // eq. 5d
    }
  }
  for (Mode mode : {Mode::SampledPerStep, Mode::MeanField}) {
    Net net;
    Options opt;
    opt.mode = mode;
    opt.seed = 5;
    ASSERT_EQ(net.bind(b.view, opt), Status::Ok);
    const uint32_t T = 20000;
    std::vector<double> s1(kN, 0), s2(kN, 0), s4(kN, 0);
    std::vector<std::vector<double>> us(kN);
    Net::State u;
    for (uint32_t trial = 0; trial < T; ++trial) {
      net.reset(trial, h0);  // each trial draws an independent network (or eps)
      ASSERT_EQ(net.preactivation(x, u), Status::Ok);
      for (int i = 0; i < kN; ++i) us[i].push_back(u[i]);
    }
    for (int i = 0; i < kN; ++i) {
      double mean = 0;
      for (double v : us[i]) mean += v;
      mean /= T;
      double var = 0, m4 = 0;
      for (double v : us[i]) {
        var += (v - mean) * (v - mean);
        m4 += std::pow(v - mean, 4);
      }
      var /= (T - 1);
      m4 /= T;
      const double se_mean = std::sqrt(D2[i] / T);
      const double se_var = std::sqrt(std::max(m4 - var * var, 1e-30) / T);
      EXPECT_NEAR(mean, G[i], 5 * se_mean + 1e-6) << mode_name(mode) << " unit " << i;
      EXPECT_NEAR(var, D2[i], 5 * se_var + 1e-6) << mode_name(mode) << " unit " << i;
    }
  }
}

namespace {
double ks_two_sample(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  double d = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const double t = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == t) ++i;
    while (j < b.size() && b[j] == t) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / a.size() - static_cast<double>(j) / b.size()));
  }
  return d;
}

/// u (paper eq. 1b) from h0 and z (eq. 1d) after one step, for trials [0, T) of a mode.
std::vector<std::vector<double>> one_step_samples(const ModelView& v, Mode mode, uint32_t T) {
  Net net;
  Options opt;
  opt.mode = mode;
  opt.seed = 17;
  opt.recurrent_noise = false;
  EXPECT_EQ(net.bind(v, opt), Status::Ok);
  std::vector<std::vector<double>> s(kN + kOut);
  Net::State u;
  for (uint32_t trial = 0; trial < T; ++trial) {
    net.reset(trial, test_h0());
    EXPECT_EQ(net.preactivation(test_x(), u), Status::Ok);
    EXPECT_EQ(net.step(test_x()), Status::Ok);
    for (int i = 0; i < kN; ++i) s[i].push_back(u[i]);
    for (int k = 0; k < kOut; ++k) s[kN + k].push_back(net.z()[k]);
  }
  return s;
}
}  // namespace

// SampledPerStep draws each spike and one Gaussian per row for the slab sum (rng.hpp). That must
// give the distribution of a concrete network drawn connection by connection (paper eq. 3), which
// SampledPerTrial does (a fresh network per trial). Two-sample Kolmogorov-Smirnov on every unit's
// u and every output's z after one step, 20 000 trials each, at the 0.1 % critical value; and the
// test has power: the Gaussian of MeanField (same mean and variance) is rejected.
TEST(Sampling, SampledPerStepHasTheDistributionOfConcreteNetworks) {
  Bound b = bind_model(test::mixed_model(kN, kIn, kOut, 12));
  const uint32_t T = 20000;
  const auto step = one_step_samples(b.view, Mode::SampledPerStep, T);
  const auto concrete = one_step_samples(b.view, Mode::SampledPerTrial, T);
  const auto gauss = one_step_samples(b.view, Mode::MeanField, T);
  const double crit = 1.949 * std::sqrt(2.0 / T);
  double worst_gauss = 0;
  for (int i = 0; i < kN + kOut; ++i) {
    EXPECT_LT(ks_two_sample(step[i], concrete[i]), crit) << (i < kN ? "u" : "z") << " " << i;
    if (i < kN) worst_gauss = std::max(worst_gauss, ks_two_sample(gauss[i], concrete[i]));
  }
  EXPECT_GT(worst_gauss, 2 * crit);
  // Jointly, too: rows of a concrete network use disjoint weights, so the u of two rows that
  // share their spikes' Philox block (i, i + 1 in one group of four) are uncorrelated. The
  // sample correlation of independent variables has standard error 1 / sqrt(T).
  auto corr = [&](const std::vector<double>& a, const std::vector<double>& b) {
    double ma = 0, mb = 0;
    for (size_t t = 0; t < a.size(); ++t) ma += a[t], mb += b[t];
    ma /= static_cast<double>(a.size());
    mb /= static_cast<double>(b.size());
    double sab = 0, saa = 0, sbb = 0;
    for (size_t t = 0; t < a.size(); ++t) {
      sab += (a[t] - ma) * (b[t] - mb);
      saa += (a[t] - ma) * (a[t] - ma);
      sbb += (b[t] - mb) * (b[t] - mb);
    }
    return sab / std::sqrt(saa * sbb);
  };
  const double bound = 5.0 / std::sqrt(static_cast<double>(T));
  for (int i = 0; i + 1 < kN; ++i) {
    if (i % 4 == 3) continue;
    EXPECT_LT(std::fabs(corr(step[i], step[i + 1])), bound) << "u " << i << ", " << i + 1;
    EXPECT_LT(std::fabs(corr(concrete[i], concrete[i + 1])), bound) << "concrete " << i;
  }
  EXPECT_LT(std::fabs(corr(step[kN], step[kN + 1])), bound) << "z 0, 1";
}

namespace {
/// u from the rates after `steps` steps of trial `trial`, and u from the same rates and trial
/// at step 0 (a fresh network reset to that state); recurrent noise off.
std::pair<Net::State, Net::State> later_and_fresh(const ModelView& v, Mode mode, uint32_t trial,
                                                  int steps) {
  Options opt;
  opt.mode = mode;
  opt.recurrent_noise = false;
  Net a, fresh;
  EXPECT_EQ(a.bind(v, opt), Status::Ok);
  EXPECT_EQ(fresh.bind(v, opt), Status::Ok);
  a.reset(trial, test_h0());
  for (int t = 0; t < steps; ++t) EXPECT_EQ(a.step(test_x()), Status::Ok);
  fresh.reset(trial, a.state());
  Net::State ua, uf;
  EXPECT_EQ(a.preactivation(test_x(), ua), Status::Ok);
  EXPECT_EQ(fresh.preactivation(test_x(), uf), Status::Ok);
  return {ua, uf};
}
}  // namespace

// The spikes are drawn afresh at every step: with xi = 0 the pre-activation of SampledPerStep
// depends on the spikes only, and from the same rates it differs between steps (SampledPerTrial
// keeps its network).
TEST(Sampling, SampledPerStepSpikesChangeWithTheStep) {
  conv::ModelData d = test::mixed_model(kN, kIn, kOut, 26);
  for (conv::LayerData* l : {&d.input, &d.recurrent, &d.output})
    for (size_t k = 0; k < l->size(); ++k) l->xi[k] = 0.0f;
  Bound b = bind_model(d);
  for (Mode mode : {Mode::SampledPerStep, Mode::SampledPerTrial}) {
    const auto [ua, uf] = later_and_fresh(b.view, mode, 2, 3);  // step 3 versus step 0
    int differ = 0;
    for (int i = 0; i < kN; ++i) differ += ua[i] != uf[i] ? 1 : 0;
    if (mode == Mode::SampledPerStep)
      EXPECT_GT(differ, kN / 2) << "spikes of step 3 equal those of step 0";
    else
      EXPECT_EQ(differ, 0);
  }
}

namespace {
std::vector<float> trajectory(const ModelView& v, Mode mode, bool noise, uint64_t seed = 3,
                              int steps = 60) {
  Net net;
  Options opt;
  opt.mode = mode;
  opt.seed = seed;
  opt.recurrent_noise = noise;
  EXPECT_EQ(net.bind(v, opt), Status::Ok);
  net.reset(4, test_h0());
  std::vector<float> out;
  Net::Input x = test_x();
  for (int t = 0; t < steps; ++t) {
    x[4] = (t % 10) < 5 ? 1.0f : 0.2f;
    EXPECT_EQ(net.step(x), Status::Ok);
    for (int i = 0; i < kN; ++i) out.push_back(net.state()[i]);
    for (int k = 0; k < kOut; ++k) out.push_back(net.output()[k]);
  }
  return out;
}
}  // namespace

TEST(Modes, AllModesAgreeWhenPiAndXiAreZero) {
  conv::ModelData d = test::mixed_model(kN, kIn, kOut, 21);
  test::set_pi_xi(d, 0.0f, 0.0f);
  Bound b = bind_model(d);
  for (bool noise : {false, true}) {
    const auto ref = trajectory(b.view, Mode::MeanField, noise);
    for (Mode m : {Mode::SampledPerStep, Mode::SampledPerTrial, Mode::MeanWeights})
      EXPECT_EQ(trajectory(b.view, m, noise), ref) << mode_name(m) << " noise " << noise;
    // the trajectory is not trivial
    double energy = 0;
    for (float v : ref) energy += std::fabs(v);
    EXPECT_GT(energy, 1.0);
  }
}

TEST(Modes, MeanFieldEqualsMeanWeightsForDeterministicBernoulliLimits) {
  conv::ModelData d = test::mixed_model(kN, kIn, kOut, 22);
  for (conv::LayerData* l : {&d.input, &d.recurrent, &d.output})
    for (size_t k = 0; k < l->size(); ++k) {
      l->pi[k] = (k * 7919) % 3 == 0 ? 1.0f : 0.0f;
      l->xi[k] = 0.0f;
    }
  Bound b = bind_model(d);
  const auto mf = trajectory(b.view, Mode::MeanField, true);
  EXPECT_EQ(trajectory(b.view, Mode::MeanWeights, true), mf);
  EXPECT_EQ(trajectory(b.view, Mode::SampledPerStep, true), mf);
}

TEST(Modes, SampledModesDifferFromMeanFieldWhenStochastic) {
  Bound b = bind_model(test::mixed_model(kN, kIn, kOut, 23));
  const auto mf = trajectory(b.view, Mode::MeanField, false);
  const auto step = trajectory(b.view, Mode::SampledPerStep, false);
  EXPECT_NE(step, mf);
  EXPECT_EQ(trajectory(b.view, Mode::SampledPerStep, false), step);  // same seed, same run
  EXPECT_NE(trajectory(b.view, Mode::SampledPerStep, false, 4), step);
}

TEST(Modes, SampledPerTrialKeepsOneNetworkPerTrial) {
  Bound b = bind_model(test::mixed_model(kN, kIn, kOut, 24));
  for (Mode mode : {Mode::SampledPerTrial, Mode::SampledPerStep}) {
    const auto [ua, uf] = later_and_fresh(b.view, mode, 9, 5);  // step 5 versus step 0
    if (mode == Mode::SampledPerTrial) {
      EXPECT_EQ(ua, uf);
    } else {
      EXPECT_NE(ua, uf);
    }
  }
}

// The trial cache holds the trial's concrete network (paper eq. 3: every weight sas_sample() of
// its counter), is redrawn by reset(), and a cache that is too small is refused and not used.
TEST(Network, TrialCacheHoldsTheTrialsConcreteNetwork) {
  const conv::ModelData d = test::mixed_model(kN, kIn, kOut, 25);
  Bound b = bind_model(d);
  Options opt;
  opt.mode = Mode::SampledPerTrial;
  opt.seed = 8;
  Net net;
  std::vector<float> cache(Net::kTrialCacheFloats, -7.0f);
  EXPECT_EQ(Net::kTrialCacheFloats, static_cast<size_t>(kN * kN + kN * kIn + kOut * kN));
  ASSERT_EQ(net.bind(b.view, opt), Status::Ok);
  EXPECT_EQ(net.use_trial_cache(cache.data(), cache.size() - 1), Status::BadOption);
  net.reset(1);
  EXPECT_EQ(cache[0], -7.0f);  // refused: nothing written, not even by reset()
  ASSERT_EQ(net.use_trial_cache(nullptr, 0), Status::Ok);
  ASSERT_EQ(net.use_trial_cache(cache.data(), cache.size()), Status::Ok);  // before bind(), too:
  ASSERT_EQ(net.bind(b.view, opt), Status::Ok);  // bind() starts trial 0: drawn
  for (uint32_t trial : {0u, 5u}) {
    if (trial != 0) net.reset(trial);
    size_t zeros = 0, k = 0;
    for (const auto& [l, stream] : {std::pair{&d.recurrent, Stream::RecurrentWeight},
                                    {&d.input, Stream::InputWeight},
                                    {&d.output, Stream::OutputWeight}})
      for (size_t c = 0; c < l->size(); ++c, ++k) {
        const float w = sas_sample(opt.seed, Counter{static_cast<uint32_t>(c), kTrialStep, trial,
                                                     static_cast<uint32_t>(stream)},
                                   l->pi[c], l->m[c], std::sqrt(l->xi[c]));
        EXPECT_EQ(cache[k], w) << "trial " << trial << " weight " << k;
        zeros += w == 0.0f ? 1 : 0;
      }
    EXPECT_EQ(k, cache.size());
    EXPECT_GT(zeros, 0u);  // spikes are there, and not everything is a spike
    EXPECT_LT(zeros, cache.size());
  }
  // A copy of the network has no cache: its reset() leaves this one's trial network alone, and
  // it still runs SampledPerTrial (uncached) with the same results.
  {
    const std::vector<float> trial5 = cache;
    Net copy = net;
    copy.reset(6);
    EXPECT_EQ(cache, trial5);
    Net::State uc, un;
    net.reset(6);  // the original redraws for trial 6
    ASSERT_EQ(copy.preactivation(test_x(), uc), Status::Ok);
    ASSERT_EQ(net.preactivation(test_x(), un), Status::Ok);
    for (int i = 0; i < kN; ++i) EXPECT_EQ(uc[i], un[i]);
    EXPECT_NE(cache, trial5);
  }
  // reset() of the trial already drawn does not draw it again (the memory is the network's)
  cache[0] = 123.0f;
  net.reset(6);
  EXPECT_EQ(cache[0], 123.0f);
  net.reset(7);
  EXPECT_NE(cache[0], 123.0f);
  // a too-small cache after a good one: refused and the network runs without a cache
  const float before = cache[3];
  EXPECT_EQ(net.use_trial_cache(cache.data(), 10), Status::BadOption);
  net.reset(9);
  EXPECT_EQ(cache[3], before);
}

TEST(Network, MomentCacheHoldsMuAndVarColumnByColumn) {
  const conv::ModelData d = test::mixed_model(kN, kIn, kOut, 26);
  Bound b = bind_model(d);
  Options opt;
  opt.mode = Mode::SampledPerStep;
  opt.seed = 3;
  Net net;
  constexpr int stride = (kN + 7) / 8 * 8, out_stride = (kOut + 7) / 8 * 8;
  EXPECT_EQ(Net::kMomentCacheFloats,
            static_cast<size_t>(2 * (stride * kN + stride * kIn + out_stride * kN)));
  std::vector<float> cache(Net::kMomentCacheFloats + 1, -7.0f);  // one float more than needed
  ASSERT_EQ(net.bind(b.view, opt), Status::Ok);
  EXPECT_EQ(net.use_moment_cache(cache.data(), Net::kMomentCacheFloats - 1), Status::BadOption);
  ASSERT_EQ(net.use_moment_cache(cache.data(), cache.size()), Status::Ok);
  EXPECT_EQ(cache[0], -7.0f);  // a sampled mode neither fills nor reads it
  opt.mode = Mode::MeanField;
  ASSERT_EQ(net.bind(b.view, opt), Status::Ok);  // bind() fills it
  size_t k = 0;
  for (const auto& [l, rows, cols] : {std::tuple{&d.recurrent, kN, kN}, {&d.input, kN, kIn},
                                      {&d.output, kOut, kN}}) {
    const int s = (rows + 7) / 8 * 8;
    for (int what = 0; what < 2; ++what)  // mu, then var
      for (int j = 0; j < cols; ++j)
        for (int i = 0; i < s; ++i, ++k) {
          const size_t c = static_cast<size_t>(i) * static_cast<size_t>(cols) + static_cast<size_t>(j);
          const float want = i >= rows  ? 0.0f
                             : what == 0 ? dyn::sas_mean(l->pi[c], l->m[c])
                                         : dyn::sas_var(l->pi[c], l->m[c], l->xi[c]);
          ASSERT_EQ(test::bits(cache[k]), test::bits(want)) << "float " << k;
        }
  }
  EXPECT_EQ(k, cache.size() - 1);
  EXPECT_EQ(cache.back(), -7.0f);  // nothing past the cache's floats
  // a copy of the network has no cache and runs alike; a network whose cache is refused has none
  Net copy = net;
  Net refused;
  ASSERT_EQ(refused.bind(b.view, opt), Status::Ok);
  EXPECT_EQ(refused.use_moment_cache(cache.data(), 10), Status::BadOption);
  std::fill(cache.begin(), cache.end(), 0.0f);  // only `net` reads it now: zero moments
  Net::State u_net, u_copy, u_refused;
  ASSERT_EQ(net.preactivation(test_x(), u_net), Status::Ok);
  ASSERT_EQ(copy.preactivation(test_x(), u_copy), Status::Ok);
  ASSERT_EQ(refused.preactivation(test_x(), u_refused), Status::Ok);
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(u_net[i], 0.0f);  // it reads the cache
    EXPECT_EQ(test::bits(u_copy[i]), test::bits(u_refused[i]));
  }
  ASSERT_EQ(net.use_moment_cache(nullptr, 0), Status::Ok);  // no cache: the model again
  ASSERT_EQ(net.preactivation(test_x(), u_net), Status::Ok);
  for (int i = 0; i < kN; ++i) EXPECT_EQ(test::bits(u_net[i]), test::bits(u_refused[i]));
}

TEST(Network, LeakUsesTheAlphaOverride) {
  Bound b = bind_model(test::mixed_model(kN, kIn, kOut, 25));
  Options opt;
  opt.mode = Mode::MeanWeights;
  opt.recurrent_noise = false;
  opt.alpha = 0.005f;
  Net net;
  ASSERT_EQ(net.bind(b.view, opt), Status::Ok);
  EXPECT_EQ(net.alpha(), 0.005f);
  net.reset(0, test_h0());
  Net::State u;
  net.preactivation(test_x(), u);
  net.step(test_x());
  for (int i = 0; i < kN; ++i)  // paper eq. 1a
    EXPECT_FLOAT_EQ(net.state()[i], (1.0f - 0.005f) * test_h0()[i] + 0.005f * u[i]);
  opt.alpha = 1.5f;
  EXPECT_EQ(net.bind(b.view, opt), Status::BadOption);
  opt.alpha = -0.1f;
  EXPECT_EQ(net.bind(b.view, opt), Status::BadOption);
}

TEST(Network, RecurrentNoiseHasVarianceTwoAlphaSigmaSquared) {
  conv::ModelData d = test::mixed_model(kN, kIn, kOut, 26);
  d.dynamics.sigma_rec = 0.15f;
  Bound b = bind_model(d);
  Options quiet, noisy;
  quiet.mode = noisy.mode = Mode::MeanWeights;
  quiet.recurrent_noise = false;
  Net a, c;
  ASSERT_EQ(a.bind(b.view, quiet), Status::Ok);
  ASSERT_EQ(c.bind(b.view, noisy), Status::Ok);
  double s2 = 0;
  const int T = 4000;
  for (int trial = 0; trial < T; ++trial) {
    a.reset(static_cast<uint32_t>(trial), test_h0());
    c.reset(static_cast<uint32_t>(trial), test_h0());
    a.step(test_x());
    c.step(test_x());
    for (int i = 0; i < kN; ++i) {
      const double n = c.state()[i] - a.state()[i];
      s2 += n * n;
    }
  }
  const double expected = 2.0 * 0.2 * 0.15 * 0.15;  // 2 alpha sigma^2 (paper eq. 1a)
  const double count = static_cast<double>(T) * kN;
  EXPECT_NEAR(s2 / count, expected, 5 * expected * std::sqrt(2.0 / count));
}

TEST(Network, NonFiniteInputIsRejectedAndStateKept) {
  Bound b = bind_model(test::mixed_model(kN, kIn, kOut, 27));
  Net net;
  ASSERT_EQ(net.bind(b.view, Options{}), Status::Ok);
  net.reset(0, test_h0());
  Net::Input x = test_x();
  x[2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(net.step(x), Status::NonFiniteInput);
  x[2] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(net.step(x), Status::NonFiniteInput);
  EXPECT_EQ(net.state(), test_h0());
  EXPECT_EQ(net.step_index(), 0u);
}

TEST(Network, ReadoutsAndDecision) {
  conv::ModelData d = test::mixed_model(kN, kIn, kOut, 28);
  for (Readout ro : {Readout::Identity, Readout::Softmax, Readout::Argmax}) {
    d.dynamics.readout = ro;
    Bound b = bind_model(d);
    Net net;
    ASSERT_EQ(net.bind(b.view, Options{}), Status::Ok);
    net.reset(0, test_h0());
    for (int t = 0; t < 5; ++t) net.step(test_x());
    const auto z = net.z();
    const auto y = net.output();
    const int best = z[0] >= z[1] ? 0 : 1;
    EXPECT_EQ(net.decide(), best);
    if (ro == Readout::Identity) {
      EXPECT_EQ(y, z);
    }
    if (ro == Readout::Softmax) {
      EXPECT_NEAR(y.sum(), 1.0f, 1e-6f);
      EXPECT_NEAR(y[0], 1.0 / (1.0 + std::exp(static_cast<double>(z[1] - z[0]))), 1e-6);
    }
    if (ro == Readout::Argmax) {
      EXPECT_EQ(y[best], 1.0f);
      EXPECT_EQ(y[1 - best], 0.0f);
    }
  }
}

TEST(Network, RamIsStateAndStepScratch) {
  // the model stays in the buffer: the object holds h, r, z, y, a few scalars and the per-step
  // scratch (StepScratch: u, eps, r^2, x^2 and the active-unit lists with their lane groups;
  // AVX2's spike words), all counted in network_ram_bytes()
  using Net = Network<150, 5, 2>;
  EXPECT_EQ((network_ram_bytes<150, 5, 2>()), sizeof(Net));
  EXPECT_LT((network_ram_bytes<150, 5, 2>()) - Net::kScratchBytes, 4096u);  // the state
  EXPECT_GE((network_ram_bytes<150, 5, 2>()) - Net::kScratchBytes, (2 * 150 + 2 * 2) * sizeof(float));
  const size_t arrays = (3 * 150 + 5) * sizeof(float) + (150 + 8 + 5 + 8) * (sizeof(int32_t) + sizeof(float)) +
                        2 * (kernel::kLanes + 1) * sizeof(int);
  EXPECT_GE(Net::kScratchBytes, arrays);
  // AVX2 adds its spike words: 4 per column of the recurrent and the input layer
  const size_t words = kernel::kSimd ? 4 * (152 + 8) * sizeof(uint32_t) : 0;
  EXPECT_LE(Net::kScratchBytes, arrays + words + 64);  // alignment and counts
}

// NetworkUpTo runs any model up to its sizes and refuses, with a status and nothing changed, a
// larger model, a trial cache too small for the bound model, and inputs or h(0) of other sizes.
TEST(AnySize, RefusesWhatDoesNotFit) {
  Bound b = bind_model(test::mixed_model(kN, kIn, kOut, 29));
  NetworkUpTo<kN, kIn, kOut> fits;
  EXPECT_EQ(fits.n_units(), 0);  // unbound
  ASSERT_EQ(fits.bind(b.view, Options{}), Status::Ok);
  EXPECT_EQ(fits.n_units(), kN);
  EXPECT_EQ(fits.n_inputs(), kIn);
  EXPECT_EQ(fits.n_outputs(), kOut);
  NetworkUpTo<kN - 1, kIn, kOut> small_n;
  NetworkUpTo<kN, kIn - 1, kOut> small_in;
  NetworkUpTo<kN, kIn, kOut - 1> small_out;
  EXPECT_EQ(small_n.bind(b.view, Options{}), Status::ShapeMismatch);
  EXPECT_EQ(small_in.bind(b.view, Options{}), Status::ShapeMismatch);
  EXPECT_EQ(small_out.bind(b.view, Options{}), Status::ShapeMismatch);
  EXPECT_FALSE(small_n.bound());

  using Any = NetworkUpTo<64, 8, 4>;
  Any net;
  Options opt;
  opt.mode = Mode::SampledPerTrial;
  std::vector<float> cache(Net::kTrialCacheFloats - 1, -7.0f);
  ASSERT_EQ(net.use_trial_cache(cache.data(), cache.size()), Status::Ok);  // unbound: sizes unknown
  EXPECT_EQ(net.bind(b.view, opt), Status::BadOption);  // too small for this model
  EXPECT_FALSE(net.bound());
  EXPECT_EQ(cache[0], -7.0f);
  ASSERT_EQ(net.use_trial_cache(nullptr, 0), Status::Ok);
  ASSERT_EQ(net.bind(b.view, opt), Status::Ok);
  EXPECT_EQ(net.use_trial_cache(cache.data(), cache.size()), Status::BadOption);  // bound: checked

  const Any::Input wrong_x = Any::Input::Constant(kIn + 1, 0.5f);
  EXPECT_EQ(net.step(wrong_x), Status::ShapeMismatch);
  EXPECT_EQ(net.step_index(), 0u);
  const Any::State wrong_h0 = Any::State::Constant(kN - 1, 0.1f);
  EXPECT_EQ(net.reset(3, wrong_h0), Status::ShapeMismatch);
  EXPECT_EQ(net.trial(), 0u);
  Any::State u;
  EXPECT_EQ(net.preactivation(wrong_x, u), Status::ShapeMismatch);
  // and the fixed-size network runs the same model the same way
  Net fixed;
  ASSERT_EQ(fixed.bind(b.view, opt), Status::Ok);
  const Net::Input x = test_x();
  ASSERT_EQ(net.step(Any::Input(x)), Status::Ok);
  ASSERT_EQ(fixed.step(x), Status::Ok);
  for (int i = 0; i < kN; ++i) EXPECT_EQ(test::bits(net.state()[i]), test::bits(fixed.state()[i]));
}
