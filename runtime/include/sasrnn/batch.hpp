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
// Modes so far: MeanField (paper eq. 4-5) and MeanWeights (paper eq. 1 with w = mu), dense layers
// with or without stored moments. bind() refuses the sampled modes and sparse layers with
// Status::BadOption; those run in Network. Recurrent noise (paper eq. 1a) as in Network.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "sasrnn/dynamics.hpp"
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
    if (model.input.is_sparse || model.recurrent.is_sparse || model.output.is_sparse)
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
    const uint32_t zero[B] = {};
    reset(zero);
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
    const uint64_t seed = options_.seed;
    const bool mean_field = options_.mode == Mode::MeanField;
    for (int j = 0; j < n_in; ++j)
      for (int b = 0; b < B; ++b) s.x[j][b] = x[b * n_in + j];
    // pre-activations u (paper eq. 4b; eq. 1b with w = mu in MeanWeights)
    if (mean_field) {
      for (int b = 0; b < B; ++b)
        kernel::normals(seed, step_, trial_[b], static_cast<uint32_t>(Stream::MeanFieldU), n,
                        s.eps[b]);
      square(&r_[0][0], &s.r2[0][0], n * B);
      square(&s.x[0][0], &s.x2[0][0], n_in * B);
      moments(rec_, n, n, &r_[0][0], &s.r2[0][0], &s.g[0][0], &s.d2[0][0]);       // eq. 5b, 5e
      moments(in_, n, n_in, &s.x[0][0], &s.x2[0][0], &s.g_in[0][0], &s.d2_in[0][0]);  // 5a, 5d
      for (int i = 0; i < n; ++i)
        for (int b = 0; b < B; ++b) {
          const float d2k = s.d2_in[i][b] + s.d2[i][b];
          float ui = s.g[i][b] + s.g_in[i][b];
          if (d2k > 0.0f) ui += s.eps[b][i] * std::sqrt(d2k);
          s.u[i][b] = ui;
        }
    } else {
      means(rec_, n, n, &r_[0][0], &s.g[0][0]);
      means(in_, n, n_in, &s.x[0][0], &s.g_in[0][0]);
      for (int i = 0; i < n; ++i)
        for (int b = 0; b < B; ++b) s.u[i][b] = s.g[i][b] + s.g_in[i][b];
    }
    // h and r (paper eq. 1a / 4a, 1c)
    if (noise_scale_ > 0.0f)
      for (int b = 0; b < B; ++b)
        kernel::normals(seed, step_, trial_[b], static_cast<uint32_t>(Stream::RecurrentNoise), n,
                        s.eps[b]);
    for (int i = 0; i < n; ++i)
      for (int b = 0; b < B; ++b) {
        const float noise = noise_scale_ > 0.0f ? noise_scale_ * s.eps[b][i] : 0.0f;
        h_[i][b] = dyn::leak(h_[i][b], s.u[i][b], alpha_, noise);
        r_[i][b] = dyn::relu(h_[i][b]);
      }
    // z (paper eq. 4d; eq. 1d with w = mu) and y (eq. 1e)
    if (mean_field) {
      square(&r_[0][0], &s.r2[0][0], n * B);
      moments(out_, n_out, n, &r_[0][0], &s.r2[0][0], &s.g[0][0], &s.d2[0][0]);  // eq. 5c, 5f
      for (int k = 0; k < n_out; ++k)
        for (int b = 0; b < B; ++b) {
          float z = s.g[k][b];
          if (s.d2[k][b] > 0.0f)
            z += normal(seed, Counter{static_cast<uint32_t>(k), step_, trial_[b],
                                      static_cast<uint32_t>(Stream::MeanFieldOut)}) *
                 std::sqrt(s.d2[k][b]);
          z_[k][b] = z;
        }
    } else {
      means(out_, n_out, n, &r_[0][0], &z_[0][0]);
    }
    for (int b = 0; b < B; ++b)  // paper eq. 1e
      apply_readout(readout_, n_out, &z_[0][b], &y_[0][b], B);
    ++step_;
    bool finite = true;
    for (int i = 0; i < n; ++i)
      for (int b = 0; b < B; ++b) finite = finite && std::isfinite(h_[i][b]);
    for (int k = 0; k < n_out; ++k)
      for (int b = 0; b < B; ++b) finite = finite && std::isfinite(y_[k][b]);
    if (!finite) {
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
  /// Every per-step array, trial-minor ([unit][trial]) except the normals ([trial][unit]).
  struct Scratch {
    float x[NIn][B], x2[NIn][B], r2[N][B];
    float g[N][B], d2[N][B], g_in[N][B], d2_in[N][B], u[N][B];
    float eps[B][N];
    float row_mu[N > NIn ? N : NIn], row_var[N > NIn ? N : NIn];  ///< a row's moments
  };

  static void square(const float* a, float* a2, int count) {
    for (int k = 0; k < count; ++k) a2[k] = a[k] * a[k];
  }
  /// The mean-field sums of the `rows` rows of dense layer l for every trial.
  void moments(const LayerView& l, int rows, int cols, const float* v, const float* v2, float* g,
               float* d2) {
    kernel::batch::moment_rows_batch<B>(cols, rows, l.pi, l.m, l.xi, l.mu, l.var, v, v2,
                                        scratch_.row_mu, scratch_.row_var, g, d2);
  }
  void means(const LayerView& l, int rows, int cols, const float* v, float* out) {
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
