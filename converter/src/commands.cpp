#include "sasrnn/converter/commands.hpp"

#include <cstdio>
#include <iomanip>

namespace sasrnn::conv {

namespace {

const char* readout_name(Readout r) {
  switch (r) {
    case Readout::Identity: return "identity";
    case Readout::Softmax: return "softmax";
    case Readout::Argmax: return "argmax";
  }
  return "?";
}

void print_stats(std::ostream& out, const char* name, const std::string& shape, const LayerStats& s) {
  char line[256];
  (void)std::snprintf(line, sizeof line, "  %-14s %-9s %8zu %9.4f %8zu %8zu %10.3g\n", name, shape.c_str(),
                s.count, s.mean_pi, s.vip, s.uip, s.mean_xi);
  out << line;
}

/// "dense f32" or "sparse q8, 18181 of 22500 stored (constant 830, Bernoulli 1339, Gaussian 6191, full 9821)"
std::string storage(const LayerView& l) {
  if (!l.is_sparse) return l.has_moments() ? "dense f32 + moments" : "dense f32";
  return std::string("sparse ") + value_type_name(l.sparse.type) + ", " + stored_counts(l).describe();
}

/// Text from the file as printable text: control characters (C0, DEL and the UTF-8 encoded C1
/// range, which hold the terminal's escape sequences) and backslashes are shown as escapes
/// (\n, \t, \xNN), so a model cannot move the cursor, recolour or rewrite what inspect prints.
std::string printable(const std::string& text) {
  std::string o;
  char hex[8];
  for (size_t k = 0; k < text.size(); ++k) {
    const auto c = static_cast<unsigned char>(text[k]);
    const auto next = k + 1 < text.size() ? static_cast<unsigned char>(text[k + 1]) : 0u;
    if (c == '\\') {
      o += "\\\\";
    } else if (c == '\n') {
      o += "\\n";
    } else if (c == '\t') {
      o += "\\t";
    } else if (c == '\r') {
      o += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      (void)std::snprintf(hex, sizeof hex, "\\x%02x", c);
      o += hex;
    } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {  // U+0080..U+009F
      (void)std::snprintf(hex, sizeof hex, "\\x%02x", next);
      o += hex;
      ++k;
    } else {
      o += static_cast<char>(c);
    }
  }
  return o;
}

std::string shape(const LayerData& l) { return std::to_string(l.rows) + "x" + std::to_string(l.cols); }

/// "CRC-32C 0x1234abcd, verified", or why there is none to verify.
template <class View>
std::string checksum_line(const uint8_t* buffer, const View& view) {
  const size_t at = sasrnn::detail::checksum_offset(buffer, view.root);
  if (at == 0) return "none (a file written before checksums: damage to its values goes unnoticed)";
  char line[96];
  (void)std::snprintf(line, sizeof line, "CRC-32C 0x%08x, %s", flatbuffers::ReadScalar<uint32_t>(buffer + at),
                view.checksum_verified ? "verified" : "not checked (a runtime built with SASRNN_NO_CHECKSUM)");
  return line;
}

void print_provenance(std::ostream& out, const Provenance& p) {
  out << "provenance:  trainer " << (p.trainer_version.empty() ? "?" : printable(p.trainer_version)) << ", seed "
      << (p.seed ? std::to_string(*p.seed) : std::string("unknown")) << ", created "
      << (p.created.empty() ? "?" : printable(p.created)) << "\n";
  if (!p.command.empty()) out << "command:     " << printable(p.command) << "\n";
  for (const Metric& m : p.metrics) out << "metric:      " << printable(m.name) << " = " << m.value << "\n";
}

constexpr const char* kStatsHeader =
    "  layer          shape      count  sparsity      VIP      UIP    mean xi\n";

/// inspect of a feedforward stack (format version 3).
int inspect_feedforward(const std::string& path, std::ostream& out) {
  auto [buf, view] = load_ff_model_file(path);
  const ModelData d = read_model(buf.data(), buf.size());
  size_t connections = 0;
  for (const LayerData& l : d.layers) connections += l.size();
  out << "model:       " << (d.name.empty() ? "(unnamed)" : printable(d.name)) << "  [" << path << "]\n";
  out << "format:      version " << view.root->format_version() << " (feedforward stack), " << buf.size()
      << " bytes, " << std::fixed << std::setprecision(2)
      << static_cast<double>(buf.size()) / static_cast<double>(connections) << " bytes per connection ("
      << connections << " connections)\n";
  out << "checksum:    " << checksum_line(buf.data(), view) << "\n";
  out << "storage:    ";
  for (uint32_t l = 0; l < view.n_layers; ++l) out << (l ? ";" : "") << " layer " << l << " " << storage(view.layers[l]);
  out << "\n" << std::defaultfloat << std::setprecision(6);
  out << "sizes:       " << d.n_in;
  for (const LayerData& l : d.layers) out << " -> " << l.rows;
  out << " (ReLU between layers, softmax readout)\n";
  out << "task:        " << task_name(d.task) << "\n";
  out << "layers (the weights the stack applies; sparsity = mean pi; VIP: pi<0.1 and |m|>0.05; UIP: pi>0.9):\n"
      << kStatsHeader;
  auto all = [](uint32_t, uint32_t) { return true; };
  for (size_t l = 0; l < d.layers.size(); ++l)
    print_stats(out, ("layer " + std::to_string(l)).c_str(), shape(d.layers[l]), layer_stats(d.layers[l], all));
  print_provenance(out, d.provenance);
  return 0;
}

}  // namespace

int inspect_command(const std::string& path, std::ostream& out, std::ostream& err) {
  try {
    {
      const AlignedBuffer bytes = read_file(path);
      if (is_feedforward(bytes.data(), bytes.size())) return inspect_feedforward(path, out);
    }
    auto [buf, view] = load_model_file(path);
    const ModelData d = read_model(buf.data(), buf.size());
    const size_t connections = d.input.size() + d.recurrent.size() + d.output.size();
    out << "model:       " << (d.name.empty() ? "(unnamed)" : printable(d.name)) << "  [" << path << "]\n";
    const uint32_t version = view.root->format_version();
    out << "format:      version " << version << ", " << buf.size() << " bytes, " << std::fixed
        << std::setprecision(2) << static_cast<double>(buf.size()) / static_cast<double>(connections)
        << " bytes per connection (" << connections << " connections)\n";
    out << "checksum:    " << checksum_line(buf.data(), view) << "\n";
    out << "storage:     input " << storage(view.input) << "; recurrent " << storage(view.recurrent)
        << "; output " << storage(view.output) << "\n";
    out << std::defaultfloat << std::setprecision(6);
    out << "sizes:       N=" << d.n << " NIn=" << d.n_in << " NOut=" << d.n_out << "\n";
    const DynamicsView& y = d.dynamics;
    out << "dynamics:    alpha=" << y.alpha << " tau=" << y.tau_ms << " ms dt=" << y.dt_ms
        << " ms sigma_rec=" << y.sigma_rec << " sigma_in=" << y.sigma_in << " x0=" << y.baseline
        << " activation=relu readout=" << readout_name(y.readout) << "\n";
    out << "task:        " << task_name(d.task);
    if (d.task == TaskKind::MSI)
      out << " (fixation/stimulus/decision " << d.msi.fixation_ms << "/" << d.msi.stimulus_ms << "/"
          << d.msi.decision_ms << " ms, rates " << d.msi.rate_min << "-" << d.msi.rate_max
          << ", boundary " << d.msi.boundary << ", targets hi " << d.msi.target_hi << " lo "
          << d.msi.target_lo << ")";
    out << "\n";
    size_t masked = 0;
    for (uint8_t v : d.input_mask) masked += v == 0;
    out << "input mask:  " << (d.input_mask.empty() ? std::string("none (all connected)")
                                                    : std::to_string(masked) + " of " +
                                                          std::to_string(d.input_mask.size()) +
                                                          " input connections absent")
        << "\n";
    out << "layers (sparsity = mean pi; VIP: pi<0.1 and |m|>0.05; UIP: pi>0.9):\n";
    out << kStatsHeader;
    auto all = [](uint32_t, uint32_t) { return true; };
    print_stats(out, "input", shape(d.input), layer_stats(d.input, all));
    print_stats(out, "recurrent", shape(d.recurrent), layer_stats(d.recurrent, all));
    print_stats(out, " rec I (i<j)", "", layer_stats(d.recurrent, [](uint32_t i, uint32_t j) { return i < j; }));
    print_stats(out, " rec II (i>j)", "", layer_stats(d.recurrent, [](uint32_t i, uint32_t j) { return i > j; }));
    print_stats(out, "output", shape(d.output), layer_stats(d.output, all));
    print_provenance(out, d.provenance);
    return 0;
  } catch (const std::exception& e) {
    err << "sasrnn inspect: " << e.what() << "\n";
    return 1;
  }
}

int verify_command(const std::string& path, std::ostream& out, std::ostream& err) {
  try {
    {
      const AlignedBuffer bytes = read_file(path);
      if (is_feedforward(bytes.data(), bytes.size())) {
        auto [buf, view] = load_ff_model_file(path);
        out << path << ": OK (format v" << view.root->format_version() << ", feedforward stack " << view.n_in;
        for (uint32_t l = 0; l < view.n_layers; ++l) out << "-" << view.layers[l].rows;
        out << ", " << buf.size() << " bytes, " << (view.checksum_verified ? "checksum verified" : "no checksum")
            << ")\n";
        return 0;
      }
    }
    auto [buf, view] = load_model_file(path);
    out << path << ": OK (format v" << view.root->format_version() << ", N=" << view.n << " NIn=" << view.n_in
        << " NOut=" << view.n_out << ", " << buf.size() << " bytes, "
        << (view.checksum_verified ? "checksum verified" : "no checksum") << ")\n";
    return 0;
  } catch (const std::exception& e) {
    err << "sasrnn verify: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace sasrnn::conv
