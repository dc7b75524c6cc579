// Bindings: elementwise activations, softmax / log-softmax, fused cross-entropy.
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/activation.h"
#include "kernels/softmax_loss.h"

using namespace nne_bind;

namespace {

nne::ActParams act_params(int kind, double alpha, double beta) {
  if (kind < nne::kActRelu || kind > nne::kActLast)
    throw py::value_error("kind: expected an activation code 0.." + std::to_string(nne::kActLast) + ", got " +
                          std::to_string(kind));
  nne::ActParams p;
  p.kind = kind;
  p.alpha = static_cast<float>(alpha);
  p.beta = static_cast<float>(beta);
  return p;
}

nne::AxisShape axis_shape(const py::array& a, int dim) {
  if (a.ndim() == 0) throw py::value_error("x: expected at least 1 dimension, got a 0-d array");
  if (dim < 0 || dim >= a.ndim())
    throw py::value_error("dim: expected 0 <= dim < " + std::to_string(a.ndim()) + ", got " + std::to_string(dim));
  nne::AxisShape s;
  for (int i = 0; i < dim; ++i) s.outer *= a.shape(i);
  s.n = a.shape(dim);
  for (int i = dim + 1; i < a.ndim(); ++i) s.inner *= a.shape(i);
  return s;
}

}  // namespace

NNE_BIND_FAMILY(activation) {
  m.def("act_forward", [](const py::object& xo, int kind, double alpha, double beta, bool reference) {
    auto x = arr<float>(xo, "x");
    auto y = empty<float>(shape_of(x));
    const auto p = act_params(kind, alpha, beta);
    const float* px = x.data();
    float* py_ = y.mutable_data();
    const int64_t n = x.size();
    {
      py::gil_scoped_release nogil;
      if (reference) nne::act_forward_reference(py_, px, n, p);
      else nne::activation_kernels().forward(py_, px, n, p);
    }
    return y;
  }, py::arg("x"), py::arg("kind"), py::arg("alpha") = 0.0, py::arg("beta") = 0.0, py::arg("reference") = false,
     "y = f(x) for activation code kind (see kernels/activation.h; alpha/beta its parameters).");

  m.def("act_backward", [](const py::object& dyo, const py::object& xo, const py::object& yo, int kind, double alpha,
                           double beta, bool reference) {
    auto dy = arr<float>(dyo, "dy");
    const auto p = act_params(kind, alpha, beta);
    const bool need_x = nne::act_needs_x(kind), need_y = nne::act_needs_y(kind);
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
      py::gil_scoped_release nogil;
      if (reference) nne::act_backward_reference(pdx, pdy, px, py_, n, p);
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
      py::gil_scoped_release nogil;
      if (reference) nne::prelu_forward_reference(py_, px, pw, s);
      else nne::activation_kernels().prelu_forward(py_, px, pw, s);
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
      py::gil_scoped_release nogil;
      if (reference) nne::prelu_backward_reference(pdx, pdw, pdy, px, pw, s);
      else nne::activation_kernels().prelu_backward(pdx, pdw, pdy, px, pw, s);
    }
    return py::make_tuple(dxo, dwo);
  }, py::arg("dy"), py::arg("x"), py::arg("weight"), py::arg("need_input") = true, py::arg("need_weight") = true,
     py::arg("reference") = false, "(dx, dweight) of PReLU; None where not requested.");

  m.def("softmax_forward", [](const py::object& xo, int dim, bool log, bool reference) {
    auto x = arr<float>(xo, "x");
    const auto s = axis_shape(x, dim);
    auto y = empty<float>(shape_of(x));
    const float* px = x.data();
    float* py_ = y.mutable_data();
    {
      py::gil_scoped_release nogil;
      if (reference) nne::softmax_forward_reference(py_, px, s, log);
      else nne::softmax_kernels().softmax_forward(py_, px, s, log);
    }
    return y;
  }, py::arg("x"), py::arg("dim"), py::arg("log") = false, py::arg("reference") = false);

  m.def("softmax_backward", [](const py::object& dyo, const py::object& yo, int dim, bool log) {
    auto dy = arr<float>(dyo, "dy");
    auto y = arr<float>(yo, "y");
    same_shape(dy, "dy", y, "y");
    const auto s = axis_shape(y, dim);
    auto dx = empty<float>(shape_of(y));
    const float* pdy = dy.data();
    const float* py_ = y.data();
    float* pdx = dx.mutable_data();
    {
      py::gil_scoped_release nogil;
      nne::softmax_kernels().softmax_backward(pdx, pdy, py_, s, log);
    }
    return dx;
  }, py::arg("dy"), py::arg("y"), py::arg("dim"), py::arg("log") = false);

  m.def("cross_entropy_forward", [](const py::object& xo, const py::object& to, int64_t ignore_index) {
    auto x = arr<float>(xo, "input", 2);
    auto t = arr<int64_t>(to, "target", 1);
    const int64_t rows = x.shape(0), classes = x.shape(1);
    expect_shape(t, "target", {rows});
    if (classes < 1) throw py::value_error("input: expected at least 1 class, got 0");
    const int64_t* pt = t.data();
    for (int64_t r = 0; r < rows; ++r)
      if (pt[r] != ignore_index && (pt[r] < 0 || pt[r] >= classes))
        throw py::value_error("target: expected class indices in [0, " + std::to_string(classes) + "), got " +
                              std::to_string(pt[r]) + " at position " + std::to_string(r));
    auto loss = empty<float>(dims({rows}));
    auto logz = empty<float>(dims({rows}));  // log-sum-exp minus the row max
    const float* px = x.data();
    float* pl = loss.mutable_data();
    float* ps = logz.mutable_data();
    {
      py::gil_scoped_release nogil;
      nne::softmax_kernels().cross_entropy_forward(pl, ps, px, pt, rows, classes, ignore_index);
    }
    return py::make_tuple(loss, logz);
  }, py::arg("input"), py::arg("target"), py::arg("ignore_index") = -100);

  m.def("cross_entropy_backward", [](const py::object& xo, const py::object& lo, const py::object& to,
                                     const py::object& so, int64_t ignore_index) {
    auto x = arr<float>(xo, "input", 2);
    const int64_t rows = x.shape(0), classes = x.shape(1);
    auto logz = arr<float>(lo, "logz", 1);
    auto t = arr<int64_t>(to, "target", 1);
    auto sc = arr<float>(so, "row_scale", 1);
    expect_shape(logz, "logz", {rows});
    expect_shape(t, "target", {rows});
    expect_shape(sc, "row_scale", {rows});
    const int64_t* pt = t.data();
    for (int64_t r = 0; r < rows; ++r)
      if (pt[r] != ignore_index && (pt[r] < 0 || pt[r] >= classes))
        throw py::value_error("target: expected class indices in [0, " + std::to_string(classes) + "), got " +
                              std::to_string(pt[r]));
    auto dx = empty<float>(dims({rows, classes}));
    const float* px = x.data();
    const float* pl = logz.data();
    const float* ps = sc.data();
    float* pd = dx.mutable_data();
    {
      py::gil_scoped_release nogil;
      nne::softmax_kernels().cross_entropy_backward(pd, px, pl, pt, ps, rows, classes, ignore_index);
    }
    return dx;
  }, py::arg("input"), py::arg("logz"), py::arg("target"), py::arg("row_scale"), py::arg("ignore_index") = -100);
}
