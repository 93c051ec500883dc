// The names of the nine hyperparameter groups, as the CLI, the logs and the checkpoints spell them.
#include <cstring>

#include "sasrnn/trainer/mean_field.hpp"

namespace sasrnn::train {

const char* group_name(Group g) {
  switch (g) {
    case Group::MIn: return "m_in";
    case Group::PiIn: return "pi_in";
    case Group::XiIn: return "xi_in";
    case Group::MRec: return "m_rec";
    case Group::PiRec: return "pi_rec";
    case Group::XiRec: return "xi_rec";
    case Group::MOut: return "m_out";
    case Group::PiOut: return "pi_out";
    case Group::XiOut: return "xi_out";
  }
  return "unknown";
}

bool parse_group(const char* name, Group& g) {
  for (int k = 0; k < kGroups; ++k)
    if (std::strcmp(name, group_name(static_cast<Group>(k))) == 0) {
      g = static_cast<Group>(k);
      return true;
    }
  return false;
}

}  // namespace sasrnn::train
