// Fuzz target: the trainer's checkpoint reader (Trainer::load_checkpoint_bytes, the reader of
// `sasrnn train --resume`). One input is one checkpoint file, read into a trainer of the
// configuration its seeds were written with (checkpoint_config.hpp). It must be refused with a
// std::runtime_error (our one-line message; any other exception, e.g. the JSON library's, is a
// finding), or load a state that the trainer can use: epoch, history and optimiser steps agree,
// every parameter and moment is finite, pi in [0, 1], xi >= 0, second moments >= 0; and the
// checkpoint written from that state loads again to the same bits.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "checkpoint_config.hpp"

namespace {
void require(bool ok) {
  if (!ok) __builtin_trap();
}

using sasrnn::train::Group;
using sasrnn::train::Params;

bool usable(const Params<double>& p) {
  for (int k = 0; k < sasrnn::train::kGroups; ++k) {
    const auto& a = p.group(static_cast<Group>(k));
    if (!a.allFinite()) return false;
    if (k % 3 == 1 && ((a.array() < 0.0).any() || (a.array() > 1.0).any())) return false;  // pi
    if (k % 3 == 2 && (a.array() < 0.0).any()) return false;                               // xi
  }
  return true;
}

bool same(const Params<double>& a, const Params<double>& b) {
  for (int k = 0; k < sasrnn::train::kGroups; ++k)
    if (a.group(static_cast<Group>(k)) != b.group(static_cast<Group>(k))) return false;
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sasrnn::train::Trainer;
  static const Trainer pristine(sasrnn::fuzz::checkpoint_config());
  Trainer t = pristine;
  try {
    t.load_checkpoint_bytes(data, size, "fuzz.ckpt");
  } catch (const std::runtime_error&) {
    require(t.epoch() == pristine.epoch() && same(t.params(), pristine.params()));  // unchanged
    return 0;
  }
  require(t.epoch() >= 0 && t.history().size() == static_cast<size_t>(t.epoch()));
  for (size_t i = 0; i < t.history().size(); ++i) require(t.history()[i].epoch == static_cast<int>(i));
  require(usable(t.params()));
  if (t.has_best()) require(t.best_epoch() <= t.epoch() && usable(t.best_params()));
  // what a resumed run would write: it loads again, to the same state
  const std::string again = t.checkpoint_bytes("fuzz.ckpt");
  Trainer u = pristine;
  u.load_checkpoint_bytes(reinterpret_cast<const uint8_t*>(again.data()), again.size(), "fuzz.ckpt");
  require(u.epoch() == t.epoch() && same(u.params(), t.params()) && u.best_epoch() == t.best_epoch());
  require(u.checkpoint_bytes("fuzz.ckpt") == again);
  return 0;
}
