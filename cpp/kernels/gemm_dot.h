// GEMM for a few rows times a transposed B (private to gemm.cpp, compiled once per ISA with it).
//
// C = op(A) B^T with B stored N x K (a Linear layer's weight) and few rows of C (batch-1..16 inference):
// every output is the dot product of two contiguous rows, so B is read in place, once per group of
// up to four rows, instead of being transposed into panels (which would cost more than the product).
// Lanes run along k and are summed at the end, so this path's k order differs from the tiled one's:
// a row's bits here can differ in the last place from the same row computed in a bigger call. The
// row-count invariance of gemm.h holds for a non-transposed B, which is what streaming kernels use.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/buffer.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

constexpr int64_t kDotRows = 16; // up to this many rows of C with a transposed B: dot products
constexpr int kDotCols = 4;      // columns of C (rows of B) per register block

// C[rows][j0 .. j0 + kDotCols) for MB rows of op(A) (row-major, row stride K, in `a`) and the rows
// j of B; only the first `cols` columns are stored.
template <int MB>
void dot_block(const GemmArgs& g, const float* a, int64_t i0, int64_t j0, int cols) {
  const int64_t K = g.K;
  const float* b[kDotCols];
  for (int c = 0; c < kDotCols; ++c) b[c] = g.B + (j0 + std::min(c, cols - 1)) * g.ldb;
  VecF acc[MB][kDotCols];
  for (int r = 0; r < MB; ++r)
    for (int c = 0; c < kDotCols; ++c) acc[r][c] = vzero();
  int64_t k = 0;
  for (; k + kLanes <= K; k += kLanes) {
    VecF bv[kDotCols];
    for (int c = 0; c < kDotCols; ++c) bv[c] = vload(b[c] + k);
    for (int r = 0; r < MB; ++r) {
      const VecF av = vload(a + r * K + k);
      for (int c = 0; c < kDotCols; ++c) acc[r][c] = vfma(av, bv[c], acc[r][c]);
    }
  }
  if (k < K) {
    const int n = static_cast<int>(K - k);
    VecF bv[kDotCols];
    for (int c = 0; c < kDotCols; ++c) bv[c] = vload_n(b[c] + k, n);
    for (int r = 0; r < MB; ++r) {
      const VecF av = vload_n(a + r * K + k, n);
      for (int c = 0; c < kDotCols; ++c) acc[r][c] = vfma(av, bv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < MB; ++r) {
    float* ci = g.C + (i0 + r) * g.ldc + j0;
    for (int c = 0; c < cols; ++c) {
      float v = g.alpha * vsum(acc[r][c]);
      if (g.beta != 0.f) v = g.beta * ci[c] + v;
      if (g.bias_row) v = v + g.bias_row[i0 + r];
      if (g.bias_col) v = v + g.bias_col[j0 + c];
      ci[c] = v;
    }
  }
}

// Few rows (M <= kDotRows), trans_b. Threads split the columns; each output is computed the same way
// whatever the split, so results are bit-identical at any thread count.
void gemm_dot(const GemmArgs& g) {
  const int64_t M = g.M, N = g.N, K = g.K;
  static thread_local ScratchBuf abuf;
  const float* a = g.A;
  if (g.trans_a || g.lda != K) {  // gather op(A)'s rows contiguously (M x K: small)
    float* t = abuf.get(static_cast<size_t>(M * K));
    for (int64_t i = 0; i < M; ++i)
      for (int64_t k = 0; k < K; ++k) t[i * K + k] = g.trans_a ? g.A[k * g.lda + i] : g.A[i * g.lda + k];
    a = t;
  }
  const int64_t blocks = (N + kDotCols - 1) / kDotCols;
  // At least 2^20 flops a chunk (~10-30 us at this path's bandwidth-bound rate): below that, handing a chunk to
  // a second thread costs more than it saves (Zen 4, 2 threads, 1x512x512: 24-42 us wall with one chunk,
  // 24-48 us with four chunks of 2^17, torch 34-74 us, in the same minutes).
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 20) / std::max<int64_t>(1, 2 * M * K * kDotCols));
  parallel_for(0, blocks, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t bk = b0; bk < b1; ++bk) {
      const int64_t j0 = bk * kDotCols;
      const int cols = static_cast<int>(std::min<int64_t>(kDotCols, N - j0));
      for (int64_t i = 0; i < M; i += 4) {
        switch (std::min<int64_t>(4, M - i)) {
          case 1: dot_block<1>(g, a + i * K, i, j0, cols); break;
          case 2: dot_block<2>(g, a + i * K, i, j0, cols); break;
          case 3: dot_block<3>(g, a + i * K, i, j0, cols); break;
          default: dot_block<4>(g, a + i * K, i, j0, cols); break;
        }
      }
    }
  });
}

}  // namespace
}  // namespace NNE_ISA_NS
}  // namespace nne
