// The work split of the im2col + GEMM convolutions (conv2d.cpp's GEMM path, conv3d.cpp; compiled once per ISA with
// them): blocks of images x output columns. Small images are batched (ipb images per block, all their columns side
// by side) so that the GEMM sees wide matrices; large images are cut into column slices of one image (ipb = 1). A
// block's column matrix is about the size of the per-core L2 the CPU reports (core/cpuinfo.h), so it stays in L2
// between im2col and the GEMM. The weight gradient sums the blocks in fixed chunks (weight_grad_over_blocks).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/buffer.h"
#include "core/parallel.h"
#include "core/reduce.h"
#include "kernels/conv2d_pointwise.h"

namespace nne {
namespace NNE_ISA_NS {

struct ConvGeo {
  int64_t N, C, K, groups, Cg, Kg;
  int64_t CK;  // rows of the column matrix: Cg x the kernel's taps
  int64_t L;   // output positions of one image
  int64_t X;   // input positions of one image
  int64_t ipb;  // images per block
  int64_t jb;   // output columns of one image per slice (L when ipb > 1)
  int64_t nblocks;
  bool in_place;  // pointwise blocks of one image: the image is its own column matrix (no im2col, no col2im)
};

// `pointwise`: 1x1 taps, stride 1, no padding (the column matrix of an image is the image itself, Cg x X).
inline ConvGeo conv_geometry(int64_t N, int64_t C, int64_t K, int64_t groups, int64_t taps, int64_t L, int64_t X,
                             bool pointwise) {
  ConvGeo g;
  g.N = N, g.C = C, g.K = K, g.groups = groups;
  g.Cg = C / groups, g.Kg = K / groups, g.CK = g.Cg * taps, g.L = L, g.X = X;
  // Columns per block: a column matrix of about L2 (L2-resident between im2col and the GEMM). Pointwise
  // layers with small images (< 256 positions) take 8 x L2: a wider GEMM packs the weights fewer times (conv2d runs
  // their forward and data gradient as pointwise_gemms, their weight gradient reads the block's images in
  // place); with bigger images they run one image per block, in place. (On a 512 KiB
  // L2 these are the former fixed 512 KiB and 4 MiB.) The block count changes the chunking of the
  // weight gradient's sum, so results may differ between cache descriptions in the last bits, never
  // between thread counts.
  const bool small_pointwise = pointwise && L < 256;
  const int64_t l2_floats = conv_l2_floats();
  const int64_t budget = small_pointwise ? 8 * l2_floats : l2_floats;
  const int64_t target = std::max<int64_t>(256, budget / std::max<int64_t>(1, g.CK));
  if (2 * L <= target && (small_pointwise || !pointwise)) {
    g.ipb = std::max<int64_t>(1, std::min<int64_t>(N, target / L));
    // at least 4 blocks when the batch allows: the weight gradient's threads take whole blocks (and the bf16
    // path's copies around the GEMMs are per block), so one giant block would leave them to a single thread
    if (small_pointwise) g.ipb = std::min(g.ipb, std::max<int64_t>(1, (N + 3) / 4));
    g.jb = L;
  } else {
    g.ipb = 1;
    g.jb = std::min(L, std::max<int64_t>(64, target / 32 * 32));
  }
  g.nblocks = (N + g.ipb - 1) / g.ipb;
  // Pointwise blocks of one image read and write the tensors in place; small images are still batched (a copy is
  // cheap next to the wider GEMM it buys).
  g.in_place = pointwise && g.ipb == 1;
  if (g.in_place) g.jb = L;  // nothing is copied: the GEMM does the cache blocking of the whole image
  return g;
}

// Blocks per parallel chunk so that a chunk carries at least ~0.25 MFLOP.
inline int64_t block_grain(const ConvGeo& g) {
  const int64_t flops = std::max<int64_t>(1, 2 * g.K * g.L * g.CK * g.ipb);
  return std::max<int64_t>(1, (int64_t{1} << 18) / flops);
}

// One block: images [n0, n0 + ni) x columns [j0, j1) of each, for conv group gr. `L()` = ni * (j1 - j0)
// columns side by side in the scratch matrices (image i at column offset i * (j1 - j0)).
struct Block {
  int64_t n0, ni, j0, j1, gr;
  int64_t width() const { return j1 - j0; }
  int64_t L() const { return ni * (j1 - j0); }
};

// Calls fn(Block) for every group and slice of the image blocks [b0, b1), the slices of a group in order.
template <class F>
void for_blocks(const ConvGeo& g, int64_t b0, int64_t b1, const F& fn) {
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t n0 = b * g.ipb, ni = std::min(g.ipb, g.N - n0);
    for (int64_t gr = 0; gr < g.groups; ++gr)
      for (int64_t j0 = 0; j0 < g.L; j0 += g.jb) fn(Block{n0, ni, j0, std::min(g.L, j0 + g.jb), gr});
  }
}

// The block's column matrix read in place (pointwise convolutions; the block is one image).
inline const float* in_place_col(const float* x, const ConvGeo& g, const Block& k) {
  return x + (k.n0 * g.C + k.gr * g.Cg) * g.X + k.j0;
}

// Offset of output row (image n, the block's group, channel kk of the group) at column j0.
inline int64_t yoff(const ConvGeo& g, int64_t n, const Block& k, int64_t kk) {
  return (n * g.K + k.gr * g.Kg + kk) * g.L + k.j0;
}

// dy rows of the block side by side (ld = L()); returns a pointer usable as a (Kg, L()) matrix with leading
// dimension *ld (dy itself when the block is one image).
inline const float* block_dy(float* tmp, const float* dy, const ConvGeo& g, const Block& k, int64_t* ld) {
  if (k.ni == 1) {
    *ld = g.L;
    return dy + yoff(g, k.n0, k, 0);
  }
  for (int64_t i = 0; i < k.ni; ++i)
    for (int64_t kk = 0; kk < g.Kg; ++kk)
      std::memcpy(tmp + kk * k.L() + i * k.width(), dy + yoff(g, k.n0 + i, k, kk), sizeof(float) * k.width());
  *ld = k.L();
  return tmp;
}

// The weight gradient dw (K x CK) and bias gradient db (K) summed over every block: fixed chunks of the blocks (the
// count depends on the shape only) each sum into their own partial, added in chunk order (core/reduce.h), so
// results are bit-identical at any thread count. fn(block, dw_g, db_g, beta) adds the block's share: dw_g (Kg x CK,
// row stride CK) and db_g (Kg) are its group's rows of the chunk's partial; beta is 0 for the chunk's first slice
// of that group (dw_g not yet written), else 1 (db_g starts at zero). Either output may be null.
template <class F>
void weight_grad_over_blocks(float* dw, float* db, const ConvGeo& g, const F& fn) {
  const int64_t wsize = g.K * g.CK, psize = wsize + g.K;
  if (g.N == 0) {
    if (dw) std::memset(dw, 0, sizeof(float) * wsize);
    if (db) std::memset(db, 0, sizeof(float) * g.K);
    return;
  }
  const int64_t nc = std::min<int64_t>(g.nblocks, 16);
  static thread_local ScratchBuf partbuf;
  float* parts = partbuf.get(static_cast<size_t>(nc * psize));
  parallel_for(0, nc, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float* pw = parts + c * psize;
      float* pb = pw + wsize;
      std::memset(pb, 0, sizeof(float) * g.K);
      const int64_t nstart = g.ipb * (g.nblocks * c / nc);
      for_blocks(g, g.nblocks * c / nc, g.nblocks * (c + 1) / nc, [&](const Block& k) {
        fn(k, pw + k.gr * g.Kg * g.CK, pb + k.gr * g.Kg, k.n0 == nstart && k.j0 == 0 ? 0.f : 1.f);
      });
    }
  });
  if (dw) sum_partials(dw, parts, nc, psize, wsize);
  if (db) sum_partials(db, parts + wsize, nc, psize, g.K);
}

}  // namespace NNE_ISA_NS
}  // namespace nne
