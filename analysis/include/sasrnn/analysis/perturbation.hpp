// Targeted weight perturbation (paper Fig. 7, 17): the VIP connections of the recurrent layer are
// removed (pi = 1: absent in every mode), a growing random fraction of them, against the same
// number of connections drawn at random from the whole recurrent layer; the task accuracy of each
// perturbed model in the chosen modes. Task-generic: the caller gives the accuracy function (MSI or
// MNIST evaluation of the library). Used by `sasrnn analyze`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sasrnn/analysis/ensemble.hpp"
#include "sasrnn/network.hpp"

namespace sasrnn::analysis {

/// A model whose recurrent layer is a host copy (ensemble.hpp, HostLayer) that connections can be
/// removed from; every other array is the original model's. Not copyable (the view points into it).
class EditableModel {
 public:
  explicit EditableModel(const ModelView& model);
  EditableModel(const EditableModel&) = delete;
  EditableModel& operator=(const EditableModel&) = delete;
  const ModelView& view() const { return view_; }
  const HostLayer& original() const { return original_; }
  /// The original recurrent layer with connections `removed` (flat indices i * N + j) absent.
  void set_removed(const std::vector<uint32_t>& removed);

 private:
  HostLayer original_, rec_;
  ModelView view_;
};

/// Accuracy of a (perturbed) model in a mode, in [0, 1].
using AccuracyFn = std::function<double(const ModelView&, Mode)>;

struct SweepConfig {
  int points = 11;        ///< fractions 0, 1/(points-1), ..., 1 of the VIP connections
  int draws = 3;          ///< random draws of the removed sets, for VIP and random removal alike
  uint64_t seed = 1;      ///< the draws of the removed sets
  std::vector<Mode> modes{Mode::MeanField, Mode::SampledPerStep};
  VipRule rule;
  /// Throws std::invalid_argument unless points >= 2, 1 <= draws <= 100 and modes is not empty.
  void check() const;
};

struct SweepPoint {
  Mode mode = Mode::MeanField;
  std::string kind;       ///< "vip" or "random"
  int draw = 0;
  double fraction = 0;    ///< of the VIP connections
  size_t removed = 0;     ///< connections removed
  double accuracy = 0;
};

/// The removed set of a sweep point: the first round(fraction * V) connections of draw `draw`'s
/// permutation of the VIP list (kind "vip") or of all N^2 recurrent connections ("random"), V the
/// number of VIP connections. Nested: a larger fraction removes a superset.
std::vector<uint32_t> removed_set(const HostLayer& rec, const VipRule& rule, bool vip, int draw,
                                  double fraction, uint64_t seed);

/// Every point of the sweep (modes x kinds x draws x fractions); `progress` gets (done, total).
std::vector<SweepPoint> perturbation_sweep(const ModelView& model, const SweepConfig& cfg,
                                           const AccuracyFn& accuracy,
                                           const std::function<void(int, int)>& progress = {});

}  // namespace sasrnn::analysis
