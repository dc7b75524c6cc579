// The channel-lane tile shared by conv2d's channel-lane forward (conv2d_direct_lanes.cpp) and conv3d's strided data
// gradient by phases (conv3d.cpp); internal, compiled per ISA with them.
//
// A tile holds RB output rows x QB output columns x KV vectors of output channels in registers; per tap it loads KV
// weight vectors (weights transposed to [tap][k]) and broadcasts one input value per position (columns SW = 1 or 2
// inputs apart, rows rstride floats apart). acc = fma(x, w, acc) over the taps in order from zero.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// Tiles: KV channel vectors x RB rows x QB columns (conv2d's bands may take RB - 1 rows).
#if defined(__AVX512F__)
constexpr int kRb1 = 3, kQb1 = 8;  // one channel vector: 24 accumulators
constexpr int kRb2 = 3, kQb2 = 4;  // two channel vectors: 24 accumulators
#else
constexpr int kRb1 = 3, kQb1 = 4;  // 12 accumulators, the weight vector and a broadcast: 14 of 16 registers
constexpr int kRb2 = 2, kQb2 = 3;  // 12 accumulators, two weight vectors and a broadcast
#endif

// ob[(r * Q + q) * ldo + v * L ...] = sum over taps i of xb[off[i] + r * rstride + q * SW] * wt[i * ldw + v * L ...]:
// xb points at the tile's first input (row p0 * stride_h, column q0 * SW), rstride = stride_h * Wp.
template <int KV, int RB, int QB, int SW>
void lanes_tile(float* ob, int64_t ldo, int64_t Q, const float* xb, int64_t rstride, const int64_t* off,
                const float* wt, int64_t ldw, int64_t CRS) {
  VecF acc[RB * QB][KV];
#pragma GCC unroll 32
  for (int j = 0; j < RB * QB; ++j)
#pragma GCC unroll 4
    for (int v = 0; v < KV; ++v) acc[j][v] = vzero();
  for (int64_t i = 0; i < CRS; ++i) {
    VecF wv[KV];
    for (int v = 0; v < KV; ++v) wv[v] = vload(wt + i * ldw + v * kLanes);
    const float* xr = xb + off[i];
    for (int r = 0; r < RB; ++r, xr += rstride)  // one pointer per row: the columns are constant displacements
      for (int q = 0; q < QB; ++q) {
        const VecF xs = vset1(xr[q * SW]);
        for (int v = 0; v < KV; ++v) acc[r * QB + q][v] = vfma(xs, wv[v], acc[r * QB + q][v]);
      }
  }
  // (fully unrolled, so the accumulators go from their registers to ob, never through a stack copy)
#pragma GCC unroll 8
  for (int r = 0; r < RB; ++r)
#pragma GCC unroll 8
    for (int q = 0; q < QB; ++q)
#pragma GCC unroll 4
      for (int v = 0; v < KV; ++v) vstore(ob + (r * Q + q) * ldo + v * kLanes, acc[r * QB + q][v]);
}

inline int64_t rows_computed(int64_t P, int rb) { return (P + rb - 1) / rb * rb; }

// Whether tiles of rb - 1 rows beat tiles of rb rows over P output rows, the last band overlapping its neighbour.
// Stride 1 (`unit`): whenever they compute fewer rows (P = 8: 2 x 4 rows, not 3 x 3; Sapphire Rapids, LeNet-like
// layers with P = 8, 10, 16: the taller tile 5-18% slower). Strided: only when they save a tenth of the rows, the
// taller tile being faster per row there (the 7x7/2 stem, P = 112: 3-row tiles computing 114 rows 5-12% faster than
// 2-row ones computing 112; 3x3/2 with P = 16, 18 rows against 16: level).
inline bool shorter_tiles(int64_t P, int rb, bool unit) {
  const int64_t shorter = rows_computed(P, rb - 1), taller = rows_computed(P, rb);
  return unit ? shorter < taller : 10 * shorter <= 9 * taller;
}

// Output channels up to which conv3d's strided layers take the lane tiles (a pair of vectors at a time): measured on
// Zen 4, 1 thread, against the GEMM path (ms): 64 -> 128 3x3x3/2 on 16^3 N4 forward 12.5 -> 9.5, weight gradient
// 13.2 -> 9.2, data gradient 13.2 -> 11.9 (torch 8.4-9.2, 9.3-11.3, 9.8-10.4); 32 -> 64 3x3x3/2 3.8 / 4.1 / 3.7 ->
// 3.1 / 2.5 / 2.8; wider layers are not measured and keep the GEMM.
constexpr int64_t kMaxLaneChannels = 128;

// The channel vectors a lane tile of conv3d holds for `channels` a group: 1 for one vector, 2 for whole pairs of
// vectors up to kMaxLaneChannels (the tiles run a pair at a time), else 0 (not these kernels).
inline int lane_tile_vectors(int64_t channels) {
  if (channels == kLanes) return 1;
  return channels % (2 * kLanes) == 0 && channels <= std::max<int64_t>(2 * kLanes, kMaxLaneChannels) ? 2 : 0;
}

}  // namespace
}  // namespace NNE_ISA_NS
}  // namespace nne
