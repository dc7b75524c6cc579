// Bindings of the conv3d kernels: validate every shape and hyper-parameter, allocate outputs,
// release the GIL, run the kernel (or its scalar reference twin with reference=True).
#include <pybind11/stl.h>

#include <array>
#include <string>

#include "bindings/bind.h"
#include "bindings/conv_args.h"
#include "kernels/conv3d.h"

namespace nne_bind {
namespace {

using Triple = std::array<int64_t, 3>;

void check_triple(const Triple& t, const std::string& name, int64_t lo) {
  for (int64_t v : t)
    if (v < lo || v > nne::kMaxDim)
      throw py::value_error(name + ": expected values in [" + std::to_string(lo) + ", 2^31 - 1], got (" +
                            std::to_string(t[0]) + ", " + std::to_string(t[1]) + ", " + std::to_string(t[2]) + ")");
}

// Builds and checks the shape from the input dims x (N, C, D, H, W), the weight's (K, C/groups, T, R, S) and the
// hyper-parameters; raises ValueError naming the offending argument.
nne::Conv3dShape make_shape(const Triple& xdhw, int64_t N, int64_t C, const std::array<int64_t, 5>& wd,
                            const Triple& stride, const Triple& padding, const Triple& dilation, int64_t groups) {
  check_triple(stride, "stride", 1);
  check_triple(padding, "padding", 0);
  check_triple(dilation, "dilation", 1);
  check_triple(xdhw, "input spatial size", 1);
  check_int(groups, "groups", 1);
  check_int(N, "batch", 0);
  check_int(C, "input channels", 1);
  for (int i = 0; i < 5; ++i) check_int(wd[i], "weight dims", 1);
  expect(C % groups == 0, "input: " + std::to_string(C) + " channels are not divisible by groups=" +
                              std::to_string(groups));
  expect(wd[0] % groups == 0, "weight: " + std::to_string(wd[0]) + " output channels are not divisible by groups=" +
                                  std::to_string(groups));
  expect(wd[1] * groups == C, "input: expected " + std::to_string(wd[1] * groups) + " channels (the weight's " +
                                  std::to_string(wd[1]) + " per group x groups=" + std::to_string(groups) +
                                  "), got " + std::to_string(C));
  nne::Conv3dShape s;
  s.N = N, s.C = C, s.D = xdhw[0], s.H = xdhw[1], s.W = xdhw[2];
  s.K = wd[0], s.T = wd[2], s.R = wd[3], s.S = wd[4];
  s.stride_d = stride[0], s.stride_h = stride[1], s.stride_w = stride[2];
  s.pad_d = padding[0], s.pad_h = padding[1], s.pad_w = padding[2];
  s.dil_d = dilation[0], s.dil_h = dilation[1], s.dil_w = dilation[2];
  s.groups = groups;
  int64_t out[3];
  for (int i = 0; i < 3; ++i) {
    const int64_t e = xdhw[i] + 2 * padding[i] - dilation[i] * (wd[2 + i] - 1) - 1;
    expect(e >= 0, "input: spatial size (" + std::to_string(xdhw[0]) + ", " + std::to_string(xdhw[1]) + ", " +
                       std::to_string(xdhw[2]) + ") plus padding is smaller than the dilated kernel in dimension " +
                       std::to_string(i));
    out[i] = e / stride[i] + 1;
  }
  s.OD = out[0], s.P = out[1], s.Q = out[2];
  checked_size({N, s.K, s.OD, s.P, s.Q}, "output");
  checked_size({N, C, s.D, s.H, s.W}, "input");
  checked_size({s.K, wd[1], s.T, s.R, s.S}, "weight");
  return s;
}

std::array<int64_t, 5> wdims(const py::array_t<float>& w) {
  return {w.shape(0), w.shape(1), w.shape(2), w.shape(3), w.shape(4)};
}

}  // namespace
}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(conv3d) {
  m.def(
      "conv3d_forward",
      [](const py::object& xo, const py::object& wo, const py::object& bo, Triple stride, Triple padding,
         Triple dilation, int64_t groups, bool reference, bool bf16) {
        check_bf16(bf16, reference);
        auto x = arr<float>(xo, "x", 5);
        auto w = arr<float>(wo, "w", 5);
        auto s = make_shape({x.shape(2), x.shape(3), x.shape(4)}, x.shape(0), x.shape(1), wdims(w), stride, padding,
                            dilation, groups);
        s.bf16 = bf16;
        return conv_forward_call(&nne::conv3d_forward_reference, nne::conv3d_kernels().forward, s, x, w, bo,
                                 reference);
      },
      py::arg("x"), py::arg("w"), py::arg("b") = py::none(), py::arg("stride") = Triple{1, 1, 1},
      py::arg("padding") = Triple{0, 0, 0}, py::arg("dilation") = Triple{1, 1, 1}, py::arg("groups") = 1,
      py::arg("reference") = false, py::arg("bf16") = false,
      "y = conv3d(x, w) + b; x (N,C,D,H,W), w (K,C/groups,T,R,S); bf16: products in bf16 (autocast).");

  m.def(
      "conv3d_backward_data",
      [](const py::object& dyo, const py::object& wo, Triple input_dhw, Triple stride, Triple padding,
         Triple dilation, int64_t groups, bool reference, bool bf16) {
        check_bf16(bf16, reference);
        auto dy = arr<float>(dyo, "dy", 5);
        auto w = arr<float>(wo, "w", 5);
        check_int(groups, "groups", 1);
        auto s = make_shape(input_dhw, dy.shape(0), w.shape(1) * groups, wdims(w), stride, padding, dilation, groups);
        s.bf16 = bf16;
        expect_shape(dy, "dy", {s.N, s.K, s.OD, s.P, s.Q});
        return conv_data_call(&nne::conv3d_backward_data_reference, nne::conv3d_kernels().backward_data, s, dy, w,
                              reference);
      },
      py::arg("dy"), py::arg("w"), py::arg("input_dhw"), py::arg("stride") = Triple{1, 1, 1},
      py::arg("padding") = Triple{0, 0, 0}, py::arg("dilation") = Triple{1, 1, 1}, py::arg("groups") = 1,
      py::arg("reference") = false, py::arg("bf16") = false,
      "dx of conv3d given dy (N,K,OD,P,Q), w and the input's (D, H, W); bf16: products in bf16 (autocast).");

  m.def(
      "conv3d_backward_weights",
      [](const py::object& dyo, const py::object& xo, Triple kernel_size, Triple stride, Triple padding,
         Triple dilation, int64_t groups, bool need_weight, bool need_bias, bool reference, bool bf16) {
        check_bf16(bf16, reference);
        auto dy = arr<float>(dyo, "dy", 5);
        auto x = arr<float>(xo, "x", 5);
        check_int(groups, "groups", 1);
        check_triple(kernel_size, "kernel_size", 1);
        auto s = make_shape({x.shape(2), x.shape(3), x.shape(4)}, x.shape(0), x.shape(1),
                            {dy.shape(1), x.shape(1) / groups, kernel_size[0], kernel_size[1], kernel_size[2]},
                            stride, padding, dilation, groups);
        s.bf16 = bf16;
        expect_shape(dy, "dy", {s.N, s.K, s.OD, s.P, s.Q});
        return conv_weights_call(&nne::conv3d_backward_weights_reference, nne::conv3d_kernels().backward_weights, s,
                                 dims({s.K, s.C / groups, s.T, s.R, s.S}), dy, x, need_weight, need_bias, reference);
      },
      py::arg("dy"), py::arg("x"), py::arg("kernel_size"), py::arg("stride") = Triple{1, 1, 1},
      py::arg("padding") = Triple{0, 0, 0}, py::arg("dilation") = Triple{1, 1, 1}, py::arg("groups") = 1,
      py::arg("need_weight") = true, py::arg("need_bias") = true, py::arg("reference") = false,
      py::arg("bf16") = false,
      "(dw, db) of conv3d given dy and x; either is None when not requested; bf16: dw from bf16 products "
      "(autocast; db stays a float32 sum).");
}
