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

}  // namespace

NNE_BIND_FAMILY(softmax) {
  m.def("softmax_forward", [](const py::object& xo, int dim, bool log, bool reference) {
    auto x = arr<float>(xo, "x");
    const auto s = axis_shape(x, dim);
    auto y = empty<float>(shape_of(x));
    const float* px = x.data();
    float* py_ = y.mutable_data();
    {
      py::gil_scoped_release nogil;
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
      py::gil_scoped_release nogil;
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
      py::gil_scoped_release nogil;
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
      py::gil_scoped_release nogil;
      nne::softmax_kernels().backward_cross_entropy(pd, px, pl, pt, ps, rows, classes, ignore_index);
    }
    return dx;
  }, py::arg("input"), py::arg("logz"), py::arg("target"), py::arg("row_scale"), py::arg("ignore_index") = -100);
}
