// What the .npz and .json fuzz targets require of a model their reader accepted: the converter's
// writer writes it, the runtime's load() accepts it (the converter's checks and the runtime's
// agree), and it runs a few steps in every mode (exercise_model.hpp).
#pragma once

#include <exception>

#include "exercise_model.hpp"
#include "sasrnn/converter/model_file.hpp"

namespace sasrnn::fuzz {

inline void exercise_imported(const conv::ModelData& model) {
  conv::AlignedBuffer file;
  try {
    file = conv::build_model_file(model);
  } catch (const std::exception&) {
    require(false);  // imported as valid, refused by the writer
  }
  ModelView view;
  require(load(file.data(), file.size(), view) == Status::Ok);
  exercise_all(view);
}

}  // namespace sasrnn::fuzz
