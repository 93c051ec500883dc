#include "sasrnn/bench/models.hpp"

#include <cmath>
#include <random>

#include "sasrnn/msi.hpp"

namespace sasrnn::bench {

namespace {

int input_group(uint32_t unit, uint32_t n) {  // 0 auditory, 1 visual, 2 none (msi.hpp wiring)
  const uint32_t g = n / 3;
  return unit < g ? 0 : unit < 2 * g ? 1 : 2;
}

void synthetic_layer(conv::LayerData& l, std::mt19937& gen, float m_sd) {
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::normal_distribution<float> g(0.0f, m_sd);
  for (size_t k = 0; k < l.size(); ++k) {
    const float c = u(gen);
    float pi;
    if (c < 0.01f) pi = 1.0f;                          // absent (UIP at the bound)
    else if (c < 0.03f) pi = 0.0f;                     // at the other bound
    else if (c < 0.20f) pi = 1.0f - 0.1f * u(gen);     // near 1
    else pi = 0.9f * u(gen) * u(gen);                  // the bulk, towards 0
    l.pi[k] = pi;
    l.m[k] = g(gen);
    const float a = u(gen);
    l.xi[k] = u(gen) < 0.08f ? 0.0f : 0.01f * a * a * a;
  }
}

}  // namespace

conv::ModelData msi_like_model(uint32_t n, uint32_t seed, const conv::ModelData* source) {
  conv::ModelData d = conv::make_empty_model(n, 5, 2);
  std::mt19937 gen(seed);
  if (source == nullptr) {
    synthetic_layer(d.recurrent, gen, 1.0f / std::sqrt(static_cast<float>(n)));
    synthetic_layer(d.output, gen, 1.0f / std::sqrt(static_cast<float>(n)));
    synthetic_layer(d.input, gen, 1.0f);
    for (size_t k = 0; k < d.input.size(); ++k) {  // inputs deterministic, as the paper trains them
      d.input.pi[k] = 0.0f;
      d.input.xi[k] = 0.0f;
    }
  } else {
    const float scale = std::sqrt(static_cast<float>(source->n) / static_cast<float>(n));
    auto resample = [&](const conv::LayerData& from, conv::LayerData& to, float m_scale) {
      std::uniform_int_distribution<size_t> pick(0, from.size() - 1);
      for (size_t k = 0; k < to.size(); ++k) {
        const size_t s = pick(gen);
        to.pi[k] = from.pi[s];
        to.m[k] = from.m[s] * m_scale;
        to.xi[k] = from.xi[s] * m_scale * m_scale;
      }
    };
    resample(source->recurrent, d.recurrent, scale);
    resample(source->output, d.output, scale);
    // input rows from source rows of the same group
    std::uniform_int_distribution<uint32_t> pick_row(0, source->n - 1);
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t r = pick_row(gen);
      while (input_group(r, source->n) != input_group(i, n)) r = pick_row(gen);
      for (uint32_t j = 0; j < 5; ++j) {
        d.input.pi[i * 5 + j] = source->input.pi[r * 5 + j];
        d.input.m[i * 5 + j] = source->input.m[r * 5 + j];
        d.input.xi[i * 5 + j] = source->input.xi[r * 5 + j];
      }
    }
    d.dynamics = source->dynamics;
    d.input.encoding.moments = source->input.encoding.moments;  // dense: only the moments flag
    d.recurrent.encoding.moments = source->recurrent.encoding.moments;
    d.output.encoding.moments = source->output.encoding.moments;
  }
  conv::apply_msi_task(d);
  d.name = "msi-like-n" + std::to_string(n);
  return d;
}

}  // namespace sasrnn::bench
