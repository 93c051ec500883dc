#include "sasrnn/converter/convert.hpp"

#include <filesystem>
#include <stdexcept>
#include <system_error>

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
  switch (format_of(path)) {
    case Format::Npz: return write_npz(model, path);
    case Format::Json: return write_json(model, path);
    case Format::Sasrnn: break;
  }
  try {
    detail::validate(model);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": refusing to write an invalid model: " + e.what());
  }
  AlignedBuffer buf;
  try {
    buf = build_model_file(model);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  write_file(path, buf.data(), buf.size());
}

int convert_command(const ConvertOptions& o, std::ostream& out, std::ostream& err) {
  try {
    const Format from = format_of(o.input);
    const Format to = format_of(o.output);
    std::error_code ec;
    if (!o.force && std::filesystem::exists(o.output, ec))
      throw std::runtime_error(o.output + " exists (pass --force to replace it)");
    const ModelData d = import_model(o.input);
    export_model(d, o.output);
    out << "read " << o.input << " (" << format_name(from) << ", " << file_size(o.input) << " bytes): N=" << d.n
        << " NIn=" << d.n_in << " NOut=" << d.n_out << "; wrote " << o.output << " (" << format_name(to) << ", "
        << file_size(o.output) << " bytes)\n";
    return 0;
  } catch (const std::exception& e) {
    err << "sasrnn convert: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace sasrnn::conv
