// Bindings of the activation family: elementwise activations and PReLU.
#include <string>

#include "bindings/bind.h"
#include "bindings/act_args.h"
#include "bindings/bind_util.h"
#include "kernels/activation.h"

using namespace nne_bind;

namespace {

nne::ActParams act_params(const std::string& kind, double alpha, double beta) {
  nne::ActParams p;
  p.kind = act_kind_arg(kind);
  p.alpha = static_cast<float>(alpha);
  p.beta = static_cast<float>(beta);
  return p;
}

}  // namespace

NNE_BIND_FAMILY(activation) {
  m.def("activation_forward", [](const py::object& xo, const std::string& kind, double alpha, double beta, bool reference) {
    auto x = arr<float>(xo, "x");
    auto y = empty<float>(shape_of(x));
    const auto p = act_params(kind, alpha, beta);
    const float* px = x.data();
    float* py_ = y.mutable_data();
    const int64_t n = x.size();
    {
      KernelCall nogil;
      if (reference) nne::activation_forward_reference(py_, px, n, p);
      else nne::activation_kernels().forward(py_, px, n, p);
    }
    return y;
  }, py::arg("x"), py::arg("kind"), py::arg("alpha") = 0.0, py::arg("beta") = 0.0, py::arg("reference") = false,
     "y = f(x) for the activation named kind ('relu', 'gelu_tanh'... see kernels/activation.h; alpha/beta its parameters).");

  m.def("activation_backward", [](const py::object& dyo, const py::object& xo, const py::object& yo, const std::string& kind, double alpha,
                           double beta, bool reference) {
    auto dy = arr<float>(dyo, "dy");
    const auto p = act_params(kind, alpha, beta);
    const bool need_x = nne::act_needs_x(p.kind), need_y = nne::act_needs_y(p.kind);
    py::array_t<float> x, y;
    if (need_x) { x = arr<float>(xo, "x"); same_shape(dy, "dy", x, "x"); }
    if (need_y) { y = arr<float>(yo, "y"); same_shape(dy, "dy", y, "y"); }
    auto dx = empty<float>(shape_of(dy));
    const float* pdy = dy.data();
    const float* px = need_x ? x.data() : nullptr;
    const float* py_ = need_y ? y.data() : nullptr;
    float* pdx = dx.mutable_data();
    const int64_t n = dy.size();
    {
      KernelCall nogil;
      if (reference) nne::activation_backward_reference(pdx, pdy, px, py_, n, p);
      else nne::activation_kernels().backward(pdx, pdy, px, py_, n, p);
    }
    return dx;
  }, py::arg("dy"), py::arg("x") = py::none(), py::arg("y") = py::none(), py::arg("kind"), py::arg("alpha") = 0.0,
     py::arg("beta") = 0.0, py::arg("reference") = false);

  m.def("prelu_forward", [](const py::object& xo, const py::object& wo, bool reference) {
    auto x = arr<float>(xo, "x", 3);
    auto w = arr<float>(wo, "weight", 1);
    nne::PreluShape s;
    s.N = x.shape(0), s.C = x.shape(1), s.L = x.shape(2);
    expect_shape(w, "weight", {s.C});
    auto y = empty<float>(shape_of(x));
    const float *px = x.data(), *pw = w.data();
    float* py_ = y.mutable_data();
    {
      KernelCall nogil;
      if (reference) nne::activation_forward_prelu_reference(py_, px, pw, s);
      else nne::activation_kernels().forward_prelu(py_, px, pw, s);
    }
    return y;
  }, py::arg("x"), py::arg("weight"), py::arg("reference") = false,
     "PReLU on x (N, C, L) with one slope per channel, weight (C,).");

  m.def("prelu_backward", [](const py::object& dyo, const py::object& xo, const py::object& wo, bool need_input,
                             bool need_weight, bool reference) {
    auto x = arr<float>(xo, "x", 3);
    auto dy = arr<float>(dyo, "dy", 3);
    same_shape(x, "x", dy, "dy");
    auto w = arr<float>(wo, "weight", 1);
    nne::PreluShape s;
    s.N = x.shape(0), s.C = x.shape(1), s.L = x.shape(2);
    expect_shape(w, "weight", {s.C});
    float *pdx, *pdw;
    py::object dxo = maybe_empty(need_input, shape_of(x), pdx), dwo = maybe_empty(need_weight, dims({s.C}), pdw);
    const float *pdy = dy.data(), *px = x.data(), *pw = w.data();
    {
      KernelCall nogil;
      if (reference) nne::activation_backward_prelu_reference(pdx, pdw, pdy, px, pw, s);
      else nne::activation_kernels().backward_prelu(pdx, pdw, pdy, px, pw, s);
    }
    return py::make_tuple(dxo, dwo);
  }, py::arg("dy"), py::arg("x"), py::arg("weight"), py::arg("need_input") = true, py::arg("need_weight") = true,
     py::arg("reference") = false, "(dx, dweight) of PReLU; None where not requested.");
}
