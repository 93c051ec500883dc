// The analyses of a feedforward stack (ff_analysis.hpp).
#include "sasrnn/analysis/ff_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "sasrnn/rng.hpp"

namespace sasrnn::analysis {

void FfKindRule::check() const {
  for (double v : {important_pi_max, important_xi_max, unimportant_pi_min})
    if (!std::isfinite(v)) throw std::invalid_argument("the synapse-kind bounds must be finite");
  if (important_pi_max < 0 || important_pi_max > 1 || unimportant_pi_min < 0 || unimportant_pi_min > 1)
    throw std::invalid_argument("--important-pi-max and --unimportant-pi-min must be in [0, 1]");
  if (important_xi_max < 0) throw std::invalid_argument("--important-xi-max must be >= 0");
  if (!(important_pi_max < unimportant_pi_min))
    throw std::invalid_argument("--important-pi-max must be below --unimportant-pi-min");
}

FfKindRule::Kind FfKindRule::kind(float pi, float xi) const {
  if (pi >= unimportant_pi_min) return Unimportant;
  if (pi <= important_pi_max && xi <= important_xi_max) return Important;
  return Variable;
}

HostLayer training_scale_layer(const LayerView& l) {
  HostLayer h = decode_layer(l);
  const float n = static_cast<float>(l.cols), s = std::sqrt(n);
  for (size_t k = 0; k < h.size(); ++k) {
    h.m[k] *= s;
    h.xi[k] *= n;
  }
  return h;
}

FfLayerSummary summarize_ff(const std::string& name, const HostLayer& l, const FfKindRule& kinds,
                            const VipRule& vip, const EntropyOptions& eo, const std::vector<double>& eps) {
  FfLayerSummary s;
  s.base = summarize(name, l, Part::All, vip, eo, eps);
  double n_imp = 0, n_var = 0;
  for (size_t k = 0; k < l.size(); ++k) {
    switch (kinds.kind(l.pi[k], l.xi[k])) {
      case FfKindRule::Important:
        n_imp += 1;
        s.important_abs_m += std::fabs(l.m[k]);
        break;
      case FfKindRule::Unimportant: s.unimportant += 1; break;
      case FfKindRule::Variable:
        n_var += 1;
        s.variable_abs_m += std::fabs(l.m[k]);
        s.variable_xi += l.xi[k];
        break;
    }
  }
  const double c = std::max<double>(1, static_cast<double>(l.size()));
  s.important = n_imp / c;
  s.variable = n_var / c;
  s.unimportant /= c;
  s.important_abs_m = n_imp > 0 ? s.important_abs_m / n_imp : 0;
  s.variable_abs_m = n_var > 0 ? s.variable_abs_m / n_var : 0;
  s.variable_xi = n_var > 0 ? s.variable_xi / n_var : 0;
  return s;
}

void FfSweepConfig::check(const ff::ModelView& model) const {
  if (layer < 0 || static_cast<uint32_t>(layer) >= model.n_layers)
    throw std::invalid_argument("--sweep-layer must be in 0.." + std::to_string(model.n_layers - 1));
  if (points < 2 || points > 1000) throw std::invalid_argument("--sweep-points must be in 2..1000");
  if (draws < 1 || draws > 100) throw std::invalid_argument("--sweep-draws must be in 1..100");
  kinds.check();
}

std::vector<uint32_t> ff_changed_set(const HostLayer& layer, const FfKindRule& kinds, const std::string& kind,
                                     int draw, double fraction, uint64_t seed) {
  std::vector<uint32_t> pool[3];
  for (size_t k = 0; k < layer.size(); ++k)
    pool[kinds.kind(layer.pi[k], layer.xi[k])].push_back(static_cast<uint32_t>(k));
  const int which = kind == "important" ? FfKindRule::Important
                    : kind == "variable" ? FfKindRule::Variable
                    : kind == "unimportant" ? FfKindRule::Unimportant
                                            : -1;
  if (which < 0) throw std::invalid_argument("unknown perturbation kind " + kind);
  const size_t base = which == FfKindRule::Unimportant ? pool[FfKindRule::Unimportant].size()
                                                       : pool[FfKindRule::Important].size();
  std::vector<uint32_t> p = pool[which];
  // Fisher-Yates with the runtime's counter-based RNG: index = position, step = draw, trial = kind
  for (size_t i = p.size(); i > 1; --i) {
    const Block b = random_block(seed, Counter{static_cast<uint32_t>(i), static_cast<uint32_t>(draw),
                                               10u + static_cast<uint32_t>(which),
                                               static_cast<uint32_t>(Stream::TaskDraw)});
    const uint64_t r = (static_cast<uint64_t>(b.w[0]) << 32) | b.w[1];
    std::swap(p[i - 1], p[static_cast<size_t>(r % i)]);
  }
  const size_t count =
      std::min(p.size(), static_cast<size_t>(std::llround(fraction * static_cast<double>(base))));
  p.resize(count);
  std::sort(p.begin(), p.end());
  return p;
}

std::vector<FfSweepPoint> ff_perturbation_sweep(const ff::ModelView& model, const FfSweepConfig& cfg,
                                                const std::function<double(const ff::ModelView&)>& accuracy,
                                                const std::function<void(int, int)>& progress) {
  cfg.check(model);
  // the perturbed layer as an editable host copy in its stored (applied) scale; the view of the
  // perturbed stack is the model's with that layer replaced (as EditableModel does for a recurrent
  // layer)
  const size_t L = static_cast<size_t>(cfg.layer);
  const HostLayer original = decode_layer(model.layers[L]);
  HostLayer edit = original;
  ff::ModelView view = model;
  view.layers[L] = layer_view(edit);
  const HostLayer scaled = training_scale_layer(model.layers[L]);
  const float xi_random = 1.0f / static_cast<float>(original.cols);  // N(0, 1) in the training scale
  const char* kinds[] = {"important", "variable", "unimportant"};
  std::vector<FfSweepPoint> out;
  std::map<std::pair<int, std::vector<uint32_t>>, double> done;  // equal sets evaluated once
  const int total = 3 * cfg.draws * cfg.points;
  for (int kind = 0; kind < 3; ++kind)
    for (int d = 0; d < cfg.draws; ++d)
      for (int p = 0; p < cfg.points; ++p) {
        FfSweepPoint pt;
        pt.kind = kinds[kind];
        pt.draw = d;
        pt.fraction = static_cast<double>(p) / (cfg.points - 1);
        const std::vector<uint32_t> set = ff_changed_set(scaled, cfg.kinds, pt.kind, d, pt.fraction, cfg.seed);
        pt.changed = set.size();
        const int effect = kind == 2 ? 1 : 0;  // removing (important, variable) or randomizing
        const auto key = std::make_pair(set.empty() ? -1 : effect, set);
        const auto it = done.find(key);
        if (it != done.end()) {
          pt.accuracy = it->second;
        } else {
          edit.pi = original.pi;  // same sizes: the view's pointers stay valid
          edit.m = original.m;
          edit.xi = original.xi;
          for (uint32_t k : set) {
            if (effect == 0) {
              edit.pi[k] = 1.0f;
            } else {
              edit.pi[k] = 0.0f;
              edit.m[k] = 0.0f;
              edit.xi[k] = xi_random;
            }
          }
          pt.accuracy = accuracy(view);
          done[key] = pt.accuracy;
        }
        out.push_back(pt);
        if (progress) progress(static_cast<int>(out.size()), total);
      }
  return out;
}

}  // namespace sasrnn::analysis
