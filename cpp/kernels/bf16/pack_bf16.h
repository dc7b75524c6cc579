// float32 -> bf16 pair packing and the thread split shared by the bf16 kernels (gemm_bf16.cpp, gemm_amx.cpp,
// panel_bf16.cpp).
// Only for translation units compiled with -mavx512bf16 (cpp/kernels/bf16). A "pair" is one int32 holding two
// bf16 along k, the even k in the low half: the operand of vdpbf16ps and of the AMX tiles' tdpbf16ps.
// float32 -> bf16 is vcvtne2ps2bf16 (round to nearest even; denormals and NaN as the instruction does).
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "core/parallel.h"
#include "kernels/gemm.h"

namespace nne {
namespace bf16pack {

// The first n of 16 lanes (none for n <= 0).
inline __mmask16 lanes(int64_t n) {
  return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << std::max<int64_t>(n, 0)) - 1u);
}

// Pairs of two 16-float rows (x0: the even k, x1: the odd k) as 16 int32 lanes.
inline __m512i pair_rows(__m512 x0, __m512 x1) {
  const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7,
                                              22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  return _mm512_permutexvar_epi16(interleave, (__m512i)_mm512_cvtne2ps_pbh(x1, x0));
}

// 32 consecutive floats (the first n valid, the rest read as zero) as 16 pairs.
inline __m512i pair_run(const float* p, int64_t n) {
  const __m512 lo = _mm512_maskz_loadu_ps(lanes(n), p), hi = _mm512_maskz_loadu_ps(lanes(n - 16), p + 16);
  return (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
}

// In-register transpose of a 16 x 16 matrix of int32.
inline void transpose16(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  // 4x4 blocks are transposed inside each 128-bit lane; move the lanes into place in two rounds
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xdd);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
    r[i + 4] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0x88);
    r[i + 12] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0xdd);
  }
}

// The bf16 GEMMs' epilogue for 16 columns of one row of C (the lanes in m) from the float32 sums acc of one K
// block: the first block writes alpha * acc + beta * C + the row's bias br (none: nullptr) + the column biases bc,
// later ones add alpha * acc to C.
inline void store_sums(float* crow, __m512 acc, __mmask16 m, const GemmArgs& g, bool first, const float* br,
                       const float* bc) {
  __m512 v = _mm512_mul_ps(_mm512_set1_ps(g.alpha), acc);
  if (first) {
    if (g.beta != 0.f) v = _mm512_add_ps(v, _mm512_mul_ps(_mm512_set1_ps(g.beta), _mm512_maskz_loadu_ps(m, crow)));
    if (br) v = _mm512_add_ps(v, _mm512_set1_ps(*br));
    if (bc) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bc));
  } else {
    v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, crow), v);
  }
  _mm512_mask_storeu_ps(crow, m, v);
}

// The bf16 GEMMs' thread split: C along its longer side, into mr-aligned row slabs (each packs all of op(B)) or
// nr-aligned column slabs (each packs all of op(A)), taken dynamically; block(m0, m1, n0, n1) runs one. The
// arithmetic of an element never depends on the split. Chunks below min_flops of work are not worth a thread;
// each chunk converts the shared operand again, so chunks are at least 1024 wide (with 512, 2048^3 and 4096^3 at
// 2 threads on Zen 4 packed op(A) four times and ran 4-6 points of the bf16 ceiling slower).
template <class Block>
void split_slabs(const GemmArgs& g, int64_t mr, int64_t nr, int64_t min_flops, const Block& block) {
  constexpr int64_t kChunkWidth = 1024;
  const int64_t nt = std::max(1, get_num_threads());
  auto chunks = [&](int64_t width) { return std::clamp<int64_t>(width / (nt * kChunkWidth), 1, 4); };
  if (g.N >= g.M) {
    const int64_t grain = std::max<int64_t>(1, min_flops / std::max<int64_t>(1, 2 * g.M * g.K * nr));
    parallel_for(0, (g.N + nr - 1) / nr, grain, [&](int64_t b, int64_t e) {
      block(0, g.M, b * nr, std::min(g.N, e * nr));
    }, chunks(g.N));
  } else {
    const int64_t grain = std::max<int64_t>(1, min_flops / std::max<int64_t>(1, 2 * g.N * g.K * mr));
    parallel_for(0, (g.M + mr - 1) / mr, grain, [&](int64_t b, int64_t e) {
      block(b * mr, std::min(g.M, e * mr), 0, g.N);
    }, chunks(g.M));
  }
}

}  // namespace bf16pack
}  // namespace nne
