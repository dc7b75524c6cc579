// Bindings of the interpolate kernels: validate, allocate outputs, release the GIL, run.
#include <pybind11/stl.h>

#include <array>
#include <cmath>
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "bindings/plane_args.h"
#include "kernels/interpolate.h"

namespace nne_bind {
namespace {

nne::InterpShape interp_shape(int64_t N, int64_t C, int64_t H, int64_t W, const Pair& out, const std::string& mode,
                              bool align_corners, const std::array<double, 2>& scales) {
  nne::InterpShape s;
  s.mode = choice(mode, "mode", {"nearest", "bilinear"}) == 0 ? nne::InterpMode::nearest : nne::InterpMode::bilinear;
  expect(!(align_corners && s.mode == nne::InterpMode::nearest),
         "align_corners: only valid for mode 'bilinear', got mode 'nearest'");
  check_pair(out, "output_size", 1);
  check_plane(H, W);
  for (double v : scales)
    expect(std::isfinite(v) && v >= 0.0, "scale_factor: expected finite values >= 0 (0: none), got " +
                                             std::to_string(v));
  s.NC = plane_count(N, C, H, W, out[0], out[1]), s.H = H, s.W = W, s.P = out[0], s.Q = out[1];
  s.align_corners = align_corners;
  s.scale_h = scales[0], s.scale_w = scales[1];
  return s;
}

}  // namespace
}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(interpolate) {
  m.def(
      "interpolate_forward",
      [](const py::object& xo, Pair output_size, const std::string& mode, bool align_corners,
         std::array<double, 2> scales, bool reference) {
        auto x = arr<float>(xo, "x", 4);
        const auto s = interp_shape(x.shape(0), x.shape(1), x.shape(2), x.shape(3), output_size, mode, align_corners,
                                    scales);
        auto y = empty<float>(dims({x.shape(0), x.shape(1), s.P, s.Q}));
        const float* px = x.data();
        float* py_ = y.mutable_data();
        {
          KernelCall nogil;
          reference ? nne::interpolate_forward_reference(py_, px, s) : nne::interpolate_kernels().forward(py_, px, s);
        }
        return y;
      },
      py::arg("x"), py::arg("output_size"), py::arg("mode") = "nearest", py::arg("align_corners") = false,
      py::arg("scales") = std::array<double, 2>{0.0, 0.0}, py::arg("reference") = false,
      "Resample x (N,C,H,W) to output_size with 'nearest' or 'bilinear' (torch's index rules; scales are the "
      "user's scale_factor per dimension, 0 when the size was given).");

  m.def(
      "interpolate_backward",
      [](const py::object& dyo, Pair input_hw, const std::string& mode, bool align_corners,
         std::array<double, 2> scales, bool reference) {
        auto dy = arr<float>(dyo, "dy", 4);
        check_pair(input_hw, "input_hw", 1);
        const auto s = interp_shape(dy.shape(0), dy.shape(1), input_hw[0], input_hw[1], {dy.shape(2), dy.shape(3)},
                                    mode, align_corners, scales);
        auto dx = empty<float>(dims({dy.shape(0), dy.shape(1), s.H, s.W}));
        const float* pdy = dy.data();
        float* pdx = dx.mutable_data();
        {
          KernelCall nogil;
          reference ? nne::interpolate_backward_reference(pdx, pdy, s)
                    : nne::interpolate_kernels().backward(pdx, pdy, s);
        }
        return dx;
      },
      py::arg("dy"), py::arg("input_hw"), py::arg("mode") = "nearest", py::arg("align_corners") = false,
      py::arg("scales") = std::array<double, 2>{0.0, 0.0}, py::arg("reference") = false,
      "dx of interpolate given dy (N,C,P,Q) and the input's (H, W).");
}
