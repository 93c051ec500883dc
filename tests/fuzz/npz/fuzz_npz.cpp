// Fuzz target: the .npz reader (ZIP directory, stored and deflate members, .npy headers, dtypes,
// shapes, the model's checks). Any input is read or refused with one exception; a model it
// accepts must be one build_model_file() writes and load() accepts (the converter's checks and the
// runtime's agree), and it then runs a few steps in every mode (exercise_model.hpp).
#include <cstdint>
#include <exception>

#include "../exercise_model.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/converter/npz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sasrnn::conv::ModelData model;
  try {
    model = sasrnn::conv::parse_npz(data, size, "fuzz.npz");
  } catch (const std::exception&) {
    return 0;  // refused with a message: fine
  }
  sasrnn::conv::AlignedBuffer file;
  try {
    file = sasrnn::conv::build_model_file(model);
  } catch (const std::exception&) {
    sasrnn::fuzz::require(false);  // imported as valid, refused by the writer
  }
  sasrnn::ModelView view;
  sasrnn::fuzz::require(sasrnn::load(file.data(), file.size(), view) == sasrnn::Status::Ok);
  sasrnn::fuzz::exercise_all(view);
  return 0;
}
