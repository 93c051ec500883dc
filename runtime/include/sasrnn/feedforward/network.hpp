// ff::Network<Sizes...>: a feedforward stack of spike-and-slab layers (Li & Huang, "Learning
// credit assignment", PRL 125, 178301, 2020) run from a verified model (feedforward/model.hpp),
// without heap; ff::NetworkUpTo<MaxIn, MaxWidth, MaxLayers>: the same for any stack within those
// bounds (host tools). One code for both, so a model runs bit for bit alike in either.
//
// An inference maps a(0) = x through every layer l: z_i = sum_j w_ij a_j, a(l + 1) = ReLU(z)
// between layers, the last z the output (its softmax the class probabilities). Each weight is a
// spike-and-slab variable (paper eq. 3). The modes (sasrnn::Mode), all with the recurrent
// network's kernels (kernels.hpp: the same 8-lane order, no FMA, the same counters), so the host
// and a Cortex-M give the same bits:
//   MeanField        the mean-field field of the recurrent paper's eq. 4b/5 for every layer:
//                    z = G + eps sqrt(Delta^2), G = sum mu a, Delta^2 = sum var a^2, eps ~ N(0, 1)
//                    fresh per unit per inference (Stream::FfField) - the network gBP trains;
//   SampledPerTrial  a fresh concrete network per inference, every weight drawn from paper eq. 3
//                    (Stream::FfWeight);
//   SampledPerStep   also a fresh concrete network per inference, drawn as the recurrent
//                    SampledPerStep draws a step's: every spike drawn, each row's sum over its
//                    slabs drawn exactly as one Gaussian (rng.hpp). In a stack each weight is used
//                    once per inference, so this is the same distribution as SampledPerTrial,
//                    at the cost of one normal per unit instead of one per weight;
//   MeanWeights      the deterministic weights w = mu = (1 - pi) m.
// Draws use step = the layer's index and trial = the inference's index given to infer().
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "sasrnn/dynamics.hpp"
#include "sasrnn/encoding.hpp"
#include "sasrnn/feedforward/model.hpp"
#include "sasrnn/kernels.hpp"
#include "sasrnn/network.hpp"
#include "sasrnn/rng.hpp"
#include "sasrnn/status.hpp"

namespace sasrnn::ff {

/// Every array one inference needs, of sizes fixed at compile time (inside the network, so in its
/// RAM figure, sizeof): the activity of two consecutive layers, squares, normals, the active list
/// and the backend's spike words of the widest layer input.
template <int MaxIn, int MaxWidth>
struct Scratch {
  static constexpr int kCols = MaxIn > MaxWidth ? MaxIn : MaxWidth;
  float a[2][MaxWidth] = {};  ///< a(l + 1) of even and odd l
  float a2[kCols] = {};       ///< a(l)^2
  float eps[MaxWidth] = {};   ///< one normal per unit (MeanField, SampledPerStep)
  kernel::Active<kCols> active;
  kernel::SpikeWords<kCols> words;
};

/// A stack of at most MaxLayers layers, at most MaxIn inputs and MaxWidth units in every layer;
/// the sizes are read from the model at bind().
template <int MaxIn, int MaxWidth, int MaxLayers>
class NetworkUpTo {
 public:
  static_assert(MaxIn >= 1 && MaxWidth >= 1, "at least one input and one unit");
  static_assert(MaxLayers >= 1 && MaxLayers <= kMaxLayers, "1 to 8 layers");
  static constexpr size_t kScratchBytes = sizeof(Scratch<MaxIn, MaxWidth>);

  /// Binds a verified stack (ff::load()) and run options; the model buffer must outlive this.
  /// ShapeMismatch if the stack exceeds the network's bounds; BadOption for an unknown mode or an
  /// alpha (a stack has no time constant). Options::recurrent_noise has no meaning here.
  Status bind(const ModelView& model, const Options& options) {
    bound_ = false;
    if (model.n_layers < 1 || model.n_layers > static_cast<uint32_t>(MaxLayers) ||
        model.n_in > static_cast<uint32_t>(MaxIn))
      return Status::ShapeMismatch;
    for (uint32_t l = 0; l < model.n_layers; ++l)
      if (model.layers[l].rows > static_cast<uint32_t>(MaxWidth)) return Status::ShapeMismatch;
    if (static_cast<int>(options.mode) > 3 || options.alpha != 0.0f) return Status::BadOption;
    model_ = model;
    mode_ = options.mode;
    seed_ = options.seed;
    bound_ = true;
    return Status::Ok;
  }

  /// One inference of the input x (n_inputs() values) as inference number `index` (the counters'
  /// trial: the same index draws the same network and noise). Ok, or: NotBound; NonFiniteInput
  /// or InputOverflow (some |x_j| > kMaxActivity) with the previous output kept; NonFiniteState
  /// if a field went non-finite (weights far beyond what training gives): the output is then
  /// invalid until the next successful inference.
  Status infer(const float* x, uint32_t index) {
    if (!bound_) return Status::NotBound;
    const int n_in = n_inputs();
    for (int j = 0; j < n_in; ++j) {
      if (!std::isfinite(x[j])) return Status::NonFiniteInput;
      if (std::fabs(x[j]) > kMaxActivity) return Status::InputOverflow;
    }
    const float* in = x;
    float* out = nullptr;
    for (uint32_t l = 0; l < model_.n_layers; ++l) {
      out = s_.a[l % 2];
      layer(l, in, out, index);
      if (l + 1 < model_.n_layers)
        for (uint32_t i = 0; i < model_.layers[l].rows; ++i) out[i] = dyn::relu(out[i]);
      in = out;
    }
    bool finite = true;
    const int n_out = n_outputs();
    for (int k = 0; k < n_out; ++k) {
      z_[k] = out[k];
      finite = finite && std::isfinite(z_[k]);
    }
    if (!finite) return Status::NonFiniteState;
    apply_readout(Readout::Softmax, n_out, z_, y_, 1);  // the recurrent network's softmax (eq. 1e)
    return Status::Ok;
  }

  const float* z() const { return z_; }        ///< the last layer's field (the logits)
  const float* output() const { return y_; }   ///< softmax(z): the class probabilities
  /// The class: index of the largest z (ties: the lowest index).
  int decide() const {
    int best = 0;
    for (int k = 1; k < n_outputs(); ++k)
      if (z_[k] > z_[best]) best = k;
    return best;
  }
  int n_inputs() const { return static_cast<int>(model_.n_in); }
  int n_outputs() const { return static_cast<int>(model_.n_out); }
  int n_layers() const { return static_cast<int>(model_.n_layers); }
  bool bound() const { return bound_; }

 private:
  /// Calls f(i, std::integral_constant<int, R>) for rows [i, i + R): R = 4, then the remainder.
  template <class F>
  static void for_each_group(int rows, F&& f) {
    int i = 0;
    for (; i + 4 <= rows; i += 4) f(i, std::integral_constant<int, 4>{});
    switch (rows - i) {
      case 1: f(i, std::integral_constant<int, 1>{}); break;
      case 2: f(i, std::integral_constant<int, 2>{}); break;
      case 3: f(i, std::integral_constant<int, 3>{}); break;
      default: break;
    }
  }

  /// Layer l's field z (before ReLU) from its input a, into z.
  void layer(uint32_t l, const float* a, float* z, uint32_t index) {
    const LayerView& w = model_.layers[l];
    const int rows = static_cast<int>(w.rows), cols = static_cast<int>(w.cols);
    const uint64_t seed = seed_;
    switch (mode_) {
      case Mode::MeanField:
      case Mode::SampledPerStep: {
        // MeanField: z = G + eps Delta (the recurrent paper's eq. 4b with the moments of eq. 5);
        // SampledPerStep: the same form with the sums over the slabs of the drawn spikes.
        const bool spikes = mode_ == Mode::SampledPerStep;
        kernel::normals(seed, l, index, static_cast<uint32_t>(spikes ? Stream::FfSlab : Stream::FfField), rows,
                        s_.eps);
        for (int j = 0; j < cols; ++j) s_.a2[j] = a[j] * a[j];
        if (spikes) s_.active.fill(a, cols);
        for_each_group(rows, [&](int i, auto group) {
          constexpr int R = decltype(group)::value;
          float g[R], d2[R];
          if (spikes)
            encoding::visit_sampled(w, cols, [&](const auto& e) {
              e.template spike_moments<R>(i, s_.active, a, s_.a2, l, index, static_cast<uint32_t>(Stream::FfSpike),
                                          seed, s_.words, g, d2);
            });
          else
            encoding::visit_moments(w, cols, [&](const auto& e) { e.template moments<R>(i, a, s_.a2, g, d2); });
          for (int k = 0; k < R; ++k) {
            float zi = g[k];
            if (d2[k] > 0.0f) zi += s_.eps[i + k] * std::sqrt(d2[k]);
            z[i + k] = zi;
          }
        });
        return;
      }
      case Mode::MeanWeights:
        for_each_group(rows, [&](int i, auto group) {
          constexpr int R = decltype(group)::value;
          encoding::visit_moments(w, cols, [&](const auto& e) { e.template means<R>(i, a, z + i); });
        });
        return;
      case Mode::SampledPerTrial:
        s_.active.fill(a, cols);
        encoding::visit_sampled(w, cols, [&](const auto& e) {
          for (int i = 0; i < rows; ++i)
            z[i] = e.sampled_row(i, s_.active, a, l, index, static_cast<uint32_t>(Stream::FfWeight), seed);
        });
        return;
    }
  }

  // Every member zero-initialised (no Options member, whose recurrent_noise defaults to true): a
  // static network is then all zero bytes, so it lands in .bss and costs no flash image.
  ModelView model_;
  Mode mode_ = Mode::MeanField;
  uint64_t seed_ = 0;
  bool bound_ = false;
  Scratch<MaxIn, MaxWidth> s_;
  float z_[MaxWidth] = {};
  float y_[MaxWidth] = {};
};

namespace detail {
template <int First, int... Rest>
struct StackSizes {
  static constexpr int kIn = First;
  static constexpr int kLayers = static_cast<int>(sizeof...(Rest));
  static constexpr int kWidth() {
    int w = 1;
    for (int s : {Rest...}) w = s > w ? s : w;
    return w;
  }
};
}  // namespace detail

/// A stack of exactly the sizes Sizes = n_in, then each layer's rows (e.g. Network<784, 100, 100,
/// 10>: the firmware's choice); bind() refuses another stack with Status::ShapeMismatch.
template <int... Sizes>
class Network : public NetworkUpTo<detail::StackSizes<Sizes...>::kIn, detail::StackSizes<Sizes...>::kWidth(),
                                   detail::StackSizes<Sizes...>::kLayers> {
  using Base = NetworkUpTo<detail::StackSizes<Sizes...>::kIn, detail::StackSizes<Sizes...>::kWidth(),
                           detail::StackSizes<Sizes...>::kLayers>;

 public:
  Status bind(const ModelView& model, const Options& options) {
    constexpr uint32_t sizes[] = {static_cast<uint32_t>(Sizes)...};
    bool same = model.n_layers + 1 == sizeof...(Sizes);
    for (uint32_t l = 0; same && l <= model.n_layers; ++l) same = model.width(l) == sizes[l];
    if (!same) return Status::ShapeMismatch;
    return Base::bind(model, options);
  }
};

/// RAM an ff::Network<Sizes...> object needs (its scratch and outputs; the model stays in flash).
template <int... Sizes>
constexpr size_t network_ram_bytes() {
  return sizeof(Network<Sizes...>);
}

}  // namespace sasrnn::ff
