// Bindings of the conv2d kernels: validate every shape and hyper-parameter, allocate outputs,
// release the GIL, run the kernel (or its scalar reference twin with reference=True).
#include <pybind11/stl.h>

#include <string>

#include "bindings/bind.h"
#include "bindings/conv_args.h"
#include "kernels/conv2d.h"

namespace nne_bind {
namespace {

// Builds and checks the shape from the input dims (N, C, H, W), weight dims (K, C/groups, R, S) and
// hyper-parameters; raises ValueError naming the offending argument.
nne::Conv2dShape make_shape(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t Cg, int64_t R,
                            int64_t S, const Pair& stride, const Pair& padding, const Pair& dilation,
                            int64_t groups) {
  check_conv_args(stride, padding, dilation, groups, C, R, S);
  expect(K % groups == 0, "weight: " + std::to_string(K) + " output channels are not divisible by groups=" +
                              std::to_string(groups));
  expect(Cg * groups == C, "input: expected " + std::to_string(Cg * groups) + " channels (the weight's " +
                               std::to_string(Cg) + " per group x groups=" + std::to_string(groups) + "), got " +
                               std::to_string(C));
  nne::Conv2dShape s;
  s.N = N, s.C = C, s.H = H, s.W = W, s.K = K, s.R = R, s.S = S;
  s.stride_h = stride[0], s.stride_w = stride[1], s.pad_h = padding[0], s.pad_w = padding[1];
  s.dil_h = dilation[0], s.dil_w = dilation[1], s.groups = groups;
  const int64_t eh = H + 2 * padding[0] - dilation[0] * (R - 1) - 1;
  const int64_t ew = W + 2 * padding[1] - dilation[1] * (S - 1) - 1;
  expect(eh >= 0 && ew >= 0, "input: spatial size (" + std::to_string(H) + ", " + std::to_string(W) +
                                 ") plus padding is smaller than the dilated kernel (" +
                                 std::to_string(dilation[0] * (R - 1) + 1) + ", " +
                                 std::to_string(dilation[1] * (S - 1) + 1) + ")");
  s.P = eh / stride[0] + 1;
  s.Q = ew / stride[1] + 1;
  checked_size({N, K, s.P, s.Q}, "output");
  checked_size({N, C, H, W}, "input");
  return s;
}

}  // namespace
}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(conv2d) {
  m.def(
      "conv2d_forward",
      [](const py::object& xo, const py::object& wo, const py::object& bo, Pair stride, Pair padding,
         Pair dilation, int64_t groups, bool reference, bool bf16) {
        check_bf16(bf16, reference);
        auto x = arr<float>(xo, "x", 4);
        auto w = arr<float>(wo, "w", 4);
        auto s = make_shape(x.shape(0), x.shape(1), x.shape(2), x.shape(3), w.shape(0), w.shape(1),
                                  w.shape(2), w.shape(3), stride, padding, dilation, groups);
        s.bf16 = bf16;
        return conv_forward_call(&nne::conv2d_forward_reference, nne::conv2d_kernels().forward, s, x, w, bo,
                                 reference);
      },
      py::arg("x"), py::arg("w"), py::arg("b") = py::none(), py::arg("stride") = Pair{1, 1},
      py::arg("padding") = Pair{0, 0}, py::arg("dilation") = Pair{1, 1}, py::arg("groups") = 1,
      py::arg("reference") = false, py::arg("bf16") = false,
      "y = conv2d(x, w) + b; x (N,C,H,W), w (K,C/groups,R,S); bf16: products in bf16 (autocast).");

  m.def(
      "conv2d_backward_data",
      [](const py::object& dyo, const py::object& wo, Pair input_hw, Pair stride, Pair padding, Pair dilation,
         int64_t groups, bool reference, bool bf16) {
        check_bf16(bf16, reference);
        auto dy = arr<float>(dyo, "dy", 4);
        auto w = arr<float>(wo, "w", 4);
        check_pair(input_hw, "input_hw", 1);
        check_int(groups, "groups", 1);
        auto s = make_shape(dy.shape(0), w.shape(1) * groups, input_hw[0], input_hw[1], w.shape(0),
                            w.shape(1), w.shape(2), w.shape(3), stride, padding, dilation, groups);
        s.bf16 = bf16;
        expect_shape(dy, "dy", {s.N, s.K, s.P, s.Q});
        return conv_data_call(&nne::conv2d_backward_data_reference, nne::conv2d_kernels().backward_data, s,
                              dy, w, reference);
      },
      py::arg("dy"), py::arg("w"), py::arg("input_hw"), py::arg("stride") = Pair{1, 1},
      py::arg("padding") = Pair{0, 0}, py::arg("dilation") = Pair{1, 1}, py::arg("groups") = 1,
      py::arg("reference") = false, py::arg("bf16") = false,
      "dx of conv2d given dy (N,K,P,Q), w and the input's (H, W); bf16: products in bf16 (autocast).");

  m.def(
      "conv2d_backward_weights",
      [](const py::object& dyo, const py::object& xo, Pair kernel_size, Pair stride, Pair padding, Pair dilation,
         int64_t groups, bool need_weight, bool need_bias, bool reference, bool bf16) {
        check_bf16(bf16, reference);
        auto dy = arr<float>(dyo, "dy", 4);
        auto x = arr<float>(xo, "x", 4);
        check_int(groups, "groups", 1);
        check_pair(kernel_size, "kernel_size", 1);
        auto s = make_shape(x.shape(0), x.shape(1), x.shape(2), x.shape(3), dy.shape(1), x.shape(1) / groups,
                            kernel_size[0], kernel_size[1], stride, padding, dilation, groups);
        s.bf16 = bf16;
        expect_shape(dy, "dy", {s.N, s.K, s.P, s.Q});
        return conv_weights_call(&nne::conv2d_backward_weights_reference,
                                 nne::conv2d_kernels().backward_weights, s,
                                 dims({s.K, s.C / groups, s.R, s.S}), dy, x, need_weight, need_bias, reference);
      },
      py::arg("dy"), py::arg("x"), py::arg("kernel_size"), py::arg("stride") = Pair{1, 1},
      py::arg("padding") = Pair{0, 0}, py::arg("dilation") = Pair{1, 1}, py::arg("groups") = 1,
      py::arg("need_weight") = true, py::arg("need_bias") = true, py::arg("reference") = false,
      py::arg("bf16") = false,
      "(dw, db) of conv2d given dy and x; either is None when not requested; bf16: dw from bf16 products "
      "(autocast; db stays a float32 sum).");

  m.def(
      "conv2d_algorithm",
      [](std::array<int64_t, 4> x_shape, std::array<int64_t, 4> w_shape, Pair stride, Pair padding, Pair dilation,
         int64_t groups, bool bf16) {
        for (int i = 0; i < 4; ++i) {
          const int64_t lo = i == 0 ? 0 : 1;  // an empty batch is a valid input
          if (x_shape[i] < lo || x_shape[i] > nne::kMaxDim || w_shape[i] < 1 || w_shape[i] > nne::kMaxDim)
            throw py::value_error("x_shape, w_shape: expected dims in [1, 2^31 - 1] (the batch may be 0), got " +
                                  std::to_string(x_shape[0]) + "x" + std::to_string(x_shape[1]) + "x" +
                                  std::to_string(x_shape[2]) + "x" + std::to_string(x_shape[3]) + " and " +
                                  std::to_string(w_shape[0]) + "x" + std::to_string(w_shape[1]) + "x" +
                                  std::to_string(w_shape[2]) + "x" + std::to_string(w_shape[3]));
        }
        auto s = make_shape(x_shape[0], x_shape[1], x_shape[2], x_shape[3], w_shape[0], w_shape[1], w_shape[2],
                            w_shape[3], stride, padding, dilation, groups);
        s.bf16 = bf16;
        const auto algo = nne::conv2d_kernels().algorithm;
        py::dict d;
        d["forward"] = algo(s, 0);
        d["backward_data"] = algo(s, 1);
        d["backward_weights"] = algo(s, 2);
        return d;
      },
      py::arg("x_shape"), py::arg("w_shape"), py::arg("stride") = Pair{1, 1}, py::arg("padding") = Pair{0, 0},
      py::arg("dilation") = Pair{1, 1}, py::arg("groups") = 1, py::arg("bf16") = false,
      "The algorithm each conv2d call runs on these shapes at the current ISA and caches: a dict of 'forward', "
      "'backward_data', 'backward_weights' to 'winograd', 'direct_lanes', 'direct' or 'gemm'.");
}
