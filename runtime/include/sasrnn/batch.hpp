// BatchNetwork<N, NIn, NOut, B>: B trials of one model advanced together, each trial bit for bit
// the run of Network<N, NIn, NOut> with the same options and its trial index (same lanes, same
// tree, same counters). Each weight is read once per step for all B trials, and the loops over the
// trials run in SIMD lanes (kernels/batch_rows.hpp). No heap: the state of the B trials and the
// per-step scratch are arrays of sizes fixed at compile time inside the object (sizeof is its RAM).
// BatchNetworkUpTo<MaxN, MaxNIn, MaxNOut, B>: the same for any model of at most those sizes, read
// at bind() (as NetworkUpTo; the host tools' evaluations run every model with one instantiation).
// The row kernels take their sizes at run time either way, so the two run the same code; only the
// loops' bounds differ, and the arrays are laid out [unit][trial], so a smaller model uses their
// first n * B floats.
//
// Modes so far: MeanField (paper eq. 4-5) and MeanWeights (paper eq. 1 with w = mu); bind()
// refuses the sampled modes with Status::BadOption (they run in Network). Recurrent noise (paper
// eq. 1a) as in Network. Without a cache it reads dense layers (with or without stored moments)
// row by row and refuses sparse layers with BadOption. With a caller-owned moment cache
// (use_moment_cache(), the layout and size of Network's) each step reads mu and var column by
// column and skips the units silent in every trial of the batch; it then also runs sparse layers
// (the cache holds their decoded moments).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "sasrnn/dynamics.hpp"
#include "sasrnn/encoding.hpp"
#include "sasrnn/kernels.hpp"
#include "sasrnn/kernels/batch_rows.hpp"
#include "sasrnn/model.hpp"
#include "sasrnn/network.hpp"
#include "sasrnn/rng.hpp"
#include "sasrnn/status.hpp"

namespace sasrnn {

/// N, NIn, NOut: the sizes (AnySize = false) or the largest sizes (AnySize = true) of the models
/// it runs. Use the aliases BatchNetwork and BatchNetworkUpTo.
template <int N, int NIn, int NOut, int B, bool AnySize>
class BasicBatchNetwork {
 public:
  static_assert(B >= 1 && B <= 64, "a batch has 1 to 64 trials");
  static constexpr int kTrials = B;
  /// The single-trial network every trial of this one equals bit for bit.
  using Single = BasicNetwork<N, NIn, NOut, AnySize>;

  /// Binds a verified model and run options, as Network::bind() (the same checks and statuses;
  /// Network decides them). BadOption also for a mode other than MeanField and MeanWeights and
  /// for a model with a sparse layer. The model buffer must outlive this.
  Status bind(const ModelView& model, const Options& options) {
    bound_ = false;
    const Status checked = Single::check(model, options, alpha_);  // the checks of one source
    if (checked != Status::Ok) return checked;
    if (options.mode != Mode::MeanField && options.mode != Mode::MeanWeights) return Status::BadOption;
    if ((model.input.is_sparse || model.recurrent.is_sparse || model.output.is_sparse) &&
        cache_ == nullptr)
      return Status::BadOption;
    if (cache_ != nullptr &&
        cache_floats_ < moment_cache_floats(static_cast<int>(model.n),
                                                    static_cast<int>(model.n_in),
                                                    static_cast<int>(model.n_out)))
      return Status::BadOption;
    n_ = static_cast<int>(model.n);
    n_in_ = static_cast<int>(model.n_in);
    n_out_ = static_cast<int>(model.n_out);
    in_ = model.input;
    rec_ = model.recurrent;
    out_ = model.output;
    readout_ = model.dynamics.readout;
    options_ = options;
    noise_scale_ = options.recurrent_noise
                       ? dyn::recurrent_noise_scale(alpha_, model.dynamics.sigma_rec)
                       : 0.0f;
    bound_ = true;
    if (cache_ != nullptr) moment_cache().fill(rec_, in_, out_);
    const uint32_t zero[B] = {};
    reset(zero);
    return Status::Ok;
  }

  /// The moment cache that fits every model this network runs (Network's kMomentCacheFloats).
  static constexpr size_t kMomentCacheFloats = Single::kMomentCacheFloats;

  /// Floats of the moment cache of a model of n units, n_in inputs and n_out outputs (Network's).
  static constexpr size_t moment_cache_floats(int n, int n_in, int n_out) {
    return Single::moment_cache_floats(n, n_in, n_out);
  }

  /// Use `floats` floats at `cache` (caller-owned, at least moment_cache_floats() of the models it
  /// will bind) for mu and var of every connection, filled by bind(). Unbinds: call bind() after
  /// it (nullptr stops using the cache). Results are bit for bit those without it. BadOption if
  /// the build leaves the cache out (SASRNN_NO_MOMENT_CACHE); bind() refuses a model the cache
  /// does not fit with BadOption.
  Status use_moment_cache(float* cache, size_t floats) {
    bound_ = false;
    cache_ = nullptr;
    if (cache != nullptr && !kMomentCacheBuilt) return Status::BadOption;
    cache_ = cache;
    cache_floats_ = floats;
    return Status::Ok;
  }

  /// Starts trial trials[b] in lane b, each from h(0) = 0.
  void reset(const uint32_t* trials) {
    for (int b = 0; b < B; ++b) trial_[b] = trials[b];
    step_ = 0;
    diverged_ = false;
    for (float* a : {&h_[0][0], &r_[0][0]})
      for (int k = 0; k < n_units() * B; ++k) a[k] = 0.0f;
    for (float* a : {&z_[0][0], &y_[0][0]})
      for (int k = 0; k < n_outputs() * B; ++k) a[k] = 0.0f;
  }

  /// Advances every trial one step; x[b * NIn + j] is input j of the trial in lane b. The
  /// statuses of Network::step() for the batch: NonFiniteInput or InputOverflow (nothing
  /// changes) if some trial's input is refused; NonFiniteState if some trial went non-finite
  /// (every later step refuses until a reset).
  Status step(const float* x) {
    if (!bound_) return Status::NotBound;
    if (diverged_) return Status::NonFiniteState;
    const int n = n_units(), n_in = n_inputs(), n_out = n_outputs();
    for (int k = 0; k < n_in * B; ++k) {
      if (!std::isfinite(x[k])) return Status::NonFiniteInput;
      if (std::fabs(x[k]) > kMaxActivity) return Status::InputOverflow;
    }
    Scratch& s = scratch_;
    const bool mean_field = options_.mode == Mode::MeanField;
    for (int j = 0; j < n_in; ++j)
      for (int b = 0; b < B; ++b) s.x[j][b] = x[b * n_in + j];
    // pre-activations u (paper eq. 4b; eq. 1b with w = mu in MeanWeights)
    if (mean_field) {
      draw_normals(Stream::MeanFieldU, n, &s.eps[0][0]);
      square(&r_[0][0], &s.r2[0][0], n * B);
      square(&s.x[0][0], &s.x2[0][0], n_in * B);
      moments(0, rec_, n, n, &r_[0][0], &s.r2[0][0], &s.g[0][0], &s.d2[0][0]);       // eq. 5b, 5e
      moments(1, in_, n, n_in, &s.x[0][0], &s.x2[0][0], &s.g_in[0][0], &s.d2_in[0][0]);  // 5a, 5d
      for (int i = 0; i < n; ++i)
        for (int b = 0; b < B; ++b) {  // branch-free, so that the loop over b runs in vectors
          const float d2k = s.d2_in[i][b] + s.d2[i][b];
          s.u[i][b] = with_noise(s.g[i][b] + s.g_in[i][b], s.eps[i][b], d2k);
        }
    } else {
      means(0, rec_, n, n, &r_[0][0], &s.g[0][0]);
      means(1, in_, n, n_in, &s.x[0][0], &s.g_in[0][0]);
      for (int i = 0; i < n; ++i)
        for (int b = 0; b < B; ++b) s.u[i][b] = s.g[i][b] + s.g_in[i][b];
    }
    // h and r (paper eq. 1a / 4a, 1c)
    if (noise_scale_ > 0.0f) {
      draw_normals(Stream::RecurrentNoise, n, &s.eps[0][0]);
      advance(n, [&](int i, int b) { return noise_scale_ * s.eps[i][b]; });
    } else {
      advance(n, [](int, int) { return 0.0f; });
    }
    // z (paper eq. 4d; eq. 1d with w = mu) and y (eq. 1e)
    if (mean_field) {
      square(&r_[0][0], &s.r2[0][0], n * B);
      moments(2, out_, n_out, n, &r_[0][0], &s.r2[0][0], &s.g[0][0], &s.d2[0][0]);  // eq. 5c, 5f
      // every output's normal drawn (8 at a time; each a pure function of its counter), used
      // where Network draws it: d2 > 0
      draw_normals(Stream::MeanFieldOut, n_out, &s.eps_out[0][0]);
      for (int k = 0; k < n_out; ++k)
        for (int b = 0; b < B; ++b) z_[k][b] = with_noise(s.g[k][b], s.eps_out[k][b], s.d2[k][b]);
    } else {
      means(2, out_, n_out, n, &r_[0][0], &z_[0][0]);
    }
    for (int b = 0; b < B; ++b)  // paper eq. 1e
      apply_readout(readout_, n_out, &z_[0][b], &y_[0][b], B);
    ++step_;
    int not_finite = 0;  // no early exit: the loops run in vectors
    for (int k = 0; k < n * B; ++k) not_finite |= std::isfinite((&h_[0][0])[k]) ? 0 : 1;
    for (int k = 0; k < n_out * B; ++k) not_finite |= std::isfinite((&y_[0][0])[k]) ? 0 : 1;
    if (not_finite != 0) {
      diverged_ = true;
      return Status::NonFiniteState;
    }
    return Status::Ok;
  }

  float state(int b, int i) const { return h_[i][b]; }   ///< h_i(t) of the trial in lane b
  float rate(int b, int i) const { return r_[i][b]; }    ///< r_i(t)
  float z(int b, int k) const { return z_[k][b]; }       ///< z_k(t) (eq. 1d)
  float output(int b, int k) const { return y_[k][b]; }  ///< y_k(t) (eq. 1e)
  uint32_t trial(int b) const { return trial_[b]; }
  uint32_t step_index() const { return step_; }
  bool bound() const { return bound_; }
  /// The sizes of the bound model (N, NIn, NOut in BatchNetwork; 0 in an unbound BatchNetworkUpTo).
  int n_units() const { return AnySize ? n_ : N; }
  int n_inputs() const { return AnySize ? n_in_ : NIn; }
  int n_outputs() const { return AnySize ? n_out_ : NOut; }

  /// The decision of the trial in lane b: index of its largest output (ties: the lowest index).
  int decide(int b) const {
    int best = 0;
    for (int k = 1; k < n_outputs(); ++k)
      if (y_[k][b] > y_[best][b]) best = k;
    return best;
  }

 private:
  /// Every per-step array, trial-minor ([unit][trial]).
  struct Scratch {
    float x[NIn][B], x2[NIn][B], r2[N][B];
    float g[N][B], d2[N][B], g_in[N][B], d2_in[N][B], u[N][B];
    float eps[N][B], eps_out[NOut][B];
    float drawn[N > NOut ? N : NOut];  ///< one trial's normals, before they go to their lane
    float row_mu[N > NIn ? N : NIn], row_var[N > NIn ? N : NIn];  ///< a row's moments
    kernel::batch::ActiveColumns<(N > NIn ? N : NIn)> active;  ///< with the moment cache
  };

  /// eps[i * B + b] = normal(seed, Counter{i, step, trial of lane b, stream}) for i < count:
  /// each trial's normals drawn 8 at a time (kernel::normals), into its lane.
  void draw_normals(Stream stream, int count, float* eps) {
    Scratch& s = scratch_;
    for (int b = 0; b < B; ++b) {
      kernel::normals(options_.seed, step_, trial_[b], static_cast<uint32_t>(stream), count,
                      s.drawn);
      for (int i = 0; i < count; ++i) eps[i * B + b] = s.drawn[i];
    }
  }

  /// Network's `x = base; if (d2 > 0) x += eps * sqrt(d2)` (paper eq. 4b, 4d), branch-free so
  /// that the loops over the trials run in vectors: the same operations where d2 > 0, else base.
  static float with_noise(float base, float eps, float d2) {
    const float noisy = base + eps * std::sqrt(d2 > 0.0f ? d2 : 0.0f);
    return d2 > 0.0f ? noisy : base;
  }

  /// h and r of every unit and trial (paper eq. 1a / 4a, 1c) with noise(i, b): one loop per
  /// noise, so that the loop over the trials runs in vectors.
  template <class Noise>
  void advance(int n, Noise&& noise) {
    for (int i = 0; i < n; ++i)
      for (int b = 0; b < B; ++b) {
        h_[i][b] = dyn::leak(h_[i][b], scratch_.u[i][b], alpha_, noise(i, b));
        r_[i][b] = dyn::relu(h_[i][b]);
      }
  }

  static void square(const float* a, float* a2, int count) {
    for (int k = 0; k < count; ++k) a2[k] = a[k] * a[k];
  }
  encoding::MomentCache moment_cache() const { return {cache_, n_units(), n_inputs(), n_outputs()}; }

  /// The mean-field sums of the `rows` rows of layer `layer` (l: 0 recurrent, 1 input, 2 output)
  /// for every trial: from the moment cache's columns, or from l's rows (dense).
  void moments(int layer, const LayerView& l, int rows, int cols, const float* v, const float* v2,
               float* g, float* d2) {
    if (cache_ != nullptr) {
      const encoding::MomentCache::Columns c = moment_cache().columns(layer);
      scratch_.active.template fill<B>(v, cols);
      kernel::batch::cached_rows_batch<B, true>(rows, c.stride, c.mu, c.var, scratch_.active, v,
                                                v2, g, d2);
      return;
    }
    kernel::batch::moment_rows_batch<B>(cols, rows, l.pi, l.m, l.xi, l.mu, l.var, v, v2,
                                        scratch_.row_mu, scratch_.row_var, g, d2);
  }
  void means(int layer, const LayerView& l, int rows, int cols, const float* v, float* out) {
    if (cache_ != nullptr) {
      const encoding::MomentCache::Columns c = moment_cache().columns(layer);
      scratch_.active.template fill<B>(v, cols);
      kernel::batch::cached_rows_batch<B, false>(rows, c.stride, c.mu, nullptr, scratch_.active,
                                                 v, nullptr, out, nullptr);
      return;
    }
    kernel::batch::mean_rows_batch<B>(cols, rows, l.pi, l.m, l.mu, v, scratch_.row_mu, out);
  }

  LayerView in_, rec_, out_;
  Readout readout_ = Readout::Identity;
  Options options_;
  float alpha_ = 0.0f;
  float noise_scale_ = 0.0f;
  uint32_t trial_[B] = {};
  uint32_t step_ = 0;
  bool bound_ = false;
  bool diverged_ = false;
  int n_ = 0, n_in_ = 0, n_out_ = 0;  ///< BatchNetworkUpTo: the bound model's sizes
  float* cache_ = nullptr;  ///< the caller's moment cache (use_moment_cache()), or none
  size_t cache_floats_ = 0;
  float h_[N][B] = {}, r_[N][B] = {}, z_[NOut][B] = {}, y_[NOut][B] = {};
  Scratch scratch_ = {};
};

/// B trials of a network of exactly N units, NIn inputs and NOut outputs.
template <int N, int NIn, int NOut, int B>
using BatchNetwork = BasicBatchNetwork<N, NIn, NOut, B, false>;

/// B trials of any model of at most MaxN units, MaxNIn inputs and MaxNOut outputs, the sizes read
/// at bind(); bit for bit NetworkUpTo (and so the Network of the model's sizes).
template <int MaxN, int MaxNIn, int MaxNOut, int B>
using BatchNetworkUpTo = BasicBatchNetwork<MaxN, MaxNIn, MaxNOut, B, true>;

}  // namespace sasrnn
