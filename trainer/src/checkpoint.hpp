// The checkpoint file both trainers write (the recurrent Trainer, trainer.cpp; the feedforward
// ff::Trainer, ff_trainer.cpp): magic "SASRCKPT", a version, a JSON header (the run's identity,
// epoch, history, model selection) and the arrays in double, in an order each trainer fixes.
// Reading is bounded by the file's size at every step and names what is wrong in one line, so
// that no JSON-library message or out-of-range read reaches the user (tests/fuzz/checkpoint).
// Internal to the trainer library.
#pragma once

#include <sys/stat.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/trainer/mean_field.hpp"

namespace sasrnn::train::ckpt {

constexpr char kMagic[8] = {'S', 'A', 'S', 'R', 'C', 'K', 'P', 'T'};
constexpr int64_t kMaxEpochs = 100000000;  // the most `sasrnn train --epochs` accepts

/// The start of a checkpoint: magic, version, the header's length and the header.
inline void write_head(std::ostream& o, uint32_t version, const nlohmann::json& head) {
  o.write(kMagic, sizeof kMagic);
  o.write(reinterpret_cast<const char*>(&version), sizeof version);
  const std::string h = head.dump();
  const uint64_t len = h.size();
  o.write(reinterpret_cast<const char*>(&len), sizeof len);
  o.write(h.data(), static_cast<std::streamsize>(len));
}

/// The header's array "validation": the score of each epoch of `history`, null where it was not
/// validated (NaN); Reader::validation reads it back.
template <class Stats>
nlohmann::json validation_json(const std::vector<Stats>& history) {
  nlohmann::json v = nlohmann::json::array();
  for (const Stats& s : history) v.push_back(std::isnan(s.validation) ? nlohmann::json() : nlohmann::json(s.validation));
  return v;
}

/// A checkpoint file's bytes: a regular file (not a directory, not a device such as /dev/zero),
/// read whole with a bounded size (conv::read_file), so every read of Reader is bounded by it.
inline conv::AlignedBuffer read_checkpoint_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw std::runtime_error(path + ": not a regular file, so not a checkpoint");
  return conv::read_file(path, size_t{1} << 31);
}

/// Writes a checkpoint's bytes atomically (conv::write_file).
inline void write_checkpoint_file(const std::string& path, const std::string& bytes) {
  conv::write_file(path, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

/// One array: its two dimensions, then its values.
inline void write_mat(std::ostream& o, const Mat<double>& a) {
  const int64_t dims[2] = {a.rows(), a.cols()};
  o.write(reinterpret_cast<const char*>(dims), sizeof dims);
  o.write(reinterpret_cast<const char*>(a.data()), static_cast<std::streamsize>(a.size() * sizeof(double)));
}

/// The differences between a checkpoint's identity and the current one, "key A (now B), ...";
/// keys absent from the stored identity count only from version `complete_from` on (older
/// checkpoints are compared on the keys they have).
inline std::string identity_changes(const nlohmann::json& stored, const nlohmann::json& now, uint32_t version,
                                    uint32_t complete_from) {
  std::string changes;
  const auto note = [&](const std::string& key, const std::string& was, const std::string& is) {
    changes += (changes.empty() ? "" : ", ") + key + " " + was + " (now " + is + ")";
  };
  for (const auto& [key, value] : now.items()) {
    const auto it = stored.find(key);
    if (it == stored.end()) {
      if (version >= complete_from) note(key, "absent", value.dump());
    } else if (*it != value) {
      note(key, it->dump(), value.dump());
    }
  }
  for (const auto& [key, value] : stored.items())
    if (!now.contains(key)) note(key, value.dump(), "absent");
  return changes;
}

/// Reads a checkpoint's bytes in order; every read is bounded by the file's size.
struct Reader {
  const std::string& path;
  const uint8_t* data;
  size_t size;
  size_t at = 0;
  nlohmann::json head;
  uint32_t version = 0;

  Reader(const std::string& p, const uint8_t* d, size_t n) : path(p), data(d), size(n) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error(path + ": not a usable checkpoint: " + why);
  }
  void bytes(void* out, size_t n, const char* what) {
    if (n > size - at) fail(std::string("truncated (") + what + ")");
    std::memcpy(out, data + at, n);
    at += n;
  }
  /// Magic, a version in [1, max_version] and the JSON header (an object) into `head`.
  void read_head(uint32_t max_version) {
    char magic[8];
    uint64_t len = 0;
    if (size < sizeof magic + sizeof version + sizeof len) fail("too short");
    bytes(magic, sizeof magic, "magic");
    if (std::memcmp(magic, kMagic, sizeof magic) != 0) throw std::runtime_error(path + ": not a sasrnn checkpoint");
    bytes(&version, sizeof version, "version");
    if (version < 1 || version > max_version)
      throw std::runtime_error(path + ": checkpoint version " + std::to_string(version) + " is not supported");
    bytes(&len, sizeof len, "header length");
    if (len > size - at) fail("header length " + std::to_string(len) + " beyond the file's end");
    const std::string h(reinterpret_cast<const char*>(data + at), static_cast<size_t>(len));
    at += static_cast<size_t>(len);
    head = nlohmann::json::parse(h, nullptr, false);
    if (head.is_discarded() || !head.is_object()) fail("header corrupt (not a JSON object)");
  }
  /// The header's field `key` (it must exist).
  const nlohmann::json& field(const char* key) const {
    const auto it = head.find(key);
    if (it == head.end()) fail(std::string("header corrupt (no '") + key + "')");
    return *it;
  }
  /// An integer in [lo, hi]; `what` names it in errors.
  int64_t integer(const nlohmann::json& v, const char* what, int64_t lo, int64_t hi) const {
    if (!v.is_number_integer()) fail(std::string("header corrupt (") + what + " is not an integer)");
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi))
      fail(std::string(what) + " " + v.dump() + " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    const int64_t x = v.get<int64_t>();
    if (x < lo || x > hi)
      fail(std::string(what) + " " + std::to_string(x) + " outside [" + std::to_string(lo) + ", " +
           std::to_string(hi) + "]");
    return x;
  }
  /// A finite number.
  double number(const nlohmann::json& v, const char* what) const {
    if (!v.is_number()) fail(std::string("header corrupt (") + what + " is not a number)");
    const double x = v.get<double>();
    if (!std::isfinite(x)) fail(std::string(what) + " is not finite");
    return x;
  }
  /// The validation score of every epoch of `history` (field `validation` of its EpochStats; NaN:
  /// not validated) from the header's array "validation" (null: not validated). Checkpoints written
  /// before the array existed have none: every epoch reads as not validated.
  template <class Stats>
  void validation(std::vector<Stats>& history) const {
    const auto it = head.find("validation");
    if (it == head.end()) return;
    if (!it->is_array() || it->size() != history.size())
      fail("header corrupt (the validation scores do not hold one entry per epoch)");
    for (size_t i = 0; i < history.size(); ++i)
      if (!(*it)[i].is_null()) history[i].validation = number((*it)[i], "a validation score");
  }
  /// A matrix of the trainer's shape (`a` holds it); `what` names it in errors; its values must be
  /// finite.
  void mat(Mat<double>& a, const std::string& what) {
    int64_t dims[2];
    bytes(dims, sizeof dims, what.c_str());
    if (dims[0] != a.rows() || dims[1] != a.cols())
      fail(what + " is " + std::to_string(dims[0]) + "x" + std::to_string(dims[1]) + ", not " +
           std::to_string(a.rows()) + "x" + std::to_string(a.cols()) + " (another network size, or a damaged file)");
    bytes(a.data(), static_cast<size_t>(a.size()) * sizeof(double), what.c_str());
    if (!a.allFinite()) fail(what + " holds a non-finite value");
  }
  /// Nothing may follow the last array.
  void expect_end() const {
    if (at != size) fail(std::to_string(size - at) + " bytes after the end of the checkpoint");
  }
};

}  // namespace sasrnn::train::ckpt
