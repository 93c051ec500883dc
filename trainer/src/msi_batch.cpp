#include "sasrnn/trainer/msi_batch.hpp"

#include <cmath>
#include <vector>

#include "sasrnn/kernels.hpp"
#include "sasrnn/rng.hpp"
#include "sasrnn/trainer/word_normals.hpp"

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

namespace {

/// A standard normal from one 32-bit word: one ziggurat attempt with the runtime's tables
/// (rng.hpp) -- layer from bits 0-6, sign from bit 7, a 24-bit magnitude from bits 8-31. The
/// ~2.8 % of attempts outside their layer's rectangle (the tables' rate at 24-bit magnitudes)
/// finish exactly as the ziggurat does, with fresh uniforms from a block of their own (`spare`):
/// the wedge test, the tail beyond r, or, if the attempt is rejected, a new independent normal.
/// So four normals cost one Philox block. The fast path is word_normals::first_attempt() (8 at
/// a time in fill_normals()); this finishes a rejected first attempt, given the spare block
/// b = random_block(key, spare) (computed 8 at a time by the caller).
float finish_word_normal(uint32_t w, uint64_t key, Counter spare, Block b) {
  const detail::ZigguratTables& z = detail::kZiggurat;
  const uint32_t layer = w & 127u;
  const bool negative = (w & 128u) != 0;
  const uint32_t mag = (w >> 8) << 7;  // 31-bit magnitude, 24 random bits
  const float x = static_cast<float>(mag) * z.w[layer];
  if (layer == 0) {  // tail beyond r (Marsaglia 1964), as normal_from_block
    const float r = static_cast<float>(detail::kZigR);
    for (uint32_t attempt = 1;; ++attempt) {
      const float xt = -det_log(uniform_open0(b.w[0])) / r;
      const float yt = -det_log(uniform_open0(b.w[1]));
      if (yt + yt > xt * xt) return negative ? -(r + xt) : r + xt;
      spare.stream = (spare.stream & 0xFFFFu) | (attempt << 16);
      b = random_block(key, spare);
    }
  }
  const float fy = z.f[layer] + uniform01(b.w[0]) * (z.f[layer - 1] - z.f[layer]);
  if (fy < det_exp(-0.5f * x * x)) return negative ? -x : x;
  spare.stream = (spare.stream & 0xFFFFu) | 0x8000u;  // rejected: an independent exact normal
  return normal(key, spare);
}

/// A first attempt the ziggurat rejected: its word, its row and trial (its spare block's
/// counter), and where its value goes.
template <class T>
struct Rejected {
  uint32_t word, row, trial;
  T* dst;
};

}  // namespace

template <class T>
void fill_normals(uint64_t key, Stream stream, uint32_t first, int steps, int count, T scale,
                  Mat<T>& out, int from_step) {
  const int rows = static_cast<int>(out.rows());
  const int skipped = from_step < 0 ? 0 : (from_step < steps ? from_step : steps);
  out.leftCols(static_cast<Eigen::Index>(skipped) * count).setZero();
  const uint32_t st = static_cast<uint32_t>(stream);
  // Block q = random_block(key, Counter{q, s, trial, stream}) gives rows 4q..4q+3 of column
  // (s, trial) (word k row 4q + k). Each column's whole groups of 8 blocks are one philox8()
  // (the runtime's, word for word the same); the blocks left over in every column of a step,
  // and then the spare blocks of the step's rejected attempts, are gathered over the trials 8
  // at a time (word_normals::philox8_pairs). word_normals does the 8 first attempts of one
  // word index at once; the rejected ones are finished after (finish_word_normal()).
  const int blocks = (rows + 3) / 4;
  const int whole = blocks / 8 * 8;  // blocks in whole groups of 8
  std::vector<Rejected<T>> rejected;
  // Writes the attempts of lanes 0..n-1 of b, lane l holding block q[l] of column col[l].
  const auto place = [&](const kernel::Blocks8& b, const uint32_t* q, T* const* col, const uint32_t* trial,
                         int n) {
    float x[4][8];
    unsigned accepted[4];
    for (int k = 0; k < 4; ++k) accepted[k] = word_normals::first_attempts8(b.w[k], x[k]);
    for (int l = 0; l < n; ++l)
      for (int k = 0; k < 4; ++k) {
        const int i = 4 * static_cast<int>(q[l]) + k;
        if (i >= rows) break;
        if ((accepted[k] >> l & 1u) != 0)
          col[l][i] = scale * static_cast<T>(x[k][l]);
        else
          rejected.push_back(Rejected<T>{b.w[k][l], static_cast<uint32_t>(i), trial[l], col[l] + i});
      }
  };
  for (int s = skipped; s < steps; ++s) {
    rejected.clear();
    const uint32_t step = static_cast<uint32_t>(s);
    for (int bi = 0; bi < count; ++bi) {
      T* cols[8];
      uint32_t trials[8];
      for (int l = 0; l < 8; ++l) {
        cols[l] = out.col(s * count + bi).data();
        trials[l] = first + static_cast<uint32_t>(bi);
      }
      for (int q0 = 0; q0 < whole; q0 += 8) {
        uint32_t index[8];
        for (int l = 0; l < 8; ++l) index[l] = static_cast<uint32_t>(q0 + l);
        kernel::Blocks8 b;
        kernel::philox8(index, step, trials[0], st, key, b, 8);
        place(b, index, cols, trials, 8);
      }
    }
    // The leftover blocks q = whole .. blocks - 1 of every column, 8 (q, trial) pairs at a time.
    uint32_t index[8], trials[8];
    T* cols[8];
    int n = 0;
    const auto flush_pairs = [&] {
      kernel::Blocks8 b;
      word_normals::philox8_pairs(index, step, trials, st, key, b, n);
      place(b, index, cols, trials, n);
      n = 0;
    };
    for (int bi = 0; bi < count; ++bi)
      for (int q = whole; q < blocks; ++q) {
        index[n] = static_cast<uint32_t>(q);
        trials[n] = first + static_cast<uint32_t>(bi);
        cols[n] = out.col(s * count + bi).data();
        if (++n == 8) flush_pairs();
      }
    if (n > 0) {
      for (int l = n; l < 8; ++l) index[l] = trials[l] = 0;  // lanes no one reads
      flush_pairs();
    }
    // The rejected attempts: spare blocks Counter{row, s, trial, stream | 0x100}, 8 at a time.
    for (size_t r0 = 0; r0 < rejected.size(); r0 += 8) {
      const int m = rejected.size() - r0 < 8 ? static_cast<int>(rejected.size() - r0) : 8;
      uint32_t rows8[8] = {}, trials8[8] = {};
      for (int l = 0; l < m; ++l) {
        rows8[l] = rejected[r0 + static_cast<size_t>(l)].row;
        trials8[l] = rejected[r0 + static_cast<size_t>(l)].trial;
      }
      kernel::Blocks8 b;
      word_normals::philox8_pairs(rows8, step, trials8, st | 0x100u, key, b, m);
      for (int l = 0; l < m; ++l) {
        const Rejected<T>& rj = rejected[r0 + static_cast<size_t>(l)];
        const Counter spare{rj.row, step, rj.trial, st | 0x100u};
        const Block spare_block{{b.w[0][l], b.w[1][l], b.w[2][l], b.w[3][l]}};
        *rj.dst = scale * static_cast<T>(finish_word_normal(rj.word, key, spare, spare_block));
      }
    }
  }
}

template <class T>
Noise<T> make_noise(uint64_t seed, uint32_t first, int count, int steps, int n, int n_out,
                    double noise_scale, int output_from_step, bool eps) {
  Noise<T> nz;
  nz.eps_u.resize(n, steps * count);
  nz.eps_out.resize(n_out, steps * count);
  nz.n_rec.resize(n, steps * count);
  const uint64_t key = seed ^ kNoiseSalt;
  if (eps) {
    fill_normals<T>(key, Stream::MeanFieldU, first, steps, count, T(1), nz.eps_u);
    fill_normals<T>(key, Stream::MeanFieldOut, first, steps, count, T(1), nz.eps_out, output_from_step);
  } else {
    nz.eps_u.setZero();
    nz.eps_out.setZero();
  }
  if (noise_scale > 0)
    fill_normals<T>(key, Stream::RecurrentNoise, first, steps, count, static_cast<T>(noise_scale),
                    nz.n_rec);
  else
    nz.n_rec.setZero();
  return nz;
}

template Batch<float> make_msi_batch<float>(const MsiTaskConfig&, uint64_t, uint32_t, int, int);
template Batch<double> make_msi_batch<double>(const MsiTaskConfig&, uint64_t, uint32_t, int, int);
template Noise<float> make_noise<float>(uint64_t, uint32_t, int, int, int, int, double, int, bool);
template Noise<double> make_noise<double>(uint64_t, uint32_t, int, int, int, int, double, int, bool);
template void fill_normals<float>(uint64_t, Stream, uint32_t, int, int, float, Mat<float>&, int);
template void fill_normals<double>(uint64_t, Stream, uint32_t, int, int, double, Mat<double>&, int);

}  // namespace sasrnn::train
