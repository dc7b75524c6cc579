// Argument checks and plumbing shared by the convolution bindings (bind_conv2d.cpp, bind_conv_transpose.cpp):
// the hyper-parameters and channel/kernel checks every convolution makes, the optional bias, the reference-or-
// kernel call without the GIL. Errors are ValueError/TypeError naming the argument (bind_util.h).
#pragma once

#include <array>
#include <string>

#include "bindings/bind_util.h"

namespace nne_bind {

using Pair = std::array<int64_t, 2>;

inline std::string pair_str(const Pair& p) { return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ")"; }

// stride >= 1, padding >= 0, dilation >= 1, groups >= 1, `C` input channels divisible by groups and an R x S
// kernel of at least 1x1.
inline void check_conv_args(const Pair& stride, const Pair& padding, const Pair& dilation, int64_t groups,
                            int64_t C, int64_t R, int64_t S) {
  check_pair(stride, "stride", 1);
  check_pair(padding, "padding", 0);
  check_pair(dilation, "dilation", 1);
  check_int(groups, "groups", 1);
  expect(C % groups == 0, "input: " + std::to_string(C) + " channels are not divisible by groups=" +
                              std::to_string(groups));
  expect(R >= 1 && S >= 1, "weight: kernel size must be at least 1x1");
}

// The bias argument: null for None, else a float32 vector of K values (kept alive by `keep`).
inline const float* conv_bias(const py::object& bo, int64_t K, py::array_t<float>& keep) {
  if (bo.is_none()) return nullptr;
  keep = arr<float>(bo, "b", 1);
  expect_shape(keep, "b", {K});
  return keep.data();
}

// Runs the scalar twin (reference=true) or the kernel with the GIL released.
template <class Ref, class Kernel>
inline void run_nogil(bool reference, const Ref& ref, const Kernel& kernel) {
  py::gil_scoped_release nogil;
  if (reference)
    ref();
  else
    kernel();
}

}  // namespace nne_bind
