#include "sasrnn/trainer/msi_batch.hpp"

#include <cmath>

#include "sasrnn/rng.hpp"

namespace sasrnn::train {

namespace {
// Training draws use seeds derived from the run's seed, distinct from any evaluation seed.
constexpr uint64_t kTaskSalt = 0x7461736B5F647261ull;   // "task_dra"
constexpr uint64_t kNoiseSalt = 0x6E6F6973655F6D66ull;  // "noise_mf"
}  // namespace

msi::Trial draw_training_trial(const MsiTaskConfig& task, uint64_t seed, uint32_t index, int batch) {
  if (task.balanced) {
    const int pos = static_cast<int>(index % static_cast<uint32_t>(batch));
    const int n_catch = static_cast<int>(std::lround(batch * task.catch_fraction));
    msi::Trial t;
    t.index = index;
    if (pos >= batch - n_catch) {
      t.modality = msi::Modality::Catch;
      t.rate = 0.0f;
      return t;
    }
    const int condition = pos % msi::kConditions;
    t.modality = static_cast<msi::Modality>(condition / msi::kRates);
    t.rate = msi::rate_of(condition % msi::kRates);
    return t;
  }
  const Block w = random_block(seed ^ kTaskSalt,
                               Counter{0, 0, index, static_cast<uint32_t>(Stream::TaskDraw)});
  msi::Trial t;
  t.index = index;
  if (uniform01(w.w[0]) < static_cast<float>(task.catch_fraction)) {
    t.modality = msi::Modality::Catch;
    t.rate = 0.0f;
    return t;
  }
  t.modality = static_cast<msi::Modality>((w.w[1] >> 8) % msi::kModalities);
  t.rate = msi::rate_of(static_cast<int>((w.w[2] >> 8) % msi::kRates));
  return t;
}

template <class T>
Batch<T> make_msi_batch(const MsiTaskConfig& task, uint64_t seed, uint32_t first, int count,
                        int batch) {
  msi::Protocol p = task.protocol;
  p.seed = seed ^ kTaskSalt;
  Batch<T> b;
  b.size = count;
  for (int bi = 0; bi < count; ++bi) {
    const msi::Stimulus stim(p, draw_training_trial(task, seed, first + static_cast<uint32_t>(bi), batch));
    if (bi == 0) {
      b.steps = stim.steps();
      b.x.resize(msi::kInputs, b.steps * count);
      b.target.resize(msi::kOutputs, b.steps * count);
      b.mask.resize(msi::kOutputs, b.steps * count);
    }
    float x[msi::kInputs], y[msi::kOutputs], mask[msi::kOutputs];
    for (int s = 0; s < b.steps; ++s) {
      const int c = s * count + bi;
      stim.input(s, x);
      stim.target(s, y, mask);
      for (int j = 0; j < msi::kInputs; ++j) b.x(j, c) = static_cast<T>(x[j]);
      for (int k = 0; k < msi::kOutputs; ++k) {
        b.target(k, c) = static_cast<T>(y[k]);
        b.mask(k, c) = static_cast<T>(mask[k]);
      }
    }
  }
  return b;
}

template <class T>
Noise<T> make_noise(uint64_t seed, uint32_t first, int count, int steps, int n, int n_out,
                    double noise_scale) {
  Noise<T> nz;
  nz.eps_u.resize(n, steps * count);
  nz.eps_out.resize(n_out, steps * count);
  nz.n_rec.resize(n, steps * count);
  const uint64_t key = seed ^ kNoiseSalt;
  const auto draw = [&](int i, int s, int bi, Stream st) {
    return static_cast<T>(normal(key, Counter{static_cast<uint32_t>(i), static_cast<uint32_t>(s),
                                              first + static_cast<uint32_t>(bi),
                                              static_cast<uint32_t>(st)}));
  };
  for (int s = 0; s < steps; ++s)
    for (int bi = 0; bi < count; ++bi) {
      const int c = s * count + bi;
      for (int i = 0; i < n; ++i) {
        nz.eps_u(i, c) = draw(i, s, bi, Stream::MeanFieldU);
        nz.n_rec(i, c) = noise_scale > 0 ? static_cast<T>(noise_scale) * draw(i, s, bi, Stream::RecurrentNoise)
                                         : T(0);
      }
      for (int k = 0; k < n_out; ++k) nz.eps_out(k, c) = draw(k, s, bi, Stream::MeanFieldOut);
    }
  return nz;
}

template Batch<float> make_msi_batch<float>(const MsiTaskConfig&, uint64_t, uint32_t, int, int);
template Batch<double> make_msi_batch<double>(const MsiTaskConfig&, uint64_t, uint32_t, int, int);
template Noise<float> make_noise<float>(uint64_t, uint32_t, int, int, int, int, double);
template Noise<double> make_noise<double>(uint64_t, uint32_t, int, int, int, int, double);

}  // namespace sasrnn::train
