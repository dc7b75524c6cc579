// Bindings of the pooling and maxout kernels: validate, allocate outputs, release the GIL, run.
#include <pybind11/stl.h>

#include <array>
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "bindings/plane_args.h"
#include "core/buffer.h"
#include "kernels/activation.h"
#include "kernels/pool2d.h"

namespace nne_bind {
namespace {

int pool_kind(const std::string& kind) { return choice(kind, "kind", {"max", "min", "avg"}); }
// The forward also takes "relu_max" (3): max pooling of relu(x), whose indices pool2d_backward's "max" scatters
// through (the ReLU's mask on dy is the caller's).
int pool_forward_kind(const std::string& kind) { return choice(kind, "kind", {"max", "min", "avg", "relu_max"}); }

nne::Pool2dShape pool_shape(int64_t NC, int64_t H, int64_t W, const Pair& k, const Pair& st, const Pair& pad) {
  check_pair(k, "kernel_size", 1);
  check_pair(st, "stride", 1);
  check_pair(pad, "padding", 0);
  // An empty plane with padding would give windows of padding only (no value to take the max of).
  check_plane(H, W);
  expect(2 * pad[0] <= k[0] && 2 * pad[1] <= k[1],
         "padding: should be at most half of the kernel size " + pair_str(k) + ", got " + pair_str(pad));
  expect(H + 2 * pad[0] >= k[0] && W + 2 * pad[1] >= k[1],
         "input: spatial size (" + std::to_string(H) + ", " + std::to_string(W) + ") plus padding " +
             pair_str(pad) + " is smaller than kernel_size " + pair_str(k));
  nne::Pool2dShape s;
  s.NC = NC, s.H = H, s.W = W, s.kh = k[0], s.kw = k[1], s.sh = st[0], s.sw = st[1], s.ph = pad[0], s.pw = pad[1];
  s.P = (H + 2 * pad[0] - k[0]) / st[0] + 1;
  s.Q = (W + 2 * pad[1] - k[1]) / st[1] + 1;
  check_indexed_plane(s.H, s.W);
  plane_count(NC, 1, s.H, s.W, s.P, s.Q);
  return s;
}

}  // namespace
}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(pool2d) {
  m.def(
      "pool2d_forward",
      [](const py::object& xo, const std::string& kind, Pair kernel_size, Pair stride, Pair padding,
         bool with_indices, bool reference) {
        const int kd = pool_forward_kind(kind);
        auto x = arr<float>(xo, "x", 4);
        const auto s = pool_shape(x.shape(0) * x.shape(1), x.shape(2), x.shape(3), kernel_size, stride, padding);
        auto y = empty<float>(dims({x.shape(0), x.shape(1), s.P, s.Q}));
        int32_t* pi;
        py::object io = maybe_empty(with_indices && kd != 2, dims({x.shape(0), x.shape(1), s.P, s.Q}), pi);
        const float* px = x.data();
        float* py_ = y.mutable_data();
        {
          KernelCall nogil;
          const auto& t = nne::pool2d_kernels();
          if (kd == 2)
            reference ? nne::pool2d_forward_avg_reference(py_, px, s) : t.forward_avg(py_, px, s);
          else if (reference)
            nne::pool2d_forward_max_reference(py_, pi, px, s, kd == 1, kd == 3);
          else
            (kd == 0 ? t.forward_max : kd == 1 ? t.forward_min : t.forward_relu_max)(py_, pi, px, s);
        }
        return py::make_tuple(y, io);
      },
      py::arg("x"), py::arg("kind"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding") = Pair{0, 0},
      py::arg("with_indices") = true, py::arg("reference") = false,
      "(y, indices) of max/min/avg pooling on (N, C, H, W), or 'relu_max': max pooling of relu(x) in one pass; "
      "indices (int32, ih*W+iw) only for max/min/relu_max.");

  m.def(
      "pool2d_backward",
      [](const py::object& dyo, const std::string& kind, const py::object& idxo, Pair input_hw, Pair kernel_size,
         Pair stride, Pair padding, bool reference, const py::object& ro) {
        const int kd = pool_kind(kind);
        auto dy = arr<float>(dyo, "dy", 4);
        check_pair(input_hw, "input_hw", 1);
        const auto s = pool_shape(dy.shape(0) * dy.shape(1), input_hw[0], input_hw[1], kernel_size, stride, padding);
        expect_shape(dy, "dy", {dy.shape(0), dy.shape(1), s.P, s.Q});
        auto idx = plane_indices(idxo, kd != 2, dy, "max/min pooling");
        const int32_t* pi = kd != 2 ? idx.data() : nullptr;
        if (pi) check_plane_indices(pi, s.NC * s.P * s.Q, s.H * s.W);
        py::array_t<float> r;
        if (!ro.is_none()) {
          r = arr<float>(ro, "relu_output", 4);
          expect_shape(r, "relu_output", {dy.shape(0), dy.shape(1), s.P, s.Q});
        }
        const float* pr = ro.is_none() ? nullptr : r.data();
        auto dx = empty<float>(dims({dy.shape(0), dy.shape(1), s.H, s.W}));
        const float* pdy = dy.data();
        float* pdx = dx.mutable_data();
        {
          KernelCall nogil;
          if (pr) {  // pooling of a ReLU's output: dy masked first by the ReLU backward kernel (its bits)
            static thread_local nne::ScratchBuf masked;  // (kept: a fresh block per call would fault its pages in)
            const int64_t n = s.NC * s.P * s.Q;
            float* m = masked.get(static_cast<size_t>(n));
            nne::ActParams ap;
            ap.kind = nne::kActRelu;
            if (reference)
              nne::activation_backward_reference(m, pdy, pr, nullptr, n, ap);
            else
              nne::activation_kernels().backward(m, pdy, pr, nullptr, n, ap);
            pdy = m;
          }
          const auto& t = nne::pool2d_kernels();
          if (kd == 2)
            reference ? nne::pool2d_backward_avg_reference(pdx, pdy, s) : t.backward_avg(pdx, pdy, s);
          else
            reference ? nne::pool2d_backward_max_reference(pdx, pdy, pi, s) : t.backward_max(pdx, pdy, pi, s);
        }
        return dx;
      },
      py::arg("dy"), py::arg("kind"), py::arg("indices"), py::arg("input_hw"), py::arg("kernel_size"),
      py::arg("stride"), py::arg("padding") = Pair{0, 0}, py::arg("reference") = false,
      py::arg("relu_output") = py::none(),
      "dx of max/min/avg pooling; relu_output (the pooled output, shaped like dy): the pooling of relu(x), dy "
      "masked where relu_output > 0 first (the ReLU backward kernel's bits).");

  m.def(
      "maxout_forward",
      [](const py::object& xo, int64_t pieces, bool with_indices, bool reference) {
        auto x = arr<float>(xo, "x", 3);
        check_int(pieces, "pieces", 1);
        expect(x.shape(1) % pieces == 0, "x: dimension of size " + std::to_string(x.shape(1)) +
                                             " is not divisible by pieces=" + std::to_string(pieces));
        nne::MaxoutShape s;
        s.outer = x.shape(0), s.k = x.shape(1) / pieces, s.pieces = pieces, s.inner = x.shape(2);
        auto y = empty<float>(dims({s.outer, s.k, s.inner}));
        int32_t* pi;
        py::object io = maybe_empty(with_indices, dims({s.outer, s.k, s.inner}), pi);
        const float* px = x.data();
        float* py_ = y.mutable_data();
        {
          KernelCall nogil;
          reference ? nne::pool2d_forward_maxout_reference(py_, pi, px, s) : nne::pool2d_kernels().forward_maxout(py_, pi, px, s);
        }
        return py::make_tuple(y, io);
      },
      py::arg("x"), py::arg("pieces"), py::arg("with_indices") = true, py::arg("reference") = false,
      "(y, indices): y[o, j, i] = max_p x[o, j*pieces + p, i] on x viewed as (outer, k*pieces, inner).");

  m.def(
      "maxout_backward",
      [](const py::object& dyo, const py::object& idxo, int64_t pieces, bool reference) {
        auto dy = arr<float>(dyo, "dy", 3);
        auto idx = arr<int32_t>(idxo, "indices", 3);
        check_int(pieces, "pieces", 1);
        expect_shape(idx, "indices", {dy.shape(0), dy.shape(1), dy.shape(2)});
        checked_size({dy.shape(0), dy.shape(1), pieces, dy.shape(2)}, "dx");
        nne::MaxoutShape s;
        s.outer = dy.shape(0), s.k = dy.shape(1), s.pieces = pieces, s.inner = dy.shape(2);
        const int32_t* pi = idx.data();
        bool ok = true;
        for (int64_t i = 0; i < s.outer * s.k * s.inner; ++i) ok &= pi[i] >= 0 && pi[i] < pieces;
        expect(ok, "indices: values must lie in [0, pieces)");
        auto dx = empty<float>(dims({s.outer, s.k * pieces, s.inner}));
        const float* pdy = dy.data();
        float* pdx = dx.mutable_data();
        {
          KernelCall nogil;
          reference ? nne::pool2d_backward_maxout_reference(pdx, pdy, pi, s)
                    : nne::pool2d_kernels().backward_maxout(pdx, pdy, pi, s);
        }
        return dx;
      },
      py::arg("dy"), py::arg("indices"), py::arg("pieces"), py::arg("reference") = false, "dx of maxout.");
}
