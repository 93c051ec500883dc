// Targeted weight perturbation of the recurrent layer (perturbation.hpp).
#include "sasrnn/analysis/perturbation.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>
#include <numeric>
#include <stdexcept>

#include "sasrnn/rng.hpp"

namespace sasrnn::analysis {

EditableModel::EditableModel(const ModelView& model)
    : original_(decode_layer(model.recurrent)), rec_(original_), view_(model) {
  view_.recurrent = layer_view(rec_);
}

void EditableModel::set_removed(const std::vector<uint32_t>& removed) {
  rec_.pi = original_.pi;  // same size: the view's pointers stay valid
  for (uint32_t k : removed) {
    if (k >= rec_.size()) throw std::out_of_range("removed connection out of range");
    rec_.pi[k] = 1.0f;
  }
}

void SweepConfig::check() const {
  if (points < 2 || points > 1000) throw std::invalid_argument("--sweep-points must be in 2..1000");
  if (draws < 1 || draws > 100) throw std::invalid_argument("--sweep-draws must be in 1..100");
  if (modes.empty()) throw std::invalid_argument("the sweep needs at least one mode");
  rule.check();
}

std::vector<uint32_t> removed_set(const HostLayer& rec, const VipRule& rule, bool vip, int draw,
                                  double fraction, uint64_t seed) {
  const std::vector<uint32_t> vips = vip_indices(rec, rule);
  std::vector<uint32_t> pool;
  if (vip) {
    pool = vips;
  } else {
    pool.resize(rec.size());
    std::iota(pool.begin(), pool.end(), 0u);
  }
  // Fisher-Yates with the runtime's counter-based RNG: index = position, step = draw, trial = kind
  for (size_t i = pool.size(); i > 1; --i) {
    const Block b = random_block(seed, Counter{static_cast<uint32_t>(i), static_cast<uint32_t>(draw),
                                               vip ? 1u : 2u, static_cast<uint32_t>(Stream::TaskDraw)});
    const uint64_t r = (static_cast<uint64_t>(b.w[0]) << 32) | b.w[1];
    std::swap(pool[i - 1], pool[static_cast<size_t>(r % i)]);
  }
  const size_t count = std::min(
      pool.size(), static_cast<size_t>(std::llround(fraction * static_cast<double>(vips.size()))));
  pool.resize(count);
  std::sort(pool.begin(), pool.end());
  return pool;
}

std::vector<SweepPoint> perturbation_sweep(const ModelView& model, const SweepConfig& cfg,
                                           const AccuracyFn& accuracy,
                                           const std::function<void(int, int)>& progress) {
  cfg.check();
  EditableModel edit(model);
  std::vector<SweepPoint> out;
  // equal removed sets (fraction 0 of every kind and draw, all VIPs in every draw) run once
  std::map<std::pair<int, std::vector<uint32_t>>, double> done;
  const int total = static_cast<int>(cfg.modes.size()) * 2 * cfg.draws * cfg.points;
  for (Mode mode : cfg.modes)
    for (int kind = 0; kind < 2; ++kind)
      for (int d = 0; d < cfg.draws; ++d)
        for (int p = 0; p < cfg.points; ++p) {
          SweepPoint pt;
          pt.mode = mode;
          pt.kind = kind == 0 ? "vip" : "random";
          pt.draw = d;
          pt.fraction = static_cast<double>(p) / (cfg.points - 1);
          const std::vector<uint32_t> removed =
              removed_set(edit.original(), cfg.rule, kind == 0, d, pt.fraction, cfg.seed);
          pt.removed = removed.size();
          const auto key = std::make_pair(static_cast<int>(mode), removed);
          const auto it = done.find(key);
          if (it != done.end()) {
            pt.accuracy = it->second;
          } else {
            edit.set_removed(removed);
            pt.accuracy = accuracy(edit.view(), mode);
            done.emplace(key, pt.accuracy);
          }
          out.push_back(pt);
          if (progress) progress(static_cast<int>(out.size()), total);
        }
  return out;
}

}  // namespace sasrnn::analysis
