// gemm_batched: a stack of float32 products c[i] = a[i or 0] @ b[i or 0] in one call (the N-D matmul's batch
// loop in C++, not Python). Each product is the very GEMM call _core.gemm makes for that pair, so a
// batched product is bit-identical to the per-matrix calls; the GIL is released once for the whole stack.
// A batch of 1 on either side broadcasts (stride 0), as numpy's matmul does. bf16=True: each product is
// _core.gemm(..., bf16=True)'s (inputs rounded to bfloat16, float32 sums; autocast's N-D matmul).
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/gemm.h"

using namespace nne_bind;

NNE_BIND_FAMILY(gemm_batched) {
  m.def(
      "gemm_batched",
      [](const py::object& ao, const py::object& bo, bool bf16) {
        check_bf16(bf16);
        auto a = arr<float>(ao, "a", 3);
        auto b = arr<float>(bo, "b", 3);
        const int64_t Ba = a.shape(0), M = a.shape(1), K = a.shape(2);
        const int64_t Bb = b.shape(0), Kb = b.shape(1), N = b.shape(2);
        if (K != Kb)
          throw py::value_error("b: inner dimensions differ: a is (" + std::to_string(Ba) + ", " + std::to_string(M) +
                                ", " + std::to_string(K) + "), b is " + shape_str(b));
        if (Ba != Bb && Ba != 1 && Bb != 1)
          throw py::value_error("b: batch sizes " + std::to_string(Ba) + " and " + std::to_string(Bb) +
                                " do not broadcast (equal, or one of them 1)");
        const int64_t B = Ba == 1 ? Bb : Ba;  // numpy: 1 broadcasts to the other size, 0 included
        const int64_t out_elems = checked_size({B, M, N}, "output");
        auto c = empty<float>(dims({B, M, N}));
        const float* pa = a.data();
        const float* pb = b.data();
        float* pc = c.mutable_data();
        const int64_t sa = Ba == 1 ? 0 : M * K, sb = Bb == 1 ? 0 : K * N;
        if (out_elems == 0) return c;
        {
          KernelCall nogil;
          for (int64_t i = 0; i < B; ++i) {
            nne::GemmArgs g;
            g.M = M, g.N = N, g.K = K;
            g.A = pa + i * sa, g.lda = K;
            g.B = pb + i * sb, g.ldb = N;
            g.C = pc + i * M * N, g.ldc = N;
            g.bf16 = bf16;
            nne::gemm_kernels().sgemm(g);
          }
        }
        return c;
      },
      py::arg("a"), py::arg("b"), py::arg("bf16") = false,
      "c[i] = a[i] @ b[i] for a (B or 1, M, K), b (B or 1, K, N) float32 -> (B, M, N); each product is _core.gemm's "
      "(bf16=True: in bf16 with float32 sums, see bf16_unavailable_reason()).");
}
