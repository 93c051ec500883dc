// Fuzz target: the .json reader (nlohmann::json parsing, keys, nested lists, numbers, provenance,
// the model's checks). Any input is read or refused with one exception; a model it
// accepts must be one build_model_file() writes and load() accepts (the converter's checks and the
// runtime's agree), and it then runs a few steps in every mode (exercise_import.hpp).
#include <cstdint>
#include <exception>

#include "../exercise_import.hpp"
#include "sasrnn/converter/npz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sasrnn::conv::ModelData model;
  try {
    model = sasrnn::conv::parse_json(data, size, "fuzz.json");
  } catch (const std::exception&) {
    return 0;  // refused with a message: fine
  }
  sasrnn::fuzz::exercise_imported(model);
  return 0;
}
