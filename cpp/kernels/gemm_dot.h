// GEMM for a few rows times a transposed B (private to gemm.cpp, compiled once per ISA with it).
//
// C = op(A) B^T with B stored N x K (a Linear layer's weight) and few rows of C (batch-1..16 inference):
// every output is the dot product of two contiguous rows, so B is read in place, once per group of
// up to four rows, instead of being transposed into panels (which would cost more than the product).
// Lanes run along k and are summed at the end, so this path's k order differs from the tiled one's:
// a row's bits here can differ in the last place from the same row computed in a bigger call. The
// row-count invariance of gemm.h holds for a non-transposed B, which is what streaming kernels use.
//
// kRound: the bf16 compute of gemm_bf16.h for few rows (autocast's batch-1..4 inference, gemm.cpp's
// kBf16DotRows): op(A)'s rows are rounded to bf16 when gathered and B's rows as they are loaded (bf16_round.h),
// so each product is the exact product of two bf16 values, summed in float32, without converting all of B per
// call as the bf16 kernels do.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/buffer.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/bf16_round.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

constexpr int64_t kDotRows = 16; // up to this many rows of C with a transposed B: dot products
constexpr int kDotCols = 4;      // columns of C (rows of B) per register block
#if defined(__AVX512F__)
// 1-2 rows: 8 columns a block (32 registers hold the 16 accumulators and 8 vectors of B). More rows of B
// streamed at once keep more loads in flight: Sapphire Rapids, one thread, 1x512x512 17.4-18.0 -> 15.6-16.5 us,
// 1x256x784 13.4-13.9 -> 11.9-12.7 us; 2 threads 1x512x512 11.3-11.6 -> 10.4-10.9 us.
constexpr int kDotColsFew = 8;
#else
constexpr int kDotColsFew = kDotCols;  // 16 registers: 4 columns
#endif

// C[rows][j0 .. j0 + kDotCols) for MB rows of op(A) (row-major, row stride K, in `a`) and the rows
// j of B; only the first `cols` columns are stored.
template <int MB, bool kRound, int NC = kDotCols>
void dot_block(const GemmArgs& g, const float* a, int64_t i0, int64_t j0, int cols) {
  const int64_t K = g.K;
  const float* b[NC];
  for (int c = 0; c < NC; ++c) b[c] = g.B + (j0 + std::min(c, cols - 1)) * g.ldb;
  VecF acc[MB][NC];
  for (int r = 0; r < MB; ++r)
    for (int c = 0; c < NC; ++c) acc[r][c] = vzero();
  int64_t k = 0;
  for (; k + kLanes <= K; k += kLanes) {
    VecF bv[NC];
    for (int c = 0; c < NC; ++c) bv[c] = kRound ? bf16_round_vec(vload(b[c] + k)) : vload(b[c] + k);
    for (int r = 0; r < MB; ++r) {
      const VecF av = vload(a + r * K + k);
      for (int c = 0; c < NC; ++c) acc[r][c] = vfma(av, bv[c], acc[r][c]);
    }
  }
  if (k < K) {
    const int n = static_cast<int>(K - k);
    VecF bv[NC];
    for (int c = 0; c < NC; ++c) bv[c] = kRound ? bf16_round_vec(vload_n(b[c] + k, n)) : vload_n(b[c] + k, n);
    for (int r = 0; r < MB; ++r) {
      const VecF av = vload_n(a + r * K + k, n);
      for (int c = 0; c < NC; ++c) acc[r][c] = vfma(av, bv[c], acc[r][c]);
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

// The dot kernels' split: threads take blocks of `width` columns of C (each output is computed the same way
// whatever the split); block(mb, i, j0, cols) runs rows [i, i + mb) (mb <= 4) of one.
template <class Block>
void dot_split(int64_t M, int64_t N, int64_t K, int width, const Block& block) {
  const int64_t blocks = (N + width - 1) / width;
  // At least 2^17 flops a chunk (a few us at this path's bandwidth-bound rate). Sapphire Rapids, 2 threads, medians
  // of alternating runs, 2^20 -> 2^17: 1x512x512 14.6 -> 9.2 us, 8x256x784 22.8 -> 18.3, 1x256x784 10.7 -> 8.6
  // (torch 7.2-9.5, 18-19, 7-8), larger products unchanged; on Zen 4 (1x512x512: 24-42 us wall with one chunk,
  // 24-48 us with four chunks of 2^17, torch 34-74 us) the split neither won nor lost.
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 17) / std::max<int64_t>(1, 2 * M * K * width));
  parallel_for(0, blocks, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t bk = b0; bk < b1; ++bk) {
      const int64_t j0 = bk * width;
      const int cols = static_cast<int>(std::min<int64_t>(width, N - j0));
      for (int64_t i = 0; i < M; i += 4) block(std::min<int64_t>(4, M - i), i, j0, cols);
    }
  });
}

// Few rows (M <= kDotRows), trans_b. Threads split the columns; each output is computed the same way
// whatever the split, so results are bit-identical at any thread count.
template <bool kRound>
void gemm_dot(const GemmArgs& g) {
  const int64_t M = g.M, N = g.N, K = g.K;
  static thread_local ScratchBuf abuf;
  const float* a = g.A;
  if (kRound || g.trans_a || g.lda != K) {  // gather op(A)'s rows contiguously (M x K: small)
    float* t = abuf.get(static_cast<size_t>(M * K));
    for (int64_t i = 0; i < M; ++i)
      for (int64_t k = 0; k < K; ++k) t[i * K + k] = g.trans_a ? g.A[k * g.lda + i] : g.A[i * g.lda + k];
    if (kRound) round_bf16(t, M * K);
    a = t;
  }
  if (M <= 2) {  // one block of rows: kDotColsFew columns a block
    return dot_split(M, N, K, kDotColsFew, [&](int64_t mb, int64_t i, int64_t j0, int cols) {
      if (mb == 1)
        dot_block<1, kRound, kDotColsFew>(g, a + i * K, i, j0, cols);
      else
        dot_block<2, kRound, kDotColsFew>(g, a + i * K, i, j0, cols);
    });
  }
  dot_split(M, N, K, kDotCols, [&](int64_t mb, int64_t i, int64_t j0, int cols) {
    switch (mb) {
      case 1: dot_block<1, kRound>(g, a + i * K, i, j0, cols); break;
      case 2: dot_block<2, kRound>(g, a + i * K, i, j0, cols); break;
      case 3: dot_block<3, kRound>(g, a + i * K, i, j0, cols); break;
      default: dot_block<4, kRound>(g, a + i * K, i, j0, cols); break;
    }
  });
}

// 2 * kLanes bf16 values (their bits) as two float32 vectors: the even k (each pair's low half) and the odd k
// (the high half), two integer ops and no shuffle; n < 2 * kLanes: the first n only (read in place up to there).
inline void split_bf16_pairs(const uint16_t* p, int n, VecF* even, VecF* odd) {
  typedef uint32_t U __attribute__((vector_size(kLanes * 4)));
  U u;
  if (n >= 2 * kLanes) {
    std::memcpy(&u, p, sizeof u);
  } else {
    alignas(64) uint16_t t[2 * kLanes] = {};
    std::memcpy(t, p, static_cast<size_t>(n) * 2);
    std::memcpy(&u, t, sizeof u);
  }
  const U lo = u << 16, hi = u & 0xffff0000u;
  std::memcpy(even, &lo, sizeof lo);
  std::memcpy(odd, &hi, sizeof hi);
}

// The rows of C [i0, i0 + MB) x [j0, j0 + cols) from a's rows split into even and odd k per block of 2 * kLanes
// (row stride KP, zero past K) and B's rows as bf16 bits (row stride K).
template <int MB>
void dot_block_w(const float* a, int64_t KP, int64_t K, const uint16_t* w, int64_t N, const float* bias, float* y,
                 int64_t i0, int64_t j0, int cols) {
  const uint16_t* b[kDotCols];
  for (int c = 0; c < kDotCols; ++c) b[c] = w + (j0 + std::min(c, cols - 1)) * K;
  VecF acc[MB][kDotCols];
  for (int r = 0; r < MB; ++r)
    for (int c = 0; c < kDotCols; ++c) acc[r][c] = vzero();
  for (int64_t k = 0; k < K; k += 2 * kLanes) {
    const int n = static_cast<int>(std::min<int64_t>(2 * kLanes, K - k));
    VecF be[kDotCols], bo[kDotCols];
    for (int c = 0; c < kDotCols; ++c) split_bf16_pairs(b[c] + k, n, &be[c], &bo[c]);
    for (int r = 0; r < MB; ++r) {
      const VecF ae = vload(a + r * KP + k), ao = vload(a + r * KP + k + kLanes);
      for (int c = 0; c < kDotCols; ++c) acc[r][c] = vfma(ao, bo[c], vfma(ae, be[c], acc[r][c]));
    }
  }
  for (int r = 0; r < MB; ++r) {
    float* yi = y + (i0 + r) * N + j0;
    for (int c = 0; c < cols; ++c) {
      float v = vsum(acc[r][c]);
      if (bias) v = v + bias[j0 + c];
      yi[c] = v;
    }
  }
}

// GemmKernels::dot_bf16w (gemm.h): x's rows rounded into a scratch copy, then gemm_dot's split and blocks.
void dot_bf16w(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t N, const float* bias, float* y) {
  static thread_local ScratchBuf abuf, rbuf;
  const int64_t KP = (K + 2 * kLanes - 1) / (2 * kLanes) * (2 * kLanes);
  float* a = abuf.get(static_cast<size_t>(M * KP));
  float* row = rbuf.get(static_cast<size_t>(KP));
  for (int64_t i = 0; i < M; ++i) {  // x's rows rounded, split into even and odd k per block (zero past K)
    round_bf16_copy(row, x + i * K, K);
    std::fill(row + K, row + KP, 0.f);
    float* ai = a + i * KP;
    for (int64_t blk = 0; blk < KP; blk += 2 * kLanes)
      for (int q = 0; q < kLanes; ++q) {
        ai[blk + q] = row[blk + 2 * q];
        ai[blk + kLanes + q] = row[blk + 2 * q + 1];
      }
  }
  dot_split(M, N, K, kDotCols, [&](int64_t mb, int64_t i, int64_t j0, int cols) {
    switch (mb) {
      case 1: dot_block_w<1>(a + i * KP, KP, K, w, N, bias, y, i, j0, cols); break;
      case 2: dot_block_w<2>(a + i * KP, KP, K, w, N, bias, y, i, j0, cols); break;
      case 3: dot_block_w<3>(a + i * KP, KP, K, w, N, bias, y, i, j0, cols); break;
      default: dot_block_w<4>(a + i * KP, KP, K, w, N, bias, y, i, j0, cols); break;
    }
  });
}

// GemmKernels::to_bf16_bits (gemm.h).
void to_bf16_bits(const float* x, int64_t n, uint16_t* out) {
  parallel_for(0, n, int64_t{1} << 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = static_cast<uint16_t>(bf16_round_bits(x[i]) >> 16);
  });
}

}  // namespace
}  // namespace NNE_ISA_NS
}  // namespace nne
