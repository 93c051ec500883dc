// Feedforward MNIST evaluation with the runtime, on every worker thread (ff_eval.hpp).
#include "sasrnn/analysis/ff_eval.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sasrnn/analysis/parallel.hpp"

namespace sasrnn::analysis {

void check_mnist_stack(const ff::ModelView& model) {
  if (model.n_in != 784 || model.n_out != 10)
    throw std::invalid_argument("an MNIST stack has 784 inputs and 10 outputs, this one has " +
                                std::to_string(model.n_in) + " and " + std::to_string(model.n_out));
  for (uint32_t l = 0; l < model.n_layers; ++l)
    if (model.layers[l].rows > static_cast<uint32_t>(kHostMaxWidth))
      throw std::invalid_argument("layer " + std::to_string(l) + " has " + std::to_string(model.layers[l].rows) +
                                  " units; the host tools run at most " + std::to_string(kHostMaxWidth));
}

MnistEvalResult evaluate_mnist(const ff::ModelView& model, const MnistSet& set, const MnistEvalConfig& cfg) {
  check_mnist_stack(model);
  if (cfg.limit < 0 || cfg.limit > set.count)
    throw std::invalid_argument("--limit must be in 1..." + std::to_string(set.count));
  if (set.pixels_per_image() != 784) throw std::invalid_argument("the image set does not hold 28x28 images");
  Options opt;
  opt.mode = cfg.mode;
  opt.seed = cfg.seed;
  {
    auto probe = std::make_unique<HostFfNetwork>();
    const Status s = probe->bind(model, opt);
    if (s != Status::Ok) throw std::invalid_argument(std::string("cannot run the model: ") + status_message(s));
  }
  const int total = cfg.limit > 0 ? cfg.limit : set.count;
  std::vector<uint8_t> decision(static_cast<size_t>(total));
  std::vector<uint8_t> failed(static_cast<size_t>(total), 0);  // infer() refused: its Status
  std::vector<double> seconds(static_cast<size_t>(std::max(1, cfg.threads)), 0.0);
  for_each_trial(
      total, cfg.threads,
      [&](int w) {
        std::shared_ptr<HostFfNetwork> net = std::make_shared<HostFfNetwork>();
        net->bind(model, opt);
        return [&, w, net](int k) {
          const uint8_t* img = set.image(k);
          float x[784];
          for (int j = 0; j < 784; ++j) x[j] = static_cast<float>(img[j]) / 255.0f;
          const auto t0 = std::chrono::steady_clock::now();
          const Status st = net->infer(x, static_cast<uint32_t>(k));
          seconds[static_cast<size_t>(w)] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          if (st != Status::Ok) failed[static_cast<size_t>(k)] = static_cast<uint8_t>(st);
          decision[static_cast<size_t>(k)] = static_cast<uint8_t>(net->decide());
        };
      },
      cfg.progress);
  throw_if_steps_failed(failed, "images");
  MnistEvalResult r;
  r.count = total;
  for (int k = 0; k < total; ++k) {
    const int label = set.labels[static_cast<size_t>(k)], d = decision[static_cast<size_t>(k)];
    ++r.confusion[static_cast<size_t>(label)][static_cast<size_t>(d)];
    r.correct += label == d ? 1 : 0;
  }
  r.steps = static_cast<uint64_t>(total);  // one pass per image
  for (double s : seconds) r.seconds += s;
  return r;
}

void print_mnist_report(std::ostream& out, const ff::ModelView& model, const char* set_name,
                        const MnistEvalConfig& cfg, const MnistEvalResult& r) {
  std::string sizes = std::to_string(model.n_in);
  for (uint32_t l = 0; l < model.n_layers; ++l) sizes += ", " + std::to_string(model.layers[l].rows);
  out << task_name(model.task) << " evaluation: " << r.count << " " << set_name << " images, mode "
      << mode_name(cfg.mode) << ", seed " << cfg.seed << ", stack [" << sizes << "]\n";
  print_mnist_tables(out, r);
}

}  // namespace sasrnn::analysis
