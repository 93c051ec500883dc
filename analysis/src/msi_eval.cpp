// The MSI evaluation set with the runtime on every core (trials.hpp), the psychometric fits and the report.
#include "sasrnn/analysis/msi_eval.hpp"

#include "sasrnn/analysis/trials.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace sasrnn::analysis {

namespace {

void run_set(const ModelView& model, const EvalConfig& cfg, EvalResult& r) {
  const msi::Protocol protocol = eval_protocol(model, cfg);
  Options opt;
  opt.mode = cfg.mode;
  opt.seed = cfg.seed;
  opt.recurrent_noise = cfg.recurrent_noise;
  opt.alpha = protocol.alpha();
  {
    float alpha = 0.0f;
    const Status s = HostNetwork::check(model, opt, alpha);
    if (s != Status::Ok)
      throw std::invalid_argument(std::string("cannot run the model: ") + status_message(s) +
                                  " (alpha = dt/tau = " + std::to_string(opt.alpha) + ")");
  }
  const uint32_t total = msi::evaluation_size(cfg.reps);
  r.trials.resize(total);
  std::vector<uint8_t> failed(total, 0);  // a step refused: Status as a byte
  TrialSet set;
  set.count = static_cast<int>(total);
  set.steps = msi::Stimulus(protocol, msi::Trial{}).steps();
  set.index = [&](int k) { return msi::evaluation_trial(static_cast<uint32_t>(k), cfg.reps).index; };
  set.input = [&](int k, int t, float* x) {
    msi::Stimulus(protocol, msi::evaluation_trial(static_cast<uint32_t>(k), cfg.reps)).input(t, x);
  };
  set.finish = [&](int k, Status st, const float* y, int decision) {
    failed[static_cast<size_t>(k)] = static_cast<uint8_t>(st);
    r.trials[static_cast<size_t>(k)] = TrialResult{
        msi::evaluation_trial(static_cast<uint32_t>(k), cfg.reps), decision, y[msi::High], y[msi::Low]};
  };
  const TrialsRun run = run_trials(model, opt, set, cfg.threads, cfg.batch, cfg.progress);
  throw_if_steps_failed(failed, "trials");
  r.protocol = protocol;
  r.steps_per_trial = set.steps;
  r.steps = static_cast<uint64_t>(total) * static_cast<uint64_t>(r.steps_per_trial);
  r.seconds = run.seconds;
}

}  // namespace

const char* protocol_choice_name(ProtocolChoice p) {
  return p == ProtocolChoice::Model ? "model" : "test";
}

msi::Protocol eval_protocol(const ModelView& model, const EvalConfig& cfg) {
  if (model.task != TaskKind::MSI)
    throw std::invalid_argument(
        std::string(model.task == TaskKind::None ? "the model has no task" : "the model's task is not MSI") +
        " (task " + std::to_string(static_cast<int>(model.task)) +
        "), so its inputs and outputs cannot be read as the MSI task's; if it is an MSI network, "
        "give it the task when converting (task = 1, and the msi_* values, in the .npz or .json)");
  if (!(cfg.dt_ms > 0.0f)) throw std::invalid_argument("--dt must be positive");
  msi::Protocol timing = msi::Protocol::test(cfg.dt_ms);
  if (cfg.protocol == ProtocolChoice::Model) {
    timing.fixation_ms = model.msi.fixation_ms;
    timing.stimulus_ms = model.msi.stimulus_ms;
    timing.decision_ms = model.msi.decision_ms;
  }
  if (cfg.fixation_ms >= 0.0f) timing.fixation_ms = cfg.fixation_ms;
  if (cfg.stimulus_ms >= 0.0f) timing.stimulus_ms = cfg.stimulus_ms;
  if (cfg.decision_ms >= 0.0f) timing.decision_ms = cfg.decision_ms;
  if (msi::epoch_steps(timing.stimulus_ms, cfg.dt_ms) < 1 ||
      msi::epoch_steps(timing.decision_ms, cfg.dt_ms) < 1)
    throw std::invalid_argument("the stimulus and decision epochs must last at least one step of dt");
  msi::Protocol p = msi::with_model(timing, model);
  p.input_noise = cfg.input_noise;
  p.seed = cfg.seed;
  return p;
}

EvalResult evaluate_msi(const ModelView& model, const EvalConfig& cfg) {
  if (model.n_in != msi::kInputs || model.n_out != msi::kOutputs)
    throw std::invalid_argument("not an MSI model: needs 5 inputs and 2 outputs, has " +
                                std::to_string(model.n_in) + " and " + std::to_string(model.n_out));
  if (cfg.reps == 0) throw std::invalid_argument("--trials must be at least 1");
  eval_protocol(model, cfg);  // the task and the durations, checked before any trial runs
  check_host_sizes(model);
  EvalResult r;
  run_set(model, cfg, r);
  const float boundary = r.protocol.boundary;
  for (const TrialResult& t : r.trials) {
    const int m = static_cast<int>(t.trial.modality);
    const int k = static_cast<int>(t.trial.rate - 9.0f + 0.5f);
    ++r.count[m][k];
    r.high[m][k] += t.decision == msi::High;
  }
  double total = 0;
  for (int m = 0; m < msi::kModalities; ++m) {
    double sum = 0;
    for (int k = 0; k < msi::kRates; ++k) {
      const double ph = r.p_high(m, k);
      sum += msi::rate_of(k) > boundary ? ph : 1.0 - ph;
    }
    r.modality_accuracy[m] = sum / msi::kRates;
    total += sum;
  }
  r.accuracy = total / msi::kConditions;
  return r;
}

PsychometricFit fit_psychometric(const std::array<uint32_t, msi::kRates>& high,
                                 const std::array<uint32_t, msi::kRates>& count) {
  const auto nll = [&](double mu, double sigma) {
    double l = 0;
    for (int k = 0; k < msi::kRates; ++k) {
      const double p = 0.5 * std::erfc(-(msi::rate_of(k) - mu) / (sigma * std::sqrt(2.0)));
      const double pc = std::min(std::max(p, 1e-12), 1 - 1e-12);
      l -= high[static_cast<size_t>(k)] * std::log(pc) +
           (count[static_cast<size_t>(k)] - high[static_cast<size_t>(k)]) * std::log(1 - pc);
    }
    return l;
  };
  // Grid search, then two rounds of refinement around the best point.
  PsychometricFit best{12.5, 1.0};
  double best_l = nll(best.mu, best.sigma);
  double mu_lo = 9.0, mu_hi = 16.0, ls_lo = std::log(0.02), ls_hi = std::log(20.0);
  for (int round = 0; round < 3; ++round) {
    const int n = 120;
    for (int i = 0; i <= n; ++i)
      for (int j = 0; j <= n; ++j) {
        const double mu = mu_lo + (mu_hi - mu_lo) * i / n;
        const double sigma = std::exp(ls_lo + (ls_hi - ls_lo) * j / n);
        const double l = nll(mu, sigma);
        if (l < best_l) {
          best_l = l;
          best = {mu, sigma};
        }
      }
    const double dmu = (mu_hi - mu_lo) / n * 2, dls = (ls_hi - ls_lo) / n * 2;
    mu_lo = std::max(9.0, best.mu - dmu);
    mu_hi = std::min(16.0, best.mu + dmu);
    ls_lo = std::max(std::log(0.02), std::log(best.sigma) - dls);
    ls_hi = std::min(std::log(20.0), std::log(best.sigma) + dls);
  }
  return best;
}

double optimal_sigma(double sigma_v, double sigma_a) {
  return 1.0 / std::sqrt(1.0 / (sigma_v * sigma_v) + 1.0 / (sigma_a * sigma_a));
}

void print_report(std::ostream& out, const EvalConfig& cfg, const EvalResult& r) {
  char line[256];
  std::snprintf(line, sizeof line,
                "MSI evaluation: mode %s, dt %.3g ms, %u repetitions x %d conditions, seed %llu, "
                "recurrent noise %s, input noise %s\n",
                mode_name(cfg.mode), static_cast<double>(cfg.dt_ms), cfg.reps, msi::kConditions,
                static_cast<unsigned long long>(cfg.seed), cfg.recurrent_noise ? "on" : "off",
                cfg.input_noise ? "on" : "off");
  out << line;
  const msi::Protocol& p = r.protocol;
  std::snprintf(line, sizeof line,
                "protocol: %s, fixation/stimulus/decision %g/%g/%g ms (%d steps per trial)%s\n",
                protocol_choice_name(cfg.protocol), static_cast<double>(p.fixation_ms),
                static_cast<double>(p.stimulus_ms), static_cast<double>(p.decision_ms),
                r.steps_per_trial,
                cfg.fixation_ms >= 0.0f || cfg.stimulus_ms >= 0.0f || cfg.decision_ms >= 0.0f
                    ? ", durations overridden"
                    : "");
  out << line;
  out << "P(high choice)  rate:";
  for (int k = 0; k < msi::kRates; ++k) {
    std::snprintf(line, sizeof line, " %6.0f", static_cast<double>(msi::rate_of(k)));
    out << line;
  }
  out << "   accuracy\n";
  for (int m = 0; m < msi::kModalities; ++m) {
    std::snprintf(line, sizeof line, "  %-19s", msi::modality_name(static_cast<msi::Modality>(m)));
    out << line;
    for (int k = 0; k < msi::kRates; ++k) {
      std::snprintf(line, sizeof line, " %6.3f", r.p_high(m, k));
      out << line;
    }
    std::snprintf(line, sizeof line, "   %6.2f %%\n", 100.0 * r.modality_accuracy[m]);
    out << line;
  }
  std::snprintf(line, sizeof line, "accuracy (mean P(correct) over %d conditions): %.2f %%\n",
                msi::kConditions, 100.0 * r.accuracy);
  out << line;
  PsychometricFit fits[msi::kModalities];
  for (int m = 0; m < msi::kModalities; ++m) fits[m] = fit_psychometric(r.high[m], r.count[m]);
  const int v = static_cast<int>(msi::Modality::Visual), a = static_cast<int>(msi::Modality::Auditory),
            b = static_cast<int>(msi::Modality::Both);
  std::snprintf(line, sizeof line,
                "cumulative Gaussian fits: visual mu %.2f sigma %.3f | auditory mu %.2f sigma %.3f | "
                "both mu %.2f sigma %.3f\n",
                fits[v].mu, fits[v].sigma, fits[a].mu, fits[a].sigma, fits[b].mu, fits[b].sigma);
  out << line;
  std::snprintf(line, sizeof line,
                "optimal integration 1/sigma_va^2 = 1/sigma_v^2 + 1/sigma_a^2 predicts sigma_va %.3f; "
                "measured %.3f\n",
                optimal_sigma(fits[v].sigma, fits[a].sigma), fits[b].sigma);
  out << line;
  const double us = r.steps ? 1e6 * r.seconds / static_cast<double>(r.steps) : 0.0;
  std::snprintf(line, sizeof line,
                "time: %llu steps (%d per trial), %.3f us per step (mean wall time per step and thread)\n",
                static_cast<unsigned long long>(r.steps), r.steps_per_trial, us);
  out << line;
}

}  // namespace sasrnn::analysis
