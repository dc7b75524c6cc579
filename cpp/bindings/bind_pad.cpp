// Bindings of the pad kernels: validate, allocate outputs, release the GIL, run.
#include <pybind11/stl.h>

#include <array>
#include <cmath>
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "bindings/plane_args.h"
#include "kernels/pad.h"

namespace nne_bind {
namespace {

using Quad = std::array<int64_t, 4>;  // (left, right, top, bottom): torch's order for the last two dims

std::string quad_str(const Quad& p) {
  return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ", " + std::to_string(p[2]) + ", " +
         std::to_string(p[3]) + ")";
}

nne::PadShape pad_shape(int64_t N, int64_t C, int64_t H, int64_t W, const Quad& pads, const std::string& mode,
                        double value) {
  nne::PadShape s;
  constexpr nne::PadMode modes[] = {nne::PadMode::constant, nne::PadMode::reflect, nne::PadMode::replicate};
  s.mode = modes[choice(mode, "mode", {"constant", "reflect", "replicate"})];
  for (int64_t v : pads)
    expect(v >= -nne::kMaxDim && v <= nne::kMaxDim, "pad: expected values in [-(2^31 - 1), 2^31 - 1], got " +
                                                        quad_str(pads));
  check_plane(H, W);
  s.P = H + pads[2] + pads[3];
  s.Q = W + pads[0] + pads[1];
  expect(s.P >= 1 && s.Q >= 1, "pad: the padded size (" + std::to_string(s.P) + ", " + std::to_string(s.Q) +
                                   ") is not positive for input (" + std::to_string(H) + ", " + std::to_string(W) +
                                   ") and pad " + quad_str(pads));
  if (s.mode == nne::PadMode::reflect)
    expect(std::abs(pads[0]) < W && std::abs(pads[1]) < W && std::abs(pads[2]) < H && std::abs(pads[3]) < H,
           "pad: reflect padding must be smaller than the padded dimension (" + std::to_string(H) + ", " +
               std::to_string(W) + "), got " + quad_str(pads));
  if (s.mode != nne::PadMode::constant)  // the mirrored/replicated source must exist: no pad beyond a crop
    expect(pads[0] > -W && pads[1] > -W && pads[2] > -H && pads[3] > -H,
           "pad: negative pads must leave part of the input, got " + quad_str(pads));
  s.NC = plane_count(N, C, H, W, s.P, s.Q), s.H = H, s.W = W;
  s.top = pads[2], s.left = pads[0];
  s.value = static_cast<float>(value);
  return s;
}

}  // namespace
}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(pad) {
  m.def(
      "pad_forward",
      [](const py::object& xo, Quad pads, const std::string& mode, double value, bool reference) {
        auto x = arr<float>(xo, "x", 4);
        const auto s = pad_shape(x.shape(0), x.shape(1), x.shape(2), x.shape(3), pads, mode, value);
        auto y = empty<float>(dims({x.shape(0), x.shape(1), s.P, s.Q}));
        const float* px = x.data();
        float* py_ = y.mutable_data();
        {
          KernelCall nogil;
          reference ? nne::pad_forward_reference(py_, px, s) : nne::pad_kernels().forward(py_, px, s);
        }
        return y;
      },
      py::arg("x"), py::arg("pad"), py::arg("mode") = "constant", py::arg("value") = 0.0,
      py::arg("reference") = false,
      "Pad the last two dims of x (N,C,H,W) by pad = (left, right, top, bottom), mode 'constant', 'reflect' "
      "or 'replicate'.");

  m.def(
      "pad_backward",
      [](const py::object& dyo, Pair input_hw, Quad pads, const std::string& mode, bool reference) {
        auto dy = arr<float>(dyo, "dy", 4);
        check_pair(input_hw, "input_hw", 1);
        const auto s = pad_shape(dy.shape(0), dy.shape(1), input_hw[0], input_hw[1], pads, mode, 0.0);
        expect_shape(dy, "dy", {dy.shape(0), dy.shape(1), s.P, s.Q});
        auto dx = empty<float>(dims({dy.shape(0), dy.shape(1), s.H, s.W}));
        const float* pdy = dy.data();
        float* pdx = dx.mutable_data();
        {
          KernelCall nogil;
          reference ? nne::pad_backward_reference(pdx, pdy, s) : nne::pad_kernels().backward(pdx, pdy, s);
        }
        return dx;
      },
      py::arg("dy"), py::arg("input_hw"), py::arg("pad"), py::arg("mode") = "constant", py::arg("reference") = false,
      "dx of pad given dy (N,C,P,Q), the input's (H, W) and the pads.");
}
