// Model import and export in NumPy (.npz) and JSON (.json) form, and dispatch by file extension.
// Array names and layout: docs/model-format.md ".npz and .json". Every error is one line
// "PATH: cause" thrown as std::runtime_error (ModelError for an invalid .sasrnn file).
#pragma once

#include <string>

#include "sasrnn/converter/model_file.hpp"

namespace sasrnn::conv {

/// Reads a NumPy .npz (np.savez or np.savez_compressed; zip64 records accepted): arrays
/// '<f4'/'<f8' (also big-endian, also Fortran order), f8 rounded to the nearest f32.
/// The model is fully checked (pi in [0, 1], xi >= 0, finite, dynamics, mask, task).
ModelData read_npz(const std::string& path);

/// read_npz() of the bytes [data, data + size) of a .npz held in memory; errors name `label`.
ModelData parse_npz(const uint8_t* data, size_t size, const std::string& label);

/// Writes an uncompressed .npz that numpy.load reads: arrays '<f4', provenance included.
/// Atomic (temporary file + rename). Refuses an invalid model.
void write_npz(const ModelData& model, const std::string& path);

/// Reads a JSON model: the .npz names as keys, matrices as lists of rows, scalars as numbers.
ModelData read_json(const std::string& path);

/// read_json() of the bytes [data, data + size) of a JSON model held in memory; errors name `label`.
ModelData parse_json(const uint8_t* data, size_t size, const std::string& label);

/// Writes a JSON model whose numbers read back to the same float32 bits. Atomic.
void write_json(const ModelData& model, const std::string& path);

/// Reads .npz, .json or .sasrnn by the path's extension (case-insensitive).
ModelData import_model(const std::string& path);

/// Writes .npz, .json or .sasrnn by the path's extension (case-insensitive). Atomic.
void export_model(const ModelData& model, const std::string& path);

}  // namespace sasrnn::conv
