// The converter's CLI subcommands (wired into `sasrnn` by cli/main.cpp).
#pragma once

#include <ostream>
#include <string>

#include "sasrnn/converter/model_file.hpp"

namespace sasrnn::conv {

/// A very important connection (paper Fig. 17): almost never absent, with a sizeable mean.
template <class T>
constexpr bool is_vip(T pi, T m) {
  return pi < T(0.1) && (m > T(0.05) || m < T(-0.05));
}
/// An unimportant connection: almost always absent.
template <class T>
constexpr bool is_uip(T pi) {
  return pi > T(0.9);
}

/// Statistics of one layer's hyperparameters (paper Sec. III: sparsity = mean pi).
struct LayerStats {
  size_t count = 0;
  double mean_pi = 0;    ///< sparsity per connection, sum(pi) / M
  size_t vip = 0;        ///< very important: pi < 0.1 and |m| > 0.05 (paper Fig. 17)
  size_t uip = 0;        ///< unimportant: pi > 0.9
  double mean_xi = 0;
};

/// Stats over the entries of `l` selected by `keep(i, j)`.
template <class Keep>
LayerStats layer_stats(const LayerData& l, Keep keep) {
  LayerStats s;
  for (uint32_t i = 0; i < l.rows; ++i)
    for (uint32_t j = 0; j < l.cols; ++j) {
      if (!keep(i, j)) continue;
      const size_t k = static_cast<size_t>(i) * l.cols + j;
      ++s.count;
      s.mean_pi += l.pi[k];
      s.mean_xi += l.xi[k];
      if (is_vip(l.pi[k], l.m[k])) ++s.vip;
      if (is_uip(l.pi[k])) ++s.uip;
    }
  if (s.count) {
    s.mean_pi /= static_cast<double>(s.count);
    s.mean_xi /= static_cast<double>(s.count);
  }
  return s;
}

/// `sasrnn inspect FILE`: prints shapes, dynamics, task, per-layer sparsity, bytes, provenance.
int inspect_command(const std::string& path, std::ostream& out, std::ostream& err);
/// `sasrnn verify FILE`: full runtime verification; prints "OK" or the status; exit 0 / 1.
int verify_command(const std::string& path, std::ostream& out, std::ostream& err);

}  // namespace sasrnn::conv
