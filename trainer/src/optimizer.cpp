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

void Optimizer::step(Params<double>& p, const Grads<double>& g, int epoch,
                     const Params<double>* fixed) {
  ++t_;
  const double c1 = 1.0 - std::pow(cfg_.beta1, static_cast<double>(t_));
  const double c2 = 1.0 - std::pow(cfg_.beta2, static_cast<double>(t_));
  for (int k = 0; k < kGroups; ++k) {
    const Group grp = static_cast<Group>(k);
    if (!cfg_.train[static_cast<size_t>(k)]) continue;
    const double lr = this->lr(grp, epoch);
    Mat<double>& w = p.group(grp);
    const Mat<double>& d = g.group(grp);
    Mat<double>& a = m1_.group(grp);
    Mat<double>& v = m2_.group(grp);
    const Mat<double>* fix = fixed ? &fixed->group(grp) : nullptr;
    for (Eigen::Index e = 0; e < w.size(); ++e) {
      if (fix && fix->size() == w.size() && (*fix)(e) != 0.0) continue;
      if (cfg_.kind == OptimizerKind::Adam) {
        a(e) = cfg_.beta1 * a(e) + (1 - cfg_.beta1) * d(e);
        v(e) = cfg_.beta2 * v(e) + (1 - cfg_.beta2) * d(e) * d(e);
        w(e) -= lr * (a(e) / c1) / (std::sqrt(v(e) / c2) + cfg_.eps);
      } else {
        v(e) = cfg_.rho * v(e) + (1 - cfg_.rho) * d(e) * d(e);
        w(e) -= lr * d(e) / std::sqrt(v(e) + cfg_.eps);
      }
    }
  }
  project(p);
}

void project(Params<double>& p) {
  for (Layer<double>* l : {&p.in, &p.rec, &p.out}) {
    l->pi = l->pi.cwiseMax(0.0).cwiseMin(1.0);
    l->xi = l->xi.cwiseMax(0.0);
  }
}

}  // namespace sasrnn::train
