// Status codes returned by the runtime (no exceptions in runtime/).
#pragma once

#include <cstdint>

namespace sasrnn {

/// Every failure the runtime can report has its own code. Messages are plain `const char*`
/// (define SASRNN_NO_STATUS_MESSAGES to strip them from firmware images).
enum class Status : uint8_t {
  Ok = 0,
  NullBuffer,          ///< buffer pointer is null
  UnalignedBuffer,     ///< buffer is not 16-byte aligned
  TooSmall,            ///< buffer shorter than a FlatBuffer header
  BadIdentifier,       ///< file identifier is not "SASR"
  Corrupt,             ///< flatbuffers::Verifier rejected the buffer (truncated or malformed)
  UnsupportedVersion,  ///< format_version is not one this runtime reads
  MissingField,        ///< a required table or array is absent
  BadDimensions,       ///< N, NIn or NOut is zero, too large, or disagrees with a layer's shape
  ShapeMismatch,       ///< model sizes differ from the Network<N, NIn, NOut> template sizes
  ArraySizeMismatch,   ///< an array's length is not rows * cols
  UnalignedArray,      ///< a weight array is not 16-byte aligned inside the buffer
  PiOutOfRange,        ///< some pi is outside [0, 1]
  XiNegative,          ///< some xi is negative
  NonFinite,           ///< some pi, m, xi or dynamics value is NaN or infinite
  BadDynamics,         ///< alpha not in (0, 1], negative noise, or non-positive time constants
  BadEnum,             ///< unknown activation, readout, task kind or value type
  BadMask,             ///< input mask has the wrong size, a value other than 0/1, or pi != 1 where masked
  BadTask,             ///< task parameters are missing or invalid
  NonFiniteInput,      ///< an input vector given to step() holds NaN or infinity
  BadOption,           ///< run options are invalid (e.g. alpha override outside (0, 1])
  NotBound,            ///< network used before a successful bind()
  BadSparse,           ///< a sparse layer's bitmap, classes or row offsets are inconsistent
  BadMoments,          ///< precomputed mu/var differ from (1 - pi) m and (1 - pi)(xi + pi m m), or in a version 1 file
  EncodingNotBuilt,    ///< the model uses sparse layers or moments, left out of this build (SASRNN_NO_SPARSE / SASRNN_NO_MOMENTS)
  ChecksumMismatch,    ///< the file's CRC-32C differs from its bytes: damaged in storage or in transit
  MeanOverflow,        ///< a row's summed |m| + sqrt(xi), times the largest admissible activity, overflows float
  VarianceOverflow,    ///< a connection's var, or a row's summed xi + m^2 times the activity squared, overflows float
  InputOverflow,       ///< an input given to step() exceeds the largest admissible activity (kMaxActivity)
  NonFiniteState,      ///< the run went non-finite (h, r or y); reset() before stepping on
  AlphaMismatch,       ///< the stored alpha differs from dt_ms / tau_ms by more than kAlphaTolerance
  NotRecurrent,        ///< a feedforward model (format version 3) given to a recurrent entry point (load())
  NotFeedforward,      ///< a recurrent model given to a feedforward entry point (ff::load())
  BadStack,            ///< a feedforward stack is empty, too deep, or its layer sizes do not chain
};

constexpr int kStatusCount = static_cast<int>(Status::BadStack) + 1;

inline const char* status_name(Status s) {
  switch (s) {
    case Status::Ok: return "Ok";
    case Status::NullBuffer: return "NullBuffer";
    case Status::UnalignedBuffer: return "UnalignedBuffer";
    case Status::TooSmall: return "TooSmall";
    case Status::BadIdentifier: return "BadIdentifier";
    case Status::Corrupt: return "Corrupt";
    case Status::UnsupportedVersion: return "UnsupportedVersion";
    case Status::MissingField: return "MissingField";
    case Status::BadDimensions: return "BadDimensions";
    case Status::ShapeMismatch: return "ShapeMismatch";
    case Status::ArraySizeMismatch: return "ArraySizeMismatch";
    case Status::UnalignedArray: return "UnalignedArray";
    case Status::PiOutOfRange: return "PiOutOfRange";
    case Status::XiNegative: return "XiNegative";
    case Status::NonFinite: return "NonFinite";
    case Status::BadDynamics: return "BadDynamics";
    case Status::BadEnum: return "BadEnum";
    case Status::BadMask: return "BadMask";
    case Status::BadTask: return "BadTask";
    case Status::NonFiniteInput: return "NonFiniteInput";
    case Status::BadOption: return "BadOption";
    case Status::NotBound: return "NotBound";
    case Status::BadSparse: return "BadSparse";
    case Status::BadMoments: return "BadMoments";
    case Status::EncodingNotBuilt: return "EncodingNotBuilt";
    case Status::ChecksumMismatch: return "ChecksumMismatch";
    case Status::MeanOverflow: return "MeanOverflow";
    case Status::VarianceOverflow: return "VarianceOverflow";
    case Status::InputOverflow: return "InputOverflow";
    case Status::NonFiniteState: return "NonFiniteState";
    case Status::AlphaMismatch: return "AlphaMismatch";
    case Status::NotRecurrent: return "NotRecurrent";
    case Status::NotFeedforward: return "NotFeedforward";
    case Status::BadStack: return "BadStack";
  }
  return "Unknown";
}

inline const char* status_message(Status s) {
#ifdef SASRNN_NO_STATUS_MESSAGES
  (void)s;
  return "";
#else
  switch (s) {
    case Status::Ok: return "ok";
    case Status::NullBuffer: return "model buffer is null";
    case Status::UnalignedBuffer: return "model buffer is not 16-byte aligned";
    case Status::TooSmall: return "model buffer is too small to be a model file";
    case Status::BadIdentifier: return "not a sasrnn model (file identifier is not SASR)";
    case Status::Corrupt: return "model file is truncated or corrupt (FlatBuffers verification failed)";
    case Status::UnsupportedVersion: return "model format_version is not supported by this runtime";
    case Status::MissingField: return "model lacks a required table or array";
    case Status::BadDimensions: return "model sizes N/NIn/NOut are zero, too large or inconsistent";
    case Status::ShapeMismatch: return "model sizes differ from the network's compile-time sizes";
    case Status::ArraySizeMismatch: return "a weight array's length is not rows*cols";
    case Status::UnalignedArray: return "a weight array is not 16-byte aligned in the buffer";
    case Status::PiOutOfRange: return "a spike probability pi lies outside [0, 1]";
    case Status::XiNegative: return "a slab variance xi is negative";
    case Status::NonFinite: return "a model value is NaN or infinite";
    case Status::BadDynamics: return "invalid dynamics (alpha, time constants or noise)";
    case Status::BadEnum: return "unknown activation, readout, task kind or value type";
    case Status::BadMask: return "invalid input mask (size, values, or pi != 1 on a masked connection)";
    case Status::BadTask: return "invalid task parameters";
    case Status::NonFiniteInput: return "input vector holds NaN or infinity";
    case Status::BadOption: return "invalid run option";
    case Status::NotBound: return "network is not bound to a model";
    case Status::BadSparse: return "a sparse layer's bitmap, classes or row offsets are inconsistent";
    case Status::BadMoments: return "a layer's precomputed moments mu/var disagree with its pi, m, xi";
    case Status::EncodingNotBuilt: return "the model uses a layer encoding this build leaves out (SASRNN_NO_SPARSE / SASRNN_NO_MOMENTS)";
    case Status::ChecksumMismatch: return "the model's checksum does not match its bytes (damaged in storage or in transit)";
    case Status::MeanOverflow: return "a layer's weights are so large that a mean at the largest admissible activity overflows";
    case Status::VarianceOverflow: return "a layer's variances are so large that they overflow at the largest admissible activity";
    case Status::InputOverflow: return "an input exceeds the largest admissible activity (1e6)";
    case Status::NonFiniteState: return "the run went non-finite (state or output NaN or infinite); reset the network";
    case Status::AlphaMismatch: return "the stored alpha differs from dt_ms / tau_ms";
    case Status::NotRecurrent: return "the model is a feedforward stack, not a recurrent network";
    case Status::NotFeedforward: return "the model is a recurrent network, not a feedforward stack";
    case Status::BadStack: return "the feedforward stack is empty, deeper than 8 layers, or its layer sizes do not chain";
  }
  return "unknown status";
#endif
}

}  // namespace sasrnn
