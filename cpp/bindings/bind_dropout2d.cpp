// Bindings of the channel dropout kernels.
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_dropout_common.h"
#include "bindings/bind_util.h"
#include "kernels/dropout2d.h"

using namespace nne_bind;

namespace {

py::array_t<float> run(const py::object& xo, const char* name, int64_t planes, double p, uint64_t seed, bool backward,
                       bool reference) {
  auto x = arr<float>(xo, name);
  nne::Dropout2dShape s;
  s.p = dropout_p(p);
  check_int(planes, "planes", 0);
  expect(planes < (int64_t{1} << 32), "planes: at most 2^32 - 1 channels are supported");
  expect((planes == 0 && x.size() == 0) || (planes > 0 && x.size() % planes == 0),
         std::string(name) + ": " + std::to_string(x.size()) + " elements do not split into planes=" +
             std::to_string(planes));
  s.planes = planes;
  s.plane = planes ? x.size() / planes : 0;
  s.seed = seed;
  return run_dropout(x, s, nne::dropout2d_kernels(), backward,
                     reference ? nne::dropout2d_forward_reference : nullptr);
}

}  // namespace

NNE_BIND_FAMILY(dropout2d) {
  m.def(
      "dropout2d_forward",
      [](const py::object& x, int64_t planes, double p, uint64_t seed, bool reference) {
        return run(x, "x", planes, p, seed, false, reference);
      },
      py::arg("x"), py::arg("planes"), py::arg("p"), py::arg("seed"), py::arg("reference") = false,
      "Channel dropout: x viewed as `planes` equal planes (N*C), each zeroed with probability p (mask a function "
      "of (seed, plane index)), the rest scaled by 1/(1-p).");
  m.def(
      "dropout2d_backward",
      [](const py::object& dy, int64_t planes, double p, uint64_t seed) {
        return run(dy, "dy", planes, p, seed, true, false);
      },
      py::arg("dy"), py::arg("planes"), py::arg("p"), py::arg("seed"), "dx of channel dropout: dy through the same mask.");
}
