// linear: the backward of y = x @ w^T + b in one call (LinearFn.backward made three _core.gemm calls, each a
// pybind11 round trip costing more than a small layer's arithmetic). The GEMMs are linear_grad.h's, shared
// with the native training plan, so results are bit-identical to the three separate calls.
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "bindings/linear_grad.h"

using namespace nne_bind;

NNE_BIND_FAMILY(linear) {
  m.def(
      "linear_backward",
      [](const py::object& go, const py::object& xo, const py::object& wo, bool need_x, bool need_w, bool need_b,
         bool bf16, const py::object& ro) {
        check_bf16(bf16);
        auto g = arr<float>(go, "grad_output", 2);
        auto x = arr<float>(xo, "input", 2);
        auto w = arr<float>(wo, "weight", 2);
        const int64_t M = g.shape(0), N = g.shape(1), K = w.shape(1);
        expect(w.shape(0) == N, "weight: expected " + std::to_string(N) + " rows (grad_output's columns), got shape " +
                                    shape_str(w));
        expect_shape(x, "input", {M, K});
        py::array_t<float> r;
        if (!ro.is_none()) {
          r = arr<float>(ro, "relu_output", 2);
          expect_shape(r, "relu_output", {M, N});
        }
        const float* pr = ro.is_none() ? nullptr : r.data();
        py::object gx = py::none(), gw = py::none(), gb = py::none();
        float *px = nullptr, *pw = nullptr, *pb = nullptr;
        if (need_x) {
          auto a = empty<float>(dims({M, K}));
          px = a.mutable_data();
          gx = a;
        }
        if (need_w) {
          auto a = empty<float>(dims({N, K}));
          pw = a.mutable_data();
          gw = a;
        }
        if (need_b) {
          auto a = empty<float>(dims({N}));
          pb = a.mutable_data();
          gb = a;
        }
        const float *pg = g.data(), *pxin = x.data(), *pwin = w.data();
        {
          KernelCall nogil;
          linear_grads(pg, pxin, pwin, M, N, K, px, pw, pb, bf16, pr);
        }
        return py::make_tuple(gx, gw, gb);
      },
      py::arg("grad_output"), py::arg("input"), py::arg("weight"), py::arg("need_input"), py::arg("need_weight"),
      py::arg("need_bias"), py::arg("bf16") = false, py::arg("relu_output") = py::none(),
      "(grad_input (M, K), grad_weight (N, K), grad_bias (N,)) of y = input @ weight.T + bias for grad_output (M, N), "
      "input (M, K), weight (N, K) float32; an output not needed is None; bf16: grad_input and grad_weight as bf16 "
      "products with float32 sums (autocast); relu_output (M, N) float32: the gradients of relu(y) whose output it "
      "is (grad_output masked where relu_output > 0, as the ReLU's own backward does).");
}
