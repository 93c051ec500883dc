// Writes the seed corpus of the checkpoint fuzz target (tests/fuzz/checkpoint/corpus) with a tiny
// training run of checkpoint_config(): before any epoch, after one, after three with the model
// selection's best parameters (and its validation scores), the same without the scores (as
// written before the header had them), and the version 2 and 1 headers of the same state.
//   build/tests/fuzz/fuzz_make_checkpoints tests/fuzz/checkpoint/corpus
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "checkpoint_config.hpp"
#include "sasrnn/converter/model_file.hpp"

namespace {
void write(const std::string& dir, const char* name, const std::string& bytes) {
  const std::string path = dir + "/" + name;
  sasrnn::conv::write_file(path, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  std::printf("%s: %zu bytes\n", path.c_str(), bytes.size());
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_checkpoints CORPUS_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  sasrnn::train::Trainer t(sasrnn::fuzz::checkpoint_config());
  write(dir, "epoch0.ckpt", t.checkpoint_bytes("epoch0.ckpt"));
  t.train_epoch();
  write(dir, "epoch1.ckpt", t.checkpoint_bytes("epoch1.ckpt"));
  t.note_validation(0.5, 1);
  t.train_epoch();
  t.train_epoch();
  t.note_validation(0.75, 3);
  const std::string best = t.checkpoint_bytes("epoch3_best.ckpt");
  write(dir, "epoch3_best.ckpt", best);
  {  // without the header's "validation" array: magic (8), version (4), header length (8), header
    uint64_t len = 0;
    std::memcpy(&len, &best[12], sizeof len);
    nlohmann::json head = nlohmann::json::parse(best.substr(20, len));
    head.erase("validation");
    const std::string text = head.dump();
    const uint64_t n = text.size();
    write(dir, "epoch3_best_no_scores.ckpt",
          best.substr(0, 12) + std::string(reinterpret_cast<const char*>(&n), sizeof n) + text + best.substr(20 + len));
  }
  // the same bytes under the older version numbers the reader still takes (2: with the best
  // parameters; 1: without them, and compared only on the identity keys it has)
  for (uint32_t version : {2u, 1u}) {
    std::string old = best;
    std::memcpy(&old[8], &version, sizeof version);
    write(dir, version == 2 ? "epoch3_best_v2.ckpt" : "epoch3_best_v1.ckpt", old);
  }
  return 0;
}
