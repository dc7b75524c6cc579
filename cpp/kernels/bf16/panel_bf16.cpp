// The recurrent kernels' bf16 step product on AVX512-BF16 (vdpbf16ps), compiled once with -mavx512bf16; see
// gemm_bf16.h (bf16_panel_kernel) for the contract.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/bf16/pack_bf16.h"
#include "kernels/gemm_bf16.h"

namespace nne {
namespace avx512bf16 {
namespace {

using bf16pack::lanes;

constexpr int64_t kChunk = 128;  // pairs of a row converted at a time (the rows' pairs wait on the stack)

// acc (MR rows, NV vectors, rows ld floats apart) += bf16(a's MR rows of K floats, lda apart) . bp (pairs of
// rows of NV vectors). Every element is one chain of vdpbf16ps over the pairs in order, whatever the tile.
template <int MR, int NV>
void tile(float* acc, int64_t ld, const float* a, int64_t lda, int64_t K, const uint32_t* bp) {
  __m512 c[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) c[i][v] = _mm512_loadu_ps(acc + i * ld + v * 16);
  alignas(64) uint32_t ap[MR][kChunk];
  const int64_t kp = (K + 1) / 2;
  for (int64_t p0 = 0; p0 < kp; p0 += kChunk) {
    const int64_t np = std::min(kChunk, kp - p0);
    for (int i = 0; i < MR; ++i)  // 32 floats -> 16 pairs (the even k low); past K: zero
      for (int64_t q = 0; q < np; q += 16) {
        const int64_t k = 2 * (p0 + q), n = K - k;
        const __m512 lo = _mm512_maskz_loadu_ps(lanes(n), a + i * lda + k);
        const __m512 hi = _mm512_maskz_loadu_ps(lanes(n - 16), a + i * lda + k + 16);
        _mm512_store_si512(ap[i] + q, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
      }
    const uint32_t* b = bp + p0 * NV * 16;
    for (int64_t p = 0; p < np; ++p) {
      __m512bh bv[NV];
      for (int v = 0; v < NV; ++v) bv[v] = (__m512bh)_mm512_loadu_si512(b + (p * NV + v) * 16);
      for (int i = 0; i < MR; ++i) {
        const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(ap[i][p]));
        for (int v = 0; v < NV; ++v) c[i][v] = _mm512_dpbf16_ps(c[i][v], av, bv[v]);
      }
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(acc + i * ld + v * 16, c[i][v]);
}

// Rows in tiles of MR (12 to 24 accumulators), then 4, 2 and 1.
template <int NV>
void rows_nv(float* acc, int64_t rows, const float* a, int64_t lda, int64_t K, const uint32_t* bp) {
  constexpr int MR = NV == 1 ? 12 : (NV == 2 ? 8 : 6);
  constexpr int64_t ld = NV * 16;
  int64_t r = 0;
  for (; r + MR <= rows; r += MR) tile<MR, NV>(acc + r * ld, ld, a + r * lda, lda, K, bp);
  for (; r + 4 <= rows; r += 4) tile<4, NV>(acc + r * ld, ld, a + r * lda, lda, K, bp);
  for (; r + 2 <= rows; r += 2) tile<2, NV>(acc + r * ld, ld, a + r * lda, lda, K, bp);
  for (; r < rows; ++r) tile<1, NV>(acc + r * ld, ld, a + r * lda, lda, K, bp);
}

}  // namespace

void panel(float* acc, int64_t rows, int nv, const float* a, int64_t lda, int64_t K, const uint32_t* bp) {
  switch (nv) {
    case 1: return rows_nv<1>(acc, rows, a, lda, K, bp);
    case 2: return rows_nv<2>(acc, rows, a, lda, K, bp);
    case 3: return rows_nv<3>(acc, rows, a, lda, K, bp);
    default: return rows_nv<4>(acc, rows, a, lda, K, bp);
  }
}

}  // namespace avx512bf16
}  // namespace nne
