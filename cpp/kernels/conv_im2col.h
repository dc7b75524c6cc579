// Row pieces the im2col + GEMM convolutions share (conv2d.cpp, conv3d.cpp; the pooling rows of pool2d.cpp; compiled
// once per ISA with them): the
// valid output columns of one kernel tap on one input row, the strided row copy, and the bias gradient's row sums.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {

// Valid output columns q in [lo, hi), a sub-range of [qa, qb), whose input column q*stride - pad + off lies in
// [0, W). Both ends are clamped into [qa, qb]: a kernel tap that reads only padding for these columns gives
// lo == hi == qb (or qa), so the callers' zero-fill loops never leave the block's columns.
inline void valid_cols(int64_t W, int64_t pad, int64_t stride, int64_t off, int64_t qa, int64_t qb, int64_t& lo,
                       int64_t& hi) {
  const int64_t base = off - pad;  // iw = q*stride + base
  lo = base >= 0 ? 0 : (-base + stride - 1) / stride;
  hi = W - 1 - base < 0 ? 0 : (W - 1 - base) / stride + 1;
  lo = std::min(std::max(lo, qa), qb);
  hi = std::max(std::min(hi, qb), lo);
}

// d[q] = src[q * stride] for q in [lo, hi): the strided row copy of im2col. Stride 2 (downsampling
// stems and stride-2 convolutions) deinterleaves two vectors at a time; vector loads stay within
// src[lo * 2 .. (hi - 1) * 2], the range the scalar loop reads.
inline void copy_strided(float* d, const float* src, int64_t lo, int64_t hi, int64_t stride) {
  int64_t q = lo;
#if defined(__AVX512F__)
  if (stride == 2) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (; q + 17 <= hi; q += 16)
      _mm512_storeu_ps(d + q, _mm512_permutex2var_ps(_mm512_loadu_ps(src + 2 * q), even,
                                                     _mm512_loadu_ps(src + 2 * q + 16)));
  }
#elif defined(__AVX2__)
  if (stride == 2) {
    for (; q + 9 <= hi; q += 8) {
      const __m256 e = _mm256_shuffle_ps(_mm256_loadu_ps(src + 2 * q), _mm256_loadu_ps(src + 2 * q + 8),
                                         _MM_SHUFFLE(2, 0, 2, 0));
      _mm256_storeu_ps(d + q, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0))));
    }
  }
#endif
  for (; q < hi; ++q) d[q] = src[q * stride];
}

// sums[r] += the sum of row r (len floats, row stride ld) for r < rows: the bias gradient's share of a block.
inline void add_row_sums(float* sums, const float* m, int64_t ld, int64_t rows, int64_t len) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* d = m + r * ld;
    VecF acc = vzero();
    int64_t j = 0;
    for (; j + kLanes <= len; j += kLanes) acc = vadd(acc, vload(d + j));
    float sum = vsum(acc);
    for (; j < len; ++j) sum += d[j];
    sums[r] += sum;
  }
}

}  // namespace NNE_ISA_NS
}  // namespace nne
