// Bindings of the softmax family: softmax / log-softmax along one axis and the fused softmax cross-entropy.
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/softmax.h"

using namespace nne_bind;

namespace {

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

// NLL operands: x (N, C, D...) viewed as (N, C, D), target of N*D class indices (each in [0, C) or
// ignore_index), optional weight (C,).
struct NllOperands {
  py::array_t<float> x, w;
  py::array_t<int64_t> t;
  nne::AxisShape s;
  const float* weight = nullptr;  // null: every class weighs 1
};

NllOperands nll_operands(const py::object& xo, const py::object& to, const py::object& wo, int64_t ignore_index) {
  NllOperands o;
  o.x = arr<float>(xo, "input");
  expect(o.x.ndim() >= 2, "input: expected (N, C) or (N, C, d1, ...), got shape " + shape_str(o.x));
  o.s.outer = o.x.shape(0);
  o.s.n = o.x.shape(1);
  o.s.inner = 1;
  for (py::ssize_t d = 2; d < o.x.ndim(); ++d) o.s.inner *= o.x.shape(d);
  o.t = arr<int64_t>(to, "target", 1);
  expect_shape(o.t, "target", {o.s.outer * o.s.inner});
  const int64_t* pt = o.t.data();
  for (int64_t r = 0; r < o.s.outer * o.s.inner; ++r)
    if (pt[r] != ignore_index && (pt[r] < 0 || pt[r] >= o.s.n))
      throw py::value_error("target: expected class indices in [0, " + std::to_string(o.s.n) + "), got " +
                            std::to_string(pt[r]));
  if (!wo.is_none()) {
    o.w = arr<float>(wo, "weight", 1);
    expect_shape(o.w, "weight", {o.s.n});
    o.weight = o.w.data();
  }
  return o;
}

}  // namespace

NNE_BIND_FAMILY(softmax) {
  m.def("softmax_forward", [](const py::object& xo, int dim, bool log, bool reference) {
    auto x = arr<float>(xo, "x");
    const auto s = axis_shape(x, dim);
    auto y = empty<float>(shape_of(x));
    const float* px = x.data();
    float* py_ = y.mutable_data();
    {
      KernelCall nogil;
      if (reference) nne::softmax_forward_reference(py_, px, s, log);
      else nne::softmax_kernels().forward(py_, px, s, log);
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
      KernelCall nogil;
      nne::softmax_kernels().backward(pdx, pdy, py_, s, log);
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
      KernelCall nogil;
      nne::softmax_kernels().forward_cross_entropy(pl, ps, px, pt, rows, classes, ignore_index);
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
      KernelCall nogil;
      nne::softmax_kernels().backward_cross_entropy(pd, px, pl, pt, ps, rows, classes, ignore_index);
    }
    return dx;
  }, py::arg("input"), py::arg("logz"), py::arg("target"), py::arg("row_scale"), py::arg("ignore_index") = -100);

  m.def("nll_forward", [](const py::object& xo, const py::object& to, const py::object& wo, int64_t ignore_index,
                          bool reference) {
    const NllOperands o = nll_operands(xo, to, wo, ignore_index);
    const int64_t rows = o.s.outer * o.s.inner;
    auto loss = empty<float>(dims({rows}));
    auto row_w = empty<float>(dims({rows}));
    float *pl = loss.mutable_data(), *pw = row_w.mutable_data();
    const float* px = o.x.data();
    const float* wt = o.weight;
    const int64_t* pt = o.t.data();
    {
      KernelCall nogil;
      (reference ? nne::softmax_forward_nll_reference
                 : nne::softmax_kernels().forward_nll)(pl, pw, px, pt, wt, o.s, ignore_index);
    }
    return py::make_tuple(loss, row_w);
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
     py::arg("reference") = false,
     "(per-row loss -input[t]*w[t], per-row weight w[t]) of log-probabilities (N, C, d...), rows in (N, d...) order.");

  m.def("nll_backward", [](const py::object& xo, const py::object& to, const py::object& go, const py::object& wo,
                           int64_t ignore_index, bool reference) {
    const NllOperands o = nll_operands(xo, to, wo, ignore_index);
    const int64_t rows = o.s.outer * o.s.inner;
    auto g = arr<float>(go, "grad", 1);
    if (g.size() != 1) expect_shape(g, "grad", {rows});
    auto dx = empty<float>(shape_of(o.x));
    float* pd = dx.mutable_data();
    const float* wt = o.weight;
    const float* pg = g.data();
    const int64_t* pt = o.t.data();
    const int64_t gn = g.size() == 1 ? 1 : rows;
    {
      KernelCall nogil;
      (reference ? nne::softmax_backward_nll_reference
                 : nne::softmax_kernels().backward_nll)(pd, pt, wt, pg, gn, o.s, ignore_index);
    }
    return dx;
  }, py::arg("input"), py::arg("target"), py::arg("grad"), py::arg("weight") = py::none(),
     py::arg("ignore_index") = -100, py::arg("reference") = false,
     "d loss / d input (input's shape) for grad (one value, broadcast, or one per row).");
}
