// Model view: verifies a model buffer and exposes its arrays in place (no copies, no heap).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sasrnn/crc32c.hpp"
#include "sasrnn/dynamics.hpp"
#include "sasrnn/sasrnn_generated.h"
#include "sasrnn/sparse.hpp"
#include "sasrnn/status.hpp"

namespace sasrnn {

/// The newest model file format version this runtime reads: 1 = dense f32 layers only,
/// 2 = layers may be sparse (sparse.hpp) or carry precomputed moments. The converter writes 1
/// unless a layer is sparse or has moments.
constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kFormatVersionDense = 1;

/// Build options for small firmware: -DSASRNN_NO_SPARSE leaves out the code of sparse layers,
/// -DSASRNN_NO_MOMENTS that of precomputed moments; load() then rejects such models with
/// Status::EncodingNotBuilt. Define them alike in every translation unit of a program.
#ifdef SASRNN_NO_SPARSE
constexpr bool kSparseBuilt = false;
#else
constexpr bool kSparseBuilt = true;
#endif
#ifdef SASRNN_NO_MOMENTS
constexpr bool kMomentsBuilt = false;
#else
constexpr bool kMomentsBuilt = true;
#endif
/// -DSASRNN_NO_TRIAL_CACHE leaves out Network::use_trial_cache()'s code (it then refuses every
/// cache with Status::BadOption): firmware that cannot spare N^2 floats of RAM need not carry it.
#ifdef SASRNN_NO_TRIAL_CACHE
constexpr bool kTrialCacheBuilt = false;
#else
constexpr bool kTrialCacheBuilt = true;
#endif

/// -DSASRNN_NO_CHECKSUM leaves out load()'s check of the file's CRC-32C (its code and 1 KB table):
/// a file with a checksum then loads as one without (ModelView::checksum_verified stays false).
#ifdef SASRNN_NO_CHECKSUM
constexpr bool kChecksumBuilt = false;
#else
constexpr bool kChecksumBuilt = true;
#endif

/// The largest admissible activity: the bound on every input |x_j| (step() refuses larger ones,
/// Status::InputOverflow) and on every rate r_j for which load() guarantees that no mode's sums
/// overflow float. A run whose rates grow beyond it may overflow; step() then says so
/// (Status::NonFiniteState).
constexpr float kMaxActivity = 1.0e6f;
/// What load() admits per layer row, so that every mode's sums at activities up to kMaxActivity
/// stay below FLT_MAX / 64 (room for the input and recurrent sums, the noise and rounding):
///   sum_j (|m_ij| + sqrt(xi_ij)) <= kMaxRowMean   (MeanField's and MeanWeights' G = sum mu v,
///       SampledPerStep's sum z m v, SampledPerTrial's sum (m + sqrt(xi) eps) v with |eps| < 16);
///   sum_j (xi_ij + m_ij^2)       <= kMaxRowVar    (MeanField's Delta^2 = sum var v^2 and
///       SampledPerStep's sum z xi v^2), over the connections with pi < 1.
constexpr float kMaxRowMean = 3.4e38f / 64.0f / 16.0f / kMaxActivity;
constexpr float kMaxRowVar = 3.4e38f / 64.0f / (kMaxActivity * kMaxActivity);

/// Largest N, NIn or NOut accepted (keeps rows * cols far from overflow).
constexpr uint32_t kMaxUnits = 65535;

enum class Activation : uint8_t { ReLU = 0 };
enum class Readout : uint8_t { Identity = 0, Softmax = 1, Argmax = 2 };
enum class TaskKind : uint8_t { None = 0, MSI = 1, SeqMNISTPixel = 2, SeqMNISTRow = 3 };

/// The task's name as the tools print and take it.
inline const char* task_name(TaskKind t) {
  switch (t) {
    case TaskKind::None: return "none";
    case TaskKind::MSI: return "msi";
    case TaskKind::SeqMNISTPixel: return "mnist-pixel";
    case TaskKind::SeqMNISTRow: return "mnist-row";
  }
  return "unknown";
}

/// One layer's hyperparameters, read in place: row-major rows x cols, (i, j) = from j to i.
/// Dense layers have pi/m/xi (f32); sparse ones (format version 2) have `sparse` instead.
/// A dense layer may also have its precomputed moments mu = (1 - pi) m and
/// var = (1 - pi)(xi + pi m m) (format version 2; load() checks every value bit for bit).
struct LayerView {
  uint32_t rows = 0;
  uint32_t cols = 0;
  const float* pi = nullptr;
  const float* m = nullptr;
  const float* xi = nullptr;
  const float* mu = nullptr;   ///< dyn::sas_mean(pi, m), or null
  const float* var = nullptr;  ///< dyn::sas_var(pi, m, xi), or null (null exactly when mu is)
  bool is_sparse = false;
  SparseView sparse;
  bool has_moments() const { return mu != nullptr; }
};

struct DynamicsView {
  float alpha = 0;      ///< trained dt / tau
  float tau_ms = 0;
  float dt_ms = 0;
  float sigma_rec = 0;  ///< recurrent noise sigma (paper eq. 1a)
  float sigma_in = 0;   ///< input noise sigma_in (paper eq. 2)
  float baseline = 0;   ///< x0 (paper eq. 2)
  Activation activation = Activation::ReLU;
  Readout readout = Readout::Identity;
};

struct MsiParamsView {
  float fixation_ms = 0;
  float stimulus_ms = 0;
  float decision_ms = 0;
  float boundary = 0;
  float rate_min = 0;
  float rate_max = 0;
  float target_hi = 0;
  float target_lo = 0;
};

/// A verified model. Pointers reference the caller's buffer, which must outlive the view.
struct ModelView {
  uint32_t n = 0;
  uint32_t n_in = 0;
  uint32_t n_out = 0;
  LayerView input;
  LayerView recurrent;
  LayerView output;
  DynamicsView dynamics;
  const uint8_t* input_mask = nullptr;  ///< N x NIn, 1 = connected; null = all connected
  TaskKind task = TaskKind::None;
  MsiParamsView msi;                    ///< valid when task == MSI
  const fb::Model* root = nullptr;      ///< the FlatBuffer root, for provenance and names
  bool checksum_verified = false;       ///< the file has a checksum and load() checked it
};

namespace detail {

inline bool finite(float v) { return std::isfinite(v); }

/// Where the verified model's checksum field is in the buffer, or 0 if the file has none.
/// (The vtable lookup of flatbuffers::Table::GetAddressOf, which fb::Model does not expose; the
/// Verifier has checked the vtable and the field's bounds.)
inline size_t checksum_offset(const uint8_t* buffer, const fb::Model* root) {
  const uint8_t* table = reinterpret_cast<const uint8_t*>(root);
  const uint8_t* vtable = table - flatbuffers::ReadScalar<flatbuffers::soffset_t>(table);
  const flatbuffers::voffset_t slot = fb::Model::VT_CHECKSUM;
  if (slot >= flatbuffers::ReadScalar<flatbuffers::voffset_t>(vtable)) return 0;
  const flatbuffers::voffset_t field = flatbuffers::ReadScalar<flatbuffers::voffset_t>(vtable + slot);
  return field == 0 ? 0 : static_cast<size_t>(table + field - buffer);
}

/// CRC-32C of the buffer with the 4 bytes at `offset` (the checksum field) read as zero.
inline uint32_t checksum_with_field_zero(const uint8_t* buffer, size_t size, size_t offset) {
  const uint8_t zeros[4] = {0, 0, 0, 0};
  uint32_t state = crc32c::extend(0xFFFFFFFFu, buffer, offset);
  state = crc32c::extend(state, zeros, 4);
  state = crc32c::extend(state, buffer + offset + 4, size - offset - 4);
  return ~state;
}

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

inline Status check_array(const flatbuffers::Vector<float>* v, uint32_t count, const float*& out) {
  if (v == nullptr) return Status::MissingField;
  if (v->size() != count) return Status::ArraySizeMismatch;
  if (!aligned16(v->data())) return Status::UnalignedArray;
  out = v->data();
  return Status::Ok;
}

inline Status check_values(float pi, float m, float xi) {
  if (!finite(pi) || !finite(m) || !finite(xi)) return Status::NonFinite;
  if (pi < 0.0f || pi > 1.0f) return Status::PiOutOfRange;
  if (xi < 0.0f) return Status::XiNegative;
  return Status::Ok;
}

template <class T>
inline Status sized(const flatbuffers::Vector<T>* v, uint64_t count, const T*& out) {
  if (v == nullptr) return Status::MissingField;
  if (v->size() != count) return Status::ArraySizeMismatch;
  out = v->data();
  return Status::Ok;
}

/// Adds one connection to its row's bounds (kMaxRowMean, kMaxRowVar); an absent one (pi = 1)
/// never contributes to any sum.
struct RowBound {
  float mean = 0.0f, var = 0.0f;
  void add(float pi, float m, float xi) {
    if (pi == 1.0f) return;
    mean += std::fabs(m) + std::sqrt(xi);
    var += xi + m * m;
  }
  /// Ok, or the first bound the row breaks (a non-finite sum breaks it too).
  Status check() const {
    if (!(mean <= kMaxRowMean)) return Status::MeanOverflow;
    if (!(var <= kMaxRowVar)) return Status::VarianceOverflow;
    return Status::Ok;
  }
};

/// Verifies a sparse layer (sparse.hpp): sizes of every array, the row offsets against the bitmap
/// and the classes, zero padding bits, scales, and every decoded value.
inline Status check_sparse(const fb::SparseLayer* l, uint32_t rows, uint32_t cols, SparseView& s) {
  const int type = static_cast<int>(l->value_type());
  if (type < 0 || type > 2) return Status::BadEnum;
  s.type = static_cast<ValueType>(type);
  const uint64_t count = static_cast<uint64_t>(rows) * cols;
  Status st = sized(l->present(), (count + 7) / 8, s.present);
  s.present_bytes = static_cast<uint32_t>((count + 7) / 8);
  if (st == Status::Ok) st = sized(l->m_start(), uint64_t{rows} + 1, s.m_start);
  if (st == Status::Ok) st = sized(l->pi_start(), uint64_t{rows} + 1, s.pi_start);
  if (st == Status::Ok) st = sized(l->xi_start(), uint64_t{rows} + 1, s.xi_start);
  if (st != Status::Ok) return st;
  if (count % 8 != 0 && (s.present[count / 8] >> (count % 8)) != 0) return Status::BadSparse;
  if (s.m_start[0] != 0 || s.pi_start[0] != 0 || s.xi_start[0] != 0) return Status::BadSparse;
  uint64_t stored = 0;  // the bitmap's count, row by row
  for (uint32_t i = 0; i < rows; ++i) {
    for (uint32_t j = 0; j < cols; ++j) stored += sparse::bit(s.present, uint64_t{i} * cols + j) ? 1 : 0;
    if (s.m_start[i + 1] != stored) return Status::BadSparse;
  }
  st = sized(l->cls(), (stored + 3) / 4, s.cls);
  if (st != Status::Ok) return st;
  if (stored % 4 != 0 && (s.cls[stored / 4] >> (2 * (stored % 4))) != 0) return Status::BadSparse;
  for (uint32_t i = 0; i < rows; ++i) {
    uint32_t with_pi = 0, with_xi = 0;
    for (uint32_t k = s.m_start[i]; k < s.m_start[i + 1]; ++k) {
      const uint32_t c = sparse::class_of(s.cls, k);
      with_pi += (c & kHasPi) != 0 ? 1 : 0;
      with_xi += (c & kHasXi) != 0 ? 1 : 0;
    }
    if (s.pi_start[i + 1] < s.pi_start[i] || s.pi_start[i + 1] - s.pi_start[i] != with_pi ||
        s.xi_start[i + 1] < s.xi_start[i] || s.xi_start[i + 1] - s.xi_start[i] != with_xi)
      return Status::BadSparse;
  }
  const uint64_t vb = value_bytes(s.type);
  st = sized(l->m(), stored * vb, s.m);
  if (st == Status::Ok) st = sized(l->pi(), uint64_t{s.pi_start[rows]} * vb, s.pi);
  if (st == Status::Ok) st = sized(l->xi(), uint64_t{s.xi_start[rows]} * vb, s.xi);
  if (st != Status::Ok) return st;
  if (s.type == ValueType::Q8) {
    st = sized(l->m_scale(), rows, s.m_scale);
    if (st == Status::Ok) st = sized(l->xi_scale(), rows, s.xi_scale);
    if (st != Status::Ok) return st;
    for (uint32_t i = 0; i < rows; ++i) {
      if (!finite(s.m_scale[i]) || !finite(s.xi_scale[i])) return Status::NonFinite;
      if (s.m_scale[i] < 0.0f || s.xi_scale[i] < 0.0f) return Status::BadSparse;
    }
  } else if ((l->m_scale() != nullptr && l->m_scale()->size() != 0) ||
             (l->xi_scale() != nullptr && l->xi_scale()->size() != 0)) {
    return Status::BadSparse;  // scales belong to Q8 only
  }
  Status values = Status::Ok;
  for (uint32_t i = 0; i < rows && values == Status::Ok; ++i) {
    RowBound bound;
    sparse::visit_row(s, cols, i, [&](uint32_t, uint32_t, float pi, float m, float xi) {
      if (values == Status::Ok) values = check_values(pi, m, xi);
      bound.add(pi, m, xi);
    });
    if (values == Status::Ok) values = bound.check();
  }
  return values;
}

inline bool same_bits(float a, float b) {
  uint32_t x, y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  return x == y;
}

/// Verifies the precomputed moments of a dense layer whose pi/m/xi are verified: both or neither,
/// version 2, sizes, alignment, and every value bit for bit as dyn::sas_mean/sas_var compute it.
inline Status check_moments(const fb::Layer* l, uint32_t count, uint32_t version, LayerView& out) {
  if (l->mu() == nullptr && l->var() == nullptr) return Status::Ok;
  if (l->mu() == nullptr || l->var() == nullptr) return Status::MissingField;
  if (version < 2) return Status::BadMoments;  // moments exist from version 2 on
  if (!kMomentsBuilt) return Status::EncodingNotBuilt;
  const float *mu = nullptr, *var = nullptr;
  Status s = check_array(l->mu(), count, mu);
  if (s == Status::Ok) s = check_array(l->var(), count, var);
  if (s != Status::Ok) return s;
  for (uint32_t k = 0; k < count; ++k)
    if (!same_bits(mu[k], dyn::sas_mean(out.pi[k], out.m[k])) ||
        !same_bits(var[k], dyn::sas_var(out.pi[k], out.m[k], out.xi[k])))
      return Status::BadMoments;
  out.mu = mu;
  out.var = var;
  return Status::Ok;
}

inline Status check_layer(const fb::Layer* l, uint32_t rows, uint32_t cols, uint32_t version,
                          LayerView& out) {
  if (l == nullptr) return Status::MissingField;
  if (l->rows() != rows || l->cols() != cols) return Status::BadDimensions;
  if (l->sparse() != nullptr) {
    if (version < 2 || l->pi() != nullptr || l->m() != nullptr || l->xi() != nullptr ||
        l->mu() != nullptr || l->var() != nullptr)
      return Status::BadSparse;  // sparse layers exist from version 2 on, and replace pi/m/xi
    if (!kSparseBuilt) return Status::EncodingNotBuilt;
    out.rows = rows;
    out.cols = cols;
    out.is_sparse = true;
    return check_sparse(l->sparse(), rows, cols, out.sparse);
  }
  const uint32_t count = rows * cols;
  out.rows = rows;
  out.cols = cols;
  Status s = check_array(l->pi(), count, out.pi);
  if (s == Status::Ok) s = check_array(l->m(), count, out.m);
  if (s == Status::Ok) s = check_array(l->xi(), count, out.xi);
  if (s != Status::Ok) return s;
  for (uint32_t k = 0; k < count; ++k) {
    s = check_values(out.pi[k], out.m[k], out.xi[k]);
    if (s != Status::Ok) return s;
  }
  for (uint32_t i = 0; i < rows; ++i) {
    RowBound bound;
    for (uint32_t k = i * cols; k < (i + 1) * cols; ++k) bound.add(out.pi[k], out.m[k], out.xi[k]);
    s = bound.check();
    if (s != Status::Ok) return s;
  }
  return check_moments(l, count, version, out);
}

inline Status check_dynamics(const fb::Dynamics* d, DynamicsView& out) {
  if (d == nullptr) return Status::MissingField;
  out.alpha = d->alpha();
  out.tau_ms = d->tau_ms();
  out.dt_ms = d->dt_ms();
  out.sigma_rec = d->sigma_rec();
  out.sigma_in = d->sigma_in();
  out.baseline = d->baseline();
  const float values[] = {out.alpha, out.tau_ms, out.dt_ms, out.sigma_rec, out.sigma_in, out.baseline};
  for (float v : values)
    if (!finite(v)) return Status::NonFinite;
  if (!(out.alpha > 0.0f && out.alpha <= 1.0f)) return Status::BadDynamics;
  if (!(out.tau_ms > 0.0f) || !(out.dt_ms > 0.0f)) return Status::BadDynamics;
  if (out.sigma_rec < 0.0f || out.sigma_in < 0.0f) return Status::BadDynamics;
  const int act = static_cast<int>(d->activation());
  const int ro = static_cast<int>(d->readout());
  if (act != 0) return Status::BadEnum;
  if (ro < 0 || ro > 2) return Status::BadEnum;
  out.activation = static_cast<Activation>(act);
  out.readout = static_cast<Readout>(ro);
  return Status::Ok;
}

inline Status check_task(const fb::Task* t, ModelView& out) {
  if (t == nullptr) {
    out.task = TaskKind::None;
    return Status::Ok;
  }
  const int kind = static_cast<int>(t->kind());
  if (kind < 0 || kind > 3) return Status::BadEnum;
  out.task = static_cast<TaskKind>(kind);
  // sequential MNIST (paper Sec. III A): 10 classes, a row (28 inputs) or a pixel (1) per step
  if (out.task == TaskKind::SeqMNISTRow || out.task == TaskKind::SeqMNISTPixel)
    return out.n_out == 10 && out.n_in == (out.task == TaskKind::SeqMNISTRow ? 28u : 1u)
               ? Status::Ok
               : Status::BadTask;
  if (out.task != TaskKind::MSI) return Status::Ok;
  const fb::MsiParams* p = t->msi();
  if (p == nullptr) return Status::BadTask;
  MsiParamsView& v = out.msi;
  v.fixation_ms = p->fixation_ms();
  v.stimulus_ms = p->stimulus_ms();
  v.decision_ms = p->decision_ms();
  v.boundary = p->boundary();
  v.rate_min = p->rate_min();
  v.rate_max = p->rate_max();
  v.target_hi = p->target_hi();
  v.target_lo = p->target_lo();
  const float values[] = {v.fixation_ms, v.stimulus_ms, v.decision_ms, v.boundary,
                          v.rate_min,    v.rate_max,    v.target_hi,   v.target_lo};
  for (float x : values)
    if (!finite(x)) return Status::BadTask;
  if (v.fixation_ms < 0.0f || !(v.stimulus_ms > 0.0f) || !(v.decision_ms > 0.0f))
    return Status::BadTask;
  if (!(v.rate_min < v.boundary && v.boundary < v.rate_max)) return Status::BadTask;
  if (out.n_in != 5 || out.n_out != 2) return Status::BadTask;
  return Status::Ok;
}

inline Status check_mask(const flatbuffers::Vector<uint8_t>* mask, ModelView& out) {
  if (mask == nullptr || mask->size() == 0) {
    out.input_mask = nullptr;
    return Status::Ok;
  }
  const uint32_t count = out.n * out.n_in;
  if (mask->size() != count) return Status::BadMask;
  const LayerView& in = out.input;
  for (uint32_t k = 0; k < count; ++k) {
    const uint8_t v = mask->Get(k);
    if (v > 1) return Status::BadMask;
    // a masked connection is absent: pi = 1 (dense) or not stored (sparse)
    const bool absent =
        kSparseBuilt && in.is_sparse ? !sparse::bit(in.sparse.present, k) : in.pi[k] == 1.0f;
    if (v == 0 && !absent) return Status::BadMask;
  }
  out.input_mask = mask->data();
  return Status::Ok;
}

}  // namespace detail

/// Verifies `buffer` as a sasrnn model and fills `view` with in-place pointers.
/// Checks, in order: null, 16-byte alignment, size, identifier, FlatBuffers structure, the
/// checksum if the file has one (CRC-32C, docs/model-format.md; not with SASRNN_NO_CHECKSUM), version,
/// dimensions, array sizes and alignment, value ranges (pi in [0,1], xi >= 0, all finite), each
/// row's bounds (kMaxRowMean, kMaxRowVar: no mode's sums overflow at activities up to kMaxActivity),
/// precomputed moments (equal bit for bit to those of pi, m, xi),
/// dynamics, task, input mask. Allocates nothing; never reads outside [buffer, buffer + size).
inline Status load(const uint8_t* buffer, size_t size, ModelView& view) {
  view = ModelView{};
  if (buffer == nullptr) return Status::NullBuffer;
  if (!detail::aligned16(buffer)) return Status::UnalignedBuffer;
  if (size < 8) return Status::TooSmall;
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE) return Status::Corrupt;
  if (!fb::ModelBufferHasIdentifier(buffer)) return Status::BadIdentifier;
  flatbuffers::Verifier verifier(buffer, size);
  if (!fb::VerifyModelBuffer(verifier)) return Status::Corrupt;
  const fb::Model* root = fb::GetModel(buffer);
  bool checksum_verified = false;
  if constexpr (kChecksumBuilt) {
    const size_t at = detail::checksum_offset(buffer, root);
    if (at != 0) {  // the Verifier checked that the field's 4 bytes lie in the buffer
      if (detail::checksum_with_field_zero(buffer, size, at) != flatbuffers::ReadScalar<uint32_t>(buffer + at))
        return Status::ChecksumMismatch;
      checksum_verified = true;
    }
  }
  const uint32_t version = root->format_version();
  if (version < kFormatVersionDense || version > kFormatVersion) return Status::UnsupportedVersion;
  ModelView v;
  v.root = root;
  v.checksum_verified = checksum_verified;
  v.n = root->n();
  v.n_in = root->n_in();
  v.n_out = root->n_out();
  if (v.n == 0 || v.n_in == 0 || v.n_out == 0) return Status::BadDimensions;
  if (v.n > kMaxUnits || v.n_in > kMaxUnits || v.n_out > kMaxUnits) return Status::BadDimensions;
  Status s = detail::check_layer(root->input(), v.n, v.n_in, version, v.input);
  if (s == Status::Ok) s = detail::check_layer(root->recurrent(), v.n, v.n, version, v.recurrent);
  if (s == Status::Ok) s = detail::check_layer(root->output(), v.n_out, v.n, version, v.output);
  if (s == Status::Ok) s = detail::check_dynamics(root->dynamics(), v.dynamics);
  if (s == Status::Ok) s = detail::check_task(root->task(), v);
  if (s == Status::Ok) s = detail::check_mask(root->input_mask(), v);
  if (s != Status::Ok) return s;
  view = v;
  return Status::Ok;
}

/// load() plus a check of the model's sizes against compile-time sizes.
template <int N, int NIn, int NOut>
Status load(const uint8_t* buffer, size_t size, ModelView& view) {
  static_assert(N > 0 && NIn > 0 && NOut > 0, "sizes must be positive");
  const Status s = load(buffer, size, view);
  if (s != Status::Ok) return s;
  if (view.n != static_cast<uint32_t>(N) || view.n_in != static_cast<uint32_t>(NIn) ||
      view.n_out != static_cast<uint32_t>(NOut)) {
    view = ModelView{};
    return Status::ShapeMismatch;
  }
  return Status::Ok;
}

}  // namespace sasrnn
