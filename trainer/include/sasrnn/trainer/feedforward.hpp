// Mean-field forward pass and generalised backpropagation (gBP) of a deep feedforward
// spike-and-slab network: the system of Li & Huang, "Learning credit assignment", Phys. Rev. Lett.
// 125, 178301 (2020), which the recurrent paper extends. Batched: samples are matrix columns.
//
// Each layer l maps a(l) (n_l x B) to a(l+1) with the recurrent paper's readout maths (its eq.
// 4d, 5c, 5f): the pre-activation is a Gaussian field of mean G = mu a and variance
// Delta^2 = var a^2, sampled once per unit and sample with a quenched eps ~ N(0, 1) (the same
// values in the forward and the backward pass), and divided by sqrt(n_l):
//     z(l) = (G + eps Delta) / sqrt(n_l),   a(l+1) = ReLU(z(l)), the last layer softmax(z).
// The 1/sqrt(n_l) scale is the authors' code's (Chan-Li/SAS-model, DNN-SAS-MNIST.py); the PRL's
// text leaves it open. Loss: cross entropy of the softmax with one-hot targets, times `scale`
// (1/B: the mean over the batch). The gradients follow the recurrent paper's eq. 7 and 11 layer
// by layer (dL/dG, dL/dDelta^2, then d(mu, var)/d(pi, m, Xi) by chain_layer()); with
// pi = Xi = 0 they are plain backpropagation of the network whose weights are m / sqrt(n_l).
//
// Scalar-generic (double for the finite-difference tests); the element-wise maths (mu, var,
// ReLU) is the runtime's: sasrnn/dynamics.hpp.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <vector>

#include "sasrnn/dynamics.hpp"
#include "sasrnn/trainer/mean_field.hpp"

namespace sasrnn::train::ff {

/// A stack of SaS layers; layers[l] is n_{l+1} x n_l, (i, j) = from unit j of layer l to unit i.
template <class T>
struct Stack {
  std::vector<Layer<T>> layers;

  int depth() const { return static_cast<int>(layers.size()); }
  int n_in() const { return layers.front().cols(); }
  int n_out() const { return layers.back().rows(); }
  /// Sizes [n_0, n_1, ..., n_L].
  std::vector<int> sizes() const {
    std::vector<int> s{n_in()};
    for (const Layer<T>& l : layers) s.push_back(l.rows());
    return s;
  }
  template <class U>
  Stack<U> cast() const {
    Stack<U> s;
    for (const Layer<T>& l : layers) s.layers.push_back(l.template cast<U>());
    return s;
  }
};

/// True when consecutive layers chain (layers[l].rows() == layers[l + 1].cols()) and the stack
/// is not empty.
template <class T>
bool chains(const Stack<T>& s) {
  if (s.layers.empty()) return false;
  for (size_t l = 0; l < s.layers.size(); ++l) {
    const Layer<T>& a = s.layers[l];
    if (a.rows() < 1 || a.cols() < 1 || a.pi.rows() != a.rows() || a.xi.rows() != a.rows() ||
        a.pi.cols() != a.cols() || a.xi.cols() != a.cols())
      return false;
    if (l + 1 < s.layers.size() && s.layers[l + 1].cols() != a.rows()) return false;
  }
  return true;
}

/// The quenched eps of one mini-batch, one n_{l+1} x B matrix per layer.
template <class T>
struct Noise {
  std::vector<Mat<T>> eps;
};

/// What the forward pass keeps for the backward pass.
template <class T>
struct Tape {
  std::vector<Mat<T>> a;   ///< a[0] = x, a[l + 1] = output of layer l (softmax for the last)
  std::vector<Mat<T>> z;   ///< pre-activations z(l)
  std::vector<Mat<T>> sd;  ///< Delta(l) = sqrt(var a^2), before the 1/sqrt(n_l) scale
};

/// 1/sqrt(n_l) of a layer with n_l inputs.
template <class T>
T input_scale(const Layer<T>& l) {
  return T(1) / std::sqrt(static_cast<T>(l.cols()));
}

/// Softmax of every column, max-subtracted.
template <class T>
Mat<T> softmax_columns(const Mat<T>& z) {
  Mat<T> p(z.rows(), z.cols());
  for (Eigen::Index c = 0; c < z.cols(); ++c) p.col(c) = softmax_of<T>(z.col(c));
  return p;
}

/// Mean-field forward pass of x (n_0 x B) with one-hot targets y (n_L x B); returns
/// scale * sum over the batch of -sum_k y_k ln softmax(z_L)_k.
template <class T>
T forward(const Stack<T>& s, const Mat<T>& x, const Mat<T>& y, const Noise<T>& nz, T scale,
          Tape<T>& tape) {
  const int L = s.depth();
  tape.a.assign(static_cast<size_t>(L) + 1, Mat<T>());
  tape.z.assign(static_cast<size_t>(L), Mat<T>());
  tape.sd.assign(static_cast<size_t>(L), Mat<T>());
  tape.a[0] = x;
  for (int l = 0; l < L; ++l) {
    const Layer<T>& layer = s.layers[static_cast<size_t>(l)];
    const Mat<T>& a = tape.a[static_cast<size_t>(l)];
    Mat<T>& z = tape.z[static_cast<size_t>(l)];
    Mat<T>& sd = tape.sd[static_cast<size_t>(l)];
    z.noalias() = layer.mu() * a;                // G, eq. 5c
    sd.noalias() = layer.var() * a.cwiseAbs2();  // Delta^2, eq. 5f
    const Mat<T>& eps = nz.eps[static_cast<size_t>(l)];
    const T c = input_scale(layer);
    for (Eigen::Index k = 0; k < z.size(); ++k) {
      sd(k) = sd(k) > T(0) ? std::sqrt(sd(k)) : T(0);
      z(k) = (z(k) + eps(k) * sd(k)) * c;        // eq. 4d, scaled
    }
    Mat<T>& out = tape.a[static_cast<size_t>(l) + 1];
    if (l + 1 < L) {
      out = z.unaryExpr([](T v) { return dyn::relu(v); });
    } else {
      out = softmax_columns(z);
    }
  }
  const Mat<T>& zl = tape.z.back();
  T loss = 0;
  for (Eigen::Index b = 0; b < zl.cols(); ++b) {
    const auto zc = zl.col(b);
    const T lse = zc.maxCoeff() + std::log((zc.array() - zc.maxCoeff()).exp().sum());
    loss -= y.col(b).dot(zc) - lse * y.col(b).sum();
  }
  return scale * loss;
}

/// gBP: the gradients of forward()'s loss with respect to every layer's (pi, m, Xi), from its
/// tape and the same quenched noise (eq. 7 and 11 of the recurrent paper, layer by layer).
template <class T>
void backward(const Stack<T>& s, const Mat<T>& y, const Noise<T>& nz, T scale, const Tape<T>& tape,
              std::vector<Layer<T>>& grads) {
  const int L = s.depth();
  grads.resize(static_cast<size_t>(L));
  // dL/dz of the last layer: softmax cross entropy (y sums to 1 per column for one-hot targets).
  Mat<T> dz = tape.a.back();
  for (Eigen::Index b = 0; b < dz.cols(); ++b) dz.col(b) = dz.col(b) * y.col(b).sum() - y.col(b);
  dz *= scale;
  for (int l = L - 1; l >= 0; --l) {
    const Layer<T>& layer = s.layers[static_cast<size_t>(l)];
    const Mat<T>& a = tape.a[static_cast<size_t>(l)];
    const Mat<T>& sd = tape.sd[static_cast<size_t>(l)];
    const Mat<T>& eps = nz.eps[static_cast<size_t>(l)];
    const T c = input_scale(layer);
    // z = c (G + eps Delta): dL/dG = c dz, dL/dDelta^2 = c dz eps / (2 Delta) (0 where Delta = 0).
    Mat<T> dg = c * dz;
    Mat<T> dd2(dz.rows(), dz.cols());
    for (Eigen::Index k = 0; k < dd2.size(); ++k)
      dd2(k) = sd(k) > T(0) ? dg(k) * eps(k) / (T(2) * sd(k)) : T(0);
    const Mat<T> a2 = a.cwiseAbs2();
    chain_layer(layer, Mat<T>(dg * a.transpose()), Mat<T>(dd2 * a2.transpose()),
                grads[static_cast<size_t>(l)]);
    if (l == 0) break;
    // eq. 11: dL/da = mu^T dL/dG + 2 a (var^T dL/dDelta^2), then through the ReLU of layer l - 1.
    Mat<T> da = layer.mu().transpose() * dg;
    da += T(2) * a.cwiseProduct(layer.var().transpose() * dd2);
    const Mat<T>& zp = tape.z[static_cast<size_t>(l) - 1];
    dz = da.cwiseProduct(zp.unaryExpr([](T v) { return dyn::relu_grad(v); }));
  }
}

}  // namespace sasrnn::train::ff
