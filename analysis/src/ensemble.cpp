// Hyperparameter statistics, eq. 14 entropy, SLI (eq. 15), eta and the probit fit (ensemble.hpp).
#include "sasrnn/analysis/ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "sasrnn/rng.hpp"
#include "sasrnn/sparse.hpp"

namespace sasrnn::analysis {

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// ln N(w | mean, var)
double log_normal(double w, double mean, double var) {
  const double d = w - mean;
  return -0.5 * std::log(2 * kPi * var) - 0.5 * d * d / var;
}

/// ln(e^x + e^y) without overflow; -inf terms allowed.
double log_add(double x, double y) {
  if (x == -HUGE_VAL) return y;
  if (y == -HUGE_VAL) return x;
  const double hi = std::max(x, y), lo = std::min(x, y);
  return hi + std::log1p(std::exp(lo - hi));
}

double phi_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * kPi); }
double phi_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

bool in_part(Part p, uint32_t i, uint32_t j) {
  switch (p) {
    case Part::All: return true;
    case Part::Upper: return i < j;
    case Part::Lower: return i > j;
    case Part::Diagonal: return i == j;
    case Part::OffDiagonal: return i != j;
  }
  return false;
}
}  // namespace

HostLayer decode_layer(const LayerView& l) {
  HostLayer h;
  h.rows = l.rows;
  h.cols = l.cols;
  const size_t count = h.size();
  if (!l.is_sparse) {
    h.pi.assign(l.pi, l.pi + count);
    h.m.assign(l.m, l.m + count);
    h.xi.assign(l.xi, l.xi + count);
    return h;
  }
  h.pi.assign(count, 1.0f);
  h.m.assign(count, 0.0f);
  h.xi.assign(count, 0.0f);
  for (uint32_t i = 0; i < l.rows; ++i)
    sparse::visit_row(l.sparse, l.cols, i, [&](uint32_t j, uint32_t, float pi, float m, float xi) {
      const size_t k = static_cast<size_t>(i) * l.cols + j;
      h.pi[k] = pi;
      h.m[k] = m;
      h.xi[k] = xi;
    });
  return h;
}

LayerView layer_view(const HostLayer& h) {
  LayerView v;
  v.rows = h.rows;
  v.cols = h.cols;
  v.pi = h.pi.data();
  v.m = h.m.data();
  v.xi = h.xi.data();
  return v;
}

void VipRule::check() const {
  if (!(std::isfinite(vip_pi_max) && vip_pi_max > 0 && vip_pi_max <= 1))
    throw std::invalid_argument("--vip-pi-max must be in (0, 1], is " + std::to_string(vip_pi_max));
  if (!(std::isfinite(vip_m_min) && vip_m_min >= 0))
    throw std::invalid_argument("--vip-m-min must be >= 0, is " + std::to_string(vip_m_min));
  if (!(std::isfinite(uip_pi_min) && uip_pi_min >= 0 && uip_pi_min < 1))
    throw std::invalid_argument("--uip-pi-min must be in [0, 1), is " + std::to_string(uip_pi_min));
}

bool VipRule::vip(float pi, float m) const {
  return pi < vip_pi_max && std::fabs(static_cast<double>(m)) > vip_m_min;
}
bool VipRule::uip(float pi) const { return pi > uip_pi_min; }

void EntropyOptions::check() const {
  if (!(std::isfinite(a) && a > 0 && a < 1))
    throw std::invalid_argument("--entropy-a must be in (0, 1), is " + std::to_string(a));
  if (samples < 1 || samples > 1000000)
    throw std::invalid_argument("--entropy-samples must be in 1..1000000, is " +
                                std::to_string(samples));
}

std::vector<double> entropy_normals(const EntropyOptions& o) {
  std::vector<double> eps(static_cast<size_t>(o.samples));
  for (int s = 0; s < o.samples; ++s)
    eps[static_cast<size_t>(s)] = normal(
        o.seed, Counter{static_cast<uint32_t>(s), 0, 0, static_cast<uint32_t>(Stream::TaskDraw)});
  return eps;
}

double binary_entropy(double pi) {
  if (!(pi > 0 && pi < 1)) return 0.0;
  return -pi * std::log(pi) - (1 - pi) * std::log(1 - pi);
}

double xi_entropy(double xi, double a) { return 0.5 * std::log(2 * kPi * std::exp(1.0) * std::max(xi, a)); }

double sas_entropy(double pi, double m, double xi, const std::vector<double>& eps, double a) {
  const double var = std::max(xi, a);  // paper Fig. 4: Xi < a relaxed to a
  const double lp = pi > 0 ? std::log(pi) : -HUGE_VAL;
  const double lq = pi < 1 ? std::log1p(-pi) : -HUGE_VAL;
  const auto log_p = [&](double w) {  // ln P(w), the spike relaxed to N(0, a)
    return log_add(lp + log_normal(w, 0.0, a), lq + log_normal(w, m, var));
  };
  double spike = 0, slab = 0;
  const double sa = std::sqrt(a), sx = std::sqrt(var);
  for (double e : eps) {
    if (pi > 0) spike -= log_p(sa * e);
    if (pi < 1) slab -= log_p(m + sx * e);  // -Gamma(eps_s) of eq. 14, up to ln sqrt(Xi)
  }
  const double b = static_cast<double>(eps.size());
  return pi * spike / b + (1 - pi) * slab / b;
}

LayerSummary summarize(const std::string& name, const HostLayer& l, Part part, const VipRule& rule,
                       const EntropyOptions& eo, const std::vector<double>& eps,
                       const uint8_t* mask) {
  LayerSummary s;
  s.name = name;
  for (uint32_t i = 0; i < l.rows; ++i)
    for (uint32_t j = 0; j < l.cols; ++j) {
      const size_t k = static_cast<size_t>(i) * l.cols + j;
      if (!in_part(part, i, j) || (mask != nullptr && mask[k] == 0)) continue;
      const double pi = l.pi[k], m = l.m[k], xi = l.xi[k];
      ++s.count;
      s.sparsity += pi;
      s.mean_m += m;
      s.mean_abs_m += std::fabs(m);
      s.mean_xi += xi;
      s.vip += rule.vip(l.pi[k], l.m[k]) ? 1 : 0;
      s.uip += rule.uip(l.pi[k]) ? 1 : 0;
      s.pi_entropy += binary_entropy(pi);
      s.xi_entropy += xi_entropy(xi, eo.a);
      s.entropy += sas_entropy(pi, m, xi, eps, eo.a);
    }
  if (s.count > 0) {
    const double c = static_cast<double>(s.count);
    for (double* v : {&s.sparsity, &s.mean_m, &s.mean_abs_m, &s.mean_xi, &s.vip, &s.uip,
                      &s.pi_entropy, &s.xi_entropy, &s.entropy})
      *v /= c;
  }
  return s;
}

std::vector<uint32_t> vip_indices(const HostLayer& l, const VipRule& rule) {
  std::vector<uint32_t> out;
  for (size_t k = 0; k < l.size(); ++k)
    if (rule.vip(l.pi[k], l.m[k])) out.push_back(static_cast<uint32_t>(k));
  return out;
}

double sli(const std::vector<double>& r) {
  const size_t ns = r.size();
  if (ns < 2) throw std::invalid_argument("SLI needs at least two stimuli");
  double mean = 0, sq = 0;
  for (double v : r) {
    mean += v;
    sq += v * v;
  }
  mean /= static_cast<double>(ns);
  sq /= static_cast<double>(ns);
  if (!(sq > 0)) return 0.0;  // silent to every stimulus: responds identically
  const double x = (1 - mean * mean / sq) / (1 - 1.0 / static_cast<double>(ns));  // eq. 15
  return std::min(1.0, std::max(0.0, x));
}

double zero_fraction(const std::vector<float>& w, int n) {
  const size_t count = static_cast<size_t>(n) * static_cast<size_t>(n);
  size_t zeros = 0;
  for (size_t k = 0; k < count; ++k) zeros += w[k] == 0.0f ? 1 : 0;
  return count ? static_cast<double>(zeros) / static_cast<double>(count) : 0.0;
}

double asymmetry_eta(const std::vector<float>& w, int n) {
  double cross = 0, square = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      if (i == j) continue;
      const double a = w[static_cast<size_t>(i) * n + j], b = w[static_cast<size_t>(j) * n + i];
      cross += a * b;
      square += a * a;
    }
  return square > 0 ? cross / square : kNaN;
}

ProbitFit fit_probit(const std::vector<double>& x, const std::vector<double>& k,
                     const std::vector<double>& n) {
  if (x.size() != k.size() || x.size() != n.size()) throw std::invalid_argument("probit: sizes differ");
  ProbitFit f;
  // complete separation: every high choice at rates above every low choice
  double lo_max = -HUGE_VAL, hi_min = HUGE_VAL;  // largest rate with a low, smallest with a high
  double trials = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (n[i] <= 0) continue;
    trials += n[i];
    if (k[i] < n[i]) lo_max = std::max(lo_max, x[i]);
    if (k[i] > 0) hi_min = std::min(hi_min, x[i]);
  }
  if (trials <= 0) throw std::invalid_argument("probit: no trials");
  const auto log_lik = [&](double b0, double b1) {
    double ll = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (n[i] <= 0) continue;
      const double p = std::min(std::max(phi_cdf(b0 + b1 * x[i]), 1e-300), 1 - 1e-16);
      ll += k[i] * std::log(p) + (n[i] - k[i]) * std::log1p(-p);
    }
    return ll;
  };
  if (lo_max < hi_min) {  // includes all-low and all-high data
    f.separated = true;
    f.mu = (std::isfinite(lo_max) && std::isfinite(hi_min)) ? 0.5 * (lo_max + hi_min) : kNaN;
    f.sigma = 0;
    f.se_mu = f.se_sigma = kNaN;
    f.log_likelihood = 0;
    if (std::isfinite(f.mu)) {
      // profile likelihood: best mu in the gap (golden section), then bisection on ln sigma
      const auto profile = [&](double sigma) {
        double lo = lo_max, hi = hi_min;
        const double g = 0.5 * (std::sqrt(5.0) - 1);
        for (int it = 0; it < 60; ++it) {
          const double m1 = hi - g * (hi - lo), m2 = lo + g * (hi - lo);
          if (log_lik(-m1 / sigma, 1 / sigma) > log_lik(-m2 / sigma, 1 / sigma))
            hi = m2;
          else
            lo = m1;
        }
        const double mu = 0.5 * (lo + hi);
        return log_lik(-mu / sigma, 1 / sigma);
      };
      double lo = std::log(1e-6), hi = std::log(1e3);
      for (int it = 0; it < 80; ++it) {
        const double mid = 0.5 * (lo + hi);
        (profile(std::exp(mid)) > -1.920729 ? lo : hi) = mid;
      }
      f.sigma_upper = std::exp(0.5 * (lo + hi));
    } else {
      f.sigma_upper = kNaN;
    }
    return f;
  }
  // Fisher scoring (IRLS) with step halving; start from mu = mean rate, sigma = 1.
  double xm = 0, wsum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    xm += n[i] * x[i];
    wsum += n[i];
  }
  xm /= wsum;
  double b0 = -xm, b1 = 1.0;
  double ll = log_lik(b0, b1);
  double h00 = 0, h01 = 0, h11 = 0;  // Fisher information X'WX
  for (f.iterations = 1; f.iterations <= 200; ++f.iterations) {
    double g0 = 0, g1 = 0;
    h00 = h01 = h11 = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (n[i] <= 0) continue;
      const double eta = b0 + b1 * x[i];
      const double p = std::min(std::max(phi_cdf(eta), 1e-300), 1 - 1e-16);
      const double d = phi_pdf(eta);
      const double w = n[i] * d * d / (p * (1 - p));
      const double score = (k[i] - n[i] * p) * d / (p * (1 - p));  // d ll / d eta
      g0 += score;
      g1 += score * x[i];
      h00 += w;
      h01 += w * x[i];
      h11 += w * x[i] * x[i];
    }
    const double det = h00 * h11 - h01 * h01;
    if (!(det > 0)) break;
    const double d0 = (h11 * g0 - h01 * g1) / det, d1 = (h00 * g1 - h01 * g0) / det;
    double t = 1.0, nb0 = b0 + d0, nb1 = b1 + d1, nll = log_lik(nb0, nb1);
    while ((!(nll >= ll - 1e-12) || !(nb1 > 0)) && t > 1e-10) {
      t *= 0.5;
      nb0 = b0 + t * d0;
      nb1 = b1 + t * d1;
      nll = log_lik(nb0, nb1);
    }
    if (!(nb1 > 0)) break;
    const double change = std::fabs(nb0 - b0) + std::fabs(nb1 - b1);
    b0 = nb0;
    b1 = nb1;
    const double gain = nll - ll;
    ll = nll;
    if (change < 1e-10 * (1 + std::fabs(b0)) && gain < 1e-12) {
      f.converged = true;
      break;
    }
    if (b1 > 1e6) break;  // sigma -> 0: quasi-separated data
  }
  if (!f.converged || b1 > 1e6) {
    f.separated = b1 > 1e6;
    f.mu = -b0 / b1;
    f.sigma = f.separated ? 0.0 : 1.0 / b1;
    f.se_mu = f.se_sigma = kNaN;
    f.log_likelihood = ll;
    return f;
  }
  // recompute the information at the optimum, then Cov(b) = (X'WX)^-1 and the delta method
  h00 = h01 = h11 = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (n[i] <= 0) continue;
    const double eta = b0 + b1 * x[i];
    const double p = std::min(std::max(phi_cdf(eta), 1e-300), 1 - 1e-16);
    const double d = phi_pdf(eta);
    const double w = n[i] * d * d / (p * (1 - p));
    h00 += w;
    h01 += w * x[i];
    h11 += w * x[i] * x[i];
  }
  const double det = h00 * h11 - h01 * h01;
  const double c00 = h11 / det, c01 = -h01 / det, c11 = h00 / det;
  f.mu = -b0 / b1;
  f.sigma = 1.0 / b1;
  const double dm0 = -1.0 / b1, dm1 = b0 / (b1 * b1), ds1 = -1.0 / (b1 * b1);
  f.se_mu = std::sqrt(dm0 * dm0 * c00 + 2 * dm0 * dm1 * c01 + dm1 * dm1 * c11);
  f.se_sigma = std::sqrt(ds1 * ds1 * c11);
  f.log_likelihood = ll;
  return f;
}

Prediction optimal_integration(const ProbitFit& v, const ProbitFit& a) {
  Prediction p;
  if (!(v.sigma > 0) || !(a.sigma > 0)) {
    p.sigma = 0;
    p.se = kNaN;
    return p;
  }
  p.sigma = 1.0 / std::sqrt(1.0 / (v.sigma * v.sigma) + 1.0 / (a.sigma * a.sigma));
  const double s3 = p.sigma * p.sigma * p.sigma;
  const double dv = s3 / (v.sigma * v.sigma * v.sigma), da = s3 / (a.sigma * a.sigma * a.sigma);
  p.se = std::sqrt(dv * dv * v.se_sigma * v.se_sigma + da * da * a.se_sigma * a.se_sigma);
  return p;
}

}  // namespace sasrnn::analysis
