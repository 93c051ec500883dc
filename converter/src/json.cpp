// JSON import and export of models: the .npz names as keys, matrices as lists of rows.
#include <charconv>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "named_arrays.hpp"
#include "sasrnn/converter/npz.hpp"

namespace sasrnn::conv {

namespace {

using detail::Array;
using detail::Arrays;
using detail::printable;
using nlohmann::json;

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error(message); }

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "object";
    case json::value_t::array: return "list";
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    default: return "value";
  }
}

std::string label(const std::string& key) { return "array '" + printable(key) + "'"; }

std::string at(size_t r, size_t c) { return " at (" + std::to_string(r) + ", " + std::to_string(c) + ")"; }

/// A JSON value as an Array: numbers and strings are 0-d, a list is 1-d, a list of lists 2-d.
Array to_array(const std::string& key, const json& v) {
  Array a;
  a.from_json = true;
  a.dtype = type_name(v);
  if (v.is_number_unsigned()) {
    a.kind = Array::Kind::Int;
    const uint64_t u = v.get<uint64_t>();
    a.is_unsigned = u > static_cast<uint64_t>(INT64_MAX);
    a.i = {static_cast<int64_t>(u)};
  } else if (v.is_number_integer()) {
    a.kind = Array::Kind::Int;
    a.i = {v.get<int64_t>()};
  } else if (v.is_number_float()) {
    a.kind = Array::Kind::Float;
    a.f = {v.get<double>()};
  } else if (v.is_string()) {
    a.kind = Array::Kind::String;
    a.s = {v.get<std::string>()};
  } else if (v.is_boolean()) {
    a.kind = Array::Kind::Bool;
    a.i = {v.get<bool>() ? 1 : 0};
  } else if (v.is_array()) {
    const bool matrix = !v.empty() && v[0].is_array();
    const size_t rows = matrix ? v.size() : 1, cols = matrix ? v[0].size() : v.size();
    a.shape = matrix ? std::vector<uint64_t>{rows, cols} : std::vector<uint64_t>{cols};
    a.dtype = matrix ? "list of rows" : "list";
    // All booleans: a bool array; otherwise every entry must be a number.
    bool all_bool = rows * cols > 0, any_string = false;
    for (size_t r = 0; r < rows; ++r) {
      const json& row = matrix ? v[r] : v;
      if (!row.is_array())
        fail(label(key) + " row " + std::to_string(r) + " is a " + type_name(row) + ", expected a list");
      if (row.size() != cols)
        fail(label(key) + " row " + std::to_string(r) + " has " + std::to_string(row.size()) +
             " entries, row 0 has " + std::to_string(cols));
      for (const json& e : row) {
        all_bool = all_bool && e.is_boolean();
        any_string = any_string || e.is_string();
      }
    }
    a.kind = all_bool ? Array::Kind::Bool : any_string ? Array::Kind::String : Array::Kind::Float;
    for (size_t r = 0; r < rows; ++r) {
      const json& row = matrix ? v[r] : v;
      for (size_t c = 0; c < cols; ++c) {
        const json& e = row[c];
        if (a.kind == Array::Kind::Bool) {
          a.i.push_back(e.get<bool>() ? 1 : 0);
        } else if (a.kind == Array::Kind::String) {
          if (!e.is_string())
            fail(label(key) + " has a " + type_name(e) + (matrix ? at(r, c) : " at (" + std::to_string(c) + ")") +
                 ", expected a string");
          a.s.push_back(e.get<std::string>());
        } else {
          if (!e.is_number())
            fail(label(key) + " has a " + type_name(e) + (matrix ? at(r, c) : " at (" + std::to_string(c) + ")") +
                 ", expected a number");
          a.f.push_back(e.get<double>());
        }
      }
    }
  } else {
    fail("key '" + printable(key) + "' holds a " + type_name(v) + (v.is_object() ? " (only 'provenance' may)" : ""));
  }
  return a;
}

/// "provenance": {"trainer_version", "seed", "command", "created", "metrics": [{"name", "value"}]}
void read_provenance(const json& p, Arrays& arrays) {
  if (!p.is_object()) fail("key 'provenance' holds a " + std::string(type_name(p)) + ", expected an object");
  for (const auto& [key, v] : p.items()) {
    if (key == "trainer_version" || key == "command" || key == "created") {
      if (!v.is_string()) fail("provenance." + key + " is a " + type_name(v) + ", expected a string");
      arrays["provenance_" + key] = to_array(key, v);
    } else if (key == "seed") {
      if (!v.is_number_integer()) fail("provenance.seed is a " + std::string(type_name(v)) + ", expected an integer");
      arrays["provenance_seed"] = to_array(key, v);
    } else if (key == "metrics") {
      if (!v.is_array()) fail("provenance.metrics is a " + std::string(type_name(v)) + ", expected a list");
      Array names, values;
      names.kind = Array::Kind::String;
      values.kind = Array::Kind::Float;
      names.shape = values.shape = {v.size()};
      for (size_t k = 0; k < v.size(); ++k) {
        const json& m = v[k];
        const std::string where = "provenance.metrics[" + std::to_string(k) + "]";
        if (!m.is_object() || !m.contains("name") || !m.contains("value") || m.size() != 2)
          fail(where + " must be {\"name\": ..., \"value\": ...}");
        if (!m["name"].is_string()) fail(where + ".name is a " + std::string(type_name(m["name"])) + ", expected a string");
        const json& value = m["value"];
        if (!value.is_number() && !value.is_null())
          fail(where + ".value is a " + std::string(type_name(value)) + ", expected a number");
        names.s.push_back(m["name"].get<std::string>());
        values.f.push_back(value.is_null() ? std::nan("") : value.get<double>());
      }
      arrays["provenance_metric_names"] = names;
      arrays["provenance_metric_values"] = values;
    } else {
      fail("unknown key 'provenance." + printable(key) + "'");
    }
  }
}

/// The shortest decimal that reads back (via double, as JSON readers do) to the same float.
std::string number(float f) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  double back = 0;
  std::from_chars(buf, r.ptr, back);
  const float again = static_cast<float>(back);
  // bit for bit on purpose (-0.0 and NaN payloads must round-trip; a float has no padding)
  // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
  if (std::memcmp(&again, &f, sizeof f) != 0) r = std::to_chars(buf, buf + sizeof buf, static_cast<double>(f));
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";  // "-0" would read back as the integer 0
  return s;
}

std::string text(const std::string& s) { return json(s).dump(-1, ' ', false, json::error_handler_t::replace); }

void matrix(std::string& out, const char* name, const std::vector<float>& v, uint32_t rows, uint32_t cols) {
  out += "  \"" + std::string(name) + "\": [\n";
  for (uint32_t i = 0; i < rows; ++i) {
    out += "    [";
    for (uint32_t j = 0; j < cols; ++j) {
      if (j) out += ", ";
      out += number(v[static_cast<size_t>(i) * cols + j]);
    }
    out += i + 1 < rows ? "],\n" : "]\n";
  }
  out += "  ],\n";
}

}  // namespace

ModelData read_json(const std::string& path) {
  const AlignedBuffer file = read_file(path);
  return parse_json(file.data(), file.size(), path);
}

ModelData parse_json(const uint8_t* data, size_t size, const std::string& label) {
  return detail::read_with_path(label, [&] {
    json j;
    try {
      j = json::parse(data, data + size);
    } catch (const json::exception& e) {  // parse_error, out_of_range (number overflow)
      std::string why = e.what();
      const size_t bracket = why.find("] ");
      if (why.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) why = why.substr(bracket + 2);
      fail("not valid JSON (" + printable(why, 160) + ")");
    }
    if (!j.is_object()) fail(std::string("not a model: the JSON holds a ") + type_name(j) + ", expected an object");
    Arrays arrays;
    for (const auto& [key, v] : j.items()) {
      if (key == "provenance")
        read_provenance(v, arrays);
      else
        arrays[key] = to_array(key, v);
    }
    return detail::assemble(arrays);
  });
}

void write_json(const ModelData& d, const std::string& path) {
  detail::validate_for_writing(d, path);
  std::string out = "{\n";
  if (!d.name.empty()) out += "  \"name\": " + text(d.name) + ",\n";
  const DynamicsView& y = d.dynamics;
  for (const auto& [name, v] : detail::dynamics_fields(y))
    out += "  \"" + std::string(name) + "\": " + number(*v) + ",\n";
  out += "  \"readout\": " + std::to_string(static_cast<int>(y.readout)) + ",\n";
  out += "  \"task\": " + std::to_string(static_cast<int>(d.task)) + ",\n";
  if (d.task == TaskKind::MSI) {
    for (const auto& [name, v] : detail::msi_fields(d.msi))
      out += "  \"" + std::string(name) + "\": " + number(*v) + ",\n";
  }
  matrix(out, "pi_in", d.input.pi, d.n, d.n_in);
  matrix(out, "m_in", d.input.m, d.n, d.n_in);
  matrix(out, "xi_in", d.input.xi, d.n, d.n_in);
  matrix(out, "pi_rec", d.recurrent.pi, d.n, d.n);
  matrix(out, "m_rec", d.recurrent.m, d.n, d.n);
  matrix(out, "xi_rec", d.recurrent.xi, d.n, d.n);
  matrix(out, "pi_out", d.output.pi, d.n_out, d.n);
  matrix(out, "m_out", d.output.m, d.n_out, d.n);
  matrix(out, "xi_out", d.output.xi, d.n_out, d.n);
  if (!d.input_mask.empty()) {
    out += "  \"input_mask\": [\n";
    for (uint32_t i = 0; i < d.n; ++i) {
      out += "    [";
      for (uint32_t j = 0; j < d.n_in; ++j)
        out += (j ? ", " : "") + std::to_string(d.input_mask[static_cast<size_t>(i) * d.n_in + j]);
      out += i + 1 < d.n ? "],\n" : "]\n";
    }
    out += "  ],\n";
  }
  const Provenance& p = d.provenance;
  out += "  \"provenance\": {\n";
  out += "    \"trainer_version\": " + text(p.trainer_version) + ",\n";
  if (p.seed) out += "    \"seed\": " + std::to_string(*p.seed) + ",\n";  // none: unknown
  out += "    \"command\": " + text(p.command) + ",\n";
  out += "    \"created\": " + text(p.created) + ",\n";
  out += "    \"metrics\": [";
  for (size_t k = 0; k < p.metrics.size(); ++k)
    out += std::string(k ? ",\n" : "\n") + "      {\"name\": " + text(p.metrics[k].name) +
           ", \"value\": " + json(p.metrics[k].value).dump() + "}";
  out += p.metrics.empty() ? "]\n" : "\n    ]\n";
  out += "  }\n}\n";
  write_file(path, reinterpret_cast<const uint8_t*>(out.data()), out.size());
}

}  // namespace sasrnn::conv
