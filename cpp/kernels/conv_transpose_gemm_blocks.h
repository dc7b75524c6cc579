// The pieces conv_transpose_gemm.cpp and conv_transpose_gemm_packed.cpp share (internal; compiled per ISA
// like them): the blocks of input positions a backward or forward call runs over, and the copy between a
// block's (Cg, L) matrix and the (N, C, H, W) tensor.
#pragma once

#include <algorithm>
#include <cstring>

#include "core/cpuinfo.h"
#include "core/parallel.h"
#include "kernels/conv_transpose.h"

namespace nne {
namespace NNE_ISA_NS {
namespace ctgemm {


// A run of blocks over the input positions: ipb whole images per block, or (ipb = 1) hb rows of one image.
struct Blocks {
  int64_t Cg, Kg, KRS, HW;
  int64_t ipb, hb;
};

// backward: the blocks of the column matrix of dy, which two GEMMs read (and pack) after dy_im2col wrote it:
// about the per-core L2 of it (core/cpuinfo.h), half of that in bf16 (both bf16 GEMMs convert the whole matrix as
// they pack it, so it should stay in L2 between them: 128->64 4x4 on 16x16, batch 64, 1 thread, 61.4 -> 57.7 ms
// with one image per block instead of two; float32 level), 256-1024 columns.
inline Blocks blocks_of(const ConvTranspose2dShape& s, bool backward = false) {
  Blocks b;
  b.Cg = s.C / s.groups, b.Kg = s.K / s.groups, b.KRS = b.Kg * s.R * s.S, b.HW = s.H * s.W;
  // Forward: ~1024 columns (at most 16 MiB of column matrix, at least 256 columns): wide GEMMs, weights
  // packed once per block.
  const int64_t l2 = cache_info().l2 / static_cast<int64_t>(sizeof(float));
  const int64_t most = backward ? (s.bf16 ? l2 / 2 : l2) : int64_t{1} << 22;
  const int64_t target = std::min<int64_t>(1024, std::max<int64_t>(256, most / std::max<int64_t>(1, b.KRS)));
  if (b.HW <= target) {
    b.ipb = std::max<int64_t>(1, std::min(s.N, target / std::max<int64_t>(1, b.HW)));
    b.hb = s.H;
  } else {
    b.ipb = 1;
    b.hb = std::max<int64_t>(1, std::min(s.H, target / std::max<int64_t>(1, s.W)));
  }
  return b;
}

// Calls fn(n0, ni, h0, h1) for every block in order.
template <class F>
void for_blocks(const ConvTranspose2dShape& s, const Blocks& bl, const F& fn) {
  for (int64_t n0 = 0; n0 < s.N; n0 += bl.ipb)
    for (int64_t h0 = 0; h0 < s.H; h0 += bl.hb) fn(n0, std::min(bl.ipb, s.N - n0), h0, std::min(s.H, h0 + bl.hb));
}

// Row c of a (Cg, L) block matrix <-> channel gr*Cg + c of the block's whole images in a (N, C, H, W) tensor:
// dst is the tensor if kToTensor, else the matrix.
template <bool kToTensor>
void block_copy(float* dst, const float* src, const ConvTranspose2dShape& s, const Blocks& bl, int64_t n0, int64_t ni,
                int64_t gr) {
  const int64_t L = ni * bl.HW;
  parallel_for(0, bl.Cg, std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, L)), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t i = 0; i < ni; ++i) {
        const int64_t toff = ((n0 + i) * s.C + gr * bl.Cg + c) * bl.HW, moff = c * L + i * bl.HW;
        std::memcpy(dst + (kToTensor ? toff : moff), src + (kToTensor ? moff : toff), sizeof(float) * bl.HW);
      }
  });
}

// The float32 backward with op(B) packed straight from dy into each GEMM's panels (no column matrix; see
// conv_transpose_gemm.h): dx and/or dw, either may be null.
void backward_packed(float* dx, float* dw, const float* dy, const float* x, const float* w,
                     const ConvTranspose2dShape& s);

}  // namespace ctgemm
}  // namespace NNE_ISA_NS
}  // namespace nne
