#include "sasrnn/converter/model_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "sasrnn/msi.hpp"

namespace sasrnn::conv {

LayerData LayerData::zeros(uint32_t rows, uint32_t cols) {
  LayerData l;
  l.rows = rows;
  l.cols = cols;
  l.pi.assign(l.size(), 0.0f);
  l.m.assign(l.size(), 0.0f);
  l.xi.assign(l.size(), 0.0f);
  return l;
}

ModelData make_empty_model(uint32_t n, uint32_t n_in, uint32_t n_out) {
  ModelData d;
  d.n = n;
  d.n_in = n_in;
  d.n_out = n_out;
  d.input = LayerData::zeros(n, n_in);
  d.recurrent = LayerData::zeros(n, n);
  d.output = LayerData::zeros(n_out, n);
  const msi::Protocol p = msi::Protocol::reference_training();
  d.dynamics.alpha = p.alpha();
  d.dynamics.tau_ms = p.tau_ms;
  d.dynamics.dt_ms = p.dt_ms;
  d.dynamics.sigma_rec = 0.15f;
  d.dynamics.sigma_in = p.sigma_in;
  d.dynamics.baseline = p.baseline;
  return d;
}

void apply_msi_task(ModelData& model) {
  if (model.n_in != msi::kInputs || model.n_out != msi::kOutputs)
    throw std::invalid_argument("MSI models have 5 inputs and 2 outputs");
  model.task = TaskKind::MSI;
  // the trainer's protocol (trainer/msi_batch.hpp): one set of defaults for every model file
  const msi::Protocol train = msi::Protocol::reference_training();
  model.msi.fixation_ms = train.fixation_ms;
  model.msi.stimulus_ms = train.stimulus_ms;
  model.msi.decision_ms = train.decision_ms;
  model.msi.boundary = train.boundary;
  model.msi.rate_min = msi::rate_of(0);
  model.msi.rate_max = msi::rate_of(msi::kRates - 1);
  model.msi.target_hi = train.target_hi;
  model.msi.target_lo = train.target_lo;
  model.input_mask.assign(static_cast<size_t>(model.n) * model.n_in, 0);
  for (uint32_t i = 0; i < model.n; ++i)
    for (uint32_t j = 0; j < model.n_in; ++j) {
      const size_t k = static_cast<size_t>(i) * model.n_in + j;
      const bool on = msi::input_connected(static_cast<int>(i), static_cast<int>(j),
                                           static_cast<int>(model.n));
      model.input_mask[k] = on ? 1 : 0;
      if (!on) {
        model.input.pi[k] = 1.0f;
        model.input.m[k] = 0.0f;
        model.input.xi[k] = 0.0f;
      }
    }
}

AlignedBuffer::AlignedBuffer(size_t size) : size_(size) {
  const size_t rounded = (size + 15) / 16 * 16;
  // NOLINTNEXTLINE(cppcoreguidelines-no-malloc): aligned storage owned by data_, freed by Free
  data_.reset(static_cast<uint8_t*>(std::aligned_alloc(16, rounded == 0 ? 16 : rounded)));
  if (!data_) throw std::bad_alloc();
}

AlignedBuffer::AlignedBuffer(const uint8_t* data, size_t size) : AlignedBuffer(size) {
  if (size) std::memcpy(data_.get(), data, size);
}

void AlignedBuffer::Free::operator()(uint8_t* p) const { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc): aligned_alloc's pair

namespace {

void check_layer(const LayerData& l, uint32_t rows, uint32_t cols, const char* name) {
  if (l.rows != rows || l.cols != cols || l.pi.size() != l.size() || l.m.size() != l.size() ||
      l.xi.size() != l.size())
    throw std::invalid_argument(std::string(name) + " layer: expected " + std::to_string(rows) +
                                "x" + std::to_string(cols) + " arrays");
}

flatbuffers::Offset<fb::Layer> write_layer(flatbuffers::FlatBufferBuilder& fbb, const LayerData& l) {
  if (l.encoding.sparse && l.encoding.moments)
    throw std::invalid_argument("precomputed moments are for dense layers only (not with a sparse encoding)");
  if (!l.encoding.sparse && l.encoding.moments) {  // exactly what load() recomputes
    std::vector<float> mu(l.size()), var(l.size());
    for (size_t k = 0; k < l.size(); ++k) {
      mu[k] = dyn::sas_mean(l.pi[k], l.m[k]);
      var[k] = dyn::sas_var(l.pi[k], l.m[k], l.xi[k]);
    }
    return fb::CreateLayerDirect(fbb, l.rows, l.cols, &l.pi, &l.m, &l.xi, 0, &mu, &var);
  }
  if (!l.encoding.sparse) return fb::CreateLayerDirect(fbb, l.rows, l.cols, &l.pi, &l.m, &l.xi);
  const SparseData s = encode_sparse(l, l.encoding);
  const bool q8 = s.values == ValueType::Q8;
  const auto sparse = fb::CreateSparseLayerDirect(
      fbb, static_cast<fb::ValueType>(s.values), &s.present, &s.cls, &s.m_start, &s.pi_start,
      &s.xi_start, &s.pi, &s.m, &s.xi, q8 ? &s.m_scale : nullptr, q8 ? &s.xi_scale : nullptr);
  return fb::CreateLayer(fbb, l.rows, l.cols, 0, 0, 0, sparse);
}

LayerData read_layer(const LayerView& v) {
  LayerData l;
  l.rows = v.rows;
  l.cols = v.cols;
  const size_t count = l.size();
  if (!v.is_sparse) {
    l.pi.assign(v.pi, v.pi + count);
    l.m.assign(v.m, v.m + count);
    l.xi.assign(v.xi, v.xi + count);
    l.encoding.moments = v.has_moments();
    return l;
  }
  l.pi.resize(count);
  l.m.resize(count);
  l.xi.resize(count);
  sparse::decode_layer(v.sparse, v.rows, v.cols, l.pi.data(), l.m.data(), l.xi.data());
  l.encoding.sparse = true;
  l.encoding.values = v.sparse.type;
  return l;
}

std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

}  // namespace

namespace {

/// Writes the provenance table (shared by both kinds of model).
flatbuffers::Offset<fb::Provenance> write_provenance(flatbuffers::FlatBufferBuilder& fbb, const Provenance& pv) {
  std::vector<flatbuffers::Offset<fb::Metric>> metrics;
  for (const Metric& m : pv.metrics) metrics.push_back(fb::CreateMetricDirect(fbb, m.name.c_str(), m.value));
  // A known seed is written even when it is 0 (the field's default); no seed field = unknown.
  fbb.ForceDefaults(pv.seed.has_value());
  const auto provenance = fb::CreateProvenanceDirect(fbb, pv.trainer_version.c_str(), pv.seed.value_or(0),
                                                     pv.command.c_str(), pv.created.c_str(), &metrics);
  fbb.ForceDefaults(false);
  return provenance;
}

/// Finishes the buffer: its checksum (CRC-32C of the whole buffer while its own field holds 0,
/// docs/model-format.md) and the runtime's verdict (`verify` returns load()'s or ff::load()'s
/// status and fills its LoadDetail).
template <class Verify>
AlignedBuffer seal(flatbuffers::FlatBufferBuilder& fbb, Verify verify) {
  AlignedBuffer out(fbb.GetBufferPointer(), fbb.GetSize());
  const size_t at = sasrnn::detail::checksum_offset(out.data(), fb::GetModel(out.data()));
  if (at == 0) throw std::logic_error("build_model_file: the checksum field was not written");
  flatbuffers::WriteScalar<uint32_t>(out.data() + at, crc32c::compute(out.data(), out.size()));
  LoadDetail where;
  const Status s = verify(out, where);
  if (s != Status::Ok) {
    const std::string cause = describe_load_failure(s, where);
    throw ModelError(s, "refusing to write an invalid model: " + cause, cause);
  }
  return out;
}

AlignedBuffer build_feedforward_file(const ModelData& d) {
  if (d.layers.size() > static_cast<size_t>(ff::kMaxLayers))
    throw std::invalid_argument("a feedforward stack has at most " + std::to_string(ff::kMaxLayers) + " layers");
  size_t values = 0;
  for (size_t l = 0; l < d.layers.size(); ++l) {
    const LayerData& x = d.layers[l];
    check_layer(x, x.rows, x.cols, ("feedforward layer " + std::to_string(l)).c_str());
    if (l > 0 && x.cols != d.layers[l - 1].rows)
      throw std::invalid_argument("feedforward layer " + std::to_string(l) + " has " + std::to_string(x.cols) +
                                  " columns, but layer " + std::to_string(l - 1) + " has " +
                                  std::to_string(d.layers[l - 1].rows) + " rows");
    values += x.size();
  }
  flatbuffers::FlatBufferBuilder fbb(1024 + 12 * values);
  std::vector<flatbuffers::Offset<fb::Layer>> layers;
  for (const LayerData& x : d.layers) layers.push_back(write_layer(fbb, x));
  const auto stack = fbb.CreateVector(layers);
  const auto task = fb::CreateTask(fbb, static_cast<fb::TaskKind>(d.task));
  const auto provenance = write_provenance(fbb, d.provenance);
  const auto name = fbb.CreateString(d.name);
  fb::ModelBuilder b(fbb);
  b.add_format_version(kFormatVersionFeedforward);
  b.add_n_in(d.layers.front().cols);
  b.add_n_out(d.layers.back().rows);
  b.add_task(task);
  b.add_provenance(provenance);
  b.add_name(name);
  b.add_checksum(0u);
  b.add_layers(stack);
  fb::FinishModelBuffer(fbb, b.Finish());
  return seal(fbb, [](const AlignedBuffer& out, LoadDetail& where) {
    ff::ModelView view;
    return ff::load(out.data(), out.size(), view, &where);
  });
}

}  // namespace

AlignedBuffer build_model_file(const ModelData& d) {
  if (d.feedforward()) return build_feedforward_file(d);
  check_layer(d.input, d.n, d.n_in, "input");
  check_layer(d.recurrent, d.n, d.n, "recurrent");
  check_layer(d.output, d.n_out, d.n, "output");
  if (!d.input_mask.empty() && d.input_mask.size() != static_cast<size_t>(d.n) * d.n_in)
    throw std::invalid_argument("input mask: expected N x NIn entries");

  flatbuffers::FlatBufferBuilder fbb(1024 + 12 * (d.input.size() + d.recurrent.size() + d.output.size()));
  const auto input = write_layer(fbb, d.input);
  const auto recurrent = write_layer(fbb, d.recurrent);
  const auto output = write_layer(fbb, d.output);
  const DynamicsView& y = d.dynamics;
  const auto dynamics = fb::CreateDynamics(fbb, y.alpha, y.tau_ms, y.dt_ms, y.sigma_rec, y.sigma_in,
                                           y.baseline, static_cast<fb::Activation>(y.activation),
                                           static_cast<fb::Readout>(y.readout));
  const auto mask = d.input_mask.empty() ? 0 : fbb.CreateVector(d.input_mask);
  flatbuffers::Offset<fb::MsiParams> msi_params = 0;
  if (d.task == TaskKind::MSI) {
    const MsiParamsView& p = d.msi;
    msi_params = fb::CreateMsiParams(fbb, p.fixation_ms, p.stimulus_ms, p.decision_ms, p.boundary,
                                     p.rate_min, p.rate_max, p.target_hi, p.target_lo);
  }
  const auto task = fb::CreateTask(fbb, static_cast<fb::TaskKind>(d.task), msi_params);
  const auto provenance = write_provenance(fbb, d.provenance);
  const auto name = fbb.CreateString(d.name);
  bool v2 = false;  // version 2 features: sparse layers, precomputed moments
  for (const LayerData* l : {&d.input, &d.recurrent, &d.output})
    v2 = v2 || l->encoding.sparse || l->encoding.moments;
  const auto root = fb::CreateModel(fbb, v2 ? kFormatVersion : kFormatVersionDense, d.n, d.n_in, d.n_out, input, recurrent,
                                    output, dynamics, mask, task, provenance, name,
                                    /*checksum=*/0u);
  fb::FinishModelBuffer(fbb, root);
  return seal(fbb, [](const AlignedBuffer& out, LoadDetail& where) {
    ModelView view;
    return load(out.data(), out.size(), view, &where);
  });
}

std::string describe_load_failure(Status s, const LoadDetail& w) {
  const auto num = [](float v) {
    char buf[40];
    (void)std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));  // 40 bytes hold any %.9g
    return std::string(buf);
  };
  std::string rule = std::string(", expected ") + w.expected;
  if (w.has_limit) rule += " " + num(w.limit);
  std::string text;
  const std::string field = w.field != nullptr ? w.field : "";
  switch (w.kind) {
    case LoadDetail::Kind::File: text = status_message(s); break;
    case LoadDetail::Kind::Field: text = field + ": " + status_message(s); break;
    case LoadDetail::Kind::Scalar: text = field + " is " + num(w.value) + rule; break;
    case LoadDetail::Kind::Element:
      text = "array '" + field + "' has " + num(w.value) + " at (" + std::to_string(w.row) + ", " +
             std::to_string(w.col) + ")" + rule;
      break;
    case LoadDetail::Kind::Row:
      text = "row " + std::to_string(w.row) + " of " + field + " has " + num(w.value) + rule;
      break;
  }
  return text + " [" + status_name(s) + "]";
}

namespace {

void read_provenance(const fb::Model* root, ModelData& d) {
  d.name = str(root->name());
  if (const fb::Provenance* p = root->provenance()) {
    d.provenance.trainer_version = str(p->trainer_version());
    if (flatbuffers::IsFieldPresent(p, fb::Provenance::VT_SEED)) d.provenance.seed = p->seed();
    d.provenance.command = str(p->command());
    d.provenance.created = str(p->created());
    if (p->metrics())
      for (const fb::Metric* m : *p->metrics())
        if (m) d.provenance.metrics.push_back(Metric{str(m->name()), m->value()});
  }
}

ModelData read_feedforward(const uint8_t* data, size_t size) {
  ff::ModelView v;
  LoadDetail where;
  const Status s = ff::load(data, size, v, &where);
  if (s != Status::Ok) throw ModelError(s, describe_load_failure(s, where));
  ModelData d;
  d.n_in = v.n_in;
  d.n_out = v.n_out;
  for (uint32_t l = 0; l < v.n_layers; ++l) d.layers.push_back(read_layer(v.layers[l]));
  d.task = v.task;
  read_provenance(v.root, d);
  return d;
}

}  // namespace

bool is_feedforward(const uint8_t* data, size_t size) {
  const fb::Model* root = nullptr;
  bool verified = false;
  return sasrnn::detail::open_model(data, size, root, verified) == Status::Ok &&
         root->format_version() == kFormatVersionFeedforward;
}

ModelData read_model(const uint8_t* data, size_t size) {
  if (is_feedforward(data, size)) return read_feedforward(data, size);
  ModelView v;
  LoadDetail where;
  const Status s = load(data, size, v, &where);
  if (s != Status::Ok) throw ModelError(s, describe_load_failure(s, where));
  ModelData d;
  d.n = v.n;
  d.n_in = v.n_in;
  d.n_out = v.n_out;
  d.input = read_layer(v.input);
  d.recurrent = read_layer(v.recurrent);
  d.output = read_layer(v.output);
  d.dynamics = v.dynamics;
  if (v.input_mask) d.input_mask.assign(v.input_mask, v.input_mask + static_cast<size_t>(v.n) * v.n_in);
  d.task = v.task;
  d.msi = v.msi;
  read_provenance(v.root, d);
  return d;
}

namespace {

std::string errno_text() { return std::strerror(errno); }

/// A temporary file next to `path` (same directory, so the rename stays on one file system),
/// created new (O_EXCL, mode 0666 less the umask, as an ordinary new file) and opened for writing;
/// returns its descriptor and sets `tmp` to its name.
int open_temporary(const std::string& path, std::string& tmp) {
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0;; ++attempt) {
    tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST || attempt > 100)
      throw std::runtime_error(path + ": cannot write (" + errno_text() + ")");
  }
}

/// Writes all bytes to `fd` and flushes them to disk; closes it. Returns 0 or the errno.
int write_all_and_close(int fd, const char* data, size_t size) {
  int error = 0;
  while (size > 0 && error == 0) {
    const ssize_t k = ::write(fd, data, size);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      error = k < 0 ? errno : EIO;
      break;
    }
    data += k;
    size -= static_cast<size_t>(k);
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  return error;
}

/// Writes `bytes` into a new temporary next to `path`; returns its name.
std::string write_temporary(const std::string& path, const std::string& bytes) {
  std::string tmp;
  const int fd = open_temporary(path, tmp);
  const int error = write_all_and_close(fd, bytes.data(), bytes.size());
  if (error != 0) {
    (void)std::remove(tmp.c_str());  // best effort: the write's error is the one to report
    throw std::runtime_error(path + ": write failed (" + std::strerror(error) + ")");
  }
  return tmp;
}

}  // namespace

AlignedBuffer read_file(const std::string& path, size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open (" + errno_text() + ")");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
    Closer(const Closer&) = delete;
    Closer& operator=(const Closer&) = delete;
    Closer(Closer&&) = delete;
    Closer& operator=(Closer&&) = delete;
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw std::runtime_error(path + ": cannot open (" + errno_text() + ")");
  if (S_ISDIR(st.st_mode)) throw std::runtime_error(path + ": is a directory, not a file");
  const std::string too_large = path + ": larger than " + std::to_string(limit >> 20) +
                                " MiB, the most the tools read; not a model file";
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > limit)
    throw std::runtime_error(too_large);
  // Read in pieces up to the limit (a device or a pipe has no size: /dev/zero never ends).
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> piece(size_t{1} << 16);
  for (;;) {
    const ssize_t k = ::read(fd, piece.data(), piece.size());
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) throw std::runtime_error(path + ": read error (" + errno_text() + ")");
    if (k == 0) break;
    if (bytes.size() + static_cast<size_t>(k) > limit) throw std::runtime_error(too_large);
    bytes.insert(bytes.end(), piece.begin(), piece.begin() + k);
  }
  return AlignedBuffer(bytes.data(), bytes.size());
}

void write_file(const std::string& path, const uint8_t* data, size_t size) {
  write_files({{path, std::string(reinterpret_cast<const char*>(data), size)}});
}

void write_files(const std::vector<std::pair<std::string, std::string>>& path_and_bytes) {
  std::vector<std::string> tmps;
  try {
    for (const auto& [path, bytes] : path_and_bytes) tmps.push_back(write_temporary(path, bytes));
  } catch (...) {
    for (const std::string& t : tmps) (void)std::remove(t.c_str());  // best effort, then rethrow
    throw;
  }
  for (size_t k = 0; k < tmps.size(); ++k) {
    const std::string& path = path_and_bytes[k].first;
    if (std::rename(tmps[k].c_str(), path.c_str()) != 0) {
      const std::string why = errno_text();
      for (size_t j = k; j < tmps.size(); ++j) (void)std::remove(tmps[j].c_str());  // best effort
      // NOLINTNEXTLINE(performance-inefficient-string-concatenation): once, on the way out
      throw std::runtime_error(path + ": cannot replace (" + why + ")");
    }
  }
}

void check_output(const std::string& path, bool replace) {
  if (path.empty()) throw std::runtime_error("an output file name is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw std::runtime_error(path + ": is a directory, not a file");
    if (!replace) throw std::runtime_error(path + " exists (pass --force to replace it)");
  }
  // the directory must take a new file (the temporary of write_file)
  std::string tmp;
  const int fd = open_temporary(path, tmp);
  ::close(fd);
  (void)std::remove(tmp.c_str());  // an empty probe file; failing to remove it changes no result
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ea, eb;
  const std::filesystem::path pa = std::filesystem::weakly_canonical(a, ea);
  const std::filesystem::path pb = std::filesystem::weakly_canonical(b, eb);
  if (ea || eb) return a == b;
  return pa == pb;
}

ModelData with_encoding(ModelData model, const LayerEncoding& encoding) {
  model.input.encoding = model.recurrent.encoding = model.output.encoding = encoding;
  for (LayerData& l : model.layers) l.encoding = encoding;
  return model;
}

std::pair<AlignedBuffer, ModelView> load_model_file(const std::string& path) {
  AlignedBuffer buf = read_file(path);
  ModelView view;
  LoadDetail where;
  const Status s = load(buf.data(), buf.size(), view, &where);
  if (s != Status::Ok) {
    const std::string cause = describe_load_failure(s, where);
    throw ModelError(s, path + ": " + cause, cause);
  }
  return {std::move(buf), view};
}

std::pair<AlignedBuffer, ff::ModelView> load_ff_model_file(const std::string& path) {
  AlignedBuffer buf = read_file(path);
  ff::ModelView view;
  LoadDetail where;
  const Status s = ff::load(buf.data(), buf.size(), view, &where);
  if (s != Status::Ok) {
    const std::string cause = describe_load_failure(s, where);
    throw ModelError(s, path + ": " + cause, cause);
  }
  return {std::move(buf), view};
}

}  // namespace sasrnn::conv
