// Shared by the dropout and channel-dropout bindings (bind_dropout.cpp, bind_dropout2d.cpp): the drop
// probability check and the call body (y shaped like x, the GIL released, the reference twin or the kernel
// table's forward / backward).
#pragma once

#include <string>
#include <vector>

#include "bindings/bind_util.h"

namespace nne_bind {

inline float dropout_p(double p) {
  expect(p >= 0.0 && p < 1.0, "p: expected a probability in [0, 1), got " + std::to_string(p));
  return static_cast<float>(p);
}

// Kernels: a dispatch table with forward/backward(float* y, const float* x, const Shape&).
template <class Shape, class Kernels>
py::array_t<float> run_dropout(const py::array_t<float>& x, const Shape& s, const Kernels& kernels, bool backward,
                               void (*reference)(float*, const float*, const Shape&)) {
  std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
  auto y = empty<float>(shape);
  const float* px = x.data();
  float* py_ = y.mutable_data();
  {
    KernelCall nogil;
    if (reference)
      reference(py_, px, s);
    else if (backward)
      kernels.backward(py_, px, s);
    else
      kernels.forward(py_, px, s);
  }
  return y;
}

}  // namespace nne_bind
