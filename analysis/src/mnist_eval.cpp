// Sequential-MNIST evaluation with the runtime, on every core (trials.hpp).
#include "sasrnn/analysis/mnist_eval.hpp"

#include "sasrnn/analysis/trials.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace sasrnn::analysis {

double MnistEvalResult::class_accuracy(int d) const {
  const int n = class_count(d);
  return n ? static_cast<double>(confusion[static_cast<size_t>(d)][static_cast<size_t>(d)]) / n : 0.0;
}

int MnistEvalResult::class_count(int d) const {
  int n = 0;
  for (int k : confusion[static_cast<size_t>(d)]) n += k;
  return n;
}

MnistSequence mnist_sequence_of(const ModelView& model) {
  MnistSequence seq;
  if (model.task == TaskKind::SeqMNISTRow)
    seq = MnistSequence::Row;
  else if (model.task == TaskKind::SeqMNISTPixel)
    seq = MnistSequence::Pixel;
  else
    throw std::invalid_argument("not a sequential-MNIST model (its task is " +
                                std::string(task_name(model.task)) + ")");
  if (model.n_in != static_cast<uint32_t>(sequence_inputs(seq)) || model.n_out != 10)
    throw std::invalid_argument(std::string("a ") + task_name(model.task) + " model needs NIn=" +
                                std::to_string(sequence_inputs(seq)) + " and NOut=10, this one has NIn=" +
                                std::to_string(model.n_in) + " NOut=" + std::to_string(model.n_out));
  return seq;
}

MnistEvalResult evaluate_mnist(const ModelView& model, const MnistSet& set,
                               const MnistEvalConfig& cfg) {
  const MnistSequence seq = mnist_sequence_of(model);
  check_host_sizes(model);
  if (cfg.limit < 0 || cfg.limit > set.count)
    throw std::invalid_argument("--limit must be in 1..." + std::to_string(set.count));
  Options opt;
  opt.mode = cfg.mode;
  opt.seed = cfg.seed;
  opt.recurrent_noise = cfg.recurrent_noise;
  const int total = cfg.limit > 0 ? cfg.limit : set.count;
  const int steps = sequence_steps(seq);
  std::vector<uint8_t> decision(static_cast<size_t>(total));
  std::vector<uint8_t> failed(static_cast<size_t>(total), 0);  // a step refused: Status as a byte
  TrialSet trials;  // image k is trial k
  trials.count = total;
  trials.steps = steps;
  trials.input = [&](int k, int t, float* x) { sequence_input(seq, set.image(k), t, x); };
  trials.finish = [&](int k, Status st, const float*, int d) {
    failed[static_cast<size_t>(k)] = static_cast<uint8_t>(st);
    decision[static_cast<size_t>(k)] = static_cast<uint8_t>(d);
  };
  const TrialsRun run = run_trials(model, opt, trials, cfg.threads, cfg.batch, cfg.progress);
  throw_if_steps_failed(failed, "images");
  MnistEvalResult r;
  r.count = total;
  for (int k = 0; k < total; ++k) {
    const int label = set.labels[static_cast<size_t>(k)], d = decision[static_cast<size_t>(k)];
    ++r.confusion[static_cast<size_t>(label)][static_cast<size_t>(d)];
    r.correct += label == d ? 1 : 0;
  }
  r.steps = static_cast<uint64_t>(total) * static_cast<uint64_t>(steps);
  r.seconds = run.seconds;
  return r;
}

void print_mnist_report(std::ostream& out, const ModelView& model, const char* set_name,
                        const MnistEvalConfig& cfg, const MnistEvalResult& r) {
  char line[256];
  std::snprintf(line, sizeof line,
                "%s evaluation: %d %s images, mode %s, seed %llu, N=%u\n", task_name(model.task),
                r.count, set_name, mode_name(cfg.mode), static_cast<unsigned long long>(cfg.seed),
                model.n);
  out << line;
  print_mnist_tables(out, r);
}

void print_mnist_tables(std::ostream& out, const MnistEvalResult& r) {
  char line[256];
  std::snprintf(line, sizeof line, "accuracy: %.2f %% (%d of %d)\n", 100.0 * r.accuracy(),
                r.correct, r.count);
  out << line;
  out << "per class:";
  for (int d = 0; d < 10; ++d) {
    std::snprintf(line, sizeof line, " %d %.1f%%", d, 100.0 * r.class_accuracy(d));
    out << line;
  }
  out << "\nconfusion matrix (rows: label, columns: decision):\n       ";
  for (int d = 0; d < 10; ++d) {
    std::snprintf(line, sizeof line, " %5d", d);
    out << line;
  }
  out << "\n";
  for (int l = 0; l < 10; ++l) {
    std::snprintf(line, sizeof line, "  %d    ", l);
    out << line;
    for (int d = 0; d < 10; ++d) {
      std::snprintf(line, sizeof line, " %5d", r.confusion[static_cast<size_t>(l)][static_cast<size_t>(d)]);
      out << line;
    }
    out << "\n";
  }
  if (r.steps == static_cast<uint64_t>(r.count)) {  // one pass per image: a feedforward stack
    std::snprintf(line, sizeof line, "time: %.3f us per image (mean wall time per image and thread)\n",
                  r.count ? 1e6 * r.seconds / r.count : 0.0);
    out << line;
    return;
  }
  const double us = r.steps ? 1e6 * r.seconds / static_cast<double>(r.steps) : 0.0;
  std::snprintf(line, sizeof line,
                "time: %llu steps (%d per image), %.3f us per step (mean wall time per step and thread)\n",
                static_cast<unsigned long long>(r.steps), r.count ? static_cast<int>(r.steps / static_cast<uint64_t>(r.count)) : 0, us);
  out << line;
}

}  // namespace sasrnn::analysis
