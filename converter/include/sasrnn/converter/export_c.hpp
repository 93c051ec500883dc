// `sasrnn export-c`: a model file as a 16-byte aligned C array for firmware (docs/cli.md
// "export-c"). Two files are written into an output directory:
//   NAME.h    #include <stddef.h>; extern "C"-safe declarations
//               extern const unsigned char NAME[];  extern const size_t NAME_size;
//             and comments with the source file name, N/NIn/NOut, the byte count and alignment.
//   NAME.cpp  (or NAME.c) the definitions, alignas(16) const unsigned char NAME[] = {...};
//             the same text compiles as C11 and as C++11 or later.
// Only models that the runtime's load() accepts are exported. The output depends on the model
// bytes, NAME, the source file's name (not its directory) and the language only: no timestamps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sasrnn/feedforward/model.hpp"
#include "sasrnn/model.hpp"

namespace sasrnn::conv {

/// The language of the written source file (its suffix; the text is the same).
enum class CLanguage { Cxx, C };

/// Why `name` cannot be the array's symbol ("starts with a digit"), or nullptr if it can. It
/// must be a C identifier ([A-Za-z_][A-Za-z0-9_]*), not a C or C++ keyword, not reserved
/// (a leading `__` or `_X`, `__` anywhere, `main`).
const char* c_identifier_problem(const std::string& name);

/// The two files' texts.
struct CArrayText {
  std::string header;
  std::string source;
};

/// Formats a verified model's bytes as a C array named `name`; `source_name` is the model's file
/// name for the comments. Throws std::invalid_argument if `name` is not a usable identifier.
CArrayText c_array_text(const uint8_t* data, size_t size, const ModelView& view,
                        const std::string& name, const std::string& source_name,
                        CLanguage language = CLanguage::Cxx);
/// The same for a feedforward stack (its comments name the stack and ff::load()).
CArrayText c_array_text(const uint8_t* data, size_t size, const ff::ModelView& view,
                        const std::string& name, const std::string& source_name,
                        CLanguage language = CLanguage::Cxx);
/// "N=150 NIn=5 NOut=2", or "feedforward stack 784-100-100-10": a model's sizes in words.
std::string sizes_text(const ModelView& view);
std::string sizes_text(const ff::ModelView& view);

/// What export_c() wrote.
struct ExportCResult {
  std::string header_path;
  std::string source_path;
  size_t bytes = 0;
  uint32_t n = 0, n_in = 0, n_out = 0;  ///< the model's sizes (n = 0 for a feedforward stack)
  std::string sizes;                    ///< sizes_text() of the model
};

/// Verifies `data` with the runtime (load(), or ff::load() for a feedforward stack), then writes out_dir/NAME.h and out_dir/NAME.cpp
/// (or .c): both through temporary files, renamed once both are written. Creates out_dir if
/// missing. With `replace` false, an existing NAME.h or NAME.cpp is refused before anything is
/// written (sasrnn export-c without --force).
/// Throws ModelError for an invalid model, std::invalid_argument for a bad name,
/// std::runtime_error (one-line cause) when the files cannot be written.
ExportCResult export_c(const uint8_t* data, size_t size, const std::string& source_name,
                       const std::string& name, const std::string& out_dir,
                       CLanguage language = CLanguage::Cxx, bool replace = true);

/// export_c() of a model file (read and verified by load_model_file() or load_ff_model_file()).
ExportCResult export_c_file(const std::string& model_path, const std::string& name,
                            const std::string& out_dir, CLanguage language = CLanguage::Cxx,
                            bool replace = true);

}  // namespace sasrnn::conv
