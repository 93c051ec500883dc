// Mean-field forward pass (paper eq. 4-5) and gBPTT backward pass (paper eq. 6-13) of a
// spike-and-slab RNN, batched: trials are matrix columns, so every step is a matrix product.
//
// Scalar-generic (double for the finite-difference tests, float or double for training). The
// element-wise maths (mu, var, ReLU, leak) is the runtime's: sasrnn/dynamics.hpp.
//
// Indexing follows the runtime's Network::step(): step s (0-based) reads x(s+1) and r(s) and
// produces h(s+1), r(s+1) and z(s+1), which is compared with target(s). h(0) = 0.
#pragma once

#include <Eigen/Core>
#include <array>
#include <cmath>
#include <vector>

#include "sasrnn/dynamics.hpp"

namespace sasrnn::train {

template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

/// The nine hyperparameter groups (paper: m, pi, Xi of the input, recurrent and output layers).
enum class Group : int { MIn, PiIn, XiIn, MRec, PiRec, XiRec, MOut, PiOut, XiOut };
constexpr int kGroups = 9;
const char* group_name(Group g);
/// The group of a name as group_name() spells it; false for an unknown name.
bool parse_group(const char* name, Group& g);

/// One layer's SaS hyperparameters, rows x cols, (i, j) = from j to i (paper eq. 3).
template <class T>
struct Layer {
  Mat<T> pi, m, xi;

  void resize(int rows, int cols) {
    pi.setZero(rows, cols);
    m.setZero(rows, cols);
    xi.setZero(rows, cols);
  }
  int rows() const { return static_cast<int>(m.rows()); }
  int cols() const { return static_cast<int>(m.cols()); }
  /// mu = (1 - pi) m, element-wise (dynamics.hpp).
  Mat<T> mu() const { return pi.binaryExpr(m, [](T p, T mm) { return dyn::sas_mean(p, mm); }); }
  /// var = rho - mu^2 = (1 - pi)(xi + pi m^2), element-wise (dynamics.hpp).
  Mat<T> var() const {
    Mat<T> v(pi.rows(), pi.cols());
    for (Eigen::Index k = 0; k < v.size(); ++k) v(k) = dyn::sas_var(pi(k), m(k), xi(k));
    return v;
  }
  template <class U>
  Layer<U> cast() const {
    return Layer<U>{pi.template cast<U>(), m.template cast<U>(), xi.template cast<U>()};
  }
};

template <class T>
struct Params {
  Layer<T> in, rec, out;  ///< N x NIn, N x N, NOut x N

  int n() const { return rec.rows(); }
  int n_in() const { return in.cols(); }
  int n_out() const { return out.rows(); }
  Mat<T>& group(Group g) { return group_of(*this, g); }
  const Mat<T>& group(Group g) const { return group_of(*this, g); }
  Layer<T>& layer(Group g) { return layer_of(*this, g); }
  const Layer<T>& layer(Group g) const { return layer_of(*this, g); }

 private:
  // One definition for the const and the mutable accessors (Self is Params or const Params).
  template <class Self>
  static auto& layer_of(Self& self, Group g) {
    const int l = static_cast<int>(g) / 3;
    return l == 0 ? self.in : (l == 1 ? self.rec : self.out);
  }
  template <class Self>
  static auto& group_of(Self& self, Group g) {
    auto& l = layer_of(self, g);
    switch (static_cast<int>(g) % 3) {
      case 0: return l.m;
      case 1: return l.pi;
      default: return l.xi;
    }
  }

 public:
  template <class U>
  Params<U> cast() const {
    return Params<U>{in.template cast<U>(), rec.template cast<U>(), out.template cast<U>()};
  }
};

/// A batch of B trials of S steps: x(s+1), targets and loss mask for each step, NIn x B etc.,
/// stored as column blocks [s * B, (s + 1) * B).
template <class T>
struct Batch {
  int steps = 0, size = 0;
  Mat<T> x;       ///< NIn x (S B), the full input of paper eq. 2 (noise included)
  Mat<T> target;  ///< NOut x (S B)
  Mat<T> mask;    ///< NOut x (S B), 1 where the loss counts

  auto block(const Mat<T>& a, int s) const { return a.middleCols(s * size, size); }
};

/// The quenched random numbers of one mini-epoch (paper text after eq. 5): the same values are
/// used by the forward and the backward pass. N x (S B), NOut x (S B), N x (S B).
template <class T>
struct Noise {
  Mat<T> eps_u;    ///< eps^u of paper eq. 4b
  Mat<T> eps_out;  ///< eps^out of paper eq. 4d
  Mat<T> n_rec;    ///< n of paper eq. 4a, already scaled by sqrt(2 alpha sigma^2)
};

/// The two losses of paper Sec. II (after eq. 1e).
enum class LossKind {
  /// MSI: L = scale * sum over (k, s, b) of mask (z - target)^2, identity readout.
  MaskedSquaredError,
  /// Sequential MNIST: softmax readout at the last step S - 1 only, cross entropy with the one-hot
  /// target of that step: L = -scale * sum over b of sum_k target_k ln softmax(z(S))_k. The output
  /// of the other steps is neither computed nor part of the loss (dL/dz = 0 there, paper eq. 6
  /// with dL/dz = (y - target) delta_{t,T}).
  SoftmaxCrossEntropyLast,
};

template <class T>
struct LossSpec {
  T scale = 1;
  LossKind kind = LossKind::MaskedSquaredError;
  bool output_every_step() const { return kind == LossKind::MaskedSquaredError; }
};

/// softmax(z) of one column, max-subtracted.
template <class T, class Col>
Eigen::Matrix<T, Eigen::Dynamic, 1> softmax_of(const Col& z) {
  Eigen::Matrix<T, Eigen::Dynamic, 1> e = (z.array() - z.maxCoeff()).exp().matrix();
  return e / e.sum();
}

/// Everything the forward pass keeps for the backward pass. r(0..S) are stored once, as S + 1
/// column blocks of B with r(0) = 0 first, so that r(s) (the presynaptic values of step s) and
/// r(s+1) (its result) are two views of one array and nothing is copied; likewise their squares,
/// which the variance terms (eq. 5e, 5f) and their gradients read.
template <class T>
struct Tape {
  int batch = 0;  ///< B, columns per step
  Mat<T> r_all;   ///< r(0), r(1), ..., r(S): N x ((S + 1) B)
  Mat<T> r2_all;  ///< the same squared, element-wise
  Mat<T> h;       ///< h(s+1), N x (S B)
  Mat<T> sd_u;    ///< sqrt(Delta_in^2 + Delta_rec^2) (paper eq. 4b)
  Mat<T> sd_out;  ///< Delta_out (paper eq. 4d)
  Mat<T> z;       ///< z(s+1), NOut x (S B)

  /// r(s) of every step s = 0 .. S - 1, N x (S B)
  auto r_prev() const { return r_all.leftCols(r_all.cols() - batch); }
  /// r(s+1) of every step, N x (S B)
  auto r() const { return r_all.rightCols(r_all.cols() - batch); }
};

/// Gradients of the loss with respect to all nine groups.
template <class T>
using Grads = Params<T>;

namespace elementwise {

// The element-wise parts of a step, over raw pointers that do not alias (__restrict) and without
// branches, so that the compiler vectorizes them (the trainer builds with -fno-trapping-math,
// which lets GCC turn the selects into blends); each value is computed by the same operations as
// a plain per-element loop, so the numbers do not depend on whether it does.

/// forward(): Delta = sqrt(Delta^2) where positive, else 0; u = G + eps Delta (eq. 4b); the leaky
/// update of h (eq. 4a, with the recurrent noise) from h_in = h(s) to h = h(s+1); r = phi(h)
/// (eq. 4c) and its square r2.
template <class T>
void step_forward(Eigen::Index count, const T* __restrict g, const T* __restrict d2,
                  const T* __restrict eps, const T* __restrict noise, T alpha, T* __restrict sd,
                  const T* __restrict h_in, T* __restrict h, T* __restrict r, T* __restrict r2) {
  for (Eigen::Index k = 0; k < count; ++k) {
    const T d = d2[k];
    const T sdk = std::sqrt(d > T(0) ? d : T(0));  // the same as d > 0 ? sqrt(d) : 0
    sd[k] = sdk;
    const T u = g[k] + eps[k] * sdk;
    const T hk = dyn::leak(h_in[k], u, alpha, noise[k]);
    h[k] = hk;
    const T rk = dyn::relu(hk);
    r[k] = rk;
    r2[k] = rk * rk;
  }
}

/// backward(): delta(s+1) = (1 - alpha) delta(s+2) + dL/dr(s+1) phi'(h(s+1)) (eq. 9, 10a), then
/// dL/dG = alpha delta and dL/dDelta^2 = dL/dG eps / (2 Delta), 0 where Delta = 0 (eq. 8; the
/// quotient is then computed with 1 for Delta and not used).
template <class T>
void step_backward(Eigen::Index count, const T* __restrict dh_next, const T* __restrict dr,
                   const T* __restrict h, const T* __restrict sd, const T* __restrict eps, T alpha,
                   T* __restrict dh, T* __restrict dg, T* __restrict dd2) {
  for (Eigen::Index k = 0; k < count; ++k) {
    const T dhk = (T(1) - alpha) * dh_next[k] + dr[k] * dyn::relu_grad(h[k]);
    dh[k] = dhk;
    const T du = alpha * dhk;
    dg[k] = du;
    const T s = sd[k];
    const T q = du * eps[k] / (T(2) * (s > T(0) ? s : T(1)));
    dd2[k] = s > T(0) ? q : T(0);
  }
}

}  // namespace elementwise

/// Whether a layer's variances (paper eq. 3: var = (1 - pi)(Xi + pi m^2)) are not all zero. A
/// layer without variance (deterministic weights: pi and Xi zero, or pi = 1 with m = Xi = 0, as
/// MSI's absent input connections) adds nothing to Delta^2 (eq. 5d-f): forward() and backward()
/// then skip its variance products, which are exactly zero.
template <class T>
bool has_variance(const Mat<T>& var) {
  return !(var.array() == T(0)).all();
}

/// Whether any layer of p has variance; without (the plain-BPTT limit pi = Xi = 0) every Delta is
/// 0, and the quenched eps^u and eps^out need not be drawn.
template <class T>
bool has_variance(const Params<T>& p) {
  return has_variance(p.in.var()) || has_variance(p.rec.var()) || has_variance(p.out.var());
}

/// Mean-field forward pass over a batch (paper eq. 4-5). Returns the loss.
template <class T>
T forward(const Params<T>& p, T alpha, const Batch<T>& b, const Noise<T>& nz, const LossSpec<T>& ls,
          Tape<T>& tape) {
  const int n = p.n(), B = b.size, S = b.steps;
  const Mat<T> mu_in = p.in.mu(), var_in = p.in.var();
  const Mat<T> mu_rec = p.rec.mu(), var_rec = p.rec.var();
  const Mat<T> mu_out = p.out.mu(), var_out = p.out.var();
  const Eigen::Index cols = static_cast<Eigen::Index>(S) * B;
  tape.batch = B;
  tape.r_all.resize(n, cols + B);
  tape.r2_all.resize(n, cols + B);
  tape.r_all.leftCols(B).setZero();  // r(0) = 0
  tape.r2_all.leftCols(B).setZero();
  tape.h.resize(n, cols);
  tape.sd_u.resize(n, cols);
  tape.sd_out.resize(p.n_out(), cols);
  tape.z.resize(p.n_out(), cols);
  // Input terms for all steps at once: G_in (eq. 5a) and Delta_in^2 (eq. 5d). A layer without
  // variance (has_variance()) adds none: its products, exactly zero, are not computed.
  const Mat<T> g_in = mu_in * b.x;
  const bool in_var = has_variance(var_in), rec_var = has_variance(var_rec), out_var = has_variance(var_out);
  const Mat<T> d2_in = in_var ? Mat<T>(var_in * b.x.cwiseAbs2()) : Mat<T>();
  const Mat<T> h0 = Mat<T>::Zero(n, B);  // h(0)
  Mat<T> g(n, B), d2(n, B);
  T loss = 0;
  for (int s = 0; s < S; ++s) {
    const Eigen::Index c0 = static_cast<Eigen::Index>(s) * B;
    g.noalias() = mu_rec * tape.r_all.middleCols(c0, B);       // eq. 5b
    if (rec_var)
      d2.noalias() = var_rec * tape.r2_all.middleCols(c0, B);  // eq. 5e
    else
      d2.setZero();
    g += g_in.middleCols(c0, B);
    if (in_var) d2 += d2_in.middleCols(c0, B);
    const Eigen::Index off = n * c0;
    elementwise::step_forward(g.size(), g.data(), d2.data(), nz.eps_u.data() + off, nz.n_rec.data() + off,
                              alpha, tape.sd_u.data() + off, s == 0 ? h0.data() : tape.h.data() + off - n * B,
                              tape.h.data() + off, tape.r_all.data() + off + n * B,
                              tape.r2_all.data() + off + n * B);
    const auto r = tape.r_all.middleCols(c0 + B, B);  // r(s+1)
    auto z = tape.z.middleCols(s * B, B);
    auto sdo = tape.sd_out.middleCols(s * B, B);
    if (!ls.output_every_step() && s != S - 1) {  // no output before the last step
      z.setZero();
      sdo.setZero();
      continue;
    }
    z.noalias() = mu_out * r;                       // eq. 5c
    Mat<T> d2o = out_var ? Mat<T>(var_out * tape.r2_all.middleCols(c0 + B, B))  // eq. 5f
                         : Mat<T>(Mat<T>::Zero(z.rows(), z.cols()));
    const auto eps_o = nz.eps_out.middleCols(s * B, B);
    for (Eigen::Index k = 0; k < z.size(); ++k) {
      sdo(k) = d2o(k) > T(0) ? std::sqrt(d2o(k)) : T(0);
      z(k) += eps_o(k) * sdo(k);                    // eq. 4d
    }
    if (ls.kind == LossKind::SoftmaxCrossEntropyLast) {
      for (int bi = 0; bi < B; ++bi) {
        const auto zc = z.col(bi);
        const T lse = zc.maxCoeff() + std::log((zc.array() - zc.maxCoeff()).exp().sum());
        loss -= b.target.col(s * B + bi).dot(zc) - lse * b.target.col(s * B + bi).sum();
      }
      continue;
    }
    const auto diff = (z - b.target.middleCols(s * B, B)).cwiseProduct(b.mask.middleCols(s * B, B));
    loss += diff.cwiseAbs2().sum();
  }
  return ls.scale * loss;
}

/// d(mu, var)/d(pi, m, xi) applied to the gradients with respect to mu and var of one layer
/// (paper eq. 7 and 13: mu = (1 - pi) m, var = (1 - pi)(xi + pi m^2)).
template <class T>
void chain_layer(const Layer<T>& l, const Mat<T>& d_mu, const Mat<T>& d_var, Layer<T>& g) {
  g.resize(l.rows(), l.cols());
  for (Eigen::Index k = 0; k < l.m.size(); ++k) {
    const T pi = l.pi(k), m = l.m(k), xi = l.xi(k);
    g.m(k) = d_mu(k) * (T(1) - pi) + d_var(k) * T(2) * (T(1) - pi) * pi * m;    // eq. 7a / 13a,d
    g.pi(k) = -d_mu(k) * m + d_var(k) * (m * m * (T(1) - T(2) * pi) - xi);      // eq. 7b / 13b,e
    g.xi(k) = d_var(k) * (T(1) - pi);                                           // eq. 7c / 13c,f
  }
}

/// Which of the nine groups a caller needs the gradients of (all by default).
using GroupSet = std::array<bool, kGroups>;
inline GroupSet all_groups() {
  GroupSet g;
  g.fill(true);
  return g;
}

/// gBPTT (paper eq. 6-13): gradients of forward()'s loss, using its tape and the same quenched
/// noise. The error signal delta(s) = dL/dh(s) runs back from the last step (eq. 9-12); the
/// per-step sensitivities dL/dG and dL/dDelta^2 are stored, and the sums over time of eq. 6 and 8
/// are done as one matrix product per layer at the end. Delta = 0 contributes nothing.
///
/// `needed`: groups whose gradients the caller reads. A layer's dL/dvar (a product as large as
/// dL/dmu) reaches its pi and Xi, and its m only through 2 (1 - pi) pi m (eq. 7a), which is zero
/// where pi is 0 or 1; so when neither the layer's pi nor its Xi is needed and every pi is 0 or 1
/// (a deterministic layer, MSI's absent input connections), it is not computed, and the
/// gradients of that pi and Xi are left as if it were zero. The backward terms of a layer without
/// variance (eq. 10b, 11: var^T times dL/dDelta^2, exactly zero) are skipped. All other values are
/// unchanged.
template <class T>
void backward(const Params<T>& p, T alpha, const Batch<T>& b, const Noise<T>& nz,
              const LossSpec<T>& ls, const Tape<T>& tape, Grads<T>& grads,
              const GroupSet& needed = all_groups()) {
  const int n = p.n(), no = p.n_out(), B = b.size, S = b.steps;
  const Mat<T> mu_rec = p.rec.mu(), var_rec = p.rec.var();
  const Mat<T> mu_out = p.out.mu(), var_out = p.out.var();
  const bool rec_var = has_variance(var_rec), out_var = has_variance(var_out);
  Mat<T> dg(n, S * B), dd2(n, S * B), dgo(no, S * B), dd2o(no, S * B);
  Mat<T> dh_next = Mat<T>::Zero(n, B);   // dL/dh(s+2)
  Mat<T> dr_carry = Mat<T>::Zero(n, B);  // dL/dr(s+1) through u(s+2)
  Mat<T> dr(n, B), dh(n, B);
  for (int s = S - 1; s >= 0; --s) {
    const int c0 = s * B;
    const auto r = tape.r_all.middleCols(c0 + B, B);  // r(s+1)
    if (ls.output_every_step() || s == S - 1) {
      // dL/dz(s+1) of the loss, then eq. 4d: dL/dG_out and dL/dDelta_out^2.
      for (int bi = 0; bi < B; ++bi) {
        const Eigen::Index c = c0 + bi;
        Eigen::Matrix<T, Eigen::Dynamic, 1> p;
        if (!ls.output_every_step()) p = softmax_of<T>(tape.z.col(c));
        for (int k = 0; k < no; ++k) {
          const T dz = ls.output_every_step()
                           ? ls.scale * T(2) * b.mask(k, c) * (tape.z(k, c) - b.target(k, c))
                           : ls.scale * (p(k) * b.target.col(c).sum() - b.target(k, c));
          dgo(k, c) = dz;
          const T sd = tape.sd_out(k, c);
          dd2o(k, c) = sd > T(0) ? dz * nz.eps_out(k, c) / (T(2) * sd) : T(0);
        }
      }
      // eq. 11 (eq. 12 at the last step): the output's contribution to dL/dr(s+1).
      dr.noalias() = mu_out.transpose() * dgo.middleCols(c0, B);
      if (out_var) dr += T(2) * r.cwiseProduct(var_out.transpose() * dd2o.middleCols(c0, B));
      dr += dr_carry;
    } else {  // no output at this step
      dgo.middleCols(c0, B).setZero();
      dd2o.middleCols(c0, B).setZero();
      dr = dr_carry;
    }
    // eq. 9, 10a: delta(s+1) = (1 - alpha) delta(s+2) + dL/dr(s+1) phi'(h(s+1)).
    // and eq. 8: dL/du = alpha delta; u = G + eps sqrt(Delta^2) (eq. 4b).
    const Eigen::Index off = static_cast<Eigen::Index>(c0) * n;
    elementwise::step_backward(dh.size(), dh_next.data(), dr.data(), tape.h.data() + off,
                          tape.sd_u.data() + off, nz.eps_u.data() + off, alpha, dh.data(),
                          dg.data() + off, dd2.data() + off);
    const auto dgs = dg.middleCols(c0, B);
    const auto dd2s = dd2.middleCols(c0, B);
    // eq. 10b: dL/dr(s) through u(s+1).
    const auto r_prev = tape.r_all.middleCols(c0, B);  // r(s)
    dr_carry.noalias() = mu_rec.transpose() * dgs;
    if (rec_var) dr_carry += T(2) * r_prev.cwiseProduct(var_rec.transpose() * dd2s);
    dh_next = dh;
  }
  // Sums over time (eq. 6, 8) as products with the stored presynaptic values.
  const Eigen::Index cols = static_cast<Eigen::Index>(S) * B;
  // whether a layer's dL/dvar is needed (see above)
  const auto var_grad = [&](const Layer<T>& l, Group pi, Group xi) {
    return needed[static_cast<int>(pi)] || needed[static_cast<int>(xi)] ||
           !(l.pi.array() == T(0) || l.pi.array() == T(1)).all();
  };
  const auto zero = [](const Layer<T>& l) { return Mat<T>(Mat<T>::Zero(l.rows(), l.cols())); };
  chain_layer(p.in, Mat<T>(dg * b.x.transpose()),
              var_grad(p.in, Group::PiIn, Group::XiIn) ? Mat<T>(dd2 * b.x.cwiseAbs2().transpose()) : zero(p.in),
              grads.in);
  chain_layer(p.rec, Mat<T>(dg * tape.r_all.leftCols(cols).transpose()),
              var_grad(p.rec, Group::PiRec, Group::XiRec) ? Mat<T>(dd2 * tape.r2_all.leftCols(cols).transpose())
                                                          : zero(p.rec),
              grads.rec);
  // With the loss at the last step only, dL/dz is zero before it: the sums over time are the
  // last step's terms alone.
  const Eigen::Index oc = ls.output_every_step() ? cols : B;
  chain_layer(p.out, Mat<T>(dgo.rightCols(oc) * tape.r_all.rightCols(oc).transpose()),
              var_grad(p.out, Group::PiOut, Group::XiOut)
                  ? Mat<T>(dd2o.rightCols(oc) * tape.r2_all.rightCols(oc).transpose())
                  : zero(p.out),
              grads.out);
}

}  // namespace sasrnn::train
