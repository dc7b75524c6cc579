// The recurrent kernels' bf16 step product on AVX512-BF16 (vdpbf16ps) and the rows-to-pairs conversion both panel
// kernels read, compiled once with -mavx512bf16; see gemm_bf16.h (bf16_panel_kernel, bf16_pairs_kernel).
#include <immintrin.h>

#include <cstdint>

#include "kernels/bf16/pack_bf16.h"
#include "kernels/gemm_bf16.h"

namespace nne {
namespace avx512bf16 {
namespace {

// acc (MR rows, NV vectors, rows ld floats apart) += the operands' MR rows of pairs (from row r0) . their bp (pairs
// of rows of NV vectors). Every element is one chain of vdpbf16ps over the operands and their pairs in order,
// whatever the tile.
template <int MR, int NV>
void tile(float* acc, int64_t ld, int64_t r0, const Bf16PanelOperand* ops, int nops) {
  __m512 c[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) c[i][v] = _mm512_loadu_ps(acc + i * ld + v * 16);
  for (int o = 0; o < nops; ++o) {
    const uint32_t* a = ops[o].ap + r0 * ops[o].ldp;
    const int64_t ldp = ops[o].ldp, kp = (ops[o].K + 1) / 2;
    const uint32_t* b = ops[o].bp;
    for (int64_t p = 0; p < kp; ++p) {
      __m512bh bv[NV];
      for (int v = 0; v < NV; ++v) bv[v] = (__m512bh)_mm512_loadu_si512(b + (p * NV + v) * 16);
      for (int i = 0; i < MR; ++i) {
        const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[i * ldp + p]));
        for (int v = 0; v < NV; ++v) c[i][v] = _mm512_dpbf16_ps(c[i][v], av, bv[v]);
      }
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(acc + i * ld + v * 16, c[i][v]);
}

// Rows in tiles of MR (12 to 24 accumulators), then 4, 2 and 1.
template <int NV>
void rows_nv(float* acc, int64_t rows, const Bf16PanelOperand* ops, int nops) {
  constexpr int MR = NV == 1 ? 12 : (NV == 2 ? 8 : 6);
  constexpr int64_t ld = NV * 16;
  int64_t r = 0;
  for (; r + MR <= rows; r += MR) tile<MR, NV>(acc + r * ld, ld, r, ops, nops);
  for (; r + 4 <= rows; r += 4) tile<4, NV>(acc + r * ld, ld, r, ops, nops);
  for (; r + 2 <= rows; r += 2) tile<2, NV>(acc + r * ld, ld, r, ops, nops);
  for (; r < rows; ++r) tile<1, NV>(acc + r * ld, ld, r, ops, nops);
}

}  // namespace

void panel(float* acc, int64_t rows, int nv, const Bf16PanelOperand* ops, int nops) {
  switch (nv) {
    case 1: return rows_nv<1>(acc, rows, ops, nops);
    case 2: return rows_nv<2>(acc, rows, ops, nops);
    case 3: return rows_nv<3>(acc, rows, ops, nops);
    default: return rows_nv<4>(acc, rows, ops, nops);
  }
}

// The panel's pairs (gemm_bf16.h bf16_pairs_kernel), for both panel kernels: 32 floats -> 16 pairs per store.
void pairs(uint32_t* dst, int64_t ldp, const float* a, int64_t lda, int64_t rows, int64_t K) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t q = 0; q < ldp; q += 16)
      _mm512_store_si512(dst + r * ldp + q, bf16pack::pair_run(a + r * lda + 2 * q, K - 2 * q));
}

}  // namespace avx512bf16
}  // namespace nne
