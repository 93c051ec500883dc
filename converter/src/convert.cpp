#include "sasrnn/converter/convert.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "named_arrays.hpp"

namespace sasrnn::conv {

namespace {

enum class Format { Sasrnn, Npz, Json };

Format format_of(const std::string& path) {
  const std::string e = detail::extension(path);
  if (e == ".sasrnn") return Format::Sasrnn;
  if (e == ".npz") return Format::Npz;
  if (e == ".json") return Format::Json;
  throw std::runtime_error(path + ": unknown model format '" + detail::printable(e.empty() ? "(none)" : e) +
                           "' (expected .sasrnn, .npz or .json)");
}

const char* format_name(Format f) {
  switch (f) {
    case Format::Sasrnn: return "sasrnn";
    case Format::Npz: return "npz";
    case Format::Json: return "json";
  }
  return "?";
}

uintmax_t file_size(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

}  // namespace

ModelData import_model(const std::string& path) {
  switch (format_of(path)) {
    case Format::Npz: return read_npz(path);
    case Format::Json: return read_json(path);
    case Format::Sasrnn: break;
  }
  const AlignedBuffer buf = read_file(path);
  try {
    return read_model(buf.data(), buf.size());
  } catch (const ModelError& e) {
    throw ModelError(e.status, path + ": " + e.what() + " [" + status_name(e.status) + "]");
  }
}

void export_model(const ModelData& model, const std::string& path) {
  if (model.feedforward() && format_of(path) != Format::Sasrnn)
    throw std::runtime_error(path + ": a feedforward stack is written as .sasrnn only (the .npz and .json layouts "
                             "name a recurrent network's arrays)");
  switch (format_of(path)) {
    case Format::Npz: return write_npz(model, path);
    case Format::Json: return write_json(model, path);
    case Format::Sasrnn: break;
  }
  detail::validate_for_writing(model, path);
  AlignedBuffer buf;
  try {
    buf = build_model_file(model);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  write_file(path, buf.data(), buf.size());
}

namespace {

/// The layers of a model file as plain data: a recurrent network's three, or a stack's.
std::vector<const LayerData*> layers_of(const ModelData& d) {
  if (d.feedforward()) {
    std::vector<const LayerData*> v;
    for (const LayerData& l : d.layers) v.push_back(&l);
    return v;
  }
  return {&d.input, &d.recurrent, &d.output};
}

LayerEncoding chosen_encoding(const ConvertOptions& o, const ModelData& d) {
  const std::vector<const LayerData*> layers = layers_of(d);
  const LayerData& main = d.feedforward() ? *layers.front() : d.recurrent;
  LayerEncoding e = o.encoding.empty() ? main.encoding : encoding_preset(o.encoding);
  bool mixed = false;
  for (const LayerData* l : layers) mixed = mixed || l->encoding.sparse != e.sparse;
  if (o.encoding.empty() && mixed) e = LayerEncoding{};  // mixed layers: write dense unless told otherwise
  if (o.values || o.prune || o.pi_zero || o.xi_zero) {
    if (o.encoding.empty()) e.moments = false;  // a dense-moments input made sparse
    e.sparse = true;
  }
  if (o.values) e.values = *o.values;
  if (o.prune) e.prune = *o.prune;
  if (o.pi_zero) e.pi_zero = *o.pi_zero;
  if (o.xi_zero) e.xi_zero = *o.xi_zero;
  return e;
}

size_t connections(const ModelData& d) {
  size_t n = 0;
  for (const LayerData* l : layers_of(d)) n += l->size();
  return n;
}

std::string percent(double fraction) {
  char b[32];
  (void)std::snprintf(b, sizeof b, "%.2f %%", 100.0 * fraction);  // (void): b fits; length unused
  return b;
}

/// "18771 of 23550 connections stored (constant 1297, ...)" of a model's layers as the runtime
/// reads them.
std::string stored_summary(const std::vector<const LayerView*>& layers) {
  StoredCounts c;
  bool sparse = false;
  for (const LayerView* l : layers) {
    c += stored_counts(*l);
    sparse = sparse || l->is_sparse;
  }
  if (c.stored == c.positions && !sparse) return std::to_string(c.positions) + " connections, all stored";
  std::string d = c.describe();
  return d.replace(d.find(" stored"), 7, " connections stored");
}

/// The accuracy check of `sasrnn convert`: source and encoded model on the task's evaluation set
/// (MSI: 24 conditions x eval_trials; sequential MNIST: the first eval_images test images) in
/// MeanField and SampledPerStep with the same seed; throws when --max-accuracy-drop refuses.
/// `measure(encoded, mode)` is the accuracy of the source (false) or encoded model (true).
void check_accuracy(const ConvertOptions& o, const ModelData& source,
                    const std::function<double(bool, Mode, uint32_t)>& measure, bool can_measure,
                    std::ostream& out) {
  std::string why_not;
  const bool mnist = source.task == TaskKind::SeqMNISTRow || source.task == TaskKind::SeqMNISTPixel ||
                     source.task == TaskKind::MNISTImage;
  const uint32_t count = mnist ? o.eval_images : o.eval_trials;
  if (!can_measure) why_not = "no evaluator";
  else if (source.task == TaskKind::None) why_not = "the model has no task";
  else if (count == 0) why_not = mnist ? "--eval-images 0" : "--eval-trials 0";
  if (why_not.empty()) {
    if (mnist)
      out << "accuracy on the first " << count << " " << task_name(source.task)
          << " test images (seed " << o.eval_seed << "):\n";
    else
      out << "accuracy on the MSI evaluation set (24 conditions x " << count
          << " repetitions, seed " << o.eval_seed << ", dt 20 ms):\n";
    std::string refused;
    for (Mode mode : {Mode::MeanField, Mode::SampledPerStep}) {
      double a0 = 0, a1 = 0;
      try {
        a0 = measure(false, mode, count);
        a1 = measure(true, mode, count);
      } catch (const std::invalid_argument& e) {
        why_not = e.what();
        break;
      }
      const double drop = 100.0 * (a0 - a1);
      char line[160];
      (void)std::snprintf(line, sizeof line, "  %-18s %s -> %s  (%+.2f pp)\n", mode_name(mode),
                    percent(a0).c_str(), percent(a1).c_str(), drop == 0.0 ? 0.0 : -drop);
      out << line << std::flush;
      if (o.max_accuracy_drop && drop > *o.max_accuracy_drop + 1e-9 && refused.empty()) {
        char r[200];
        (void)std::snprintf(r, sizeof r, "%s accuracy drops by %.2f pp (%s -> %s), more than --max-accuracy-drop %g",
                      mode_name(mode), drop, percent(a0).c_str(), percent(a1).c_str(), *o.max_accuracy_drop);
        refused = r;
      }
    }
    if (!refused.empty()) throw std::runtime_error("refusing to write " + o.output + ": " + refused);
  }
  if (!why_not.empty()) {
    if (o.max_accuracy_drop)
      throw std::runtime_error("cannot check --max-accuracy-drop: accuracy not measured (" + why_not + ")");
    out << "accuracy: not measured (" << why_not << ")\n";
  }
}

}  // namespace

int convert_command(const ConvertOptions& o, std::ostream& out, std::ostream& err) {
  try {
    const Format from = format_of(o.input);
    const Format to = format_of(o.output);
    check_output(o.output, o.force);  // before any work: exists, a directory, unwritable
    const bool encodes = !o.encoding.empty() || o.values || o.prune || o.pi_zero || o.xi_zero;
    if (encodes && to != Format::Sasrnn)
      throw std::runtime_error("--encoding, --values, --prune, --pi-zero and --xi-zero apply to .sasrnn output only (" +
                               std::string(format_name(to)) + " holds f32 values)");
    const ModelData source = import_model(o.input);
    out << "read " << o.input << " (" << format_name(from) << ", " << file_size(o.input) << " bytes): ";
    if (source.feedforward()) {
      out << "feedforward stack " << source.n_in;
      for (const LayerData& l : source.layers) out << "-" << l.rows;
      out << "\n";
    } else {
      out << "N=" << source.n << " NIn=" << source.n_in << " NOut=" << source.n_out << "\n";
    }
    if (to != Format::Sasrnn) {
      if (o.max_accuracy_drop)
        throw std::runtime_error("--max-accuracy-drop applies to .sasrnn output only (" +
                                 std::string(format_name(to)) + " output keeps every value)");
      export_model(source, o.output);
      out << "wrote " << o.output << " (" << format_name(to) << ", " << file_size(o.output)
          << " bytes), values unchanged\n";
      return 0;
    }

    const LayerEncoding enc = chosen_encoding(o, source);
    const ModelData encoded = with_encoding(source, enc);
    AlignedBuffer after;
    try {
      after = build_model_file(encoded);
    } catch (const std::exception& e) {
      throw std::runtime_error(o.output + ": " + e.what());
    }
    // the source as a runtime buffer (dense f32 when it came from .npz/.json)
    const AlignedBuffer before = build_model_file(source);
    const size_t conns = connections(source);
    char ratio[160];
    (void)std::snprintf(ratio, sizeof ratio, "%zu -> %zu bytes (%.2fx smaller; %.2f bytes per connection)",
                  before.size(), after.size(),
                  static_cast<double>(before.size()) / static_cast<double>(after.size()),
                  static_cast<double>(after.size()) / static_cast<double>(conns));
    // both were verified by build_model_file()
    ModelView vb, va;
    ff::ModelView fb, fa;
    std::vector<const LayerView*> stored;
    if (source.feedforward()) {
      ff::load(before.data(), before.size(), fb);
      ff::load(after.data(), after.size(), fa);
      for (uint32_t l = 0; l < fa.n_layers; ++l) stored.push_back(&fa.layers[l]);
    } else {
      load(before.data(), before.size(), vb);
      load(after.data(), after.size(), va);
      stored = {&va.input, &va.recurrent, &va.output};
    }
    out << "encoding: " << enc.describe() << ": " << stored_summary(stored) << "\n";
    out << "size: " << ratio << "\n";

    const bool lossless = !enc.sparse || (enc.values == ValueType::F32 && enc.prune >= 1.0f &&
                                          enc.pi_zero == 0.0f && enc.xi_zero == 0.0f);
    if (lossless) {
      out << "accuracy: unchanged (lossless encoding: the runtime's results are bit for bit the source's)\n";
    } else if (source.feedforward()) {
      check_accuracy(o, source, [&](bool encoded, Mode mode, uint32_t count) {
        return o.evaluate_ff(encoded ? fa : fb, mode, count, o.eval_seed);
      }, static_cast<bool>(o.evaluate_ff), out);
    } else {
      check_accuracy(o, source, [&](bool encoded, Mode mode, uint32_t count) {
        return o.evaluate(encoded ? va : vb, mode, count, o.eval_seed);
      }, static_cast<bool>(o.evaluate), out);
    }
    write_file(o.output, after.data(), after.size());
    out << "wrote " << o.output << " (" << format_name(to) << ", " << after.size() << " bytes)\n";
    return 0;
  } catch (const std::exception& e) {
    err << "sasrnn convert: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace sasrnn::conv
