// The paper's analyses of a trained ensemble that need no simulation: hyperparameter statistics per
// layer (recurrent split into I: i < j and II: i > j, paper Fig. 3b, 5, 14), the entropy of a
// connection (paper eq. 14, split into its pi- and Xi-levels, Fig. 4, 13), the VIP/UIP rule
// (Fig. 7, 17), and the small statistics that the simulations feed: the selectivity index SLI
// (eq. 15), the asymmetry eta of a concrete network (Fig. 9, 18) and the exact maximum-likelihood
// probit fit of a psychometric curve with standard errors (Fig. 11). Used by `sasrnn analyze`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sasrnn/model.hpp"

namespace sasrnn::analysis {

/// One layer's hyperparameters as dense host arrays, row-major rows x cols, (i, j) = from j to i.
/// A sparse layer is decoded with the runtime's decoder (absent connections: pi = 1, m = xi = 0).
struct HostLayer {
  uint32_t rows = 0, cols = 0;
  std::vector<float> pi, m, xi;
  size_t size() const { return static_cast<size_t>(rows) * cols; }
};
HostLayer decode_layer(const LayerView& l);

/// A view of `h` (dense f32, no precomputed moments): what a network binds to run the layer.
/// `h` must outlive it.
LayerView layer_view(const HostLayer& h);

/// The paper's weight classes (Fig. 17: "a relaxed version, pi < 0.1, |m| > 0.05").
struct VipRule {
  double vip_pi_max = 0.1;   ///< VIP: pi < vip_pi_max ...
  double vip_m_min = 0.05;   ///< ... and |m| > vip_m_min
  double uip_pi_min = 0.9;   ///< UIP: pi > uip_pi_min (almost always absent)
  /// Throws std::invalid_argument (one line) unless 0 < vip_pi_max <= 1, vip_m_min >= 0 and
  /// 0 <= uip_pi_min < 1 (all finite).
  void check() const;
  bool vip(float pi, float m) const;
  bool uip(float pi) const;
};

/// Eq. 14's options: the delta peak relaxed to N(0, a) (and Xi < a raised to a, paper Fig. 4), and
/// B standard normals for the Monte Carlo average. Defaults: the paper's B = 100 (Fig. 4) and the
/// trainer's a = 1e-4 (its logged Xi-entropy uses the same floor).
struct EntropyOptions {
  double a = 1e-4;
  int samples = 100;
  uint64_t seed = 1;
  /// Throws std::invalid_argument unless 0 < a < 1 and 1 <= samples <= 1000000.
  void check() const;
};

/// The B standard normals eps_s of eq. 14 (runtime RNG, stream TaskDraw, fixed by the seed).
std::vector<double> entropy_normals(const EntropyOptions& o);

/// Binary entropy H(pi) = -pi ln pi - (1 - pi) ln(1 - pi): the pi-entropy of a connection.
double binary_entropy(double pi);
/// The Xi-entropy of a connection, 1/2 ln(2 pi e max(Xi, a)) (the trainer logs the same).
double xi_entropy(double xi, double a);
/// The entropy of one connection, paper eq. 14 with delta relaxed to N(0, a) and Xi < a raised
/// to a: S = -pi <ln P(w)>_spike - (1 - pi) <ln P(w)>_slab, both averages over the B normals
/// `eps` (w = sqrt(a) eps in the spike, w = m + sqrt(Xi) eps in the slab, the slab term being
/// the paper's Gamma(eps_s)). The paper writes the spike term at w = 0 alone; averaging it over
/// the relaxed spike makes S the entropy of the relaxed distribution, so that pi = 0 gives
/// 1/2 ln(2 pi e Xi) and Xi = 0 gives H(pi) + 1/2 ln(2 pi e a) (for |m| >> sqrt(a)), within the
/// Monte Carlo error.
double sas_entropy(double pi, double m, double xi, const std::vector<double>& eps, double a);

/// Statistics of a set of connections (one layer, or a part of one).
struct LayerSummary {
  std::string name;
  size_t count = 0;
  double sparsity = 0;      ///< mean pi (paper Sec. III A: sum pi / M)
  double mean_m = 0, mean_abs_m = 0, mean_xi = 0;
  double vip = 0, uip = 0;  ///< fractions of VIP and UIP connections
  double pi_entropy = 0;    ///< mean binary_entropy(pi)
  double xi_entropy = 0;    ///< mean xi_entropy(Xi, a)
  double entropy = 0;       ///< mean sas_entropy (eq. 14)
};

/// Which connections of a layer a summary takes.
enum class Part { All, Upper, Lower, Diagonal, OffDiagonal };  // Upper: i < j (recurrent I)

/// Summary of the connections of `l` in `part`; `mask` (rows x cols, 1 = connected) excludes the
/// masked input connections when given (the trainer's log does the same).
LayerSummary summarize(const std::string& name, const HostLayer& l, Part part, const VipRule& rule,
                       const EntropyOptions& eo, const std::vector<double>& eps,
                       const uint8_t* mask = nullptr);

/// Flat indices k = i * cols + j of the VIP connections of `l`, increasing.
std::vector<uint32_t> vip_indices(const HostLayer& l, const VipRule& rule);

/// The selectivity index of paper eq. 15 for the responses r_s (s = 1..Ns, Ns >= 2, r_s >= 0):
/// 1 for a response to one stimulus only, 0 for equal responses. A neuron silent to every
/// stimulus has SLI 0 (it responds identically).
double sli(const std::vector<double>& r);

/// Concrete-network statistics (paper Fig. 9, 18) of an n x n weight matrix w (row-major).
/// Fraction of exactly zero weights among all n^2.
double zero_fraction(const std::vector<float>& w, int n);
/// eta = mean_{i != j}(w_ij w_ji) / mean_{i != j}(w_ij^2): 1 for a symmetric matrix, -1 for an
/// antisymmetric one, 0 (NaN if all off-diagonal weights are zero) without reciprocity.
double asymmetry_eta(const std::vector<float>& w, int n);

/// P(high | f) = Phi((f - mu) / sigma) fitted to binomial counts (k of n high choices at x) by
/// exact maximum likelihood: Fisher scoring (IRLS) on the probit model Phi(b0 + b1 f), b1 > 0,
/// mu = -b0 / b1, sigma = 1 / b1, with standard errors from the inverse Fisher information
/// (delta method). When the choices are completely separated by f (every choice below some rate
/// low, every one above high) the likelihood has no maximum (sigma -> 0): then `separated` is
/// set, mu is the midpoint of the gap, sigma = 0, the errors are NaN and sigma_upper is the 95 %
/// upper bound of sigma from the profile likelihood (the largest sigma whose best log likelihood is
/// within chi2_1(0.95) / 2 = 1.92 of the supremum 0).
struct ProbitFit {
  double mu = 0, sigma = 0;
  double sigma_upper = 0;
  double se_mu = 0, se_sigma = 0;
  double log_likelihood = 0;
  int iterations = 0;
  bool converged = false;
  bool separated = false;
};
ProbitFit fit_probit(const std::vector<double>& x, const std::vector<double>& k,
                     const std::vector<double>& n);

/// Optimal cue integration 1 / sigma_va^2 = 1 / sigma_v^2 + 1 / sigma_a^2 with its standard error
/// (delta method, the two fits independent).
struct Prediction {
  double sigma = 0, se = 0;
};
Prediction optimal_integration(const ProbitFit& visual, const ProbitFit& auditory);

}  // namespace sasrnn::analysis
