// Bindings of the batch-norm kernels: x is (N, C, L) (callers reshape 2-D and 4-D inputs).
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/batchnorm.h"

using namespace nne_bind;

namespace {

nne::BatchNormShape bn_shape(const py::array& x, double eps) {
  expect(eps > 0.0, "eps: expected a positive value, got " + std::to_string(eps));
  nne::BatchNormShape s;
  s.N = x.shape(0), s.C = x.shape(1), s.L = x.shape(2), s.eps = static_cast<float>(eps);
  return s;
}

// A length-C float32 vector or null for None.
const float* opt_channel(const py::object& o, const char* name, int64_t C, py::array_t<float>& keep) {
  if (o.is_none()) return nullptr;
  keep = arr<float>(o, name, 1);
  expect_shape(keep, name, {C});
  return keep.data();
}

}  // namespace

NNE_BIND_FAMILY(batchnorm) {
  m.def(
      "batchnorm_forward_train",
      [](const py::object& xo, const py::object& wo, const py::object& bo, double eps, bool reference) {
        auto x = arr<float>(xo, "x", 3);
        const auto s = bn_shape(x, eps);
        expect(s.N * s.L > 0, "x: batch statistics need at least one value per channel");
        py::array_t<float> kw, kb;
        const float* pw = opt_channel(wo, "weight", s.C, kw);
        const float* pb = opt_channel(bo, "bias", s.C, kb);
        auto y = empty<float>(dims({s.N, s.C, s.L}));
        auto mean = empty<float>(dims({s.C})), invstd = empty<float>(dims({s.C})), var = empty<float>(dims({s.C}));
        const float* px = x.data();
        float *py_ = y.mutable_data(), *pm = mean.mutable_data(), *pi = invstd.mutable_data(), *pv = var.mutable_data();
        {
          KernelCall nogil;
          if (reference)
            nne::batchnorm_forward_train_reference(py_, pm, pi, pv, px, pw, pb, s);
          else
            nne::batchnorm_kernels().forward_train(py_, pm, pi, pv, px, pw, pb, s);
        }
        return py::make_tuple(y, mean, invstd, var);
      },
      py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("eps"), py::arg("reference") = false,
      "(y, mean, invstd, biased var) of batch norm with batch statistics on x (N, C, L).");

  m.def(
      "batchnorm_forward_eval",
      [](const py::object& xo, const py::object& rmo, const py::object& rvo, const py::object& wo,
         const py::object& bo, double eps) {
        auto x = arr<float>(xo, "x", 3);
        const auto s = bn_shape(x, eps);
        py::array_t<float> km, kv, kw, kb;
        const float* pm = opt_channel(rmo, "running_mean", s.C, km);
        const float* pv = opt_channel(rvo, "running_var", s.C, kv);
        expect(pm && pv, "running_mean/running_var: required in eval mode");
        const float* pw = opt_channel(wo, "weight", s.C, kw);
        const float* pb = opt_channel(bo, "bias", s.C, kb);
        auto y = empty<float>(dims({s.N, s.C, s.L}));
        const float* px = x.data();
        float* py_ = y.mutable_data();
        {
          KernelCall nogil;
          nne::batchnorm_kernels().forward_eval(py_, px, pm, pv, pw, pb, s);
        }
        return y;
      },
      py::arg("x"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight"), py::arg("bias"),
      py::arg("eps"), "Batch norm with running statistics on x (N, C, L).");

  m.def(
      "batchnorm_backward",
      [](const py::object& dyo, const py::object& xo, const py::object& mo, const py::object& io,
         const py::object& wo, bool batch_stats, bool need_input, bool need_weight, bool need_bias, bool reference) {
        auto dy = arr<float>(dyo, "dy", 3);
        auto x = arr<float>(xo, "x", 3);
        expect_shape(dy, "dy", {x.shape(0), x.shape(1), x.shape(2)});
        nne::BatchNormShape s;
        s.N = x.shape(0), s.C = x.shape(1), s.L = x.shape(2);
        py::array_t<float> km, ki, kw;
        const float* pm = opt_channel(mo, "mean", s.C, km);
        const float* pi = opt_channel(io, "invstd", s.C, ki);
        expect(pm && pi, "mean/invstd: required");
        const float* pw = opt_channel(wo, "weight", s.C, kw);
        py::object dxo = py::none(), dwo = py::none(), dbo = py::none();
        float *pdx = nullptr, *pdw = nullptr, *pdb = nullptr;
        if (need_input) {
          auto a = empty<float>(dims({s.N, s.C, s.L}));
          pdx = a.mutable_data();
          dxo = a;
        }
        if (need_weight) {
          auto a = empty<float>(dims({s.C}));
          pdw = a.mutable_data();
          dwo = a;
        }
        if (need_bias) {
          auto a = empty<float>(dims({s.C}));
          pdb = a.mutable_data();
          dbo = a;
        }
        const float *pdy = dy.data(), *px = x.data();
        {
          KernelCall nogil;
          if (reference)
            nne::batchnorm_backward_reference(pdx, pdw, pdb, pdy, px, pm, pi, pw, batch_stats, s);
          else
            nne::batchnorm_kernels().backward(pdx, pdw, pdb, pdy, px, pm, pi, pw, batch_stats, s);
        }
        return py::make_tuple(dxo, dwo, dbo);
      },
      py::arg("dy"), py::arg("x"), py::arg("mean"), py::arg("invstd"), py::arg("weight"), py::arg("batch_stats"),
      py::arg("need_input") = true, py::arg("need_weight") = true, py::arg("need_bias") = true,
      py::arg("reference") = false, "(dx, dweight, dbias) of batch norm; None where not requested.");
}
