// fw_compare: checks and reports the Cortex-M runs (host program, used by the CTest tests).
//
//   fw_compare msi|mnist|mnist_ff HOST.txt TARGET.txt [--abs-tol A] [--rel-tol R]
//              [--require-bit-identical]
//     Compares the output of msi_fw (msi), mnist_row_fw (mnist) or mnist_ff_fw (mnist_ff) under
//     QEMU with the host reference, line by line, ignoring
//     '#' lines. Tokens "d=K" (decisions) must be equal; "x:XXXXXXXX" tokens are floats
//     (bit patterns) that must agree within |a-b| <= A + R |a|; "hash=..." tokens (FNV-1a of
//     every h_i(t) of a trial; of the 10 logits of an image for mnist_ff) and every other token
//     must be equal, except that with a tolerance a hash may differ when the floats are within
//     it. Exit 0 when all holds.
//
//   fw_compare counts FIRMWARE.txt PLUGIN.txt [--tick-ns T --insn-ns I] [--unit step|image]
//     Pairs the "span ..." lines of msi_count (or mnist_row_count, mnist_ff_count) with the plugin's
//     "sasrnn-mark K COUNT" lines (two marks per span) and prints instructions per span (mean,
//     min, max) per mode, minus the marks' own cost from the calibration spans. A span is a
//     network step (--unit step, the default; with the real-time factor at 100 MHz for dt =
//     20 ms at one instruction per cycle) or an image (--unit image: what the app's span holds,
//     e.g. reset, 28 steps, decision; every image's count is listed).
//     With --tick-ns/--insn-ns (SysTick period and -icount time
//     per instruction), also the count the virtual clock implies.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> read_lines(const std::string& path, bool drop_comments) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "fw_compare: cannot open %s\n", path.c_str());
    std::exit(2);
  }
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (drop_comments && (line.empty() || line[0] == '#')) continue;
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> tokens(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string t;
  while (in >> t) out.push_back(t);
  return out;
}

bool parse_hex_float(const std::string& t, float& v) {
  if (t.size() != 10 || t.compare(0, 2, "x:") != 0) return false;
  char* end = nullptr;
  const unsigned long b = std::strtoul(t.c_str() + 2, &end, 16);
  if (*end != '\0') return false;
  const uint32_t bits = static_cast<uint32_t>(b);
  std::memcpy(&v, &bits, sizeof v);
  return true;
}

/// What the printed floats and the hashes of an app's output are, for the report.
struct Wording {
  const char* floats;
  const char* hashes;
};

Wording wording(const std::string& what) {
  const char* trajectories = "full trajectories h(t), all units and steps (hash)";
  if (what == "msi") return {"y(t) of every step, final h, final y", trajectories};
  if (what == "mnist") return {"the 10 outputs of every image at its last step", trajectories};
  return {"the 10 outputs (softmax) of every image", "the 10 logits z of every image (hash)"};
}

/// what: the app ("msi", "mnist" or "mnist_ff"), for the wording of the report.
int compare_app(const std::string& what, int argc, char** argv) {
  const auto host = read_lines(argv[2], true);
  const auto target = read_lines(argv[3], true);
  double abs_tol = 0, rel_tol = 0;
  bool require_bits = false;
  for (int k = 4; k < argc; ++k) {
    const std::string a = argv[k];
    if (a == "--abs-tol" && k + 1 < argc)
      abs_tol = std::atof(argv[++k]);
    else if (a == "--rel-tol" && k + 1 < argc)
      rel_tol = std::atof(argv[++k]);
    else if (a == "--require-bit-identical")
      require_bits = true;
    else {
      std::fprintf(stderr, "fw_compare %s: unknown option %s\n", what.c_str(), a.c_str());
      return 2;
    }
  }
  long structure = 0, decisions = 0, decisions_differ = 0, floats = 0, floats_differ = 0,
       floats_out = 0, hashes = 0, hashes_differ = 0;
  double max_abs = 0, max_rel = 0;
  if (host.size() != target.size()) {
    std::printf("line count differs: host %zu, target %zu\n", host.size(), target.size());
    ++structure;
  }
  const size_t n = host.size() < target.size() ? host.size() : target.size();
  for (size_t i = 0; i < n; ++i) {
    const auto a = tokens(host[i]), b = tokens(target[i]);
    if (a.size() != b.size()) {
      if (structure++ < 5)
        std::printf("line %zu differs:\n  host:   %.200s\n  target: %.200s\n", i + 1,
                    host[i].c_str(), target[i].c_str());
      continue;
    }
    for (size_t k = 0; k < a.size(); ++k) {
      float fa, fb;
      if (parse_hex_float(a[k], fa) && parse_hex_float(b[k], fb)) {
        ++floats;
        if (a[k] == b[k]) continue;
        ++floats_differ;
        const double d = std::fabs(static_cast<double>(fa) - static_cast<double>(fb));
        const double r = d / std::fmax(std::fabs(static_cast<double>(fa)), 1e-30);
        max_abs = std::fmax(max_abs, d);
        max_rel = std::fmax(max_rel, r);
        if (!(d <= abs_tol + rel_tol * std::fabs(static_cast<double>(fa)))) ++floats_out;
      } else if (a[k].compare(0, 2, "d=") == 0) {
        ++decisions;
        if (a[k] != b[k]) {
          if (decisions_differ++ < 10)
            std::printf("decision differs on line %zu: %s\n", i + 1, host[i].substr(0, 60).c_str());
        }
      } else if (a[k].compare(0, 5, "hash=") == 0) {
        ++hashes;
        hashes_differ += a[k] != b[k];
      } else if (a[k] != b[k]) {
        if (structure++ < 5)
          std::printf("line %zu token %zu differs: host '%s', target '%s'\n", i + 1, k + 1,
                      a[k].c_str(), b[k].c_str());
      }
    }
  }
  const bool identical =
      structure == 0 && decisions_differ == 0 && floats_differ == 0 && hashes_differ == 0;
  std::printf("decisions: %ld/%ld equal\n", decisions - decisions_differ, decisions);
  const Wording words = wording(what);
  std::printf("printed floats (%s): %ld/%ld bit-identical", words.floats, floats - floats_differ,
              floats);
  if (floats_differ)
    std::printf(", max |diff| %.3g, max relative %.3g, %ld outside tolerance (abs %.3g + rel %.3g)",
                max_abs, max_rel, floats_out, abs_tol, rel_tol);
  std::printf("\n%s: %ld/%ld bit-identical\n", words.hashes, hashes - hashes_differ, hashes);
  std::printf("result: %s\n",
              identical ? "BIT-IDENTICAL to the host" : "not bit-identical to the host");
  const bool ok = structure == 0 && decisions_differ == 0 && floats_out == 0 && decisions > 0 &&
                  (!require_bits || identical) &&
                  (hashes_differ == 0 || abs_tol > 0 || rel_tol > 0);
  return ok ? 0 : 1;
}

struct Span {
  std::string label;
  long step = -1;
  unsigned long ticks = 0;
};

int counts(int argc, char** argv) {
  const auto fw = read_lines(argv[2], true);
  const auto plugin = read_lines(argv[3], true);
  double tick_ns = 0, insn_ns = 0;
  std::string unit = "step";
  for (int k = 4; k + 1 < argc; k += 2) {
    if (std::strcmp(argv[k], "--tick-ns") == 0)
      tick_ns = std::atof(argv[k + 1]);
    else if (std::strcmp(argv[k], "--insn-ns") == 0)
      insn_ns = std::atof(argv[k + 1]);
    else if (std::strcmp(argv[k], "--unit") == 0)
      unit = argv[k + 1];
  }
  if (unit != "step" && unit != "image") {
    std::printf("--unit is step or image, not %s\n", unit.c_str());
    return 1;
  }
  const bool per_step = unit == "step";
  std::vector<Span> spans;
  for (const auto& line : fw) {
    const auto t = tokens(line);
    if (t.size() == 5 && t[0] == "span" && t[3] == "ticks")
      spans.push_back(Span{t[1], std::atol(t[2].c_str()), std::strtoul(t[4].c_str(), nullptr, 10)});
  }
  std::vector<uint64_t> marks;
  for (const auto& line : plugin) {
    const auto t = tokens(line);
    if (t.size() == 3 && t[0] == "sasrnn-mark") {
      if (std::strtoull(t[1].c_str(), nullptr, 10) != marks.size()) {
        std::printf("plugin marks out of order\n");
        return 1;
      }
      marks.push_back(std::strtoull(t[2].c_str(), nullptr, 10));
    }
  }
  if (spans.empty() || marks.size() != 2 * spans.size()) {
    std::printf("%zu spans but %zu marks (need two marks per span)\n", spans.size(), marks.size());
    return 1;
  }
  uint64_t calib = ~0ull, calib_max = 0;
  double calib_ticks = 0;
  int n_calib = 0;
  for (size_t k = 0; k < spans.size(); ++k) {
    if (spans[k].label != "calibration") continue;
    const uint64_t d = marks[2 * k + 1] - marks[2 * k];
    calib = d < calib ? d : calib;
    calib_max = d > calib_max ? d : calib_max;
    calib_ticks += static_cast<double>(spans[k].ticks);
    ++n_calib;
  }
  if (n_calib == 0 || calib != calib_max) {
    std::printf("calibration spans missing or unequal (%llu..%llu)\n",
                static_cast<unsigned long long>(calib), static_cast<unsigned long long>(calib_max));
    return 1;
  }
  calib_ticks /= n_calib;
  struct Stats {
    uint64_t sum = 0, min = ~0ull, max = 0;
    double ticks = 0;
    long steps = 0;
    std::vector<uint64_t> each;  ///< every span's count (listed with --unit image)
  };
  std::map<std::string, Stats> by_mode;
  bool icount_bad = false;
  std::vector<std::string> order;
  for (size_t k = 0; k < spans.size(); ++k) {
    if (spans[k].label == "calibration") continue;
    const uint64_t d = marks[2 * k + 1] - marks[2 * k] - calib;
    if (!by_mode.count(spans[k].label)) order.push_back(spans[k].label);
    Stats& s = by_mode[spans[k].label];
    s.sum += d;
    s.min = d < s.min ? d : s.min;
    s.max = d > s.max ? d : s.max;
    s.ticks += static_cast<double>(spans[k].ticks) - calib_ticks;
    ++s.steps;
    s.each.push_back(d);
  }
  std::printf("marks cost %llu instructions (subtracted)\n",
              static_cast<unsigned long long>(calib));
  const std::string per = "insns/" + unit;
  std::printf("%-18s %6s %12s %12s %12s", "mode", per_step ? "steps" : "images", per.c_str(), "min",
              "max");
  if (per_step) std::printf(" %10s %10s", "RTF mean", "RTF worst");
  if (tick_ns > 0 && insn_ns > 0) std::printf(" %16s", ("icount " + per).c_str());
  std::printf("\n");
  for (const auto& mode : order) {
    const Stats& s = by_mode[mode];
    const double mean = static_cast<double>(s.sum) / static_cast<double>(s.steps);
    std::printf("%-18s %6ld %12.1f %12llu %12llu", mode.c_str(), s.steps, mean,
                static_cast<unsigned long long>(s.min), static_cast<unsigned long long>(s.max));
    if (per_step) {
      // Real-time factor: cycles available per step at 100 MHz and dt = 20 ms over the
      // instructions per step (one instruction per cycle).
      const double budget = 100e6 * 0.020;
      std::printf(" %10.1f %10.1f", budget / mean, budget / static_cast<double>(s.max));
    }
    if (tick_ns > 0 && insn_ns > 0) {
      const double icount = s.ticks / static_cast<double>(s.steps) * tick_ns / insn_ns;
      std::printf(" %16.1f", icount);
      // SysTick resolves tick_ns / insn_ns instructions; allow two ticks per span.
      if (std::fabs(icount - mean) > 2.0 * tick_ns / insn_ns) icount_bad = true;
    }
    std::printf("\n");
  }
  if (!per_step) {
    std::printf("exact instructions of every %s:\n", unit.c_str());
    for (const auto& mode : order) {
      std::printf("  %-18s", mode.c_str());
      for (uint64_t d : by_mode[mode].each) std::printf(" %llu", static_cast<unsigned long long>(d));
      std::printf("\n");
    }
  }
  if (icount_bad) {
    std::printf("the -icount SysTick count disagrees with the plugin's count\n");
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && (std::strcmp(argv[1], "msi") == 0 || std::strcmp(argv[1], "mnist") == 0 ||
                    std::strcmp(argv[1], "mnist_ff") == 0))
    return compare_app(argv[1], argc, argv);
  if (argc >= 4 && std::strcmp(argv[1], "counts") == 0) return counts(argc, argv);
  std::fprintf(
      stderr,
      "usage: fw_compare msi|mnist|mnist_ff HOST.txt TARGET.txt [--abs-tol A] [--rel-tol R] "
      "[--require-bit-identical]\n"
      "       fw_compare counts FIRMWARE.txt PLUGIN.txt [--tick-ns T --insn-ns I] "
      "[--unit step|image]\n");
  return 2;
}
