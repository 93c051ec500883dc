// The cost of load()'s checks on the host: per model file, the median time of a whole load() and
// of the CRC-32C check alone (crc32c.hpp over the file), over many repetitions. Built twice: with
// SSE4.2's crc32 instruction (sasrnn_load_cost) and with the portable table loop that a Cortex-M
// runs (sasrnn_load_cost_portable). Figures: docs/fuzzing.md, "Checksum cost".
//   build/bench/sasrnn_load_cost models/*.sasrnn
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/crc32c.hpp"

namespace {

template <class F>
double median_us(F&& f, int reps) {
  std::vector<double> t;
  volatile uint32_t sink = 0;
  for (int r = 0; r < reps; ++r) {
    const auto a = std::chrono::steady_clock::now();
    sink = sink + f();
    const auto b = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double, std::micro>(b - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.sasrnn...\n", argv[0]);
    return 2;
  }
#if defined(__SSE4_2__) && !defined(SASRNN_NO_SIMD)
  const char* crc = "SSE4.2 crc32";
#else
  const char* crc = "table loop";
#endif
  std::printf("%-40s %9s %12s %12s %8s  (CRC-32C: %s; median of 301 runs)\n", "model", "bytes",
              "load() us", "checksum us", "share", crc);
  for (int a = 1; a < argc; ++a) {
    const sasrnn::conv::AlignedBuffer buf = sasrnn::conv::read_file(argv[a]);
    sasrnn::ModelView v;
    if (sasrnn::load(buf.data(), buf.size(), v) != sasrnn::Status::Ok) {
      std::fprintf(stderr, "%s: not a valid model\n", argv[a]);
      return 1;
    }
    const double load_us = median_us([&] { return static_cast<uint32_t>(sasrnn::load(buf.data(), buf.size(), v)); }, 301);
    const double crc_us = median_us([&] { return sasrnn::crc32c::compute(buf.data(), buf.size()); }, 301);
    std::printf("%-40s %9zu %12.1f %12.1f %7.1f%%  %s\n", argv[a], buf.size(), load_us, crc_us,
                100.0 * crc_us / load_us, v.checksum_verified ? "" : "(no checksum in the file)");
  }
  return 0;
}
