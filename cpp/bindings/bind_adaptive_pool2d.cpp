// Bindings of the adaptive pooling kernels: validate, allocate outputs, release the GIL, run.
#include <pybind11/stl.h>

#include <array>
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "bindings/plane_args.h"
#include "kernels/adaptive_pool2d.h"

namespace nne_bind {
namespace {

bool is_max(const std::string& kind) { return choice(kind, "kind", {"max", "avg"}) == 0; }

nne::AdaptivePool2dShape adaptive_shape(int64_t N, int64_t C, int64_t H, int64_t W, const Pair& out) {
  check_pair(out, "output_size", 1);
  check_plane(H, W);
  check_indexed_plane(H, W);
  nne::AdaptivePool2dShape s;
  s.NC = plane_count(N, C, H, W, out[0], out[1]), s.H = H, s.W = W, s.P = out[0], s.Q = out[1];
  return s;
}

}  // namespace
}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(adaptive_pool2d) {
  m.def(
      "adaptive_pool2d_forward",
      [](const py::object& xo, const std::string& kind, Pair output_size, bool with_indices, bool reference) {
        const bool mx = is_max(kind);
        auto x = arr<float>(xo, "x", 4);
        const auto s = adaptive_shape(x.shape(0), x.shape(1), x.shape(2), x.shape(3), output_size);
        auto y = empty<float>(dims({x.shape(0), x.shape(1), s.P, s.Q}));
        int32_t* pi;
        py::object io = maybe_empty(with_indices && mx, dims({x.shape(0), x.shape(1), s.P, s.Q}), pi);
        const float* px = x.data();
        float* py_ = y.mutable_data();
        {
          KernelCall nogil;
          if (mx)
            reference ? nne::adaptive_pool2d_forward_max_reference(py_, pi, px, s)
                      : nne::adaptive_pool2d_kernels().forward_max(py_, pi, px, s);
          else
            reference ? nne::adaptive_pool2d_forward_avg_reference(py_, px, s)
                      : nne::adaptive_pool2d_kernels().forward_avg(py_, px, s);
        }
        return py::make_tuple(y, io);
      },
      py::arg("x"), py::arg("kind"), py::arg("output_size"), py::arg("with_indices") = false,
      py::arg("reference") = false,
      "(y, indices) of adaptive max/avg pooling of x (N,C,H,W) to output_size; indices (int32 plane index "
      "h*W + w) only for max with with_indices=True, else None.");

  m.def(
      "adaptive_pool2d_backward",
      [](const py::object& dyo, const std::string& kind, const py::object& idxo, Pair input_hw, bool reference) {
        const bool mx = is_max(kind);
        auto dy = arr<float>(dyo, "dy", 4);
        check_pair(input_hw, "input_hw", 1);
        const auto s = adaptive_shape(dy.shape(0), dy.shape(1), input_hw[0], input_hw[1], {dy.shape(2), dy.shape(3)});
        auto idx = plane_indices(idxo, mx, dy, "adaptive max pooling");
        const int32_t* pi = mx ? idx.data() : nullptr;
        if (pi) check_plane_indices(pi, s.NC * s.P * s.Q, s.H * s.W);
        auto dx = empty<float>(dims({dy.shape(0), dy.shape(1), s.H, s.W}));
        const float* pdy = dy.data();
        float* pdx = dx.mutable_data();
        {
          KernelCall nogil;
          if (mx)
            reference ? nne::adaptive_pool2d_backward_max_reference(pdx, pdy, pi, s)
                      : nne::adaptive_pool2d_kernels().backward_max(pdx, pdy, pi, s);
          else
            reference ? nne::adaptive_pool2d_backward_avg_reference(pdx, pdy, s)
                      : nne::adaptive_pool2d_kernels().backward_avg(pdx, pdy, s);
        }
        return dx;
      },
      py::arg("dy"), py::arg("kind"), py::arg("indices"), py::arg("input_hw"), py::arg("reference") = false,
      "dx of adaptive max/avg pooling given dy (N,C,P,Q), the max's indices and the input's (H, W).");
}
