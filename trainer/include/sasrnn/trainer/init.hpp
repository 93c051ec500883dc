// Initial parameter values shared by the recurrent and the feedforward trainer: pure functions
// of (seed, layer, entry), drawn with the runtime's Philox generator (sasrnn/rng.hpp).
#pragma once

#include <cstdint>

#include "sasrnn/trainer/mean_field.hpp"

namespace sasrnn::train {

/// rows x cols entries sd N(0, 1).
Mat<double> init_normal(uint64_t seed, uint32_t layer, int rows, int cols, double sd);
/// rows x cols entries scale U(0, 1) (24-bit uniforms).
Mat<double> init_uniform(uint64_t seed, uint32_t layer, int rows, int cols, double scale);

}  // namespace sasrnn::train
