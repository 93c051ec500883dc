// Counter-based random numbers for sasrnn (no state, no heap, no platform libm).
//
// Every random number the runtime (and the trainer) uses is a pure function of
//   (seed, trial, step, stream, index)
// through Philox4x32-10 (Salmon et al., SC'11): key = seed, counter = (index, step, trial, stream).
// So host and microcontroller draw the same numbers, and skipping work (silent presynaptic units,
// absent connections) never changes any other draw.
//
// Normal variates come from a 128-layer ziggurat (Marsaglia & Tsang 2000) whose tables are computed
// at compile time in double precision; its rare wedge and tail branches use the deterministic
// float exp/log below (only IEEE +,-,*,/ and bit manipulation), so results are bit-identical on any
// IEEE-754 target built with -ffp-contract=off.
#pragma once

#include <cstdint>
#include <cstring>

namespace sasrnn {

/// What a random number is for; part of the Philox counter so that streams never overlap.
enum class Stream : uint32_t {
  RecurrentWeight = 1,  ///< sampled recurrent connection w_ij, index = i * N + j
  InputWeight = 2,      ///< sampled input connection w_in_ij, index = i * NIn + j
  OutputWeight = 3,     ///< sampled output connection w_out_ki, index = k * N + i
  RecurrentNoise = 4,   ///< n_i of paper eq. 1a, index = i
  InputNoise = 5,       ///< xi_j of paper eq. 2, index = j
  MeanFieldU = 6,       ///< eps^u_i of paper eq. 4b, index = i
  MeanFieldOut = 7,     ///< eps^out_k of paper eq. 4d, index = k
  TaskDraw = 8,         ///< task conditions drawn for training batches, index = what is drawn
  // SampledPerStep (see spike_counter() below): the spike of each connection, one normal per row.
  RecurrentSpike = 9,   ///< spikes z_ij of the recurrent connections, index = (i / 4) * N + j
  InputSpike = 10,      ///< spikes z_ij of the input connections, index = (i / 4) * NIn + j
  OutputSpike = 11,     ///< spikes z_ki of the output connections, index = (k / 4) * N + i
  SampledU = 12,        ///< eps_i of the slab sum of unit i's pre-activation, index = i
  SampledOut = 13,      ///< eps_k of the slab sum of output k, index = k
  // A feedforward stack (feedforward/network.hpp): step = the layer l, trial = the inference.
  FfField = 14,         ///< MeanField: eps_i of the field of unit i of layer l, index = i
  FfWeight = 15,        ///< SampledPerTrial: weight w_ij of layer l, index = i * cols + j
  FfSpike = 16,         ///< SampledPerStep: spikes z_ij of layer l, index = (i / 4) * cols + j
  FfSlab = 17,          ///< SampledPerStep: eps_i of the slab sum of unit i of layer l, index = i
};

/// The step value used for draws that are fixed for a whole trial (SampledPerTrial mode).
constexpr uint32_t kTrialStep = 0xFFFFFFFFu;

struct Counter {
  uint32_t index;
  uint32_t step;
  uint32_t trial;
  uint32_t stream;
};

struct Block {
  uint32_t w[4];
};

namespace detail {
constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;

inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}
}  // namespace detail

/// Philox4x32 with 10 rounds on a raw 128-bit counter and 64-bit key.
inline Block philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                           uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    detail::mulhilo(detail::kPhiloxM0, c0, hi0, lo0);
    detail::mulhilo(detail::kPhiloxM1, c2, hi1, lo1);
    const uint32_t n0 = hi1 ^ c1 ^ k0;
    const uint32_t n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += detail::kPhiloxW0;
    k1 += detail::kPhiloxW1;
  }
  return Block{{c0, c1, c2, c3}};
}

/// The four random words for (seed, counter).
inline Block random_block(uint64_t seed, const Counter& c) {
  return philox4x32_10(c.index, c.step, c.trial, c.stream, static_cast<uint32_t>(seed),
                       static_cast<uint32_t>(seed >> 32));
}

// SampledPerStep draws a fresh concrete network at every step (paper eq. 3), but each weight of
// that network enters the step exactly once, in one row's sum (paper eq. 1b, 1d). Given the spikes
// z_ij (z = 0 with probability pi), the row's sum over the slabs is therefore exactly Gaussian:
//   sum_j z_ij (m_ij + sqrt(xi_ij) e_ij) v_j  ~  sum_j z_ij m_ij v_j + eps_i sqrt(sum_j z_ij xi_ij v_j^2)
// with one standard normal eps_i per row instead of one per connection: the same distribution of
// every pre-activation, output and trajectory as drawing each slab value (and the same joint
// distribution: different rows use different weights). So the runtime draws, per step,
//   - the spike of connection (i, j) of a layer with `cols` columns: z_ij = 1 (slab) unless
//     uniform01(word i mod 4 of random_block(seed, spike_counter(i, j, cols, ...))) < pi_ij,
//     four rows sharing one Philox block;
//   - eps_i = normal(seed, Counter{i, step, trial, SampledU or SampledOut}).
// Still a pure function of (seed, trial, step, stream, index): skipping silent presynaptic units
// and absent connections changes no other draw. SampledPerTrial keeps a concrete network (one
// sas_sample() per connection and trial), since there a weight enters every step of the trial.

/// The counter of the Philox block whose word (row mod 4) decides the spike of connection
/// (row, col) of a layer with `cols` columns in SampledPerStep mode.
inline Counter spike_counter(uint32_t row, uint32_t col, uint32_t cols, uint32_t step,
                             uint32_t trial, Stream s) {
  return Counter{(row >> 2) * cols + col, step, trial, static_cast<uint32_t>(s)};
}

/// Uniform in [0, 1) with 24 bits of resolution (exact in float).
inline float uniform01(uint32_t w) { return static_cast<float>(w >> 8) * (1.0f / 16777216.0f); }

/// Uniform in (0, 1] with 24 bits of resolution (safe for log).
inline float uniform_open0(uint32_t w) {
  return static_cast<float>((w >> 8) + 1u) * (1.0f / 16777216.0f);
}

// ---------------------------------------------------------------------------------------------
// Deterministic float exp and log (used only in the ziggurat's rare branches and the softmax).
// ---------------------------------------------------------------------------------------------
namespace detail {
inline float bits_to_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
inline uint32_t float_to_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}
}  // namespace detail

/// exp(x) for float x: relative error < 4e-7 on [-87, 88] (normal results), subnormal results
/// below; 0 under -103.5, +inf above 88.7.
inline float det_exp(float x) {
  if (x != x) return x;  // NaN stays NaN
  if (x < -103.5f) return 0.0f;
  if (x > 88.7f) return detail::bits_to_float(0x7F800000u);
  // x = k ln2 + r, |r| <= ln2/2; ln2 split so that k * kLn2Hi is exact.
  const float kLog2e = 1.44269504088896341f;
  const float kLn2Hi = 0.693145751953125f;
  const float kLn2Lo = 1.428606765330187045e-06f;
  const float kf = x * kLog2e;
  const int k = static_cast<int>(kf < 0.0f ? kf - 0.5f : kf + 0.5f);
  const float fk = static_cast<float>(k);
  const float r = (x - fk * kLn2Hi) - fk * kLn2Lo;
  // Taylor polynomial of degree 7 on |r| <= 0.347 (truncation error < 2e-9 relative).
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // Scale by 2^k in two halves so that subnormal results stay correct.
  const int k1 = k / 2;
  const int k2 = k - k1;
  const float s1 = detail::bits_to_float(static_cast<uint32_t>(127 + k1) << 23);
  const float s2 = detail::bits_to_float(static_cast<uint32_t>(127 + k2) << 23);
  return (p * s1) * s2;
}

/// Natural log for finite float x > 0 (normal or subnormal); relative error < 3e-7.
inline float det_log(float x) {
  if (x == 0.0f) return -detail::bits_to_float(0x7F800000u);
  if (!(x > 0.0f)) return detail::bits_to_float(0x7FC00000u);  // negative or NaN
  uint32_t b = detail::float_to_bits(x);
  int e = 0;
  if ((b >> 23) == 0) {  // subnormal: scale up by 2^24
    x = x * 16777216.0f;
    b = detail::float_to_bits(x);
    e = -24;
  }
  e += static_cast<int>(b >> 23) - 127;
  float m = detail::bits_to_float((b & 0x007FFFFFu) | 0x3F800000u);  // m in [1, 2)
  if (m > 1.41421356f) {
    m = m * 0.5f;
    e += 1;
  }
  // log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716.
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  float p = 1.0f / 11.0f;
  p = p * s2 + 1.0f / 9.0f;
  p = p * s2 + 1.0f / 7.0f;
  p = p * s2 + 1.0f / 5.0f;
  p = p * s2 + 1.0f / 3.0f;
  p = p * s2 + 1.0f;
  const float fe = static_cast<float>(e);
  return (2.0f * s) * p + fe * 0.693147180559945309f;
}

// ---------------------------------------------------------------------------------------------
// Ziggurat tables, computed at compile time (double, then rounded once).
// ---------------------------------------------------------------------------------------------
namespace detail {
constexpr double cexp(double x) {
  // exp by halving the argument until small, Taylor series, then squaring back.
  int halvings = 0;
  while (x > 0.5 || x < -0.5) {
    x /= 2.0;
    ++halvings;
  }
  double term = 1.0, sum = 1.0;
  for (int n = 1; n < 30; ++n) {
    term *= x / n;
    sum += term;
  }
  for (int i = 0; i < halvings; ++i) sum *= sum;
  return sum;
}
constexpr double clog(double x) {
  // x = 2^e * m, m in [0.75, 1.5); log m = 2 atanh((m-1)/(m+1)).
  int e = 0;
  while (x >= 1.5) {
    x /= 2.0;
    ++e;
  }
  while (x < 0.75) {
    x *= 2.0;
    --e;
  }
  const double s = (x - 1.0) / (x + 1.0);
  double term = s, sum = 0.0;
  for (int n = 1; n < 80; n += 2) {
    sum += term / n;
    term *= s * s;
  }
  return 2.0 * sum + e * 0.693147180559945309417232;
}
constexpr double csqrt(double x) {
  if (x <= 0.0) return 0.0;
  double y = x > 1.0 ? x : 1.0;
  for (int i = 0; i < 200; ++i) {
    const double next = 0.5 * (y + x / y);
    if (next == y) break;
    y = next;
  }
  return y;
}

struct ZigguratTables {
  uint32_t k[128];  // acceptance thresholds on the 31-bit magnitude
  float w[128];     // magnitude -> x scale
  float f[128];     // exp(-x_i^2 / 2)
};

constexpr double kZigR = 3.442619855899;          // start of the tail
constexpr double kZigV = 9.91256303526217e-3;     // area of each layer
constexpr double kTwo31 = 2147483648.0;

constexpr ZigguratTables make_ziggurat() {
  ZigguratTables t{};
  double dn = kZigR, tn = kZigR;
  const double q = kZigV / cexp(-0.5 * dn * dn);
  t.k[0] = static_cast<uint32_t>((dn / q) * kTwo31);
  t.k[1] = 0;
  t.w[0] = static_cast<float>(q / kTwo31);
  t.w[127] = static_cast<float>(dn / kTwo31);
  t.f[0] = 1.0f;
  t.f[127] = static_cast<float>(cexp(-0.5 * dn * dn));
  for (int i = 126; i >= 1; --i) {
    dn = csqrt(-2.0 * clog(kZigV / dn + cexp(-0.5 * dn * dn)));
    t.k[i + 1] = static_cast<uint32_t>((dn / tn) * kTwo31);
    tn = dn;
    t.f[i] = static_cast<float>(cexp(-0.5 * dn * dn));
    t.w[i] = static_cast<float>(dn / kTwo31);
  }
  return t;
}

inline constexpr ZigguratTables kZiggurat = make_ziggurat();
}  // namespace detail

/// A standard normal variate for (seed, counter), from the ziggurat.
/// Uses words 1..3 of the Philox block; word 0 is left for the caller (e.g. a Bernoulli draw),
/// so one block yields a spike decision and a slab value. Rejections (about 1.2 %) draw further
/// blocks with the attempt number in the upper bits of the stream word.
inline float normal_from_block(uint64_t seed, Counter c, Block b) {
  const detail::ZigguratTables& z = detail::kZiggurat;
  for (uint32_t attempt = 1;; ++attempt) {
    const uint32_t mag = b.w[1] >> 1;          // 31-bit magnitude
    const bool negative = (b.w[1] & 1u) != 0;  // sign from an independent bit
    const uint32_t layer = b.w[2] & 127u;      // layer from an independent word
    const float x = static_cast<float>(mag) * z.w[layer];
    if (mag < z.k[layer]) return negative ? -x : x;
    if (layer == 0) {
      // Tail beyond r (Marsaglia 1964): x = -log(u1)/r, accept if -2 log(u2) > x^2.
      // Uses fresh blocks only, so the tail is independent of word 0 (the caller's Bernoulli).
      const float r = static_cast<float>(detail::kZigR);
      for (;;) {
        c.stream = (c.stream & 0xFFFFu) | (attempt++ << 16);
        b = random_block(seed, c);
        const float xt = -det_log(uniform_open0(b.w[1])) / r;
        const float yt = -det_log(uniform_open0(b.w[2]));
        if (yt + yt > xt * xt) return negative ? -(r + xt) : r + xt;
      }
    }
    // Wedge: accept with probability proportional to the density above the lower layer edge.
    const float fy = z.f[layer] + uniform01(b.w[3]) * (z.f[layer - 1] - z.f[layer]);
    if (fy < det_exp(-0.5f * x * x)) return negative ? -x : x;
    c.stream = (c.stream & 0xFFFFu) | (attempt << 16);
    b = random_block(seed, c);
  }
}

/// A standard normal variate for (seed, counter).
inline float normal(uint64_t seed, const Counter& c) {
  return normal_from_block(seed, c, random_block(seed, c));
}

/// One spike-and-slab draw (paper eq. 3): 0 with probability pi, else m + sqrt(xi) * eps.
/// `sd` is sqrt(xi), computed by the caller once per connection.
inline float sas_sample(uint64_t seed, const Counter& c, float pi, float m, float sd) {
  const Block b = random_block(seed, c);
  if (uniform01(b.w[0]) < pi) return 0.0f;
  if (sd == 0.0f) return m;
  return m + sd * normal_from_block(seed, c, b);
}

}  // namespace sasrnn
