// A model's sparse (compact) layers decoded once into dense pi, m, xi arrays in host memory, so
// that the host tools run a compact model with the dense kernels. The network is the same bit for
// bit: a sparse layer runs exactly as the dense layer of its decoded values (test_compact; absent
// connections become pi = 1, m = xi = 0, a spike in every draw), and every draw is a pure function
// of its counter, so drawing the absent connections' spikes changes no other draw. What it buys:
// SampledPerStep and the trial cache's draws of a compact model at the dense model's speed
// (docs/performance.md, Compact models on the host). The runtime on a microcontroller keeps the
// sparse layers in flash and decodes them as it steps; this is a host convenience, not a format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sasrnn/model.hpp"
#include "sasrnn/sparse.hpp"

namespace sasrnn::analysis {

class DecodedModel {
 public:
  /// Decodes the sparse layers of a verified model (load()); dense layers are left as they are.
  /// The model buffer must outlive this.
  explicit DecodedModel(const ModelView& model) : view_(model) {
    decode(view_.recurrent, model.n, model.n, layers_[0]);
    decode(view_.input, model.n, model.n_in, layers_[1]);
    decode(view_.output, model.n_out, model.n, layers_[2]);
  }
  DecodedModel(const DecodedModel&) = delete;  // the view points into this object
  DecodedModel& operator=(const DecodedModel&) = delete;

  /// The model with every layer dense.
  const ModelView& view() const { return view_; }
  /// Whether some layer was sparse.
  bool decoded() const { return !layers_[0].pi.empty() || !layers_[1].pi.empty() || !layers_[2].pi.empty(); }

 private:
  struct Arrays {
    std::vector<float> pi, m, xi;
  };

  static void decode(LayerView& l, uint32_t rows, uint32_t cols, Arrays& a) {
    if (!l.is_sparse) return;
    const size_t count = static_cast<size_t>(rows) * cols;
    a.pi.resize(count);
    a.m.resize(count);
    a.xi.resize(count);
    sparse::decode_layer(l.sparse, rows, cols, a.pi.data(), a.m.data(), a.xi.data());
    l.pi = a.pi.data();
    l.m = a.m.data();
    l.xi = a.xi.data();
    l.mu = nullptr;
    l.var = nullptr;
    l.is_sparse = false;
    l.sparse = SparseView{};
  }

  ModelView view_;
  Arrays layers_[3];
};

}  // namespace sasrnn::analysis
