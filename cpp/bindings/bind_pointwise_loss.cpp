// Bindings of the pointwise regression losses (smooth_l1, huber): x, y and g are float32 arrays of one shape
// (g may also hold a single value, broadcast).
#include <cmath>
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/pointwise_loss.h"

using namespace nne_bind;

namespace {

nne::PointLossParams pl_params(int kind, double beta) {
  if (kind != nne::kLossSmoothL1 && kind != nne::kLossHuber)
    throw py::value_error("kind: expected 0 (smooth_l1) or 1 (huber), got " + std::to_string(kind));
  if (!(beta > 0.0) || !std::isfinite(beta))
    throw py::value_error(std::string(kind == nne::kLossHuber ? "delta" : "beta") + ": expected a finite value > 0, got " +
                          std::to_string(beta));
  nne::PointLossParams p;
  p.kind = kind;
  p.beta = static_cast<float>(beta);
  return p;
}

}  // namespace

NNE_BIND_FAMILY(pointwise_loss) {
  m.def("pointwise_loss_forward", [](const py::object& xo, const py::object& yo, int kind, double beta,
                                     bool reference) {
    auto x = arr<float>(xo, "input"), y = arr<float>(yo, "target");
    same_shape(x, "input", y, "target");
    const auto p = pl_params(kind, beta);
    auto out = empty<float>(shape_of(x));
    const float *px = x.data(), *pyv = y.data();
    float* po = out.mutable_data();
    const int64_t n = x.size();
    {
      py::gil_scoped_release nogil;
      if (reference) nne::pointwise_loss_forward_reference(po, px, pyv, n, p);
      else nne::pointwise_loss_kernels().forward(po, px, pyv, n, p);
    }
    return out;
  }, py::arg("input"), py::arg("target"), py::arg("kind"), py::arg("beta"), py::arg("reference") = false,
     "Elementwise smooth_l1 (kind 0, beta) or huber (kind 1, delta) loss of input - target.");

  m.def("pointwise_loss_backward", [](const py::object& xo, const py::object& yo, const py::object& go, int kind,
                                      double beta, bool reference) {
    auto x = arr<float>(xo, "input"), y = arr<float>(yo, "target"), g = arr<float>(go, "grad");
    same_shape(x, "input", y, "target");
    if (g.size() != 1) same_shape(x, "input", g, "grad");
    const auto p = pl_params(kind, beta);
    auto dx = empty<float>(shape_of(x));
    const float *px = x.data(), *pyv = y.data(), *pg = g.data();
    float* pd = dx.mutable_data();
    const int64_t n = x.size(), gn = g.size() == 1 ? 1 : n;
    {
      py::gil_scoped_release nogil;
      if (reference) nne::pointwise_loss_backward_reference(pd, px, pyv, pg, gn, n, p);
      else nne::pointwise_loss_kernels().backward(pd, px, pyv, pg, gn, n, p);
    }
    return dx;
  }, py::arg("input"), py::arg("target"), py::arg("grad"), py::arg("kind"), py::arg("beta"),
     py::arg("reference") = false,
     "d loss / d input times grad (one value, broadcast, or one per element); the target's gradient is its negative.");
}
