#include "msi_app.hpp"

#include "app_output.hpp"
#include "platform.hpp"
#include "sasrnn/model.hpp"
#include "sasrnn/msi.hpp"

namespace fw {
namespace {

namespace msi = sasrnn::msi;

MsiNetwork g_net;  // static storage: the network's RAM is counted in .bss, never on the stack

msi::Protocol protocol_for(const sasrnn::ModelView& view, const MsiConfig& cfg) {
  msi::Protocol p = msi::with_model(msi::Protocol::test(cfg.dt_ms), view);
  p.input_noise = true;
  p.seed = cfg.seed;
  return p;
}

/// Permille of a / b, rounded to nearest (integer arithmetic).
uint32_t permille(uint32_t a, uint32_t b) { return b ? (2000u * a + b) / (2u * b) : 0u; }

int run_mode(const sasrnn::ModelView& view, sasrnn::Mode mode, const MsiConfig& cfg,
             int8_t* decisions) {
  const msi::Protocol protocol = protocol_for(view, cfg);
  sasrnn::Options opt;
  opt.mode = mode;
  opt.seed = cfg.seed;
  opt.recurrent_noise = true;
  opt.alpha = protocol.alpha();
  const sasrnn::Status s = g_net.bind(view, opt);
  if (s != sasrnn::Status::Ok) {
    print("bind failed: %s\n", sasrnn::status_name(s));
    return 1;
  }
  print("mode %s\n", sasrnn::mode_name(mode));
  uint32_t high[msi::kModalities][msi::kRates] = {};
  uint32_t count[msi::kModalities][msi::kRates] = {};
  const uint32_t total = msi::evaluation_size(cfg.reps);
  for (uint32_t k = 0; k < total; ++k) {
    const msi::Trial trial = msi::evaluation_trial(k, cfg.reps);
    const msi::Stimulus stim(protocol, trial);
    g_net.reset(trial.index);
    MsiNetwork::Input x;
    Fnv hash;
    HexLine y_line("y");
    for (int t = 0; t < stim.steps(); ++t) {
      stim.input(t, x.data());
      if (g_net.step(x) != sasrnn::Status::Ok) {
        print("step failed\n");
        return 1;
      }
      for (int i = 0; i < kN; ++i) hash.add(g_net.state()[i]);
      if (cfg.trajectories) {
        y_line.add(g_net.output()[msi::High]);
        y_line.add(g_net.output()[msi::Low]);
      }
    }
    if (cfg.trajectories) y_line.end();
    if (cfg.trajectories) {
      HexLine h_line("h");
      for (int i = 0; i < kN; ++i) h_line.add(g_net.state()[i]);
      h_line.end();
    }
    const int d = g_net.decide();
    decisions[k] = static_cast<int8_t>(d);
    const int m = static_cast<int>(trial.modality);
    const int r = static_cast<int>(trial.rate) - 9;
    ++count[m][r];
    high[m][r] += d == msi::High ? 1u : 0u;
    HexLine t_line("");
    print("trial %lu %s %d d=%d hash=%08lx y", static_cast<unsigned long>(k),
          msi::modality_name(trial.modality), static_cast<int>(trial.rate), d,
          static_cast<unsigned long>(hash.h));
    t_line.add(g_net.output()[msi::High]);
    t_line.add(g_net.output()[msi::Low]);
    t_line.end();
  }
  print(
      "P(high choice) %s, permille   rate:   9    10    11    12    13    14    15    16  "
      "correct\n",
      sasrnn::mode_name(mode));
  uint32_t correct_all = 0;
  for (int m = 0; m < msi::kModalities; ++m) {
    print("  %-9s", msi::modality_name(static_cast<msi::Modality>(m)));
    uint32_t correct = 0, n = 0;
    for (int r = 0; r < msi::kRates; ++r) {
      print(" %5lu", static_cast<unsigned long>(permille(high[m][r], count[m][r])));
      correct += msi::rate_of(r) > protocol.boundary ? high[m][r] : count[m][r] - high[m][r];
      n += count[m][r];
    }
    correct_all += correct;
    print("  %lu/%lu\n", static_cast<unsigned long>(correct), static_cast<unsigned long>(n));
  }
  print("accuracy %s: %lu/%lu trials correct\n", sasrnn::mode_name(mode),
        static_cast<unsigned long>(correct_all), static_cast<unsigned long>(total));
  return 0;
}

}  // namespace

int run_msi(const uint8_t* model, size_t size, const MsiConfig& cfg, MsiDecisions* decisions) {
  sasrnn::ModelView view;
  const sasrnn::Status s = sasrnn::load<kN, kNIn, kNOut>(model, size, view);
  if (s != sasrnn::Status::Ok) {
    print("model does not load: %s\n", sasrnn::status_name(s));
    return 1;
  }
  const uint32_t total = msi::evaluation_size(cfg.reps);
  if (total > MsiDecisions::kMaxTrials) {
    print("too many repetitions\n");
    return 1;
  }
  const msi::Stimulus probe(protocol_for(view, cfg), msi::Trial{});
  print(
      "sasrnn-fw msi: N=%d NIn=%d NOut=%d, model %lu bytes, seed %lu, %lu reps x 24 conditions, "
      "dt %d ms, %d steps per trial\n",
      kN, kNIn, kNOut, static_cast<unsigned long>(size), static_cast<unsigned long>(cfg.seed),
      static_cast<unsigned long>(cfg.reps), static_cast<int>(cfg.dt_ms), probe.steps());
  // '#' lines differ between host and target by nature (sizes of pointers) and are not compared.
  print("# network_ram_bytes<150,5,2>() = %lu\n",
        static_cast<unsigned long>(sasrnn::network_ram_bytes<kN, kNIn, kNOut>()));
  static MsiDecisions local;  // not on the stack
  MsiDecisions& out = decisions ? *decisions : local;
  out.trials = total;
  int rc = 0;
  for (int mi = 0; mi < 2; ++mi) rc |= run_mode(view, kMsiModes[mi], cfg, out.decision[mi]);
  return rc;
}

}  // namespace fw
