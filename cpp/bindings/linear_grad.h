// The gradients of y = x @ w^T + b (a Linear layer) from gy = dL/dy, as three GEMM calls in one fixed order:
// gx = gy @ w, gw = gy^T @ x, gb = ones(1, M) @ gy (the bias gradient as a GEMM, so its summation order is the
// GEMM's). Shared by the _core.linear_backward binding (LinearFn.backward, eager) and the native training plan
// (bind_plan.cpp), which is why both give the same bits. Shapes: gy (M, N), x (M, K), w (N, K); a null output
// is not computed. Call without the GIL.
#pragma once

#include <cstdint>
#include <vector>

#include "core/buffer.h"
#include "kernels/activation.h"
#include "kernels/gemm.h"

namespace nne_bind {

// C (M x N, row-major, ldc N) = op(A) @ B, exactly as the _core.gemm binding calls the kernel.
inline void gemm_into(bool trans_a, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                      int64_t ldb, float* C, bool bf16 = false) {
  nne::GemmArgs g;
  g.trans_a = trans_a;
  g.M = M, g.N = N, g.K = K;
  g.A = A, g.lda = lda, g.B = B, g.ldb = ldb, g.C = C, g.ldc = N;
  g.bf16 = bf16;
  nne::gemm_kernels().sgemm(g);
}

// bf16 (autocast): gx and gw as bf16 products with float32 sums; the bias gradient stays float32.
// relu_y (M, N), or null: the gradients of relu(x @ w^T + b) whose output is relu_y -- gy is first masked
// (gy where relu_y > 0, else 0) by the ReLU backward kernel, the bits of the ReLU's own backward (relu_y > 0
// exactly where its input is > 0, NaN included), so the masked gradient is what separate ReLU and Linear
// nodes would pass on.
inline void linear_grads(const float* gy, const float* x, const float* w, int64_t M, int64_t N, int64_t K,
                         float* gx, float* gw, float* gb, bool bf16 = false, const float* relu_y = nullptr) {
  if (relu_y) {
    static thread_local nne::ScratchBuf masked;  // (kept: a fresh block per call would fault its pages in)
    float* m = masked.get(static_cast<size_t>(M * N));
    nne::ActParams p;
    p.kind = nne::kActRelu;
    nne::activation_kernels().backward(m, gy, relu_y, nullptr, M * N, p);
    gy = m;
  }
  if (gx) gemm_into(false, M, K, N, gy, N, w, K, gx, bf16);
  if (gw) gemm_into(true, N, K, M, gy, N, x, K, gw, bf16);
  if (gb) {
    const std::vector<float> ones(static_cast<size_t>(M), 1.0f);
    gemm_into(false, 1, N, M, ones.data(), M, gy, N, gb);
  }
}

}  // namespace nne_bind
