// Internal to the converter: the named arrays of a .npz or .json model, widened to one
// representation, and their assembly into a checked ModelData (shared by both importers).
#pragma once

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

/// The documented array names; the array layout of a model (see the README).
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
