// Bindings of the layer/group/instance norm kernels: x is (N, G, K, L) (callers reshape; see layernorm.h).
#include <cmath>
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/layernorm.h"

using namespace nne_bind;

namespace {

nne::LayerNormShape ln_shape(const py::array& x) {
  nne::LayerNormShape s;
  s.N = x.shape(0), s.G = x.shape(1), s.K = x.shape(2), s.L = x.shape(3);
  expect(s.G >= 1 && s.K >= 1 && s.L >= 1,
         "x: expected at least one value per normalised row (dimensions 1-3 >= 1), got shape " + shape_str(x));
  return s;
}

// A length-C float32 vector or null for None.
const float* opt_vec(const py::object& o, const char* name, int64_t C, py::array_t<float>& keep) {
  if (o.is_none()) return nullptr;
  keep = arr<float>(o, name, 1);
  expect_shape(keep, name, {C});
  return keep.data();
}

}  // namespace

NNE_BIND_FAMILY(layernorm) {
  m.def(
      "layernorm_forward",
      [](const py::object& xo, const py::object& wo, const py::object& bo, double eps, bool reference) {
        auto x = arr<float>(xo, "x", 4);
        auto s = ln_shape(x);
        expect(std::isfinite(eps) && eps >= 0.0, "eps: expected a finite value >= 0, got " + std::to_string(eps));
        s.eps = static_cast<float>(eps);
        py::array_t<float> kw, kb;
        const float* pw = opt_vec(wo, "weight", s.G * s.K, kw);
        const float* pb = opt_vec(bo, "bias", s.G * s.K, kb);
        auto y = empty<float>(dims({s.N, s.G, s.K, s.L}));
        auto mean = empty<float>(dims({s.N, s.G})), rstd = empty<float>(dims({s.N, s.G}));
        auto var = empty<float>(dims({s.N, s.G}));
        const float* px = x.data();
        float *py_ = y.mutable_data(), *pm = mean.mutable_data(), *pr = rstd.mutable_data(), *pv = var.mutable_data();
        {
          KernelCall nogil;
          if (reference)
            nne::layernorm_forward_reference(py_, pm, pr, pv, px, pw, pb, s);
          else
            nne::layernorm_kernels().forward(py_, pm, pr, pv, px, pw, pb, s);
        }
        return py::make_tuple(y, mean, rstd, var);
      },
      py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("eps"), py::arg("reference") = false,
      "(y, mean, rstd, biased var) of the per-row normalisation of x (N, G, K, L); weight/bias (G*K,) or None.");

  m.def(
      "layernorm_backward",
      [](const py::object& dyo, const py::object& xo, const py::object& mo, const py::object& ro,
         const py::object& wo, bool need_input, bool need_weight, bool need_bias, bool reference) {
        auto dy = arr<float>(dyo, "dy", 4);
        auto x = arr<float>(xo, "x", 4);
        const auto s = ln_shape(x);
        expect_shape(dy, "dy", {s.N, s.G, s.K, s.L});
        auto mean = arr<float>(mo, "mean", 2), rstd = arr<float>(ro, "rstd", 2);
        expect_shape(mean, "mean", {s.N, s.G});
        expect_shape(rstd, "rstd", {s.N, s.G});
        py::array_t<float> kw;
        const float* pw = opt_vec(wo, "weight", s.G * s.K, kw);
        float *pdx, *pdw, *pdb;
        py::object dxo = maybe_empty(need_input, dims({s.N, s.G, s.K, s.L}), pdx);
        py::object dwo = maybe_empty(need_weight, dims({s.G * s.K}), pdw);
        py::object dbo = maybe_empty(need_bias, dims({s.G * s.K}), pdb);
        const float *pdy = dy.data(), *px = x.data(), *pm = mean.data(), *pr = rstd.data();
        {
          KernelCall nogil;
          if (reference)
            nne::layernorm_backward_reference(pdx, pdw, pdb, pdy, px, pm, pr, pw, s);
          else
            nne::layernorm_kernels().backward(pdx, pdw, pdb, pdy, px, pm, pr, pw, s);
        }
        return py::make_tuple(dxo, dwo, dbo);
      },
      py::arg("dy"), py::arg("x"), py::arg("mean"), py::arg("rstd"), py::arg("weight"), py::arg("need_input") = true,
      py::arg("need_weight") = true, py::arg("need_bias") = true, py::arg("reference") = false,
      "(dx, dweight, dbias) of the per-row normalisation; None where not requested.");
}
