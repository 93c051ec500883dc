// Feedforward model view: verifies a model buffer holding a feedforward stack of spike-and-slab
// layers (format version 3; Li & Huang, "Learning credit assignment", PRL 125, 178301, 2020) and
// exposes its layers in place (no copies, no heap). The recurrent view is ../model.hpp; the two
// share every check of a file and of a layer, so a layer is valid in one exactly when it is in the
// other.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sasrnn/model.hpp"

namespace sasrnn::ff {

/// The deepest stack the runtime runs (layers, not counting the input).
constexpr int kMaxLayers = 8;

/// A verified feedforward stack. Layer l maps a(l) (layers[l].cols values) to the field z of
/// a(l + 1) (layers[l].rows values): z_i = sum_j w_ij a_j with w_ij from paper eq. 3; a hidden
/// layer's activity is ReLU(z), the last layer's z is the output (its softmax the class
/// probabilities). Pointers reference the caller's buffer, which must outlive the view.
struct ModelView {
  uint32_t n_layers = 0;
  uint32_t n_in = 0;   ///< layers[0].cols
  uint32_t n_out = 0;  ///< layers[n_layers - 1].rows
  LayerView layers[kMaxLayers];
  TaskKind task = TaskKind::None;
  const fb::Model* root = nullptr;  ///< the FlatBuffer root, for provenance and names
  bool checksum_verified = false;
  /// The width of a(l): n_in for l = 0, else layers[l - 1].rows.
  uint32_t width(uint32_t l) const { return l == 0 ? n_in : layers[l - 1].rows; }
};

namespace detail {

/// The names of layer l's arrays in the array layout of docs/model-format.md ("pi_0", ...).
constexpr sasrnn::detail::LayerNames kLayerNames[kMaxLayers] = {
    {"pi_0", "m_0", "xi_0", "mu_0", "var_0", "layer 0"}, {"pi_1", "m_1", "xi_1", "mu_1", "var_1", "layer 1"},
    {"pi_2", "m_2", "xi_2", "mu_2", "var_2", "layer 2"}, {"pi_3", "m_3", "xi_3", "mu_3", "var_3", "layer 3"},
    {"pi_4", "m_4", "xi_4", "mu_4", "var_4", "layer 4"}, {"pi_5", "m_5", "xi_5", "mu_5", "var_5", "layer 5"},
    {"pi_6", "m_6", "xi_6", "mu_6", "var_6", "layer 6"}, {"pi_7", "m_7", "xi_7", "mu_7", "var_7", "layer 7"}};

}  // namespace detail

/// Verifies `buffer` as a feedforward model and fills `view` with in-place pointers. Checks, in
/// order: those of every model file (sasrnn::detail::open_model()), that it is a feedforward stack
/// (a recurrent model, format version 1 or 2: Status::NotFeedforward), the stack (1 to kMaxLayers
/// layers, every size 1 to kMaxUnits, each layer's cols equal to the previous layer's rows:
/// Status::BadStack; n_in and n_out equal to the stack's ends: BadDimensions; no recurrent
/// fields: NotFeedforward), each layer as load() checks a recurrent layer (arrays, values, row
/// bounds, moments, sparse encodings), the task (None, or MNISTImage with 784 inputs and 10
/// outputs). Allocates nothing. `where` as in load().
inline Status load(const uint8_t* buffer, size_t size, ModelView& view, LoadDetail* where = nullptr) {
  view = ModelView{};
  const sasrnn::detail::Report r{where};
  if (where != nullptr) *where = LoadDetail{};
  const fb::Model* root = nullptr;
  bool checksum_verified = false;
  const Status opened = sasrnn::detail::open_model(buffer, size, root, checksum_verified);
  if (opened != Status::Ok) return opened;
  const uint32_t version = root->format_version();
  const auto* layers = root->layers();
  if (version != kFormatVersionFeedforward || layers == nullptr) return Status::NotFeedforward;
  if (root->input() != nullptr || root->recurrent() != nullptr || root->output() != nullptr ||
      root->dynamics() != nullptr || root->input_mask() != nullptr || root->n() != 0)
    return r.field(Status::NotFeedforward, "input/recurrent/output/dynamics/input_mask/N");
  ModelView v;
  v.root = root;
  v.checksum_verified = checksum_verified;
  if (layers->size() == 0 || layers->size() > static_cast<uint32_t>(kMaxLayers))
    return r.scalar(Status::BadStack, "layers", static_cast<float>(layers->size()),
                    SASRNN_EXPECTED("1 to 8 layers (kMaxLayers)"));
  v.n_layers = layers->size();
  for (uint32_t l = 0; l < v.n_layers; ++l) {
    const fb::Layer* layer = layers->Get(l);
    const auto& names = detail::kLayerNames[l];
    if (layer == nullptr) return r.field(Status::MissingField, names.all);
    const uint32_t rows = layer->rows(), cols = layer->cols();
    if (rows == 0 || rows > kMaxUnits || cols == 0 || cols > kMaxUnits)
      return r.scalar(Status::BadStack, names.all, static_cast<float>(rows == 0 || rows > kMaxUnits ? rows : cols),
                      SASRNN_EXPECTED("rows and cols of 1 to 65535 (kMaxUnits)"));
    if (l > 0 && cols != v.layers[l - 1].rows)
      return r.with_limit(static_cast<float>(v.layers[l - 1].rows),
                          r.scalar(Status::BadStack, names.all, static_cast<float>(cols),
                                   SASRNN_EXPECTED("cols equal to the previous layer's rows,")));
    // every encoding of a recurrent layer (version 2's sparse layers and moments) is allowed
    const Status s = sasrnn::detail::check_layer(layer, rows, cols, kFormatVersion, v.layers[l], names, r);
    if (s != Status::Ok) return s;
  }
  v.n_in = v.layers[0].cols;
  v.n_out = v.layers[v.n_layers - 1].rows;
  if (root->n_in() != v.n_in)
    return r.with_limit(static_cast<float>(v.n_in), r.scalar(Status::BadDimensions, "NIn", static_cast<float>(root->n_in()),
                                                              SASRNN_EXPECTED("the first layer's cols,")));
  if (root->n_out() != v.n_out)
    return r.with_limit(static_cast<float>(v.n_out), r.scalar(Status::BadDimensions, "NOut", static_cast<float>(root->n_out()),
                                                               SASRNN_EXPECTED("the last layer's rows,")));
  if (const fb::Task* t = root->task()) {
    const int kind = static_cast<int>(t->kind());
    if (kind != 0 && kind != 4)
      return r.scalar(Status::BadTask, "task", static_cast<float>(kind),
                      SASRNN_EXPECTED("0 (none) or 4 (MNIST images) for a feedforward stack"));
    v.task = static_cast<TaskKind>(kind);
    if (v.task == TaskKind::MNISTImage && (v.n_in != 784 || v.n_out != 10))
      return r.scalar(Status::BadTask, "task", 4.0f, SASRNN_EXPECTED("a stack with 784 inputs and 10 outputs for task 4"));
  }
  view = v;
  return Status::Ok;
}

/// load() plus a check of the stack's sizes against compile-time ones: Sizes = n_in, then each
/// layer's rows (e.g. <784, 100, 100, 10>). Status::ShapeMismatch if they differ.
template <int... Sizes>
Status load(const uint8_t* buffer, size_t size, ModelView& view, LoadDetail* where = nullptr) {
  static_assert(sizeof...(Sizes) >= 2 && sizeof...(Sizes) <= kMaxLayers + 1, "a stack of 1 to 8 layers");
  constexpr uint32_t sizes[] = {static_cast<uint32_t>(Sizes)...};
  const Status s = load(buffer, size, view, where);
  if (s != Status::Ok) return s;
  bool same = view.n_layers + 1 == sizeof...(Sizes);
  for (uint32_t l = 0; same && l <= view.n_layers; ++l) same = view.width(l) == sizes[l];
  if (!same) {
    view = ModelView{};
    return Status::ShapeMismatch;
  }
  return Status::Ok;
}

}  // namespace sasrnn::ff
