// Fuzz target: a .sasrnn model buffer. load() and ff::load() must accept or refuse it without
// reading outside the buffer or any undefined behaviour, and never both accept it; a recurrent
// model then runs a few steps in every mode on every Network shape the tools use, a feedforward
// stack a few inferences (exercise_model.hpp), with finite outputs behind every Ok.
// A file whose checksum does not match is refused, and then tried again with its checksum corrected.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "../exercise_model.hpp"
#include "sasrnn/feedforward/model.hpp"
#include "sasrnn/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // load() requires a 16-byte aligned buffer: a copy of exactly `size` bytes (posix_memalign has
  // no size rule), so ASan sees any read past its end.
  void* p = nullptr;
  if (posix_memalign(&p, 16, size > 0 ? size : 1) != 0) return 0;
  uint8_t* buffer = static_cast<uint8_t*>(p);
  if (size > 0) std::memcpy(buffer, data, size);
  sasrnn::ModelView view;
  sasrnn::ff::ModelView stack;
  sasrnn::Status s = sasrnn::load(buffer, size, view);
  sasrnn::Status fs = sasrnn::ff::load(buffer, size, stack);
  sasrnn::fuzz::require((s == sasrnn::Status::ChecksumMismatch) == (fs == sasrnn::Status::ChecksumMismatch));
  if (s == sasrnn::Status::ChecksumMismatch) {
    // A mutation rarely keeps the CRC right: correct it, so that mutations reach the checks
    // behind it (the check itself ran above). Then the checksum must match.
    const size_t at = sasrnn::detail::checksum_offset(buffer, sasrnn::fb::GetModel(buffer));
    flatbuffers::WriteScalar<uint32_t>(buffer + at, sasrnn::detail::checksum_with_field_zero(buffer, size, at));
    s = sasrnn::load(buffer, size, view);
    fs = sasrnn::ff::load(buffer, size, stack);
    sasrnn::fuzz::require(s != sasrnn::Status::ChecksumMismatch);
  }
  // a file is one kind or the other, never both
  sasrnn::fuzz::require(!(s == sasrnn::Status::Ok && fs == sasrnn::Status::Ok));
  if (s == sasrnn::Status::Ok) sasrnn::fuzz::exercise_all(view);
  if (fs == sasrnn::Status::Ok) sasrnn::fuzz::exercise_stack(stack);
  std::free(p);
  return 0;
}
