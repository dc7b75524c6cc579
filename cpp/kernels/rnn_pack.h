// Weight packing of the recurrent kernels (per ISA, through rnn_impl.h; include only from kernel files): the
// forward's gate blocks (pack_forward, cached across calls with the same weights) and the backward's column
// blocks (pack_cols).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/buffer.h"
#include "kernels/rnn_bf16.h"
#include "kernels/rnn_step.h"

namespace nne {
namespace NNE_ISA_NS {
namespace rec {

// Forward packing of [w_ih | w_hh] ((G*H, I) and (G*H, H); w_ih may be null with I = 0) per block of L
// hidden units with all G gates side by side: dst[jb][k][g][l] = w_ih[g*H + jb*L + l][k] for k < I,
// then w_hh[g*H + jb*L + l][k - I] (zero past H). Size nblocks*L*G*(I+H).
inline void pack_forward(float* dst, const float* w_ih, int64_t I, const float* w_hh, int64_t H, int G) {
  const int64_t nb = nblocks(H), K = I + H;
  for (int64_t jb = 0; jb < nb; ++jb) {
    const int n = static_cast<int>(std::min<int64_t>(L, H - jb * L));
    float* d = dst + jb * K * G * L;
    for (int g = 0; g < G; ++g) {
      // k outer, the block's L rows inner: contiguous stores, the L source rows' cache lines stay in L1
      const float* si[L];
      const float* sh[L];
      for (int l = 0; l < n; ++l) {
        si[l] = w_ih + (g * H + jb * L + l) * I;
        sh[l] = w_hh + (g * H + jb * L + l) * H;
      }
      for (int64_t k = 0; k < K; ++k) {
        float* dk = d + (k * G + g) * L;
        if (k < I) {
          for (int l = 0; l < n; ++l) dk[l] = si[l][k];
        } else {
          for (int l = 0; l < n; ++l) dk[l] = sh[l][k - I];
        }
        for (int l = n; l < L; ++l) dk[l] = 0.f;
      }
    }
  }
}

// pack_forward through a per-call-site cache: the packed block is reused while [w_ih | w_hh] are, bit for bit, the
// weights it was packed from (kept as a copy and compared with memcmp), so a stream of one-step calls with fixed
// weights packs once, and any change to a weight -- an optimizer step, a load, an in-place edit through any view
// of the array -- fails the comparison and repacks. Exact by construction (the packing is a function of those
// bytes and of I, H, G alone). Only weights up to kPackCacheMax floats are cached (a copy is kept; past that
// the sequence work dwarfs the packing).
constexpr size_t kPackCacheMax = size_t(1) << 16;

struct PackCache {
  ScratchBuf packed, src;
  int64_t I = -1, H = -1;
  int G = 0;
  bool bf16 = false;
  bool valid = false;
  bool fresh = true;  // the last call packed (the weights or their shape changed)
  std::vector<uint32_t> pairs;  // bf16: the packing as pairs (Bf16Steps)
  ScratchBuf rows;               // bf16: the steps' rows as pairs (Bf16Steps)
};

// With bf16 the packed weights are rounded to bf16 (the key includes the flag).
inline const float* pack_forward_cached(PackCache& c, const float* w_ih, int64_t I, const float* w_hh, int64_t H,
                                        int G, bool bf16 = false) {
  const size_t nih = static_cast<size_t>(G * H * I), nhh = static_cast<size_t>(G * H * H);
  const int64_t np = nblocks(H) * L * G * (I + H);
  const bool was_valid = c.valid;
  c.valid = false, c.fresh = true;  // until packed again: a failed allocation below leaves the cache empty
  float* wp = c.packed.get(static_cast<size_t>(np));
  if (nih + nhh > kPackCacheMax) {
    c.valid = false;
    pack_forward(wp, w_ih, I, w_hh, H, G);
    if (bf16) round_bf16(wp, np);
    return wp;
  }
  const bool same_shape = was_valid && c.I == I && c.H == H && c.G == G && c.bf16 == bf16;
  float* src = c.src.get(nih + nhh);  // same size as before when same_shape: contents kept
  if (same_shape && (nih == 0 || std::memcmp(src, w_ih, nih * sizeof(float)) == 0) &&
      std::memcmp(src + nih, w_hh, nhh * sizeof(float)) == 0) {
    c.valid = true, c.fresh = false;
    return wp;
  }
  pack_forward(wp, w_ih, I, w_hh, H, G);
  if (bf16) round_bf16(wp, np);
  if (nih) std::memcpy(src, w_ih, nih * sizeof(float));
  std::memcpy(src + nih, w_hh, nhh * sizeof(float));
  c.I = I, c.H = H, c.G = G, c.bf16 = bf16, c.valid = true;
  return wp;
}

// Column-block packing of w (K, C) row-major: dst[blk][k][c] = w[k][blk*CB + c] for CB = NV*L
// columns per block (zero past C). Returns the number of blocks; size blocks*K*CB.
inline int64_t pack_cols(float* dst, const float* w, int64_t K, int64_t C, int NV) {
  const int64_t CB = NV * L, nb = (C + CB - 1) / CB;
  for (int64_t jb = 0; jb < nb; ++jb) {
    const int64_t n = std::min(CB, C - jb * CB);
    float* d = dst + jb * K * CB;
    for (int64_t k = 0; k < K; ++k) {
      std::memcpy(d + k * CB, w + k * C + jb * CB, sizeof(float) * n);
      for (int64_t c = n; c < CB; ++c) d[k * CB + c] = 0.f;
    }
  }
  return nb;
}

}  // namespace rec
}  // namespace NNE_ISA_NS
}  // namespace nne
