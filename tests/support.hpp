// Shared helpers for the test suites: synthetic models and statistics.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/network.hpp"

namespace sasrnn::test {

/// The bits of a float, for bit-for-bit comparisons.
inline uint32_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

/// Recomputes the checksum of a model file whose bytes a test changed on purpose (to reach the
/// checks behind the checksum); a file without one is left as it is. The FlatBuffer structure
/// must still verify.
inline void reseal(uint8_t* data, size_t size) {
  flatbuffers::Verifier verifier(data, size);
  if (!fb::VerifyModelBuffer(verifier)) return;
  const size_t at = detail::checksum_offset(data, fb::GetModel(data));
  if (at != 0) flatbuffers::WriteScalar<uint32_t>(data + at, detail::checksum_with_field_zero(data, size, at));
}

/// The options of a run (alpha 0: the model's trained alpha).
inline Options run_options(Mode mode, uint64_t seed, bool recurrent_noise, float alpha = 0.0f) {
  Options opt;
  opt.mode = mode;
  opt.seed = seed;
  opt.recurrent_noise = recurrent_noise;
  opt.alpha = alpha;
  return opt;
}

/// A model file built from `d` and its view, loaded for sizes N, NIn, NOut; `status` is load()'s.
/// The view points into `buf`: the object is neither copied nor moved.
template <int N, int NIn, int NOut>
struct BuiltModel {
  conv::AlignedBuffer buf;
  ModelView view;
  Status status;
  explicit BuiltModel(const conv::ModelData& d)
      : buf(conv::build_model_file(d)), status(load<N, NIn, NOut>(buf.data(), buf.size(), view)) {}
  BuiltModel(const BuiltModel&) = delete;
  BuiltModel& operator=(const BuiltModel&) = delete;
};

/// Every run mode of the network.
inline constexpr Mode kModes[] = {Mode::MeanField, Mode::SampledPerStep, Mode::SampledPerTrial,
                                  Mode::MeanWeights};

/// Fills a layer with random hyperparameters covering every connection class in turn:
/// absent (pi = 1), constant (pi = 0, xi = 0), Bernoulli only (xi = 0), Gaussian only (pi = 0),
/// full spike-and-slab.
inline void fill_mixed(conv::LayerData& l, std::mt19937& gen, float m_scale) {
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::normal_distribution<float> g(0.0f, m_scale);
  for (size_t k = 0; k < l.size(); ++k) {
    const int cls = static_cast<int>(k % 5);
    l.m[k] = g(gen);
    l.pi[k] = cls == 0 ? 1.0f : (cls == 1 || cls == 3) ? 0.0f : 0.1f + 0.8f * u(gen);
    l.xi[k] = (cls == 1 || cls == 2) ? 0.0f : 0.01f + 0.05f * u(gen);
  }
}

/// A model with random mixed-class hyperparameters (m ~ N(0, 1/fan_in) scale).
inline conv::ModelData mixed_model(uint32_t n, uint32_t n_in, uint32_t n_out, uint32_t seed) {
  conv::ModelData d = conv::make_empty_model(n, n_in, n_out);
  std::mt19937 gen(seed);
  fill_mixed(d.input, gen, 1.0f / std::sqrt(static_cast<float>(n_in)));
  fill_mixed(d.recurrent, gen, 1.5f / std::sqrt(static_cast<float>(n)));
  fill_mixed(d.output, gen, 1.0f / std::sqrt(static_cast<float>(n)));
  d.name = "mixed";
  return d;
}

/// Sets pi and xi of every layer to the given constants.
inline void set_pi_xi(conv::ModelData& d, float pi, float xi) {
  for (conv::LayerData* l : {&d.input, &d.recurrent, &d.output}) {
    std::fill(l->pi.begin(), l->pi.end(), pi);
    std::fill(l->xi.begin(), l->xi.end(), xi);
  }
}

/// Standard normal CDF.
inline double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

/// Kolmogorov-Smirnov statistic D of a sample against a continuous CDF.
template <class Cdf>
double ks_statistic(std::vector<double> sample, Cdf cdf) {
  std::sort(sample.begin(), sample.end());
  const double n = static_cast<double>(sample.size());
  double d = 0;
  for (size_t i = 0; i < sample.size(); ++i) {
    const double f = cdf(sample[i]);
    d = std::max(d, std::max(f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f));
  }
  return d;
}

/// KS critical value at significance 0.001 for sample size n (asymptotic: 1.949 / sqrt(n)).
inline double ks_critical_001(size_t n) { return 1.949 / std::sqrt(static_cast<double>(n)); }

}  // namespace sasrnn::test
