// Bindings of the conv_transpose2d kernels: validate every shape and hyper-parameter, allocate outputs,
// release the GIL, run the kernel (or its scalar reference twin with reference=True).
#include <pybind11/stl.h>

#include <string>

#include "bindings/bind.h"
#include "bindings/conv_args.h"
#include "kernels/conv_transpose.h"

namespace nne_bind {
namespace {

// Builds and checks the shape from the input dims (N, C, H, W), weight dims (C, K/groups, R, S) and
// hyper-parameters; raises ValueError naming the offending argument.
nne::ConvTranspose2dShape make_shape(int64_t N, int64_t C, int64_t H, int64_t W, int64_t Cw, int64_t Kg, int64_t R,
                                     int64_t S, const Pair& stride, const Pair& padding, const Pair& output_padding,
                                     const Pair& dilation, int64_t groups) {
  check_conv_args(stride, padding, dilation, groups, C, R, S);
  check_pair(output_padding, "output_padding", 0);
  for (int i = 0; i < 2; ++i)
    expect(output_padding[i] < stride[i] || output_padding[i] < dilation[i],
           "output_padding: expected values smaller than stride or dilation, got output_padding=" +
               pair_str(output_padding) + ", stride=" + pair_str(stride) + ", dilation=" + pair_str(dilation));
  expect(C >= 1 && Kg >= 1, "weight: expected at least one input and one output channel, got shape (" +
                                std::to_string(Cw) + ", " + std::to_string(Kg) + ", " + std::to_string(R) + ", " +
                                std::to_string(S) + ")");
  expect(Cw == C, "weight: expected " + std::to_string(C) + " input channels (the input's), got " +
                      std::to_string(Cw));
  expect(H >= 1 && W >= 1, "input: expected a spatial size of at least 1x1, got (" + std::to_string(H) + ", " +
                               std::to_string(W) + ")");
  checked_size({N, C, H, W}, "input");
  checked_size({C, Kg, R, S}, "weight");
  nne::ConvTranspose2dShape s;
  s.N = N, s.C = C, s.H = H, s.W = W, s.K = Kg * groups, s.R = R, s.S = S;
  s.stride_h = stride[0], s.stride_w = stride[1], s.pad_h = padding[0], s.pad_w = padding[1];
  s.out_pad_h = output_padding[0], s.out_pad_w = output_padding[1];
  s.dil_h = dilation[0], s.dil_w = dilation[1], s.groups = groups;
  // every factor is < 2^31, so these stay far below 2^63
  s.P = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (R - 1) + output_padding[0] + 1;
  s.Q = (W - 1) * stride[1] - 2 * padding[1] + dilation[1] * (S - 1) + output_padding[1] + 1;
  expect(s.P >= 1 && s.Q >= 1, "padding: the output size (" + std::to_string(s.P) + ", " + std::to_string(s.Q) +
                                   ") is not positive for padding=" + pair_str(padding) + " and input (" +
                                   std::to_string(H) + ", " + std::to_string(W) + ")");
  checked_size({s.K}, "output channels");
  checked_size({N, s.K, s.P, s.Q}, "output");
  const nne::Conv2dShape c = nne::conv_transpose2d_as_conv(s);
  checked_size({N, C, c.P, c.Q}, "input (with output_padding)");
  return s;
}

}  // namespace
}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(conv_transpose) {
  m.def(
      "conv_transpose2d_forward",
      [](const py::object& xo, const py::object& wo, const py::object& bo, Pair stride, Pair padding,
         Pair output_padding, Pair dilation, int64_t groups, bool reference, bool bf16) {
        check_bf16(bf16, reference);
        auto x = arr<float>(xo, "x", 4);
        auto w = arr<float>(wo, "w", 4);
        auto s = make_shape(x.shape(0), x.shape(1), x.shape(2), x.shape(3), w.shape(0), w.shape(1), w.shape(2),
                            w.shape(3), stride, padding, output_padding, dilation, groups);
        s.bf16 = bf16;
        return conv_forward_call(&nne::conv_transpose2d_forward_reference, nne::conv_transpose2d_kernels().forward,
                                 s, x, w, bo, reference);
      },
      py::arg("x"), py::arg("w"), py::arg("b") = py::none(), py::arg("stride") = Pair{1, 1},
      py::arg("padding") = Pair{0, 0}, py::arg("output_padding") = Pair{0, 0}, py::arg("dilation") = Pair{1, 1},
      py::arg("groups") = 1, py::arg("reference") = false, py::arg("bf16") = false,
      "y = conv_transpose2d(x, w) + b; x (N,C,H,W), w (C,K/groups,R,S); bf16: products in bf16 (autocast).");

  m.def(
      "conv_transpose2d_backward_data",
      [](const py::object& dyo, const py::object& wo, Pair input_hw, Pair stride, Pair padding,
         Pair output_padding, Pair dilation, int64_t groups, bool reference, bool bf16) {
        check_bf16(bf16, reference);
        auto dy = arr<float>(dyo, "dy", 4);
        auto w = arr<float>(wo, "w", 4);
        check_pair(input_hw, "input_hw", 1);
        auto s = make_shape(dy.shape(0), w.shape(0), input_hw[0], input_hw[1], w.shape(0), w.shape(1), w.shape(2),
                            w.shape(3), stride, padding, output_padding, dilation, groups);
        s.bf16 = bf16;
        expect_shape(dy, "dy", {s.N, s.K, s.P, s.Q});
        return conv_data_call(&nne::conv_transpose2d_backward_data_reference,
                              nne::conv_transpose2d_kernels().backward_data, s, dy, w, reference);
      },
      py::arg("dy"), py::arg("w"), py::arg("input_hw"), py::arg("stride") = Pair{1, 1},
      py::arg("padding") = Pair{0, 0}, py::arg("output_padding") = Pair{0, 0}, py::arg("dilation") = Pair{1, 1},
      py::arg("groups") = 1, py::arg("reference") = false, py::arg("bf16") = false,
      "dx of conv_transpose2d given dy (N,K,P,Q), w (C,K/groups,R,S) and the input's (H, W); bf16 as forward.");

  m.def(
      "conv_transpose2d_backward_weights",
      [](const py::object& dyo, const py::object& xo, Pair kernel_size, Pair stride, Pair padding,
         Pair output_padding, Pair dilation, int64_t groups, bool need_weight, bool need_bias, bool reference,
         bool bf16) {
        check_bf16(bf16, reference);
        auto dy = arr<float>(dyo, "dy", 4);
        auto x = arr<float>(xo, "x", 4);
        check_int(groups, "groups", 1);
        check_pair(kernel_size, "kernel_size", 1);
        expect(dy.shape(1) % groups == 0, "dy: " + std::to_string(dy.shape(1)) +
                                              " channels are not divisible by groups=" + std::to_string(groups));
        auto s = make_shape(x.shape(0), x.shape(1), x.shape(2), x.shape(3), x.shape(1), dy.shape(1) / groups,
                            kernel_size[0], kernel_size[1], stride, padding, output_padding, dilation, groups);
        s.bf16 = bf16;
        expect_shape(dy, "dy", {s.N, s.K, s.P, s.Q});
        return conv_weights_call(&nne::conv_transpose2d_backward_weights_reference,
                                 nne::conv_transpose2d_kernels().backward_weights, s,
                                 dims({s.C, s.K / groups, s.R, s.S}), dy, x, need_weight, need_bias, reference);
      },
      py::arg("dy"), py::arg("x"), py::arg("kernel_size"), py::arg("stride") = Pair{1, 1},
      py::arg("padding") = Pair{0, 0}, py::arg("output_padding") = Pair{0, 0}, py::arg("dilation") = Pair{1, 1},
      py::arg("groups") = 1, py::arg("need_weight") = true, py::arg("need_bias") = true,
      py::arg("reference") = false, py::arg("bf16") = false,
      "(dw, db) of conv_transpose2d given dy and x; either is None when not requested; bf16: dw from bf16 products "
      "(db stays a float32 sum).");

  m.def(
      "conv_transpose2d_backward",
      [](const py::object& dyo, const py::object& xo, const py::object& wo, Pair stride, Pair padding,
         Pair output_padding, Pair dilation, int64_t groups, bool need_input, bool need_weight, bool need_bias,
         bool reference, bool bf16) {
        check_bf16(bf16, reference);
        auto dy = arr<float>(dyo, "dy", 4);
        auto x = arr<float>(xo, "x", 4);
        auto w = arr<float>(wo, "w", 4);
        auto s = make_shape(x.shape(0), x.shape(1), x.shape(2), x.shape(3), w.shape(0), w.shape(1), w.shape(2),
                            w.shape(3), stride, padding, output_padding, dilation, groups);
        s.bf16 = bf16;
        expect_shape(dy, "dy", {s.N, s.K, s.P, s.Q});
        float *pdx, *pdw, *pdb;
        py::object dxo = maybe_empty(need_input, dims({s.N, s.C, s.H, s.W}), pdx);
        py::object dwo = maybe_empty(need_weight, dims({s.C, s.K / groups, s.R, s.S}), pdw);
        py::object dbo = maybe_empty(need_bias, dims({s.K}), pdb);
        const float *pdy = dy.data(), *px = x.data(), *pw = w.data();
        {
          KernelCall nogil;
          if (reference)
            nne::conv_transpose2d_backward_reference(pdx, pdw, pdb, pdy, px, pw, s);
          else if (pdx || pdw || pdb)
            nne::conv_transpose2d_kernels().backward(pdx, pdw, pdb, pdy, px, pw, s);
        }
        return py::make_tuple(dxo, dwo, dbo);
      },
      py::arg("dy"), py::arg("x"), py::arg("w"), py::arg("stride") = Pair{1, 1}, py::arg("padding") = Pair{0, 0},
      py::arg("output_padding") = Pair{0, 0}, py::arg("dilation") = Pair{1, 1}, py::arg("groups") = 1,
      py::arg("need_input") = true, py::arg("need_weight") = true, py::arg("need_bias") = true,
      py::arg("reference") = false, py::arg("bf16") = false,
      "(dx, dw, db) of conv_transpose2d given dy, x and w in one pass (the strided layers build dy's column matrix "
      "once for dx and dw); each is None when not requested.");
}
