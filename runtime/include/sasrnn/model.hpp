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

/// The newest format version of a recurrent model: 1 = dense f32 layers only, 2 = layers may be
/// sparse (sparse.hpp) or carry precomputed moments. The converter writes 1 unless a layer is
/// sparse or has moments.
constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kFormatVersionDense = 1;
/// The format version of a feedforward stack (feedforward/model.hpp): load() refuses it with
/// Status::NotRecurrent, ff::load() reads it. Readers older than it refuse it as unsupported.
constexpr uint32_t kFormatVersionFeedforward = 3;

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
/// -DSASRNN_NO_MOMENT_CACHE leaves out Network::use_moment_cache()'s code likewise (2 N^2 floats
/// of RAM at N units, a host's choice).
#ifdef SASRNN_NO_MOMENT_CACHE
constexpr bool kMomentCacheBuilt = false;
#else
constexpr bool kMomentCacheBuilt = true;
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
enum class TaskKind : uint8_t { None = 0, MSI = 1, SeqMNISTPixel = 2, SeqMNISTRow = 3, MNISTImage = 4 };

/// The task's name as the tools print and take it.
inline const char* task_name(TaskKind t) {
  switch (t) {
    case TaskKind::None: return "none";
    case TaskKind::MSI: return "msi";
    case TaskKind::SeqMNISTPixel: return "mnist-pixel";
    case TaskKind::SeqMNISTRow: return "mnist-row";
    case TaskKind::MNISTImage: return "mnist-ff";
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

/// How far the stored alpha may lie from dt_ms / tau_ms (computed in float from the stored dt_ms
/// and tau_ms), relative to dt_ms / tau_ms. A writer rounds alpha, dt_ms and tau_ms to float (half
/// an ulp, FLT_EPSILON / 2, each) and the runtime rounds the division (another half): an alpha
/// computed from the same dt and tau in any precision (dt / tau in float or double, or tau stored
/// as 1 / alpha) lies within 2 FLT_EPSILON of it. Twice that admits every such writer; a
/// different alpha (a typo, dt or tau edited alone) differs by far more.
constexpr float kAlphaTolerance = 4.0f * 1.1920929e-7f;

/// The rule a value broke, as words (stripped with SASRNN_NO_STATUS_MESSAGES, like the messages).
#ifdef SASRNN_NO_STATUS_MESSAGES
#define SASRNN_EXPECTED(text) ""
#else
#define SASRNN_EXPECTED(text) text
#endif

/// Where load() found a model invalid, for a caller that wants to name it (the converter prints
/// it as one line). load() fills it only on failure, and only if the caller passes one; it holds
/// no heap memory: `field` and `expected` point to string literals.
struct LoadDetail {
  enum class Kind : uint8_t {
    File,     ///< the file as a whole (header, structure, checksum, version): no field
    Field,    ///< an array or table as a whole (missing, wrong size, misaligned, inconsistent)
    Scalar,   ///< one scalar field: `value`
    Element,  ///< one element of an array: `value` at (`row`, `col`)
    Row,      ///< one row of a layer: `value` is the row's sum
  };
  Kind kind = Kind::File;
  /// The array or value at fault, named as in the array layout of docs/model-format.md
  /// ("pi_rec", "alpha", "input_mask", "msi_boundary"; "pi_rec/m_rec/xi_rec" for a whole layer
  /// or a row; "N", "NIn", "NOut" for sizes); null for Kind::File.
  const char* field = nullptr;
  uint32_t row = 0;
  uint32_t col = 0;
  float value = 0.0f;
  const char* expected = "";  ///< what the rule wants, e.g. "in [0, 1]" (followed by `limit` if has_limit)
  bool has_limit = false;
  float limit = 0.0f;         ///< the bound or the value the rule wants (a row's bound; dt_ms / tau_ms)
};

namespace detail {

inline bool finite(float v) { return std::isfinite(v); }

/// The names of one layer's arrays in the array layout (docs/model-format.md).
struct LayerNames {
  const char* pi;
  const char* m;
  const char* xi;
  const char* mu;
  const char* var;
  const char* all;
};
constexpr LayerNames kInputNames{"pi_in", "m_in", "xi_in", "mu_in", "var_in", "pi_in/m_in/xi_in"};
constexpr LayerNames kRecurrentNames{"pi_rec", "m_rec", "xi_rec", "mu_rec", "var_rec", "pi_rec/m_rec/xi_rec"};
constexpr LayerNames kOutputNames{"pi_out", "m_out", "xi_out", "mu_out", "var_out", "pi_out/m_out/xi_out"};

/// Fills the caller's LoadDetail (if any) and returns `s`: the one way load()'s checks fail.
struct Report {
  LoadDetail* d;
  Status field(Status s, const char* name) const {
    if (d != nullptr) {
      *d = LoadDetail{};
      d->kind = LoadDetail::Kind::Field;
      d->field = name;
    }
    return s;
  }
  Status scalar(Status s, const char* name, float value, const char* expected) const {
    if (d != nullptr) {
      field(s, name);
      d->kind = LoadDetail::Kind::Scalar;
      d->value = value;
      d->expected = expected;
    }
    return s;
  }
  Status element(Status s, const char* name, uint32_t row, uint32_t col, float value,
                 const char* expected) const {
    if (d != nullptr) {
      scalar(s, name, value, expected);
      d->kind = LoadDetail::Kind::Element;
      d->row = row;
      d->col = col;
    }
    return s;
  }
  Status row(Status s, const char* name, uint32_t row, float sum, const char* expected, float limit) const {
    if (d != nullptr) {
      scalar(s, name, sum, expected);
      d->kind = LoadDetail::Kind::Row;
      d->row = row;
      with_limit(limit);
    }
    return s;
  }
  /// Adds the bound or value a failure's rule wants.
  Status with_limit(float limit, Status s = Status::Ok) const {
    if (d != nullptr) {
      d->has_limit = true;
      d->limit = limit;
    }
    return s;
  }
};

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

inline Status check_array(const flatbuffers::Vector<float>* v, uint32_t count, const float*& out,
                          const char* name, const Report& r) {
  if (v == nullptr) return r.field(Status::MissingField, name);
  if (v->size() != count) return r.field(Status::ArraySizeMismatch, name);
  if (!aligned16(v->data())) return r.field(Status::UnalignedArray, name);
  out = v->data();
  return Status::Ok;
}

/// One connection's values: all finite, pi in [0, 1], xi >= 0. On failure reports the array
/// (from `names`) and position.
inline Status check_values(float pi, float m, float xi, const LayerNames& names, uint32_t i, uint32_t j,
                           const Report& r) {
  const char* finite_number = SASRNN_EXPECTED("a finite number");
  if (!finite(pi)) return r.element(Status::NonFinite, names.pi, i, j, pi, finite_number);
  if (!finite(m)) return r.element(Status::NonFinite, names.m, i, j, m, finite_number);
  if (!finite(xi)) return r.element(Status::NonFinite, names.xi, i, j, xi, finite_number);
  if (pi < 0.0f || pi > 1.0f) return r.element(Status::PiOutOfRange, names.pi, i, j, pi, SASRNN_EXPECTED("in [0, 1]"));
  if (xi < 0.0f) return r.element(Status::XiNegative, names.xi, i, j, xi, SASRNN_EXPECTED(">= 0"));
  // Every connection's var (dyn::sas_var, paper eq. 5d-f) enters MeanField's sums, an absent one
  // (pi = 1) too, multiplied by its activity: there it must be 0, not 0 * inf = NaN, whatever
  // the activity (0 or not; the moment cache skips silent units, the row kernels do not). The
  // row bounds (RowBound) keep every var finite where pi < 1.
  if (pi == 1.0f && !finite(dyn::sas_var(pi, m, xi)))
    return r.element(Status::VarianceOverflow, names.m, i, j, m,
                     SASRNN_EXPECTED("xi + m m finite where pi = 1 (its var 0 * (xi + m m) is then 0, not NaN)"));
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
/// never contributes to any sum (its var is 0: check_values() requires it finite).
struct RowBound {
  float mean = 0.0f, var = 0.0f;
  void add(float pi, float m, float xi) {
    if (pi == 1.0f) return;
    mean += std::fabs(m) + std::sqrt(xi);
    var += xi + m * m;
  }
  /// Ok, or the first bound row i breaks (a non-finite sum breaks it too), reported as the
  /// layer's (`names.all`).
  Status check(const LayerNames& names, uint32_t i, const Report& r) const {
    if (!(mean <= kMaxRowMean))
      return r.row(Status::MeanOverflow, names.all, i, mean, SASRNN_EXPECTED("a sum of |m| + sqrt(xi) of at most"),
                   kMaxRowMean);
    if (!(var <= kMaxRowVar))
      return r.row(Status::VarianceOverflow, names.all, i, var,
                   SASRNN_EXPECTED("a sum of xi + m^2 (over pi < 1) of at most"), kMaxRowVar);
    return Status::Ok;
  }
};

/// Verifies a sparse layer's structure (sparse.hpp): sizes of every array, the row offsets against
/// the bitmap and the classes, zero padding bits, scales.
inline Status check_sparse_structure(const fb::SparseLayer* l, uint32_t rows, uint32_t cols, SparseView& s) {
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
  return Status::Ok;
}

/// Verifies a sparse layer (sparse.hpp): its structure, and every decoded value and row bound.
inline Status check_sparse(const fb::SparseLayer* l, uint32_t rows, uint32_t cols, SparseView& s,
                           const LayerNames& names, const Report& r) {
  const Status st = check_sparse_structure(l, rows, cols, s);
  if (st != Status::Ok) return r.field(st, names.all);
  Status values = Status::Ok;
  for (uint32_t i = 0; i < rows && values == Status::Ok; ++i) {
    RowBound bound;
    sparse::visit_row(s, cols, i, [&](uint32_t j, uint32_t, float pi, float m, float xi) {
      if (values == Status::Ok) values = check_values(pi, m, xi, names, i, j, r);
      bound.add(pi, m, xi);
    });
    if (values == Status::Ok) values = bound.check(names, i, r);
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
inline Status check_moments(const fb::Layer* l, uint32_t count, uint32_t version, LayerView& out,
                            const LayerNames& names, const Report& r) {
  if (l->mu() == nullptr && l->var() == nullptr) return Status::Ok;
  if (l->mu() == nullptr) return r.field(Status::MissingField, names.mu);
  if (l->var() == nullptr) return r.field(Status::MissingField, names.var);
  if (version < 2) return r.field(Status::BadMoments, names.mu);  // moments exist from version 2 on
  if (!kMomentsBuilt) return r.field(Status::EncodingNotBuilt, names.mu);
  const float *mu = nullptr, *var = nullptr;
  Status s = check_array(l->mu(), count, mu, names.mu, r);
  if (s == Status::Ok) s = check_array(l->var(), count, var, names.var, r);
  if (s != Status::Ok) return s;
  for (uint32_t k = 0; k < count; ++k) {
    const float want_mu = dyn::sas_mean(out.pi[k], out.m[k]);
    const float want_var = dyn::sas_var(out.pi[k], out.m[k], out.xi[k]);
    if (!same_bits(mu[k], want_mu))
      return r.with_limit(want_mu, r.element(Status::BadMoments, names.mu, k / out.cols, k % out.cols, mu[k],
                                             SASRNN_EXPECTED("(1 - pi) m, bit for bit:")));
    if (!same_bits(var[k], want_var))
      return r.with_limit(want_var, r.element(Status::BadMoments, names.var, k / out.cols, k % out.cols, var[k],
                                              SASRNN_EXPECTED("(1 - pi)(xi + pi m m), bit for bit:")));
  }
  out.mu = mu;
  out.var = var;
  return Status::Ok;
}

inline Status check_layer(const fb::Layer* l, uint32_t rows, uint32_t cols, uint32_t version,
                          LayerView& out, const LayerNames& names, const Report& r) {
  if (l == nullptr) return r.field(Status::MissingField, names.all);
  if (l->rows() != rows || l->cols() != cols) return r.field(Status::BadDimensions, names.all);
  if (l->sparse() != nullptr) {
    if (version < 2 || l->pi() != nullptr || l->m() != nullptr || l->xi() != nullptr ||
        l->mu() != nullptr || l->var() != nullptr)
      return r.field(Status::BadSparse, names.all);  // sparse layers exist from version 2 on, and replace pi/m/xi
    if (!kSparseBuilt) return r.field(Status::EncodingNotBuilt, names.all);
    out.rows = rows;
    out.cols = cols;
    out.is_sparse = true;
    return check_sparse(l->sparse(), rows, cols, out.sparse, names, r);
  }
  const uint32_t count = rows * cols;
  out.rows = rows;
  out.cols = cols;
  Status s = check_array(l->pi(), count, out.pi, names.pi, r);
  if (s == Status::Ok) s = check_array(l->m(), count, out.m, names.m, r);
  if (s == Status::Ok) s = check_array(l->xi(), count, out.xi, names.xi, r);
  if (s != Status::Ok) return s;
  for (uint32_t i = 0; i < rows; ++i)
    for (uint32_t j = 0; j < cols; ++j) {
      const uint32_t k = i * cols + j;
      s = check_values(out.pi[k], out.m[k], out.xi[k], names, i, j, r);
      if (s != Status::Ok) return s;
    }
  for (uint32_t i = 0; i < rows; ++i) {
    RowBound bound;
    for (uint32_t k = i * cols; k < (i + 1) * cols; ++k) bound.add(out.pi[k], out.m[k], out.xi[k]);
    s = bound.check(names, i, r);
    if (s != Status::Ok) return s;
  }
  return check_moments(l, count, version, out, names, r);
}

/// The dynamics: all finite, 0 < alpha <= 1, tau and dt positive, noise non-negative, and the
/// stored alpha equal to dt_ms / tau_ms within kAlphaTolerance (the one place alpha is judged: the
/// tools run the stored value).
inline Status check_dynamics(const fb::Dynamics* d, DynamicsView& out, const Report& r) {
  if (d == nullptr) return r.field(Status::MissingField, "dynamics");
  out.alpha = d->alpha();
  out.tau_ms = d->tau_ms();
  out.dt_ms = d->dt_ms();
  out.sigma_rec = d->sigma_rec();
  out.sigma_in = d->sigma_in();
  out.baseline = d->baseline();
  const struct {
    const char* name;
    float value;
  } values[] = {{"alpha", out.alpha},         {"tau_ms", out.tau_ms},     {"dt_ms", out.dt_ms},
                {"sigma_rec", out.sigma_rec}, {"sigma_in", out.sigma_in}, {"baseline", out.baseline}};
  for (const auto& v : values)
    if (!finite(v.value)) return r.scalar(Status::NonFinite, v.name, v.value, SASRNN_EXPECTED("a finite number"));
  if (!(out.alpha > 0.0f && out.alpha <= 1.0f))
    return r.scalar(Status::BadDynamics, "alpha", out.alpha, SASRNN_EXPECTED("0 < alpha <= 1"));
  if (!(out.tau_ms > 0.0f)) return r.scalar(Status::BadDynamics, "tau_ms", out.tau_ms, SASRNN_EXPECTED("> 0"));
  if (!(out.dt_ms > 0.0f)) return r.scalar(Status::BadDynamics, "dt_ms", out.dt_ms, SASRNN_EXPECTED("> 0"));
  if (out.sigma_rec < 0.0f)
    return r.scalar(Status::BadDynamics, "sigma_rec", out.sigma_rec, SASRNN_EXPECTED(">= 0"));
  if (out.sigma_in < 0.0f) return r.scalar(Status::BadDynamics, "sigma_in", out.sigma_in, SASRNN_EXPECTED(">= 0"));
  const float ratio = out.dt_ms / out.tau_ms;  // may overflow or underflow: then no alpha matches
  if (!finite(ratio) || !(std::fabs(out.alpha - ratio) <= kAlphaTolerance * ratio))
    return r.with_limit(ratio, r.scalar(Status::AlphaMismatch, "alpha", out.alpha,
                                        SASRNN_EXPECTED("dt_ms / tau_ms (to a relative 4.8e-07) =")));
  const int act = static_cast<int>(d->activation());
  const int ro = static_cast<int>(d->readout());
  if (act != 0) return r.scalar(Status::BadEnum, "activation", static_cast<float>(act), SASRNN_EXPECTED("0 (ReLU)"));
  if (ro < 0 || ro > 2)
    return r.scalar(Status::BadEnum, "readout", static_cast<float>(ro),
                    SASRNN_EXPECTED("0 (identity), 1 (softmax) or 2 (argmax)"));
  out.activation = static_cast<Activation>(act);
  out.readout = static_cast<Readout>(ro);
  return Status::Ok;
}

inline Status check_task(const fb::Task* t, ModelView& out, const Report& r) {
  if (t == nullptr) {
    out.task = TaskKind::None;
    return Status::Ok;
  }
  const int kind = static_cast<int>(t->kind());
  if (kind < 0 || kind > 4)
    return r.scalar(Status::BadEnum, "task", static_cast<float>(kind),
                    SASRNN_EXPECTED("0 (none), 1 (MSI), 2 (sequential MNIST, pixels), 3 (sequential MNIST, rows) or 4 (MNIST images)"));
  if (kind == 4)
    return r.scalar(Status::BadTask, "task", 4.0f, SASRNN_EXPECTED("a recurrent task (task 4, MNIST images, is feedforward)"));
  out.task = static_cast<TaskKind>(kind);
  // sequential MNIST (paper Sec. III A): 10 classes, a row (28 inputs) or a pixel (1) per step
  if (out.task == TaskKind::SeqMNISTRow || out.task == TaskKind::SeqMNISTPixel)
    return out.n_out == 10 && out.n_in == (out.task == TaskKind::SeqMNISTRow ? 28u : 1u)
               ? Status::Ok
               : r.scalar(Status::BadTask, "task", static_cast<float>(kind),
                          out.task == TaskKind::SeqMNISTRow ? SASRNN_EXPECTED("a model with NIn = 28 and NOut = 10 for task 3")
                                                            : SASRNN_EXPECTED("a model with NIn = 1 and NOut = 10 for task 2"));
  if (out.task != TaskKind::MSI) return Status::Ok;
  if (out.n_in != 5 || out.n_out != 2)
    return r.scalar(Status::BadTask, "task", 1.0f, SASRNN_EXPECTED("a model with NIn = 5 and NOut = 2 for task 1 (MSI)"));
  const fb::MsiParams* p = t->msi();
  if (p == nullptr) return r.field(Status::BadTask, "msi_*");
  MsiParamsView& v = out.msi;
  v.fixation_ms = p->fixation_ms();
  v.stimulus_ms = p->stimulus_ms();
  v.decision_ms = p->decision_ms();
  v.boundary = p->boundary();
  v.rate_min = p->rate_min();
  v.rate_max = p->rate_max();
  v.target_hi = p->target_hi();
  v.target_lo = p->target_lo();
  const struct {
    const char* name;
    float value;
  } values[] = {{"msi_fixation_ms", v.fixation_ms}, {"msi_stimulus_ms", v.stimulus_ms},
                {"msi_decision_ms", v.decision_ms}, {"msi_boundary", v.boundary},
                {"msi_rate_min", v.rate_min},       {"msi_rate_max", v.rate_max},
                {"msi_target_hi", v.target_hi},     {"msi_target_lo", v.target_lo}};
  for (const auto& x : values)
    if (!finite(x.value)) return r.scalar(Status::BadTask, x.name, x.value, SASRNN_EXPECTED("a finite number"));
  if (v.fixation_ms < 0.0f)
    return r.scalar(Status::BadTask, "msi_fixation_ms", v.fixation_ms, SASRNN_EXPECTED(">= 0"));
  if (!(v.stimulus_ms > 0.0f))
    return r.scalar(Status::BadTask, "msi_stimulus_ms", v.stimulus_ms, SASRNN_EXPECTED("> 0"));
  if (!(v.decision_ms > 0.0f))
    return r.scalar(Status::BadTask, "msi_decision_ms", v.decision_ms, SASRNN_EXPECTED("> 0"));
  if (!(v.rate_min < v.boundary && v.boundary < v.rate_max))
    return r.scalar(Status::BadTask, "msi_boundary", v.boundary,
                    SASRNN_EXPECTED("a value between msi_rate_min and msi_rate_max"));
  return Status::Ok;
}

inline Status check_mask(const flatbuffers::Vector<uint8_t>* mask, ModelView& out, const Report& r) {
  if (mask == nullptr || mask->size() == 0) {
    out.input_mask = nullptr;
    return Status::Ok;
  }
  const uint32_t count = out.n * out.n_in;
  if (mask->size() != count) return r.field(Status::BadMask, "input_mask");
  const LayerView& in = out.input;
  for (uint32_t k = 0; k < count; ++k) {
    const uint8_t v = mask->Get(k);
    const uint32_t i = k / out.n_in, j = k % out.n_in;
    if (v > 1) return r.element(Status::BadMask, "input_mask", i, j, v, SASRNN_EXPECTED("0 or 1"));
    // a masked connection is absent: pi = 1 (dense) or not stored (sparse)
    const bool absent =
        kSparseBuilt && in.is_sparse ? !sparse::bit(in.sparse.present, k) : in.pi[k] == 1.0f;
    if (v == 0 && !absent)
      return in.is_sparse
                 ? r.element(Status::BadMask, "pi_in", i, j, 0.0f,
                             SASRNN_EXPECTED("an absent (not stored) connection where input_mask is 0"))
                 : r.element(Status::BadMask, "pi_in", i, j, in.pi[k], SASRNN_EXPECTED("1 where input_mask is 0"));
  }
  out.input_mask = mask->data();
  return Status::Ok;
}

}  // namespace detail

namespace detail {

/// The checks every model file passes before its kind is known, in this order: null, 16-byte
/// alignment, size, identifier, FlatBuffers structure, the checksum if the file has one (not
/// with SASRNN_NO_CHECKSUM), a known version (1 to kFormatVersionFeedforward). Sets `root` and
/// `checksum_verified`.
inline Status open_model(const uint8_t* buffer, size_t size, const fb::Model*& root, bool& checksum_verified) {
  root = nullptr;
  checksum_verified = false;
  if (buffer == nullptr) return Status::NullBuffer;
  if (!detail::aligned16(buffer)) return Status::UnalignedBuffer;
  if (size < 8) return Status::TooSmall;
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE) return Status::Corrupt;
  if (!fb::ModelBufferHasIdentifier(buffer)) return Status::BadIdentifier;
  flatbuffers::Verifier verifier(buffer, size);
  if (!fb::VerifyModelBuffer(verifier)) return Status::Corrupt;
  const fb::Model* model = fb::GetModel(buffer);
  if constexpr (kChecksumBuilt) {
    const size_t at = checksum_offset(buffer, model);
    if (at != 0) {  // the Verifier checked that the field's 4 bytes lie in the buffer
      if (checksum_with_field_zero(buffer, size, at) != flatbuffers::ReadScalar<uint32_t>(buffer + at))
        return Status::ChecksumMismatch;
      checksum_verified = true;
    }
  }
  const uint32_t version = model->format_version();
  if (version < kFormatVersionDense || version > kFormatVersionFeedforward) return Status::UnsupportedVersion;
  root = model;
  return Status::Ok;
}

}  // namespace detail

/// Verifies `buffer` as a sasrnn recurrent model and fills `view` with in-place pointers.
/// Checks, in order: those of every model file (detail::open_model(): null, alignment, size,
/// identifier, structure, checksum, version), that the file is recurrent (a feedforward stack,
/// format version 3: Status::NotRecurrent; feedforward/model.hpp reads those),
/// dimensions, array sizes and alignment, value ranges (pi in [0,1], xi >= 0, all finite), each
/// row's bounds (kMaxRowMean, kMaxRowVar: no mode's sums overflow at activities up to kMaxActivity),
/// precomputed moments (equal bit for bit to those of pi, m, xi),
/// dynamics (alpha equal to dt_ms / tau_ms within kAlphaTolerance), task, input mask. Allocates
/// nothing; never reads outside [buffer, buffer + size). If `where` is given, it is cleared and a
/// failure also says where it lies (LoadDetail: the array, the position, the value, the rule).
inline Status load(const uint8_t* buffer, size_t size, ModelView& view, LoadDetail* where = nullptr) {
  view = ModelView{};
  const detail::Report r{where};
  if (where != nullptr) *where = LoadDetail{};
  const fb::Model* root = nullptr;
  bool checksum_verified = false;
  const Status opened = detail::open_model(buffer, size, root, checksum_verified);
  if (opened != Status::Ok) return opened;
  const uint32_t version = root->format_version();
  if (version == kFormatVersionFeedforward || root->layers() != nullptr) return Status::NotRecurrent;
  ModelView v;
  v.root = root;
  v.checksum_verified = checksum_verified;
  v.n = root->n();
  v.n_in = root->n_in();
  v.n_out = root->n_out();
  const struct {
    const char* name;
    uint32_t value;
  } sizes[] = {{"N", v.n}, {"NIn", v.n_in}, {"NOut", v.n_out}};
  for (const auto& d : sizes)
    if (d.value == 0 || d.value > kMaxUnits)
      return r.scalar(Status::BadDimensions, d.name, static_cast<float>(d.value),
                      SASRNN_EXPECTED("1 to 65535 (kMaxUnits)"));
  Status s = detail::check_layer(root->input(), v.n, v.n_in, version, v.input, detail::kInputNames, r);
  if (s == Status::Ok)
    s = detail::check_layer(root->recurrent(), v.n, v.n, version, v.recurrent, detail::kRecurrentNames, r);
  if (s == Status::Ok)
    s = detail::check_layer(root->output(), v.n_out, v.n, version, v.output, detail::kOutputNames, r);
  if (s == Status::Ok) s = detail::check_dynamics(root->dynamics(), v.dynamics, r);
  if (s == Status::Ok) s = detail::check_task(root->task(), v, r);
  if (s == Status::Ok) s = detail::check_mask(root->input_mask(), v, r);
  if (s != Status::Ok) return s;
  view = v;
  return Status::Ok;
}

/// load() plus a check of the model's sizes against compile-time sizes.
template <int N, int NIn, int NOut>
Status load(const uint8_t* buffer, size_t size, ModelView& view, LoadDetail* where = nullptr) {
  static_assert(N > 0 && NIn > 0 && NOut > 0, "sizes must be positive");
  const Status s = load(buffer, size, view, where);
  if (s != Status::Ok) return s;
  if (view.n != static_cast<uint32_t>(N) || view.n_in != static_cast<uint32_t>(NIn) ||
      view.n_out != static_cast<uint32_t>(NOut)) {
    view = ModelView{};
    return Status::ShapeMismatch;
  }
  return Status::Ok;
}

}  // namespace sasrnn
