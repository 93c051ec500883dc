// The feedforward stack's MNIST training loop (ff_trainer.hpp): batches, chunked gradients on a
// few threads summed in a fixed order, Adam with the authors' decoupled weight decay, projection.
#include "sasrnn/trainer/ff_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>

#include "sasrnn/analysis/parallel.hpp"
#include "sasrnn/rng.hpp"
#include "sasrnn/trainer/init.hpp"
#include "sasrnn/trainer/mnist_batch.hpp"
#include "sasrnn/trainer/msi_batch.hpp"  // fill_normals

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
  for (int u = 0; u < per_epoch; ++u) {
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
    if (!finite)
      throw std::runtime_error("the loss or its gradient became non-finite at epoch " + std::to_string(epoch_ + 1) +
                               ", batch " + std::to_string(u + 1));
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
  }
  ++epoch_;
  st.epoch = epoch_;
  st.loss /= per_epoch;
  st.accuracy = static_cast<double>(correct) / (static_cast<double>(per_epoch) * B);
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

}  // namespace sasrnn::train::ff
