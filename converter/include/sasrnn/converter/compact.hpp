// Compact encodings of a layer (format version 2, runtime/include/sasrnn/sparse.hpp): pruning of
// the paper's unimportant connections, connection classes, f16 and 8-bit values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sasrnn/model.hpp"
#include "sasrnn/sparse.hpp"

namespace sasrnn::conv {

struct LayerData;

/// How a layer is written. The default is the dense f32 layout of format version 1.
struct LayerEncoding {
  bool sparse = false;                 ///< stored by connection class (format version 2)
  ValueType values = ValueType::F32;   ///< value storage of a sparse layer
  float prune = 1.0f;    ///< connections with pi >= prune are dropped (absent, pi = 1)
  float pi_zero = 0.0f;  ///< pi <= pi_zero is stored as 0: no Bernoulli part
  float xi_zero = 0.0f;  ///< xi <= xi_zero is stored as 0: no Gaussian part
  /// A dense layer also stores its moments mu and var (format version 2): MeanField and
  /// MeanWeights read two arrays instead of three, with the same results bit for bit. Dense only.
  bool moments = false;

  bool operator==(const LayerEncoding& o) const {
    return sparse == o.sparse && values == o.values && prune == o.prune && pi_zero == o.pi_zero &&
           xi_zero == o.xi_zero && moments == o.moments;
  }
  /// "dense f32", "dense f32 + moments", "sparse q8 (prune pi>=0.9, pi<=0.01 -> 0, xi<=1e-05 -> 0)", ...
  std::string describe() const;
};

/// Named encodings of `sasrnn convert --encoding`:
///   dense       dense f32 (format version 1), the trainer's output
///   dense-moments  dense f32 plus the precomputed moments mu and var (format version 2):
///               bit for bit the same results, faster MeanField/MeanWeights, 20 instead of 12 bytes
///               per connection
///   sparse-f32  classes and absent connections (pi = 1) dropped, values exact: lossless
///   f16         as sparse-f32 with IEEE half values
///   q8          as sparse-f32 with 8-bit values (pi / 255, m and xi with a scale per row)
///   compact     q8, connections with pi >= 0.9 pruned (the paper's unimportant weights),
///               pi <= 0.01 -> 0 and xi <= 1e-5 -> 0 (fewer values and fewer draws)
/// Throws std::invalid_argument for an unknown name.
LayerEncoding encoding_preset(const std::string& name);
/// The preset names, for messages and --help.
const std::vector<std::string>& encoding_names();

/// The encoded arrays of one sparse layer, as in the schema's SparseLayer table.
struct SparseData {
  ValueType values = ValueType::F32;
  std::vector<uint8_t> present, cls;
  std::vector<uint32_t> m_start, pi_start, xi_start;
  std::vector<uint8_t> pi, m, xi;
  std::vector<float> m_scale, xi_scale;
  uint32_t stored = 0;
  uint32_t count[4] = {0, 0, 0, 0};  ///< stored connections per class
};

/// Encodes a layer (its pi, m, xi) as a sparse layer. Throws std::invalid_argument for
/// thresholds outside [0, 1] (prune, pi_zero) or negative xi_zero, and for values that the
/// value type cannot hold (|m| or xi above the f16 range).
SparseData encode_sparse(const LayerData& layer, const LayerEncoding& enc);

/// The stored connections of a layer as the runtime reads it, by class. A dense layer stores
/// every position (its classes are not counted).
struct StoredCounts {
  uint64_t positions = 0;
  uint64_t stored = 0;
  uint64_t by_class[4] = {0, 0, 0, 0};
  StoredCounts& operator+=(const StoredCounts& o);
  /// "18181 of 22500 stored (constant 830, Bernoulli 1339, Gaussian 6191, full 9821)"
  std::string describe() const;
};
StoredCounts stored_counts(const LayerView& layer);

/// IEEE binary32 -> binary16, round to nearest even (the inverse of sparse::half_to_float on
/// every half value). Values beyond the half range become +-inf.
uint16_t float_to_half(float f);

}  // namespace sasrnn::conv
