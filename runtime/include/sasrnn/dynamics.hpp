// The maths of the SaS rate network, shared by the runtime (float) and the trainer (double).
// One definition of each equation; cite the paper's numbers when changing anything here.
#pragma once

#include <cmath>

namespace sasrnn::dyn {

/// Mean of a SaS connection, mu = (1 - pi) m (paper, text before eq. 4).
template <class T>
constexpr T sas_mean(T pi, T m) {
  return (T(1) - pi) * m;
}

/// Variance of a SaS connection, rho - mu^2 with rho = (1 - pi)(m^2 + xi) (paper eq. 5d-f),
/// written as (1 - pi)(xi + pi m^2) so that it is never negative in floating point.
template <class T>
constexpr T sas_var(T pi, T m, T xi) {
  return (T(1) - pi) * (xi + pi * m * m);
}

/// ReLU transfer function phi (paper eq. 1c) and its derivative.
template <class T>
constexpr T relu(T h) {
  return h > T(0) ? h : T(0);
}
template <class T>
constexpr T relu_grad(T h) {
  return h > T(0) ? T(1) : T(0);
}

/// Leaky update of the synaptic current (paper eq. 1a / 4a):
/// h(t+1) = (1 - alpha) h(t) + alpha u(t+1) + noise, noise = sqrt(2 alpha sigma^2) n.
template <class T>
constexpr T leak(T h, T u, T alpha, T noise) {
  return (T(1) - alpha) * h + alpha * u + noise;
}

/// Scale of the recurrent noise term, sqrt(2 alpha sigma^2) (paper eq. 1a).
template <class T>
T recurrent_noise_scale(T alpha, T sigma) {
  return std::sqrt(T(2) * alpha * sigma * sigma);
}

/// Scale of the input noise term, sqrt(2 sigma_in^2 / alpha) (paper eq. 2).
template <class T>
T input_noise_scale(T alpha, T sigma_in) {
  return std::sqrt(T(2) * sigma_in * sigma_in / alpha);
}

}  // namespace sasrnn::dyn
