// Bindings of the pointwise losses (smooth_l1, huber, mse), of bce and of kl_div: x, y and g are float32 arrays of one shape
// (g may also hold a single value, broadcast).
#include <cmath>
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/pointwise_loss.h"

using namespace nne_bind;

namespace {

// The loss kind by name, as every kind crosses the binding ('smooth_l1', 'huber'), mapped to the header's enum.
nne::PointLossParams pl_params(const std::string& name, double beta) {
  int kind;
  if (name == "smooth_l1") kind = nne::kLossSmoothL1;
  else if (name == "huber") kind = nne::kLossHuber;
  else throw py::value_error("kind: expected 'smooth_l1' or 'huber', got '" + name + "'");
  if (!(beta > 0.0) || !std::isfinite(beta))
    throw py::value_error(std::string(kind == nne::kLossHuber ? "delta" : "beta") + ": expected a finite value > 0, got " +
                          std::to_string(beta));
  nne::PointLossParams p;
  p.kind = kind;
  p.beta = static_cast<float>(beta);
  return p;
}

// Validated BCE operands: input, target and the optional weight / pos_weight, all of input's shape.
struct BceOperands {
  py::array_t<float> x, t, w, pw;
  nne::BceArgs a;
};

BceOperands bce_operands(const py::object& xo, const py::object& to, const py::object& wo, const py::object& pwo,
                         bool logits) {
  BceOperands o;
  o.x = arr<float>(xo, "input");
  o.t = arr<float>(to, "target");
  same_shape(o.x, "input", o.t, "target");
  if (!wo.is_none()) {
    o.w = arr<float>(wo, "weight");
    same_shape(o.x, "input", o.w, "weight");
    o.a.w = o.w.data();
  }
  if (!pwo.is_none()) {
    if (!logits) throw py::value_error("pos_weight: expected None without logits=True, got an array");
    o.pw = arr<float>(pwo, "pos_weight");
    same_shape(o.x, "input", o.pw, "pos_weight");
    o.a.pw = o.pw.data();
  }
  o.a.x = o.x.data();
  o.a.t = o.t.data();
  o.a.n = o.x.size();
  o.a.logits = logits;
  return o;
}

}  // namespace

NNE_BIND_FAMILY(pointwise_loss) {
  m.def("pointwise_loss_forward", [](const py::object& xo, const py::object& yo, const std::string& kind, double beta,
                                     bool reference) {
    auto x = arr<float>(xo, "input"), y = arr<float>(yo, "target");
    same_shape(x, "input", y, "target");
    const auto p = pl_params(kind, beta);
    auto out = empty<float>(shape_of(x));
    const float *px = x.data(), *pyv = y.data();
    float* po = out.mutable_data();
    const int64_t n = x.size();
    {
      KernelCall nogil;
      if (reference) nne::pointwise_loss_forward_reference(po, px, pyv, n, p);
      else nne::pointwise_loss_kernels().forward(po, px, pyv, n, p);
    }
    return out;
  }, py::arg("input"), py::arg("target"), py::arg("kind"), py::arg("beta"), py::arg("reference") = false,
     "Elementwise 'smooth_l1' (beta) or 'huber' (delta) loss of input - target.");

  m.def("pointwise_loss_backward", [](const py::object& xo, const py::object& yo, const py::object& go,
                                      const std::string& kind,
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
      KernelCall nogil;
      if (reference) nne::pointwise_loss_backward_reference(pd, px, pyv, pg, gn, n, p);
      else nne::pointwise_loss_kernels().backward(pd, px, pyv, pg, gn, n, p);
    }
    return dx;
  }, py::arg("input"), py::arg("target"), py::arg("grad"), py::arg("kind"), py::arg("beta"),
     py::arg("reference") = false,
     "d loss / d input times grad (one value, broadcast, or one per element); the target's gradient is its negative.");

  m.def("mse_forward", [](const py::object& xo, const py::object& yo, bool reference) {
    auto x = arr<float>(xo, "input"), y = arr<float>(yo, "target");
    same_shape(x, "input", y, "target");
    auto out = empty<float>(shape_of(x));
    const float *px = x.data(), *pyv = y.data();
    float* po = out.mutable_data();
    const int64_t n = x.size();
    {
      KernelCall nogil;
      (reference ? nne::pointwise_loss_forward_mse_reference
                 : nne::pointwise_loss_kernels().forward_mse)(po, px, pyv, n);
    }
    return out;
  }, py::arg("input"), py::arg("target"), py::arg("reference") = false,
     "Elementwise squared error (input - target)^2.");

  m.def("mse_backward", [](const py::object& xo, const py::object& yo, const py::object& go, bool reference) {
    auto x = arr<float>(xo, "input"), y = arr<float>(yo, "target"), g = arr<float>(go, "grad");
    same_shape(x, "input", y, "target");
    if (g.size() != 1) same_shape(x, "input", g, "grad");
    auto dx = empty<float>(shape_of(x));
    const float *px = x.data(), *pyv = y.data(), *pg = g.data();
    float* pd = dx.mutable_data();
    const int64_t n = x.size(), gn = g.size() == 1 ? 1 : n;
    {
      KernelCall nogil;
      (reference ? nne::pointwise_loss_backward_mse_reference
                 : nne::pointwise_loss_kernels().backward_mse)(pd, px, pyv, pg, gn, n);
    }
    return dx;
  }, py::arg("input"), py::arg("target"), py::arg("grad"), py::arg("reference") = false,
     "2 ((input - target) times grad) (one value, broadcast, or one per element); the target's gradient is its "
     "negative.");

  m.def("bce_forward", [](const py::object& xo, const py::object& to, const py::object& wo, const py::object& pwo,
                          bool logits, bool reference) {
    const BceOperands o = bce_operands(xo, to, wo, pwo, logits);
    auto out = empty<float>(shape_of(o.x));
    float* po = out.mutable_data();
    {
      KernelCall nogil;
      (reference ? nne::pointwise_loss_forward_bce_reference : nne::pointwise_loss_kernels().forward_bce)(po, o.a);
    }
    return out;
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("pos_weight") = py::none(),
     py::arg("logits") = false, py::arg("reference") = false,
     "Elementwise binary cross-entropy of probabilities (or of logits, logits=True; pos_weight only then).");

  m.def("bce_backward", [](const py::object& xo, const py::object& to, const py::object& go, const py::object& wo,
                           const py::object& pwo, bool logits, bool target_grad, bool reference) {
    const BceOperands o = bce_operands(xo, to, wo, pwo, logits);
    auto g = arr<float>(go, "grad");
    if (g.size() != 1) same_shape(o.x, "input", g, "grad");
    auto dx = empty<float>(shape_of(o.x));
    float* pd = dx.mutable_data();
    float* pt = nullptr;
    py::object dt = maybe_empty(target_grad, shape_of(o.x), pt);
    const float* pg = g.data();
    const int64_t gn = g.size() == 1 ? 1 : o.a.n;
    {
      KernelCall nogil;
      (reference ? nne::pointwise_loss_backward_bce_reference
                 : nne::pointwise_loss_kernels().backward_bce)(pd, pt, pg, gn, o.a);
    }
    return py::make_tuple(dx, dt);
  }, py::arg("input"), py::arg("target"), py::arg("grad"), py::arg("weight") = py::none(),
     py::arg("pos_weight") = py::none(), py::arg("logits") = false, py::arg("target_grad") = false,
     py::arg("reference") = false,
     "(d loss / d input, d loss / d target or None) times grad (one value, broadcast, or one per element).");

  m.def("kl_div_forward", [](const py::object& xo, const py::object& to, bool log_target, bool reference) {
    auto x = arr<float>(xo, "input"), t = arr<float>(to, "target");
    same_shape(x, "input", t, "target");
    auto out = empty<float>(shape_of(x));
    const float *px = x.data(), *pt = t.data();
    float* po = out.mutable_data();
    const int64_t n = x.size();
    {
      KernelCall nogil;
      (reference ? nne::pointwise_loss_forward_kl_reference : nne::pointwise_loss_kernels().forward_kl)(
          po, px, pt, n, log_target);
    }
    return out;
  }, py::arg("input"), py::arg("target"), py::arg("log_target") = false, py::arg("reference") = false,
     "Elementwise Kullback-Leibler divergence of log-probabilities input against target (or log-target).");

  m.def("kl_div_backward", [](const py::object& xo, const py::object& to, const py::object& go, bool log_target,
                              bool target_grad, bool reference) {
    auto x = arr<float>(xo, "input"), t = arr<float>(to, "target"), g = arr<float>(go, "grad");
    same_shape(x, "input", t, "target");
    if (g.size() != 1) same_shape(x, "input", g, "grad");
    auto dx = empty<float>(shape_of(x));
    float* pd = dx.mutable_data();
    float* pdt = nullptr;
    py::object dt = maybe_empty(target_grad, shape_of(x), pdt);
    const float *px = x.data(), *pt = t.data(), *pg = g.data();
    const int64_t n = x.size(), gn = g.size() == 1 ? 1 : n;
    {
      KernelCall nogil;
      (reference ? nne::pointwise_loss_backward_kl_reference : nne::pointwise_loss_kernels().backward_kl)(
          pd, pdt, px, pt, pg, gn, n, log_target);
    }
    return py::make_tuple(dx, dt);
  }, py::arg("input"), py::arg("target"), py::arg("grad"), py::arg("log_target") = false,
     py::arg("target_grad") = false, py::arg("reference") = false,
     "(d loss / d input, d loss / d target or None) times grad (one value, broadcast, or one per element).");
}
