// Activation kinds as the bindings take them: by name ('relu', 'gelu_tanh'... kActNames in kernels/activation.h),
// one parser for _core.activation_forward / activation_backward and the compiled plans.
#pragma once

#include <string>

#include "bindings/bind_util.h"
#include "kernels/activation.h"

namespace nne_bind {

inline int act_kind_arg(const std::string& kind) {
  const int k = nne::act_kind(kind.c_str());
  if (k >= 0) return k;
  std::string names;
  for (int i = 0; i <= nne::kActLast; ++i) names += std::string(i ? ", '" : "'") + nne::kActNames[i] + "'";
  throw py::value_error("kind: expected one of " + names + ", got '" + kind + "'");
}

}  // namespace nne_bind
