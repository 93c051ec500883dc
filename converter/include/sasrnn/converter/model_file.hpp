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
#include "sasrnn/feedforward/model.hpp"
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

/// Everything a model file holds, as plain host data: a recurrent network (input, recurrent,
/// output, dynamics), or a feedforward stack (`layers` not empty, format version 3; n = 0, n_in
/// and n_out the stack's ends, the recurrent fields unused).
struct ModelData {
  std::string name;
  uint32_t n = 0, n_in = 0, n_out = 0;
  LayerData input, recurrent, output;
  std::vector<LayerData> layers;  ///< a feedforward stack, layer l's cols = layer l - 1's rows
  bool feedforward() const { return !layers.empty(); }
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
  ModelError(Status s, const std::string& what) : std::runtime_error(what), status(s), cause(what) {}
  ModelError(Status s, const std::string& what, const std::string& why)
      : std::runtime_error(what), status(s), cause(why) {}
  Status status;
  std::string cause;  ///< what the runtime found (describe_load_failure()), without a path or prefix
};

/// One line naming what load() found invalid, from its Status and LoadDetail: "array 'pi_rec'
/// has 1.5 at (2, 5), expected in [0, 1] [PiOutOfRange]", "alpha is 0.3, expected dt_ms / tau_ms
/// ... = 0.2 [AlphaMismatch]", or the status's message for the file as a whole. The rules
/// themselves are the runtime's (model.hpp); this only words them.
std::string describe_load_failure(Status s, const LoadDetail& where);

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

/// Serialises a model, each layer in its `encoding` (a recurrent model: format version 2 if a
/// layer is sparse or has moments, else 1; a feedforward stack: version 3).
/// Throws std::invalid_argument if shapes are inconsistent or an encoding is invalid.
/// The result is verified with the runtime's load() before it is returned.
AlignedBuffer build_model_file(const ModelData& model);

/// Reads a model back from a buffer (sparse layers decoded with the runtime's own decoder);
/// throws ModelError with the runtime's status if invalid.
ModelData read_model(const uint8_t* data, size_t size);

/// The most bytes read_file() reads: a model of the host tools' largest size (N = NIn = 1024) is
/// about 100 MB even as .json; anything larger (or endless, such as /dev/zero) is refused.
constexpr size_t kMaxFileBytes = size_t{128} << 20;

/// Reads a whole file (at most `limit` bytes) into an aligned buffer; throws std::runtime_error
/// with a one-line cause that names the path (missing, a directory, too large, a read error).
AlignedBuffer read_file(const std::string& path, size_t limit = kMaxFileBytes);
/// Writes bytes to a file atomically: a temporary file in the same directory (unique name),
/// flushed to disk (fsync, so that the rename never exposes a file whose data is not on disk), then
/// renamed over `path`; on any failure the temporary is removed and `path` is untouched. A process
/// killed at any moment (or a power loss) leaves the old file or the new one.
void write_file(const std::string& path, const uint8_t* data, size_t size);
/// Several files replaced together: every temporary is written first, then all are renamed, so a
/// failure while writing leaves every old file (and no temporary) behind.
void write_files(const std::vector<std::pair<std::string, std::string>>& path_and_bytes);

/// Checks, before any work, that `path` can be written as an output: not a directory, its
/// directory exists and is writable (probed with a temporary file), and it does not exist unless
/// `replace` (else "PATH exists (pass --force to replace it)"). Throws std::runtime_error.
void check_output(const std::string& path, bool replace);
/// Whether two paths name the same file (also when neither exists yet).
bool same_file(const std::string& a, const std::string& b);

/// `model` with every layer set to `encoding`.
ModelData with_encoding(ModelData model, const LayerEncoding& encoding);

/// Loads and verifies a model file; throws ModelError ("PATH: message") if invalid.
std::pair<AlignedBuffer, ModelView> load_model_file(const std::string& path);
/// The same for a feedforward stack (ff::load()).
std::pair<AlignedBuffer, ff::ModelView> load_ff_model_file(const std::string& path);
/// Whether the file at `data` is a feedforward stack (format version 3), judged by the header
/// alone (false for anything that is not a readable model); the loaders then judge the rest.
bool is_feedforward(const uint8_t* data, size_t size);

}  // namespace sasrnn::conv
