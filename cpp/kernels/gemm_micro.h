// GEMM register tiles and micro-kernel (private to gemm.cpp, compiled once per ISA with it).
//
// micro_kernel<T>: acc[MR][NR] = sum over a KC block of a[k][i] * b[k][j] in registers, then the
// epilogue C = alpha*acc + (first ? beta*C + biases : C). Each acc[i][v] is one FMA chain in k order,
// so every element's result depends only on the KC blocking, never on the tile shape or the path.
// The same source serves AVX-512 (12x32 / 8x48 / 16x16 tiles), AVX2+FMA and the 4-lane baseline.
//
// Inner loop (AVX2 6x16, objdump of the avx2 object): per k step 2 vector loads of packed B, 6
// broadcasts of packed A, 12 FMAs into 12 accumulator registers, no spill. Measured on Zen 2: unrolling
// the k loop by 4 (with or without an asm barrier between steps) makes GCC 12 interleave the steps and
// spill accumulators, 58-64% of the FMA ceiling instead of 76-86%, so the loop is not unrolled.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/simd.h"
#include "kernels/gemm_pack.h"  // lanes()

namespace nne {
namespace NNE_ISA_NS {
namespace {

// Register tiles: MR rows x NV vectors of kLanes columns. Std is the general shape; Wide has fewer
// rows and more columns (M a multiple of 8 but not of 12, e.g. 32 or 64, fills it exactly); Narrow
// is one vector wide (outputs of 16 columns or fewer, e.g. a 10-class head).
template <int MR_, int NV_, int EFF_>
struct Tile {
  static constexpr int MR = MR_, NV = NV_, NR = NV_ * kLanes;
  // throughput relative to Std in percent, for the cost model: estimated from each tile's load/FMA mix
  // and checked on 128x10x128 (Narrow) and 32/64-row products (Wide)
  static constexpr int eff = EFF_;
};
#if defined(__AVX512F__)
using TileStd = Tile<12, 2, 100>;
using TileWide = Tile<8, 3, 97>;
using TileNarrow = Tile<16, 1, 88>;
#else  // AVX2 (16 ymm registers) and the 4-lane baseline (16 xmm registers)
using TileStd = Tile<6, 2, 100>;
using TileWide = Tile<4, 3, 95>;
using TileNarrow = Tile<12, 1, 88>;
#endif

constexpr int64_t kPrefetchRows = 16;  // B read in place: rows ahead prefetched into L1 (twice that into L2)
// The C tile is prefetched (for writing) this many k steps before the end of the k loop, so the
// epilogue finds its rows (each one another cache line, usually in L3) in L1. Measured on Zen 2 at
// 1024^3 and 2048^3 (medians of interleaved rounds, % of the same-run FMA probe): 64 steps before the
// end 79-87%, none 74-83%, at the start of the loop 76-80%, 16/32/128 steps no better than 64.
constexpr int64_t kPrefetchCSteps = 64;

// Epilogue of a partial tile: tile holds alpha*acc (row stride tile_ld). Shared by the micro-kernel
// and the few-rows path so a row's result never depends on which path (or how many rows) produced it.
inline void store_edge(float* c, int64_t ldc, const float* tile, int tile_ld, int rows, int cols, float beta,
                       bool first, const float* bias_row, const float* bias_col) {
  for (int i = 0; i < rows; ++i) {
    float* ci = c + i * ldc;
    for (int j = 0; j < cols; ++j) {
      float r = tile[i * tile_ld + j];
      if (!first) {
        r = r + ci[j];
      } else {
        if (beta != 0.f) r = sfma(beta, ci[j], r);  // tile_result's vfma
        if (bias_row) r = r + bias_row[i];
        if (bias_col) r = r + bias_col[j];
      }
      ci[j] = r;
    }
  }
}

// acc[MR][NR] = sum_k a[k][i] * b[k][j]; then C = alpha*acc + (first ? beta*C + biases : C).
// b advances by bstride floats per k: NR for a packed panel, ldb when reading row-major B in place.
// DirectA: a points at row-major op(A) rows in place (row stride lda) instead of a packed panel.
// One vector of the epilogue: alpha*acc + (first ? beta*old + biases : old), old being C's value.
inline VecF tile_result(VecF acc, VecF va, VecF old, float beta, bool first, const float* bias_row, int i,
                        const float* bias_col, VecF bc) {
  VecF r = vmul(va, acc);
  if (!first) return vadd(r, old);
  if (beta != 0.f) r = vfma(vset1(beta), old, r);
  if (bias_row) r = vadd(r, vset1(bias_row[i]));
  if (bias_col) r = vadd(r, bc);
  return r;
}

enum BSource { kPacked, kInPlace, kInPlaceCopy, kPackedAhead };

// acc[MR][NR] = sum_k a[k][i] * b[k][j]; then C = alpha*acc + (first ? beta*C + biases : C).
// b advances by bstride floats per k: NR for a packed panel, ldb when reading row-major B in place
// (kInPlace; kInPlaceCopy also stores each B row into the packed panel bcopy for later row panels).
// kPackedAhead: a packed panel that also prefetches, into L2, pf_rows rows of the NR columns at pf (row stride
// pf_ld), one row every kc / pf_rows steps: the in-place B panel the next kInPlaceCopy call reads, spread over the
// row panels before it so that its rows come from L2, not memory, without a burst of misses.
// DirectA: a points at row-major op(A) rows in place (row stride lda) instead of a packed panel.
// MRU x NVU: the rows and column vectors computed (an edge tile of a packed panel: the first MRU of its MR
// rows, the first NVU of its NV vectors; the panels keep their MR / NR strides). Each element is the same FMA
// chain whatever MRU/NVU, so trimming the padding of an edge tile changes no result, only the work.
template <class T, bool DirectA = false, BSource BSrc = kPacked, int MRU = T::MR, int NVU = T::NV>
inline void micro_kernel(int64_t kc, const float* __restrict a, const float* __restrict b, int64_t bstride,
                         float* c, int64_t ldc, int rows, int cols, float alpha, float beta, bool first,
                         const float* bias_row, const float* bias_col, int64_t lda = 0,
                         float* __restrict bcopy = nullptr, const float* pf = nullptr, int64_t pf_ld = 0,
                         int64_t pf_rows = 0) {
  constexpr int MR = T::MR, NR = T::NR;
  static_assert(MRU >= 1 && MRU <= T::MR && NVU >= 1 && NVU <= T::NV, "an edge tile is part of the tile");
  static_assert((MRU == T::MR && NVU == T::NV) || (!DirectA && BSrc == kPacked), "edge tiles read packed panels");
  constexpr int NV = NVU, NRU = NVU * kLanes;  // vectors and columns computed
  VecF acc[MRU][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MRU; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = vzero();
  // k steps [k, kend): NV vector loads of B, MR broadcasts of A, MR x NV FMAs per step.
  int64_t k = 0;
  const int64_t pf_every = pf_rows > 0 ? std::max<int64_t>(1, kc / pf_rows) : 0;
  int64_t pf_wait = pf_every;
  const auto run = [&](int64_t kend) __attribute__((always_inline)) {
    for (; k < kend; ++k) {
      VecF bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) bv[v] = vload(b + v * kLanes);
      if constexpr (BSrc != kPacked) {  // B read in place: each row is another page, so prefetch rows ahead
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          __builtin_prefetch(b + kPrefetchRows * bstride + v * kLanes, 0, 3);      // L2 -> L1
          __builtin_prefetch(b + 2 * kPrefetchRows * bstride + v * kLanes, 0, 2);  // L3/memory -> L2
        }
      }
      if constexpr (BSrc == kInPlaceCopy) {  // and keep a packed copy for the next row panels
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) vstore(bcopy + v * kLanes, bv[v]);
        bcopy += NR;
      }
      if constexpr (BSrc == kPackedAhead) {
        if (--pf_wait == 0) {
          pf_wait = pf_every;
          if (pf_rows > 0) {
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) __builtin_prefetch(pf + v * kLanes, 0, 2);
            __builtin_prefetch(pf + NR - 1, 0, 2);  // the row's last line when it is not aligned
            pf += pf_ld;
            --pf_rows;
          }
        }
      }
#pragma GCC unroll 16
      for (int i = 0; i < MRU; ++i) {
        const VecF av = vset1(DirectA ? a[i * lda] : a[i]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = vfma(av, bv[v], acc[i][v]);
      }
      a += DirectA ? 1 : MR;
      b += bstride;
    }
  };
  run(std::max<int64_t>(0, kc - kPrefetchCSteps));
  for (int i = 0; i < rows; ++i) {  // every cache line the tile's row i touches
    for (int j = 0; j < NRU; j += 16) __builtin_prefetch(c + i * ldc + j, 1, 3);
    __builtin_prefetch(c + i * ldc + NRU - 1, 1, 3);
  }
  run(kc);
  // Epilogue: C = alpha*acc + (first ? beta*C + biases : C). A partial tile does the same arithmetic
  // on its valid lanes only (masked loads and stores).
  const VecF va = vset1(alpha);
  const bool full = rows == MRU && cols == NRU, need_c = !first || beta != 0.f;
  VecF bc[NV] = {};
  if (first && bias_col) {
    for (int v = 0; v < NV; ++v) bc[v] = full ? vload(bias_col + v * kLanes) : vload_n(bias_col + v * kLanes, lanes(cols, v));
  }
  if (full) {
#pragma GCC unroll 16
    for (int i = 0; i < MRU; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        float* cv = c + i * ldc + v * kLanes;
        vstore(cv, tile_result(acc[i][v], va, need_c ? vload(cv) : vzero(), beta, first, bias_row, i, bias_col, bc[v]));
      }
    return;
  }
  alignas(64) float tile[MRU * NR];  // constant indices only, so acc stays in registers
#pragma GCC unroll 16
  for (int i = 0; i < MRU; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) vstore(tile + i * NR + v * kLanes, acc[i][v]);
  for (int i = 0; i < rows; ++i)
    for (int v = 0; v < NV; ++v) {
      const int n = lanes(cols, v);
      if (n == 0) break;
      float* cv = c + i * ldc + v * kLanes;
      const VecF r = tile_result(vload(tile + i * NR + v * kLanes), va, need_c ? vload_n(cv, n) : vzero(), beta, first,
                                 bias_row, i, bias_col, bc[v]);
      vstore_n(cv, r, n);
    }
}

// An edge tile of packed panels (rows < MR or cols < NR): the smallest trimmed tile that covers it (rows rounded
// up to a multiple of 4, whole vectors), so the zero padding of the panels is not multiplied. The same FMA chain
// per element as the full tile: the results are those of micro_kernel<T>.
template <class T, int R, int V = 1>
inline void micro_kernel_edge_cols(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows,
                                   int cols, float alpha, float beta, bool first, const float* bias_row,
                                   const float* bias_col) {
  if constexpr (V >= T::NV)
    micro_kernel<T, false, kPacked, R, T::NV>(kc, a, b, T::NR, c, ldc, rows, cols, alpha, beta, first, bias_row,
                                               bias_col);
  else if (cols <= V * kLanes)
    micro_kernel<T, false, kPacked, R, V>(kc, a, b, T::NR, c, ldc, rows, cols, alpha, beta, first, bias_row, bias_col);
  else
    micro_kernel_edge_cols<T, R, V + 1>(kc, a, b, c, ldc, rows, cols, alpha, beta, first, bias_row, bias_col);
}

template <class T, int R = 4>
inline void micro_kernel_edge(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows, int cols,
                              float alpha, float beta, bool first, const float* bias_row, const float* bias_col) {
  if constexpr (R >= T::MR)
    micro_kernel_edge_cols<T, T::MR>(kc, a, b, c, ldc, rows, cols, alpha, beta, first, bias_row, bias_col);
  else if (rows <= R)
    micro_kernel_edge_cols<T, R>(kc, a, b, c, ldc, rows, cols, alpha, beta, first, bias_row, bias_col);
  else
    micro_kernel_edge<T, R + 4>(kc, a, b, c, ldc, rows, cols, alpha, beta, first, bias_row, bias_col);
}


}  // namespace
}  // namespace NNE_ISA_NS
}  // namespace nne
