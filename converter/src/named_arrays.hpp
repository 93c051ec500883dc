// Internal to the converter: the named arrays of a .npz or .json model, widened to one
// representation, and their assembly into a checked ModelData (shared by both importers).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "sasrnn/converter/model_file.hpp"

namespace sasrnn::conv::detail {

/// One array as read from a file. Floats are widened to double (f4 and f8 both exact),
/// integers to 64 bits; strings are UTF-8.
struct Array {
  enum class Kind { Float, Int, Bool, String, Unsupported };
  Kind kind = Kind::Unsupported;
  std::string dtype;             ///< as the file spells it ('<f4', '>f8', '|b1', '<U7'; 'number' in JSON)
  std::vector<uint64_t> shape;   ///< empty: a 0-d array (a scalar)
  bool from_json = false;        ///< JSON numbers: integral floats may stand for integers
  bool is_unsigned = false;      ///< Int: values are uint64 bit patterns
  std::vector<double> f;         ///< Float, row-major
  std::vector<int64_t> i;        ///< Int (bit patterns if is_unsigned) and Bool (0/1 or the raw byte)
  std::vector<std::string> s;    ///< String
};

using Arrays = std::map<std::string, Array>;

/// "(150, 149)" as NumPy prints shapes.
std::string shape_string(const std::vector<uint64_t>& shape);

/// Keeps a string from a file safe to print on one line (control bytes become '?', long ones cut).
std::string printable(const std::string& s, size_t max = 60);

/// The float scalars of the array layout, name and field: the dynamics, and the MSI task
/// parameters (present only with task 1). One table for readers, writers and checks; `D` / `M`
/// may be const (pointers to const fields) or not.
template <class D>
auto dynamics_fields(D& y) {
  using F = decltype(&y.alpha);
  return std::array<std::pair<const char*, F>, 6>{{{"alpha", &y.alpha},
                                                   {"tau_ms", &y.tau_ms},
                                                   {"dt_ms", &y.dt_ms},
                                                   {"sigma_rec", &y.sigma_rec},
                                                   {"sigma_in", &y.sigma_in},
                                                   {"baseline", &y.baseline}}};
}
template <class M>
auto msi_fields(M& p) {
  using F = decltype(&p.fixation_ms);
  return std::array<std::pair<const char*, F>, 8>{{{"msi_fixation_ms", &p.fixation_ms},
                                                   {"msi_stimulus_ms", &p.stimulus_ms},
                                                   {"msi_decision_ms", &p.decision_ms},
                                                   {"msi_boundary", &p.boundary},
                                                   {"msi_rate_min", &p.rate_min},
                                                   {"msi_rate_max", &p.rate_max},
                                                   {"msi_target_hi", &p.target_hi},
                                                   {"msi_target_lo", &p.target_lo}}};
}

/// The documented array names; the array layout of a model (see docs/model-format.md).
ModelData assemble(const Arrays& arrays);

/// Throws std::runtime_error naming the array and position of the first invalid value:
/// pi outside [0, 1], xi < 0, non-finite values, bad dynamics, MSI parameters or mask.
void validate(const ModelData& model);

/// validate() for a writer: throws "PATH: refusing to write an invalid model: <cause>".
void validate_for_writing(const ModelData& model, const std::string& path);

/// Runs a reader of `path`; any failure becomes one line "PATH: cause" (std::runtime_error).
template <class Read>
ModelData read_with_path(const std::string& path, Read read) {
  try {
    return read();
  } catch (const std::bad_alloc&) {
    throw std::runtime_error(path + ": out of memory");
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

/// Rounds a double to the nearest float; throws if a finite value overflows float32.
float to_f32(double v, const std::string& what);

/// The lower-case extension of a path including the dot ('.npz'), or "".
std::string extension(const std::string& path);

/// The MSI task parameters apply_msi_task() sets.
MsiParamsView msi_defaults();

}  // namespace sasrnn::conv::detail
