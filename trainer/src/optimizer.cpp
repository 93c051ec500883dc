#include "sasrnn/trainer/optimizer.hpp"

#include <cmath>

namespace sasrnn::train {

namespace {
Params<double> zeros_like(const Params<double>& p) {
  Params<double> z;
  z.in.resize(p.in.rows(), p.in.cols());
  z.rec.resize(p.rec.rows(), p.rec.cols());
  z.out.resize(p.out.rows(), p.out.cols());
  return z;
}
}  // namespace

Optimizer::Optimizer(const OptimizerConfig& cfg, const Params<double>& shape)
    : cfg_(cfg), m1_(zeros_like(shape)), m2_(zeros_like(shape)) {}

double Optimizer::lr(Group grp, int epoch) const {
  double lr = cfg_.lr[static_cast<size_t>(grp)];
  if (cfg_.decay_every > 0 && cfg_.decayed[static_cast<size_t>(grp)])
    lr *= std::pow(cfg_.decay, (epoch + 1) / cfg_.decay_every);
  return lr;
}

void update_array(const OptimizerConfig& cfg, long t, double lr, Mat<double>& w, Mat<double>& a,
                  Mat<double>& v, const Mat<double>& d, const Mat<double>* fix) {
  const double c1 = 1.0 - std::pow(cfg.beta1, static_cast<double>(t));
  const double c2 = 1.0 - std::pow(cfg.beta2, static_cast<double>(t));
  for (Eigen::Index e = 0; e < w.size(); ++e) {
    if (fix && fix->size() == w.size() && (*fix)(e) != 0.0) continue;
    if (cfg.kind == OptimizerKind::Adam) {
      a(e) = cfg.beta1 * a(e) + (1 - cfg.beta1) * d(e);
      v(e) = cfg.beta2 * v(e) + (1 - cfg.beta2) * d(e) * d(e);
      w(e) -= lr * (a(e) / c1) / (std::sqrt(v(e) / c2) + cfg.eps);
    } else {
      v(e) = cfg.rho * v(e) + (1 - cfg.rho) * d(e) * d(e);
      w(e) -= lr * d(e) / std::sqrt(v(e) + cfg.eps);
    }
  }
}

void Optimizer::step(Params<double>& p, const Grads<double>& g, int epoch,
                     const Params<double>* fixed) {
  ++t_;
  for (int k = 0; k < kGroups; ++k) {
    const Group grp = static_cast<Group>(k);
    if (!cfg_.train[static_cast<size_t>(k)]) continue;
    update_array(cfg_, t_, lr(grp, epoch), p.group(grp), m1_.group(grp), m2_.group(grp), g.group(grp),
                 fixed ? &fixed->group(grp) : nullptr);
  }
  project(p);
}

void project(Layer<double>& l) {
  l.pi = l.pi.cwiseMax(0.0).cwiseMin(1.0);
  l.xi = l.xi.cwiseMax(0.0);
}

void project(Params<double>& p) {
  for (Layer<double>* l : {&p.in, &p.rec, &p.out}) project(*l);
}

}  // namespace sasrnn::train
