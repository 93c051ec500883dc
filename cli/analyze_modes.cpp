// The section of `sasrnn analyze` that sets the runtime's four modes side by side (analyze_modes.hpp):
// accuracy, and the rates along the trials, in MeanField (eq. 4-5), SampledPerStep (a concrete
// network per step, the paper's sampled networks, Sec. III B), SampledPerTrial (one concrete network
// per trial, the runtime's trial cache) and MeanWeights (w = (1 - pi) m).
#include "analyze_modes.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace sasrnn::cli {

namespace {

using report::fmt;
using report::pct;

/// The factor by which the median trial's rate at the last step may exceed the mean-field one
/// before the report calls the concrete networks unstable.
constexpr double kUnstable = 2.0;

/// The last value of a course that is a number (NaN if none).
double last_of(const std::vector<double>& v) {
  for (auto it = v.rbegin(); it != v.rend(); ++it)
    if (!std::isnan(*it)) return *it;
  return NAN;
}

/// A difference of two accuracies in percentage points: "+0.14 pp", "−1.00 pp".
std::string points(double d) {
  char b[32];
  (void)std::snprintf(b, sizeof b, "%.2f pp", std::fabs(100 * d));
  return (d >= 0 ? "+" : "−") + std::string(b);
}

double largest(const std::vector<double>& v) {
  double top = NAN;
  for (double x : v)
    if (!std::isnan(x) && !(x <= top)) top = x;
  return top;
}

}  // namespace

std::string modes_section(const std::vector<ModeRun>& runs, const ModesSetup& setup,
                          const std::filesystem::path& dir, nlohmann::ordered_json& summary,
                          std::vector<report::Finding>& findings) {
  if (runs.empty() || runs.front().mode != Mode::MeanField)
    throw std::logic_error("modes_section: MeanField must come first");
  const ModeRun& mf = runs.front();
  const double mf_last = last_of(mf.course.mean), mf_median = last_of(mf.course.median);
  report::Csv c(dir / "modes.csv", "mode,step,time,mean_rate,median_trial_rate,max_rate");
  for (const ModeRun& r : runs)
    for (size_t t = 0; t < r.course.mean.size(); ++t)
      c.row(mode_name(r.mode), t, static_cast<double>(t + 1) * setup.step_ms, r.course.mean[t],
            r.course.median[t], r.course.max[t]);

  const char* unit = setup.msi ? " trials" : " images";
  std::ostringstream md;
  md << "## One concrete network per step or per trial\n\n"
     << "The runtime runs the ensemble in four modes: MeanField (eq. 4–5, the network it was trained as), "
        "SampledPerStep (a concrete network drawn anew at every step: the paper's sampled networks, "
        "Sec. III B), SampledPerTrial (a concrete network drawn when the trial starts and kept for all "
        "its steps, a new one per trial: the runtime's trial cache, what a device that draws its network "
        "once per sequence runs) and MeanWeights (w = (1 − π) m). Accuracy on the "
     << setup.evaluated << unit << " above; the rates of " << setup.traced_what
     << " in each mode: at the last recorded step the mean over trials and units and the median over the "
        "trials of a trial's mean, and the largest rate of any unit at any step. A trial whose state went "
        "non-finite is stopped and counted, and left out of the mean and median.\n\n"
     << "| mode | accuracy | against mean-field | mean rate, last step | median trial, last step | "
        "largest rate, any step | stopped |\n"
     << "|---|---:|---:|---:|---:|---:|---:|\n";
  nlohmann::ordered_json js;
  for (const ModeRun& r : runs) {
    const double last = last_of(r.course.mean), med = last_of(r.course.median), top = largest(r.course.max);
    const bool measured = r.not_measured.empty();
    md << "| " << mode_name(r.mode) << " | " << (measured ? pct(r.accuracy) : "n/a") << " | "
       << (&r == &mf || !measured ? std::string() : points(r.accuracy - mf.accuracy)) << " | " << fmt(last)
       << " | " << fmt(med) << " | " << fmt(top) << " | " << r.course.stopped << " |\n";
    js[mode_name(r.mode)] = {{"accuracy", measured ? r.accuracy : NAN}, {"last_mean_rate", last},
                             {"last_median_trial_rate", med}, {"max_rate", top}, {"stopped", r.course.stopped}};
  }
  summary["modes"] = {{"evaluated", setup.evaluated}, {"traced", setup.traced}, {"by_mode", js}};
  md << "\n";
  for (const ModeRun& r : runs)
    if (!r.not_measured.empty())
      md << mode_name(r.mode) << ": no accuracy, the evaluation stopped (" << r.not_measured << ").\n\n";

  for (const ModeRun& r : runs) {
    if (r.mode != Mode::SampledPerTrial) continue;
    const bool measured = r.not_measured.empty();
    const double se = std::sqrt(mf.accuracy * (1 - mf.accuracy) / setup.evaluated +
                                r.accuracy * (1 - r.accuracy) / setup.evaluated);
    const bool matches = measured && std::fabs(mf.accuracy - r.accuracy) <= 2 * se + 1e-12;
    // stability: the mean-field course must be a finite, positive reference
    const bool reference = std::isfinite(mf_last) && mf_last > 0 && std::isfinite(mf_median) && mf_median > 0 &&
                           mf.course.stopped == 0;
    const double growth = last_of(r.course.mean) / mf_last, median_growth = last_of(r.course.median) / mf_median;
    const bool unstable = r.course.stopped > 0 || !measured || !(median_growth <= kUnstable);
    if (!reference) {
      md << "The mean-field network's rates are no reference here (at the last step mean " << fmt(mf_last)
         << ", median trial " << fmt(mf_median) << ", " << mf.course.stopped
         << " trials stopped), so the stability of the networks drawn once per trial is not measured.\n\n";
    } else {
      md << "At the last recorded step SampledPerTrial's mean rate is " << fmt(growth, 3)
         << " times the mean-field network's, the median trial's " << fmt(median_growth, 3) << " times"
         << (r.course.stopped > 0 ? "; " + std::to_string(r.course.stopped) + " of its " +
                                        std::to_string(setup.traced) + unit + " went non-finite"
                                  : std::string());
      if (unstable)
        md << ": the concrete networks kept for a whole trial are unstable where the mean-field network is "
              "not, their rates grow along the trial";
      else if (matches)
        md << ": the concrete networks kept for a whole trial are as active as the mean-field network, and "
              "as accurate";
      else
        md << ": the concrete networks kept for a whole trial are as active as the mean-field network, so "
              "their "
           << (r.accuracy < mf.accuracy ? "lower" : "higher")
           << " accuracy is not an instability: it is the spread between concrete networks, each trial "
              "running one draw of the ensemble for all its steps instead of a new draw at every step";
      md << " (unstable: any trial stopped, or the median trial more than " << fmt(kUnstable)
         << " times the mean-field one).\n\n";
    }
    md << "![rates per mode](modes.png)\n\n";
    findings.push_back(
        {"A concrete network drawn once per trial and kept for all its steps (SampledPerTrial) reaches the "
         "mean-field accuracy (not a test of the paper, whose sampled networks are drawn at every step)",
         report::verdict(matches),
         "mean-field " + pct(mf.accuracy) + ", sampled-per-trial " +
             (measured ? pct(r.accuracy) + " (" + std::to_string(setup.evaluated) + unit +
                             " each; two standard errors " + pct(2 * se) + ")"
                       : "not measured (" + r.not_measured + ")") +
             (reference ? "; its median trial's rate at the last step " + fmt(median_growth, 3) +
                              " times the mean-field one" + (unstable ? " (unstable)" : " (stable)")
                        : std::string())});
  }
  return md.str();
}

}  // namespace sasrnn::cli
