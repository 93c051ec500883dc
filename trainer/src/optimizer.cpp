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

namespace {

// One element of the rule, the same operations in the same order for every caller; `keep`
// (a fixed entry) leaves all three values as they were. Branch-free, so that the loops below
// vectorize (the trainer builds with -fno-trapping-math; sqrt and division are correctly rounded
// in every lane, so the values are those of a scalar loop).
template <OptimizerKind Kind>
inline void update_element(const OptimizerConfig& cfg, double c1, double c2, double lr, double& w,
                           double& a, double& v, double d, bool keep) {
  if constexpr (Kind == OptimizerKind::Adam) {
    const double an = cfg.beta1 * a + (1 - cfg.beta1) * d;
    const double vn = cfg.beta2 * v + (1 - cfg.beta2) * d * d;
    const double wn = w - lr * (an / c1) / (std::sqrt(vn / c2) + cfg.eps);
    a = keep ? a : an;
    v = keep ? v : vn;
    w = keep ? w : wn;
  } else {
    const double vn = cfg.rho * v + (1 - cfg.rho) * d * d;
    const double wn = w - lr * d / std::sqrt(vn + cfg.eps);
    v = keep ? v : vn;
    w = keep ? w : wn;
  }
}

template <OptimizerKind Kind>
void update_all(const OptimizerConfig& cfg, double c1, double c2, double lr, Eigen::Index n,
                double* __restrict w, double* __restrict a, double* __restrict v,
                const double* __restrict d, const double* __restrict fix) {
  if (fix == nullptr) {
    for (Eigen::Index e = 0; e < n; ++e) update_element<Kind>(cfg, c1, c2, lr, w[e], a[e], v[e], d[e], false);
  } else {
    for (Eigen::Index e = 0; e < n; ++e)
      update_element<Kind>(cfg, c1, c2, lr, w[e], a[e], v[e], d[e], fix[e] != 0.0);
  }
}

}  // namespace

void update_array(const OptimizerConfig& cfg, long t, double lr, Mat<double>& w, Mat<double>& a,
                  Mat<double>& v, const Mat<double>& d, const Mat<double>* fix) {
  const double c1 = 1.0 - std::pow(cfg.beta1, static_cast<double>(t));
  const double c2 = 1.0 - std::pow(cfg.beta2, static_cast<double>(t));
  const double* f = fix && fix->size() == w.size() ? fix->data() : nullptr;
  if (cfg.kind == OptimizerKind::Adam)
    update_all<OptimizerKind::Adam>(cfg, c1, c2, lr, w.size(), w.data(), a.data(), v.data(), d.data(), f);
  else
    update_all<OptimizerKind::RMSprop>(cfg, c1, c2, lr, w.size(), w.data(), a.data(), v.data(), d.data(), f);
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
