// Initial parameter values of both trainers (recurrent and feedforward): Philox draws keyed by
// (seed, layer, entry), so an initialisation is a pure function of the seed.
#include "sasrnn/trainer/init.hpp"

#include "sasrnn/rng.hpp"

namespace sasrnn::train {

namespace {
constexpr uint64_t kInitSalt = 0x696E69745F706172ull;  // "init_par"
}  // namespace

Mat<double> init_normal(uint64_t seed, uint32_t layer, int rows, int cols, double sd) {
  Mat<double> a(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j)
      a(i, j) = sd * normal(seed ^ kInitSalt, Counter{static_cast<uint32_t>(i * cols + j), layer, 0,
                                                      static_cast<uint32_t>(Stream::TaskDraw)});
  return a;
}

Mat<double> init_uniform(uint64_t seed, uint32_t layer, int rows, int cols, double scale) {
  Mat<double> a(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j)
      a(i, j) = scale * uniform01(random_block(seed ^ kInitSalt,
                                               Counter{static_cast<uint32_t>(i * cols + j), layer, 1,
                                                       static_cast<uint32_t>(Stream::TaskDraw)}).w[0]);
  return a;
}

}  // namespace sasrnn::train
