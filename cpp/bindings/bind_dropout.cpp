// Bindings of the dropout kernels.
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/dropout.h"

using namespace nne_bind;

namespace {

nne::DropoutShape dropout_shape(const py::array& a, double p, uint64_t seed) {
  expect(p >= 0.0 && p < 1.0, "p: expected a probability in [0, 1), got " + std::to_string(p));
  expect(a.size() < (int64_t{1} << 32), "x: at most 2^32 - 1 elements are supported");
  nne::DropoutShape s;
  s.n = a.size();
  s.p = static_cast<float>(p);
  s.seed = seed;
  return s;
}

py::array_t<float> run(const py::object& xo, const char* name, double p, uint64_t seed, bool backward,
                       bool reference) {
  auto x = arr<float>(xo, name);
  const auto s = dropout_shape(x, p, seed);
  std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
  auto y = empty<float>(shape);
  const float* px = x.data();
  float* py_ = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    if (reference)
      nne::dropout_forward_reference(py_, px, s);
    else if (backward)
      nne::dropout_kernels().backward(py_, px, s);
    else
      nne::dropout_kernels().forward(py_, px, s);
  }
  return y;
}

}  // namespace

NNE_BIND_FAMILY(dropout) {
  m.def(
      "dropout_forward",
      [](const py::object& x, double p, uint64_t seed, bool reference) { return run(x, "x", p, seed, false, reference); },
      py::arg("x"), py::arg("p"), py::arg("seed"), py::arg("reference") = false,
      "Inverted dropout of x with drop probability p; the mask is a function of (seed, index).");
  m.def(
      "dropout_backward",
      [](const py::object& dy, double p, uint64_t seed) { return run(dy, "dy", p, seed, true, false); },
      py::arg("dy"), py::arg("p"), py::arg("seed"), "dx of dropout: dy through the same (seed) mask.");
}
