// fw_model_tool: build-time helper of the Cortex-M examples (host program).
//   fw_model_tool generate OUT.sasrnn [SEED]   writes a random, trained-like N=150 MSI model
// (used when models/msi_n150.sasrnn is absent). `sasrnn export-c` turns the model into the C
// array the firmware links.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/msi.hpp"

namespace {

using sasrnn::conv::LayerData;

/// Hyperparameters shaped like a trained SaS network (not trained): pi from a U-shaped
/// Beta(1/2, 1/2) (most connections almost surely on or off), m ~ N(0, 1/fan_in),
/// xi ~ 0.01 U(0, 1). A weak rate-tuned pathway (positively tuned inputs -> even units ->
/// high output, negatively tuned -> odd units -> low output) makes the decisions depend on the
/// event rate, so the psychometric table is not flat.
void fill(LayerData& l, std::mt19937& gen) {
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const float sd = 1.0f / std::sqrt(static_cast<float>(l.cols));
  for (size_t k = 0; k < l.size(); ++k) {
    const float s = std::sin(1.5707963f * u(gen));
    l.pi[k] = s * s;  // arcsine law: Beta(1/2, 1/2)
    l.m[k] = sd * normal(gen);
    l.xi[k] = 0.01f * u(gen);
  }
}

sasrnn::conv::ModelData random_msi_model(uint32_t seed) {
  namespace msi = sasrnn::msi;
  const uint32_t n = 150;
  sasrnn::conv::ModelData d = sasrnn::conv::make_empty_model(n, msi::kInputs, msi::kOutputs);
  d.name = "fw-random-msi-n150";
  std::mt19937 gen(seed);
  fill(d.input, gen);
  fill(d.recurrent, gen);
  fill(d.output, gen);
  for (uint32_t i = 0; i < 2 * n / 3; ++i) {
    const bool even = i % 2 == 0;
    const int pos = i < n / 3 ? msi::AuditoryPos : msi::VisualPos;
    const int neg = i < n / 3 ? msi::AuditoryNeg : msi::VisualNeg;
    const size_t row = static_cast<size_t>(i) * msi::kInputs;
    d.input.pi[row + static_cast<size_t>(even ? pos : neg)] = 0.02f;
    d.input.m[row + static_cast<size_t>(even ? pos : neg)] = 1.5f;
    const size_t out = static_cast<size_t>(even ? msi::High : msi::Low) * n + i;
    d.output.pi[out] = 0.05f;
    d.output.m[out] = 0.15f;
  }
  sasrnn::conv::apply_msi_task(d);  // mask: pi_in = 1 on absent connections
  d.provenance.trainer_version = "none (fw_model_tool generate: random, untrained)";
  d.provenance.seed = seed;
  d.provenance.command = "fw_model_tool generate";
  return d;
}

int generate(const std::string& out, uint32_t seed) {
  const auto file = sasrnn::conv::build_model_file(random_msi_model(seed));
  sasrnn::conv::write_file(out, file.data(), file.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "generate" && (argc == 3 || argc == 4))
      return generate(argv[2], argc == 4 ? static_cast<uint32_t>(std::stoul(argv[3])) : 150u);
    std::fprintf(stderr, "usage: fw_model_tool generate OUT.sasrnn [SEED]\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fw_model_tool: %s\n", e.what());
    return 1;
  }
}
