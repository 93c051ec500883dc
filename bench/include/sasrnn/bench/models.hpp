// Models for the latency benchmarks: MSI networks of any size N with the hyperparameter
// statistics of a trained MSI model (NIn = 5, NOut = 2).
#pragma once

#include <cstdint>

#include "sasrnn/converter/model_file.hpp"

namespace sasrnn::bench {

/// An MSI model of `n` units whose hyperparameters look trained.
/// With `source` (a trained MSI model): every (pi, m, xi) triple is drawn at random from the
/// source's layer of the same kind (recurrent and output m rescaled by sqrt(source N / n); input
/// rows drawn from source rows of the same input group: auditory, visual, none), so the
/// distributions of pi, m and xi, their joint statistics and the absent/constant connection
/// classes match the trained model. Without `source`: a synthetic recipe (U-shaped pi with about
/// 20 % near 1 and a few exactly 0 or 1, m ~ N(0, 1/n), xi ~ 0.01 U(0,1)^3). Input wiring and task
/// metadata follow apply_msi_task(). The resampled layers are dense; a source layer's
/// precomputed moments (`dense-moments`) carry over, so `sasrnn bench --sizes` times that path
/// too. Deterministic for a given seed.
conv::ModelData msi_like_model(uint32_t n, uint32_t seed, const conv::ModelData* source = nullptr);

}  // namespace sasrnn::bench
