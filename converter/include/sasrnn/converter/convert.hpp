// `sasrnn convert INPUT OUTPUT`: format conversion between .sasrnn, .npz and .json.
#pragma once

#include <ostream>
#include <string>

#include "sasrnn/converter/npz.hpp"

namespace sasrnn::conv {

/// Options of `sasrnn convert` (cli/convert.cpp only parses them into this).
struct ConvertOptions {
  std::string input;   ///< .sasrnn, .npz or .json
  std::string output;  ///< .sasrnn, .npz or .json
  bool force = false;  ///< replace an existing OUTPUT
};

/// Reads `input`, writes `output` (formats by extension), prints one line with N, NIn, NOut and
/// the sizes before and after. On any error prints "sasrnn convert: <cause>" to `err` and returns 1.
int convert_command(const ConvertOptions& options, std::ostream& out, std::ostream& err);

}  // namespace sasrnn::conv
