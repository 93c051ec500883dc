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

}  // namespace sasrnn::train
