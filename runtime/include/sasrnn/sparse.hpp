// Sparse layers (format version 2): connections stored by class, values in f32, f16 or 8 bits.
//
// A sparse layer stores only the connections that are present, row by row in increasing column
// (`present` bitmap), each with a 2-bit class saying which hyperparameters it carries:
//   constant  (pi = 0, xi = 0)  w = m                  nothing is drawn
//   Bernoulli (xi = 0)          w = 0 w.p. pi, else m  one uniform
//   Gaussian  (pi = 0)          w ~ N(m, xi)           one normal
//   full SaS                    paper eq. 3            a uniform and a normal
// An absent connection is pi = 1: w = 0 always, in every mode.
//
// The row kernels below visit the stored connections of a row in increasing column and add each
// term to lane j % kLanes, exactly as the dense kernels do (kernels.hpp); a skipped term is one
// that is exactly zero there. So a sparse layer gives bit for bit the results of the dense f32
// layer holding its decoded values (tests/test_compact.cpp checks this in every mode). The
// random draw of connection (i, j) uses the same counter as in a dense layer.
//
// On a Cortex-M the walk is the cost (firmware.md's compact tables; scripts/fw-profile shows where
// the instructions go): the mean-field rows write out the eight lanes of each byte of the presence
// bitmap so that their partial sums stay in registers, the SampledPerStep rows walk each tile in a
// small out-of-line function (spike_tile()) with pointers instead of indices, and the presence
// bits of a tile come from one 8-byte load.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

#include "sasrnn/dynamics.hpp"
#include "sasrnn/kernels.hpp"
#include "sasrnn/rng.hpp"

#if defined(__F16C__) && !defined(SASRNN_NO_SIMD)
#include <immintrin.h>
#endif

namespace sasrnn {

/// How a sparse layer stores its values (schema enum ValueType).
enum class ValueType : uint8_t { F32 = 0, F16 = 1, Q8 = 2 };

inline const char* value_type_name(ValueType t) {
  switch (t) {
    case ValueType::F32: return "f32";
    case ValueType::F16: return "f16";
    case ValueType::Q8: return "q8";
  }
  return "?";
}

/// Bytes per stored value.
constexpr uint32_t value_bytes(ValueType t) {
  return t == ValueType::F32 ? 4u : t == ValueType::F16 ? 2u : 1u;
}

/// Connection classes: bit 0 = has pi (Bernoulli part), bit 1 = has xi (Gaussian part).
enum ConnClass : uint32_t { kConstant = 0, kBernoulli = 1, kGaussian = 2, kFull = 3 };
constexpr uint32_t kHasPi = 1u;
constexpr uint32_t kHasXi = 2u;

/// A verified sparse layer, read in place (see runtime/schema/sasrnn.fbs, table SparseLayer).
struct SparseView {
  ValueType type = ValueType::F32;
  const uint8_t* present = nullptr;   ///< rows*cols bits, row-major, LSB first
  uint32_t present_bytes = 0;         ///< length of `present`
  const uint8_t* cls = nullptr;       ///< 2 bits per stored connection
  const uint32_t* m_start = nullptr;  ///< rows + 1
  const uint32_t* pi_start = nullptr; ///< rows + 1
  const uint32_t* xi_start = nullptr; ///< rows + 1
  const uint8_t* pi = nullptr;
  const uint8_t* m = nullptr;
  const uint8_t* xi = nullptr;
  const float* m_scale = nullptr;     ///< Q8 only, one per row
  const float* xi_scale = nullptr;    ///< Q8 only, one per row
};

namespace sparse {

/// half_to_float() in integer arithmetic: out of line, as the kernels' unrolled loops would
/// otherwise copy it into every lane (f16 values are not the microcontroller's encoding).
SASRNN_NOINLINE inline float half_to_float_soft(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu;
  const uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float f = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    return detail::bits_to_float(detail::float_to_bits(f) | sign);
  }
  if (exponent == 31) return detail::bits_to_float(sign | 0x7F800000u | (mantissa << 13));
  return detail::bits_to_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

/// IEEE binary16 -> binary32, exact for every input (no hardware conversion needed; x86 hosts
/// with F16C use the instruction, which gives the same value for every non-NaN half).
SASRNN_ALWAYS_INLINE float half_to_float(uint16_t h) {
#if defined(__F16C__) && !defined(SASRNN_NO_SIMD)
  return _cvtsh_ss(h);
#else
  return half_to_float_soft(h);
#endif
}

SASRNN_ALWAYS_INLINE float load_f32(const uint8_t* p) {
  float f;
  std::memcpy(&f, p, sizeof f);  // little-endian targets (x86, Cortex-M)
  return f;
}

SASRNN_ALWAYS_INLINE uint16_t load_u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (static_cast<uint16_t>(p[1]) << 8));
}

/// Spike probability number k of a layer.
template <ValueType T>
SASRNN_ALWAYS_INLINE float decode_pi(const uint8_t* b, uint32_t k) {
  if constexpr (T == ValueType::F32) return load_f32(b + 4 * static_cast<size_t>(k));
  if constexpr (T == ValueType::F16) return half_to_float(load_u16(b + 2 * static_cast<size_t>(k)));
  if constexpr (T == ValueType::Q8) return static_cast<float>(b[k]) * (1.0f / 255.0f);
}

/// Slab mean number k (Q8: signed byte times the row's scale).
template <ValueType T>
SASRNN_ALWAYS_INLINE float decode_m(const uint8_t* b, uint32_t k, float scale) {
  if constexpr (T == ValueType::F32) return load_f32(b + 4 * static_cast<size_t>(k));
  if constexpr (T == ValueType::F16) return half_to_float(load_u16(b + 2 * static_cast<size_t>(k)));
  if constexpr (T == ValueType::Q8) {
    int8_t q;
    std::memcpy(&q, b + k, 1);  // the byte as two's complement (a single sign-extending load)
    return static_cast<float>(q) * scale;
  }
}

/// Slab variance number k (Q8: unsigned byte times the row's scale).
template <ValueType T>
SASRNN_ALWAYS_INLINE float decode_xi(const uint8_t* b, uint32_t k, float scale) {
  if constexpr (T == ValueType::Q8) return static_cast<float>(b[k]) * scale;
  else return decode_m<T>(b, k, scale);
}

inline bool bit(const uint8_t* bits, uint64_t k) { return ((bits[k >> 3] >> (k & 7u)) & 1u) != 0; }

SASRNN_ALWAYS_INLINE uint32_t class_of(const uint8_t* cls, uint32_t s) {
  return (cls[s >> 2] >> ((s & 3u) * 2u)) & 3u;
}

/// The 32 bits of `bits` (length `bytes`) from bit k on; bits past the end read as 0.
SASRNN_ALWAYS_INLINE uint32_t bits32(const uint8_t* bits, uint32_t bytes, uint64_t k) {
  const uint64_t b0 = k >> 3;
  if (b0 + 8 <= bytes) {  // the common case: one 8-byte load (little-endian targets)
    uint64_t w8;
    std::memcpy(&w8, bits + b0, sizeof w8);
    return static_cast<uint32_t>(w8 >> (k & 7u));
  }
  uint64_t w = 0;
  for (uint32_t b = 0; b < 5 && b0 + b < bytes; ++b) w |= static_cast<uint64_t>(bits[b0 + b]) << (8 * b);
  return static_cast<uint32_t>(w >> (k & 7u));
}

SASRNN_ALWAYS_INLINE int lowest_bit(uint32_t w) {
#if defined(__GNUC__)
  return __builtin_ctz(w);
#else
  int n = 0;
  while ((w & 1u) == 0) {
    w >>= 1;
    ++n;
  }
  return n;
#endif
}

/// Where the walk of a row stands: the index of its next stored connection (m and class), of the
/// next pi and of the next xi.
struct RowCursor {
  uint32_t k, kp, kx;
};

SASRNN_ALWAYS_INLINE RowCursor row_start(const SparseView& s, uint32_t row) {
  return RowCursor{s.m_start[row], s.pi_start[row], s.xi_start[row]};
}

/// The presence bits of `row` for columns [j0, j0 + 32) (bit b = column j0 + b; none past cols).
SASRNN_ALWAYS_INLINE uint32_t present_bits(const SparseView& s, uint32_t cols, uint32_t row,
                                           uint32_t j0) {
  uint32_t word = bits32(s.present, s.present_bytes, static_cast<uint64_t>(row) * cols + j0);
  if (cols - j0 < 32) word &= (1u << (cols - j0)) - 1u;
  return word;
}

/// Calls f(j, cls, pi, m, xi) for the stored connections of `row` in columns [j0, j0 + 32), in
/// increasing column j, and moves the cursor past them; pi = 0 for classes without pi, xi = 0 for
/// classes without xi. SkipSilent: the connections of the columns where v[j] == 0 (v: the
/// presynaptic values) are passed over undecoded (the cursor still moves past them): a silent
/// unit's term is +-0, which the sums may skip (kernels/order.hpp).
template <ValueType T, bool SkipSilent = false, class F>
inline void for_each_in_tile(const SparseView& s, uint32_t cols, uint32_t row, uint32_t j0,
                             RowCursor& c, F&& f, const float* v = nullptr) {
  const float m_scale = T == ValueType::Q8 ? s.m_scale[row] : 0.0f;
  const float xi_scale = T == ValueType::Q8 ? s.xi_scale[row] : 0.0f;
  for (uint32_t word = present_bits(s, cols, row, j0); word != 0; word &= word - 1u) {
    const uint32_t j = j0 + static_cast<uint32_t>(lowest_bit(word));
    const uint32_t cl = class_of(s.cls, c.k);
    if (SkipSilent && v[j] == 0.0f) {
      c.kp += (cl & kHasPi) != 0 ? 1u : 0u;
      c.kx += (cl & kHasXi) != 0 ? 1u : 0u;
      ++c.k;
      continue;
    }
    const float pi = (cl & kHasPi) != 0 ? decode_pi<T>(s.pi, c.kp++) : 0.0f;
    const float m = decode_m<T>(s.m, c.k, m_scale);
    const float xi = (cl & kHasXi) != 0 ? decode_xi<T>(s.xi, c.kx++, xi_scale) : 0.0f;
    ++c.k;
    f(j, cl, pi, m, xi);
  }
}

/// Calls f(j, cls, pi, m, xi) for every stored connection of `row`, in increasing column j
/// (SkipSilent: only where v[j] != 0, as for_each_in_tile()).
template <ValueType T, bool SkipSilent = false, class F>
inline void for_each_in_row(const SparseView& s, uint32_t cols, uint32_t row, F&& f,
                            const float* v = nullptr) {
  RowCursor c = row_start(s, row);
  for (uint32_t j0 = 0; j0 < cols; j0 += 32) for_each_in_tile<T, SkipSilent>(s, cols, row, j0, c, f, v);
}

/// for_each_in_row() with the value type chosen at run time (once per row).
template <bool SkipSilent = false, class F>
inline void visit_row(const SparseView& s, uint32_t cols, uint32_t row, F&& f,
                      const float* v = nullptr) {
  switch (s.type) {
    case ValueType::F32: for_each_in_row<ValueType::F32, SkipSilent>(s, cols, row, f, v); return;
    case ValueType::F16: for_each_in_row<ValueType::F16, SkipSilent>(s, cols, row, f, v); return;
    case ValueType::Q8: for_each_in_row<ValueType::Q8, SkipSilent>(s, cols, row, f, v); return;
  }
}

/// One lane of a byte of a tile (lane_terms()): the stored connection in column j8 + L, if any.
template <uint32_t L, ValueType T, bool SkipSilent, class F>
SASRNN_ALWAYS_INLINE void lane_term(const SparseView& s, uint32_t byte, uint32_t j8, RowCursor& c,
                                    float m_scale, float xi_scale, F& f, const float* v) {
  if (((byte >> L) & 1u) == 0) return;
  const uint32_t j = j8 + L;
  const uint32_t cl = class_of(s.cls, c.k);
  // SkipSilent: passed over undecoded, as in for_each_in_tile()
  if (!SkipSilent || v[j] != 0.0f)
    f(std::integral_constant<uint32_t, L>{}, j, cl,
      (cl & kHasPi) != 0 ? decode_pi<T>(s.pi, c.kp) : 0.0f, decode_m<T>(s.m, c.k, m_scale),
      (cl & kHasXi) != 0 ? decode_xi<T>(s.xi, c.kx, xi_scale) : 0.0f);
  c.kp += cl & kHasPi;
  c.kx += cl >> 1;
  ++c.k;
}

template <ValueType T, bool SkipSilent, class F, uint32_t... L>
SASRNN_ALWAYS_INLINE void lane_terms(const SparseView& s, uint32_t byte, uint32_t j8, RowCursor& c,
                                     float m_scale, float xi_scale, F& f, const float* v,
                                     std::integer_sequence<uint32_t, L...>) {
  (lane_term<L, T, SkipSilent>(s, byte, j8, c, m_scale, xi_scale, f, v), ...);
}

/// for_each_in_tile() with the lane of each term a compile-time constant: f(lane, j, cls, pi, m,
/// xi) with lane a std::integral_constant equal to j % kernel::kLanes. A tile starts at a multiple
/// of 32, so bit b of each byte of its presence word is lane b; the eight lanes of a byte are
/// written out, and a kernel's partial sums indexed by `lane` stay in registers (indexed by
/// j % kLanes at run time they live in memory: on a Cortex-M4F a load and a store per term).
template <ValueType T, bool SkipSilent = false, class F>
SASRNN_ALWAYS_INLINE void for_each_in_tile_by_lane(const SparseView& s, uint32_t cols,
                                                   uint32_t row, uint32_t j0, RowCursor& c, F&& f,
                                                   const float* v = nullptr) {
  static_assert(kernel::kLanes == 8, "a byte of the presence word holds one column per lane");
  const float m_scale = T == ValueType::Q8 ? s.m_scale[row] : 0.0f;
  const float xi_scale = T == ValueType::Q8 ? s.xi_scale[row] : 0.0f;
  const uint32_t word = present_bits(s, cols, row, j0);
  if (word == 0) return;
  for (uint32_t b0 = 0; b0 < 32 && (word >> b0) != 0; b0 += 8) {
    const uint32_t byte = (word >> b0) & 0xFFu;
    if (byte != 0)
      lane_terms<T, SkipSilent>(s, byte, j0 + b0, c, m_scale, xi_scale, f, v,
                                std::make_integer_sequence<uint32_t, kernel::kLanes>{});
  }
}

/// for_each_in_row() by lane (for_each_in_tile_by_lane()).
template <ValueType T, bool SkipSilent = false, class F>
SASRNN_ALWAYS_INLINE void for_each_in_row_by_lane(const SparseView& s, uint32_t cols, uint32_t row,
                                                  F&& f, const float* v = nullptr) {
  RowCursor c = row_start(s, row);
  for (uint32_t j0 = 0; j0 < cols; j0 += 32)
    for_each_in_tile_by_lane<T, SkipSilent>(s, cols, row, j0, c, f, v);
}

/// The dense pi, m, xi (row-major, rows x cols, each room for rows * cols floats) of a sparse
/// layer: the stored connections decoded, the absent ones pi = 1, m = xi = 0 (a spike in every
/// draw, a zero moment). A sparse layer runs bit for bit as this dense layer (test_compact).
inline void decode_layer(const SparseView& s, uint32_t rows, uint32_t cols, float* pi, float* m,
                         float* xi) {
  const size_t count = static_cast<size_t>(rows) * cols;
  for (size_t k = 0; k < count; ++k) {
    pi[k] = 1.0f;
    m[k] = 0.0f;
    xi[k] = 0.0f;
  }
  for (uint32_t i = 0; i < rows; ++i)
    visit_row(s, cols, i, [&](uint32_t j, uint32_t, float p, float mm, float x) {
      const size_t k = static_cast<size_t>(i) * cols + j;
      pi[k] = p;
      m[k] = mm;
      xi[k] = x;
    });
}

/// Mean-field sums of one row (paper eq. 5) with values of type T: moment_row().
template <ValueType T>
SASRNN_NOINLINE void moment_row_of(const SparseView& s, uint32_t cols, int row, const float* v,
                                   const float* v2, float& g, float& d2) {
  kernel::Lanes<float> ag, ad;
  for_each_in_row_by_lane<T, true>(
      s, cols, static_cast<uint32_t>(row),
      [&](auto lane, uint32_t j, uint32_t, float pi, float m, float xi) {
        ag.a[lane] += dyn::sas_mean(pi, m) * v[j];
        ad.a[lane] += dyn::sas_var(pi, m, xi) * v2[j];
      },
      v);  // a silent unit's term is +-0: passed over undecoded
  g = ag.total();
  d2 = ad.total();
}

/// Mean-field sums of one row (paper eq. 5): g = sum_j mu_j v_j, d2 = sum_j var_j v_j^2,
/// in the lane order of kernel::moment_rows(). `v2` holds v_j * v_j.
inline void moment_row(const SparseView& s, uint32_t cols, int row, const float* v,
                       const float* v2, float& g, float& d2) {
  switch (s.type) {
    case ValueType::F32: moment_row_of<ValueType::F32>(s, cols, row, v, v2, g, d2); return;
    case ValueType::F16: moment_row_of<ValueType::F16>(s, cols, row, v, v2, g, d2); return;
    case ValueType::Q8: break;  // (load() admits no other type)
  }
  moment_row_of<ValueType::Q8>(s, cols, row, v, v2, g, d2);
}

/// sum_j mu_j v_j of one row (MeanWeights) with values of type T: mean_row().
template <ValueType T>
SASRNN_NOINLINE float mean_row_of(const SparseView& s, uint32_t cols, int row, const float* v) {
  kernel::Lanes<float> acc;
  for_each_in_row_by_lane<T, true>(
      s, cols, static_cast<uint32_t>(row),
      [&](auto lane, uint32_t j, uint32_t, float pi, float m, float) {
        acc.a[lane] += dyn::sas_mean(pi, m) * v[j];
      },
      v);  // silent units passed over undecoded
  return acc.total();
}

/// sum_j mu_j v_j of one row (MeanWeights), in the lane order of kernel::mean_rows().
inline float mean_row(const SparseView& s, uint32_t cols, int row, const float* v) {
  switch (s.type) {
    case ValueType::F32: return mean_row_of<ValueType::F32>(s, cols, row, v);
    case ValueType::F16: return mean_row_of<ValueType::F16>(s, cols, row, v);
    case ValueType::Q8: break;
  }
  return mean_row_of<ValueType::Q8>(s, cols, row, v);
}

/// sum_j w_j v_j of one row with weights drawn from paper eq. 3, the draw of (row, j) from
/// Counter{row * cols + j, step, trial, stream} as in kernel::sampled_row(). Silent presynaptic
/// units are skipped; the others are drawn 8 at a time (kernel::philox8), then added in increasing
/// j. Constant connections use no random word; Bernoulli ones no normal; Gaussian ones no spike.
inline float sampled_row(const SparseView& s, uint32_t cols, int row, const float* v,
                         uint32_t step, uint32_t trial, uint32_t stream, uint64_t seed) {
  kernel::Lanes<float> acc;
  const uint32_t first = static_cast<uint32_t>(row) * cols;
  struct Batch {
    uint32_t index[8], j[8], c[8];
    float pi[8], m[8], xi[8], v[8];
    int n = 0;
  } b;
  kernel::Blocks8 words;
  auto flush = [&] {
    kernel::philox8(b.index, step, trial, stream, seed, words, b.n);
    for (int l = 0; l < b.n; ++l) {
      const uint32_t c = b.c[l];
      float w = b.m[l];
      if ((c & kHasPi) != 0 && uniform01(words.w[0][l]) < b.pi[l]) continue;  // the spike: w = 0
      if ((c & kHasXi) != 0 && b.xi[l] != 0.0f)
        w = w + std::sqrt(b.xi[l]) *
                    kernel::normal_of_lane(seed, Counter{b.index[l], step, trial, stream}, words, l);
      acc.a[b.j[l] % kernel::kLanes] += w * b.v[l];
    }
    b.n = 0;
  };
  visit_row<true>(s, cols, static_cast<uint32_t>(row),
            [&](uint32_t j, uint32_t c, float pi, float m, float xi) {
              const int l = b.n++;
              b.index[l] = first + j;
              b.j[l] = j;
              b.c[l] = c;
              b.pi[l] = pi;
              b.m[l] = m;
              b.xi[l] = xi;
              b.v[l] = v[j];
              if (b.n == 8) flush();
            },
            v);  // silent units passed over undecoded
  if (b.n > 0) flush();
  return acc.total();
}

/// A concrete row for a trial cache (kernel::draw_row()): the weights sampled_row() draws for the
/// stored connections, 0 for spikes and absent connections.
inline void draw_row(const SparseView& s, uint32_t cols, int row, uint32_t step, uint32_t trial,
                     uint32_t stream, uint64_t seed, float* w) {
  for (uint32_t j = 0; j < cols; ++j) w[j] = 0.0f;
  const uint32_t first = static_cast<uint32_t>(row) * cols;
  visit_row(s, cols, static_cast<uint32_t>(row),
            [&](uint32_t j, uint32_t c, float pi, float m, float xi) {
              const Counter k{first + j, step, trial, stream};
              const Block b = random_block(seed, k);
              if ((c & kHasPi) != 0 && uniform01(b.w[0]) < pi) return;  // the spike
              w[j] = (c & kHasXi) != 0 && xi != 0.0f
                         ? m + std::sqrt(xi) * normal_from_block(seed, k, b)
                         : m;
            });
}

/// Where the walk of one row of spike_moment_rows_of() stands: its next pi, m and xi values and
/// the number of its next stored connection (for the class).
struct SpikeWalk {
  const uint8_t* pi;
  const uint8_t* m;
  const uint8_t* xi;
  uint32_t k;
  float m_scale, xi_scale;  ///< Q8 only
};

/// The terms of one row in one tile of spike_moment_rows_of(): `w` its stored columns (bit t:
/// column j0 + t), `act` the active ones, `word` the spike words, `vt`/`v2t` v and v^2 from j0.
/// Out of line: a walk with few live values, whose registers hold the whole loop on a Cortex-M.
template <ValueType T>
SASRNN_NOINLINE void spike_tile(SpikeWalk& walk, const uint8_t* cls, uint32_t w, uint32_t act,
                                const uint32_t* word, const float* vt, const float* v2t,
                                float* gl, float* dl) {
  constexpr uint32_t kBytes = value_bytes(T);
  const uint8_t* pp = walk.pi;
  const uint8_t* mp = walk.m;
  const uint8_t* xp = walk.xi;
  uint32_t k = walk.k;
  do {
    const uint32_t t = static_cast<uint32_t>(lowest_bit(w));
    w &= w - 1u;
    const uint32_t cl = class_of(cls, k++);
    // A silent unit (its term is +-0) or a spike (w = 0) adds nothing: passed over without
    // decoding m and xi.
    if (((act >> t) & 1u) != 0 &&
        ((cl & kHasPi) == 0 || !(uniform01(word[t]) < decode_pi<T>(pp, 0)))) {
      gl[t % kernel::kLanes] += decode_m<T>(mp, 0, walk.m_scale) * vt[t];
      // a class without xi adds xi v_j^2 = +0, which the sum may skip (kernels/order.hpp)
      if ((cl & kHasXi) != 0)
        dl[t % kernel::kLanes] += decode_xi<T>(xp, 0, walk.xi_scale) * v2t[t];
    }
    pp += kBytes * (cl & kHasPi);
    xp += kBytes * (cl >> 1);
    mp += kBytes;
  } while (w != 0);
  walk.pi = pp;
  walk.m = mp;
  walk.xi = xp;
  walk.k = k;
}

/// The spike words of a group's tile: for each column t in `need` (bit t: column j0 + t, whose
/// block has counter index `index0` + t), word (q0 + r) of its Philox block into words[r][t],
/// 8 blocks at a time (kernel::philox8). One copy for every value type.
SASRNN_NOINLINE inline void spike_words(uint32_t need, uint32_t index0, uint32_t q0, int rows,
                                        uint32_t step, uint32_t trial, uint32_t stream,
                                        uint64_t seed, uint32_t (*words)[32]) {
  uint32_t index[8] = {};
  uint32_t at[8] = {};
  int n = 0;
  kernel::Blocks8 b;
  auto flush = [&] {
    kernel::philox8(index, step, trial, stream, seed, b, n);
    for (int l = 0; l < n; ++l)
      for (int r = 0; r < rows; ++r) words[r][at[l]] = b.w[q0 + static_cast<uint32_t>(r)][l];
    n = 0;
  };
  for (uint32_t w = need; w != 0; w &= w - 1u) {
    const uint32_t t = static_cast<uint32_t>(lowest_bit(w));
    index[n] = index0 + t;
    at[n++] = t;
    if (n == 8) flush();
  }
  if (n > 0) flush();
}

/// spike_moment_rows() with values of type T.
template <ValueType T>
SASRNN_NOINLINE void spike_moment_rows_of(const SparseView& s, uint32_t cols, int row, int rows,
                                          const uint32_t* active, const float* v,
                                          const float* v2, uint32_t step, uint32_t trial,
                                          uint32_t stream, uint64_t seed, float* g, float* d2) {
  constexpr uint32_t kBytes = value_bytes(T);
  const uint32_t row0 = static_cast<uint32_t>(row);
  const uint32_t first = (row0 >> 2) * cols;
  const uint32_t q0 = row0 & 3u;
  kernel::Lanes<float> ag[4], ad[4];
  SpikeWalk walk[4];
  for (int r = 0; r < rows; ++r) {
    const uint32_t i = row0 + static_cast<uint32_t>(r);
    walk[r] = SpikeWalk{s.pi + kBytes * s.pi_start[i], s.m + kBytes * s.m_start[i],
                        s.xi + kBytes * s.xi_start[i], s.m_start[i],
                        T == ValueType::Q8 ? s.m_scale[i] : 0.0f,
                        T == ValueType::Q8 ? s.xi_scale[i] : 0.0f};
  }
  uint32_t words[4][32];  // the spike words of the tile's columns, per row of the group
  for (uint32_t j0 = 0; j0 < cols; j0 += 32) {
    const uint32_t act = active[j0 >> 5];
    uint32_t present[4] = {};
    uint32_t need = 0;  // active columns stored in any of the rows
    for (int r = 0; r < rows; ++r) {
      present[r] = present_bits(s, cols, row0 + static_cast<uint32_t>(r), j0);
      need |= present[r];
    }
    need &= act;
    spike_words(need, first + j0, q0, rows, step, trial, stream, seed, words);
    for (int r = 0; r < rows; ++r)
      if (present[r] != 0)
        spike_tile<T>(walk[r], s.cls, present[r], act, words[r], v + j0, v2 + j0, ag[r].a,
                      ad[r].a);
  }
  for (int r = 0; r < rows; ++r) {
    g[r] = ag[r].total();
    d2[r] = ad[r].total();
  }
}

/// The SampledPerStep sums of rows row..row+rows-1, all in one group of four (kernel::
/// spike_moment_rows(), bit for bit): g = sum_j z_j m_j v_j, d2 = sum_j z_j xi_j v2_j with the
/// spike z_j of connection (row + r, j) from word (row + r) mod 4 of the block of rng.hpp's
/// spike_counter(). The rows are walked together, 32 columns at a time: one Philox block for
/// every active column that any of them stores (8 blocks at a time) serves all of them. `active`
/// is v's active units as a bit mask (kernel::Active::bit_mask(): bit j set iff v_j != 0). Absent
/// connections (pi = 1, never a slab) are not stored; classes without pi (pi = 0) are always
/// slabs; silent presynaptic units and spikes are passed over without decoding m and xi.
inline void spike_moment_rows(const SparseView& s, uint32_t cols, int row, int rows,
                              const uint32_t* active, const float* v, const float* v2,
                              uint32_t step, uint32_t trial, uint32_t stream, uint64_t seed,
                              float* g, float* d2) {
  switch (s.type) {
    case ValueType::F32:
      spike_moment_rows_of<ValueType::F32>(s, cols, row, rows, active, v, v2, step, trial, stream,
                                           seed, g, d2);
      return;
    case ValueType::F16:
      spike_moment_rows_of<ValueType::F16>(s, cols, row, rows, active, v, v2, step, trial, stream,
                                           seed, g, d2);
      return;
    case ValueType::Q8: break;
  }
  spike_moment_rows_of<ValueType::Q8>(s, cols, row, rows, active, v, v2, step, trial, stream, seed,
                                      g, d2);
}

}  // namespace sparse
}  // namespace sasrnn
