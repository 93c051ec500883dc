// gBPTT (paper eq. 6-13) against finite differences of the mean-field loss (paper eq. 4-5), in
// double, for all nine hyperparameter groups; and against plain BPTT when pi = Xi = 0.
#include <gtest/gtest.h>

#include <random>

#include "sasrnn/trainer/mean_field.hpp"
#include "random_matrices.hpp"

namespace {

using namespace sasrnn::train;
using M = Mat<double>;

constexpr int kN = 6, kIn = 3, kOut = 2, kSteps = 8, kB = 3;
constexpr double kAlpha = 0.3;

struct Problem {
  Params<double> p;
  Batch<double> b;
  Noise<double> nz;
  LossSpec<double> ls{0.5};
};

using sasrnn::test::gauss;
using sasrnn::test::uniform;

Layer<double> random_layer(std::mt19937_64& g, int r, int c, double m_sd) {
  return Layer<double>{uniform(g, r, c, 0.05, 0.9), gauss(g, r, c, m_sd), uniform(g, r, c, 0.01, 0.2)};
}

Problem make_setup(uint64_t seed) {
  std::mt19937_64 g(seed);
  Problem s;
  s.p.in = random_layer(g, kN, kIn, 1.0);
  s.p.rec = random_layer(g, kN, kN, 0.8);
  s.p.out = random_layer(g, kOut, kN, 0.8);
  s.b.steps = kSteps;
  s.b.size = kB;
  s.b.x = uniform(g, kIn, kSteps * kB, 0.1, 1.2);
  s.b.target = uniform(g, kOut, kSteps * kB, 0.0, 1.0);
  s.b.mask = uniform(g, kOut, kSteps * kB, 0.0, 1.0).unaryExpr([](double v) { return v < 0.3 ? 0.0 : 1.0; });
  s.nz.eps_u = gauss(g, kN, kSteps * kB, 1.0);
  s.nz.eps_out = gauss(g, kOut, kSteps * kB, 1.0);
  s.nz.n_rec = gauss(g, kN, kSteps * kB, 0.05);
  return s;
}

double loss_of(const Problem& s, const Params<double>& p) {
  Tape<double> tape;
  return forward(p, kAlpha, s.b, s.nz, s.ls, tape);
}

Grads<double> analytic(const Problem& s, const Params<double>& p) {
  Tape<double> tape;
  forward(p, kAlpha, s.b, s.nz, s.ls, tape);
  Grads<double> g;
  backward(p, kAlpha, s.b, s.nz, s.ls, tape, g);
  return g;
}

/// gBPTT's gradient of group `grp` against central differences of the loss, element by element.
void expect_finite_differences(const Problem& s, Group grp, double min_norm, uint64_t seed) {
  const Grads<double> g = analytic(s, s.p);
  const M& an = g.group(grp);
  M fd(an.rows(), an.cols());
  const double h = 1e-6;
  for (Eigen::Index k = 0; k < an.size(); ++k) {
    Params<double> plus = s.p, minus = s.p;
    plus.group(grp)(k) += h;
    minus.group(grp)(k) -= h;
    fd(k) = (loss_of(s, plus) - loss_of(s, minus)) / (2 * h);
  }
  ASSERT_GT(fd.norm(), min_norm) << group_name(grp) << ": the loss must depend on this group";
  const double rel = (fd - an).norm() / fd.norm();
  EXPECT_LT(rel, 1e-5) << group_name(grp) << " seed " << seed << "\nfd\n" << fd << "\nan\n" << an;
}

class FiniteDifferences : public ::testing::TestWithParam<int> {};

TEST_P(FiniteDifferences, EveryElementOfGroupMatches) {
  for (uint64_t seed : {1u, 2u, 3u})
    expect_finite_differences(make_setup(seed), static_cast<Group>(GetParam()), 1e-4, seed);
}

INSTANTIATE_TEST_SUITE_P(AllNineGroups, FiniteDifferences, ::testing::Range(0, kGroups),
                         [](const auto& info) { return std::string(group_name(static_cast<Group>(info.param))); });

// The sequential-MNIST loss: softmax cross entropy at the last step only (paper eq. 6 with
// dL/dz = (y - target) delta_{t,T}), one-hot targets; the same finite-difference check.
Problem make_cross_entropy_setup(uint64_t seed) {
  Problem s = make_setup(seed);
  s.ls.kind = LossKind::SoftmaxCrossEntropyLast;
  s.b.target.setZero();
  s.b.mask.resize(0, 0);  // not used by this loss
  for (int bi = 0; bi < kB; ++bi) s.b.target((bi + static_cast<int>(seed)) % kOut, (kSteps - 1) * kB + bi) = 1.0;
  return s;
}

class FiniteDifferencesCrossEntropy : public ::testing::TestWithParam<int> {};

TEST_P(FiniteDifferencesCrossEntropy, EveryElementOfGroupMatches) {
  for (uint64_t seed : {1u, 2u, 3u})
    expect_finite_differences(make_cross_entropy_setup(seed), static_cast<Group>(GetParam()), 1e-5,
                              seed);
}

INSTANTIATE_TEST_SUITE_P(AllNineGroups, FiniteDifferencesCrossEntropy, ::testing::Range(0, kGroups),
                         [](const auto& info) { return std::string(group_name(static_cast<Group>(info.param))); });

// The cross entropy itself: -sum_b ln softmax(z(T))_label, with z(T) read from the tape.
TEST(CrossEntropy, LossIsMinusLogSoftmaxOfTheLabelAtTheLastStep) {
  const Problem s = make_cross_entropy_setup(4);
  Tape<double> tape;
  const double loss = forward(s.p, kAlpha, s.b, s.nz, s.ls, tape);
  double want = 0;
  for (int bi = 0; bi < kB; ++bi) {
    const Eigen::VectorXd z = tape.z.col((kSteps - 1) * kB + bi);
    Eigen::Index label = 0;
    s.b.target.col((kSteps - 1) * kB + bi).maxCoeff(&label);
    want -= z(label) - std::log(z.array().exp().sum());
  }
  EXPECT_NEAR(loss, s.ls.scale * want, 1e-12);
  // no output before the last step
  EXPECT_EQ(tape.z.leftCols((kSteps - 1) * kB).norm(), 0.0);
}

// Plain BPTT of a deterministic rate RNN h(s+1) = (1-a) h(s) + a (W r(s) + W_in x(s+1)) + n,
// z = W_out r, written per trial with loops, independently of the batched gBPTT code.
struct PlainGrads {
  M w_in, w, w_out;
};

PlainGrads plain_bptt(const Problem& s, const M& w_in, const M& w, const M& w_out) {
  const int n = kN;
  PlainGrads g{M::Zero(kN, kIn), M::Zero(kN, kN), M::Zero(kOut, kN)};
  for (int bi = 0; bi < kB; ++bi) {
    std::vector<Eigen::VectorXd> h(kSteps + 1, Eigen::VectorXd::Zero(n)), r(kSteps + 1, Eigen::VectorXd::Zero(n));
    for (int t = 0; t < kSteps; ++t) {
      const int c = t * kB + bi;
      const Eigen::VectorXd u = w * r[t] + w_in * s.b.x.col(c);
      h[t + 1] = (1 - kAlpha) * h[t] + kAlpha * u + s.nz.n_rec.col(c);
      r[t + 1] = h[t + 1].cwiseMax(0.0);
    }
    Eigen::VectorXd delta_next = Eigen::VectorXd::Zero(n);
    for (int t = kSteps - 1; t >= 0; --t) {
      const int c = t * kB + bi;
      const Eigen::VectorXd z = w_out * r[t + 1];
      const Eigen::VectorXd dz =
          s.ls.scale * 2 * (z - s.b.target.col(c)).cwiseProduct(s.b.mask.col(c));
      g.w_out += dz * r[t + 1].transpose();
      Eigen::VectorXd dr = w_out.transpose() * dz;
      if (t + 1 < kSteps) dr += w.transpose() * (kAlpha * delta_next);
      Eigen::VectorXd delta = (1 - kAlpha) * delta_next;
      for (int i = 0; i < n; ++i) delta(i) += h[t + 1](i) > 0 ? dr(i) : 0.0;
      g.w += kAlpha * delta * r[t].transpose();
      g.w_in += kAlpha * delta * s.b.x.col(c).transpose();
      delta_next = delta;
    }
  }
  return g;
}

TEST(GbpttReducesToBptt, WithPiAndXiZero) {
  for (uint64_t seed : {4u, 5u}) {
    Problem s = make_setup(seed);
    for (Layer<double>* l : {&s.p.in, &s.p.rec, &s.p.out}) {
      l->pi.setZero();
      l->xi.setZero();
    }
    const Grads<double> g = analytic(s, s.p);
    const PlainGrads ref = plain_bptt(s, s.p.in.m, s.p.rec.m, s.p.out.m);
    ASSERT_GT(ref.w.norm(), 1e-3);
    EXPECT_LT((g.in.m - ref.w_in).norm() / ref.w_in.norm(), 1e-12);
    EXPECT_LT((g.rec.m - ref.w).norm() / ref.w.norm(), 1e-12);
    EXPECT_LT((g.out.m - ref.w_out).norm() / ref.w_out.norm(), 1e-12);
    // With pi = 0 the pi-gradient is -m dL/dw (eq. 13e) and the Xi-gradient vanishes: Delta = 0
    // everywhere, so the variance terms drop out instead of dividing by zero.
    EXPECT_LT((g.rec.pi + s.p.rec.m.cwiseProduct(ref.w)).norm() / ref.w.norm(), 1e-12);
    EXPECT_EQ(g.rec.xi.cwiseAbs().maxCoeff(), 0.0);
    EXPECT_EQ(g.out.xi.cwiseAbs().maxCoeff(), 0.0);
    EXPECT_TRUE(g.rec.pi.allFinite() && g.in.pi.allFinite() && g.out.pi.allFinite());
  }
}

TEST(MeanFieldForward, MatchesPerTrialLoopWithNoise) {
  // The batched forward equals a direct per-trial evaluation of eq. 4-5 at one chosen step.
  const Problem s = make_setup(9);
  Tape<double> tape;
  forward(s.p, kAlpha, s.b, s.nz, s.ls, tape);
  const M mu = s.p.rec.mu(), var = s.p.rec.var(), mu_in = s.p.in.mu(), var_in = s.p.in.var();
  const int t = 5, bi = 1, c = t * kB + bi;
  const Eigen::VectorXd r = tape.r_prev().col(c), x = s.b.x.col(c);
  for (int i = 0; i < kN; ++i) {
    double g = 0, d2 = 0;
    for (int j = 0; j < kN; ++j) {
      g += (1 - s.p.rec.pi(i, j)) * s.p.rec.m(i, j) * r(j);
      const double rho = (1 - s.p.rec.pi(i, j)) * (s.p.rec.m(i, j) * s.p.rec.m(i, j) + s.p.rec.xi(i, j));
      d2 += (rho - std::pow((1 - s.p.rec.pi(i, j)) * s.p.rec.m(i, j), 2)) * r(j) * r(j);
    }
    for (int j = 0; j < kIn; ++j) {
      g += (1 - s.p.in.pi(i, j)) * s.p.in.m(i, j) * x(j);
      const double rho = (1 - s.p.in.pi(i, j)) * (s.p.in.m(i, j) * s.p.in.m(i, j) + s.p.in.xi(i, j));
      d2 += (rho - std::pow((1 - s.p.in.pi(i, j)) * s.p.in.m(i, j), 2)) * x(j) * x(j);
    }
    const double u = g + s.nz.eps_u(i, c) * std::sqrt(d2);
    const double h_prev = t == 0 ? 0.0 : tape.h(i, c - kB);
    EXPECT_NEAR(tape.h(i, c), (1 - kAlpha) * h_prev + kAlpha * u + s.nz.n_rec(i, c), 1e-12);
  }
}

}  // namespace

// The pi and Xi groups of the input, recurrent and output layers (Params::layer() of either).
const Group pis[3] = {Group::PiIn, Group::PiRec, Group::PiOut}, xis[3] = {Group::XiIn, Group::XiRec, Group::XiOut};

// Make one layer deterministic: every pi 0 or 1 and Xi = 0, so that its var is exactly 0 (and stays
// 0 when m moves).
void make_deterministic(Layer<double>& l) {
  for (Eigen::Index k = 0; k < l.pi.size(); ++k) l.pi(k) = k % 3 == 0 ? 1.0 : 0.0;
  l.xi.setZero();
}

// A layer without variance: forward() and backward() skip its variance products (exactly zero);
// the means' gradients of every layer still match finite differences, for both losses.
TEST(DeterministicLayer, GradientsMatchFiniteDifferences) {
  for (int layer = 0; layer < 3; ++layer)
    for (uint64_t seed : {31u, 32u}) {
      Problem mse = make_setup(seed), ce = make_cross_entropy_setup(seed);
      make_deterministic(mse.p.layer(pis[layer]));
      make_deterministic(ce.p.layer(pis[layer]));
      ASSERT_FALSE(has_variance(mse.p.layer(pis[layer]).var()));
      for (Group grp : {Group::MIn, Group::MRec, Group::MOut}) {
        SCOPED_TRACE("deterministic layer " + std::to_string(layer));
        expect_finite_differences(mse, grp, 1e-6, seed);
        expect_finite_differences(ce, grp, 1e-6, seed);
      }
    }
}

// backward()'s `needed`: with a deterministic layer (every pi 0 or 1, Xi = 0, so var = 0) and
// neither its pi nor its Xi needed, its dL/dvar is skipped; every gradient a caller reads is
// unchanged (m's d_var term is 2 (1 - pi) pi m d_var = 0 there), and its Xi's is left at zero.
// With one of its pi strictly between 0 and 1 nothing is skipped.
TEST(Backward, SkipsALayersVarianceOnlyWhereNoReadGradientNeedsIt) {
  for (int layer = 0; layer < 3; ++layer)
    for (const LossKind kind : {LossKind::MaskedSquaredError, LossKind::SoftmaxCrossEntropyLast}) {
      SCOPED_TRACE("layer " + std::to_string(layer));
      Problem s = kind == LossKind::SoftmaxCrossEntropyLast ? make_cross_entropy_setup(21) : make_setup(21);
      make_deterministic(s.p.layer(pis[layer]));
      GroupSet some = all_groups();
      some[static_cast<int>(pis[layer])] = some[static_cast<int>(xis[layer])] = false;
      Tape<double> tape;
      forward(s.p, kAlpha, s.b, s.nz, s.ls, tape);
      Grads<double> all, skipped;
      backward(s.p, kAlpha, s.b, s.nz, s.ls, tape, all);
      backward(s.p, kAlpha, s.b, s.nz, s.ls, tape, skipped, some);
      // the skipped product is not zero in itself (the output layer's is: Delta_out is its own
      // variance alone, so dL/dDelta_out^2 is 0 once that is 0)
      if (layer < 2) {
        ASSERT_GT(all.group(xis[layer]).norm(), 0.0);
      }
      EXPECT_EQ(skipped.group(xis[layer]).norm(), 0.0);
      for (int k = 0; k < kGroups; ++k) {
        const Group grp = static_cast<Group>(k);
        if (grp == pis[layer] || grp == xis[layer]) continue;
        EXPECT_EQ(skipped.group(grp), all.group(grp)) << group_name(grp);
      }
      s.p.layer(pis[layer]).pi(1) = 0.5;  // now m's gradient depends on dL/dvar
      forward(s.p, kAlpha, s.b, s.nz, s.ls, tape);
      backward(s.p, kAlpha, s.b, s.nz, s.ls, tape, all);
      backward(s.p, kAlpha, s.b, s.nz, s.ls, tape, skipped, some);
      for (int k = 0; k < kGroups; ++k)
        EXPECT_EQ(skipped.group(static_cast<Group>(k)), all.group(static_cast<Group>(k)));
    }
}
