// Network<N, NIn, NOut>: a spike-and-slab rate RNN run from a verified model, without heap.
// NetworkUpTo<MaxN, MaxNIn, MaxNOut>: the same network for any model of at most those sizes, the
// sizes read from the model at bind() (host tools run every model with one instantiation). Both
// are BasicNetwork: one code, the same sums in the same order and the same draws, so a model runs
// bit for bit alike in either.
//
// State lives inside the object (Eigen vectors of fixed capacity); hyperparameters are read in
// place from the model buffer. One network runs in one of four modes:
//   MeanField        paper eq. 4-5: u = G_rec + G_in + eps * sqrt(Delta_in^2 + Delta_rec^2),
//                    z = G_out + eps_out * Delta_out, eps ~ N(0,1) fresh per unit per step;
//   SampledPerStep   paper eq. 1 with a fresh concrete network drawn from paper eq. 3 at every
//                    step (the time-dependent concrete network of paper Fig. 9/18): the spike of
//                    every connection drawn, each row's sum over its slabs drawn exactly as one
//                    Gaussian (the same distribution; rng.hpp explains the contract);
//   SampledPerTrial  paper eq. 1 with one concrete network per trial;
//   MeanWeights      paper eq. 1 with the deterministic weights w = mu = (1 - pi) m.
// Recurrent noise sqrt(2 alpha sigma^2) n (paper eq. 1a) is on or off per run; input noise
// (paper eq. 2) belongs to the input x given to step() (see msi.hpp).
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "sasrnn/dynamics.hpp"
#include "sasrnn/encoding.hpp"
#include "sasrnn/kernels.hpp"
#include "sasrnn/model.hpp"
#include "sasrnn/rng.hpp"
#include "sasrnn/status.hpp"

namespace sasrnn {

enum class Mode : uint8_t { MeanField = 0, SampledPerStep = 1, SampledPerTrial = 2, MeanWeights = 3 };

inline const char* mode_name(Mode m) {
  switch (m) {
    case Mode::MeanField: return "mean-field";
    case Mode::SampledPerStep: return "sampled-per-step";
    case Mode::SampledPerTrial: return "sampled-per-trial";
    case Mode::MeanWeights: return "mean-weights";
  }
  return "unknown";
}

struct Options {
  Mode mode = Mode::MeanField;
  uint64_t seed = 0;
  bool recurrent_noise = true;  ///< add sqrt(2 alpha sigma_rec^2) n (paper eq. 1a)
  float alpha = 0.0f;           ///< dt / tau for this run; 0 = the model's trained alpha
};

/// The scratch of one step of a network of (at most) N units and NIn inputs: every per-step array,
/// a member of the network (so in its RAM figure, network_ram_bytes(), and not on the stack), of
/// a size fixed at compile time: 20 B per unit and 12 B per input with the portable kernels
/// (3272 B at N = 150, NIn = 5, with the lane groups of the two active-unit lists), 16 B per unit
/// and input more with AVX2 (its spike words). Holds no state between steps: results never depend
/// on what it held.
template <int N, int NIn>
struct StepScratch {
  float u[N] = {};    ///< the pre-activations u(t+1)
  float eps[N] = {};  ///< eps of paper eq. 4b (one per unit), then the noise n of paper eq. 1a
  float r2[N] = {};   ///< r_j^2
  float x2[NIn] = {};  ///< x_j^2
  kernel::Active<N> ar;    ///< the active units of r (sampled modes)
  kernel::Active<NIn> ax;  ///< the active inputs of x (sampled modes)
  kernel::SpikeWords<N> w_rec;   ///< the backend's spike words (SampledPerStep)
  kernel::SpikeWords<NIn> w_in;
};

/// y = f(z) of paper eq. 1e for n_out outputs z[k * stride], into y[k * stride]: the readout of
/// Network (stride 1) and of BatchNetwork (its trials interleaved, stride B).
inline void apply_readout(Readout readout, int n_out, const float* z, float* y, ptrdiff_t stride) {
  switch (readout) {
    case Readout::Identity:
      for (int k = 0; k < n_out; ++k) y[k * stride] = z[k * stride];
      break;
    case Readout::Softmax: {
      float zmax = z[0];
      for (int k = 1; k < n_out; ++k) zmax = z[k * stride] > zmax ? z[k * stride] : zmax;
      float sum = 0.0f;
      for (int k = 0; k < n_out; ++k) {
        y[k * stride] = det_exp(z[k * stride] - zmax);
        sum += y[k * stride];
      }
      for (int k = 0; k < n_out; ++k) y[k * stride] /= sum;
      break;
    }
    case Readout::Argmax: {
      int best = 0;
      for (int k = 1; k < n_out; ++k)
        if (z[k * stride] > z[best * stride]) best = k;
      for (int k = 0; k < n_out; ++k) y[k * stride] = k == best ? 1.0f : 0.0f;
      break;
    }
  }
}

/// N, NIn, NOut: the sizes (AnySize = false) or the largest sizes (AnySize = true) of the models
/// it runs. Use the aliases Network and NetworkUpTo.
template <int N, int NIn, int NOut, bool AnySize>
class BasicNetwork {
  static constexpr int dim(int d) { return AnySize ? Eigen::Dynamic : d; }

 public:
  static_assert(N >= 1 && NIn >= 1 && NOut >= 1, "a network has at least one unit, input and output");
  /// Vectors of the network's sizes (fixed, or dynamic with the capacity inside: no heap).
  using State = Eigen::Matrix<float, dim(N), 1, 0, N, 1>;
  using Input = Eigen::Matrix<float, dim(NIn), 1, 0, NIn, 1>;
  using Output = Eigen::Matrix<float, dim(NOut), 1, 0, NOut, 1>;
  /// The per-step scratch (inside the network; kScratchBytes of its RAM).
  using Scratch = StepScratch<N, NIn>;
  static constexpr size_t kScratchBytes = sizeof(Scratch);

  /// The checks of bind() on the model and the options (not on the trial cache), in its order:
  /// Ok or the Status bind() returns; `alpha` gets the run's alpha. BatchNetwork (batch.hpp) binds
  /// with the same checks.
  static Status check(const ModelView& model, const Options& options, float& alpha) {
    const bool fits = AnySize ? (model.n >= 1 && model.n <= static_cast<uint32_t>(N) &&
                                 model.n_in >= 1 && model.n_in <= static_cast<uint32_t>(NIn) &&
                                 model.n_out >= 1 && model.n_out <= static_cast<uint32_t>(NOut))
                              : (model.n == static_cast<uint32_t>(N) &&
                                 model.n_in == static_cast<uint32_t>(NIn) &&
                                 model.n_out == static_cast<uint32_t>(NOut));
    if (!fits) return Status::ShapeMismatch;
    if (model.recurrent.pi == nullptr && !model.recurrent.is_sparse) return Status::NotBound;
    alpha = options.alpha > 0.0f ? options.alpha : model.dynamics.alpha;
    if (!(alpha > 0.0f && alpha <= 1.0f) || options.alpha < 0.0f) return Status::BadOption;
    if (static_cast<int>(options.mode) > 3) return Status::BadOption;
    return Status::Ok;
  }

  /// Binds a verified model (from load()) and run options. The model buffer must outlive this.
  /// ShapeMismatch if the model's sizes are not N, NIn, NOut (NetworkUpTo: larger than those);
  /// BadOption if a trial cache is set that is too small for the model.
  Status bind(const ModelView& model, const Options& options) {
    bound_ = false;
    float alpha = 0.0f;
    const Status checked = check(model, options, alpha);
    if (checked != Status::Ok) return checked;
    if constexpr (AnySize) {
      n_ = static_cast<int>(model.n);
      n_in_ = static_cast<int>(model.n_in);
      n_out_ = static_cast<int>(model.n_out);
    }
    if (cache_.p != nullptr && cache_.floats < trial_cache_floats()) return Status::BadOption;
    if (moments_.p != nullptr && moments_.floats < moment_cache_floats()) return Status::BadOption;
    in_ = model.input;
    rec_ = model.recurrent;
    out_ = model.output;
    readout_ = model.dynamics.readout;
    options_ = options;
    alpha_ = alpha;
    cache_.drawn = false;  // model or seed may have changed
    noise_scale_ =
        options.recurrent_noise ? dyn::recurrent_noise_scale(alpha, model.dynamics.sigma_rec) : 0.0f;
    bound_ = true;
    if (moment_cached()) fill_moment_cache();
    reset(0);
    return Status::Ok;
  }

  /// Floats of one concrete network (recurrent, input and output weights) of n units, n_in
  /// inputs and n_out outputs: the trial cache's size (use_trial_cache()).
  static constexpr size_t trial_cache_floats(int n, int n_in, int n_out) {
    return static_cast<size_t>(n) * static_cast<size_t>(n) + static_cast<size_t>(n) * static_cast<size_t>(n_in) +
           static_cast<size_t>(n_out) * static_cast<size_t>(n);
  }
  /// The trial cache that fits every model the network runs (N, NIn, NOut).
  static constexpr size_t kTrialCacheFloats = trial_cache_floats(N, NIn, NOut);
  /// The trial cache of the bound model (kTrialCacheFloats in Network).
  size_t trial_cache_floats() const { return trial_cache_floats(n_units(), n_inputs(), n_outputs()); }
  /// The sizes of the bound model (N, NIn, NOut in Network; 0 in an unbound NetworkUpTo).
  int n_units() const { return AnySize ? n_ : N; }
  int n_inputs() const { return AnySize ? n_in_ : NIn; }
  int n_outputs() const { return AnySize ? n_out_ : NOut; }

  /// SampledPerTrial only: keep the trial's concrete network in caller-owned memory of at least
  /// kTrialCacheFloats floats (e.g. a static array; the runtime still allocates nothing), drawn
  /// once by reset() instead of at every step: each step is then a product with fixed weights.
  /// Results are bit for bit those without the cache. nullptr stops using it. BadOption if
  /// `floats` is too small (kTrialCacheFloats in Network; trial_cache_floats() of the bound model
  /// in NetworkUpTo, checked again by bind()) or the build leaves the cache out
  /// (SASRNN_NO_TRIAL_CACHE); the network keeps no cache then. May be called before or after
  /// bind(); the network draws the current trial's network at once if bound, and reset() of that
  /// same trial does not draw it again. The memory is the network's while in use; a copy of the
  /// network has no cache.
  Status use_trial_cache(float* cache, size_t floats) {
    cache_.p = nullptr;
    cache_.drawn = false;
    if (cache != nullptr && (!kTrialCacheBuilt || floats < trial_cache_floats())) return Status::BadOption;
    cache_.p = cache;
    cache_.floats = floats;
    if (cached()) draw_trial_network();
    return Status::Ok;
  }

  /// Floats of the moment cache (use_moment_cache()) of n units, n_in inputs and n_out outputs:
  /// mu and var of the three layers, column by column (encoding::moment_layer_floats()).
  static constexpr size_t moment_cache_floats(int n, int n_in, int n_out) {
    return encoding::MomentCache::floats(n, n_in, n_out);
  }
  /// The moment cache that fits every model the network runs (N, NIn, NOut).
  static constexpr size_t kMomentCacheFloats = moment_cache_floats(N, NIn, NOut);
  /// The moment cache of the bound model (kMomentCacheFloats in Network).
  size_t moment_cache_floats() const { return moment_cache_floats(n_units(), n_inputs(), n_outputs()); }

  /// MeanField and MeanWeights only: keep mu = (1 - pi) m and var = (1 - pi)(xi + pi m m) of
  /// every connection (the values the dense-moments encoding stores) in caller-owned memory of at
  /// least kMomentCacheFloats floats, filled once by bind() (or here, if bound) from the model,
  /// column by column: each step then reads only the columns of the active units (paper eq. 5
  /// with the silent units' +-0 terms skipped), for every encoding, dense or sparse. Results are
  /// bit for bit those without the cache. nullptr stops using it. BadOption if `floats` is too
  /// small (kMomentCacheFloats in Network; moment_cache_floats() of the bound model in
  /// NetworkUpTo, checked again by bind()) or the build leaves the cache out
  /// (SASRNN_NO_MOMENT_CACHE). In the sampled modes the cache is kept but neither filled nor
  /// read. The memory is the network's while in use; a copy of the network has no cache.
  Status use_moment_cache(float* cache, size_t floats) {
    moments_.p = nullptr;
    if (cache != nullptr && (!kMomentCacheBuilt || floats < moment_cache_floats())) return Status::BadOption;
    moments_.p = cache;
    moments_.floats = floats;
    if (moment_cached()) fill_moment_cache();
    return Status::Ok;
  }

  /// Starts trial `trial` from h(0) = 0 (the state zeroed in place: no temporary on the stack).
  void reset(uint32_t trial) {
    start_trial(trial);
    h_.setZero(n_units());
    r_.setZero(n_units());  // r(0) = phi(0) = 0
    z_.setZero(n_outputs());
    y_.setZero(n_outputs());
  }

  /// Starts trial `trial` from a given synaptic current h(0). Nothing changes if it is refused:
  /// ShapeMismatch if h0 does not have the bound model's N entries, NonFiniteInput if one is NaN
  /// or infinite, InputOverflow if one exceeds kMaxActivity in magnitude.
  Status reset(uint32_t trial, const State& h0) {
    if (h0.size() != n_units()) return Status::ShapeMismatch;
    for (int i = 0; i < n_units(); ++i) {
      if (!std::isfinite(h0[i])) return Status::NonFiniteInput;
      if (std::fabs(h0[i]) > kMaxActivity) return Status::InputOverflow;
    }
    start_trial(trial);
    h_ = h0;
    r_ = h_.unaryExpr([](float h) { return dyn::relu(h); });
    z_.setZero(n_outputs());
    y_.setZero(n_outputs());
    return Status::Ok;
  }

  /// Advances one step with input x(t+1): updates h, r and the output y(t+1).
  /// Returns NonFiniteInput (state unchanged) if x holds NaN or infinity, InputOverflow (state
  /// unchanged) if some |x_j| > kMaxActivity, ShapeMismatch if x does not have the model's NIn
  /// entries, and NonFiniteState if the step left h or y non-finite (rates grown far beyond
  /// kMaxActivity): the state is then invalid, and every step returns NonFiniteState until a reset.
  Status step(const Input& x) {
    if (x.size() != n_inputs()) return Status::ShapeMismatch;
    return step(x.data());
  }

  /// step() with the NIn inputs x(t+1) at `x`.
  Status step(const float* x) {
    if (!bound_) return Status::NotBound;
    if (diverged_) return Status::NonFiniteState;
    const int n_units_ = n_units();
    for (int j = 0; j < n_inputs(); ++j) {
      if (!std::isfinite(x[j])) return Status::NonFiniteInput;
      if (std::fabs(x[j]) > kMaxActivity) return Status::InputOverflow;
    }
    const uint32_t t = step_;
    Scratch& s = scratch_;
    preactivations(x, s.u, s);
    if (noise_scale_ > 0.0f)  // n_i of paper eq. 1a, drawn 8 at a time (after u: eps is free)
      kernel::normals(options_.seed, t, trial_, static_cast<uint32_t>(Stream::RecurrentNoise),
                      n_units_, s.eps);
    for (int i = 0; i < n_units_; ++i) {
      const float noise = noise_scale_ > 0.0f ? noise_scale_ * s.eps[i] : 0.0f;
      h_[i] = dyn::leak(h_[i], s.u[i], alpha_, noise);  // paper eq. 1a / 4a
    }
    r_ = h_.unaryExpr([](float h) { return dyn::relu(h); });  // paper eq. 1c
    compute_output(s);
    ++step_;
    // never a non-finite state behind an Ok (a finite h gives finite rates r = relu(h))
    bool finite = true;
    for (int i = 0; i < n_units_; ++i) finite = finite && std::isfinite(h_[i]);
    for (int k = 0; k < n_outputs(); ++k) finite = finite && std::isfinite(y_[k]);
    if (!finite) {
      diverged_ = true;
      return Status::NonFiniteState;
    }
    return Status::Ok;
  }

  /// The pre-activation u(t+1) (paper eq. 1b, or eq. 4b in MeanField) that the next step would
  /// use, from the current rates r(t) and the given x(t+1). Does not change the state (its
  /// scratch is on the stack: kScratchBytes).
  Status preactivation(const Input& x, State& u) const {
    if (!bound_) return Status::NotBound;
    if (x.size() != n_inputs()) return Status::ShapeMismatch;
    u.resize(n_units());
    Scratch s;
    preactivations(x.data(), u.data(), s);
    return Status::Ok;
  }

  const State& state() const { return h_; }   ///< synaptic currents h(t)
  const State& rates() const { return r_; }   ///< firing rates r(t) = phi(h(t))
  const Output& z() const { return z_; }      ///< output before the readout function (eq. 1d)
  const Output& output() const { return y_; } ///< y(t) = f(z(t)) (paper eq. 1e)
  uint32_t step_index() const { return step_; }
  uint32_t trial() const { return trial_; }
  float alpha() const { return alpha_; }
  bool bound() const { return bound_; }

  /// The decision: index of the largest output (ties: the lowest index).
  int decide() const {
    int best = 0;
    for (int k = 1; k < n_outputs(); ++k)
      if (y_[k] > y_[best]) best = k;
    return best;
  }

 private:
  uint32_t draw_step() const { return options_.mode == Mode::SampledPerTrial ? kTrialStep : step_; }

  void start_trial(uint32_t trial) {
    trial_ = trial;
    step_ = 0;
    diverged_ = false;
    if (cached() && !(cache_.drawn && cache_.trial == trial)) draw_trial_network();
  }

  bool cached() const {
    return kTrialCacheBuilt && cache_.p != nullptr && bound_ && options_.mode == Mode::SampledPerTrial;
  }
  float* cached_recurrent() const { return cache_.p; }
  float* cached_input() const {
    return cache_.p + static_cast<size_t>(n_units()) * static_cast<size_t>(n_units());
  }
  float* cached_output() const {
    return cached_input() + static_cast<size_t>(n_units()) * static_cast<size_t>(n_inputs());
  }

  /// The trial's concrete network (paper eq. 3) into the cache: every weight as sampled_row()
  /// draws it, spikes and absent connections as 0.
  void draw_trial_network() {
    if constexpr (kTrialCacheBuilt) {
      draw_layer(rec_, n_units(), n_units(), Stream::RecurrentWeight, cached_recurrent());
      draw_layer(in_, n_units(), n_inputs(), Stream::InputWeight, cached_input());
      draw_layer(out_, n_outputs(), n_units(), Stream::OutputWeight, cached_output());
      cache_.drawn = true;
      cache_.trial = trial_;
    }
  }

  void draw_layer(const LayerView& l, int rows, int cols, Stream s, float* w) const {
    const uint32_t stream = static_cast<uint32_t>(s);
    encoding::visit_sampled(l, cols, [&](const auto& layer) {
      for (int i = 0; i < rows; ++i)
        layer.draw_row(i, kTrialStep, trial_, stream, options_.seed,
                       w + static_cast<ptrdiff_t>(i) * cols);
    });
  }

  bool moment_cached() const {
    return kMomentCacheBuilt && moments_.p != nullptr && bound_ &&
           (options_.mode == Mode::MeanField || options_.mode == Mode::MeanWeights);
  }

  /// The moment cache's layout (encoding::MomentCache): layer 0 recurrent, 1 input, 2 output.
  encoding::MomentCache moment_cache() const {
    return {moments_.p, n_units(), n_inputs(), n_outputs()};
  }
  using CachedMoments = encoding::MomentCache::Columns;
  CachedMoments cached_moments(int layer) const { return moment_cache().columns(layer); }

  void fill_moment_cache() {
    if constexpr (kMomentCacheBuilt) moment_cache().fill(rec_, in_, out_);
  }

  /// Calls f(i0, std::integral_constant<int, V>) for the blocks of rows [i0, i0 + 8 V) that
  /// cover `rows` rows, V = 4 and the remainder (its padding rows computed and not used).
  template <int Rows, class F>
  static void for_each_block(int rows, F&& f) {
    int i = 0;
    for (; i + 32 <= rows; i += 32) f(i, std::integral_constant<int, 4>{});
    if constexpr (!AnySize) {
      if constexpr (Rows % 32 != 0) f(i, std::integral_constant<int, (Rows % 32 + 7) / 8>{});
    } else {
      switch ((rows - i + 7) / 8) {
        case 1: f(i, std::integral_constant<int, 1>{}); break;
        case 2: f(i, std::integral_constant<int, 2>{}); break;
        case 3: f(i, std::integral_constant<int, 3>{}); break;
        case 4: f(i, std::integral_constant<int, 4>{}); break;  // 25 to 31 rows left
        default: break;
      }
    }
  }

  Counter counter(uint32_t index, Stream s) const {
    return Counter{index, draw_step(), trial_, static_cast<uint32_t>(s)};
  }

  // The moment cache's paths of preactivations() and compute_output(), out of line: their block
  // sums (up to 4 x float[32]) would otherwise sit in the frame of step() in every mode, the
  // firmware's (which runs without the cache) included (docs/firmware.md, Stack).

  /// u from the moment cache: MeanField's (paper eq. 4b with G and Delta^2 of paper eq. 5a-b,
  /// 5d-e; s.eps, s.r2 and s.x2 filled by preactivations()) when `variance`, else MeanWeights'
  /// (paper eq. 1b with w = mu).
  SASRNN_NOINLINE void cached_preactivations(const float* x, float* u, Scratch& s, bool variance) const {
    const int n = n_units();
    s.ar.fill_by_lane(r_.data(), n);
    s.ax.fill_by_lane(x, n_inputs());
    const CachedMoments rec = cached_moments(0), in = cached_moments(1);
    for_each_block<N>(n, [&](int i0, auto vecs) {
      constexpr int V = decltype(vecs)::value;
      float g[8 * V], d2[8 * V], g_in[8 * V], d2_in[8 * V];
      if (!variance) {
        kernel::mean_cols<V>(rec.stride, rec.mu + i0, s.ar, g);
        kernel::mean_cols<V>(in.stride, in.mu + i0, s.ax, g_in);
        for (int k = 0; k < 8 * V && i0 + k < n; ++k) u[i0 + k] = g[k] + g_in[k];
        return;
      }
      kernel::moment_cols<V>(rec.stride, rec.mu + i0, rec.var + i0, s.ar, s.r2, g, d2);
      kernel::moment_cols<V>(in.stride, in.mu + i0, in.var + i0, s.ax, s.x2, g_in, d2_in);
      for (int k = 0; k < 8 * V && i0 + k < n; ++k) {
        const float d2k = d2_in[k] + d2[k];
        float ui = g[k] + g_in[k];
        if (d2k > 0.0f) ui += s.eps[i0 + k] * std::sqrt(d2k);  // paper eq. 4b
        u[i0 + k] = ui;
      }
    });
  }

  /// z from the moment cache: MeanField's (paper eq. 4d with eq. 5c, 5f; s.r2 filled by
  /// compute_output()) when `variance`, else MeanWeights' (paper eq. 1d with w = mu).
  SASRNN_NOINLINE void cached_output(Scratch& s, bool variance) {
    const int n_out = n_outputs();
    s.ar.fill_by_lane(r_.data(), n_units());
    const CachedMoments o = cached_moments(2);
    for_each_block<NOut>(n_out, [&](int k0, auto vecs) {
      constexpr int V = decltype(vecs)::value;
      float g[8 * V], d2[8 * V];
      if (!variance) {
        kernel::mean_cols<V>(o.stride, o.mu + k0, s.ar, g);
        for (int k = 0; k < 8 * V && k0 + k < n_out; ++k) z_[k0 + k] = g[k];
        return;
      }
      kernel::moment_cols<V>(o.stride, o.mu + k0, o.var + k0, s.ar, s.r2, g, d2);
      for (int k = 0; k < 8 * V && k0 + k < n_out; ++k) {
        float z = g[k];
        if (d2[k] > 0.0f)
          z += normal(options_.seed, counter(static_cast<uint32_t>(k0 + k), Stream::MeanFieldOut)) *
               std::sqrt(d2[k]);
        z_[k0 + k] = z;
      }
    });
  }

  /// u_i for every unit i (paper eq. 1b, or eq. 4b in MeanField) from r_ and x, into u (which
  /// may be s.u); the other arrays of `s` are its scratch.
  void preactivations(const float* x, float* u, Scratch& s) const {
    const float* r = r_.data();
    const int n = n_units(), n_in = n_inputs();
    const uint64_t seed = options_.seed;
    switch (options_.mode) {
      case Mode::MeanField:
      case Mode::SampledPerStep: {
        // MeanField: u = G + eps * Delta with the moments of paper eq. 5 (eq. 4b). SampledPerStep
        // (paper eq. 1b, 3): the same form, with the sums over the slabs of the drawn spikes
        // (rng.hpp): G = sum z m v, Delta^2 = sum z xi v^2.
        const bool spikes = options_.mode == Mode::SampledPerStep;
        // one normal per unit, drawn 8 at a time
        kernel::normals(seed, draw_step(), trial_,
                        static_cast<uint32_t>(spikes ? Stream::SampledU : Stream::MeanFieldU), n,
                        s.eps);
        for (int j = 0; j < n; ++j) s.r2[j] = r[j] * r[j];
        for (int j = 0; j < n_in; ++j) s.x2[j] = x[j] * x[j];
        // sums(i, R, g, d2, g_in, d2_in) gives G and Delta^2 of rows [i, i + R)
        auto finish = [&](auto sums) {
          for_each_group<N>(n, [&](int i, auto rows) {
            constexpr int R = decltype(rows)::value;
            float g[R], d2[R], g_in[R], d2_in[R];
            sums(i, rows, g, d2, g_in, d2_in);
            for (int k = 0; k < R; ++k) {
              const float d2k = d2_in[k] + d2[k];
              float ui = g[k] + g_in[k];
              if (d2k > 0.0f) ui += s.eps[i + k] * std::sqrt(d2k);  // paper eq. 4b
              u[i + k] = ui;
            }
          });
        };
        if (!spikes && moment_cached()) {
          cached_preactivations(x, u, s, true);
        } else if (spikes) {
          s.ar.fill(r, n);
          s.ax.fill(x, n_in);
          finish([&](int i, auto rows, float* g, float* d2, float* g_in, float* d2_in) {
            constexpr int R = decltype(rows)::value;
            encoding::visit_sampled(rec_, n, [&](const auto& l) {
              l.template spike_moments<R>(i, s.ar, r, s.r2, step_, trial_,
                                          static_cast<uint32_t>(Stream::RecurrentSpike), seed,
                                          s.w_rec, g, d2);
            });
            encoding::visit_sampled(in_, n_in, [&](const auto& l) {
              l.template spike_moments<R>(i, s.ax, x, s.x2, step_, trial_,
                                          static_cast<uint32_t>(Stream::InputSpike), seed, s.w_in,
                                          g_in, d2_in);
            });
          });
        } else {
          finish([&](int i, auto rows, float* g, float* d2, float* g_in, float* d2_in) {
            constexpr int R = decltype(rows)::value;
            encoding::visit_moments(rec_, n, [&](const auto& l) {  // paper eq. 5b, 5e
              l.template moments<R>(i, r, s.r2, g, d2);
            });
            encoding::visit_moments(in_, n_in, [&](const auto& l) {  // paper eq. 5a, 5d
              l.template moments<R>(i, x, s.x2, g_in, d2_in);
            });
          });
        }
        return;
      }
      case Mode::MeanWeights: {  // paper eq. 1b with w = mu
        if (moment_cached()) {
          cached_preactivations(x, u, s, false);
          return;
        }
        for_each_group<N>(n, [&](int i, auto rows) {
          constexpr int R = decltype(rows)::value;
          float sr[R], s_in[R];
          encoding::visit_moments(rec_, n, [&](const auto& l) { l.template means<R>(i, r, sr); });
          encoding::visit_moments(in_, n_in, [&](const auto& l) { l.template means<R>(i, x, s_in); });
          for (int k = 0; k < R; ++k) u[i + k] = sr[k] + s_in[k];
        });
        return;
      }
      case Mode::SampledPerTrial: {  // paper eq. 1b with weights drawn from paper eq. 3
        if (cached()) {  // the trial's weights, drawn by reset()
          for_each_group<N>(n, [&](int i, auto rows) {
            constexpr int R = decltype(rows)::value;
            float sr[R];
            const ptrdiff_t o = static_cast<ptrdiff_t>(i) * n;
            kernel::mean_rows_precomputed<R>(n, cached_recurrent() + o, r, sr);
            for (int k = 0; k < R; ++k) {
              float s_in;
              kernel::mean_rows_precomputed<1>(
                  n_in, cached_input() + static_cast<ptrdiff_t>(i + k) * n_in, x, &s_in);
              u[i + k] = sr[k] + s_in;
            }
          });
          return;
        }
        s.ar.fill(r, n);
        s.ax.fill(x, n_in);
        const uint32_t t = draw_step();
        encoding::visit_sampled(rec_, n, [&](const auto& l) {
          for (int i = 0; i < n; ++i)
            u[i] = l.sampled_row(i, s.ar, r, t, trial_,
                                 static_cast<uint32_t>(Stream::RecurrentWeight), seed);
        });
        encoding::visit_sampled(in_, n_in, [&](const auto& l) {
          for (int i = 0; i < n; ++i)
            u[i] += l.sampled_row(i, s.ax, x, t, trial_,
                                  static_cast<uint32_t>(Stream::InputWeight), seed);
        });
        return;
      }
    }
  }

  /// Calls f(i, std::integral_constant<int, R>) for the groups of rows [i, i + R) of a layer with
  /// `rows` rows: R = 4, and the remainder at the end. Rows of a group share their spike words in
  /// SampledPerStep (rng.hpp); elsewhere their independent sums hide the latency of additions.
  /// `Rows` is the layer's row count in Network (a constant: only the groups it has are built)
  /// and its capacity in NetworkUpTo.
  template <int Rows, class F>
  static void for_each_group(int rows, F&& f) {
    int i = 0;
    for (; i + 4 <= rows; i += 4) f(i, std::integral_constant<int, 4>{});
    if constexpr (!AnySize) {
      if constexpr (Rows % 4 != 0) f(i, std::integral_constant<int, Rows % 4>{});
    } else {
      switch (rows - i) {
        case 1: f(i, std::integral_constant<int, 1>{}); break;
        case 2: f(i, std::integral_constant<int, 2>{}); break;
        case 3: f(i, std::integral_constant<int, 3>{}); break;
        default: break;
      }
    }
  }

  /// z (paper eq. 1d, or eq. 4d in MeanField) from the new rates r_, then y (eq. 1e).
  void compute_output(Scratch& s) {
    const float* r = r_.data();
    const int n = n_units(), n_out = n_outputs();
    const uint64_t seed = options_.seed;
    switch (options_.mode) {
      case Mode::MeanField:
      case Mode::SampledPerStep: {  // paper eq. 4d; SampledPerStep: eq. 1d, 3 (as above)
        const bool spikes = options_.mode == Mode::SampledPerStep;
        for (int j = 0; j < n; ++j) s.r2[j] = r[j] * r[j];
        auto finish = [&](auto sums) {
          for_each_group<NOut>(n_out, [&](int k0, auto rows) {
            constexpr int R = decltype(rows)::value;
            float g[R], d2[R];
            sums(k0, rows, g, d2);
            for (int k = 0; k < R; ++k) {
              float z = g[k];
              if (d2[k] > 0.0f)
                z += normal(seed, counter(static_cast<uint32_t>(k0 + k),
                                          spikes ? Stream::SampledOut : Stream::MeanFieldOut)) *
                     std::sqrt(d2[k]);
              z_[k0 + k] = z;
            }
          });
        };
        if (!spikes && moment_cached()) {
          cached_output(s, true);
        } else if (spikes) {
          s.ar.fill(r, n);
          finish([&](int k0, auto rows, float* g, float* d2) {
            encoding::visit_sampled(out_, n, [&](const auto& l) {
              l.template spike_moments<decltype(rows)::value>(
                  k0, s.ar, r, s.r2, step_, trial_, static_cast<uint32_t>(Stream::OutputSpike),
                  seed, s.w_rec, g, d2);
            });
          });
        } else {
          finish([&](int k0, auto rows, float* g, float* d2) {
            encoding::visit_moments(out_, n, [&](const auto& l) {  // paper eq. 5c, 5f
              l.template moments<decltype(rows)::value>(k0, r, s.r2, g, d2);
            });
          });
        }
        break;
      }
      case Mode::MeanWeights: {
        if (moment_cached()) {
          cached_output(s, false);
          break;
        }
        for_each_group<NOut>(n_out, [&](int k0, auto rows) {
          constexpr int R = decltype(rows)::value;
          float z[R];
          encoding::visit_moments(out_, n, [&](const auto& l) {  // paper eq. 1d with w = mu
            l.template means<R>(k0, r, z);
          });
          for (int k = 0; k < R; ++k) z_[k0 + k] = z[k];
        });
        break;
      }
      case Mode::SampledPerTrial: {
        if (cached()) {
          for_each_group<NOut>(n_out, [&](int k0, auto rows) {
            constexpr int R = decltype(rows)::value;
            float z[R];
            kernel::mean_rows_precomputed<R>(n, cached_output() + static_cast<ptrdiff_t>(k0) * n,
                                             r, z);  // paper eq. 1d
            for (int k = 0; k < R; ++k) z_[k0 + k] = z[k];
          });
          break;
        }
        s.ar.fill(r, n);
        encoding::visit_sampled(out_, n, [&](const auto& l) {
          for (int k = 0; k < n_out; ++k)  // paper eq. 1d
            z_[k] = l.sampled_row(k, s.ar, r, draw_step(), trial_,
                                  static_cast<uint32_t>(Stream::OutputWeight), seed);
        });
        break;
      }
    }
    apply_readout();
  }

  void apply_readout() { sasrnn::apply_readout(readout_, n_outputs(), z_.data(), y_.data(), 1); }

  LayerView in_, rec_, out_;
  Readout readout_ = Readout::Identity;
  Options options_;
  float alpha_ = 0.0f;
  float noise_scale_ = 0.0f;
  uint32_t trial_ = 0;
  uint32_t step_ = 0;
  bool bound_ = false;
  bool diverged_ = false;  ///< a step went non-finite: steps refuse until the next reset
  /// The caller-owned concrete network of a trial (SampledPerTrial, use_trial_cache()). Copying
  /// a network does not copy it: two networks never share one.
  struct TrialCache {  // NOLINT(cppcoreguidelines-special-member-functions): copy = detach; no move needed
    float* p = nullptr;
    size_t floats = 0;
    bool drawn = false;  ///< p holds the network of `trial` for the bound model and seed
    uint32_t trial = 0;
    TrialCache() = default;
    TrialCache(const TrialCache&) {}
    TrialCache& operator=(const TrialCache&) {  // NOLINT(bugprone-unhandled-self-assignment): detaching is idempotent
      p = nullptr;
      floats = 0;
      drawn = false;
      return *this;
    }
  };
  TrialCache cache_;
  /// The caller-owned moment cache (MeanField, MeanWeights; use_moment_cache()). Copying a network
  /// does not copy it.
  struct MomentCache {  // NOLINT(cppcoreguidelines-special-member-functions): copy = detach; no move needed
    float* p = nullptr;
    size_t floats = 0;
    MomentCache() = default;
    MomentCache(const MomentCache&) {}
    MomentCache& operator=(const MomentCache&) {  // NOLINT(bugprone-unhandled-self-assignment): detaching is idempotent
      p = nullptr;
      floats = 0;
      return *this;
    }
  };
  MomentCache moments_;
  /// Every per-step array (StepScratch): in the network's RAM, not on the stack.
  Scratch scratch_;
  /// NetworkUpTo: the bound model's sizes (unused in Network, whose sizes are N, NIn, NOut).
  int n_ = 0, n_in_ = 0, n_out_ = 0;
  // Zero-filled in Network; empty (resized by reset()) in NetworkUpTo until bound.
  State h_ = zeros<State>();
  State r_ = zeros<State>();
  Output z_ = zeros<Output>();
  Output y_ = zeros<Output>();

  template <class V>
  static V zeros() {
    if constexpr (AnySize)
      return V();
    else
      return V::Zero();
  }
};

/// A network of exactly N units, NIn inputs and NOut outputs (the firmware's choice: every size a
/// compile-time constant).
template <int N, int NIn, int NOut>
using Network = BasicNetwork<N, NIn, NOut, false>;

/// A network for every model of at most MaxN units, MaxNIn inputs and MaxNOut outputs, the sizes
/// read at bind(); bit for bit the Network of the model's sizes. No heap: the state and the
/// per-step scratch are sized by the maxima.
template <int MaxN, int MaxNIn, int MaxNOut>
using NetworkUpTo = BasicNetwork<MaxN, MaxNIn, MaxNOut, true>;

/// RAM a Network<N, NIn, NOut> object needs: all of its state and its per-step scratch
/// (Network::kScratchBytes of it), so a step needs little stack beyond it; the model stays in
/// flash.
template <int N, int NIn, int NOut>
constexpr size_t network_ram_bytes() {
  return sizeof(Network<N, NIn, NOut>);
}

}  // namespace sasrnn
