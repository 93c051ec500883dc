#include "sasrnn/converter/compact.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "sasrnn/converter/model_file.hpp"

namespace sasrnn::conv {

std::string LayerEncoding::describe() const {
  if (!sparse) return moments ? "dense f32 + moments" : "dense f32";
  std::ostringstream s;
  s << "sparse " << value_type_name(values);
  if (prune < 1.0f || pi_zero > 0.0f || xi_zero > 0.0f) {
    s << " (";
    const char* sep = "";
    if (prune < 1.0f) {
      s << "pruned pi>=" << prune;
      sep = ", ";
    }
    if (pi_zero > 0.0f) {
      s << sep << "pi<=" << pi_zero << " -> 0";
      sep = ", ";
    }
    if (xi_zero > 0.0f) s << sep << "xi<=" << xi_zero << " -> 0";
    s << ")";
  }
  return s.str();
}

const std::vector<std::string>& encoding_names() {
  static const std::vector<std::string> names{"dense", "dense-moments", "sparse-f32", "f16", "q8", "compact"};
  return names;
}

LayerEncoding encoding_preset(const std::string& name) {
  LayerEncoding e;
  if (name == "dense") return e;
  if (name == "dense-moments") {
    e.moments = true;
    return e;
  }
  e.sparse = true;
  if (name == "sparse-f32") return e;
  if (name == "f16") {
    e.values = ValueType::F16;
    return e;
  }
  e.values = ValueType::Q8;
  if (name == "q8") return e;
  if (name == "compact") {
    e.prune = 0.9f;
    e.pi_zero = 0.01f;
    e.xi_zero = 1e-5f;
    return e;
  }
  std::string list;
  for (const std::string& n : encoding_names()) list += (list.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown encoding '" + name + "' (one of: " + list + ")");
}

StoredCounts& StoredCounts::operator+=(const StoredCounts& o) {
  positions += o.positions;
  stored += o.stored;
  for (int c = 0; c < 4; ++c) by_class[c] += o.by_class[c];
  return *this;
}

std::string StoredCounts::describe() const {
  return std::to_string(stored) + " of " + std::to_string(positions) + " stored (constant " +
         std::to_string(by_class[kConstant]) + ", Bernoulli " + std::to_string(by_class[kBernoulli]) +
         ", Gaussian " + std::to_string(by_class[kGaussian]) + ", full " + std::to_string(by_class[kFull]) +
         ")";
}

StoredCounts stored_counts(const LayerView& l) {
  StoredCounts c;
  c.positions = static_cast<uint64_t>(l.rows) * l.cols;
  if (!l.is_sparse) {
    c.stored = c.positions;
    return c;
  }
  c.stored = l.sparse.m_start[l.rows];
  for (uint64_t k = 0; k < c.stored; ++k) ++c.by_class[sparse::class_of(l.sparse.cls, static_cast<uint32_t>(k))];
  return c;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t exponent = (x >> 23) & 0xFFu;
  const uint32_t mantissa = x & 0x7FFFFFu;
  if (exponent == 0xFFu)  // inf or NaN (quiet)
    return static_cast<uint16_t>(sign | 0x7C00u | (mantissa ? 0x200u : 0u));
  const int e = static_cast<int>(exponent) - 127 + 15;
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7C00u);  // overflow
  if (e <= 0) {  // subnormal half (or zero): round mantissa * 2^(e-1) to a multiple of 2^-24
    if (e < -10) return sign;  // below half the smallest subnormal
    const uint32_t m = mantissa | 0x800000u;
    const int shift = 14 - e;  // 24-bit significand -> units of 2^-24
    uint32_t q = m >> shift;
    const uint32_t rest = m & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (q & 1u))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  uint32_t h = (static_cast<uint32_t>(e) << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // may carry into the exponent: fine
  return static_cast<uint16_t>(sign | h);
}

namespace {

/// Appends v in f32 or f16; `what` names it in the error for a value beyond the f16 range.
void put_value(std::vector<uint8_t>& out, ValueType t, float v, const char* what) {
  switch (t) {
    case ValueType::F32: {
      uint8_t b[4];
      std::memcpy(b, &v, 4);
      out.insert(out.end(), b, b + 4);
      return;
    }
    case ValueType::F16: {
      if (std::fabs(v) > 65504.0f) throw std::invalid_argument(std::string(what) + " exceeds the f16 range");
      const uint16_t h = float_to_half(v);
      out.push_back(static_cast<uint8_t>(h & 0xFFu));
      out.push_back(static_cast<uint8_t>(h >> 8));
      return;
    }
    case ValueType::Q8: break;
  }
  throw std::logic_error("put_value: q8 values are written by the caller");
}

uint8_t quantise(float v, float scale, int lo, int hi) {
  const long q = scale > 0.0f ? std::lround(static_cast<double>(v) / scale) : 0;
  return static_cast<uint8_t>(static_cast<int>(std::clamp<long>(q, lo, hi)) & 0xFF);
}

}  // namespace

SparseData encode_sparse(const LayerData& l, const LayerEncoding& enc) {
  if (!(enc.prune >= 0.0f && enc.prune <= 1.0f))
    throw std::invalid_argument("prune threshold must lie in [0, 1]");
  if (!(enc.pi_zero >= 0.0f && enc.pi_zero < 1.0f))
    throw std::invalid_argument("pi-zero threshold must lie in [0, 1)");
  if (!(enc.xi_zero >= 0.0f && std::isfinite(enc.xi_zero)))
    throw std::invalid_argument("xi-zero threshold must be finite and >= 0");
  SparseData s;
  s.values = enc.values;
  const size_t count = l.size();
  s.present.assign((count + 7) / 8, 0);
  s.m_start.push_back(0);
  s.pi_start.push_back(0);
  s.xi_start.push_back(0);
  const bool q8 = enc.values == ValueType::Q8;
  std::vector<float> row_pi, row_m, row_xi;  // values of one row, in stored order
  for (uint32_t i = 0; i < l.rows; ++i) {
    row_pi.clear();
    row_m.clear();
    row_xi.clear();
    for (uint32_t j = 0; j < l.cols; ++j) {
      const size_t k = static_cast<size_t>(i) * l.cols + j;
      const float pi = l.pi[k];
      if (pi >= enc.prune || pi == 1.0f) continue;  // absent: w = 0 always
      s.present[k / 8] = static_cast<uint8_t>(s.present[k / 8] | (1u << (k % 8)));
      const uint32_t c = (pi > enc.pi_zero ? kHasPi : 0u) | (l.xi[k] > enc.xi_zero ? kHasXi : 0u);
      s.cls.resize(s.stored / 4 + 1, 0);
      s.cls[s.stored / 4] = static_cast<uint8_t>(s.cls[s.stored / 4] | (c << (2 * (s.stored % 4))));
      ++s.count[c];
      ++s.stored;
      row_m.push_back(l.m[k]);
      if (c & kHasPi) row_pi.push_back(pi);
      if (c & kHasXi) row_xi.push_back(l.xi[k]);
    }
    if (q8) {
      float m_max = 0.0f, xi_max = 0.0f;
      for (float m : row_m) m_max = std::max(m_max, std::fabs(m));
      for (float xi : row_xi) xi_max = std::max(xi_max, xi);
      const float m_scale = m_max / 127.0f, xi_scale = xi_max / 255.0f;
      s.m_scale.push_back(m_scale);
      s.xi_scale.push_back(xi_scale);
      for (float pi : row_pi) s.pi.push_back(quantise(pi, 1.0f / 255.0f, 0, 255));
      for (float m : row_m) s.m.push_back(quantise(m, m_scale, -127, 127));
      for (float xi : row_xi) s.xi.push_back(quantise(xi, xi_scale, 0, 255));
    } else {
      for (float pi : row_pi) put_value(s.pi, enc.values, pi, "a spike probability pi");
      for (float m : row_m) put_value(s.m, enc.values, m, "a slab mean m");
      for (float xi : row_xi) put_value(s.xi, enc.values, xi, "a slab variance xi");
    }
    s.m_start.push_back(s.stored);
    s.pi_start.push_back(s.pi_start.back() + static_cast<uint32_t>(row_pi.size()));
    s.xi_start.push_back(s.xi_start.back() + static_cast<uint32_t>(row_xi.size()));
  }
  s.cls.resize((s.stored + 3) / 4, 0);
  return s;
}

}  // namespace sasrnn::conv
