// The feedforward stack's MNIST training loop (ff_trainer.hpp): batches, chunked gradients on a
// few threads summed in a fixed order, Adam with the authors' decoupled weight decay, projection.
#include "sasrnn/trainer/ff_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>

#include "sasrnn/analysis/parallel.hpp"
#include "sasrnn/rng.hpp"
#include "sasrnn/trainer/init.hpp"
#include "sasrnn/trainer/mnist_batch.hpp"
#include "sasrnn/trainer/msi_batch.hpp"  // fill_normals
#include "sasrnn/trainer/trainer.hpp"    // Interrupted, NonFiniteLoss, make_provenance
#include "checkpoint.hpp"

namespace sasrnn::train::ff {

namespace {

constexpr uint64_t kFfNoiseSalt = 0x66665F6E6F697365ull;  // "ff_noise"
constexpr uint32_t kFfInitLayer = 16;                     // init draws: layers 16, 17, ... (the
                                                          // recurrent trainer uses 0-2)

/// Runs work(c) for every c in [0, count) on up to `threads` threads: the evaluation library's
/// worker pool (an exception on a worker is rethrown here once all have joined).
void parallel_for(int count, int threads, const std::function<void(int)>& work) {
  analysis::for_each_trial(count, std::min(threads, count), [&](int) { return work; });
}

/// images[0..count) of `set` as columns (pixels / 255) and their one-hot labels.
template <class T>
void make_batch(const analysis::MnistSet& set, const int* images, int count, int n_out, Mat<T>& x,
                Mat<T>& y) {
  const int n = set.pixels_per_image();
  x.resize(n, count);
  y.setZero(n_out, count);
  for (int b = 0; b < count; ++b) {
    const uint8_t* px = set.image(images[b]);
    for (int j = 0; j < n; ++j) x(j, b) = static_cast<T>(px[j]) / T(255);
    const int label = set.labels[static_cast<size_t>(images[b])];
    if (label < n_out) y(label, b) = T(1);
  }
}

/// The quenched eps of images with counters first..first+count-1: unit i of layer l is the
/// normal of counter (i, l, image, MeanFieldU) under key seed ^ salt (fill_normals' layout, one
/// "step" per layer).
template <class T>
Noise<T> make_noise(const std::vector<int>& sizes, uint64_t seed, uint32_t first, int count) {
  const int L = static_cast<int>(sizes.size()) - 1;
  const int widest = *std::max_element(sizes.begin() + 1, sizes.end());
  Mat<T> all(widest, L * count);
  fill_normals<T>(seed ^ kFfNoiseSalt, Stream::MeanFieldU, first, L, count, T(1), all);
  Noise<T> nz;
  for (int l = 0; l < L; ++l) nz.eps.push_back(all.block(0, l * count, sizes[static_cast<size_t>(l) + 1], count));
  return nz;
}

struct ChunkResult {
  std::vector<Layer<double>> grads;
  double loss = 0;
  int correct = 0;
};

int count_correct(const Mat<float>& p, const analysis::MnistSet& set, const int* images, int count) {
  int correct = 0;
  for (int b = 0; b < count; ++b) {
    Eigen::Index k = 0;
    p.col(b).maxCoeff(&k);  // ties: the lowest index
    correct += static_cast<int>(k) == set.labels[static_cast<size_t>(images[b])] ? 1 : 0;
  }
  return correct;
}

template <class T>
ChunkResult run_chunk(const Stack<double>& p, const analysis::MnistSet& set, const int* images, int count,
                      uint32_t first, uint64_t seed, double scale, bool with_grads) {
  const Stack<T> pt = p.template cast<T>();
  Mat<T> x, y;
  make_batch<T>(set, images, count, pt.n_out(), x, y);
  const Noise<T> nz = make_noise<T>(pt.sizes(), seed, first, count);
  Tape<T> tape;
  ChunkResult res;
  res.loss = static_cast<double>(forward(pt, x, y, nz, static_cast<T>(scale), tape));
  res.correct = count_correct(tape.a.back().template cast<float>(), set, images, count);
  if (with_grads) {
    std::vector<Layer<T>> g;
    backward(pt, y, nz, static_cast<T>(scale), tape, g);
    for (const Layer<T>& l : g) res.grads.push_back(l.template cast<double>());
  }
  return res;
}

}  // namespace

void check(const TrainerConfig& c) {
  const auto fail = [](const std::string& why) { throw ConfigError(why); };
  if (c.sizes.size() < 2) fail("a feedforward stack needs at least one layer (sizes n_0, ..., n_L)");
  for (int n : c.sizes)
    if (n < 1 || n > 4096) fail("layer sizes must be in 1..4096, got " + std::to_string(n));
  if (c.sizes.front() != 784) fail("MNIST needs 784 inputs, got " + std::to_string(c.sizes.front()));
  if (c.sizes.back() != 10) fail("MNIST needs 10 outputs, got " + std::to_string(c.sizes.back()));
  if (c.batch < 1 || c.chunks < 1 || c.chunks > c.batch) fail("need 1 <= chunks <= batch");
  if (c.epochs < 1) fail("need at least one epoch");
  for (double v : {c.lr_m, c.lr_pi, c.lr_xi, c.weight_decay, c.init_m_sd, c.init_xi})
    if (!std::isfinite(v) || v < 0) fail("rates, decay and initial scales must be finite and >= 0");
  if (!(c.decay > 0 && c.decay <= 1) || c.decay_every < 0) fail("need 0 < decay <= 1 and decay_every >= 0");
}

double accuracy(const Stack<double>& s, const analysis::MnistSet& set, uint64_t eval_seed, int limit,
                int threads) {
  const int n = limit > 0 ? std::min(limit, set.count) : set.count;
  if (n == 0) return 0;
  std::vector<int> images(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) images[static_cast<size_t>(i)] = i;
  constexpr int kChunk = 500;
  const int chunks = (n + kChunk - 1) / kChunk;
  std::vector<int> correct(static_cast<size_t>(chunks));
  parallel_for(chunks, threads, [&](int c) {
    const int lo = c * kChunk, hi = std::min(n, lo + kChunk);
    correct[static_cast<size_t>(c)] =
        run_chunk<float>(s, set, images.data() + lo, hi - lo, static_cast<uint32_t>(lo), eval_seed, 0.0, false)
            .correct;
  });
  long total = 0;
  for (int k : correct) total += k;
  return static_cast<double>(total) / n;
}

Trainer::Trainer(const TrainerConfig& cfg) : cfg_(cfg) {
  check(cfg_);
  const std::string dir = cfg_.data_dir.empty() ? analysis::default_mnist_dir() : cfg_.data_dir;
  train_ = analysis::load_mnist(dir, analysis::MnistSplit::Train);
  if (cfg_.train_images > 0 && cfg_.train_images < train_.count) train_ = train_.slice(0, cfg_.train_images);
  if (train_.count < cfg_.batch)
    throw ConfigError("the batch (" + std::to_string(cfg_.batch) + ") is larger than the training set (" +
                      std::to_string(train_.count) + " images)");
  const int L = static_cast<int>(cfg_.sizes.size()) - 1;
  for (int l = 0; l < L; ++l) {
    const int r = cfg_.sizes[static_cast<size_t>(l) + 1], c = cfg_.sizes[static_cast<size_t>(l)];
    const uint32_t id = kFfInitLayer + static_cast<uint32_t>(l);
    params_.layers.push_back(Layer<double>{Mat<double>::Zero(r, c), init_normal(cfg_.seed, id, r, c, cfg_.init_m_sd),
                                           init_uniform(cfg_.seed, id, r, c, cfg_.init_xi)});
    Layer<double> z;
    z.resize(r, c);
    m1_.push_back(z);
    m2_.push_back(z);
  }
  opt_.kind = OptimizerKind::Adam;
}

double Trainer::rate_factor(int epoch) const {
  return cfg_.decay_every > 0 ? std::pow(cfg_.decay, epoch / cfg_.decay_every) : 1.0;
}

EpochStats Trainer::train_epoch() {
  const auto t0 = std::chrono::steady_clock::now();
  const int B = cfg_.batch, per_epoch = updates_per_epoch();
  const std::vector<int> order = epoch_order(cfg_.seed, epoch_, train_.count);
  EpochStats st;
  long correct = 0;
  // the state at the epoch's start: an interrupted or failed epoch leaves the trainer there
  const Stack<double> p0 = params_;
  const std::vector<Layer<double>> a0 = m1_, v0 = m2_;
  const long t0_steps = t_;
  const auto restore = [&] {
    params_ = p0;
    m1_ = a0;
    m2_ = v0;
    t_ = t0_steps;
  };
  for (int u = 0; u < per_epoch; ++u) {
    if (u > 0 && interrupted && interrupted()) {
      restore();
      throw Interrupted("interrupted inside epoch " + std::to_string(epoch_ + 1));
    }
    const int* images = order.data() + static_cast<ptrdiff_t>(u) * B;
    const uint32_t first = static_cast<uint32_t>(epoch_ * per_epoch + u) * static_cast<uint32_t>(B);
    std::vector<ChunkResult> res(static_cast<size_t>(cfg_.chunks));
    parallel_for(cfg_.chunks, cfg_.threads, [&](int c) {
      const int lo = c * B / cfg_.chunks, hi = (c + 1) * B / cfg_.chunks;
      const uint32_t f = first + static_cast<uint32_t>(lo);
      res[static_cast<size_t>(c)] =
          cfg_.single_precision ? run_chunk<float>(params_, train_, images + lo, hi - lo, f, cfg_.seed, 1.0 / B, true)
                                : run_chunk<double>(params_, train_, images + lo, hi - lo, f, cfg_.seed, 1.0 / B, true);
    });
    // fixed order of the sum: independent of the thread count
    std::vector<Layer<double>> g = res[0].grads;
    double loss = res[0].loss;
    correct += res[0].correct;
    for (size_t c = 1; c < res.size(); ++c) {
      for (size_t l = 0; l < g.size(); ++l) {
        g[l].pi += res[c].grads[l].pi;
        g[l].m += res[c].grads[l].m;
        g[l].xi += res[c].grads[l].xi;
      }
      loss += res[c].loss;
      correct += res[c].correct;
    }
    bool finite = std::isfinite(loss);
    for (const Layer<double>& l : g) finite = finite && l.pi.allFinite() && l.m.allFinite() && l.xi.allFinite();
    if (!finite) {
      restore();
      throw NonFiniteLoss("the loss or its gradient became non-finite at epoch " + std::to_string(epoch_ + 1) +
                          ", batch " + std::to_string(u + 1));
    }
    ++t_;
    const double f = rate_factor(epoch_);
    for (size_t l = 0; l < g.size(); ++l) {
      Layer<double>& p = params_.layers[l];
      const auto update = [&](Mat<double>& w, Mat<double>& a, Mat<double>& v, const Mat<double>& d, double lr) {
        const Mat<double> before = w;
        update_array(opt_, t_, lr, w, a, v, d);
        w -= (lr * cfg_.weight_decay) * before;  // decoupled weight decay (the authors' Adam)
      };
      update(p.pi, m1_[l].pi, m2_[l].pi, g[l].pi, f * cfg_.lr_pi);
      update(p.m, m1_[l].m, m2_[l].m, g[l].m, f * cfg_.lr_m);
      update(p.xi, m1_[l].xi, m2_[l].xi, g[l].xi, f * cfg_.lr_xi);
      project(p);
    }
    st.loss += loss;
    if (on_update) on_update(u + 1, per_epoch);
  }
  st.epoch = epoch_;
  ++epoch_;
  st.loss /= per_epoch;
  st.accuracy = static_cast<double>(correct) / (static_cast<double>(per_epoch) * B);
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const Layer<double>& l : params_.layers) st.mean_pi.push_back(l.pi.mean());
  history_.push_back(st);
  return st;
}

void Trainer::run(const std::function<bool(const EpochStats&)>& on_epoch) {
  while (epoch_ < cfg_.epochs)
    if (!on_epoch(train_epoch())) break;
}

double Trainer::recent_loss() const {
  const size_t k = std::min<size_t>(10, history_.size());
  if (k == 0) return INFINITY;
  double sum = 0;
  for (size_t i = history_.size() - k; i < history_.size(); ++i) sum += history_[i].loss;
  return sum / static_cast<double>(k);
}

std::string Trainer::describe() const {
  std::ostringstream o;
  o << "training mnist-ff [";
  for (size_t l = 0; l < cfg_.sizes.size(); ++l) o << (l ? ", " : "") << cfg_.sizes[l];
  o << "] batch=" << cfg_.batch << " epochs=" << cfg_.epochs << " seed=" << cfg_.seed << " ("
    << (cfg_.single_precision ? "float" : "double") << ", " << cfg_.threads << " threads, "
    << updates_per_epoch() << " batches per epoch)\n"
    << "Adam lr m " << cfg_.lr_m << ", pi " << cfg_.lr_pi << ", xi " << cfg_.lr_xi << ", decoupled weight decay "
    << cfg_.weight_decay;
  if (cfg_.decay_every > 0) o << ", rates x" << cfg_.decay << " every " << cfg_.decay_every << " epochs";
  o << "\n";
  return o.str();
}

std::string csv_header(int layers) {
  std::string h = "epoch,loss,accuracy,seconds";
  for (int l = 0; l < layers; ++l) h += ",mean_pi_" + std::to_string(l);
  return h + ",validation";
}

std::string csv_row(const EpochStats& s) {
  std::ostringstream o;
  o.precision(9);
  o << s.epoch << ',' << s.loss << ',' << s.accuracy << ',' << s.seconds;
  for (double p : s.mean_pi) o << ',' << p;
  o << ',';  // empty: not validated
  if (!std::isnan(s.validation)) o << s.validation;
  return o.str();
}

std::string Trainer::log_csv() const {
  std::string text = csv_header(params_.depth()) + "\n";
  for (const EpochStats& s : history_) text += csv_row(s) + "\n";
  return text;
}

conv::ModelData Trainer::to_model(const std::string& command) const {
  conv::ModelData d;
  for (const Layer<double>& p : params_.layers) {
    const double n = static_cast<double>(p.cols());  // the field's 1/sqrt(n) (feedforward.hpp)
    conv::LayerData l;
    l.rows = static_cast<uint32_t>(p.rows());
    l.cols = static_cast<uint32_t>(p.cols());
    l.pi = row_major(p.pi);
    l.m = row_major(p.m / std::sqrt(n));
    l.xi = row_major(p.xi / n);
    d.layers.push_back(std::move(l));
  }
  d.n_in = d.layers.front().cols;
  d.n_out = d.layers.back().rows;
  d.task = TaskKind::MNISTImage;
  d.name = "mnist_ff";
  for (int n : cfg_.sizes) d.name += "_" + std::to_string(n);
  d.provenance = make_provenance(cfg_.seed, command);
  d.provenance.metrics.push_back({"epochs", static_cast<double>(epoch_)});
  if (!history_.empty()) {
    d.provenance.metrics.push_back({"final_loss_mean10", recent_loss()});
    d.provenance.metrics.push_back({"final_train_accuracy", history_.back().accuracy});
  }
  return d;
}

void Trainer::note_validation(double score, int epoch) {
  if (!history_.empty() && history_.back().epoch + 1 == epoch) history_.back().validation = score;
  if (score > best_score_) {
    best_score_ = score;
    best_epoch_ = epoch;
    best_ = params_;
  }
}

namespace {

constexpr uint32_t kFfCkptVersion = 1;

/// What a resumed run must share with the run that wrote the checkpoint (not --epochs, threads,
/// outputs).
nlohmann::json identity(const TrainerConfig& c) {
  return {{"task", "mnist-ff"}, {"sizes", c.sizes}, {"batch", c.batch}, {"chunks", c.chunks},
          {"lr_m", c.lr_m}, {"lr_pi", c.lr_pi}, {"lr_xi", c.lr_xi}, {"weight_decay", c.weight_decay},
          {"decay", c.decay}, {"decay_every", c.decay_every}, {"init_m_sd", c.init_m_sd},
          {"init_xi", c.init_xi}, {"seed", c.seed}, {"single_precision", c.single_precision},
          {"train_images", c.train_images}};
}

template <class F>
void for_each_array(const std::vector<Layer<double>>& layers, F&& f) {
  for (const Layer<double>& l : layers)
    for (const Mat<double>* a : {&l.pi, &l.m, &l.xi}) f(*a);
}

}  // namespace

std::string Trainer::checkpoint_bytes(const std::string& name) const {
  bool finite = true;
  for (const auto* set : {&params_.layers, &m1_, &m2_})
    for_each_array(*set, [&](const Mat<double>& a) { finite = finite && a.allFinite(); });
  if (!finite) throw std::runtime_error(name + ": not written: the training state holds non-finite values");
  nlohmann::json hist = nlohmann::json::array();
  for (const EpochStats& s : history_) {
    nlohmann::json row = {s.epoch, s.loss, s.accuracy, s.seconds};
    for (double p : s.mean_pi) row.push_back(p);
    hist.push_back(row);
  }
  const nlohmann::json head = {{"identity", identity(cfg_)}, {"epoch", epoch_}, {"optimizer_steps", t_},
                               {"history", hist}, {"validation", ckpt::validation_json(history_)},
                               {"best", {{"score", best_score_}, {"epoch", best_epoch_}}}};
  std::ostringstream o(std::ios::binary);
  ckpt::write_head(o, kFfCkptVersion, head);
  const auto write = [&](const Mat<double>& a) { ckpt::write_mat(o, a); };
  for_each_array(params_.layers, write);
  for_each_array(m1_, write);
  for_each_array(m2_, write);
  if (has_best()) for_each_array(best_.layers, write);
  return o.str();
}

void Trainer::save_checkpoint(const std::string& path) const {
  ckpt::write_checkpoint_file(path, checkpoint_bytes(path));
}

void Trainer::load_checkpoint(const std::string& path) {
  const conv::AlignedBuffer file = ckpt::read_checkpoint_file(path);
  load_checkpoint_bytes(file.data(), file.size(), path);
}

void Trainer::load_checkpoint_bytes(const uint8_t* data, size_t size, const std::string& path) {
  ckpt::Reader r(path, data, size);
  r.read_head(kFfCkptVersion);
  const nlohmann::json& id = r.field("identity");
  if (!id.is_object()) r.fail("header corrupt (identity is not an object)");
  const std::string changes = ckpt::identity_changes(id, identity(cfg_), r.version, 1);
  if (!changes.empty())
    throw std::runtime_error(path + ": checkpoint was written with another configuration: " + changes +
                             "; resume with the same options, or start afresh with --force");
  const int epoch = static_cast<int>(r.integer(r.field("epoch"), "epoch", 0, ckpt::kMaxEpochs));
  const long steps = static_cast<long>(r.integer(r.field("optimizer_steps"), "optimizer_steps", 0,
                                                 ckpt::kMaxEpochs * std::max(1, updates_per_epoch())));
  if (steps != static_cast<long>(epoch) * updates_per_epoch())
    r.fail("optimizer_steps " + std::to_string(steps) + " do not match " + std::to_string(epoch) + " epochs of " +
           std::to_string(updates_per_epoch()) + " updates");
  const nlohmann::json& hist = r.field("history");
  if (!hist.is_array() || hist.size() != static_cast<size_t>(epoch))
    r.fail("header corrupt (the history does not hold one row per epoch)");
  const size_t columns = 4 + params_.layers.size();
  std::vector<EpochStats> history;
  for (size_t i = 0; i < hist.size(); ++i) {
    const nlohmann::json& row = hist[i];
    if (!row.is_array() || row.size() != columns) r.fail("header corrupt (history row " + std::to_string(i) + ")");
    EpochStats s;
    s.epoch = static_cast<int>(r.integer(row[0], "history epoch", static_cast<int64_t>(i), static_cast<int64_t>(i)));
    s.loss = r.number(row[1], "a history value");
    s.accuracy = r.number(row[2], "a history value");
    s.seconds = r.number(row[3], "a history value");
    for (size_t k = 4; k < columns; ++k) s.mean_pi.push_back(r.number(row[k], "a history value"));
    history.push_back(s);
  }
  r.validation(history);
  const nlohmann::json& b = r.field("best");
  if (!b.is_object() || !b.contains("score") || !b.contains("epoch")) r.fail("header corrupt (best)");
  const double best_score = r.number(b["score"], "the best validation score");
  const int best_epoch = static_cast<int>(r.integer(b["epoch"], "the best epoch", -1, epoch));

  // the arrays: this stack's shapes, finite, parameters as the projection leaves them
  const auto read = [&](std::vector<Layer<double>>& layers, const char* what, bool projected) {
    for (size_t l = 0; l < layers.size(); ++l) {
      const std::string at = std::string(what) + " of layer " + std::to_string(l);
      r.mat(layers[l].pi, at + " (pi)");
      r.mat(layers[l].m, at + " (m)");
      r.mat(layers[l].xi, at + " (xi)");
      if (projected && ((layers[l].pi.array() < 0.0).any() || (layers[l].pi.array() > 1.0).any() ||
                        (layers[l].xi.array() < 0.0).any()))
        r.fail(at + " outside its range (pi in [0, 1], xi >= 0)");
    }
  };
  Stack<double> p = params_;
  std::vector<Layer<double>> m1 = m1_, m2 = m2_;
  read(p.layers, "parameters", true);
  read(m1, "first moments", false);
  read(m2, "second moments", false);
  for (const Layer<double>& l : m2)
    if ((l.pi.array() < 0.0).any() || (l.m.array() < 0.0).any() || (l.xi.array() < 0.0).any())
      r.fail("negative second moments");
  Stack<double> best;
  if (best_epoch > 0) {
    best = params_;
    read(best.layers, "best parameters", true);
  }
  r.expect_end();
  params_ = p;
  m1_ = m1;
  m2_ = m2;
  t_ = steps;
  epoch_ = epoch;
  history_ = std::move(history);
  best_ = best;
  best_score_ = best_score;
  best_epoch_ = best_epoch;
}

}  // namespace sasrnn::train::ff
