// Argument checks and plumbing shared by the convolution bindings (bind_conv2d.cpp, bind_conv_transpose.cpp):
// the hyper-parameters and channel/kernel checks every convolution makes, the optional bias, the reference-or-
// kernel call without the GIL. Errors are ValueError/TypeError naming the argument (bind_util.h).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "bindings/bind_util.h"
#include "kernels/conv3d.h"

namespace nne_bind {

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

// The output's and the input's dims of a convolution shape: (N, K, P, Q) and (N, C, H, W) for the 2-D shapes,
// (N, K, OD, P, Q) and (N, C, D, H, W) for conv3d's.
template <class Shape>
std::vector<py::ssize_t> out_dims(const Shape& s) {
  return dims({s.N, s.K, s.P, s.Q});
}
template <class Shape>
std::vector<py::ssize_t> in_dims(const Shape& s) {
  return dims({s.N, s.C, s.H, s.W});
}
inline std::vector<py::ssize_t> out_dims(const nne::Conv3dShape& s) { return dims({s.N, s.K, s.OD, s.P, s.Q}); }
inline std::vector<py::ssize_t> in_dims(const nne::Conv3dShape& s) { return dims({s.N, s.C, s.D, s.H, s.W}); }

// The three calls of a convolution binding, once the shape is checked: allocate the outputs, run the scalar twin
// (reference=true) or the kernel with the GIL released. `Shape` has N and K, and the dims above.
template <class Shape>
using ConvFwd = void (*)(float*, const float*, const float*, const float*, const Shape&);
template <class Shape>
using ConvData = void (*)(float*, const float*, const float*, const Shape&);
template <class Shape>
using ConvWeights = void (*)(float*, float*, const float*, const float*, const Shape&);

// y (N, K, P, Q) = conv(x, w) + b, the bias argument None or a float32 vector of K values.
template <class Shape>
py::array_t<float> conv_forward_call(ConvFwd<Shape> ref, ConvFwd<Shape> kernel, const Shape& s,
                                     const py::array_t<float>& x, const py::array_t<float>& w, const py::object& bo,
                                     bool reference) {
  py::array_t<float> b;
  const float* pb = nullptr;
  if (!bo.is_none()) {
    b = arr<float>(bo, "bias", 1);
    expect_shape(b, "bias", {s.K});
    pb = b.data();
  }
  auto y = empty<float>(out_dims(s));
  const float *px = x.data(), *pw = w.data();
  float* py_ = y.mutable_data();
  {
    KernelCall nogil;
    (reference ? ref : kernel)(py_, px, pw, pb, s);
  }
  return y;
}

// dx (N, C, H, W) from dy and w.
template <class Shape>
py::array_t<float> conv_data_call(ConvData<Shape> ref, ConvData<Shape> kernel, const Shape& s,
                                  const py::array_t<float>& dy, const py::array_t<float>& w, bool reference) {
  auto dx = empty<float>(in_dims(s));
  const float *pdy = dy.data(), *pw = w.data();
  float* pdx = dx.mutable_data();
  {
    KernelCall nogil;
    (reference ? ref : kernel)(pdx, pdy, pw, s);
  }
  return dx;
}

// (dw of shape wshape, db (K,)) from dy and x; either is None when not requested (the kernel is skipped when
// neither is).
template <class Shape>
py::tuple conv_weights_call(ConvWeights<Shape> ref, ConvWeights<Shape> kernel, const Shape& s,
                            const std::vector<py::ssize_t>& wshape, const py::array_t<float>& dy,
                            const py::array_t<float>& x, bool need_weight, bool need_bias, bool reference) {
  float *pdw, *pdb;
  py::object dwo = maybe_empty(need_weight, wshape, pdw), dbo = maybe_empty(need_bias, dims({s.K}), pdb);
  const float *pdy = dy.data(), *px = x.data();
  {
    KernelCall nogil;
    if (reference)
      ref(pdw, pdb, pdy, px, s);
    else if (pdw || pdb)
      kernel(pdw, pdb, pdy, px, s);
  }
  return py::make_tuple(dwo, dbo);
}

}  // namespace nne_bind
