// Tile geometry of conv2d's Winograd path (internal to conv2d_winograd.cpp, compiled per ISA): the run's shapes,
// the layout of the per-position matrices, and the gather of a group of tiles' input blocks into vector lanes.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// One run: `in` (N, Ci, Hi, Wi) -> `out` (N, Co, Ho, Wo), 3x3 taps, padding (ph, pw).
struct Wino {
  int64_t N, Ci, Co, Hi, Wi, Ho, Wo, ph, pw;
  int64_t ty, tx, tiles;  // output tiles per image (rows, columns), and over all images
};

// Floats from one position's matrix (rows x ld) to the next: one cache line more than the matrix, so that the
// 36 (or 16) rows a transform writes or reads at once do not all map to the same cache sets (matrix sizes are
// often multiples of 4 KiB).
inline int64_t pos_stride(int64_t rows, int64_t ld) { return rows * ld + 16; }

template <class F>
Wino make(int64_t N, int64_t Ci, int64_t Co, int64_t Hi, int64_t Wi, int64_t Ho, int64_t Wo, int64_t ph, int64_t pw) {
  Wino p{N, Ci, Co, Hi, Wi, Ho, Wo, ph, pw, (Ho + F::kTile - 1) / F::kTile, (Wo + F::kTile - 1) / F::kTile, 0};
  p.tiles = N * p.ty * p.tx;
  return p;
}

// A tensor (N, C, H, W) read in size x size blocks, one per tile: tile (n, ty, tx) starts at row m ty + oy and
// column m tx + ox (m the variant's tile size; reads outside the tensor give 0).
struct Blocks {
  const float* base;
  int64_t C, H, W, oy, ox;
};

// Where the block of each lane of a group of tiles starts: image, first row and column (may be negative).
template <class F, int kSize>
struct Lanes {
  int64_t n[kLanes], y0[kLanes], x0[kLanes];
  bool inside[kLanes];  // the block lies within the tensor
  int count;            // lanes holding a tile
  // For the vector gathers: lane l's block origin as an offset from plane (n[0], c) (int32; `wide` if some
  // offset does not fit), and which lanes read a valid row a / column b of their block.
  int32_t off[kLanes];
  uint32_t row_ok[kSize], col_ok[kSize];
  bool wide;

  Lanes(const Wino& p, const Blocks& src, int64_t t0, int64_t t1) {
    count = static_cast<int>(std::min<int64_t>(kLanes, t1 - t0));
    wide = false;
    for (int a = 0; a < kSize; ++a) row_ok[a] = col_ok[a] = 0;
    const int64_t chw = src.C * src.H * src.W;
    for (int l = 0; l < kLanes; ++l) {
      off[l] = 0;
      if (l >= count) continue;
      const int64_t t = t0 + l, r = t % (p.ty * p.tx);
      n[l] = t / (p.ty * p.tx);
      y0[l] = r / p.tx * F::kTile + src.oy;
      x0[l] = r % p.tx * F::kTile + src.ox;
      inside[l] = y0[l] >= 0 && x0[l] >= 0 && y0[l] + kSize <= src.H && x0[l] + kSize <= src.W;
      const int64_t o = (n[l] - n[0]) * chw + y0[l] * src.W + x0[l];
      if (o < -(int64_t{1} << 30) || o + kSize * (src.W + 1) > (int64_t{1} << 30)) wide = true;
      off[l] = static_cast<int32_t>(o);
      for (int a = 0; a < kSize; ++a) {
        if (y0[l] + a >= 0 && y0[l] + a < src.H) row_ok[a] |= 1u << l;
        if (x0[l] + a >= 0 && x0[l] + a < src.W) col_ok[a] |= 1u << l;
      }
    }
  }

  // df[(a * kSize + b) * kLanes + l] = channel c of lane l's block at (a, b); lanes past count keep their values.
  void gather(float* df, const Blocks& src, int64_t c) const {
    for (int l = 0; l < count; ++l) {
      const float* plane = src.base + (n[l] * src.C + c) * src.H * src.W;
      if (inside[l]) {
        const float* s0 = plane + y0[l] * src.W + x0[l];
        for (int a = 0; a < kSize; ++a)
          for (int b = 0; b < kSize; ++b) df[(a * kSize + b) * kLanes + l] = s0[a * src.W + b];
        continue;
      }
      for (int a = 0; a < kSize; ++a) {
        const int64_t yy = y0[l] + a;
        for (int b = 0; b < kSize; ++b) {
          const int64_t xx = x0[l] + b;
          df[(a * kSize + b) * kLanes + l] = yy >= 0 && yy < src.H && xx >= 0 && xx < src.W ? plane[yy * src.W + xx] : 0.f;
        }
      }
    }
  }

  // d[a * kSize + b] = the vectors of gather(): hardware gathers where the ISA has them (masked: reads outside
  // the tensor and lanes past count give 0, never touching memory), else through the scratch df.
  void load(VecF* d, float* df, const Blocks& src, int64_t c) const {
#if defined(__AVX512F__) || defined(__AVX2__)
    if (!wide) {
      const float* plane = src.base + (n[0] * src.C + c) * src.H * src.W;
#if defined(__AVX512F__)
      const __m512i vo = _mm512_loadu_si512(off);
      for (int a = 0; a < kSize; ++a)
        for (int b = 0; b < kSize; ++b)
          d[a * kSize + b] = _mm512_mask_i32gather_ps(
              _mm512_setzero_ps(), static_cast<__mmask16>(row_ok[a] & col_ok[b]),
              _mm512_add_epi32(vo, _mm512_set1_epi32(static_cast<int32_t>(a * src.W + b))), plane, 4);
#else
      const __m256i vo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(off));
      const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
      for (int a = 0; a < kSize; ++a)
        for (int b = 0; b < kSize; ++b) {
          const __m256i m = _mm256_cmpeq_epi32(
              _mm256_and_si256(_mm256_set1_epi32(static_cast<int32_t>(row_ok[a] & col_ok[b])), bits), bits);
          d[a * kSize + b] = _mm256_mask_i32gather_ps(
              _mm256_setzero_ps(), plane,
              _mm256_add_epi32(vo, _mm256_set1_epi32(static_cast<int32_t>(a * src.W + b))),
              _mm256_castsi256_ps(m), 4);
        }
#endif
      return;
    }
#endif
    gather(df, src, c);
    for (int e = 0; e < kSize * kSize; ++e) d[e] = vload(df + e * kLanes);
  }
};

}  // namespace
}  // namespace NNE_ISA_NS
}  // namespace nne
