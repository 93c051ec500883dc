// The extension module sasrnn._sasrnn (docs/python.md): the project's libraries seen from Python.
// Models are read, checked and written by the converter (model_file.hpp, named_arrays.hpp) and
// verified by the runtime's load(); trials run on the runtime's network through the evaluation
// library's worker pool (analysis/parallel.hpp, host_network.hpp) with the GIL released; the MSI
// and MNIST evaluations are analysis::evaluate_msi / evaluate_mnist themselves (what `sasrnn run`
// prints); gradients are the trainer's gBPTT (trainer/mean_field.hpp, paper eq. 6-13) and
// training is train::Trainer. The user-facing API is python/sasrnn/__init__.py; names here start
// with an underscore where __init__.py wraps them.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "named_arrays.hpp"
#include "sasrnn/analysis/decoded_model.hpp"
#include "sasrnn/analysis/host_network.hpp"
#include "sasrnn/analysis/mnist_eval.hpp"
#include "sasrnn/analysis/msi_eval.hpp"
#include "sasrnn/analysis/parallel.hpp"
#include "sasrnn/converter/compact.hpp"
#include "sasrnn/converter/convert.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/trainer/allocator.hpp"
#include "sasrnn/trainer/mean_field.hpp"
#include "sasrnn/trainer/trainer.hpp"
#include "sasrnn/version.hpp"

namespace py = pybind11;

namespace sasrnn::python {

namespace {

using F32Array = py::array_t<float, py::array::c_style | py::array::forcecast>;
using F64Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

/// sasrnn.ModelError (a ValueError): a model the runtime refuses, with its status.
PyObject* g_model_error = nullptr;

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

/// A verified model: the file bytes the runtime runs (in their own encoding), the view load()
/// made of them, and the decoded arrays.
struct Model {
  conv::AlignedBuffer buffer;
  ModelView view;
  conv::ModelData data;

  /// Verifies `bytes` with the runtime; ModelError ("SOURCE: message [Status]") if it refuses.
  static std::shared_ptr<Model> from_bytes(const uint8_t* bytes, size_t size, const std::string& source) {
    auto m = std::make_shared<Model>();
    m->buffer = conv::AlignedBuffer(bytes, size);
    const Status s = load(m->buffer.data(), m->buffer.size(), m->view);
    if (s != Status::Ok)
      throw conv::ModelError(s, (source.empty() ? "" : source + ": ") + status_message(s) + " [" +
                                    status_name(s) + "]");
    m->data = conv::read_model(m->buffer.data(), m->buffer.size());
    return m;
  }

  /// Serialises `data` (each layer in its encoding), verified by build_model_file().
  static std::shared_ptr<Model> from_data(const conv::ModelData& data) {
    const conv::AlignedBuffer b = conv::build_model_file(data);
    return from_bytes(b.data(), b.size(), "");
  }
};

std::string readout_name(Readout r) {
  switch (r) {
    case Readout::Identity: return "identity";
    case Readout::Softmax: return "softmax";
    case Readout::Argmax: return "argmax";
  }
  return "unknown";
}

py::array_t<float> matrix(const std::vector<float>& v, uint32_t rows, uint32_t cols) {
  py::array_t<float> a({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
  std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(float));
  return a;
}

/// The model's arrays under the .npz names (docs/model-format.md), so that
/// Model.from_arrays(**model.arrays()) gives the same model back.
py::dict arrays_of(const Model& m) {
  const conv::ModelData& d = m.data;
  py::dict out;
  const std::pair<const char*, const conv::LayerData*> layers[] = {
      {"in", &d.input}, {"rec", &d.recurrent}, {"out", &d.output}};
  for (const auto& [suffix, l] : layers) {
    out[py::str(std::string("pi_") + suffix)] = matrix(l->pi, l->rows, l->cols);
    out[py::str(std::string("m_") + suffix)] = matrix(l->m, l->rows, l->cols);
    out[py::str(std::string("xi_") + suffix)] = matrix(l->xi, l->rows, l->cols);
  }
  for (const auto& [name, field] : conv::detail::dynamics_fields(d.dynamics))
    out[py::str(name)] = py::float_(static_cast<double>(*field));
  out["readout"] = py::int_(static_cast<int>(d.dynamics.readout));
  out["task"] = py::int_(static_cast<int>(d.task));
  if (d.task == TaskKind::MSI)
    for (const auto& [name, field] : conv::detail::msi_fields(d.msi))
      out[py::str(name)] = py::float_(static_cast<double>(*field));
  if (!d.input_mask.empty()) {
    py::array_t<bool> mask({static_cast<py::ssize_t>(d.n), static_cast<py::ssize_t>(d.n_in)});
    for (size_t k = 0; k < d.input_mask.size(); ++k) mask.mutable_data()[k] = d.input_mask[k] != 0;
    out["input_mask"] = mask;
  }
  if (!d.name.empty()) out["name"] = d.name;
  const conv::Provenance& p = d.provenance;
  if (!p.trainer_version.empty()) out["provenance_trainer_version"] = p.trainer_version;
  if (p.seed) out["provenance_seed"] = py::int_(*p.seed);
  if (!p.command.empty()) out["provenance_command"] = p.command;
  if (!p.created.empty()) out["provenance_created"] = p.created;
  if (!p.metrics.empty()) {
    py::list names;
    py::array_t<double> values(static_cast<py::ssize_t>(p.metrics.size()));
    for (size_t k = 0; k < p.metrics.size(); ++k) {
      names.append(p.metrics[k].name);
      values.mutable_data()[k] = p.metrics[k].value;
    }
    out["provenance_metric_names"] = names;
    out["provenance_metric_values"] = values;
  }
  return out;
}

/// Model.from_arrays: `arrays` maps a name to (kind, dtype, shape, values) as
/// sasrnn/__init__.py describes a NumPy array; assembled and checked by the converter exactly as
/// an .npz file's arrays are (every problem listed in one ValueError).
std::shared_ptr<Model> model_from_arrays(const py::dict& arrays) {
  conv::detail::Arrays named;
  for (const auto& item : arrays) {
    const std::string name = py::cast<std::string>(item.first);
    const py::tuple t = py::cast<py::tuple>(item.second);
    conv::detail::Array a;
    const std::string kind = py::cast<std::string>(t[0]);
    a.dtype = py::cast<std::string>(t[1]);
    a.shape = py::cast<std::vector<uint64_t>>(t[2]);
    if (kind == "float") {
      a.kind = conv::detail::Array::Kind::Float;
      a.f = py::cast<std::vector<double>>(t[3]);
    } else if (kind == "int" || kind == "uint" || kind == "bool") {
      a.kind = kind == "bool" ? conv::detail::Array::Kind::Bool : conv::detail::Array::Kind::Int;
      a.is_unsigned = kind == "uint";
      a.i = py::cast<std::vector<int64_t>>(t[3]);
    } else if (kind == "str") {
      a.kind = conv::detail::Array::Kind::String;
      a.s = py::cast<std::vector<std::string>>(t[3]);
    } else {
      a.kind = conv::detail::Array::Kind::Unsupported;
    }
    named[name] = std::move(a);
  }
  conv::ModelData d;
  try {
    d = conv::detail::assemble(named);
  } catch (const conv::ModelError&) {
    throw;
  } catch (const std::exception& e) {
    throw py::value_error(e.what());
  }
  return Model::from_data(d);
}

/// The model with every layer in a named encoding (conv::encoding_preset), verified.
std::shared_ptr<Model> with_encoding(const Model& m, const std::string& encoding) {
  return Model::from_data(conv::with_encoding(m.data, conv::encoding_preset(encoding)));
}

/// Writes .sasrnn (in `encoding`, else each layer's own), .npz or .json by the extension.
void save(const Model& m, const std::string& path, const std::optional<std::string>& encoding) {
  const std::string ext = conv::detail::extension(path);
  if (encoding && ext != ".sasrnn")
    throw py::value_error(path + ": an encoding applies to .sasrnn files only (" +
                          (ext.empty() ? std::string("no extension") : ext) + " holds f32 values)");
  try {
    conv::export_model(encoding ? conv::with_encoding(m.data, conv::encoding_preset(*encoding)) : m.data,
                       path);
  } catch (const std::invalid_argument& e) {
    throw py::value_error(e.what());
  }
}

py::bytes to_bytes(const Model& m, const std::optional<std::string>& encoding) {
  if (!encoding)
    return py::bytes(reinterpret_cast<const char*>(m.buffer.data()), m.buffer.size());
  const conv::AlignedBuffer b =
      conv::build_model_file(conv::with_encoding(m.data, conv::encoding_preset(*encoding)));
  return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
}

std::shared_ptr<Model> import_file(const std::string& path) {
  try {
    return Model::from_data(conv::import_model(path));
  } catch (const conv::ModelError&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw py::value_error(e.what());
  }
}

py::dict provenance_of(const Model& m) {
  const conv::Provenance& p = m.data.provenance;
  py::dict d;
  d["trainer_version"] = p.trainer_version;
  d["seed"] = p.seed ? py::object(py::int_(*p.seed)) : py::object(py::none());
  d["command"] = p.command;
  d["created"] = p.created;
  py::dict metrics;
  for (const conv::Metric& k : p.metrics) metrics[py::str(k.name)] = k.value;
  d["metrics"] = metrics;
  return d;
}

py::dict dynamics_of(const Model& m) {
  py::dict d;
  for (const auto& [name, field] : conv::detail::dynamics_fields(m.view.dynamics))
    d[py::str(name)] = static_cast<double>(*field);
  d["readout"] = readout_name(m.view.dynamics.readout);
  return d;
}

py::object msi_of(const Model& m) {
  if (m.view.task != TaskKind::MSI) return py::none();
  py::dict d;
  for (const auto& [name, field] : conv::detail::msi_fields(m.view.msi))
    d[py::str(std::string(name).substr(4))] = static_cast<double>(*field);  // without "msi_"
  return std::move(d);
}

// ---------------------------------------------------------------------------------------------
// Trials
// ---------------------------------------------------------------------------------------------

Mode parse_mode(const std::string& s) {
  for (Mode m : {Mode::MeanField, Mode::SampledPerStep, Mode::SampledPerTrial, Mode::MeanWeights})
    if (s == mode_name(m)) return m;
  throw py::value_error("unknown mode '" + s +
                        "' (modes: mean-field, sampled-per-step, sampled-per-trial, mean-weights)");
}

int default_threads(int threads) {
  if (threads > 0) return threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

/// Where run_trials() writes: decisions and last outputs always; trajectories (trial-major,
/// (count, steps, K)) when `record`.
struct Outputs {
  int count = 0, steps = 0, n = 0, n_out = 0;
  bool record = false;
  py::array_t<int32_t> decision;
  py::array_t<float> y_last, h, r, z, y;

  Outputs(int count_, int steps_, const ModelView& v, bool record_)
      : count(count_), steps(steps_), n(static_cast<int>(v.n)), n_out(static_cast<int>(v.n_out)),
        record(record_), decision(count_), y_last({count_, n_out}) {
    if (record) {
      h = py::array_t<float>({count, steps, n});
      r = py::array_t<float>({count, steps, n});
      z = py::array_t<float>({count, steps, n_out});
      y = py::array_t<float>({count, steps, n_out});
    }
  }
  py::dict dict() const {
    py::dict d;
    d["decision"] = decision;
    d["y_last"] = y_last;
    if (record) {
      d["h"] = h;
      d["r"] = r;
      d["z"] = z;
      d["y"] = y;
    }
    return d;
  }
};

/// Runs `count` trials on the runtime's network, trial k with trial index trial_of(k) and input
/// x(t+1) = input(k, t, x), on `threads` workers with the GIL released. `input` must not touch
/// Python objects. Raises ValueError if the network cannot run the model with these options.
template <class Input, class TrialOf>
void run_trials(const Model& m, const Options& opt, int threads, TrialOf trial_of, Input input,
                Outputs& o) {
  analysis::check_host_sizes(m.view);
  {
    analysis::HostNetwork probe;
    const Status s = probe.bind(m.view, opt);
    if (s != Status::Ok) throw py::value_error(std::string("cannot run the model: ") + status_message(s));
  }
  const int n = o.n, n_out = o.n_out, steps = o.steps;
  int32_t* decision = o.decision.mutable_data();
  float* y_last = o.y_last.mutable_data();
  float *h = o.record ? o.h.mutable_data() : nullptr, *r = o.record ? o.r.mutable_data() : nullptr;
  float *z = o.record ? o.z.mutable_data() : nullptr, *y = o.record ? o.y.mutable_data() : nullptr;
  std::vector<std::string> errors(static_cast<size_t>(o.count));
  {
    py::gil_scoped_release release;
    const analysis::DecodedModel decoded(m.view);  // compact layers at the dense kernels' speed
    analysis::for_each_trial(o.count, default_threads(threads), [&](int) {
      auto worker = std::make_shared<analysis::WorkerNetwork>(decoded.view(), opt);
      return [&, worker](int k) {
        analysis::HostNetwork& net = worker->net;
        net.reset(trial_of(k));
        float x[analysis::kHostMaxInputs];
        for (int t = 0; t < steps; ++t) {
          input(k, t, x);
          const Status s = net.step(x);
          if (s != Status::Ok) {
            errors[static_cast<size_t>(k)] = std::string("trial ") + std::to_string(k) + ", step " +
                                             std::to_string(t) + ": " + status_message(s);
            return;
          }
          if (h != nullptr) {
            const size_t at = (static_cast<size_t>(k) * steps + t);
            std::memcpy(h + at * n, net.state().data(), sizeof(float) * n);
            std::memcpy(r + at * n, net.rates().data(), sizeof(float) * n);
            std::memcpy(z + at * n_out, net.z().data(), sizeof(float) * n_out);
            std::memcpy(y + at * n_out, net.output().data(), sizeof(float) * n_out);
          }
        }
        decision[k] = net.decide();
        std::memcpy(y_last + static_cast<size_t>(k) * n_out, net.output().data(), sizeof(float) * n_out);
      };
    });
  }
  for (const std::string& e : errors)
    if (!e.empty()) throw py::value_error(e);
}

Options run_options(const std::string& mode, uint64_t seed, bool recurrent_noise, float alpha) {
  Options opt;
  opt.mode = parse_mode(mode);
  opt.seed = seed;
  opt.recurrent_noise = recurrent_noise;
  opt.alpha = alpha;
  return opt;
}

/// Model.run: any inputs (count, steps, NIn); trial k runs as trial index trials[k].
py::dict run_inputs(const Model& m, const F32Array& x, const py::array_t<uint32_t, py::array::c_style | py::array::forcecast>& trials,
                    const std::string& mode, uint64_t seed, bool recurrent_noise, float alpha,
                    bool record, int threads) {
  if (x.ndim() != 3 || x.shape(2) != static_cast<py::ssize_t>(m.view.n_in))
    throw py::value_error("inputs must have shape (trials, steps, " + std::to_string(m.view.n_in) +
                          "), not " + conv::detail::shape_string(std::vector<uint64_t>(x.shape(), x.shape() + x.ndim())));
  const int count = static_cast<int>(x.shape(0)), steps = static_cast<int>(x.shape(1));
  if (trials.ndim() != 1 || trials.shape(0) != count)
    throw py::value_error("trial indices must have shape (" + std::to_string(count) + ",)");
  const float* xs = x.data();
  const uint32_t* idx = trials.data();
  for (py::ssize_t k = 0; k < x.size(); ++k)
    if (!std::isfinite(xs[k])) throw py::value_error("inputs hold NaN or infinity (flat index " + std::to_string(k) + ")");
  Outputs o(count, steps, m.view, record);
  const size_t n_in = m.view.n_in;
  run_trials(m, run_options(mode, seed, recurrent_noise, alpha), threads,
             [idx](int k) { return idx[k]; },
             [xs, n_in, steps](int k, int t, float* out) {
               std::memcpy(out, xs + (static_cast<size_t>(k) * steps + t) * n_in, sizeof(float) * n_in);
             },
             o);
  return o.dict();
}

/// The evaluation configuration of an MSI run (the fields of analysis::EvalConfig).
analysis::EvalConfig msi_config(const std::string& mode, uint64_t seed, uint32_t reps, float dt_ms,
                                const std::string& protocol, bool recurrent_noise, bool input_noise,
                                float fixation_ms, float stimulus_ms, float decision_ms, int threads) {
  analysis::EvalConfig cfg;
  cfg.mode = parse_mode(mode);
  cfg.seed = seed;
  cfg.reps = reps;
  cfg.dt_ms = dt_ms;
  if (protocol == "test")
    cfg.protocol = analysis::ProtocolChoice::Test;
  else if (protocol == "model")
    cfg.protocol = analysis::ProtocolChoice::Model;
  else
    throw py::value_error("unknown protocol '" + protocol + "' (test or model)");
  cfg.recurrent_noise = recurrent_noise;
  cfg.input_noise = input_noise;
  cfg.fixation_ms = fixation_ms;
  cfg.stimulus_ms = stimulus_ms;
  cfg.decision_ms = decision_ms;
  cfg.threads = default_threads(threads);
  return cfg;
}

py::dict protocol_dict(const msi::Protocol& p, int steps) {
  py::dict d;
  d["fixation_ms"] = p.fixation_ms;
  d["stimulus_ms"] = p.stimulus_ms;
  d["decision_ms"] = p.decision_ms;
  d["dt_ms"] = p.dt_ms;
  d["tau_ms"] = p.tau_ms;
  d["alpha"] = p.alpha();
  d["steps"] = steps;
  return d;
}

/// Model.run_msi_trials: MSI trials of given conditions (modality 0 visual, 1 auditory, 2 both,
/// 3 catch; event rate; trial index keying the noise) with the stimuli of msi.hpp and the protocol
/// `sasrnn run` would use (analysis::eval_protocol).
py::dict run_msi_trials(const Model& m, const py::array_t<int32_t, py::array::c_style | py::array::forcecast>& modality,
                        const F32Array& rate, const py::array_t<uint32_t, py::array::c_style | py::array::forcecast>& index,
                        const analysis::EvalConfig& cfg, bool record) {
  const msi::Protocol p = analysis::eval_protocol(m.view, cfg);
  const int count = static_cast<int>(modality.size());
  if (modality.ndim() != 1 || rate.ndim() != 1 || index.ndim() != 1 || rate.size() != count ||
      index.size() != count)
    throw py::value_error("modality, rate and index must be 1-d arrays of one length");
  std::vector<msi::Trial> trials(static_cast<size_t>(count));
  for (int k = 0; k < count; ++k) {
    const int mod = modality.data()[k];
    if (mod < 0 || mod > 3)
      throw py::value_error("modality " + std::to_string(mod) + " of trial " + std::to_string(k) +
                            " is not 0 (visual), 1 (auditory), 2 (both) or 3 (catch)");
    if (!std::isfinite(rate.data()[k])) throw py::value_error("rate of trial " + std::to_string(k) + " is not finite");
    trials[static_cast<size_t>(k)] = msi::Trial{static_cast<msi::Modality>(mod), rate.data()[k], index.data()[k]};
  }
  const int steps = msi::Stimulus(p, msi::Trial{}).steps();
  Outputs o(count, steps, m.view, record);
  Options opt;
  opt.mode = cfg.mode;
  opt.seed = cfg.seed;
  opt.recurrent_noise = cfg.recurrent_noise;
  opt.alpha = p.alpha();
  const msi::Trial* tr = trials.data();
  run_trials(m, opt, cfg.threads, [tr](int k) { return tr[k].index; },
             [tr, &p](int k, int t, float* x) { msi::Stimulus(p, tr[k]).input(t, x); }, o);
  py::dict d = o.dict();
  d["protocol"] = protocol_dict(p, steps);
  if (record) {  // the inputs each trial saw (paper eq. 2, noise included)
    py::array_t<float> xs({count, steps, msi::kInputs});
    for (int k = 0; k < count; ++k) {
      const msi::Stimulus stim(p, tr[k]);
      for (int t = 0; t < steps; ++t) stim.input(t, xs.mutable_data() + (static_cast<size_t>(k) * steps + t) * msi::kInputs);
    }
    d["x"] = xs;
  }
  return d;
}

/// Model.evaluate_msi: analysis::evaluate_msi, the numbers `sasrnn run` prints.
py::dict evaluate_msi(const Model& m, const analysis::EvalConfig& cfg) {
  analysis::EvalResult r;
  {
    py::gil_scoped_release release;
    r = analysis::evaluate_msi(m.view, cfg);
  }
  const int total = static_cast<int>(r.trials.size());
  py::array_t<int32_t> modality(total), decision(total);
  py::array_t<float> rate(total), y_high(total), y_low(total);
  py::array_t<uint32_t> index(total);
  for (int k = 0; k < total; ++k) {
    const analysis::TrialResult& t = r.trials[static_cast<size_t>(k)];
    modality.mutable_data()[k] = static_cast<int32_t>(t.trial.modality);
    rate.mutable_data()[k] = t.trial.rate;
    index.mutable_data()[k] = t.trial.index;
    decision.mutable_data()[k] = t.decision;
    y_high.mutable_data()[k] = t.y_high;
    y_low.mutable_data()[k] = t.y_low;
  }
  py::array_t<double> p_high({msi::kModalities, msi::kRates});
  py::array_t<uint32_t> high({msi::kModalities, msi::kRates}), count({msi::kModalities, msi::kRates});
  py::list fits;
  for (int mo = 0; mo < msi::kModalities; ++mo) {
    for (int k = 0; k < msi::kRates; ++k) {
      p_high.mutable_at(mo, k) = r.p_high(mo, k);
      high.mutable_at(mo, k) = r.high[static_cast<size_t>(mo)][static_cast<size_t>(k)];
      count.mutable_at(mo, k) = r.count[static_cast<size_t>(mo)][static_cast<size_t>(k)];
    }
    const analysis::PsychometricFit f =
        analysis::fit_psychometric(r.high[static_cast<size_t>(mo)], r.count[static_cast<size_t>(mo)]);
    fits.append(py::make_tuple(f.mu, f.sigma));
  }
  py::dict d;
  d["modality"] = modality;
  d["rate"] = rate;
  d["index"] = index;
  d["decision"] = decision;
  d["y_high"] = y_high;
  d["y_low"] = y_low;
  d["p_high"] = p_high;
  d["high"] = high;
  d["count"] = count;
  d["accuracy"] = r.accuracy;
  d["modality_accuracy"] = py::make_tuple(r.modality_accuracy[0], r.modality_accuracy[1], r.modality_accuracy[2]);
  d["fits"] = fits;
  d["protocol"] = protocol_dict(r.protocol, r.steps_per_trial);
  return d;
}

analysis::MnistSet mnist_set(const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& images,
                             const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>* labels) {
  if (images.ndim() != 3 || images.shape(1) != 28 || images.shape(2) != 28)
    throw py::value_error("images must have shape (count, 28, 28), not " +
                          conv::detail::shape_string(std::vector<uint64_t>(images.shape(), images.shape() + images.ndim())));
  analysis::MnistSet s;
  s.count = static_cast<int>(images.shape(0));
  s.rows = s.cols = 28;
  s.pixels.assign(images.data(), images.data() + images.size());
  if (labels != nullptr) {
    if (labels->ndim() != 1 || labels->shape(0) != s.count)
      throw py::value_error("labels must have shape (" + std::to_string(s.count) + ",)");
    s.labels.assign(labels->data(), labels->data() + labels->size());
    for (uint8_t l : s.labels)
      if (l > 9) throw py::value_error("label " + std::to_string(l) + " is not a digit");
  } else {
    s.labels.assign(static_cast<size_t>(s.count), 0);
  }
  return s;
}

/// Model.run_mnist: images as the model's task reads them (rows or pixels), image k as trial
/// first + k (evaluate_mnist runs image k of the test set as trial k).
py::dict run_mnist(const Model& m, const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& images,
                   uint32_t first, const std::string& mode, uint64_t seed, bool recurrent_noise,
                   bool record, int threads) {
  const analysis::MnistSequence seq = analysis::mnist_sequence_of(m.view);
  const analysis::MnistSet set = mnist_set(images, nullptr);
  const int steps = analysis::sequence_steps(seq);
  Outputs o(set.count, steps, m.view, record);
  const analysis::MnistSet* s = &set;
  run_trials(m, run_options(mode, seed, recurrent_noise, 0.0f), threads,
             [first](int k) { return first + static_cast<uint32_t>(k); },
             [s, seq](int k, int t, float* x) { analysis::sequence_input(seq, s->image(k), t, x); }, o);
  return o.dict();
}

/// Model.evaluate_mnist: analysis::evaluate_mnist (what `sasrnn run` prints for MNIST models).
py::dict evaluate_mnist(const Model& m, const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& images,
                        const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& labels,
                        const std::string& mode, uint64_t seed, bool recurrent_noise, int threads) {
  const analysis::MnistSet set = mnist_set(images, &labels);
  analysis::MnistEvalConfig cfg;
  cfg.mode = parse_mode(mode);
  cfg.seed = seed;
  cfg.recurrent_noise = recurrent_noise;
  cfg.threads = default_threads(threads);
  analysis::MnistEvalResult r;
  {
    py::gil_scoped_release release;
    r = analysis::evaluate_mnist(m.view, set, cfg);
  }
  py::array_t<int64_t> confusion({10, 10});
  for (int a = 0; a < 10; ++a)
    for (int b = 0; b < 10; ++b) confusion.mutable_at(a, b) = r.confusion[static_cast<size_t>(a)][static_cast<size_t>(b)];
  py::dict d;
  d["count"] = r.count;
  d["correct"] = r.correct;
  d["accuracy"] = r.accuracy();
  d["confusion"] = confusion;
  return d;
}

py::tuple load_mnist(const std::string& dir, const std::string& split) {
  analysis::MnistSplit s;
  if (split == "train") s = analysis::MnistSplit::Train;
  else if (split == "validation") s = analysis::MnistSplit::Validation;
  else if (split == "train-all") s = analysis::MnistSplit::TrainAll;
  else if (split == "test") s = analysis::MnistSplit::Test;
  else throw py::value_error("unknown split '" + split + "' (train, validation, train-all, test)");
  analysis::MnistSet set;
  try {
    set = analysis::load_mnist(dir.empty() ? analysis::default_mnist_dir() : dir, s);
  } catch (const analysis::DataError& e) {
    throw py::value_error(e.what());
  }
  py::array_t<uint8_t> images({set.count, 28, 28});
  std::memcpy(images.mutable_data(), set.pixels.data(), set.pixels.size());
  py::array_t<uint8_t> labels(set.count);
  std::memcpy(labels.mutable_data(), set.labels.data(), set.labels.size());
  return py::make_tuple(images, labels);
}

/// The quenched random numbers the runtime's MeanField draws in trial `trial` for `steps` steps
/// (network.hpp): eps^u (paper eq. 4b, stream MeanFieldU), eps^out (eq. 4d, MeanFieldOut) and the
/// recurrent noise sqrt(2 alpha sigma^2) n (eq. 4a) exactly as the runtime adds it (float).
py::dict runtime_noise(const Model& m, uint64_t seed, uint32_t trial, int steps, bool recurrent_noise,
                       float alpha) {
  const int n = static_cast<int>(m.view.n), n_out = static_cast<int>(m.view.n_out);
  const float a = alpha > 0.0f ? alpha : m.view.dynamics.alpha;
  const float scale = recurrent_noise ? dyn::recurrent_noise_scale(a, m.view.dynamics.sigma_rec) : 0.0f;
  py::array_t<float> eps_u({steps, n}), eps_out({steps, n_out}), noise({steps, n});
  for (int t = 0; t < steps; ++t) {
    const uint32_t step = static_cast<uint32_t>(t);
    kernel::normals(seed, step, trial, static_cast<uint32_t>(Stream::MeanFieldU), n, eps_u.mutable_data() + static_cast<size_t>(t) * n);
    kernel::normals(seed, step, trial, static_cast<uint32_t>(Stream::MeanFieldOut), n_out,
                    eps_out.mutable_data() + static_cast<size_t>(t) * n_out);
    float* nz = noise.mutable_data() + static_cast<size_t>(t) * n;
    kernel::normals(seed, step, trial, static_cast<uint32_t>(Stream::RecurrentNoise), n, nz);
    for (int i = 0; i < n; ++i) nz[i] = scale > 0.0f ? scale * nz[i] : 0.0f;
  }
  py::dict d;
  d["eps_u"] = eps_u;
  d["eps_out"] = eps_out;
  d["noise"] = noise;
  d["alpha"] = a;
  return d;
}

// ---------------------------------------------------------------------------------------------
// gBPTT (the trainer's mean_field.hpp) and training
// ---------------------------------------------------------------------------------------------

train::Mat<double> mat(const F64Array& a, const char* name, Eigen::Index rows, Eigen::Index cols) {
  if (a.ndim() != 2 || a.shape(0) != rows || a.shape(1) != cols)
    throw py::value_error(std::string(name) + " must have shape (" + std::to_string(rows) + ", " +
                          std::to_string(cols) + ")");
  train::Mat<double> m(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = a.at(i, j);
  return m;
}

py::array_t<double> array_of(const train::Mat<double>& m) {
  py::array_t<double> a({m.rows(), m.cols()});
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) a.mutable_at(i, j) = m(i, j);
  return a;
}

/// The trainer's mean-field forward pass (paper eq. 4-5) and gBPTT (eq. 6-13) in double, on a
/// batch laid out as the trainer's (column s * B + b): the loss, dL/d(each of the nine groups)
/// and the tape's h, r, z.
py::dict gbptt(const py::dict& params, double alpha, const F64Array& x, const F64Array& target,
               const F64Array& mask, const F64Array& eps_u, const F64Array& eps_out, const F64Array& n_rec,
               int steps, int batch, const std::string& loss, double scale) {
  train::Params<double> p;
  const F64Array pi_rec = py::cast<F64Array>(params["pi_rec"]), pi_in = py::cast<F64Array>(params["pi_in"]),
                 pi_out = py::cast<F64Array>(params["pi_out"]);
  if (pi_rec.ndim() != 2 || pi_in.ndim() != 2 || pi_out.ndim() != 2) throw py::value_error("parameters must be matrices");
  const Eigen::Index n = pi_rec.shape(0), ni = pi_in.shape(1), no = pi_out.shape(0);
  const auto layer = [&](const char* suffix, Eigen::Index rows, Eigen::Index cols) {
    const std::string s(suffix);
    return train::Layer<double>{mat(py::cast<F64Array>(params[py::str("pi_" + s)]), ("pi_" + s).c_str(), rows, cols),
                                mat(py::cast<F64Array>(params[py::str("m_" + s)]), ("m_" + s).c_str(), rows, cols),
                                mat(py::cast<F64Array>(params[py::str("xi_" + s)]), ("xi_" + s).c_str(), rows, cols)};
  };
  p.in = layer("in", n, ni);
  p.rec = layer("rec", n, n);
  p.out = layer("out", no, n);
  if (steps < 1 || batch < 1) throw py::value_error("steps and batch must be positive");
  const Eigen::Index cols = static_cast<Eigen::Index>(steps) * batch;
  train::Batch<double> b;
  b.steps = steps;
  b.size = batch;
  b.x = mat(x, "x", ni, cols);
  b.target = mat(target, "target", no, cols);
  b.mask = mat(mask, "mask", no, cols);
  train::Noise<double> nz{mat(eps_u, "eps_u", n, cols), mat(eps_out, "eps_out", no, cols), mat(n_rec, "n_rec", n, cols)};
  train::LossSpec<double> ls;
  ls.scale = scale;
  if (loss == "mse")
    ls.kind = train::LossKind::MaskedSquaredError;
  else if (loss == "cross-entropy")
    ls.kind = train::LossKind::SoftmaxCrossEntropyLast;
  else
    throw py::value_error("unknown loss '" + loss + "' (mse or cross-entropy)");
  train::Tape<double> tape;
  train::Grads<double> g;
  double l = 0;
  {
    py::gil_scoped_release release;
    l = train::forward(p, alpha, b, nz, ls, tape);
    train::backward(p, alpha, b, nz, ls, tape, g);
  }
  py::dict grads;
  for (int k = 0; k < train::kGroups; ++k) {
    const auto grp = static_cast<train::Group>(k);
    grads[py::str(train::group_name(grp))] = array_of(g.group(grp));
  }
  py::dict d;
  d["loss"] = l;
  d["grads"] = grads;
  d["h"] = array_of(tape.h);
  d["r"] = array_of(train::Mat<double>(tape.r()));
  d["z"] = array_of(tape.z);
  return d;
}

bool parse_group(const std::string& name, train::Group& g) { return train::parse_group(name.c_str(), g); }

train::Group group_of(const std::string& name, const char* option) {
  train::Group g;
  if (!parse_group(name, g))
    throw py::value_error(std::string(option) + ": unknown group '" + name +
                          "' (groups: m_in pi_in xi_in m_rec pi_rec xi_rec m_out pi_out xi_out)");
  return g;
}

/// The trainer's configuration from keyword arguments: the task's paper recipe
/// (msi_paper_config / mnist_paper_config), then each given field. Unknown names: TypeError.
train::TrainConfig train_config(const std::string& task, const py::dict& kw) {
  train::TrainConfig c;
  if (task == "msi")
    c = train::msi_paper_config();
  else if (task == "mnist-row")
    c = train::mnist_paper_config(train::TrainTask::MnistRow);
  else if (task == "mnist-pixel")
    c = train::mnist_paper_config(train::TrainTask::MnistPixel);
  else
    throw py::value_error("unknown task '" + task + "' (msi, mnist-row, mnist-pixel)");
  for (const auto& item : kw) {
    const std::string k = py::cast<std::string>(item.first);
    const py::handle v = item.second;
    if (k == "n") c.n = py::cast<int>(v);
    else if (k == "seed") c.seed = py::cast<uint64_t>(v);
    else if (k == "epochs") c.epochs = py::cast<int>(v);
    else if (k == "batch") c.batch = py::cast<int>(v);
    else if (k == "stop") {
      const std::string s = py::cast<std::string>(v);
      if (s == "none") c.stop = train::StopRule::None;
      else if (s == "mean10") c.stop = train::StopRule::Mean10;
      else if (s == "authors") c.stop = train::StopRule::Authors;
      else throw py::value_error("stop: unknown rule '" + s + "' (none, mean10, authors)");
    } else if (k == "target_loss") c.target_loss = py::cast<double>(v);
    else if (k == "stop_from") c.stop_from = py::cast<int>(v);
    else if (k == "l2") c.l2 = py::cast<double>(v);
    else if (k == "sigma_rec") c.sigma_rec = py::cast<double>(v);
    else if (k == "init_xi") c.init_xi = py::cast<double>(v);
    else if (k == "init_xi_in") c.init_xi_in = py::cast<double>(v);
    else if (k == "init_rec_identity") c.init_rec_identity = py::cast<bool>(v);
    else if (k == "clip") c.clip = py::cast<double>(v);
    else if (k == "precision") {
      const std::string s = py::cast<std::string>(v);
      if (s != "float" && s != "double") throw py::value_error("precision: 'float' or 'double', not '" + s + "'");
      c.single_precision = s == "float";
    } else if (k == "chunks") c.chunks = py::cast<int>(v);
    else if (k == "threads") c.threads = default_threads(py::cast<int>(v));
    else if (k == "optimizer") {
      const std::string s = py::cast<std::string>(v);
      if (s == "adam") c.opt.kind = train::OptimizerKind::Adam;
      else if (s == "rmsprop") c.opt.kind = train::OptimizerKind::RMSprop;
      else throw py::value_error("optimizer: 'adam' or 'rmsprop', not '" + s + "'");
    } else if (k == "lr") {
      if (py::isinstance<py::dict>(v)) {
        for (const auto& g : py::cast<py::dict>(v))
          c.opt.lr[static_cast<size_t>(group_of(py::cast<std::string>(g.first), "lr"))] = py::cast<double>(g.second);
      } else {  // as `sasrnn train --lr`: the m and Xi groups
        const double lr = py::cast<double>(v);
        for (int g = 0; g < train::kGroups; ++g)
          if (g % 3 != 1) c.opt.lr[static_cast<size_t>(g)] = lr;
      }
    } else if (k == "train" || k == "decay_groups") {
      auto& flags = k == "train" ? c.opt.train : c.opt.decayed;
      flags.fill(false);
      for (const py::handle g : v) flags[static_cast<size_t>(group_of(py::cast<std::string>(g), k.c_str()))] = true;
    } else if (k == "decay") c.opt.decay = py::cast<double>(v);
    else if (k == "decay_every") c.opt.decay_every = py::cast<int>(v);
    else if (k == "beta1") c.opt.beta1 = py::cast<double>(v);
    else if (k == "beta2") c.opt.beta2 = py::cast<double>(v);
    else if (k == "rho") c.opt.rho = py::cast<double>(v);
    else if (k == "eps") c.opt.eps = py::cast<double>(v);
    else if (k == "catch_fraction") c.task.catch_fraction = py::cast<double>(v);
    else if (k == "balanced") c.task.balanced = py::cast<bool>(v);
    else if (k == "mnist_dir") c.mnist.data_dir = py::cast<std::string>(v);
    else if (k == "alpha") c.mnist_alpha = py::cast<double>(v);
    else
      throw py::type_error("train() got an unexpected keyword argument '" + k + "'");
  }
  if (c.n > analysis::kHostMaxUnits)
    throw py::value_error("n: at most " + std::to_string(analysis::kHostMaxUnits) + " units (the host tools' limit)");
  if (c.epochs < 0) throw py::value_error("epochs must be at least 0");
  return c;
}

py::dict stats_dict(const train::EpochStats& s) {
  py::dict d;
  d["epoch"] = s.epoch;
  d["loss"] = s.loss;
  d["accuracy"] = s.accuracy;
  d["seconds"] = s.seconds;
  d["sparsity_in"] = s.sparsity_in;
  d["sparsity_rec_i"] = s.sparsity_rec_i;
  d["sparsity_rec_ii"] = s.sparsity_rec_ii;
  d["sparsity_out"] = s.sparsity_out;
  d["vip_rec"] = s.vip_rec;
  d["vip_out"] = s.vip_out;
  return d;
}

/// sasrnn.train: a Trainer run with `callback(stats)` after every epoch (return False to stop),
/// the GIL released while an epoch runs. Returns (model, history).
py::tuple train_model(const std::string& task, const py::dict& kw, const py::object& callback,
                      const std::string& command) {
  const train::TrainConfig cfg = train_config(task, kw);
  train::keep_training_memory();  // as sasrnn train: batch matrices reused (allocator.hpp)
  std::unique_ptr<train::Trainer> trainer;
  try {
    trainer = std::make_unique<train::Trainer>(cfg);
  } catch (const analysis::DataError& e) {
    throw py::value_error(e.what());
  }
  py::list history;
  {
    py::gil_scoped_release release;
    trainer->run([&](const train::EpochStats& s) {
      py::gil_scoped_acquire acquire;
      py::dict d = stats_dict(s);
      history.append(d);
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();  // Ctrl-C
      if (!callback.is_none()) {
        const py::object go = callback(d);
        if (!go.is_none() && !py::cast<bool>(go)) return false;
      }
      return true;
    });
  }
  return py::make_tuple(Model::from_data(trainer->to_model(command)), history);
}

}  // namespace

}  // namespace sasrnn::python

PYBIND11_MODULE(_sasrnn, mod) {
  using namespace sasrnn;
  using namespace sasrnn::python;
  mod.doc() = "sasrnn's C++ libraries (runtime, converter, evaluation, trainer); use the package sasrnn";
  mod.attr("__version__") = SASRNN_VERSION;
  g_model_error = PyErr_NewExceptionWithDoc(
      "sasrnn.ModelError",
      "A model the runtime refuses: .status is the runtime's status name (e.g. 'Corrupt'), .code "
      "its number, .message the runtime's message.",
      PyExc_ValueError, nullptr);
  mod.attr("ModelError") = py::handle(g_model_error);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const conv::ModelError& e) {
      py::object type = py::reinterpret_borrow<py::object>(g_model_error);
      py::object err = type(std::string(e.what()));
      err.attr("status") = status_name(e.status);
      err.attr("code") = static_cast<int>(e.status);
      err.attr("message") = status_message(e.status);
      PyErr_SetObject(g_model_error, err.ptr());
    }
  });

  py::class_<Model, std::shared_ptr<Model>>(mod, "_Model")
      .def_static("from_bytes",
                  [](const py::bytes& b, const std::string& source) {
                    const std::string s = b;
                    return Model::from_bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size(), source);
                  })
      .def_static("import_file", &import_file)
      .def_static("from_arrays", &model_from_arrays)
      .def("arrays", &arrays_of)
      .def("save", &save)
      .def("to_bytes", &to_bytes)
      .def("with_encoding", &with_encoding)
      .def_property_readonly("n", [](const Model& m) { return m.view.n; })
      .def_property_readonly("n_in", [](const Model& m) { return m.view.n_in; })
      .def_property_readonly("n_out", [](const Model& m) { return m.view.n_out; })
      .def_property_readonly("name", [](const Model& m) { return m.data.name; })
      .def_property_readonly("task", [](const Model& m) { return std::string(task_name(m.view.task)); })
      .def_property_readonly("format_version", [](const Model& m) { return m.view.root->format_version(); })
      .def_property_readonly("size_bytes", [](const Model& m) { return m.buffer.size(); })
      .def_property_readonly("encodings",
                             [](const Model& m) {
                               return py::make_tuple(m.data.input.encoding.describe(),
                                                     m.data.recurrent.encoding.describe(),
                                                     m.data.output.encoding.describe());
                             })
      .def_property_readonly("dynamics", &dynamics_of)
      .def_property_readonly("msi", &msi_of)
      .def_property_readonly("provenance", &provenance_of)
      .def("run_inputs", &run_inputs)
      .def("run_msi_trials",
           [](const Model& m, const py::array_t<int32_t, py::array::c_style | py::array::forcecast>& modality,
              const F32Array& rate, const py::array_t<uint32_t, py::array::c_style | py::array::forcecast>& index,
              const std::string& mode, uint64_t seed, float dt_ms, const std::string& protocol,
              bool recurrent_noise, bool input_noise, float fixation_ms, float stimulus_ms,
              float decision_ms, bool record, int threads) {
             return run_msi_trials(m, modality, rate, index,
                                   msi_config(mode, seed, 1, dt_ms, protocol, recurrent_noise, input_noise,
                                              fixation_ms, stimulus_ms, decision_ms, threads),
                                   record);
           })
      .def("evaluate_msi",
           [](const Model& m, const std::string& mode, uint64_t seed, uint32_t reps, float dt_ms,
              const std::string& protocol, bool recurrent_noise, bool input_noise, float fixation_ms,
              float stimulus_ms, float decision_ms, int threads) {
             return evaluate_msi(m, msi_config(mode, seed, reps, dt_ms, protocol, recurrent_noise, input_noise,
                                               fixation_ms, stimulus_ms, decision_ms, threads));
           })
      .def("run_mnist", &run_mnist)
      .def("evaluate_mnist", &evaluate_mnist)
      .def("runtime_noise", &runtime_noise);

  mod.def("encoding_names", [] { return conv::encoding_names(); });
  mod.def("load_mnist", &load_mnist);
  mod.def("default_mnist_dir", [] { return analysis::default_mnist_dir(); });
  mod.def("fit_psychometric", [](const std::array<uint32_t, msi::kRates>& high,
                                 const std::array<uint32_t, msi::kRates>& count) {
    const analysis::PsychometricFit f = analysis::fit_psychometric(high, count);
    return py::make_tuple(f.mu, f.sigma);
  });
  mod.def("gbptt", &gbptt);
  mod.def("train", &train_model);
}
