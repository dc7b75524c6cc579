// Bindings of the dropout kernels.
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_dropout_common.h"
#include "bindings/bind_util.h"
#include "kernels/dropout.h"

using namespace nne_bind;

namespace {

py::array_t<float> run(const py::object& xo, const char* name, double p, uint64_t seed, bool backward,
                       bool reference) {
  auto x = arr<float>(xo, name);
  nne::DropoutShape s;
  s.p = dropout_p(p);
  expect(x.size() < (int64_t{1} << 32), "x: at most 2^32 - 1 elements are supported");
  s.n = x.size();
  s.seed = seed;
  return run_dropout(x, s, nne::dropout_kernels(), backward, reference ? nne::dropout_forward_reference : nullptr);
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
