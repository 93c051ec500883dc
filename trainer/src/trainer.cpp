#include "sasrnn/trainer/trainer.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "sasrnn/analysis/parallel.hpp"
#include "sasrnn/converter/commands.hpp"
#include "sasrnn/rng.hpp"
#include "sasrnn/trainer/init.hpp"
#include "sasrnn/version.hpp"
#include "checkpoint.hpp"

namespace sasrnn::train {

namespace {

constexpr double kXiEntropyFloor = 1e-4;               // paper Fig. 4: Xi < a relaxed to a
constexpr const char* kTrainerVersion = "sasrnn-trainer " SASRNN_VERSION;  // sasrnn/version.hpp

double binary_entropy(double p) {
  double h = 0;
  if (p > 0 && p < 1) h = -p * std::log(p) - (1 - p) * std::log(1 - p);
  return h;
}

/// Mean-field gradient of one chunk of the batch, computed in precision T.
struct ChunkResult {
  Grads<double> grads;
  double loss = 0;
  int correct = 0, counted = 0;
};

template <class T>
ChunkResult run_chunk(const TrainConfig& cfg, const Params<double>& p, uint32_t first, int count,
                      double loss_scale) {
  const Params<T> pt = p.template cast<T>();
  const Batch<T> b = make_msi_batch<T>(cfg.task, cfg.seed, first, count, cfg.batch);
  const double alpha = cfg.task.protocol.alpha();
  const Noise<T> nz = make_noise<T>(cfg.seed, first, count, b.steps, pt.n(), pt.n_out(),
                                    dyn::recurrent_noise_scale(alpha, cfg.sigma_rec), 0, has_variance(pt));
  const LossSpec<T> ls{static_cast<T>(loss_scale)};
  Tape<T> tape;
  ChunkResult res;
  res.loss = static_cast<double>(forward(pt, static_cast<T>(alpha), b, nz, ls, tape));
  Grads<T> g;
  backward(pt, static_cast<T>(alpha), b, nz, ls, tape, g, cfg.opt.train);
  res.grads = g.template cast<double>();
  // the decision is read at the last step of the decision epoch (before any padding)
  const msi::Stimulus probe(cfg.task.protocol, msi::Trial{});
  const int last =
      (probe.fixation_steps() + probe.stimulus_steps() + probe.decision_steps() - 1) * count;
  for (int bi = 0; bi < count; ++bi) {
    const msi::Trial t =
        draw_training_trial(cfg.task, cfg.seed, first + static_cast<uint32_t>(bi), cfg.batch);
    if (t.modality == msi::Modality::Catch) continue;
    const int choice = tape.z(msi::High, last + bi) >= tape.z(msi::Low, last + bi) ? msi::High : msi::Low;
    res.correct += choice == msi::correct_choice(t, cfg.task.protocol.boundary) ? 1 : 0;
    ++res.counted;
  }
  return res;
}

/// The same for a batch of MNIST images: softmax cross entropy at the last step, mean over the
/// batch (loss_scale = 1 / batch); `first` keys the batch's quenched noise.
template <class T>
ChunkResult run_mnist_chunk(const TrainConfig& cfg, const Params<double>& p,
                            const analysis::MnistSet& set, const int* images, int count,
                            uint32_t first, double loss_scale) {
  const Params<T> pt = p.template cast<T>();
  const Batch<T> b = make_mnist_batch<T>(set, cfg.mnist.sequence, images, count);
  // the output (and its noise) only at the last step
  const Noise<T> nz = make_noise<T>(cfg.seed, first, count, b.steps, pt.n(), pt.n_out(),
                                    dyn::recurrent_noise_scale(cfg.mnist_alpha, cfg.sigma_rec),
                                    b.steps - 1, has_variance(pt));
  const LossSpec<T> ls{static_cast<T>(loss_scale), LossKind::SoftmaxCrossEntropyLast};
  Tape<T> tape;
  ChunkResult res;
  const T alpha = static_cast<T>(cfg.mnist_alpha);
  res.loss = static_cast<double>(forward(pt, alpha, b, nz, ls, tape));
  Grads<T> g;
  backward(pt, alpha, b, nz, ls, tape, g, cfg.opt.train);
  res.grads = g.template cast<double>();
  const int last = (b.steps - 1) * count;
  for (int bi = 0; bi < count; ++bi) {
    Eigen::Index k = 0;
    tape.z.col(last + bi).maxCoeff(&k);  // ties: the lowest index, as the runtime's decide()
    res.correct += static_cast<int>(k) == set.labels[static_cast<size_t>(images[bi])] ? 1 : 0;
    ++res.counted;
  }
  return res;
}

void add_to(Grads<double>& acc, const Grads<double>& g) {
  for (int k = 0; k < kGroups; ++k) acc.group(static_cast<Group>(k)) += g.group(static_cast<Group>(k));
}

}  // namespace

std::vector<float> row_major(const Mat<double>& a) {
  std::vector<float> v(static_cast<size_t>(a.size()));
  for (int i = 0; i < a.rows(); ++i)
    for (int j = 0; j < a.cols(); ++j) v[static_cast<size_t>(i) * a.cols() + j] = static_cast<float>(a(i, j));
  return v;
}

conv::Provenance make_provenance(uint64_t seed, const std::string& command) {
  conv::Provenance p;
  p.trainer_version = kTrainerVersion;
  p.seed = seed;
  p.command = command;
  char when[32] = "";
  const std::time_t now = std::time(nullptr);
  const std::tm* utc = std::gmtime(&now);  // nullptr when the clock is out of range: no date then
  if (utc == nullptr || std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", utc) == 0) when[0] = '\0';
  p.created = when;
  return p;
}


TrainConfig msi_paper_config() {
  // As the authors' reference implementation trains the MSI network: RMSprop; lr 1e-3 for m and
  // Xi; pi_rec 1 and pi_out 0.1, halved every 100 epochs; the input layer deterministic
  // (pi_in = Xi_in = 0, only m_in learned); at most 500 epochs, and stop at the first epoch from
  // epoch 100 on whose batch loss is <= 0.002 (their `if epoch >= 100: if L <= 0.002: break`).
  TrainConfig c;
  c.epochs = 500;
  c.stop = StopRule::Authors;
  c.target_loss = 0.002;
  c.stop_from = 100;
  c.opt.kind = OptimizerKind::RMSprop;
  c.opt.lr.fill(1e-3);
  c.opt.lr[static_cast<size_t>(Group::PiRec)] = 1.0;
  c.opt.lr[static_cast<size_t>(Group::PiOut)] = 0.1;
  c.opt.train.fill(true);
  c.opt.train[static_cast<size_t>(Group::PiIn)] = false;
  c.opt.train[static_cast<size_t>(Group::XiIn)] = false;
  c.init_xi_in = 0.0;
  c.opt.decay = 0.5;
  c.opt.decay_every = 100;
  c.opt.decayed.fill(false);
  c.opt.decayed[static_cast<size_t>(Group::PiRec)] = true;
  c.opt.decayed[static_cast<size_t>(Group::PiOut)] = true;
  return c;
}

const char* train_task_name(TrainTask t) {
  switch (t) {
    case TrainTask::Msi: return "msi";
    case TrainTask::MnistRow: return "mnist-row";
    case TrainTask::MnistPixel: return "mnist-pixel";
  }
  return "unknown";
}

int TrainConfig::n_in() const {
  if (!is_mnist()) return msi::kInputs;
  return analysis::sequence_inputs(mnist.sequence);
}

int TrainConfig::n_out() const { return is_mnist() ? 10 : msi::kOutputs; }

TrainConfig mnist_paper_config(TrainTask kind) {
  TrainConfig c;
  c.kind = kind;
  c.mnist.sequence =
      kind == TrainTask::MnistPixel ? analysis::MnistSequence::Pixel : analysis::MnistSequence::Row;
  c.n = 100;
  c.epochs = 100;
  c.batch = 128;
  c.l2 = 1e-4;
  c.sigma_rec = 0.0;
  c.stop = StopRule::None;
  c.init_xi = 0.01;
  c.init_xi_in = 0.0;
  c.init_rec_identity = true;
  c.opt.kind = OptimizerKind::Adam;
  c.opt.lr.fill(1e-3);
  c.opt.train.fill(true);
  c.opt.train[static_cast<size_t>(Group::PiIn)] = false;  // deterministic input layer
  c.opt.train[static_cast<size_t>(Group::XiIn)] = false;
  c.opt.decay = 0.5;
  c.opt.decay_every = 40;
  c.opt.decayed.fill(true);
  return c;
}

const char* stop_rule_name(StopRule r) {
  switch (r) {
    case StopRule::None: return "none";
    case StopRule::Mean10: return "mean10";
    case StopRule::Authors: return "authors";
  }
  return "?";
}

bool stop_reached(StopRule rule, double target_loss, int stop_from,
                  const std::vector<EpochStats>& history) {
  if (rule == StopRule::None || !(target_loss > 0) || history.empty()) return false;
  if (history.back().epoch < stop_from) return false;
  if (rule == StopRule::Authors) return history.back().loss <= target_loss;
  if (history.size() < 10) return false;
  double sum = 0;
  for (size_t i = history.size() - 10; i < history.size(); ++i) sum += history[i].loss;
  return sum / 10.0 < target_loss;
}

// (void) on snprintf here and elsewhere: the buffer holds the longest output; its length is not needed.
std::string format_duration(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s >= 3600)
    (void)std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else if (s >= 60)
    (void)std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    (void)std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

std::string csv_header() {
  return "epoch,loss,accuracy,seconds,sparsity_in,sparsity_rec_I,sparsity_rec_II,sparsity_out,"
         "pi_entropy_in,pi_entropy_rec,pi_entropy_out,xi_entropy_in,xi_entropy_rec,xi_entropy_out,"
         "vip_rec,vip_out,validation";
}

namespace {
// The log's columns, in csv_header() order; one list so the CSV and the checkpoint agree.
std::array<double*, 16> fields(EpochStats& s) {
  return {nullptr,          &s.loss,           &s.accuracy,       &s.seconds,
          &s.sparsity_in,   &s.sparsity_rec_i, &s.sparsity_rec_ii, &s.sparsity_out,
          &s.pi_entropy_in, &s.pi_entropy_rec, &s.pi_entropy_out, &s.xi_entropy_in,
          &s.xi_entropy_rec, &s.xi_entropy_out, &s.vip_rec,       &s.vip_out};
}
}  // namespace

std::string csv_row(const EpochStats& stats) {
  EpochStats s = stats;
  std::ostringstream o;
  o.precision(9);
  o << s.epoch;
  for (double* f : fields(s))
    if (f) o << ',' << *f;
  o << ',';  // empty: not validated
  if (!std::isnan(s.validation)) o << s.validation;
  return o.str();
}

EpochStats parameter_stats(const Params<double>& p, const Mat<double>& input_mask) {
  EpochStats s;
  struct Acc {
    double pi = 0, hpi = 0, hxi = 0, vip = 0;
    long n = 0;
    void add(double pi_, double m, double xi) {
      pi += pi_;
      hpi += binary_entropy(pi_);
      hxi += 0.5 * std::log(2 * M_PI * M_E * std::max(xi, kXiEntropyFloor));
      vip += conv::is_vip(pi_, m) ? 1 : 0;
      ++n;
    }
    double mean(double v) const { return n ? v / static_cast<double>(n) : 0.0; }
  };
  Acc in, rec, rec_i, rec_ii, out;
  for (int i = 0; i < p.in.rows(); ++i)
    for (int j = 0; j < p.in.cols(); ++j)
      if (input_mask.size() == 0 || input_mask(i, j) != 0) in.add(p.in.pi(i, j), p.in.m(i, j), p.in.xi(i, j));
  for (int i = 0; i < p.rec.rows(); ++i)
    for (int j = 0; j < p.rec.cols(); ++j) {
      rec.add(p.rec.pi(i, j), p.rec.m(i, j), p.rec.xi(i, j));
      if (i < j) rec_i.add(p.rec.pi(i, j), p.rec.m(i, j), p.rec.xi(i, j));
      if (i > j) rec_ii.add(p.rec.pi(i, j), p.rec.m(i, j), p.rec.xi(i, j));
    }
  for (Eigen::Index k = 0; k < p.out.m.size(); ++k) out.add(p.out.pi(k), p.out.m(k), p.out.xi(k));
  s.sparsity_in = in.mean(in.pi);
  s.sparsity_rec_i = rec_i.mean(rec_i.pi);
  s.sparsity_rec_ii = rec_ii.mean(rec_ii.pi);
  s.sparsity_out = out.mean(out.pi);
  s.pi_entropy_in = in.mean(in.hpi);
  s.pi_entropy_rec = rec.mean(rec.hpi);
  s.pi_entropy_out = out.mean(out.hpi);
  s.xi_entropy_in = in.mean(in.hxi);
  s.xi_entropy_rec = rec.mean(rec.hxi);
  s.xi_entropy_out = out.mean(out.hxi);
  s.vip_rec = rec.mean(rec.vip);
  s.vip_out = out.mean(out.vip);
  return s;
}

Trainer::Trainer(const TrainConfig& cfg) : cfg_(cfg) {
  if (cfg.n < (cfg.is_mnist() ? 1 : 3))
    throw std::invalid_argument(cfg.is_mnist() ? "N must be at least 1"
                                               : "N must be at least 3 (three input groups)");
  if (cfg.batch < 1) throw std::invalid_argument("batch must be at least 1");
  if (cfg.chunks < 1 || cfg.chunks > cfg.batch)
    throw std::invalid_argument("chunks must be between 1 and the batch size");
  if (cfg.is_mnist()) {
    if (!(cfg.mnist_alpha > 0 && cfg.mnist_alpha <= 1))
      throw std::invalid_argument("alpha must be in (0, 1]");
    const std::string dir = cfg.mnist.data_dir.empty() ? analysis::default_mnist_dir() : cfg.mnist.data_dir;
    mnist_ = analysis::load_mnist(dir, analysis::MnistSplit::Train);
    if (cfg.batch > mnist_.count)
      throw std::invalid_argument("batch must be at most the " + std::to_string(mnist_.count) +
                                  " training images");
  }
  const int n = cfg.n, ni = cfg.n_in(), no = cfg.n_out();
  // docs/training.md: m ~ N(0, 1/fan_in), Xi ~ init_xi U(0, 1), pi = 0.
  params_.in = Layer<double>{Mat<double>::Zero(n, ni), init_normal(cfg.seed, 0, n, ni, 1.0 / std::sqrt(ni)),
                             init_uniform(cfg.seed, 0, n, ni, cfg.init_xi_in)};
  params_.rec = Layer<double>{Mat<double>::Zero(n, n),
                              cfg.init_rec_identity ? Mat<double>(Mat<double>::Identity(n, n))
                                                    : init_normal(cfg.seed, 1, n, n, 1.0 / std::sqrt(n)),
                              init_uniform(cfg.seed, 1, n, n, cfg.init_xi)};
  params_.out = Layer<double>{Mat<double>::Zero(no, n), init_normal(cfg.seed, 2, no, n, 1.0 / std::sqrt(n)),
                              init_uniform(cfg.seed, 2, no, n, cfg.init_xi)};
  fixed_.in.resize(n, ni);
  fixed_.rec.resize(n, n);
  fixed_.out.resize(no, n);
  if (cfg.is_mnist()) {  // every input connected, nothing fixed
    input_mask_.setOnes(n, ni);
    opt_ = Optimizer(cfg.opt, params_);
    return;
  }
  // MSI wiring: absent input connections are pi = 1, m = Xi = 0 and never trained.
  input_mask_.setZero(n, ni);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < ni; ++j) {
      const bool on = msi::input_connected(i, j, n);
      input_mask_(i, j) = on ? 1.0 : 0.0;
      if (!on) {
        params_.in.pi(i, j) = 1.0;
        params_.in.m(i, j) = 0.0;
        params_.in.xi(i, j) = 0.0;
        fixed_.in.pi(i, j) = fixed_.in.m(i, j) = fixed_.in.xi(i, j) = 1.0;
      }
    }
  // Groups that are not learned keep their initial values; a fixed-at-zero Xi or pi group
  // (e.g. deterministic inputs) is set with init_xi = 0 or by the caller.
  opt_ = Optimizer(cfg.opt, params_);
}

int Trainer::updates_per_epoch() const {
  return cfg_.is_mnist() ? mnist_.count / cfg_.batch : 1;
}

Grads<double> Trainer::gradients(int update, double* loss, double* accuracy) {
  const int B = cfg_.batch, chunks = cfg_.chunks;
  const uint32_t first = static_cast<uint32_t>(update) * static_cast<uint32_t>(B);
  std::vector<ChunkResult> results(static_cast<size_t>(chunks));
  std::function<void(int)> work;
  if (cfg_.is_mnist()) {
    const int per_epoch = updates_per_epoch(), epoch = update / per_epoch;
    if (order_epoch_ != epoch) {
      order_ = epoch_order(cfg_.seed, epoch, mnist_.count);
      order_epoch_ = epoch;
    }
    const int* images = order_.data() + static_cast<ptrdiff_t>(update % per_epoch) * B;
    const double scale = 1.0 / B;  // mean cross entropy over the batch
    work = [&, images, scale](int c) {
      const int lo = c * B / chunks, hi = (c + 1) * B / chunks;
      const uint32_t f = first + static_cast<uint32_t>(lo);
      results[static_cast<size_t>(c)] =
          cfg_.single_precision
              ? run_mnist_chunk<float>(cfg_, params_, mnist_, images + lo, hi - lo, f, scale)
              : run_mnist_chunk<double>(cfg_, params_, mnist_, images + lo, hi - lo, f, scale);
    };
  } else {
    const msi::Stimulus probe(cfg_.task.protocol, msi::Trial{});
    const double scale = 1.0 / (static_cast<double>(B) * probe.steps() * msi::kOutputs);
    work = [&, scale](int c) {
      const int lo = c * B / chunks, hi = (c + 1) * B / chunks;
      results[static_cast<size_t>(c)] =
          cfg_.single_precision
              ? run_chunk<float>(cfg_, params_, first + static_cast<uint32_t>(lo), hi - lo, scale)
              : run_chunk<double>(cfg_, params_, first + static_cast<uint32_t>(lo), hi - lo, scale);
    };
  }
  // The evaluation library's worker pool: an exception on a worker (e.g. std::bad_alloc) is
  // rethrown here after every worker has joined, never escaping a std::thread.
  analysis::for_each_trial(chunks, std::min(cfg_.threads, chunks), [&](int) { return work; });
  // Sum the chunks in a fixed order: the result does not depend on the thread count.
  Grads<double> g = results[0].grads;
  double l = results[0].loss;
  int correct = results[0].correct, counted = results[0].counted;
  for (size_t c = 1; c < results.size(); ++c) {
    add_to(g, results[c].grads);
    l += results[c].loss;
    correct += results[c].correct;
    counted += results[c].counted;
  }
  // l2 on m and Xi: (l2 / 2)(sum m^2 + sum Xi^2), absent input entries excluded.
  for (Group grp : {Group::MIn, Group::XiIn, Group::MRec, Group::XiRec, Group::MOut, Group::XiOut}) {
    Mat<double> d = cfg_.l2 * params_.group(grp);
    if (grp == Group::MIn || grp == Group::XiIn) d = d.cwiseProduct(input_mask_);
    g.group(grp) += d;
  }
  bool finite = std::isfinite(l);
  for (int k = 0; k < kGroups && finite; ++k) finite = g.group(static_cast<Group>(k)).allFinite();
  if (!finite)
    throw NonFiniteLoss("the loss or its gradient became non-finite (loss " + std::to_string(l) +
                             ") at update " + std::to_string(update));
  if (cfg_.clip > 0)
    for (int k = 0; k < kGroups; ++k) {
      Mat<double>& gk = g.group(static_cast<Group>(k));
      const double norm = gk.norm();
      if (norm > cfg_.clip) gk *= cfg_.clip / norm;
    }
  if (loss) *loss = l;
  if (accuracy) *accuracy = counted ? static_cast<double>(correct) / counted : 0.0;
  return g;
}

EpochStats Trainer::train_epoch() {
  const auto t0 = std::chrono::steady_clock::now();
  EpochStats s;
  const int per_epoch = updates_per_epoch();
  if (per_epoch == 1) {
    const Grads<double> g = gradients(epoch_, &s.loss, &s.accuracy);
    opt_.step(params_, g, epoch_, &fixed_);
  } else {  // the epoch's batches in turn; loss and accuracy are their means
    // An epoch is all or nothing: a failure or an interruption inside it restores its start, so
    // that a checkpoint written afterwards is that of the last whole epoch.
    const Params<double> start_params = params_;
    const Optimizer start_opt = opt_;
    const auto restore = [&] {
      params_ = start_params;
      opt_ = start_opt;
    };
    double loss_sum = 0, acc_sum = 0;
    for (int k = 0; k < per_epoch; ++k) {
      if (k > 0 && interrupted && interrupted()) {
        restore();
        throw Interrupted("interrupted inside epoch " + std::to_string(epoch_ + 1));
      }
      double l = 0, a = 0;
      try {
        const Grads<double> g = gradients(epoch_ * per_epoch + k, &l, &a);
        opt_.step(params_, g, epoch_, &fixed_);
      } catch (...) {
        restore();
        throw;
      }
      loss_sum += l;
      acc_sum += a;
      if (on_update) on_update(k + 1, per_epoch);
    }
    s.loss = loss_sum / per_epoch;
    s.accuracy = acc_sum / per_epoch;
  }
  const EpochStats ps = parameter_stats(params_, input_mask_);
  const double loss = s.loss, acc = s.accuracy;
  s = ps;
  s.loss = loss;
  s.accuracy = acc;
  s.epoch = epoch_;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++epoch_;
  history_.push_back(s);
  return s;
}

void Trainer::note_validation(double score, int epoch) {
  if (!history_.empty() && history_.back().epoch + 1 == epoch) history_.back().validation = score;
  if (score > best_score_) {
    best_score_ = score;
    best_epoch_ = epoch;
    best_ = params_;
  }
}

double Trainer::recent_loss() const {
  const size_t k = std::min<size_t>(10, history_.size());
  if (k == 0) return INFINITY;
  double sum = 0;
  for (size_t i = history_.size() - k; i < history_.size(); ++i) sum += history_[i].loss;
  return sum / static_cast<double>(k);
}

bool Trainer::stop_reached() const {
  return train::stop_reached(cfg_.stop, cfg_.target_loss, cfg_.stop_from, history_);
}

std::string Trainer::describe() const {
  std::ostringstream o;
  const TrainConfig& c = cfg_;
  o << "training " << train_task_name(c.kind) << " N=" << c.n << " batch=" << c.batch << " epochs=" << c.epochs
    << " seed=" << c.seed << " (" << (c.single_precision ? "float" : "double") << ", " << c.threads << " threads";
  if (updates_per_epoch() > 1) o << ", " << updates_per_epoch() << " batches per epoch";
  o << ")\n";
  o << "stopping rule: " << stop_rule_name(c.stop);
  if (c.stop != StopRule::None && c.target_loss > 0)
    o << " (loss " << (c.stop == StopRule::Authors ? "<= " : "< ") << c.target_loss << ", from epoch " << c.stop_from
      << ")";
  o << "\n";
  return o.str();
}

std::string Trainer::log_csv() const {
  std::string text = csv_header() + "\n";
  for (const EpochStats& s : history_) text += csv_row(s) + "\n";
  return text;
}

void Trainer::run(const std::function<bool(const EpochStats&)>& on_epoch) {
  while (epoch_ < cfg_.epochs) {
    const EpochStats s = train_epoch();
    if (!on_epoch(s)) break;
    if (stop_reached() && (!confirm_stop || confirm_stop())) break;
  }
}

conv::ModelData Trainer::to_model(const std::string& command) const {
  conv::ModelData d = conv::make_empty_model(static_cast<uint32_t>(cfg_.n),
                                             static_cast<uint32_t>(cfg_.n_in()),
                                             static_cast<uint32_t>(cfg_.n_out()));
  const auto fill = [](conv::LayerData& l, const Layer<double>& p) {
    l.pi = row_major(p.pi);
    l.m = row_major(p.m);
    l.xi = row_major(p.xi);
  };
  fill(d.input, params_.in);
  fill(d.recurrent, params_.rec);
  fill(d.output, params_.out);
  if (cfg_.is_mnist()) {
    const bool row = cfg_.mnist.sequence == analysis::MnistSequence::Row;
    d.task = row ? TaskKind::SeqMNISTRow : TaskKind::SeqMNISTPixel;
    // time in steps: tau = 1 / alpha steps of 1 "ms" each; no noise, no baseline (x0 = 0)
    d.dynamics.alpha = static_cast<float>(cfg_.mnist_alpha);
    d.dynamics.dt_ms = 1.0f;
    d.dynamics.tau_ms = static_cast<float>(1.0 / cfg_.mnist_alpha);
    d.dynamics.sigma_rec = static_cast<float>(cfg_.sigma_rec);
    d.dynamics.sigma_in = 0.0f;
    d.dynamics.baseline = 0.0f;
    d.dynamics.readout = Readout::Softmax;
    d.name = std::string(row ? "mnist_row_n" : "mnist_pixel_n") + std::to_string(cfg_.n);
  } else {
    conv::apply_msi_task(d);
    const msi::Protocol& pr = cfg_.task.protocol;
    d.dynamics.alpha = pr.alpha();
    d.dynamics.tau_ms = pr.tau_ms;
    d.dynamics.dt_ms = pr.dt_ms;
    d.dynamics.sigma_rec = static_cast<float>(cfg_.sigma_rec);
    d.dynamics.sigma_in = pr.sigma_in;
    d.dynamics.baseline = pr.baseline;
    d.msi.fixation_ms = pr.fixation_ms;
    d.msi.stimulus_ms = pr.stimulus_ms;
    d.msi.decision_ms = pr.decision_ms;
    d.msi.boundary = pr.boundary;
    d.msi.target_hi = pr.target_hi;
    d.msi.target_lo = pr.target_lo;
    d.name = "msi_n" + std::to_string(cfg_.n);
  }
  d.provenance = make_provenance(cfg_.seed, command);
  d.provenance.metrics.push_back({"epochs", static_cast<double>(epoch_)});
  if (!history_.empty()) {
    d.provenance.metrics.push_back({"final_loss_mean10", recent_loss()});
    d.provenance.metrics.push_back({"final_train_accuracy", history_.back().accuracy});
  }
  return d;
}

namespace {

// 2: the model selection's best parameters; 3: the whole training configuration in the identity
// (optimiser, rates, groups, schedule, l2, noise, clipping). 1 and 2 still read. (checkpoint.hpp)
constexpr uint32_t kCkptVersion = 3;
using ckpt::kMaxEpochs;

/// What a resumed run must share with the run that wrote the checkpoint: everything that changes
/// the numbers of the epochs to come (not --epochs, the stopping rule, threads, outputs). Flat,
/// so that a difference is named by its key.
nlohmann::json identity(const TrainConfig& c) {
  nlohmann::json id;
  if (c.is_mnist()) {
    id = {{"task", train_task_name(c.kind)}, {"n", c.n},       {"seed", c.seed},
          {"batch", c.batch},                {"chunks", c.chunks},
          {"single_precision", c.single_precision}, {"alpha", c.mnist_alpha},
          {"init_rec_identity", c.init_rec_identity}};
  } else {
    const msi::Protocol& p = c.task.protocol;
    id = {{"n", c.n},          {"seed", c.seed},
          {"batch", c.batch},  {"chunks", c.chunks},
          {"single_precision", c.single_precision},
          {"catch_fraction", c.task.catch_fraction}, {"balanced", c.task.balanced},
          {"epochs_ms", {p.fixation_ms, p.stimulus_ms, p.decision_ms, p.trial_ms, p.dt_ms, p.tau_ms}}};
  }
  const OptimizerConfig& o = c.opt;
  id["optimizer"] = o.kind == OptimizerKind::Adam ? "adam" : "rmsprop";
  for (int k = 0; k < kGroups; ++k) {
    const std::string g = group_name(static_cast<Group>(k));
    const size_t i = static_cast<size_t>(k);
    id["train." + g] = o.train[i];
    id["lr." + g] = o.lr[i];
    id["decayed." + g] = o.decayed[i];
  }
  id["beta1"] = o.beta1;
  id["beta2"] = o.beta2;
  id["rho"] = o.rho;
  id["eps"] = o.eps;
  id["decay"] = o.decay;
  id["decay_every"] = o.decay_every;
  id["l2"] = c.l2;
  id["sigma_rec"] = c.sigma_rec;
  id["clip"] = c.clip;
  return id;
}

/// Parameters as the projection leaves them: pi in [0, 1], Xi >= 0 (and finite, ckpt::Reader).
void check_projected(const Params<double>& p, const ckpt::Reader& r, const char* what) {
  for (int k = 0; k < kGroups; ++k) {
    const Group g = static_cast<Group>(k);
    const Mat<double>& a = p.group(g);
    const bool ok = k % 3 == 1 ? (a.array() >= 0.0).all() && (a.array() <= 1.0).all()
                   : k % 3 == 2 ? (a.array() >= 0.0).all()
                                : true;
    if (!ok)
      r.fail(std::string(what) + " " + group_name(g) + " outside its range (pi in [0, 1], xi >= 0)");
  }
}

void for_each_group(const Params<double>& p, const std::function<void(const Mat<double>&)>& f) {
  for (int k = 0; k < kGroups; ++k) f(p.group(static_cast<Group>(k)));
}

}  // namespace

void Trainer::save_checkpoint(const std::string& path) const {
  ckpt::write_checkpoint_file(path, checkpoint_bytes(path));
}

std::string Trainer::checkpoint_bytes(const std::string& name) const {
  // never a checkpoint that cannot be resumed: a non-finite value would poison every rerun
  for (const Params<double>* p : {&params_, &opt_.first(), &opt_.second()})
    for (int k = 0; k < kGroups; ++k)
      if (!p->group(static_cast<Group>(k)).allFinite())
        throw std::runtime_error(name + ": not written: the training state holds non-finite values");
  nlohmann::json head = {{"identity", identity(cfg_)}, {"epoch", epoch_}, {"optimizer_steps", opt_.steps()}};
  nlohmann::json hist = nlohmann::json::array();
  for (EpochStats s : history_) {
    nlohmann::json row = nlohmann::json::array({s.epoch});
    for (double* f : fields(s))
      if (f) row.push_back(*f);
    hist.push_back(row);
  }
  head["history"] = hist;
  head["validation"] = ckpt::validation_json(history_);
  head["best"] = {{"score", best_score_}, {"epoch", best_epoch_}};
  std::ostringstream o(std::ios::binary);
  ckpt::write_head(o, kCkptVersion, head);
  const auto write = [&](const Mat<double>& a) { ckpt::write_mat(o, a); };
  for_each_group(params_, write);
  for_each_group(opt_.first(), write);
  for_each_group(opt_.second(), write);
  if (has_best()) for_each_group(best_, write);
  return o.str();
}

void Trainer::load_checkpoint(const std::string& path) {
  const conv::AlignedBuffer file = ckpt::read_checkpoint_file(path);
  load_checkpoint_bytes(file.data(), file.size(), path);
}

void Trainer::load_checkpoint_bytes(const uint8_t* data, size_t size, const std::string& path) {
  ckpt::Reader r{path, data, size};
  r.read_head(kCkptVersion);
  const uint32_t version = r.version;
  // The header: every field checked here, so that no JSON library message reaches the user.
  const nlohmann::json& head = r.head;
  const auto field = [&](const char* key) -> const nlohmann::json& { return r.field(key); };
  const auto integer = [&](const nlohmann::json& v, const char* what, int64_t lo, int64_t hi) {
    return r.integer(v, what, lo, hi);
  };
  const auto number = [&](const nlohmann::json& v, const char* what) { return r.number(v, what); };
  const nlohmann::json& id = field("identity");
  if (!id.is_object()) r.fail("header corrupt (identity is not an object)");
  const std::string changes = ckpt::identity_changes(id, identity(cfg_), version, 3);
  if (!changes.empty())
    throw std::runtime_error(path + ": checkpoint was written with another configuration: " + changes +
                             "; resume with the same options, or start afresh with --force");
  const int epoch = static_cast<int>(integer(field("epoch"), "epoch", 0, kMaxEpochs));
  const long steps = static_cast<long>(integer(field("optimizer_steps"), "optimizer_steps", 0,
                                               kMaxEpochs * static_cast<int64_t>(std::max(1, updates_per_epoch()))));
  if (steps != static_cast<long>(epoch) * updates_per_epoch())
    r.fail("optimizer_steps " + std::to_string(steps) + " do not match " + std::to_string(epoch) +
           " epochs of " + std::to_string(updates_per_epoch()) + " updates");
  const nlohmann::json& hist = field("history");
  if (!hist.is_array() || hist.size() != static_cast<size_t>(epoch))
    r.fail("header corrupt (the history does not hold one row per epoch)");
  std::vector<EpochStats> history;
  history.reserve(hist.size());
  for (size_t i = 0; i < hist.size(); ++i) {
    const nlohmann::json& row = hist[i];
    EpochStats s;
    size_t count = 1;
    for (double* f : fields(s)) count += f ? 1 : 0;
    if (!row.is_array() || row.size() != count) r.fail("header corrupt (history row " + std::to_string(i) + ")");
    s.epoch = static_cast<int>(integer(row[0], "history epoch", static_cast<int64_t>(i), static_cast<int64_t>(i)));
    size_t k = 1;
    for (double* f : fields(s))
      if (f) *f = number(row[k++], "a history value");
    history.push_back(s);
  }
  r.validation(history);
  double best_score = -1;
  int best_epoch = -1;
  if (version >= 2 && head.contains("best")) {
    const nlohmann::json& b = field("best");
    if (!b.is_object() || !b.contains("score") || !b.contains("epoch")) r.fail("header corrupt (best)");
    best_score = number(b["score"], "the best validation score");
    best_epoch = static_cast<int>(integer(b["epoch"], "the best epoch", -1, epoch));
  }

  // The arrays: shapes of this configuration, finite values, projected parameters, then the end.
  Params<double> p = params_, m1 = opt_.first(), m2 = opt_.second();
  const auto read_all = [&](Params<double>& q, const char* what) {
    for (int k = 0; k < kGroups; ++k)
      r.mat(q.group(static_cast<Group>(k)), std::string(what) + " " + group_name(static_cast<Group>(k)));
  };
  read_all(p, "parameters");
  check_projected(p, r, "parameters");
  read_all(m1, "first moments");
  read_all(m2, "second moments");
  for (int k = 0; k < kGroups; ++k)
    if ((m2.group(static_cast<Group>(k)).array() < 0.0).any()) r.fail("negative second moments");
  Params<double> best;
  if (best_epoch > 0) {
    best = params_;
    read_all(best, "best parameters");
    check_projected(best, r, "best parameters");
  }
  r.expect_end();

  best_ = best;
  best_score_ = best_score;
  best_epoch_ = best_epoch;
  params_ = p;
  opt_.first() = m1;
  opt_.second() = m2;
  opt_.set_steps(steps);
  epoch_ = epoch;
  history_ = std::move(history);
}

}  // namespace sasrnn::train
