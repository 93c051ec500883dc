// sasrnn analyze of a feedforward stack: the analyses of "Learning credit assignment" (Li & Huang,
// PRL 125, 178301, 2020) computed by analysis/ff_analysis.hpp — the three kinds of synapse per
// layer and their hyperparameter distributions, entropy per layer (the recurrent paper's eq. 14),
// the accuracy in every runtime mode, the targeted perturbation of a layer (important weights
// removed against as many variable ones; unimportant ones given random weights) and, with --log,
// the course of training — in the report form of the recurrent models (report.md with a
// findings table, CSV and JSON, figures by scripts/plot-analysis).
#include "analyze_ff.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "analyze_report.hpp"
#include "commands.hpp"
#include "sasrnn/analysis/ff_eval.hpp"
#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/trainer/ff_trainer.hpp"

namespace sasrnn::cli {

namespace {

using json = nlohmann::ordered_json;
using namespace sasrnn::analysis;
using report::Csv;
using report::Finding;
using report::fmt;
using report::pct;
using report::verdict;

/// The trainer's log of a stack (ff_trainer's csv_header for its depth).
std::vector<std::vector<double>> read_ff_log(const std::string& path, int layers) {
  return report::read_training_log(path, train::ff::csv_header(layers),
                                   "not a log of sasrnn train --task mnist-ff for a stack of " +
                                       std::to_string(layers) + " layers (its header differs)")
      .rows;
}

/// Mean accuracy over the draws of each (kind, fraction).
std::map<std::pair<std::string, double>, double> mean_by_point(const std::vector<FfSweepPoint>& pts) {
  std::map<std::pair<std::string, double>, std::pair<double, int>> acc;
  for (const FfSweepPoint& p : pts) {
    auto& a = acc[{p.kind, p.fraction}];
    a.first += p.accuracy;
    a.second += 1;
  }
  std::map<std::pair<std::string, double>, double> out;
  for (const auto& [k, v] : acc) out[k] = v.first / v.second;
  return out;
}

}  // namespace

int analyze_ff(const FfAnalyzeArgs& a) {
  const auto t_start = std::chrono::steady_clock::now();
  a.rule.check();
  a.entropy.check();
  if (a.out.empty()) throw std::runtime_error("--out DIR is required");
  auto [buffer, model] = conv::load_ff_model_file(a.path);
  if (model.task != TaskKind::MNISTImage)
    throw std::runtime_error(a.path + " is a feedforward stack without a task (mnist-ff): nothing to run it on");
  check_mnist_stack(model);
  FfSweepConfig sweep = a.sweep;
  sweep.seed = a.seed;
  sweep.check(model);
  const std::string model_name = std::filesystem::path(a.path).filename().string();
  const int L = static_cast<int>(model.n_layers);

  // layers in the training's parametrization
  std::vector<HostLayer> layers;
  layers.reserve(static_cast<size_t>(L));
  for (int l = 0; l < L; ++l) layers.push_back(training_scale_layer(model.layers[l]));
  const std::vector<double> eps = entropy_normals(a.entropy);
  std::vector<FfLayerSummary> sums;
  sums.reserve(static_cast<size_t>(L));
  for (int l = 0; l < L; ++l)
    sums.push_back(summarize_ff("layer " + std::to_string(l), layers[static_cast<size_t>(l)], sweep.kinds, a.rule,
                                a.entropy, eps));

  // the log and the data, checked before anything is run or written
  std::vector<std::vector<double>> log;
  if (!a.log.empty()) {
    log = read_ff_log(a.log, L);
    double best = HUGE_VAL;
    for (const auto& row : log) {
      double worst = 0;
      for (int l = 0; l < L; ++l)
        worst = std::max(worst, std::fabs(row[4 + static_cast<size_t>(l)] - sums[static_cast<size_t>(l)].base.sparsity));
      best = std::min(best, worst);
    }
    if (best > 1e-5)
      throw std::runtime_error(a.log + " is not the log of this model: no epoch has its mean pi per layer (closest differs by " +
                               fmt(best, 3) + ")");
  }
  const MnistSet test = load_mnist(a.mnist_dir.empty() ? default_mnist_dir() : a.mnist_dir, MnistSplit::Test);
  if (a.images < 0 || a.images > test.count || a.sweep_images < 1 || a.sweep_images > test.count)
    throw std::runtime_error("--images and --sweep-images must be within the " + std::to_string(test.count) +
                             " test images");

  report::OutputDir dir(a.out, a.force);
  const std::filesystem::path& tmp = dir.tmp();
  json summary;
  summary["model"] = model_name;
  summary["kind"] = "feedforward";
  summary["task"] = task_name(model.task);
  std::vector<uint32_t> sizes{model.n_in};
  for (int l = 0; l < L; ++l) sizes.push_back(model.layers[l].rows);
  summary["sizes"] = sizes;
  summary["options"] = {{"important_pi_max", sweep.kinds.important_pi_max},
                        {"important_xi_max", sweep.kinds.important_xi_max},
                        {"unimportant_pi_min", sweep.kinds.unimportant_pi_min},
                        {"entropy_a", a.entropy.a},
                        {"entropy_samples", a.entropy.samples},
                        {"seed", a.seed},
                        {"threads", a.threads}};
  std::vector<Finding> findings;
  std::ostringstream md;
  std::string stack;
  for (size_t k = 0; k < sizes.size(); ++k) stack += (k ? " → " : "") + std::to_string(sizes[k]);

  // 1. the three kinds, distributions, entropy -----------------------------------------------------
  {
    Csv c(tmp / "ff_layers.csv",
          "layer,rows,cols,important,unimportant,variable,sparsity,mean_abs_m,important_abs_m,variable_abs_m,"
          "mean_xi,variable_xi,pi_entropy,xi_entropy,entropy");
    Csv h(tmp / "ff_distributions.csv", "layer,param,bin,lo,hi,fraction");
    summary["layers"] = json::array();
    md << "## The three kinds of synapse, per layer (PRL Fig. 2)\n\n"
       << "In the training's parametrization (m·√n, Ξ·n; the file stores the applied weights m and Ξ of the "
          "field z = Σ w a). Important: π ≤ "
       << fmt(sweep.kinds.important_pi_max) << " and Ξ ≤ " << fmt(sweep.kinds.important_xi_max)
       << " (a deterministic weight); unimportant: π ≥ " << fmt(sweep.kinds.unimportant_pi_min)
       << " (absent); variable: the rest (the authors' code sorts them so, with exact 0 and 1). Entropies per "
          "connection in nats: H(π), ½ ln(2πe max(Ξ, a)) and the recurrent paper's eq. 14 with δ relaxed to "
          "N(0, a), a = "
       << fmt(a.entropy.a) << ", B = " << a.entropy.samples << ".\n\n"
       << "| layer | shape | important | unimportant | variable | mean π | mean \\|m\\| important | mean \\|m\\| variable | mean Ξ variable | π-entropy | Ξ-entropy | entropy (eq. 14) |\n"
       << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    bool three_everywhere = true, u_everywhere = true;
    std::string kinds_evidence, shapes_evidence;
    for (int l = 0; l < L; ++l) {
      const FfLayerSummary& s = sums[static_cast<size_t>(l)];
      const HostLayer& hl = layers[static_cast<size_t>(l)];
      c.row(l, hl.rows, hl.cols, s.important, s.unimportant, s.variable, s.base.sparsity, s.base.mean_abs_m,
            s.important_abs_m, s.variable_abs_m, s.base.mean_xi, s.variable_xi, s.base.pi_entropy, s.base.xi_entropy,
            s.base.entropy);
      md << "| " << l << " | " << hl.rows << " × " << hl.cols << " | " << pct(s.important) << " | " << pct(s.unimportant)
         << " | " << pct(s.variable) << " | " << fmt(s.base.sparsity) << " | " << fmt(s.important_abs_m) << " | "
         << fmt(s.variable_abs_m) << " | " << fmt(s.variable_xi) << " | " << fmt(s.base.pi_entropy) << " | "
         << fmt(s.base.xi_entropy) << " | " << fmt(s.base.entropy) << " |\n";
      // distributions: pi on [0, 1], m on [-max|m|, max|m|], Xi on [0, max Xi], 20 bins each
      std::vector<double> pis(hl.pi.begin(), hl.pi.end()), ms(hl.m.begin(), hl.m.end()), xis(hl.xi.begin(), hl.xi.end());
      double mmax = 1e-12, xmax = 1e-12;
      for (double v : ms) mmax = std::max(mmax, std::fabs(v));
      for (double v : xis) xmax = std::max(xmax, v);
      const struct {
        const char* name;
        const std::vector<double>* v;
        double lo, hi;
      } params[] = {{"pi", &pis, 0.0, 1.0}, {"m", &ms, -mmax, mmax}, {"xi", &xis, 0.0, xmax}};
      for (const auto& p : params) {
        const std::vector<double> hist = report::histogram(*p.v, p.lo, p.hi, 20);
        for (size_t b = 0; b < hist.size(); ++b)
          h.row(l, p.name, b, p.lo + (p.hi - p.lo) * static_cast<double>(b) / 20,
                p.lo + (p.hi - p.lo) * static_cast<double>(b + 1) / 20, hist[b]);
      }
      const std::string pi_shape = report::shape(report::histogram(pis, 0, 1, 10));
      three_everywhere = three_everywhere && s.important > 0 && s.unimportant > 0 && s.variable > 0;
      u_everywhere = u_everywhere && pi_shape == "U";
      kinds_evidence += (l ? "; " : "") + std::string("layer ") + std::to_string(l) + ": " + pct(s.important) + " / " +
                        pct(s.unimportant) + " / " + pct(s.variable);
      shapes_evidence += (l ? ", " : "") + std::string("layer ") + std::to_string(l) + " " + pi_shape;
      summary["layers"].push_back({{"layer", l}, {"important", s.important}, {"unimportant", s.unimportant},
                                   {"variable", s.variable}, {"sparsity", s.base.sparsity},
                                   {"pi_entropy", s.base.pi_entropy}, {"xi_entropy", s.base.xi_entropy},
                                   {"entropy", s.base.entropy}, {"pi_shape", pi_shape}});
    }
    md << "\n![hyperparameter distributions](ff_hyperparameters.png)\n\n";
    findings.push_back({"Synapses fall into three kinds: very important (deterministic, π = 0, Ξ = 0), unimportant "
                        "(absent, π = 1) and variable (a broad slab) (PRL abstract, Fig. 2)",
                        verdict(three_everywhere), "important / unimportant / variable: " + kinds_evidence});
    const FfLayerSummary& first = sums.front();
    findings.push_back({"A large number of connections can be absent (PRL abstract): the first layer's unimportant "
                        "fraction is above 20 %",
                        verdict(first.unimportant > 0.2),
                        "layer 0: " + pct(first.unimportant) + " with π ≥ " + fmt(sweep.kinds.unimportant_pi_min) +
                            " (" + pct(first.base.uip) + " with π > " + fmt(a.rule.uip_pi_min) +
                            ", the recurrent analysis' UIP rule)"});
    findings.push_back({"The π distribution of every layer peaks at 0 and 1 (U-shaped, PRL Fig. 2)",
                        verdict(u_everywhere), "shape of 10 bins: " + shapes_evidence});
    std::string entropy_evidence;
    for (int l = 0; l < L; ++l)
      entropy_evidence += (l ? ", " : "") + std::string("layer ") + std::to_string(l) + " " +
                          fmt(sums[static_cast<size_t>(l)].base.entropy);
    findings.push_back({"Entropy per connection of each layer (the authors' entropy figure, eq. 14)", "**measured**",
                        "nats per connection: " + entropy_evidence});
  }

  // 2. accuracy in every mode ----------------------------------------------------------------------
  double acc_mf = 0, acc_sps = 0;
  {
    Csv c(tmp / "accuracy.csv", "mode,images,correct,accuracy");
    md << "## Accuracy with the runtime\n\n" << (a.images ? std::to_string(a.images) : std::string("All"))
       << " test images, seed " << a.seed << ".\n\n| mode | accuracy |\n|---|---:|\n";
    for (Mode mode : {Mode::MeanField, Mode::SampledPerStep, Mode::SampledPerTrial, Mode::MeanWeights}) {
      MnistEvalConfig e;
      e.mode = mode;
      e.seed = a.seed;
      e.limit = a.images;
      e.threads = a.threads;
      const MnistEvalResult r = evaluate_mnist(model, test, e);
      c.row(mode_name(mode), r.count, r.correct, r.accuracy());
      md << "| " << mode_name(mode) << " | " << pct(r.accuracy()) << " |\n";
      summary["accuracy"][mode_name(mode)] = r.accuracy();
      if (mode == Mode::MeanField) acc_mf = r.accuracy();
      if (mode == Mode::SampledPerStep) acc_sps = r.accuracy();
    }
    md << "\n";
  }

  // 3. targeted perturbation ------------------------------------------------------------------------
  {
    MnistEvalConfig e;
    e.mode = sweep.mode;
    e.seed = a.seed;
    e.limit = a.sweep_images;
    e.threads = a.threads;
    const auto progress = progress_line("sasrnn analyze: perturbation", "points");
    const std::vector<FfSweepPoint> pts = ff_perturbation_sweep(
        model, sweep, [&](const ff::ModelView& v) { return evaluate_mnist(v, test, e).accuracy(); }, progress);
    Csv c(tmp / "ff_perturbation.csv", "layer,kind,draw,fraction,changed,accuracy");
    for (const FfSweepPoint& p : pts) c.row(sweep.layer, p.kind, p.draw, p.fraction, p.changed, p.accuracy);
    const auto mean = mean_by_point(pts);
    const double imp1 = mean.at({"important", 1.0}), var1 = mean.at({"variable", 1.0}),
                 uip1 = mean.at({"unimportant", 1.0}), base = mean.at({"important", 0.0});
    size_t n_imp = 0, n_uip = 0;
    for (const FfSweepPoint& p : pts) {
      if (p.kind == "important" && p.fraction == 1.0) n_imp = p.changed;
      if (p.kind == "unimportant" && p.fraction == 1.0) n_uip = p.changed;
    }
    md << "## Targeted perturbation of layer " << sweep.layer << " (the authors' target weight perturbation)\n\n"
       << "A fraction of the layer's " << n_imp << " important weights removed (π = 1), against as many of its "
       << "variable ones; and a fraction of its " << n_uip << " unimportant connections given a random weight "
       << "N(0, 1) in the training scale (π = 0, m = 0, Ξ = 1, drawn with every concrete network). Accuracy on "
       << a.sweep_images << " test images in " << mode_name(sweep.mode) << " (a concrete network per image), mean of "
       << sweep.draws << " draws of each set.\n\n| fraction | important removed | as many variable removed | unimportant randomized |\n|---:|---:|---:|---:|\n";
    for (int p = 0; p < sweep.points; ++p) {
      const double f = static_cast<double>(p) / (sweep.points - 1);
      md << "| " << fmt(f, 3) << " | " << pct(mean.at({"important", f})) << " | " << pct(mean.at({"variable", f}))
         << " | " << pct(mean.at({"unimportant", f})) << " |\n";
    }
    md << "\n![perturbation](ff_perturbation.png)\n\n";
    findings.push_back({"Removing the important weights degrades the decision far more than removing as many variable "
                        "ones (PRL, target weight perturbation)",
                        verdict(imp1 < var1 - 0.01),
                        "layer " + std::to_string(sweep.layer) + ", all " + std::to_string(n_imp) + " important removed: " +
                            pct(imp1) + "; as many variable removed: " + pct(var1) + " (unperturbed " + pct(base) + ")"});
    findings.push_back({"The unimportant connections given random weights N(0, 1) (the authors' UIP perturbation)",
                        "**measured**",
                        "all " + std::to_string(n_uip) + " randomized: " + pct(uip1) + " (unperturbed " + pct(base) + ")"});
    summary["perturbation"] = {{"layer", sweep.layer}, {"important", n_imp}, {"unimportant", n_uip},
                               {"accuracy_all_important_removed", imp1}, {"accuracy_as_many_variable_removed", var1},
                               {"accuracy_all_unimportant_randomized", uip1}, {"accuracy_unperturbed", base}};
  }

  // 4. the course of training ------------------------------------------------------------------------
  if (!log.empty()) {
    std::filesystem::copy_file(a.log, tmp / "ff_training.csv");
    bool grows = true;
    std::string evidence;
    for (int l = 0; l < L; ++l) {
      const double first = log.front()[4 + static_cast<size_t>(l)], last = log.back()[4 + static_cast<size_t>(l)];
      grows = grows && last > first;
      evidence += (l ? "; " : "") + std::string("layer ") + std::to_string(l) + " " + fmt(first) + " → " + fmt(last);
    }
    md << "## Over training\n\nFrom the trainer's log (" << log.size()
       << " epochs): the mean π of every layer after each epoch.\n\n![training](ff_training.png)\n\n";
    findings.push_back({"The sparsity (mean π) of every layer grows from π = 0 during training", verdict(grows),
                        "after the first and the last epoch: " + evidence});
  } else {
    findings.push_back({"The course of the sparsity over training", "**not measured**", "no --log given"});
  }

  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  summary["seconds"] = total_s;
  {
    std::ofstream j(tmp / "summary.json");
    j << summary.dump(2) << "\n";
  }
  report::write_report(tmp, "Ensemble analysis of " + model_name,
                       "Written by `" + a.command + "` (" + fmt(total_s, 3) +
                           " s in all). Every number below is in the CSV and JSON files next to this page; the "
                           "figures are drawn from them by `scripts/plot-analysis`. Paper: Li and Huang, *Learning "
                           "credit assignment*, PRL 125, 178301 (2020); docs/feedforward.md.\n\nModel: a "
                           "feedforward stack " + stack + " (" + task_name(model.task) + "). Accuracy: mean-field " +
                           pct(acc_mf) + ", sampled-per-step " + pct(acc_sps) + ".",
                       findings, md.str());
  if (!a.no_plots) report::draw_figures(a.python, a.plot_script, tmp);
  dir.commit();
  std::cout << "wrote " << a.out << "/report.md and its data (" << fmt(total_s, 3) << " s)\n";
  return 0;
}

}  // namespace sasrnn::cli
