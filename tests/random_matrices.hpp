// Random matrices of the trainer's tests (gBPTT, gBP): entries U(lo, hi) or N(0, sd^2) from a
// std::mt19937_64, in column-major order.
#pragma once

#include <random>

#include "sasrnn/trainer/mean_field.hpp"

namespace sasrnn::test {

inline train::Mat<double> uniform(std::mt19937_64& g, int r, int c, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  train::Mat<double> a(r, c);
  for (Eigen::Index k = 0; k < a.size(); ++k) a(k) = u(g);
  return a;
}

inline train::Mat<double> gauss(std::mt19937_64& g, int r, int c, double sd) {
  std::normal_distribution<double> n(0.0, sd);
  train::Mat<double> a(r, c);
  for (Eigen::Index k = 0; k < a.size(); ++k) a(k) = n(g);
  return a;
}

}  // namespace sasrnn::test
