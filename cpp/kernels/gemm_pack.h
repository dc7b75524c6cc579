// GEMM operand packing (compiled once per ISA with gemm.cpp; conv2d_direct_lanes.cpp borrows transpose8x8).
//
// pack_a<MR>: op(A) rows into MR-row panels (for each k, MR values: the broadcast side), or GemmArgs::pack_a's.
// pack_b<NR>: op(B) columns into NR-column panels (for each k, NR values: the vector side).
// Ragged panels are zero-padded so the micro-kernel never branches on the edge inside its k loop.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/simd.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// Valid lanes of column vector v in a tile (or panel row) of `cols` columns.
inline int lanes(int cols, int v) { return std::max(0, std::min(kLanes, cols - v * kLanes)); }

// dst[k * ldd + j] = src[j * lds + k] for an 8 x 8 block (j, k < 8).
inline void transpose8x8(const float* src, int64_t lds, float* dst, int64_t ldd) {
#if defined(__AVX2__)
  // Row halves are paired across the two 128-bit lanes by loads (r_i low | r_{i+4} low, and the high
  // halves), so only the in-lane unpack/shuffle stages use the shuffle port: 16 shuffles per block.
  const auto pair = [&](int i, int off) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(src + i * lds + off)),
                                _mm_loadu_ps(src + (i + 4) * lds + off), 1);
  };
  for (int off = 0; off < 8; off += 4) {
    const __m256 t0 = pair(0, off), t1 = pair(1, off), t2 = pair(2, off), t3 = pair(3, off);
    const __m256 u0 = _mm256_unpacklo_ps(t0, t1), u1 = _mm256_unpackhi_ps(t0, t1), u2 = _mm256_unpacklo_ps(t2, t3),
                 u3 = _mm256_unpackhi_ps(t2, t3);
    _mm256_storeu_ps(dst + (off + 0) * ldd, _mm256_shuffle_ps(u0, u2, _MM_SHUFFLE(1, 0, 1, 0)));
    _mm256_storeu_ps(dst + (off + 1) * ldd, _mm256_shuffle_ps(u0, u2, _MM_SHUFFLE(3, 2, 3, 2)));
    _mm256_storeu_ps(dst + (off + 2) * ldd, _mm256_shuffle_ps(u1, u3, _MM_SHUFFLE(1, 0, 1, 0)));
    _mm256_storeu_ps(dst + (off + 3) * ldd, _mm256_shuffle_ps(u1, u3, _MM_SHUFFLE(3, 2, 3, 2)));
  }
#else
  for (int j = 0; j < 8; ++j)
    for (int k = 0; k < 8; ++k) dst[k * ldd + j] = src[j * lds + k];
#endif
}

#if defined(__AVX2__)
// dst[k * ldd + j] = src[j * lds + k] for j < R, k < 8, R < 8 rows (the AVX2 6-row panel of A): the 8 x 8
// transpose above with zero rows for j >= R, each result column stored as R floats (a full vector
// store except for the last column, which would spill past the block).
template <int R>
inline void transpose_rows_x8(const float* src, int64_t lds, float* dst, int64_t ldd) {
  static_assert(R > 4 && R < 8, "rows 5..7: the pairs (i, i + 4) below need row i < 4 present");
  const auto half = [&](int i, int off) { return i < R ? _mm_loadu_ps(src + i * lds + off) : _mm_setzero_ps(); };
  __m256 col[8];
  for (int off = 0; off < 8; off += 4) {
    const auto pair = [&](int i) { return _mm256_insertf128_ps(_mm256_castps128_ps256(half(i, off)), half(i + 4, off), 1); };
    const __m256 t0 = pair(0), t1 = pair(1), t2 = pair(2), t3 = pair(3);
    const __m256 u0 = _mm256_unpacklo_ps(t0, t1), u1 = _mm256_unpackhi_ps(t0, t1), u2 = _mm256_unpacklo_ps(t2, t3),
                 u3 = _mm256_unpackhi_ps(t2, t3);
    col[off + 0] = _mm256_shuffle_ps(u0, u2, _MM_SHUFFLE(1, 0, 1, 0));
    col[off + 1] = _mm256_shuffle_ps(u0, u2, _MM_SHUFFLE(3, 2, 3, 2));
    col[off + 2] = _mm256_shuffle_ps(u1, u3, _MM_SHUFFLE(1, 0, 1, 0));
    col[off + 3] = _mm256_shuffle_ps(u1, u3, _MM_SHUFFLE(3, 2, 3, 2));
  }
  // increasing k: each full store's lanes past R are overwritten by the next column's store
  for (int k = 0; k < 7; ++k) _mm256_storeu_ps(dst + k * ldd, col[k]);
  alignas(32) float last[8];
  _mm256_store_ps(last, col[7]);
  std::memcpy(dst + 7 * ldd, last, sizeof(float) * R);
}
#endif

// dst[k * ldd + j] = src[j * lds + k] for a 4 x 8 block (j < 4, k < 8): two 4 x 4 register transposes, each
// result column stored as exactly 4 floats.
inline void transpose4x8(const float* src, int64_t lds, float* dst, int64_t ldd) {
#if defined(__SSE2__)
  for (int off = 0; off < 8; off += 4) {
    __m128 r0 = _mm_loadu_ps(src + off), r1 = _mm_loadu_ps(src + lds + off), r2 = _mm_loadu_ps(src + 2 * lds + off),
           r3 = _mm_loadu_ps(src + 3 * lds + off);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(dst + (off + 0) * ldd, r0);
    _mm_storeu_ps(dst + (off + 1) * ldd, r1);
    _mm_storeu_ps(dst + (off + 2) * ldd, r2);
    _mm_storeu_ps(dst + (off + 3) * ldd, r3);
  }
#else
  for (int j = 0; j < 4; ++j)
    for (int k = 0; k < 8; ++k) dst[k * ldd + j] = src[j * lds + k];
#endif
}

// Transposed gather of `n` rows of a row-major matrix (row stride lds) into the k-major panel layout:
// dst[k * ldd + j] = src[j * lds + k] for j < n, k < kc. Eight k at a time across all rows: each step
// writes eight whole panel rows (which stay in L1) from 8 x 8 register transposes, a 4 x 8 one for a
// remainder of 4..7 rows (the 12-row AVX-512 panel of A: 8 + 4).
inline void gather_transposed(const float* src, int64_t lds, int64_t n, int64_t kc, float* dst, int64_t ldd) {
  const int64_t n8 = n / 8 * 8, n4 = n8 + (n - n8) / 4 * 4;
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    for (int64_t j = 0; j < n8; j += 8) transpose8x8(src + j * lds + k, lds, dst + k * ldd + j, ldd);
    if (n4 > n8) transpose4x8(src + n8 * lds + k, lds, dst + k * ldd + n8, ldd);
    for (int64_t j = n4; j < n; ++j)
      for (int64_t kk = k; kk < k + 8; ++kk) dst[kk * ldd + j] = src[j * lds + kk];
  }
  for (; k < kc; ++k)
    for (int64_t j = 0; j < n; ++j) dst[k * ldd + j] = src[j * lds + k];
}

// Zero the padding lanes [n, width) of a k-major panel of kc steps.
inline void zero_pad(float* dst, int64_t width, int64_t n, int64_t kc) {
  if (n < width)
    for (int64_t k = 0; k < kc; ++k)
      for (int64_t j = n; j < width; ++j) dst[k * width + j] = 0.f;
}

// Pack op(A)[m0:m0+mc, k0:k0+kc] into MR-row panels: panel r holds, for each k, MR values.
template <int MR>
void pack_a(const GemmArgs& g, int64_t m0, int64_t mc, int64_t k0, int64_t kc, float* dst) {
  if (g.pack_a) return g.pack_a(g.pack_a_ctx, k0, kc, m0, mc, MR, dst);  // the caller's packer (gemm.h)
  if (g.trans_a) {
    // op(A) = A^T: row k of A holds column k of every panel. Row by row, each read once and sequentially,
    // its MR-wide pieces (fixed-size copies) scattered to their panels; the ragged last panel zero-filled.
    const int64_t full = (mc / MR) * MR;
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = g.A + (k0 + k) * g.lda + m0;
      for (int64_t r = 0; r < full; r += MR) std::memcpy(dst + r * kc + k * MR, src + r, sizeof(float) * MR);
      if (full < mc) {
        float* dk = dst + full * kc + k * MR;
        for (int64_t j = 0; j < MR; ++j) dk[j] = j < mc - full ? src[full + j] : 0.f;
      }
    }
    return;
  }
  for (int64_t r = 0; r < mc; r += MR) {
    const int64_t rows = std::min<int64_t>(MR, mc - r);
    float* d = dst + r * kc;
#if defined(__AVX2__)
    if constexpr (MR > 4 && MR < 8) {
      if (rows == MR) {  // full panel of fewer than 8 rows: vector transposes, the k tail scalar
        const float* src = g.A + (m0 + r) * g.lda + k0;
        int64_t k = 0;
        for (; k + 8 <= kc; k += 8) transpose_rows_x8<MR>(src + k, g.lda, d + k * MR, MR);
        for (; k < kc; ++k)
          for (int64_t j = 0; j < MR; ++j) d[k * MR + j] = src[j * g.lda + k];
        continue;
      }
    }
#endif
    gather_transposed(g.A + (m0 + r) * g.lda + k0, g.lda, rows, kc, d, MR);
    zero_pad(d, MR, rows, kc);
  }
}

// Pack op(B)[k0:k0+kc, n0:n0+nc] into NR-column panels: panel c holds, for each k, NR values.
template <int NR>
void pack_b(const GemmArgs& g, int64_t k0, int64_t kc, int64_t n0, int64_t nc, float* dst) {
  if (!g.trans_b) {
    // Row by row: each source row is read once, sequentially (TLB- and prefetch-friendly), and its
    // NR-wide pieces are scattered to their panels in the L2-resident destination.
    const int64_t full = (nc / NR) * NR;
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = g.B + (k0 + k) * g.ldb + n0;
      for (int64_t c = 0; c < full; c += NR) std::memcpy(dst + c * kc + k * NR, src + c, sizeof(float) * NR);
      if (full < nc) {  // ragged last panel: masked loads, zero-filled lanes
        float* dk = dst + full * kc + k * NR;
        const int cols = static_cast<int>(nc - full);
        for (int v = 0; v < NR / kLanes; ++v)
          vstore(dk + v * kLanes, vload_n(src + full + v * kLanes, lanes(cols, v)));
      }
    }
    return;
  }
  for (int64_t c = 0; c < nc; c += NR) {
    const int64_t cols = std::min<int64_t>(NR, nc - c);
    float* d = dst + c * kc;
    gather_transposed(g.B + (n0 + c) * g.ldb + k0, g.ldb, cols, kc, d, NR);
    zero_pad(d, NR, cols, kc);
  }
}

}  // namespace
}  // namespace NNE_ISA_NS
}  // namespace nne
