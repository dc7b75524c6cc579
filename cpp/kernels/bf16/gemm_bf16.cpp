// bf16 GEMM on AVX512-BF16 (vdpbf16ps), compiled once with -mavx512bf16; see gemm_bf16.h for the contract.
//
// Packed layouts (int32 = one pair of bf16 along k, the even k in the low half, zero-padded):
// - B block: NR = 32 column panels, [pair][column]: one 64-byte row per pair and 16-column half, the vector
//   operand of vdpbf16ps.
// - A block: MR = 12 row panels, either [row][pair] (A not transposed: a row's pairs are contiguous in A)
//   or [pair][row] (A transposed: a pair of A's rows is contiguous along m); the micro-kernel broadcasts one
//   pair per row and per step either way.
// float32 -> bf16 conversion is vcvtne2ps2bf16 (round to nearest even; denormals, NaN as the instruction
// does). A transposed B is converted 16 columns x 16 pairs at a time and transposed in registers.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/parallel.h"
#include "kernels/gemm_bf16.h"

namespace nne {
namespace avx512bf16 {
namespace {

constexpr int MR = 12, NR = 32;

__mmask16 lanes(int64_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << std::max<int64_t>(n, 0)) - 1u); }

// Pairs of two 16-float rows (x0: the even k, x1: the odd k) as 16 int32 lanes.
__m512i pair_rows(__m512 x0, __m512 x1) {
  const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7,
                                              22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  return _mm512_permutexvar_epi16(interleave, (__m512i)_mm512_cvtne2ps_pbh(x1, x0));
}

// 32 consecutive floats (n valid) as 16 pairs.
__m512i pair_run(const float* p, int64_t n) {
  const __m512 lo = _mm512_maskz_loadu_ps(lanes(n), p), hi = _mm512_maskz_loadu_ps(lanes(n - 16), p + 16);
  return (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
}

// In-register transpose of a 16 x 16 matrix of int32.
void transpose16(__m512i r[16]) {
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
  const __m512 alpha = _mm512_set1_ps(g.alpha), beta = _mm512_set1_ps(g.beta);
  const __mmask16 m[2] = {lanes(cols), lanes(cols - 16)};
  for (int i = 0; i < rows; ++i) {
    float* crow = c + i * ldc;
    for (int h = 0; h < 2; ++h) {
      if (!m[h]) continue;
      __m512 v = _mm512_mul_ps(alpha, acc[i][h]);
      if (first) {
        if (g.beta != 0.f) v = _mm512_add_ps(v, _mm512_mul_ps(beta, _mm512_maskz_loadu_ps(m[h], crow + 16 * h)));
        if (br) v = _mm512_add_ps(v, _mm512_set1_ps(br[i]));
        if (bc) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m[h], bc + 16 * h));
      } else {
        v = _mm512_add_ps(_mm512_maskz_loadu_ps(m[h], crow + 16 * h), v);
      }
      _mm512_mask_storeu_ps(crow + 16 * h, m[h], v);
    }
  }
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

// Threads split C along its longer side, into NR-aligned column slabs (each packs all of op(A)) or MR-aligned
// row slabs (each packs all of op(B)); chunks are taken dynamically, the arithmetic of an element never
// depends on the split. Reached only through the float32 GEMM's entry (GemmArgs::bf16), which has already
// handled the empty products (M, N or K <= 0).
void sgemm(const GemmArgs& g) {
  const GemmBlocking blk = gemm_blocking();
  const int64_t tiles_m = (g.M + MR - 1) / MR, tiles_n = (g.N + NR - 1) / NR;
  constexpr int64_t kMinFlops = 1 << 22;  // a chunk below ~2 us of bf16 work is not worth a thread
  // Chunks for the dynamic schedule: each packs (converts) the shared operand again, so at least kChunkWidth
  // wide: the repacking stays under one conversion per 2 x 1024 multiply-adds (with 512: 2048^3 and 4096^3 at
  // 2 threads on Zen 4 packed op(A) four times and ran 4-6 points of the bf16 ceiling slower).
  constexpr int64_t kChunkWidth = 1024;
  const int64_t nt = std::max(1, get_num_threads());
  auto chunks = [&](int64_t width) { return std::clamp<int64_t>(width / (nt * kChunkWidth), 1, 4); };
  if (g.N >= g.M) {
    const int64_t grain = std::max<int64_t>(1, kMinFlops / std::max<int64_t>(1, 2 * g.M * g.K * NR));
    parallel_for(0, tiles_n, grain, [&](int64_t b, int64_t e) {
      gemm_block(g, blk, 0, g.M, b * NR, std::min(g.N, e * NR));
    }, chunks(g.N));
  } else {
    const int64_t grain = std::max<int64_t>(1, kMinFlops / std::max<int64_t>(1, 2 * g.N * g.K * MR));
    parallel_for(0, tiles_m, grain, [&](int64_t b, int64_t e) {
      gemm_block(g, blk, b * MR, std::min(g.M, e * MR), 0, g.N);
    }, chunks(g.M));
  }
}

}  // namespace avx512bf16
}  // namespace nne
