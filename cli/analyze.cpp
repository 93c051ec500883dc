// sasrnn analyze: the paper's analyses of one model (the evaluation and analysis library in
// analysis/ computes them): hyperparameter statistics and matrices, sparsity and eq. 14 entropy per
// layer, VIP/UIP and the targeted perturbation sweep, psychometric fits (MSI), SLI and selectivity,
// the concrete networks along a trial, the four runtime modes side by side (analyze_modes.cpp), and
// the course of training from the trainer's log. Writes CSV and JSON, draws the figures with
// scripts/plot-analysis (matplotlib) and writes report.md, all into a temporary sibling of DIR
// that is renamed to DIR at the end: a failure leaves DIR as it was.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "analyze_ff.hpp"
#include "analyze_modes.hpp"
#include "analyze_report.hpp"
#include "commands.hpp"
#include "sasrnn/analysis/activity.hpp"
#include "sasrnn/analysis/ensemble.hpp"
#include "sasrnn/analysis/mnist_eval.hpp"
#include "sasrnn/analysis/msi_eval.hpp"
#include "sasrnn/analysis/perturbation.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/trainer/trainer.hpp"

#ifndef SASRNN_PLOT_SCRIPT
#define SASRNN_PLOT_SCRIPT "scripts/plot-analysis"
#endif

namespace sasrnn::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace sasrnn::analysis;

struct AnalyzeArgs {
  std::string path, log, out, mnist_dir;
  std::string python = "/usr/bin/python3", plot_script = SASRNN_PLOT_SCRIPT;
  bool no_plots = false;
  bool force = false;  ///< replace an existing, non-empty DIR
  VipRule rule;
  EntropyOptions entropy;
  SweepConfig sweep;
  uint32_t trials = 100;          // MSI psychometrics: repetitions per condition
  uint32_t sweep_trials = 25;     // MSI sweep: repetitions per condition and point
  uint32_t activity_trials = 20;  // MSI traces: repetitions per condition
  int images = 0;                 // MNIST accuracy: test images (0: all)
  int sweep_images = 1000;        // MNIST sweep: test images per point
  int activity_images = 1000;     // MNIST traces: test images
  uint64_t seed = 1;
  int threads = 2;
  float dt = 20.0f;
  FfSweepConfig ff_sweep;  // a feedforward stack's perturbation (analyze_ff.cpp)
  CLI::App* app = nullptr;  // to ask which options were given
};

/// A feedforward stack: its own analyses (analyze_ff.cpp); the recurrent models' options refused.
int analyze_stack(const AnalyzeArgs& a) {
  for (const char* name : {"--trials", "--sweep-trials", "--activity-trials", "--dt", "--activity-images"})
    if (a.app != nullptr && a.app->count(name) > 0)
      throw std::runtime_error(std::string(name) + " is an option of recurrent models; " + a.path +
                               " is a feedforward stack");
  FfAnalyzeArgs f;
  f.path = a.path;
  f.log = a.log;
  f.out = a.out;
  f.mnist_dir = a.mnist_dir;
  f.python = a.python;
  f.plot_script = a.plot_script;
  f.command = command_line();
  f.no_plots = a.no_plots;
  f.force = a.force;
  f.rule = a.rule;
  f.entropy = a.entropy;
  f.sweep = a.ff_sweep;
  f.sweep.points = a.sweep.points;
  f.sweep.draws = a.sweep.draws;
  f.images = a.images;
  f.sweep_images = a.sweep_images;
  f.seed = a.seed;
  f.threads = a.threads;
  return analyze_ff(f);
}

constexpr double kSelective = 0.25;   // |preference| above which a unit counts as selective
constexpr double kActiveRate = 1e-3;  // mean rate below which a unit counts as silent
constexpr double kEpochRate = 1e-2;   // MSI: mean rate in an epoch below which no preference counts

using report::Csv;
using report::Finding;
using report::fmt;
using report::histogram;
using report::pct;
using report::shape;
using report::verdict;
using report::write_matrix;

// ----- the trainer's log -----------------------------------------------------------------------

/// The trainer's log of a recurrent model (trainer's csv_header).
report::TrainingLog read_log(const std::string& path) {
  return report::read_training_log(path, train::csv_header(),
                                   "not a log of sasrnn train (its header is not the trainer's)");
}

/// The log belongs to the model if one of its epochs has the model's sparsity per layer (and
/// recurrent VIP fraction): the trainer logs them from the parameters it saves.
void check_log_matches(const report::TrainingLog& log, const std::string& path, const std::map<std::string, double>& model) {
  double best = HUGE_VAL;
  int best_epoch = -1;
  for (const auto& row : log.rows) {
    double worst = 0;
    for (const auto& kv : model) worst = std::max(worst, std::fabs(row[static_cast<size_t>(log.col(kv.first))] - kv.second));
    if (worst < best) {
      best = worst;
      best_epoch = static_cast<int>(row[0]);
    }
  }
  if (best > 1e-5) {
    std::ostringstream o;
    o << path << " is not the log of this model: no epoch has its sparsity and VIP fraction (model:";
    for (const auto& kv : model) o << " " << kv.first << " " << fmt(kv.second, 6);
    o << "; closest epoch " << best_epoch << " differs by " << fmt(best, 3) << ")";
    throw std::runtime_error(o.str());
  }
}

int analyze(const AnalyzeArgs& a) {
  {
    const conv::AlignedBuffer bytes = conv::read_file(a.path);
    if (conv::is_feedforward(bytes.data(), bytes.size())) return analyze_stack(a);
  }
  const auto t_start = std::chrono::steady_clock::now();
  a.rule.check();
  a.entropy.check();
  SweepConfig sweep = a.sweep;
  sweep.rule = a.rule;
  sweep.seed = a.seed;
  sweep.check();
  if (a.out.empty()) throw std::runtime_error("--out DIR is required");

  auto [buffer, model] = conv::load_model_file(a.path);
  const ModelView& view = model;  // for lambdas: a structured binding cannot be captured (C++17)
  if (model.task == TaskKind::None)
    throw std::runtime_error(a.path + " has no task (msi, mnist-row or mnist-pixel), so there is nothing "
                             "to run it on; give it one when converting it");
  check_host_sizes(model);
  const bool msi = model.task == TaskKind::MSI;
  const std::string model_name = fs::path(a.path).filename().string();

  // layers as host arrays
  const HostLayer in = decode_layer(model.input), rec = decode_layer(model.recurrent),
                  out = decode_layer(model.output);
  const std::vector<double> eps = entropy_normals(a.entropy);
  const uint8_t* mask = model.input_mask;
  std::vector<LayerSummary> layers = {
      summarize("input", in, Part::All, a.rule, a.entropy, eps, mask),
      summarize("recurrent", rec, Part::All, a.rule, a.entropy, eps),
      summarize("recurrent_I", rec, Part::Upper, a.rule, a.entropy, eps),
      summarize("recurrent_II", rec, Part::Lower, a.rule, a.entropy, eps),
      summarize("recurrent_diagonal", rec, Part::Diagonal, a.rule, a.entropy, eps),
      summarize("recurrent_offdiagonal", rec, Part::OffDiagonal, a.rule, a.entropy, eps),
      summarize("output", out, Part::All, a.rule, a.entropy, eps)};
  const LayerSummary &L_in = layers[0], &L_rec = layers[1], &L_I = layers[2], &L_II = layers[3],
                     &L_diag = layers[4], &L_off = layers[5], &L_out = layers[6];

  // the log, checked before anything is run or written
  report::TrainingLog log;
  if (!a.log.empty()) {
    log = read_log(a.log);
    check_log_matches(log, a.log,
                      {{"sparsity_in", L_in.sparsity},
                       {"sparsity_rec_I", L_I.sparsity},
                       {"sparsity_rec_II", L_II.sparsity},
                       {"sparsity_out", L_out.sparsity},
                       {"vip_rec", layers[1].vip}});
  }
  // MNIST data, read before anything is written
  MnistSet test;
  if (!msi) {
    mnist_sequence_of(model);
    test = load_mnist(a.mnist_dir.empty() ? default_mnist_dir() : a.mnist_dir, MnistSplit::Test);
    if (a.images < 0 || a.images > test.count || a.sweep_images < 1 || a.sweep_images > test.count ||
        a.activity_images < 10 || a.activity_images > test.count)
      throw std::runtime_error("--images, --sweep-images and --activity-images must be within the " +
                               std::to_string(test.count) + " test images");
  }

  // everything is written into a temporary sibling of DIR, renamed to DIR at the end
  report::OutputDir dir(a.out, a.force);
  const fs::path& tmp = dir.tmp();

  json summary;
  summary["model"] = model_name;
  summary["task"] = task_name(model.task);
  summary["n"] = model.n;
  summary["options"] = {{"vip_pi_max", a.rule.vip_pi_max},   {"vip_m_min", a.rule.vip_m_min},
                        {"uip_pi_min", a.rule.uip_pi_min},   {"entropy_a", a.entropy.a},
                        {"entropy_samples", a.entropy.samples}, {"seed", a.seed},
                        {"threads", a.threads}};
  std::vector<Finding> findings;
  std::ostringstream md;  // the body of report.md, section by section

  // 1. hyperparameter statistics, matrices, entropy ------------------------------------------
  {
    Csv c(tmp / "layers.csv",
          "layer,count,sparsity,mean_m,mean_abs_m,mean_xi,vip,uip,pi_entropy,xi_entropy,entropy");
    for (const LayerSummary& s : layers)
      c.row(s.name, s.count, s.sparsity, s.mean_m, s.mean_abs_m, s.mean_xi, s.vip, s.uip, s.pi_entropy,
            s.xi_entropy, s.entropy);
    const struct {
      const char* name;
      const HostLayer* l;
      const uint8_t* mask;
    } mats[] = {{"input", &in, mask}, {"recurrent", &rec, nullptr}, {"output", &out, nullptr}};
    for (const auto& mt : mats) {
      write_matrix(tmp / ("matrix_" + std::string(mt.name) + "_pi.csv"), mt.l->pi, mt.l->rows, mt.l->cols, mt.mask);
      write_matrix(tmp / ("matrix_" + std::string(mt.name) + "_m.csv"), mt.l->m, mt.l->rows, mt.l->cols, mt.mask);
      write_matrix(tmp / ("matrix_" + std::string(mt.name) + "_xi.csv"), mt.l->xi, mt.l->rows, mt.l->cols, mt.mask);
    }
    // the shapes of the pi and Xi distributions (10 bins over [0, 1] and [0, max Xi])
    auto values = [&](const HostLayer& l, Part part, const std::vector<float> HostLayer::*field) {
      std::vector<double> v;
      for (uint32_t i = 0; i < l.rows; ++i)
        for (uint32_t j = 0; j < l.cols; ++j) {
          const bool keep = part == Part::All || (part == Part::Upper ? i < j : i > j);
          if (keep) v.push_back((l.*field)[static_cast<size_t>(i) * l.cols + j]);
        }
      return v;
    };
    json shapes;
    for (const auto& [name, l] : {std::pair<std::string, const HostLayer*>{"recurrent", &rec}, {"output", &out}}) {
      const std::vector<double> pis = values(*l, Part::All, &HostLayer::pi);
      const std::vector<double> xis = values(*l, Part::All, &HostLayer::xi);
      const double xmax = std::max(1e-12, *std::max_element(xis.begin(), xis.end()));
      const std::vector<double> hp = histogram(pis, 0, 1, 10), hx = histogram(xis, 0, xmax, 10);
      shapes[name] = {{"pi_shape", shape(hp)}, {"pi_first_bin", hp.front()}, {"pi_last_bin", hp.back()},
                      {"xi_shape", shape(hx)}, {"xi_first_bin", hx.front()}, {"xi_max", xmax}};
    }
    summary["layers"] = json::array();
    for (const LayerSummary& s : layers)
      summary["layers"].push_back({{"layer", s.name}, {"count", s.count}, {"sparsity", s.sparsity},
                                   {"vip", s.vip}, {"uip", s.uip}, {"pi_entropy", s.pi_entropy},
                                   {"xi_entropy", s.xi_entropy}, {"entropy", s.entropy}});
    summary["shapes"] = shapes;

    md << "## Hyperparameters, sparsity and entropy (Figs. 3b, 4, 5, 6, 12-14, 16)\n\n"
       << "Per layer: sparsity = mean π (paper Sec. III A); VIP: π < " << fmt(a.rule.vip_pi_max)
       << " and |m| > " << fmt(a.rule.vip_m_min) << "; UIP: π > " << fmt(a.rule.uip_pi_min)
       << "; entropies per connection in nats: the π-entropy H(π), the Ξ-entropy ½ ln(2πe max(Ξ, a)) and "
          "the total of eq. 14 with δ relaxed to N(0, a), a = "
       << fmt(a.entropy.a) << ", B = " << a.entropy.samples
       << " (masked input connections left out).\n\n"
       << "| layer | connections | sparsity | mean m | mean \\|m\\| | mean Ξ | VIP | UIP | π-entropy | Ξ-entropy | entropy (eq. 14) |\n"
       << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const LayerSummary& s : layers)
      md << "| " << s.name << " | " << s.count << " | " << fmt(s.sparsity) << " | " << fmt(s.mean_m) << " | "
         << fmt(s.mean_abs_m) << " | " << fmt(s.mean_xi) << " | " << pct(s.vip) << " | " << pct(s.uip) << " | "
         << fmt(s.pi_entropy) << " | " << fmt(s.xi_entropy) << " | " << fmt(s.entropy) << " |\n";
    md << "\n![hyperparameter distributions](hyperparameters.png)\n\n![recurrent matrices](matrices.png)\n\n";

    findings.push_back({"The recurrent layer is sparser than the output layer (Figs. 3b, 12; Sec. IV)",
                        verdict(L_rec.sparsity > L_out.sparsity),
                        "sparsity recurrent " + fmt(L_rec.sparsity) + ", output " + fmt(L_out.sparsity)});
    const double dir_gap = std::fabs(L_I.sparsity - L_II.sparsity);
    findings.push_back({"The sparsity does not depend on the direction of the coupling: recurrent I (i < j) ≈ II (i > j) (Fig. 3b)",
                        verdict(dir_gap < 0.05 * std::max(L_I.sparsity, L_II.sparsity) + 1e-3),
                        "I " + fmt(L_I.sparsity) + ", II " + fmt(L_II.sparsity)});
    const std::string want_pi = "U";  // the paper: U for MSI (Fig. 14) and row-by-row MNIST (Sec. III A)
    for (const char* layer : {"recurrent", "output"}) {
      const json& s = shapes[layer];
      findings.push_back({std::string("The π distribution of the ") + layer +
                              " layer is U-shaped, peaks at π ≈ 0 (VIP candidates) and π ≈ 1 (UIP) (Figs. 5, 14; L-shaped for pixel MNIST)",
                          verdict(s["pi_shape"] == want_pi) + (s["pi_shape"] == "L" ? " (L-shaped)" : ""),
                          "shape " + s["pi_shape"].get<std::string>() + "; π < 0.1: " +
                              pct(s["pi_first_bin"].get<double>()) + ", π > 0.9: " + pct(s["pi_last_bin"].get<double>())});
      findings.push_back({std::string("The Ξ distribution of the ") + layer + " layer is L-shaped, peaked at 0 (Figs. 5, 14)",
                          verdict(s["xi_shape"] == "L" || s["xi_shape"] == "U"),
                          "shape " + s["xi_shape"].get<std::string>() + "; first of 10 bins up to max Ξ " +
                              fmt(s["xi_max"].get<double>()) + ": " + pct(s["xi_first_bin"].get<double>())});
    }
    findings.push_back({"The recurrent layer keeps more variability than the output layer: higher Ξ-entropy and eq. 14 entropy (Figs. 4, 13)",
                        verdict(L_rec.xi_entropy > L_out.xi_entropy && L_rec.entropy > L_out.entropy),
                        "Ξ-entropy recurrent " + fmt(L_rec.xi_entropy) + ", output " + fmt(L_out.xi_entropy) +
                            "; eq. 14 recurrent " + fmt(L_rec.entropy) + ", output " + fmt(L_out.entropy)});
    findings.push_back({"Self-interactions emerge: the diagonal of m stands out, the diagonals of π and Ξ nearly vanish (Fig. 6, pixel MNIST)",
                        verdict(L_diag.mean_m > L_off.mean_abs_m && L_diag.sparsity < 0.5 * L_off.sparsity),
                        "diagonal mean m " + fmt(L_diag.mean_m) + " (off-diagonal mean |m| " + fmt(L_off.mean_abs_m) +
                            "), mean π " + fmt(L_diag.sparsity) + " (off-diagonal " + fmt(L_off.sparsity) +
                            "), mean Ξ " + fmt(L_diag.mean_xi) + " (off-diagonal " + fmt(L_off.mean_xi) + ")"});
  }

  // 2. accuracy in both modes, psychometrics ------------------------------------------------------
  const double chance = msi ? 0.5 : 0.1;
  double acc_mf = 0, acc_sps = 0;
  int acc_n = 0;  // trials or images behind each accuracy
  // the evaluation set: MSI, --trials per condition in the test protocol; MNIST, --images test images
  EvalConfig msi_cfg;
  msi_cfg.reps = a.trials;
  msi_cfg.seed = a.seed;
  msi_cfg.dt_ms = a.dt;
  msi_cfg.threads = a.threads;
  MnistEvalConfig mnist_cfg;
  mnist_cfg.seed = a.seed;
  mnist_cfg.threads = a.threads;
  mnist_cfg.limit = a.images;
  const auto accuracy_in = [&](Mode mode) {
    if (msi) {
      EvalConfig c = msi_cfg;
      c.mode = mode;
      return evaluate_msi(view, c).accuracy;
    }
    MnistEvalConfig c = mnist_cfg;
    c.mode = mode;
    return evaluate_mnist(view, test, c).accuracy();
  };
  msi::Protocol protocol;
  if (msi) {
    EvalConfig cfg = msi_cfg;
    protocol = eval_protocol(model, cfg);
    Csv pc(tmp / "psychometric.csv", "mode,modality,rate,high,count,p_high");
    Csv fc(tmp / "fits.csv", "mode,modality,mu,se_mu,sigma,se_sigma,converged,separated,sigma_upper");
    json fits;
    md << "## Psychometric curves (Fig. 11)\n\n"
       << "The MSI test protocol (" << protocol.fixation_ms << "/" << protocol.stimulus_ms << "/"
       << protocol.decision_ms << " ms, Δt = " << fmt(a.dt) << " ms), " << a.trials
       << " trials per condition, seed " << a.seed
       << ". Fits: P(high) = Φ((f − μ)/σ) by exact maximum likelihood (Fisher scoring), ± one standard error. "
          "Optimal integration predicts 1/σ²_both = 1/σ²_visual + 1/σ²_auditory.\n\n"
       << "| mode | modality | accuracy | μ | σ | \n|---|---|---:|---:|---:|\n";
    for (Mode mode : {Mode::MeanField, Mode::SampledPerStep}) {
      cfg.mode = mode;
      const EvalResult r = evaluate_msi(model, cfg);
      (mode == Mode::MeanField ? acc_mf : acc_sps) = r.accuracy;
      acc_n = static_cast<int>(r.trials.size());
      ProbitFit f[msi::kModalities];
      for (int m = 0; m < msi::kModalities; ++m) {
        std::vector<double> x, k, n;
        for (int q = 0; q < msi::kRates; ++q) {
          x.push_back(msi::rate_of(q));
          k.push_back(r.high[static_cast<size_t>(m)][static_cast<size_t>(q)]);
          n.push_back(r.count[static_cast<size_t>(m)][static_cast<size_t>(q)]);
          pc.row(mode_name(mode), msi::modality_name(static_cast<msi::Modality>(m)), msi::rate_of(q),
                 k.back(), n.back(), r.p_high(m, q));
        }
        f[m] = fit_probit(x, k, n);
        const char* mname = msi::modality_name(static_cast<msi::Modality>(m));
        fc.row(mode_name(mode), mname, f[m].mu, f[m].se_mu, f[m].sigma, f[m].se_sigma, f[m].converged, f[m].separated,
               f[m].sigma_upper);
        fits[mode_name(mode)][mname] = {{"mu", f[m].mu}, {"se_mu", f[m].se_mu}, {"sigma", f[m].sigma},
                                        {"se_sigma", f[m].se_sigma}, {"separated", f[m].separated},
                                        {"sigma_upper", f[m].sigma_upper}, {"converged", f[m].converged}};
        md << "| " << mode_name(mode) << " | " << mname << " | " << pct(r.modality_accuracy[static_cast<size_t>(m)]) << " | ";
        if (f[m].separated)
          md << fmt(f[m].mu) << " | < " << fmt(f[m].sigma_upper, 3) << " (choices completely separated: 95 % bound) |\n";
        else if (!f[m].converged)
          md << "n/a | n/a (no maximum with σ > 0: a flat or falling curve) |\n";
        else
          md << fmt(f[m].mu) << " ± " << fmt(f[m].se_mu, 2) << " | " << fmt(f[m].sigma) << " ± " << fmt(f[m].se_sigma, 2) << " |\n";
      }
      const int v = static_cast<int>(msi::Modality::Visual), au = static_cast<int>(msi::Modality::Auditory),
                b = static_cast<int>(msi::Modality::Both);
      const Prediction p = optimal_integration(f[v], f[au]);
      fits[mode_name(mode)]["optimal_both"] = {{"sigma", p.sigma}, {"se", p.se}};
      md << "| " << mode_name(mode) << " | optimal prediction for both | | | " << fmt(p.sigma) << " ± " << fmt(p.se, 2) << " |\n";
      if (mode == Mode::MeanField) {
        const auto ok = [](const ProbitFit& q) { return q.converged && !q.separated; };
        const auto sig = [](const ProbitFit& q) {
          return q.separated ? "< " + fmt(q.sigma_upper, 3) + " (separated; 95 % bound)"
                             : q.converged ? fmt(q.sigma) + " ± " + fmt(q.se_sigma, 2) : std::string("n/a");
        };
        const std::string evidence = "mean-field σ visual " + sig(f[v]) + ", auditory " + sig(f[au]) + ", both " + sig(f[b]);
        std::string enh = "**not measurable**", opt = "**not measurable**";
        if (ok(f[v]) && ok(f[au])) {
          const double best_uni = std::min(f[v].sigma, f[au].sigma);
          const double se_uni = f[v].sigma < f[au].sigma ? f[v].se_sigma : f[au].se_sigma;
          const double se_p = p.se;
          if (ok(f[b])) {
            const double se = std::sqrt(f[b].se_sigma * f[b].se_sigma + se_uni * se_uni);
            enh = verdict(f[b].sigma + 2 * se < best_uni);
            const double se2 = std::sqrt(se_p * se_p + f[b].se_sigma * f[b].se_sigma);
            opt = f[b].sigma < p.sigma - 2 * se2   ? "**better than the optimal prediction**"
                  : f[b].sigma > p.sigma + 2 * se2 ? "**worse than the optimal prediction**"
                                                   : "**consistent with the optimal prediction**";
          } else if (f[b].separated) {
            // every both-modality choice right: sigma_both is below its bound
            enh = f[b].sigma_upper < best_uni - 2 * se_uni ? "**shows**" : "**not resolved** (more --trials)";
            opt = f[b].sigma_upper < p.sigma - 2 * se_p ? "**better than the optimal prediction**"
                                                        : "**not resolved**: σ_both is below its bound, which does not "
                                                          "exclude the prediction (more --trials)";
          }
        }
        findings.push_back({"Multisensory enhancement: the network discriminates better with both modalities than with either alone, σ_both < min(σ_visual, σ_auditory) (Fig. 11)",
                            enh, evidence});
        findings.push_back({"Integration of the two cues compared with optimal cue integration (Fig. 11; docs/method.md)",
                            opt, "σ_both " + sig(f[b]) + ", predicted " + fmt(p.sigma) + " ± " + fmt(p.se, 2) +
                                     " (compared at two standard errors)"});
      }
    }
    summary["psychometric"] = fits;
    md << "\n![psychometric curves](psychometric.png)\n\n";
  } else {
    MnistEvalConfig cfg = mnist_cfg;
    for (Mode mode : {Mode::MeanField, Mode::SampledPerStep}) {
      cfg.mode = mode;
      const MnistEvalResult r = evaluate_mnist(model, test, cfg);
      (mode == Mode::MeanField ? acc_mf : acc_sps) = r.accuracy();
      acc_n = r.count;
    }
  }
  summary["accuracy"] = {{"mean-field", acc_mf}, {"sampled-per-step", acc_sps}, {"evaluated", acc_n}};
  {
    const double se = std::sqrt(acc_mf * (1 - acc_mf) / acc_n + acc_sps * (1 - acc_sps) / acc_n);
    findings.push_back({"A network sampled anew at every step reaches the accuracy of the mean-field network (Sec. III B, Fig. 18)",
                        verdict(std::fabs(acc_mf - acc_sps) <= 2 * se + 1e-12),
                        "mean-field " + pct(acc_mf) + ", sampled-per-step " + pct(acc_sps) + " (" +
                            std::to_string(acc_n) + (msi ? " trials" : " images") + " each; two standard errors " +
                            pct(2 * se) + ")"});
  }

  // 3. VIP perturbation sweep ------------------------------------------------------------------------
  {
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t cpu0 = std::clock();  // process CPU time, all threads
    AccuracyFn acc;
    if (msi) {
      acc = [&](const ModelView& m, Mode mode) {
        EvalConfig cfg;
        cfg.mode = mode;
        cfg.reps = a.sweep_trials;
        cfg.seed = a.seed;
        cfg.dt_ms = a.dt;
        cfg.threads = a.threads;
        return evaluate_msi(m, cfg).accuracy;
      };
    } else {
      acc = [&](const ModelView& m, Mode mode) {
        MnistEvalConfig cfg;
        cfg.mode = mode;
        cfg.seed = a.seed;
        cfg.threads = a.threads;
        cfg.limit = a.sweep_images;
        return evaluate_mnist(m, test, cfg).accuracy();
      };
    }
    const std::vector<SweepPoint> pts = perturbation_sweep(model, sweep, acc, progress_line("sasrnn analyze: perturbation", "points"));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu_seconds = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
    double load[1] = {0};
    if (getloadavg(load, 1) != 1) load[0] = NAN;
    Csv c(tmp / "perturbation.csv", "mode,kind,draw,fraction,removed,accuracy");
    for (const SweepPoint& p : pts) c.row(mode_name(p.mode), p.kind, p.draw, p.fraction, p.removed, p.accuracy);
    const size_t vips = vip_indices(rec, a.rule).size();
    summary["perturbation"] = {{"vip_connections", vips}, {"seconds", seconds}, {"cpu_seconds", cpu_seconds},
                               {"load_average", load[0]}, {"points", sweep.points},
                               {"draws", sweep.draws}, {"evaluated_per_point", msi ? static_cast<int>(a.sweep_trials) * msi::kConditions : a.sweep_images}};
    // at fraction 1: mean over draws
    std::map<std::pair<std::string, std::string>, std::pair<double, int>> at_end;
    double intact = 0;
    for (const SweepPoint& p : pts) {
      if (p.fraction == 1.0) {
        auto& e = at_end[{mode_name(p.mode), p.kind}];
        e.first += p.accuracy;
        e.second += 1;
      }
      if (p.fraction == 0.0 && p.mode == Mode::MeanField) intact = p.accuracy;
    }
    const auto mean_end = [&](Mode m, const char* kind) {
      const auto& e = at_end[{mode_name(m), kind}];
      return e.second ? e.first / e.second : 0.0;
    };
    // the same at the smallest fraction removed, where the two removed sets are small
    const double f1 = 1.0 / (sweep.points - 1);
    double vip_f1 = 0, rnd_f1 = 0;
    int n_f1 = 0;
    size_t removed_f1 = 0;
    for (const SweepPoint& p : pts)
      if (p.mode == Mode::MeanField && std::fabs(p.fraction - f1) < 1e-12) {
        (p.kind == "vip" ? vip_f1 : rnd_f1) += p.accuracy;
        n_f1 += p.kind == "vip" ? 1 : 0;
        removed_f1 = p.removed;
      }
    vip_f1 /= std::max(1, n_f1);
    rnd_f1 /= std::max(1, n_f1);
    const double vip_mf = mean_end(Mode::MeanField, "vip"), rnd_mf = mean_end(Mode::MeanField, "random");
    const double vip_sps = mean_end(Mode::SampledPerStep, "vip"), rnd_sps = mean_end(Mode::SampledPerStep, "random");
    char time_line[256];
    (void)std::snprintf(time_line, sizeof time_line,
                  "%.1f s of wall time and %.1f s of CPU time (the machine's load average over the last minute "
                  "was %.1f at the end)", seconds, cpu_seconds, load[0]);
    md << "## Targeted perturbation (Figs. 7, 17)\n\n"
       << "The recurrent layer has " << vips << " VIP connections (" << pct(static_cast<double>(vips) / static_cast<double>(rec.size()))
       << "). A fraction of them is removed (π = 1), against the same number of connections drawn from all "
       << rec.size() << " recurrent ones; " << sweep.draws << " draws of each, "
       << (msi ? std::to_string(a.sweep_trials) + " trials per condition (" +
                     std::to_string(a.sweep_trials * msi::kConditions) + " trials)"
               : std::to_string(a.sweep_images) + " test images")
       << " per point, seed " << a.seed << ". The sweep took " << time_line << " with " << a.threads
       << " threads.\n\n"
       << "| all VIPs removed | mean-field | sampled-per-step |\n|---|---:|---:|\n"
       << "| intact | " << pct(intact) << " | |\n"
       << "| VIP | " << pct(vip_mf) << " | " << pct(vip_sps) << " |\n"
       << "| random, same number | " << pct(rnd_mf) << " | " << pct(rnd_sps) << " |\n\n"
       << "![perturbation](perturbation.png)\n\n";
    const bool collapse = vip_mf - chance < 0.5 * (intact - chance);
    const bool robust = rnd_mf > intact - 0.05;
    findings.push_back({"Removing the VIP connections collapses the accuracy towards chance, removing as many random ones does not (Figs. 7, 17)",
                        collapse && robust ? "**shows**" : collapse || robust ? "**partly**" : "**does not show**",
                        "all " + std::to_string(vips) + " VIPs removed: mean-field " + pct(vip_mf) + ", sampled-per-step " +
                            pct(vip_sps) + "; as many random: " + pct(rnd_mf) + ", " + pct(rnd_sps) + " (intact " +
                            pct(intact) + ", chance " + pct(chance) + "); the first step, " + fmt(f1, 3) + " of the VIPs (" +
                            std::to_string(removed_f1) + " connections): VIP " + pct(vip_f1) + ", random " + pct(rnd_f1) +
                            " (mean-field)" +
                            (static_cast<double>(vips) > 0.2 * static_cast<double>(rec.size())
                                 ? "; the rule marks " + pct(static_cast<double>(vips) / static_cast<double>(rec.size())) +
                                       " of the connections VIP, so removing them all removes most of the network"
                                 : std::string())});
  }

  // 4. selectivity -------------------------------------------------------------------------------------
  // The rates along the trials in one mode: MSI, --activity-trials per condition in the test
  // protocol; MNIST, the first --activity-images test images (28 recorded steps of a longer sequence).
  // The stimulus class of every trial (SLI) and the time of a recorded step.
  std::vector<int> condition;
  int classes = 0;
  double step_ms = 0;
  std::function<Traces(Mode)> traces_in;
  if (msi) {
    const uint32_t reps = a.activity_trials;
    const int steps = msi::Stimulus(protocol, msi::Trial{}).steps();
    traces_in = [&view, &protocol, &a, reps, steps](Mode mode) {
      Options opt;
      opt.mode = mode;
      opt.seed = a.seed;
      opt.alpha = protocol.alpha();
      return record_traces(
          view, opt, static_cast<int>(msi::evaluation_size(reps)), steps, 1,
          [&](int k) { return msi::evaluation_trial(static_cast<uint32_t>(k), reps).index; },
          [&](int k, int t, float* x) {
            msi::Stimulus(protocol, msi::evaluation_trial(static_cast<uint32_t>(k), reps)).input(t, x);
          },
          a.threads);
    };
    classes = msi::kConditions;
    for (int k = 0; k < static_cast<int>(msi::evaluation_size(reps)); ++k) condition.push_back(k / static_cast<int>(reps));
    step_ms = a.dt;
  } else {
    const MnistSequence seq = mnist_sequence_of(model);
    const int steps = sequence_steps(seq);
    const int stride = steps > 100 ? steps / 28 : 1;
    traces_in = [&view, &test, &a, seq, steps, stride](Mode mode) {
      Options opt;
      opt.mode = mode;
      opt.seed = a.seed;
      return record_traces(
          view, opt, a.activity_images, steps, stride, [](int k) { return static_cast<uint32_t>(k); },
          [&](int k, int t, float* x) { sequence_input(seq, test.image(k), t, x); }, a.threads);
    };
    classes = 10;
    for (int k = 0; k < a.activity_images; ++k) condition.push_back(test.labels[static_cast<size_t>(k)]);
    step_ms = stride;
  }
  const Traces tr = traces_in(Mode::MeanField);
  {
    const std::vector<double> means = group_means(tr, condition, classes);
    const int last = tr.steps - 1;
    const std::vector<double> s_last = sli_at(means, tr, classes, last);
    // mean rate of every unit over all trials and steps: silent units
    std::vector<double> mean_rate(static_cast<size_t>(tr.n), 0.0);
    for (int k = 0; k < tr.trials; ++k)
      for (int t = 0; t < tr.steps; ++t)
        for (int i = 0; i < tr.n; ++i) mean_rate[static_cast<size_t>(i)] += tr.at(k, t, i);
    for (double& r : mean_rate) r /= static_cast<double>(tr.trials) * tr.steps;
    {
      Csv c(tmp / "sli_time.csv", "step,time,mean_sli_active,active_units");
      for (int t = 0; t < tr.steps; ++t) {
        const std::vector<double> s = sli_at(means, tr, classes, t);
        double sum = 0;
        int active = 0;
        for (int i = 0; i < tr.n; ++i)
          if (mean_rate[static_cast<size_t>(i)] > kActiveRate) {
            sum += s[static_cast<size_t>(i)];
            ++active;
          }
        c.row(t, (t + 1) * step_ms, active ? sum / active : 0.0, active);
      }
    }
    std::vector<double> choice_pref(static_cast<size_t>(tr.n), 0.0), modality_pref(static_cast<size_t>(tr.n), 0.0);
    std::vector<double> choice_diff(static_cast<size_t>(tr.n), 0.0), modality_diff(static_cast<size_t>(tr.n), 0.0);
    std::vector<std::string> kind(static_cast<size_t>(tr.n));
    int silent = 0, uni = 0, mixed = 0, non = 0, active = 0;
    std::vector<int> by_choice, by_modality;
    if (msi) {
      // choice: the decision of the trial, rates over the decision epoch; modality: visual vs
      // auditory trials, rates over the stimulus epoch
      const msi::Stimulus st(protocol, msi::Trial{});
      for (int k = 0; k < tr.trials; ++k) {
        by_choice.push_back(tr.decision[static_cast<size_t>(k)]);
        const int m = condition[static_cast<size_t>(k)] / msi::kRates;
        by_modality.push_back(m == static_cast<int>(msi::Modality::Both) ? -1 : m);
      }
      const std::vector<double> mc = group_means(tr, by_choice, 2), mm = group_means(tr, by_modality, 2);
      const size_t per = static_cast<size_t>(tr.steps) * tr.n;
      for (int i = 0; i < tr.n; ++i) {
        double hi = 0, lo = 0, vis = 0, aud = 0;
        int nd = 0, ns = 0;
        for (int t = 0; t < tr.steps; ++t) {
          const msi::Epoch e = st.epoch(t);
          const size_t q = static_cast<size_t>(t) * tr.n + static_cast<size_t>(i);
          if (e == msi::Epoch::Decision) {
            hi += mc[q];
            lo += mc[per + q];
            ++nd;
          } else if (e == msi::Epoch::Stimulus) {
            vis += mm[static_cast<size_t>(msi::Modality::Visual) * per + q];
            aud += mm[static_cast<size_t>(msi::Modality::Auditory) * per + q];
            ++ns;
          }
        }
        hi /= std::max(1, nd);
        lo /= std::max(1, nd);
        vis /= std::max(1, ns);
        aud /= std::max(1, ns);
        // a preference counts only where the unit is active in the epoch (near-silent rates give
        // +-1 from noise)
        const size_t u = static_cast<size_t>(i);
        choice_pref[u] = std::max(hi, lo) > kEpochRate ? preference(hi, lo) : 0.0;
        modality_pref[u] = std::max(vis, aud) > kEpochRate ? preference(vis, aud) : 0.0;
        choice_diff[u] = std::fabs(hi - lo);
        modality_diff[u] = std::fabs(vis - aud);
      }
    }
    for (int i = 0; i < tr.n; ++i) {
      const size_t u = static_cast<size_t>(i);
      if (mean_rate[u] <= kActiveRate) {
        kind[u] = "silent";
        ++silent;
        continue;
      }
      ++active;
      if (msi) {
        const bool c = std::fabs(choice_pref[u]) > kSelective, m = std::fabs(modality_pref[u]) > kSelective;
        kind[u] = c && m ? "mixed" : c ? "choice" : m ? "modality" : "non-selective";
      } else {
        kind[u] = s_last[u] < 0.1 ? "non-selective" : s_last[u] > 0.9 ? "uni-selective" : "mixed";
      }
      const std::string& k = kind[u];
      if (k == "mixed") ++mixed;
      else if (k == "non-selective") ++non;
      else ++uni;
    }
    {
      Csv c(tmp / "selectivity.csv", "unit,mean_rate,sli_last,choice_pref,modality_pref,kind");
      for (int i = 0; i < tr.n; ++i) {
        const size_t u = static_cast<size_t>(i);
        c.row(i, mean_rate[u], s_last[u], choice_pref[u], modality_pref[u], kind[u]);
      }
    }
    // example traces: of each kind the unit with the largest rate difference (MSI), the highest SLI
    // (uni-selective), the SLI nearest 1/2 (mixed), the highest mean rate (non-selective)
    const auto score = [&](size_t u) {
      if (msi)
        return kind[u] == "mixed"      ? std::min(choice_diff[u], modality_diff[u])
               : kind[u] == "choice"   ? choice_diff[u]
               : kind[u] == "modality" ? modality_diff[u]
                                       : mean_rate[u];
      return kind[u] == "mixed" ? -std::fabs(s_last[u] - 0.5) : kind[u] == "uni-selective" ? s_last[u] : mean_rate[u];
    };
    std::map<std::string, int> example;
    for (int i = 0; i < tr.n; ++i) {
      const size_t u = static_cast<size_t>(i);
      if (kind[u] == "silent") continue;
      auto it = example.find(kind[u]);
      if (it == example.end())
        example[kind[u]] = i;
      else if (score(u) > score(static_cast<size_t>(it->second)))
        it->second = i;
    }
    {
      Csv c(tmp / "traces.csv", "unit,kind,group,step,time,rate");
      const size_t per = static_cast<size_t>(tr.steps) * tr.n;
      for (const auto& [k, i] : example) {
        if (msi) {
          // groups: high / low choice, visual / auditory / both trials
          const std::vector<double> mc = group_means(tr, by_choice, 2);
          std::vector<int> by_mod3;
          by_mod3.reserve(static_cast<size_t>(tr.trials));
          for (int q = 0; q < tr.trials; ++q) by_mod3.push_back(condition[static_cast<size_t>(q)] / msi::kRates);
          const std::vector<double> m3 = group_means(tr, by_mod3, 3);
          for (int t = 0; t < tr.steps; ++t) {
            const size_t q = static_cast<size_t>(t) * tr.n + static_cast<size_t>(i);
            c.row(i, k, "choice high", t, (t + 1) * step_ms, mc[q]);
            c.row(i, k, "choice low", t, (t + 1) * step_ms, mc[per + q]);
            for (int m = 0; m < 3; ++m)
              c.row(i, k, msi::modality_name(static_cast<msi::Modality>(m)), t, (t + 1) * step_ms, m3[static_cast<size_t>(m) * per + q]);
          }
        } else {
          for (int g = 0; g < classes; ++g)
            for (int t = 0; t < tr.steps; ++t)
              c.row(i, k, "digit " + std::to_string(g), t, (t + 1) * step_ms,
                    means[static_cast<size_t>(g) * per + static_cast<size_t>(t) * tr.n + static_cast<size_t>(i)]);
        }
      }
    }
    double sli_mean = 0;
    for (int i = 0; i < tr.n; ++i)
      if (kind[static_cast<size_t>(i)] != "silent") sli_mean += s_last[static_cast<size_t>(i)];
    sli_mean /= std::max(1, active);
    summary["selectivity"] = {{"units", tr.n}, {"silent", silent}, {"active", active}, {"non_selective", non},
                              {"uni_selective", uni}, {"mixed", mixed}, {"mean_sli_last_step", sli_mean},
                              {"trials", tr.trials}, {"threshold", kSelective}};
    md << "## Selectivity (Figs. 8, 15)\n\n";
    if (msi) {
      md << "Mean-field rates of " << tr.trials << " trials (" << a.activity_trials
         << " per condition). SLI (eq. 15) over the 24 conditions at the last step. Choice preference: "
            "(r_high − r_low)/(r_high + r_low) of the mean rate in the decision epoch, trials grouped by the "
            "network's choice; modality preference: the same for visual against auditory trials in the stimulus "
            "epoch, counted where the larger of the two mean rates exceeds "
         << kEpochRate << ". A unit is selective to one when |preference| > " << kSelective
         << ", mixed when to both; silent when its mean rate is ≤ " << kActiveRate << ".\n\n"
         << "| silent | non-selective | choice only | modality only | mixed | mean SLI (active) |\n|---:|---:|---:|---:|---:|---:|\n";
      int choice_only = 0, modality_only = 0;
      for (const std::string& k : kind) {
        choice_only += k == "choice";
        modality_only += k == "modality";
      }
      md << "| " << silent << " | " << non << " | " << choice_only << " | " << modality_only << " | " << mixed
         << " | " << fmt(sli_mean, 3) << " |\n\n";
      findings.push_back({"Units become selective to choice, to modality, or to both (mixed selectivity) (Fig. 15)",
                          verdict(choice_only > 0 && modality_only + mixed > 0 && mixed > 0),
                          std::to_string(choice_only) + " choice-only, " + std::to_string(modality_only) +
                              " modality-only, " + std::to_string(mixed) + " mixed, " + std::to_string(non) +
                              " non-selective, " + std::to_string(silent) + " silent of " + std::to_string(tr.n)});
    } else {
      md << "Mean-field rates over the first " << tr.trials
         << " test images; SLI (eq. 15) over the 10 digits at the last step. Non-selective: SLI < 0.1; "
            "uni-selective: SLI > 0.9; mixed between; silent: mean rate ≤ "
         << kActiveRate << ".\n\n"
         << "| silent | non-selective | uni-selective | mixed | mean SLI (active) |\n|---:|---:|---:|---:|---:|\n"
         << "| " << silent << " | " << non << " | " << uni << " | " << mixed << " | " << fmt(sli_mean, 3) << " |\n\n";
      findings.push_back({"Most active units are mixed-selective (SLI between 0 and 1), some uni-selective, the rest silent (Fig. 8)",
                          verdict(mixed > active / 2),
                          std::to_string(mixed) + " mixed, " + std::to_string(uni) + " uni-selective, " +
                              std::to_string(non) + " non-selective, " + std::to_string(silent) + " silent of " +
                              std::to_string(tr.n)});
    }
    md << "![selectivity](selectivity.png)\n\n";
  }

  // 5. the concrete networks along a trial ----------------------------------------------------------
  {
    const int steps = msi ? tr.steps : sequence_steps(mnist_sequence_of(model));
    const std::vector<ConcreteStep> cs = concrete_networks(rec, a.seed, 0, steps);
    Csv c(tmp / "concrete.csv", "step,zero_fraction,eta");
    double zmin = 1, zmax = 0, emin = HUGE_VAL, emax = -HUGE_VAL, zsum = 0, esum = 0;
    for (const ConcreteStep& s : cs) {
      c.row(s.step, s.zero_fraction, s.eta);
      zmin = std::min(zmin, s.zero_fraction);
      zmax = std::max(zmax, s.zero_fraction);
      emin = std::min(emin, s.eta);
      emax = std::max(emax, s.eta);
      zsum += s.zero_fraction;
      esum += s.eta;
    }
    const double count = static_cast<double>(cs.size());
    const double zmean = zsum / count, emean = esum / count;
    // independent draws of every spike: the zero fraction has sd sqrt(sum pi (1 - pi)) / N^2
    double var = 0;
    for (float p : rec.pi) var += static_cast<double>(p) * (1 - p);
    const double expected_sd = std::sqrt(var) / static_cast<double>(rec.size());
    double zsd = 0, esd = 0;
    for (const ConcreteStep& s : cs) {
      zsd += (s.zero_fraction - zmean) * (s.zero_fraction - zmean);
      esd += (s.eta - emean) * (s.eta - emean);
    }
    zsd = std::sqrt(zsd / count);
    esd = std::sqrt(esd / count);
    summary["concrete"] = {{"steps", steps}, {"zero_fraction_mean", zmean}, {"zero_fraction_min", zmin},
                           {"zero_fraction_max", zmax}, {"eta_mean", emean}, {"eta_min", emin}, {"eta_max", emax},
                           {"zero_fraction_sd", zsd}, {"zero_fraction_sd_independent_draws", expected_sd},
                           {"eta_sd", esd}, {"expected_zero_fraction", L_rec.sparsity}};
    md << "## The concrete networks along a trial (Figs. 9, 18)\n\n"
       << "SampledPerStep draws a new recurrent network at every step: its spikes exactly as the runtime draws "
          "them (trial 0, seed "
       << a.seed << "), its slab values drawn once more from N(m, Ξ) (the runtime sums a row's slabs as one "
          "Gaussian). Over the "
       << steps << " steps the fraction of zero weights lies in [" << fmt(zmin) << ", " << fmt(zmax)
       << "] (the mean π is " << fmt(L_rec.sparsity) << "), η = mean(w_ij w_ji)/mean(w_ij²) in [" << fmt(emin)
       << ", " << fmt(emax) << "]. The zero fraction's standard deviation over the steps is " << fmt(zsd, 3)
       << "; independent draws of every spike give " << fmt(expected_sd, 3) << ". η has mean " << fmt(emean, 3)
       << " and standard deviation " << fmt(esd, 3) << ".\n\n![concrete networks](concrete.png)\n\n";
    findings.push_back({"The statistics of the network sampled at every step do not change along a trial: only the fluctuation of independent draws (Figs. 9, 18)",
                        verdict(zsd < 1.5 * expected_sd && std::fabs(zmean - L_rec.sparsity) < 4 * expected_sd + 1e-12 && esd < 0.05),
                        "fraction of zeros " + fmt(zmean) + " ± " + fmt(zsd, 2) + " (mean π " + fmt(L_rec.sparsity) +
                            ", independent draws ± " + fmt(expected_sd, 2) + "), η " + fmt(emean, 3) + " ± " + fmt(esd, 2)});
  }

  // 6. one concrete network per step or per trial: the four modes side by side --------------------------
  {
    std::vector<ModeRun> runs;
    for (Mode mode : {Mode::MeanField, Mode::SampledPerStep, Mode::SampledPerTrial, Mode::MeanWeights}) {
      ModeRun r;
      r.mode = mode;
      if (mode == Mode::MeanField || mode == Mode::SampledPerStep) {
        r.accuracy = mode == Mode::MeanField ? acc_mf : acc_sps;
      } else {
        try {  // an evaluation throws std::runtime_error if some trial's state went non-finite
          r.accuracy = accuracy_in(mode);
        } catch (const std::runtime_error& e) {
          r.accuracy = NAN;
          r.not_measured = e.what();
        }
      }
      r.course = rate_course(mode == Mode::MeanField ? tr : traces_in(mode));
      runs.push_back(std::move(r));
    }
    ModesSetup setup;
    setup.msi = msi;
    setup.evaluated = acc_n;
    setup.traced = tr.trials;
    setup.traced_what = msi ? std::to_string(tr.trials) + " trials (" + std::to_string(a.activity_trials) +
                                  " per condition, the test protocol)"
                            : "the first " + std::to_string(tr.trials) + " test images";
    setup.step_ms = step_ms;
    md << modes_section(runs, setup, tmp, summary, findings);
  }

  // 7. the course of training ---------------------------------------------------------------------------
  if (!a.log.empty()) {
    fs::copy_file(a.log, tmp / "training.csv");
    const auto first = log.rows.front(), lastrow = log.rows.back();
    const auto v = [&](const std::vector<double>& r, const char* c) { return r[static_cast<size_t>(log.col(c))]; };
    md << "## Over training (Figs. 3b, 4, 7b, 12, 13, 17b)\n\n"
       << "From the trainer's log (" << log.rows.size() << " epochs; its entropies are the π- and Ξ-entropy "
          "per connection, the Ξ-entropy with a = 1e-4).\n\n![training](training.png)\n\n";
    const size_t tail = std::max<size_t>(1, log.rows.size() / 10);
    const auto& late = log.rows[log.rows.size() - 1 - tail];
    findings.push_back({"The sparsity grows with training until it saturates (Figs. 3b, 12)",
                        verdict(v(lastrow, "sparsity_rec_I") > v(first, "sparsity_rec_I") &&
                                std::fabs(v(lastrow, "sparsity_rec_I") - v(late, "sparsity_rec_I")) <
                                    0.05 * std::fabs(v(lastrow, "sparsity_rec_I") - v(first, "sparsity_rec_I")) + 1e-3),
                        "recurrent I: epoch 0 " + fmt(v(first, "sparsity_rec_I")) + ", last tenth " +
                            fmt(v(late, "sparsity_rec_I")) + " → " + fmt(v(lastrow, "sparsity_rec_I")) +
                            "; output " + fmt(v(first, "sparsity_out")) + " → " + fmt(v(lastrow, "sparsity_out"))});
    // trends: the mean over the first tenth of the epochs against the mean over the last tenth
    const auto tenth = [&](const char* c, bool last) {
      double sum = 0;
      for (size_t q = 0; q < tail; ++q) sum += v(log.rows[last ? log.rows.size() - 1 - q : q], c);
      return sum / static_cast<double>(tail);
    };
    const std::string tenths = " (means over the first and the last tenth of the epochs)";
    findings.push_back({"The π-entropy of the recurrent layer increases with training (Figs. 4, 13)",
                        verdict(tenth("pi_entropy_rec", true) > tenth("pi_entropy_rec", false)),
                        fmt(tenth("pi_entropy_rec", false)) + " → " + fmt(tenth("pi_entropy_rec", true)) + tenths});
    if (msi)
      findings.push_back({"The π-entropy of the output layer decreases with training (Fig. 13)",
                          verdict(tenth("pi_entropy_out", true) < tenth("pi_entropy_out", false)),
                          fmt(tenth("pi_entropy_out", false)) + " → " + fmt(tenth("pi_entropy_out", true)) + tenths});
    findings.push_back({"The fraction of VIP connections slowly decreases during training (Figs. 7b, 17b)",
                        verdict(tenth("vip_rec", true) < tenth("vip_rec", false)),
                        pct(tenth("vip_rec", false)) + " → " + pct(tenth("vip_rec", true)) + tenths});
    summary["training"] = {{"epochs", log.rows.size()}};
  } else {
    findings.push_back({"The course of sparsity, entropy and VIP fraction over training (Figs. 3b, 4, 7b, 12, 13, 17b)",
                        "**not measured**", "no --log given"});
  }

  // report.md, summary.json, figures ------------------------------------------------------------------
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  summary["seconds"] = total_s;
  {
    std::ofstream j(tmp / "summary.json");
    j << summary.dump(2) << "\n";
  }
  report::write_report(
      tmp, "Ensemble analysis of " + model_name,
      "Written by `" + command_line() + "` (" + fmt(total_s, 3) +
          " s in all). Every number below is in the CSV and JSON files next to this page; the figures are "
          "drawn from them by `scripts/plot-analysis`. Paper: Zou, Li and Huang, figure and equation numbers "
          "as in docs/method.md.\n\nModel: " + task_name(model.task) + ", N = " + std::to_string(model.n) +
          ", NIn = " + std::to_string(model.n_in) + ", NOut = " + std::to_string(model.n_out) +
          ". Accuracy: mean-field " + pct(acc_mf) + ", sampled-per-step " + pct(acc_sps) + ".",
      findings, md.str());
  if (!a.no_plots) report::draw_figures(a.python, a.plot_script, tmp);
  dir.commit();
  std::cout << "wrote " << a.out << "/report.md and its data (" << fmt(total_s, 3) << " s)\n";
  return 0;
}

}  // namespace

void add_analyze(CLI::App& app, int& status) {
  auto a = std::make_shared<AnalyzeArgs>();
  auto* cmd = app.add_subcommand(
      "analyze",
      "The paper's analyses of a model: hyperparameter statistics and matrices, sparsity and "
      "entropy (eq. 14) per layer, VIP/UIP and the targeted perturbation sweep, psychometric fits "
      "(MSI), selectivity (eq. 15), the concrete networks along a trial, accuracy and rates in "
      "every runtime mode (is one concrete network per trial stable?), and the course of "
      "training from the trainer's log. A feedforward stack (mnist-ff) gets the analyses of 'Learning "
      "credit assignment': the three kinds of synapse per layer, their distributions and entropy, the "
      "accuracy in every mode and the targeted perturbation of a layer. Writes CSV/JSON, PNG figures "
      "and report.md into DIR.");
  cmd->footer(
      "Example:\n"
      "  sasrnn analyze models/msi_n150.sasrnn --log models/msi_n150.csv --out docs/results/msi_n150\n"
      "  sasrnn analyze models/mnist_ff_784_100_100_10.sasrnn --log models/mnist_ff_784_100_100_10.csv \\\n"
      "    --out docs/results/mnist_ff_784_100_100_10");
  cmd->add_option("model", a->path, "Model file (.sasrnn) with a task (msi, mnist-row, mnist-pixel)")->required();
  cmd->add_option("--out", a->out, "Output folder (replaced as a whole at the end)")->required();
  cmd->add_option("--log", a->log, "The trainer's CSV log of this model (refused if it is another model's)");
  cmd->add_option("--vip-pi-max", a->rule.vip_pi_max, "VIP: pi below this (paper Fig. 17: 0.1)")->default_val(0.1);
  cmd->add_option("--vip-m-min", a->rule.vip_m_min, "VIP: |m| above this (paper Fig. 17: 0.05)")->default_val(0.05);
  cmd->add_option("--uip-pi-min", a->rule.uip_pi_min, "UIP: pi above this")->default_val(0.9);
  cmd->add_option("--entropy-a", a->entropy.a, "Eq. 14: variance a of the relaxed delta peak (and floor of Xi)")
      ->default_val(1e-4);
  cmd->add_option("--entropy-samples", a->entropy.samples, "Eq. 14: Monte Carlo samples B (paper: 100)")
      ->default_val(100);
  cmd->add_option("--sweep-points", a->sweep.points, "Perturbation: fractions 0, ..., 1 of the VIPs")->default_val(11);
  cmd->add_option("--sweep-draws", a->sweep.draws, "Perturbation: random draws of each removed set")->default_val(3);
  cmd->add_option("--trials", a->trials, "MSI: repetitions per condition for the psychometric curves")
      ->check(CLI::Range(1u, 100000u))
      ->default_val(100);
  cmd->add_option("--sweep-trials", a->sweep_trials, "MSI: repetitions per condition at each sweep point")
      ->check(CLI::Range(1u, 100000u))
      ->default_val(25);
  cmd->add_option("--activity-trials", a->activity_trials, "MSI: repetitions per condition for the rates")
      ->check(CLI::Range(1u, 1000u))
      ->default_val(20);
  cmd->add_option("--dt", a->dt, "MSI: test time step in ms")->check(CLI::Range(0.01f, 100.0f))->default_val(20.0f);
  cmd->add_option("--images", a->images, "MNIST: test images for the accuracy (0: all)")->default_val(0);
  cmd->add_option("--sweep-images", a->sweep_images, "MNIST: test images at each sweep point")->default_val(1000);
  cmd->add_option("--activity-images", a->activity_images, "MNIST: test images for the rates")->default_val(1000);
  cmd->add_option("--mnist-dir", a->mnist_dir, "MNIST: folder of the idx files (default as for run)");
  cmd->add_option("--seed", a->seed, "Seed of every random draw")->default_val(1);
  cmd->add_option("--threads", a->threads, "Worker threads (results do not depend on it)")
      ->check(CLI::Range(1, 64))
      ->default_val(2);
  const std::string ff_group = "Feedforward stacks (PRL 'Learning credit assignment')";
  cmd->add_option("--sweep-layer", a->ff_sweep.layer, "Stacks: the layer of the targeted perturbation (0: the first)")
      ->default_val(0)
      ->group(ff_group);
  cmd->add_option("--important-pi-max", a->ff_sweep.kinds.important_pi_max,
                  "Stacks: important synapse: pi <= this and Xi <= --important-xi-max (the authors: exactly 0)")
      ->default_val(0.0)
      ->group(ff_group);
  cmd->add_option("--important-xi-max", a->ff_sweep.kinds.important_xi_max,
                  "Stacks: important synapse: Xi (training scale) <= this")
      ->default_val(0.0)
      ->group(ff_group);
  cmd->add_option("--unimportant-pi-min", a->ff_sweep.kinds.unimportant_pi_min,
                  "Stacks: unimportant synapse: pi >= this (the authors: exactly 1)")
      ->default_val(1.0)
      ->group(ff_group);
  cmd->add_option("--sweep-mode", a->ff_sweep.mode,
                  "Stacks: the mode the perturbed stacks run in (default sampled-per-step: a concrete network per image)")
      ->transform(enum_names(mode_names()))
      ->default_str("sampled-per-step")
      ->group(ff_group);
  cmd->add_flag("--force", a->force, "Replace DIR if it exists and is not empty");
  cmd->add_flag("--no-plots", a->no_plots, "Write the data and report.md without drawing the figures");
  cmd->add_option("--python", a->python, "Python with matplotlib for the figures")->default_val("/usr/bin/python3");
  cmd->add_option("--plot-script", a->plot_script, "The figure script")->default_val(SASRNN_PLOT_SCRIPT);
  a->app = cmd;
  cmd->callback([&status, a] {
    try {
      status = analyze(*a);
    } catch (const std::exception& e) {
      std::cerr << "sasrnn analyze: " << e.what() << "\n";
      status = 1;
    }
  });
}

}  // namespace sasrnn::cli
