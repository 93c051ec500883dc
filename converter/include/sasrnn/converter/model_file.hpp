// Host-side model files: build a .sasrnn FlatBuffer from in-memory arrays, read one back, and
// file I/O with 16-byte aligned buffers. Used by the trainer, the CLI and the tests.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sasrnn/converter/compact.hpp"
#include "sasrnn/model.hpp"

namespace sasrnn::conv {

/// A layer's hyperparameters, row-major rows x cols, (i, j) = from j to i, always dense f32 in
/// memory (a sparse layer read from a file is decoded: absent connections have pi = 1, m = xi = 0).
/// `encoding` says how build_model_file() writes it; read_model() sets it from the file (its
/// thresholds are not stored, so they read back as 1 / 0 / 0).
struct LayerData {
  uint32_t rows = 0;
  uint32_t cols = 0;
  std::vector<float> pi, m, xi;
  LayerEncoding encoding;

  static LayerData zeros(uint32_t rows, uint32_t cols);
  size_t size() const { return static_cast<size_t>(rows) * cols; }
};

struct Metric {
  std::string name;
  double value = 0;
};

struct Provenance {
  std::string trainer_version;
  std::optional<uint64_t> seed;  ///< training seed; empty: unknown (a file without one)
  std::string command;
  std::string created;
  std::vector<Metric> metrics;
};

/// Everything a model file holds, as plain host data.
struct ModelData {
  std::string name;
  uint32_t n = 0, n_in = 0, n_out = 0;
  LayerData input, recurrent, output;
  DynamicsView dynamics;
  std::vector<uint8_t> input_mask;  ///< N x NIn or empty
  TaskKind task = TaskKind::None;
  MsiParamsView msi;
  Provenance provenance;
};

/// A model's layers sized for (n, n_in, n_out), all zero; dynamics of the MSI task defaults.
ModelData make_empty_model(uint32_t n, uint32_t n_in, uint32_t n_out);

/// Applies the MSI task metadata and input wiring (docs/method.md, MSI task) to a 5-input, 2-output model:
/// sets the mask and pi_in = 1 on masked connections.
void apply_msi_task(ModelData& model);

/// An error with the runtime's status, for host tools.
class ModelError : public std::runtime_error {
 public:
  ModelError(Status s, const std::string& what) : std::runtime_error(what), status(s) {}
  Status status;
};

/// 16-byte aligned bytes (what load() requires).
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t size);
  AlignedBuffer(const uint8_t* data, size_t size);
  const uint8_t* data() const { return data_.get(); }
  uint8_t* data() { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
};

/// Serialises a model, each layer in its `encoding` (format version 2 if a layer is sparse or has
/// moments, else 1).
/// Throws std::invalid_argument if shapes are inconsistent or an encoding is invalid.
/// The result is verified with the runtime's load() before it is returned.
AlignedBuffer build_model_file(const ModelData& model);

/// Reads a model back from a buffer (sparse layers decoded with the runtime's own decoder);
/// throws ModelError with the runtime's status if invalid.
ModelData read_model(const uint8_t* data, size_t size);

/// Reads a whole file into an aligned buffer; throws std::runtime_error with a one-line cause.
AlignedBuffer read_file(const std::string& path);
/// Writes bytes to a file (via a temporary and rename, so a failure never leaves half a file).
void write_file(const std::string& path, const uint8_t* data, size_t size);

/// `model` with every layer set to `encoding`.
ModelData with_encoding(ModelData model, const LayerEncoding& encoding);

/// Loads and verifies a model file; throws ModelError ("PATH: message") if invalid.
std::pair<AlignedBuffer, ModelView> load_model_file(const std::string& path);

}  // namespace sasrnn::conv
