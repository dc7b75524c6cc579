// Few rows of x times a weight kept as bf16 bits, on AVX512-BF16 (vdpbf16ps), compiled once with -mavx512bf16; see
// gemm_bf16.h (bf16_dot_kernel). The bits are the pairs vdpbf16ps reads as they lie in memory (32 consecutive bf16
// of a weight row = 16 pairs, the even k low), so nothing is converted per call but x's few rows: per 32 values of
// k one instruction instead of the portable kernel's (gemm_dot.h dot_bf16w) split of the bits into two float32
// vectors and two FMAs.
// GCC 12 reports a false -Wuninitialized inside avx512fintrin.h (the _mm512_undefined_* operand of the extracts in
// _mm512_reduce_add_ps); silence it for the intrinsic header only (as rnn_step.h does).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cstdint>

#include "core/buffer.h"
#include "core/parallel.h"
#include "kernels/bf16/pack_bf16.h"
#include "kernels/gemm_bf16.h"

namespace nne {
namespace avx512bf16 {
namespace {

// The 32 bf16 of row w from k (the first n valid, zero past them).
inline __m512bh w_pairs(const uint16_t* w, int64_t n) {
  if (n >= 32) return (__m512bh)_mm512_loadu_si512(w);
  const __mmask32 m = n <= 0 ? 0u : static_cast<__mmask32>((uint64_t{1} << n) - 1u);
  return (__m512bh)_mm512_maskz_loadu_epi16(m, w);
}

// Rows [i0, i0 + MB) x columns [j0, j0 + cols) of y (cols <= C): each output one vdpbf16ps chain per lane over
// the pairs in k order, then the 16 lanes summed (_mm512_reduce_add_ps: a fixed tree) and the bias added.
template <int MB, int C>
void block(const uint32_t* a, int64_t ldp, int64_t K, const uint16_t* w, int64_t N, const float* bias, float* y,
           int64_t i0, int64_t j0, int cols) {
  const uint16_t* b[C];
  for (int c = 0; c < C; ++c) b[c] = w + (j0 + std::min(c, cols - 1)) * K;  // short blocks repeat the last row
  __m512 acc[MB][C];
#pragma GCC unroll 4
  for (int r = 0; r < MB; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  for (int64_t q = 0; q < ldp; q += 16) {
    __m512bh bv[C];
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) bv[c] = w_pairs(b[c] + 2 * q, K - 2 * q);
#pragma GCC unroll 4
    for (int r = 0; r < MB; ++r) {
      const __m512bh av = (__m512bh)_mm512_load_si512(a + (i0 + r) * ldp + q);
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], av, bv[c]);
    }
  }
  float sums[MB][C];  // (constant bounds: the accumulators stay in registers, never stored at every step)
#pragma GCC unroll 4
  for (int r = 0; r < MB; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) sums[r][c] = _mm512_reduce_add_ps(acc[r][c]);
  for (int r = 0; r < MB; ++r)
    for (int c = 0; c < cols; ++c) y[(i0 + r) * N + j0 + c] = bias ? sums[r][c] + bias[j0 + c] : sums[r][c];
}

}  // namespace

// M, N, K > 0 (the binding fills the empty products' outputs).
void dot(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t N, const float* bias, float* y) {
  const int64_t ldp = ((K + 1) / 2 + 15) / 16 * 16;  // pairs per row, whole vectors (zero past K)
  static thread_local ScratchBuf abuf;
  uint32_t* a = reinterpret_cast<uint32_t*>(abuf.get(static_cast<size_t>(M * ldp)));
  bf16_pairs_kernel()(a, ldp, x, K, M, K);  // (this CPU has AVX512-BF16: never null here)
  // Columns in blocks of C (8 for up to 2 rows: 16 accumulators and 8 weight vectors; 4 for 3-4 rows), split over
  // threads in chunks of at least ~2^17 flops, as the portable kernel's (gemm_dot.h dot_split); every output is
  // computed alike whatever the split: bit-identical at any thread count.
  const int C = M <= 2 ? 8 : 4;
  const int64_t blocks = (N + C - 1) / C;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 17) / std::max<int64_t>(1, 2 * M * K * C));
  parallel_for(0, blocks, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t bk = b0; bk < b1; ++bk) {
      const int64_t j0 = bk * C;
      const int cols = static_cast<int>(std::min<int64_t>(C, N - j0));
      for (int64_t i = 0; i < M; i += 4) {
        const int64_t mb = std::min<int64_t>(4, M - i);
        if (C == 8 && mb == 1) block<1, 8>(a, ldp, K, w, N, bias, y, i, j0, cols);
        else if (C == 8) block<2, 8>(a, ldp, K, w, N, bias, y, i, j0, cols);
        else if (mb == 3) block<3, 4>(a, ldp, K, w, N, bias, y, i, j0, cols);
        else if (mb == 4) block<4, 4>(a, ldp, K, w, N, bias, y, i, j0, cols);
        else if (mb == 2) block<2, 4>(a, ldp, K, w, N, bias, y, i, j0, cols);
        else block<1, 4>(a, ldp, K, w, N, bias, y, i, j0, cols);
      }
    }
  });
}

}  // namespace avx512bf16
}  // namespace nne
