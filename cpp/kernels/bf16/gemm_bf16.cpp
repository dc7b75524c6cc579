// bf16 GEMM on AVX512-BF16 (vdpbf16ps), compiled once with -mavx512bf16; see gemm_bf16.h for the contract.
//
// Packed layouts (int32 = one pair of bf16 along k, the even k in the low half, zero-padded):
// - B block: NR = 32 column panels, [pair][column]: one 64-byte row per pair and 16-column half, the vector
//   operand of vdpbf16ps.
// - A block: MR = 12 row panels, either [row][pair] (A not transposed: a row's pairs are contiguous in A)
//   or [pair][row] (A transposed: a pair of A's rows is contiguous along m); the micro-kernel broadcasts one
//   pair per row and per step either way.
// float32 -> bf16 conversion: pack_bf16.h. A transposed B is converted 16 columns x 16 pairs at a time and
// transposed in registers.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/parallel.h"
#include "kernels/bf16/pack_bf16.h"
#include "kernels/gemm_bf16.h"

namespace nne {
namespace avx512bf16 {
namespace {

using namespace bf16pack;

constexpr int MR = 12, NR = 32;

// op(B)[pc : pc+kc, jc : jc+nc] -> NR-column panels of kp = ceil(kc/2) pairs each.
void pack_b(const GemmArgs& g, int64_t pc, int64_t kc, int64_t jc, int64_t nc, int32_t* out) {
  const int64_t kp = (kc + 1) / 2;
  if (!g.trans_b) {  // row pairs outer: each pair of B's rows is read once, left to right, into every panel
    for (int64_t p = 0; p < kp; ++p) {
      const float* r0 = g.B + (pc + 2 * p) * g.ldb + jc;
      const bool odd = 2 * p + 1 < kc;
      for (int64_t jr = 0; jr < nc; jr += NR) {
        int32_t* dst = out + (jr / NR) * kp * NR + p * NR;
        for (int h = 0; h < 2; ++h) {
          const int64_t j = jr + 16 * h, cols = std::min<int64_t>(16, nc - j);
          if (cols <= 0) {
            _mm512_store_si512(dst + 16 * h, _mm512_setzero_si512());
            continue;
          }
          const __mmask16 m = lanes(cols);
          const __m512 x0 = _mm512_maskz_loadu_ps(m, r0 + j);
          const __m512 x1 = odd ? _mm512_maskz_loadu_ps(m, r0 + g.ldb + j) : _mm512_setzero_ps();
          _mm512_store_si512(dst + 16 * h, pair_rows(x0, x1));
        }
      }
    }
    return;
  }
  for (int64_t jr = 0; jr < nc; jr += NR) {
    int32_t* panel = out + (jr / NR) * kp * NR;
    for (int h = 0; h < 2; ++h) {
      const int64_t j0 = jc + jr + 16 * h, cols = std::min<int64_t>(16, jc + nc - j0);
      if (cols <= 0) {
        for (int64_t p = 0; p < kp; ++p) _mm512_store_si512(panel + p * NR + 16 * h, _mm512_setzero_si512());
        continue;
      }
      if (!g.trans_b) {
        const __mmask16 m = lanes(cols);
        for (int64_t p = 0; p < kp; ++p) {
          const float* r0 = g.B + (pc + 2 * p) * g.ldb + j0;
          const __m512 x0 = _mm512_maskz_loadu_ps(m, r0);
          const __m512 x1 = 2 * p + 1 < kc ? _mm512_maskz_loadu_ps(m, r0 + g.ldb) : _mm512_setzero_ps();
          _mm512_store_si512(panel + p * NR + 16 * h, pair_rows(x0, x1));
        }
      } else {  // column j of op(B) is row j of B: 16 columns x 16 pairs, converted, then transposed
        for (int64_t p0 = 0; p0 < kp; p0 += 16) {
          __m512i r[16];
          const int64_t n = std::min<int64_t>(32, kc - 2 * p0);
          for (int c = 0; c < 16; ++c)
            r[c] = c < cols ? pair_run(g.B + (j0 + c) * g.ldb + pc + 2 * p0, n) : _mm512_setzero_si512();
          transpose16(r);
          for (int64_t p = 0; p < std::min<int64_t>(16, kp - p0); ++p)
            _mm512_store_si512(panel + (p0 + p) * NR + 16 * h, r[p]);
        }
      }
    }
  }
}

// op(A)[ic : ic+mc, pc : pc+kc] -> MR-row panels of kp pairs: [row][pair] (A as stored) or [pair][row]
// (A transposed); rows past mc are zero.
void pack_a(const GemmArgs& g, int64_t ic, int64_t mc, int64_t pc, int64_t kc, int32_t* out) {
  const int64_t kp = (kc + 1) / 2;
  if (g.trans_a) {  // row pairs outer: each pair of op(A)^T's rows is read once, left to right, into every panel
    for (int64_t p = 0; p < kp; ++p) {
      const float* r0 = g.A + (pc + 2 * p) * g.lda + ic;
      const bool odd = 2 * p + 1 < kc;
      for (int64_t ir = 0; ir < mc; ir += MR) {
        const __mmask16 m = lanes(std::min<int64_t>(MR, mc - ir));
        const __m512 x0 = _mm512_maskz_loadu_ps(m, r0 + ir);
        const __m512 x1 = odd ? _mm512_maskz_loadu_ps(m, r0 + g.lda + ir) : _mm512_setzero_ps();
        _mm512_mask_storeu_epi32(out + (ir / MR) * MR * kp + p * MR, lanes(MR), pair_rows(x0, x1));
      }
    }
    return;
  }
  for (int64_t ir = 0; ir < mc; ir += MR) {
    int32_t* panel = out + (ir / MR) * MR * kp;
    const int64_t rows = std::min<int64_t>(MR, mc - ir);
    if (!g.trans_a) {
      for (int64_t i = 0; i < MR; ++i)
        for (int64_t p = 0; p < kp; p += 16) {
          const __mmask16 m = lanes(kp - p);
          const __m512i v = i < rows ? pair_run(g.A + (ic + ir + i) * g.lda + pc + 2 * p, kc - 2 * p)
                                     : _mm512_setzero_si512();
          _mm512_mask_storeu_epi32(panel + i * kp + p, m, v);
        }
    } else {
      const __mmask16 m = lanes(rows);
      for (int64_t p = 0; p < kp; ++p) {
        const float* r0 = g.A + (pc + 2 * p) * g.lda + ic + ir;
        const __m512 x0 = _mm512_maskz_loadu_ps(m, r0);
        const __m512 x1 = 2 * p + 1 < kc ? _mm512_maskz_loadu_ps(m, r0 + g.lda) : _mm512_setzero_ps();
        _mm512_mask_storeu_epi32(panel + p * MR, lanes(MR), pair_rows(x0, x1));
      }
    }
  }
}

// One MR x NR tile over kp pairs, then the epilogue into C (rows x cols valid).
template <bool kRowA>
void micro(int64_t kp, const int32_t* pa, const int32_t* pb, float* c, int64_t ldc, int rows, int cols,
           const GemmArgs& g, bool first, const float* br, const float* bc) {
  __m512 acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int i = 0; i < rows; ++i) {  // the C tile arrives while the products run (it is written at the end)
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
  }
  for (int64_t p = 0; p < kp; ++p) {
    const __m512bh b0 = (__m512bh)_mm512_load_si512(pb + p * NR);
    const __m512bh b1 = (__m512bh)_mm512_load_si512(pb + p * NR + 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32(kRowA ? pa[i * kp + p] : pa[p * MR + i]);
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], a, b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], a, b1);
    }
  }
  const __mmask16 m[2] = {lanes(cols), lanes(cols - 16)};
  for (int i = 0; i < rows; ++i)
    for (int h = 0; h < 2; ++h)
      if (m[h])
        store_sums(c + i * ldc + 16 * h, acc[i][h], m[h], g, first, br ? br + i : nullptr, bc ? bc + 16 * h : nullptr);
}

// Serial blocked product on the C block [m0, m1) x [n0, n1).
void gemm_block(const GemmArgs& g, const GemmBlocking& blk, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  // 2 x KC pairs per K block (4 x KC values of k): each K block re-reads and re-writes the C tiles, and halving
  // those passes beat keeping the packed B block at the float32 GEMM's bytes (measured on Zen 4, 1 thread,
  // 1024^3 / 2048^3: 198 / 191 vs 192 / 183 GFLOP/s; KC pairs with NC / 2 columns: 196 / 165).
  const int64_t KP = std::max<int64_t>(8, 2 * blk.kc);
  const int64_t MC = std::max<int64_t>(1, blk.mc / MR) * MR, NC = std::max<int64_t>(1, blk.nc / NR) * NR;
  static thread_local ScratchBuf abuf, bbuf;
  int32_t* pa = reinterpret_cast<int32_t*>(abuf.get(static_cast<size_t>((MC + MR) * KP)));
  int32_t* pb = reinterpret_cast<int32_t*>(bbuf.get(static_cast<size_t>(KP * (NC + NR))));
  // Loop order (ic, pc, jc) as in the float32 GEMM: op(A)'s MC x KC block is packed once (MC is L3-sized), each
  // B block once per A block.
  for (int64_t ic = m0; ic < m1; ic += MC) {
    const int64_t mc = std::min(MC, m1 - ic);
    for (int64_t pc = 0; pc < g.K; pc += 2 * KP) {
      const int64_t kc = std::min(2 * KP, g.K - pc), kp = (kc + 1) / 2;
      const bool first = pc == 0;
      pack_a(g, ic, mc, pc, kc, pa);
      for (int64_t jc = n0; jc < n1; jc += NC) {
        const int64_t nc = std::min(NC, n1 - jc);
        pack_b(g, pc, kc, jc, nc, pb);
        for (int64_t ir = 0; ir < mc; ir += MR) {
          const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ir));
          for (int64_t jr = 0; jr < nc; jr += NR) {
            const int cols = static_cast<int>(std::min<int64_t>(NR, nc - jr));
            float* c = g.C + (ic + ir) * g.ldc + jc + jr;
            const float* br = g.bias_row ? g.bias_row + ic + ir : nullptr;
            const float* bc = g.bias_col ? g.bias_col + jc + jr : nullptr;
            const int32_t* a = pa + (ir / MR) * MR * kp;
            const int32_t* b = pb + (jr / NR) * kp * NR;
            if (g.trans_a)
              micro<false>(kp, a, b, c, g.ldc, rows, cols, g, first, br, bc);
            else
              micro<true>(kp, a, b, c, g.ldc, rows, cols, g, first, br, bc);
          }
        }
      }
    }
  }
}

}  // namespace

// Threads: bf16pack::split_slabs (NR-aligned column or MR-aligned row slabs). Reached only through the float32
// GEMM's entry (GemmArgs::bf16), which has already handled the empty products (M, N or K <= 0).
void sgemm(const GemmArgs& g) {
  const GemmBlocking blk = gemm_blocking();
  constexpr int64_t kMinFlops = int64_t{1} << 22;  // ~20 us at 200 GFLOP/s
  split_slabs(g, MR, NR, kMinFlops, [&](int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    gemm_block(g, blk, m0, m1, n0, n1);
  });
}

}  // namespace avx512bf16
}  // namespace nne
