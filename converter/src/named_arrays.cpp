#include "named_arrays.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace sasrnn::conv::detail {

namespace {

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error(message); }

/// Every problem of a model, so that one error lists them all (a converted file often has
/// several): each check runs on its own and what it throws is kept.
class Problems {
 public:
  template <class Check>
  void check(Check c) {
    try {
      c();
    } catch (const std::runtime_error& e) {
      list_.push_back(e.what());
    }
  }
  bool empty() const { return list_.empty(); }
  /// Throws one line: the problem, or "K problems: first; second; ...".
  void throw_if_any() const {
    if (list_.empty()) return;
    if (list_.size() == 1) fail(list_[0]);
    std::string s = std::to_string(list_.size()) + " problems: ";
    for (size_t k = 0; k < list_.size(); ++k) s += (k ? "; " : "") + list_[k];
    fail(s);
  }

 private:
  std::vector<std::string> list_;
};

std::string num(double v) {
  char buf[40];
  (void)std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

/// "(3, 4)" for flat index k of a row-major array of this shape; "" for a scalar.
std::string position(const std::vector<uint64_t>& shape, uint64_t k) {
  if (shape.empty()) return "";
  std::vector<uint64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = shape[d] ? k % shape[d] : 0;
    k = shape[d] ? k / shape[d] : 0;
  }
  std::string s = " at (";
  for (size_t d = 0; d < index.size(); ++d) s += (d ? ", " : "") + std::to_string(index[d]);
  return s + ")";
}

const char* const kLayerNames[] = {"pi_in", "m_in", "xi_in", "pi_rec", "m_rec", "xi_rec",
                                   "pi_out", "m_out", "xi_out"};
const char* const kOptionalNames[] = {"readout",
                                      "input_mask",
                                      "task",
                                      "name",
                                      "provenance_trainer_version",
                                      "provenance_seed",
                                      "provenance_command",
                                      "provenance_created",
                                      "provenance_metric_names",
                                      "provenance_metric_values"};

bool known(const std::string& name) {
  for (const char* n : kLayerNames)
    if (name == n) return true;
  const DynamicsView y;
  for (const auto& field : dynamics_fields(y))
    if (name == field.first) return true;
  const MsiParamsView p;
  for (const auto& field : msi_fields(p))
    if (name == field.first) return true;
  for (const char* n : kOptionalNames)
    if (name == n) return true;
  return false;
}

std::string quoted(const std::string& name) { return "array '" + printable(name) + "'"; }

bool f32_of(double v, float& out) {
  // Doubles at or above FLT_MAX + half an ulp round to infinity: an overflow, not a rounding.
  constexpr double kOverflow = 0x1.ffffffp127;
  if (std::isfinite(v) && std::fabs(v) >= kOverflow) return false;
  if (std::isfinite(v) && std::fabs(v) > static_cast<double>(FLT_MAX))
    out = v > 0 ? FLT_MAX : -FLT_MAX;
  else
    out = static_cast<float>(v);  // round to nearest; NaN and infinities stay what they are
  return true;
}

class Reader {
 public:
  explicit Reader(const Arrays& arrays) : arrays_(arrays) {}

  const Array* find(const std::string& name) const {
    const auto it = arrays_.find(name);
    return it == arrays_.end() ? nullptr : &it->second;
  }
  const Array& need(const std::string& name) const {
    const Array* a = find(name);
    if (!a) fail("missing array '" + name + "'");
    return *a;
  }

  static void expect_shape(const std::string& name, const Array& a, const std::vector<uint64_t>& want) {
    if (a.shape != want)
      fail(quoted(name) + " has shape " + shape_string(a.shape) + ", expected " + shape_string(want) +
           (want.empty() ? " (a 0-d array)" : ""));
  }

  std::vector<float> floats(const std::string& name, uint32_t rows, uint32_t cols) const {
    const Array& a = need(name);
    if (a.kind != Array::Kind::Float)
      fail(quoted(name) + " has dtype '" + printable(a.dtype) + "', expected '<f4' or '<f8'");
    expect_shape(name, a, {rows, cols});
    std::vector<float> out(a.f.size());
    for (size_t k = 0; k < a.f.size(); ++k)
      if (!f32_of(a.f[k], out[k]))
        fail(quoted(name) + " has " + num(a.f[k]) + position(a.shape, k) + ", too large for float32");
    return out;
  }

  float scalar(const std::string& name, const Array& a) const {
    expect_shape(name, a, {});
    if (a.kind == Array::Kind::Float) {
      float v = 0;
      if (!f32_of(a.f.at(0), v)) fail(quoted(name) + " is " + num(a.f[0]) + ", too large for float32");
      return v;
    }
    if (a.kind == Array::Kind::Int) {
      const int64_t v = a.i.at(0);
      if ((a.is_unsigned && static_cast<uint64_t>(v) > (1u << 24)) || v > (1 << 24) || v < -(1 << 24))
        fail(quoted(name) + " is an integer too large to be exact in float32");
      return static_cast<float>(v);
    }
    fail(quoted(name) + " has dtype '" + printable(a.dtype) + "', expected '<f4' or '<f8'");
  }
  float scalar(const std::string& name) const { return scalar(name, need(name)); }

  /// An integer scalar; integral JSON numbers count as integers.
  int64_t integer(const std::string& name) const {
    const Array& a = need(name);
    expect_shape(name, a, {});
    if (a.kind == Array::Kind::Int) {
      if (a.is_unsigned && a.i.at(0) < 0) fail(quoted(name) + " is too large");
      return a.i.at(0);
    }
    if (a.kind == Array::Kind::Float && a.from_json) {
      const double v = a.f.at(0);
      if (v == std::floor(v) && std::fabs(v) < 0x1p53) return static_cast<int64_t>(v);
    }
    fail(quoted(name) + " has dtype '" + printable(a.dtype) + "', expected an integer");
  }

  uint64_t unsigned_integer(const std::string& name) const {
    const Array& a = need(name);
    if (a.kind == Array::Kind::Int && a.is_unsigned) {
      expect_shape(name, a, {});
      return static_cast<uint64_t>(a.i.at(0));
    }
    const int64_t v = integer(name);
    if (v < 0) fail(quoted(name) + " is " + std::to_string(v) + ", expected >= 0");
    return static_cast<uint64_t>(v);
  }

  std::string string(const std::string& name) const {
    const Array& a = need(name);
    if (a.kind != Array::Kind::String)
      fail(quoted(name) + " has dtype '" + printable(a.dtype) + "', expected a string ('<U..')");
    expect_shape(name, a, {});
    return a.s.at(0);
  }

  std::vector<uint8_t> mask(const std::string& name, uint32_t rows, uint32_t cols) const {
    const Array& a = need(name);
    const bool ok = a.kind == Array::Kind::Bool || (a.kind == Array::Kind::Int && a.dtype == "|u1") ||
                    (a.kind == Array::Kind::Float && a.from_json);
    if (!ok)
      fail(quoted(name) + " has dtype '" + printable(a.dtype) + "', expected bool ('|b1') or uint8 ('|u1')");
    expect_shape(name, a, {rows, cols});
    const size_t count = static_cast<size_t>(rows) * cols;
    std::vector<uint8_t> out(count);
    for (size_t k = 0; k < count; ++k) {
      const double v = a.kind == Array::Kind::Float ? a.f.at(k) : static_cast<double>(a.i.at(k));
      if (v != 0.0 && v != 1.0)
        fail(quoted(name) + " has " + num(v) + position(a.shape, k) + ", expected 0 or 1");
      out[k] = v == 1.0 ? 1 : 0;
    }
    return out;
  }

 private:
  const Arrays& arrays_;
};

uint32_t dimension(const char* what, uint64_t v, const std::string& from) {
  if (v == 0 || v > kMaxUnits)
    fail(std::string(what) + " = " + std::to_string(v) + " (from array '" + from + "'), expected 1 to " +
         std::to_string(kMaxUnits));
  return static_cast<uint32_t>(v);
}

}  // namespace

std::string shape_string(const std::vector<uint64_t>& shape) {
  std::string s = "(";
  for (size_t d = 0; d < shape.size(); ++d) s += (d ? ", " : "") + std::to_string(shape[d]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

std::string printable(const std::string& s, size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  return out;
}

float to_f32(double v, const std::string& what) {
  float out = 0;
  if (!f32_of(v, out)) fail(what + " is " + num(v) + ", too large for float32");
  return out;
}

std::string extension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string e = path.substr(dot);
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

MsiParamsView msi_defaults() {
  ModelData scratch = make_empty_model(3, 5, 2);
  apply_msi_task(scratch);
  return scratch.msi;
}

void validate(const ModelData& d) {
  // The runtime's load() is the one judge of a model (model.hpp); this only words its verdict
  // (describe_load_failure). The model is built dense first, so that no encoding computes with
  // values not yet judged, then, if it has another encoding, with that one too.
  try {
    ModelData dense = d;
    bool encoded = false;
    std::vector<LayerData*> layers{&dense.input, &dense.recurrent, &dense.output};
    for (LayerData& l : dense.layers) layers.push_back(&l);  // a feedforward stack's
    for (LayerData* l : layers) {
      encoded = encoded || !(l->encoding == LayerEncoding{});
      l->encoding = LayerEncoding{};
    }
    build_model_file(dense);
    if (encoded) build_model_file(d);
  } catch (const ModelError& e) {
    fail(e.cause);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

ModelData assemble(const Arrays& arrays) {
  // Every unknown, missing or unreadable array is collected and reported in one error.
  Problems problems;
  for (const auto& [name, array] : arrays)
    if (!known(name))
      problems.check([&, nm = name] {
        fail("unknown " + quoted(nm) +
             " (the names are pi_in m_in xi_in pi_rec m_rec xi_rec pi_out m_out xi_out, alpha tau_ms "
             "dt_ms sigma_rec sigma_in baseline, and optional ones listed in docs/model-format.md)");
      });
  for (const char* name : kLayerNames)
    if (!arrays.count(name)) problems.check([&] { fail(std::string("missing array '") + name + "'"); });
  const DynamicsView names_only;
  for (const auto& field : dynamics_fields(names_only))
    if (!arrays.count(field.first))
      problems.check([&] { fail(std::string("missing array '") + field.first + "'"); });

  const Reader r(arrays);
  // The sizes come from pi_rec, pi_in and pi_out; without them no layer array can be checked.
  uint32_t n = 0, n_in = 0, n_out = 0;
  const Array* rec = r.find("pi_rec");
  const Array* in = r.find("pi_in");
  const Array* out = r.find("pi_out");
  problems.check([&] {
    if (rec && rec->shape.size() != 2)
      fail("array 'pi_rec' has shape " + shape_string(rec->shape) + ", expected (N, N)");
    if (rec) n = dimension("N", rec->shape[0], "pi_rec");
  });
  problems.check([&] {
    if (in && in->shape.size() != 2)
      fail("array 'pi_in' has shape " + shape_string(in->shape) + ", expected (N, NIn)");
    if (in) n_in = dimension("NIn", in->shape[1], "pi_in");
  });
  problems.check([&] {
    if (out && out->shape.size() != 2)
      fail("array 'pi_out' has shape " + shape_string(out->shape) + ", expected (NOut, N)");
    if (out) n_out = dimension("NOut", out->shape[0], "pi_out");
  });

  ModelData d;
  d.n = n;
  d.n_in = n_in;
  d.n_out = n_out;
  LayerData* layers[3] = {&d.input, &d.recurrent, &d.output};
  const uint32_t rows[3] = {n, n, n_out};
  const uint32_t cols[3] = {n_in, n, n};
  const bool sized = n > 0 && n_in > 0 && n_out > 0;
  for (int l = 0; l < 3 && sized; ++l) {
    layers[l]->rows = rows[l];
    layers[l]->cols = cols[l];
    std::vector<float>* values[3] = {&layers[l]->pi, &layers[l]->m, &layers[l]->xi};
    for (int a = 0; a < 3; ++a) {
      const std::string name = kLayerNames[3 * l + a];
      if (!r.find(name)) continue;  // reported as missing
      problems.check([&] { *values[a] = r.floats(name, rows[l], cols[l]); });
    }
  }

  DynamicsView& y = d.dynamics;
  for (const auto& [name, v] : dynamics_fields(y))
    if (r.find(name)) problems.check([&, nm = name, p = v] { *p = r.scalar(nm); });
  y.activation = Activation::ReLU;
  problems.check([&] {
    if (!r.find("readout")) return;
    const int64_t v = r.integer("readout");
    if (v < 0 || v > 2)
      fail("array 'readout' is " + std::to_string(v) + ", expected 0 (identity), 1 (softmax) or 2 (argmax)");
    y.readout = static_cast<Readout>(v);
  });
  problems.check([&] {
    if (!r.find("task")) return;
    const int64_t v = r.integer("task");
    if (v < 0 || v > 3)
      fail("array 'task' is " + std::to_string(v) +
           ", expected 0 (none), 1 (MSI), 2 (sequential MNIST, pixels) or 3 (sequential MNIST, rows)");
    d.task = static_cast<TaskKind>(v);
  });
  if (d.task == TaskKind::MSI) {
    d.msi = msi_defaults();
    for (const auto& [name, v] : msi_fields(d.msi))
      if (r.find(name)) problems.check([&, nm = name, p = v] { *p = r.scalar(nm); });
  } else {
    for (const auto& [name, v] : msi_fields(d.msi))
      if (r.find(name))
        problems.check([&, nm = name] {
          fail(std::string("array '") + nm + "' is only used with task 1 (MSI), but task is " +
               std::to_string(static_cast<int>(d.task)));
        });
  }
  problems.check([&] {
    if (r.find("input_mask") && sized) d.input_mask = r.mask("input_mask", n, n_in);
  });
  problems.check([&] {
    if (r.find("name")) d.name = r.string("name");
  });

  Provenance& p = d.provenance;
  problems.check([&] {
    if (r.find("provenance_trainer_version")) p.trainer_version = r.string("provenance_trainer_version");
  });
  problems.check([&] {
    if (r.find("provenance_command")) p.command = r.string("provenance_command");
  });
  problems.check([&] {
    if (r.find("provenance_created")) p.created = r.string("provenance_created");
  });
  problems.check([&] {
    if (r.find("provenance_seed")) {
      p.seed = r.unsigned_integer("provenance_seed");
    }
  });
  problems.check([&] {
    const Array* names = r.find("provenance_metric_names");
    const Array* values = r.find("provenance_metric_values");
    if (!names && !values) return;
    if (!names) fail("array 'provenance_metric_values' without 'provenance_metric_names'");
    if (!values) fail("array 'provenance_metric_names' without 'provenance_metric_values'");
    if (names->kind != Array::Kind::String || names->shape.size() != 1)
      fail("array 'provenance_metric_names' must be a 1-d array of strings, it has dtype '" +
           printable(names->dtype) + "' and shape " + shape_string(names->shape));
    if (values->kind != Array::Kind::Float || values->shape != names->shape)
      fail("array 'provenance_metric_values' must be a float array of shape " + shape_string(names->shape) +
           ", it has dtype '" + printable(values->dtype) + "' and shape " + shape_string(values->shape));
    for (size_t k = 0; k < names->s.size(); ++k) p.metrics.push_back(Metric{names->s[k], values->f.at(k)});
  });
  problems.throw_if_any();

  validate(d);
  return d;
}

void validate_for_writing(const ModelData& model, const std::string& path) {
  try {
    validate(model);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": refusing to write an invalid model: " + e.what());
  }
}

}  // namespace sasrnn::conv::detail
