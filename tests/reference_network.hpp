// The straightforward reference of Network<N, NIn, NOut> (runtime/include/sasrnn/network.hpp):
// the semantics written as plain loops, one connection at a time, every draw through rng.hpp's
// sas_sample()/normal() (SampledPerStep: the spike of each connection and one normal per row, as
// rng.hpp defines it). It was written from the runtime as it was before any performance work and
// must never be optimised: tests/test_bitexact.cpp requires the runtime to equal it bit for bit.
//
// The only non-obvious part is the summation order the runtime guarantees (kernels.hpp): a sum over
// j is accumulated in 8 partial sums (lane = j mod 8), each lane in increasing j, and the lanes are
// combined as ((0+4)+(2+6)) + ((1+5)+(3+7)). Terms that are exactly zero (silent presynaptic unit)
// are not added. It is spelled out here independently of kernels.hpp.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "sasrnn/dynamics.hpp"
#include "sasrnn/model.hpp"
#include "sasrnn/network.hpp"
#include "sasrnn/rng.hpp"

namespace sasrnn::test {

class ReferenceNetwork {
 public:
  ReferenceNetwork(const ModelView& model, const Options& options)
      : model_(model), options_(options), n_(static_cast<int>(model.n)),
        n_in_(static_cast<int>(model.n_in)), n_out_(static_cast<int>(model.n_out)) {
    alpha_ = options.alpha > 0.0f ? options.alpha : model.dynamics.alpha;
    noise_scale_ = options.recurrent_noise
                       ? dyn::recurrent_noise_scale(alpha_, model.dynamics.sigma_rec)
                       : 0.0f;
    reset(0);
  }

  void reset(uint32_t trial) { reset(trial, std::vector<float>(static_cast<size_t>(n_), 0.0f)); }

  void reset(uint32_t trial, const std::vector<float>& h0) {
    trial_ = trial;
    step_ = 0;
    h_ = h0;
    r_.assign(h_.size(), 0.0f);
    for (size_t i = 0; i < h_.size(); ++i) r_[i] = dyn::relu(h_[i]);
    z_.assign(static_cast<size_t>(n_out_), 0.0f);
    y_.assign(static_cast<size_t>(n_out_), 0.0f);
  }

  /// One step with input x (finite); updates h, r, z, y.
  void step(const std::vector<float>& x) {
    std::vector<float> h_new(h_.size());
    for (int i = 0; i < n_; ++i) {
      const float u = preactivation(i, x);
      float noise = 0.0f;
      if (noise_scale_ > 0.0f)
        noise = noise_scale_ * normal(options_.seed,
                                      Counter{static_cast<uint32_t>(i), step_, trial_,
                                              static_cast<uint32_t>(Stream::RecurrentNoise)});
      h_new[static_cast<size_t>(i)] = dyn::leak(h_[static_cast<size_t>(i)], u, alpha_, noise);
    }
    h_ = h_new;
    for (size_t i = 0; i < h_.size(); ++i) r_[i] = dyn::relu(h_[i]);
    for (int k = 0; k < n_out_; ++k) {
      float z;
      if (options_.mode == Mode::MeanField) {
        float g, d2;
        moments(model_.output, k, r_, g, d2);
        z = g;
        if (d2 > 0.0f)
          z += normal(options_.seed, counter(static_cast<uint32_t>(k), Stream::MeanFieldOut)) *
               std::sqrt(d2);
      } else if (options_.mode == Mode::SampledPerStep) {
        float g, d2;
        spikes(model_.output, k, r_, Stream::OutputSpike, g, d2);
        z = g;
        if (d2 > 0.0f)
          z += normal(options_.seed, counter(static_cast<uint32_t>(k), Stream::SampledOut)) *
               std::sqrt(d2);
      } else {
        z = concrete(model_.output, k, r_, Stream::OutputWeight);
      }
      z_[static_cast<size_t>(k)] = z;
    }
    readout();
    ++step_;
  }

  const std::vector<float>& state() const { return h_; }
  const std::vector<float>& rates() const { return r_; }
  const std::vector<float>& z() const { return z_; }
  const std::vector<float>& output() const { return y_; }

 private:
  struct Lanes {
    float a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    void add(int j, float term) { a[j % 8] += term; }
    float total() const { return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7])); }
  };

  Counter counter(uint32_t index, Stream s) const {
    const uint32_t t = options_.mode == Mode::SampledPerTrial ? kTrialStep : step_;
    return Counter{index, t, trial_, static_cast<uint32_t>(s)};
  }

  float concrete(const LayerView& l, int row, const std::vector<float>& v, Stream s) const {
    Lanes acc;
    const int cols = static_cast<int>(l.cols);
    for (int j = 0; j < cols; ++j) {
      const size_t k = static_cast<size_t>(row) * static_cast<size_t>(cols) + static_cast<size_t>(j);
      const float vj = v[static_cast<size_t>(j)];
      if (vj == 0.0f) continue;
      float w;
      if (options_.mode == Mode::MeanWeights) {
        w = dyn::sas_mean(l.pi[k], l.m[k]);
      } else {
        w = sas_sample(options_.seed, counter(static_cast<uint32_t>(k), s), l.pi[k], l.m[k],
                       std::sqrt(l.xi[k]));
      }
      acc.add(j, w * vj);
    }
    return acc.total();
  }

  void moments(const LayerView& l, int row, const std::vector<float>& v, float& g,
               float& d2) const {
    Lanes ag, ad;
    const int cols = static_cast<int>(l.cols);
    for (int j = 0; j < cols; ++j) {
      const size_t k = static_cast<size_t>(row) * static_cast<size_t>(cols) + static_cast<size_t>(j);
      const float vj = v[static_cast<size_t>(j)];
      if (vj == 0.0f) continue;
      ag.add(j, dyn::sas_mean(l.pi[k], l.m[k]) * vj);
      ad.add(j, dyn::sas_var(l.pi[k], l.m[k], l.xi[k]) * (vj * vj));
    }
    g = ag.total();
    d2 = ad.total();
  }

  // SampledPerStep (rng.hpp): the spike of connection (row, j) is word row % 4 of the block with
  // index (row / 4) * cols + j; g and d2 sum m v and xi v^2 over the slabs (z = 1).
  void spikes(const LayerView& l, int row, const std::vector<float>& v, Stream s, float& g,
              float& d2) const {
    Lanes ag, ad;
    const int cols = static_cast<int>(l.cols);
    for (int j = 0; j < cols; ++j) {
      const size_t k = static_cast<size_t>(row) * static_cast<size_t>(cols) + static_cast<size_t>(j);
      const float vj = v[static_cast<size_t>(j)];
      if (vj == 0.0f) continue;
      const uint32_t index = static_cast<uint32_t>((row / 4) * cols + j);
      const Block b = random_block(options_.seed, counter(index, s));
      if (uniform01(b.w[row % 4]) < l.pi[k]) continue;  // the spike: w = 0
      ag.add(j, l.m[k] * vj);
      ad.add(j, l.xi[k] * (vj * vj));
    }
    g = ag.total();
    d2 = ad.total();
  }

  float preactivation(int i, const std::vector<float>& x) const {
    if (options_.mode == Mode::SampledPerStep) {
      float g_rec, d2_rec, g_in, d2_in;
      spikes(model_.recurrent, i, r_, Stream::RecurrentSpike, g_rec, d2_rec);
      spikes(model_.input, i, x, Stream::InputSpike, g_in, d2_in);
      const float d2 = d2_in + d2_rec;
      float u = g_rec + g_in;
      if (d2 > 0.0f)
        u += normal(options_.seed, counter(static_cast<uint32_t>(i), Stream::SampledU)) *
             std::sqrt(d2);
      return u;
    }
    if (options_.mode == Mode::MeanField) {
      float g_rec, d2_rec, g_in, d2_in;
      moments(model_.recurrent, i, r_, g_rec, d2_rec);
      moments(model_.input, i, x, g_in, d2_in);
      const float d2 = d2_in + d2_rec;
      float u = g_rec + g_in;
      if (d2 > 0.0f)
        u += normal(options_.seed, counter(static_cast<uint32_t>(i), Stream::MeanFieldU)) *
             std::sqrt(d2);
      return u;
    }
    return concrete(model_.recurrent, i, r_, Stream::RecurrentWeight) +
           concrete(model_.input, i, x, Stream::InputWeight);
  }

  void readout() {
    switch (model_.dynamics.readout) {
      case Readout::Identity:
        y_ = z_;
        break;
      case Readout::Softmax: {
        float zmax = z_[0];
        for (float z : z_) zmax = z > zmax ? z : zmax;
        float sum = 0.0f;
        for (size_t k = 0; k < z_.size(); ++k) {
          y_[k] = det_exp(z_[k] - zmax);
          sum += y_[k];
        }
        for (float& y : y_) y /= sum;
        break;
      }
      case Readout::Argmax: {
        size_t best = 0;
        for (size_t k = 1; k < z_.size(); ++k)
          if (z_[k] > z_[best]) best = k;
        for (float& y : y_) y = 0.0f;
        y_[best] = 1.0f;
        break;
      }
    }
  }

  ModelView model_;
  Options options_;
  int n_, n_in_, n_out_;
  float alpha_ = 0.0f;
  float noise_scale_ = 0.0f;
  uint32_t trial_ = 0;
  uint32_t step_ = 0;
  std::vector<float> h_, r_, z_, y_;
};

}  // namespace sasrnn::test
