// Packed, cache-blocked, register-tiled SGEMM (compiled once per ISA). See gemm.h for the contract.
// Reference: Goto & van de Geijn, "Anatomy of high-performance matrix multiplication" (2008);
// BLIS micro-kernel design (Van Zee & van de Geijn 2015).
#include "kernels/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/parallel.h"
#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

#if defined(__AVX512F__)
#ifndef NNE_GEMM_MR
#define NNE_GEMM_MR 12
#define NNE_GEMM_NV 2
#endif
constexpr int MR = NNE_GEMM_MR, NV = NNE_GEMM_NV;
#elif defined(__AVX2__)
constexpr int MR = 6, NV = 2;
#else
constexpr int MR = 6, NV = 2;
#endif
constexpr int NR = NV * kLanes;
#ifndef NNE_GEMM_KC
#define NNE_GEMM_KC 384
#endif
#ifndef NNE_GEMM_MC_PANELS
#define NNE_GEMM_MC_PANELS 256
#endif
#ifndef NNE_GEMM_NC_PANELS
#define NNE_GEMM_NC_PANELS 16
#endif
constexpr int64_t KC = NNE_GEMM_KC;                    // depth of one rank-KC update
constexpr int64_t MC = MR * NNE_GEMM_MC_PANELS;        // A rows packed at once (L3)
constexpr int64_t NC = NR * NNE_GEMM_NC_PANELS;        // B columns packed at once (KC x NC in L2)
#ifndef NNE_GEMM_DIRECT_B_ROWS
#define NNE_GEMM_DIRECT_B_ROWS 24
#endif
constexpr int64_t kSmallM = 4;
#ifndef NNE_GEMM_DIRECT_A_COLS
#define NNE_GEMM_DIRECT_A_COLS 64
#endif
constexpr int64_t kDirectACols = NNE_GEMM_DIRECT_A_COLS;  // up to this many columns, A is not packed  // up to this many rows: no packing at all (GEMV-like kernels)
constexpr int64_t kDirectBRows = NNE_GEMM_DIRECT_B_ROWS;  // up to this many rows, B is not packed

// Per-thread packing buffers, grown on demand and reused (no allocation in the steady state).
struct AlignedBuf {
  float* p = nullptr;
  size_t n = 0;
  ~AlignedBuf() { std::free(p); }
  float* get(size_t need) {
    if (need > n) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, ((need * sizeof(float) + 63) / 64) * 64));
      n = p ? need : 0;
    }
    return p;
  }
};

// dst[k * ldd + j] = src[j * lds + k] for an 8 x 8 block (j, k < 8).
inline void transpose8x8(const float* src, int64_t lds, float* dst, int64_t ldd) {
#if defined(__AVX2__)
  __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + lds), r2 = _mm256_loadu_ps(src + 2 * lds),
         r3 = _mm256_loadu_ps(src + 3 * lds), r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds),
         r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
               t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
               t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)),
               u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)),
               u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2)),
               u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
#else
  for (int j = 0; j < 8; ++j)
    for (int k = 0; k < 8; ++k) dst[k * ldd + j] = src[j * lds + k];
#endif
}

// Pack op(A)[m0:m0+mc, k0:k0+kc] into MR-row panels: panel r holds, for each k, MR values.
void pack_a(const GemmArgs& g, int64_t m0, int64_t mc, int64_t k0, int64_t kc, float* dst) {
  for (int64_t r = 0; r < mc; r += MR) {
    const int64_t rows = std::min<int64_t>(MR, mc - r);
    float* d = dst + r * kc;
    if (!g.trans_a) {
      const float* src = g.A + (m0 + r) * g.lda + k0;
      int64_t i = 0;
      for (; i + 8 <= rows; i += 8) {  // 8-row groups through the register transpose
        int64_t k = 0;
        for (; k + 8 <= kc; k += 8) transpose8x8(src + i * g.lda + k, g.lda, d + k * MR + i, MR);
        for (; k < kc; ++k)
          for (int64_t ii = i; ii < i + 8; ++ii) d[k * MR + ii] = src[ii * g.lda + k];
      }
      for (; i < rows; ++i)
        for (int64_t k = 0; k < kc; ++k) d[k * MR + i] = src[i * g.lda + k];
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = g.A + (k0 + k) * g.lda + m0 + r;
        for (int64_t i = 0; i < rows; ++i) d[k * MR + i] = src[i];
      }
    }
    if (rows < MR)
      for (int64_t k = 0; k < kc; ++k)
        for (int64_t i = rows; i < MR; ++i) d[k * MR + i] = 0.f;
  }
}

// Pack op(B)[k0:k0+kc, n0:n0+nc] into NR-column panels: panel c holds, for each k, NR values.
void pack_b(const GemmArgs& g, int64_t k0, int64_t kc, int64_t n0, int64_t nc, float* dst) {
  if (!g.trans_b) {
    // Row by row: each source row is read once, sequentially (TLB- and prefetch-friendly), and its
    // NR-wide pieces are scattered to their panels in the L2-resident destination.
    const int64_t full = (nc / NR) * NR;
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = g.B + (k0 + k) * g.ldb + n0;
      for (int64_t c = 0; c < full; c += NR) std::memcpy(dst + c * kc + k * NR, src + c, sizeof(float) * NR);
      if (full < nc) {
        float* dk = dst + full * kc + k * NR;
        const int64_t cols = nc - full;
        for (int64_t j = 0; j < cols; ++j) dk[j] = src[full + j];
        for (int64_t j = cols; j < NR; ++j) dk[j] = 0.f;
      }
    }
    return;
  }
  for (int64_t c = 0; c < nc; c += NR) {
    const int64_t cols = std::min<int64_t>(NR, nc - c);
    float* d = dst + c * kc;
    if (!g.trans_b) {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = g.B + (k0 + k) * g.ldb + n0 + c;
        float* dk = d + k * NR;
        if (cols == NR) {
          std::memcpy(dk, src, sizeof(float) * NR);
        } else {
          for (int64_t j = 0; j < cols; ++j) dk[j] = src[j];
          for (int64_t j = cols; j < NR; ++j) dk[j] = 0.f;
        }
      }
    } else {
      // Transposed gather in 8 x 8 blocks: eight source rows are read together, eight packed rows
      // written together, so both sides stay within a few cache lines.
      const float* src = g.B + (n0 + c) * g.ldb + k0;
      int64_t j = 0;
      for (; j + 8 <= cols; j += 8) {
        const float* s0 = src + j * g.ldb;
        int64_t k = 0;
        for (; k + 8 <= kc; k += 8) transpose8x8(s0 + k, g.ldb, d + k * NR + j, NR);
        for (; k < kc; ++k)
          for (int jj = 0; jj < 8; ++jj) d[k * NR + j + jj] = s0[jj * g.ldb + k];
      }
      for (; j < cols; ++j) {
        const float* sj = src + j * g.ldb;
        for (int64_t k = 0; k < kc; ++k) d[k * NR + j] = sj[k];
      }
      if (cols < NR)
        for (int64_t k = 0; k < kc; ++k)
          for (int64_t j = cols; j < NR; ++j) d[k * NR + j] = 0.f;
    }
  }
}

// Epilogue of a partial tile: tile holds alpha*acc (row stride tile_ld). Shared by the micro-kernel
// and the few-rows path so a row's result never depends on which path (or how many rows) produced it.
inline void store_edge(float* c, int64_t ldc, const float* tile, int tile_ld, int rows, int cols, float beta,
                       bool first, const float* bias_row, const float* bias_col) {
  for (int i = 0; i < rows; ++i) {
    float* ci = c + i * ldc;
    for (int j = 0; j < cols; ++j) {
      float r = tile[i * tile_ld + j];
      if (!first) {
        r = r + ci[j];
      } else {
        if (beta != 0.f) r = beta * ci[j] + r;
        if (bias_row) r = r + bias_row[i];
        if (bias_col) r = r + bias_col[j];
      }
      ci[j] = r;
    }
  }
}

// acc[MR][NR] = sum_k a[k][i] * b[k][j]; then C = alpha*acc + (first ? beta*C + biases : C).
// b advances by bstride floats per k: NR for a packed panel, ldb when reading row-major B in place.
// DirectA: a points at row-major op(A) rows in place (row stride lda) instead of a packed panel.
template <bool DirectA = false>
inline void micro_kernel(int64_t kc, const float* __restrict a, const float* __restrict b, int64_t bstride,
                         float* c, int64_t ldc, int rows, int cols, float alpha, float beta, bool first,
                         const float* bias_row, const float* bias_col, int64_t lda = 0) {
  VecF acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = vzero();
  for (int64_t k = 0; k < kc; ++k) {
    VecF bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = vload(b + v * kLanes);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const VecF av = vset1(DirectA ? a[i * lda] : a[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = vfma(av, bv[v], acc[i][v]);
    }
    a += DirectA ? 1 : MR;
    b += bstride;
  }
  const VecF va = vset1(alpha);
  if (rows == MR && cols == NR) {
    VecF bc[NV] = {};
    if (first && bias_col) {
      for (int v = 0; v < NV; ++v) bc[v] = vload(bias_col + v * kLanes);
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      float* ci = c + i * ldc;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        VecF r = vmul(va, acc[i][v]);
        if (!first) {
          r = vadd(r, vload(ci + v * kLanes));
        } else {
          if (beta != 0.f) r = vfma(vset1(beta), vload(ci + v * kLanes), r);
          if (bias_row) r = vadd(r, vset1(bias_row[i]));
          if (bias_col) r = vadd(r, bc[v]);
        }
        vstore(ci + v * kLanes, r);
      }
    }
    return;
  }
  alignas(64) float tile[MR * NR];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) vstore(tile + i * NR + v * kLanes, vmul(va, acc[i][v]));
  store_edge(c, ldc, tile, NR, rows, cols, beta, first, bias_row, bias_col);
}

// Serial blocked GEMM on the C block [m0, m1) x [n0, n1). BLIS loop order with the roles mapped
// to our row-major micro-kernel: the broadcast side (A, MR rows) is packed once per (MC x KC) block
// (L3/L2 resident) and its MR x KC micro-panel stays in L1; the vector side (B, KC x NB block)
// is packed into L2 and streamed NR columns at a time.
void gemm_block(const GemmArgs& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  static thread_local AlignedBuf abuf, bbuf;
  float* pa = abuf.get(static_cast<size_t>((MC + MR) * KC));
  float* pb = bbuf.get(static_cast<size_t>(KC * (NC + NR)));
  if (!pa || !pb) std::abort();  // out of memory for a few hundred KiB: nothing sane to do
  for (int64_t ic = m0; ic < m1; ic += MC) {
    const int64_t mc = std::min(MC, m1 - ic);
    for (int64_t pc = 0; pc < g.K; pc += KC) {
      const int64_t kc = std::min(KC, g.K - pc);
      const bool first = pc == 0;
      // Narrow C: each A element is used by few B panels, so full MR-row panels of a non-transposed A
      // are read in place; only a ragged last panel is packed.
      const bool direct_a = !g.trans_a && (n1 - n0) <= kDirectACols;
      if (!direct_a) pack_a(g, ic, mc, pc, kc, pa);
      for (int64_t jc = n0; jc < n1; jc += NC) {
        const int64_t nc = std::min(NC, n1 - jc);
        pack_b(g, pc, kc, jc, nc, pb);
        for (int64_t ir = 0; ir < mc; ir += MR) {
          const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ir));
          if (direct_a && rows < MR) pack_a(g, ic + ir, rows, pc, kc, pa + ir * kc);
          for (int64_t jr = 0; jr < nc; jr += NR) {
            const int cols = static_cast<int>(std::min<int64_t>(NR, nc - jr));
            float* c = g.C + (ic + ir) * g.ldc + jc + jr;
            const float* br = g.bias_row ? g.bias_row + ic + ir : nullptr;
            const float* bc = g.bias_col ? g.bias_col + jc + jr : nullptr;
            if (direct_a && rows == MR)
              micro_kernel<true>(kc, g.A + (ic + ir) * g.lda + pc, pb + jr * kc, NR, c, g.ldc, rows, cols, g.alpha,
                                 g.beta, first, br, bc, g.lda);
            else
              micro_kernel(kc, pa + ir * kc, pb + jr * kc, NR, c, g.ldc, rows, cols, g.alpha, g.beta, first, br, bc);
          }
        }
      }
    }
  }
}

// Few rows of A: packing B would cost as much as using it, so full NR-wide column panels of a
// non-transposed B are read in place (row stride ldb) and only the ragged last panel is packed.
void gemm_block_direct_b(const GemmArgs& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  static thread_local AlignedBuf abuf, ebuf;
  float* pa = abuf.get(static_cast<size_t>((MC + MR) * KC));
  float* pe = ebuf.get(static_cast<size_t>(KC * NR));
  if (!pa || !pe) std::abort();
  for (int64_t ic = m0; ic < m1; ic += MC) {
    const int64_t mc = std::min(MC, m1 - ic);
    for (int64_t pc = 0; pc < g.K; pc += KC) {
      const int64_t kc = std::min(KC, g.K - pc);
      const bool first = pc == 0;
      pack_a(g, ic, mc, pc, kc, pa);
      const int64_t n_full = n0 + ((n1 - n0) / NR) * NR;
      if (n_full < n1) pack_b(g, pc, kc, n_full, n1 - n_full, pe);
      for (int64_t jr = n0; jr < n1; jr += NR) {
        const bool edge = jr >= n_full;
        const int cols = static_cast<int>(std::min<int64_t>(NR, n1 - jr));
        const float* bp = edge ? pe : g.B + pc * g.ldb + jr;
        const int64_t bs = edge ? NR : g.ldb;
        for (int64_t ir = 0; ir < mc; ir += MR) {
          const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ir));
          micro_kernel(kc, pa + ir * kc, bp, bs, g.C + (ic + ir) * g.ldc + jr, g.ldc, rows, cols, g.alpha, g.beta,
                       first, g.bias_row ? g.bias_row + ic + ir : nullptr, g.bias_col ? g.bias_col + jr : nullptr);
        }
      }
    }
  }
}

void gemm_range(const GemmArgs& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  if (!g.trans_b && m1 - m0 <= kDirectBRows) return gemm_block_direct_b(g, m0, m1, n0, n1);
  gemm_block(g, m0, m1, n0, n1);
}

// C = beta*C + biases when K == 0 (no products).
void gemm_no_k(const GemmArgs& g) {
  for (int64_t i = 0; i < g.M; ++i)
    for (int64_t j = 0; j < g.N; ++j) {
      float* c = g.C + i * g.ldc + j;
      float r = g.beta != 0.f ? g.beta * *c : 0.f;
      if (g.bias_row) r += g.bias_row[i];
      if (g.bias_col) r += g.bias_col[j];
      *c = r;
    }
}

void sgemm_tiled(const GemmArgs& g);

// Few rows of C with a non-transposed B (batch-1 inference, streaming one time step): packing would
// cost more than the product, so row k of B is loaded once per K step and feeds all MM rows. Each
// element is the same FMA chain over the same KC blocks, with the same epilogue, as in the tiled
// path, so a row's result does not depend on how many rows the call had (chunked == whole sequence).
// Work is split over whole vector-width column blocks.
template <int MM>
void small_m_axpy(const GemmArgs& g, const float* arow, int64_t k0, int64_t kc, bool first, int64_t j0,
                  int64_t j1) {
  constexpr int V = NV;  // column vectors per register tile, as in the micro-kernel
  const VecF va = vset1(g.alpha);
  for (int64_t j = j0; j < j1; j += V * kLanes) {
    const int64_t width = std::min<int64_t>(V * kLanes, g.N - j);
    VecF acc[MM][V];
    for (int i = 0; i < MM; ++i)
      for (int v = 0; v < V; ++v) acc[i][v] = vzero();
    for (int64_t k = 0; k < kc; ++k) {
      const float* b = g.B + (k0 + k) * g.ldb + j;
      VecF bv[V];
      if (width == V * kLanes) {
        for (int v = 0; v < V; ++v) bv[v] = vload(b + v * kLanes);
      } else {
        alignas(64) float t[V * kLanes] = {};
        for (int64_t l = 0; l < width; ++l) t[l] = b[l];
        for (int v = 0; v < V; ++v) bv[v] = vload(t + v * kLanes);
      }
      for (int i = 0; i < MM; ++i) {
        const VecF a = vset1(arow[i * KC + k]);
        for (int v = 0; v < V; ++v) acc[i][v] = vfma(a, bv[v], acc[i][v]);
      }
    }
    alignas(64) float tile[MM * V * kLanes];
    for (int i = 0; i < MM; ++i)
      for (int v = 0; v < V; ++v) vstore(tile + i * V * kLanes + v * kLanes, vmul(va, acc[i][v]));
    store_edge(g.C + j, g.ldc, tile, V * kLanes, MM, static_cast<int>(width), g.beta, first,
               g.bias_row, g.bias_col ? g.bias_col + j : nullptr);
  }
}

void gemm_small_m(const GemmArgs& g) {
  const int64_t M = g.M, N = g.N, K = g.K;
  const int64_t blocks = (N + NR - 1) / NR;
  const int64_t grain = std::max<int64_t>(2, (1 << 16) / std::max<int64_t>(1, K * NR));
  parallel_for(0, blocks, grain, [&](int64_t b0, int64_t b1) {
    const int64_t n0 = b0 * NR, n1 = std::min(N, b1 * NR);
    alignas(64) float arow[kSmallM * KC];
    for (int64_t k0 = 0; k0 < K; k0 += KC) {  // K > 0 here (sgemm_impl handles K == 0)
      const int64_t kc = std::min<int64_t>(KC, K - k0);
      const bool first = k0 == 0;
      for (int64_t i = 0; i < M; ++i)  // gather op(A)'s rows for this K block
        for (int64_t k = 0; k < kc; ++k)
          arow[i * KC + k] = g.trans_a ? g.A[(k0 + k) * g.lda + i] : g.A[i * g.lda + k0 + k];
      switch (M) {
        case 1: small_m_axpy<1>(g, arow, k0, kc, first, n0, n1); break;
        case 2: small_m_axpy<2>(g, arow, k0, kc, first, n0, n1); break;
        case 3: small_m_axpy<3>(g, arow, k0, kc, first, n0, n1); break;
        default: small_m_axpy<4>(g, arow, k0, kc, first, n0, n1); break;
      }
    }
  });
}

// Picks the kernel for a problem that is already oriented (no transposition decision left).
void sgemm_oriented(const GemmArgs& g) {
  if (g.M <= kSmallM && !g.trans_b) return gemm_small_m(g);
  sgemm_tiled(g);
}

// Padded micro-tile area of an M x N product: the work the micro-kernel really does.
inline int64_t tile_area(int64_t M, int64_t N) { return ((M + MR - 1) / MR) * MR * ((N + NR - 1) / NR) * NR; }

// Narrow outputs (N well below NR, e.g. a 10-class head) waste most of each micro-tile; computing
// C^T = op(B)^T op(A)^T fills the tiles, and the small result is transposed back into C.
bool prefer_transposed(const GemmArgs& g) { return 4 * tile_area(g.N, g.M) < 3 * tile_area(g.M, g.N); }

void sgemm_transposed(const GemmArgs& g) {
  static thread_local AlignedBuf tbuf;
  float* t = tbuf.get(static_cast<size_t>(g.M * g.N));
  if (!t) std::abort();
  GemmArgs h;
  h.trans_a = !g.trans_b;
  h.trans_b = !g.trans_a;
  h.M = g.N;
  h.N = g.M;
  h.K = g.K;
  h.alpha = g.alpha;
  h.beta = 0.f;
  h.A = g.B;
  h.lda = g.ldb;
  h.B = g.A;
  h.ldb = g.lda;
  h.C = t;
  h.ldc = g.M;
  h.bias_row = g.bias_col;
  h.bias_col = g.bias_row;
  sgemm_oriented(h);
  for (int64_t i = 0; i < g.M; ++i) {
    float* c = g.C + i * g.ldc;
    for (int64_t j = 0; j < g.N; ++j) c[j] = g.beta != 0.f ? t[j * g.M + i] + g.beta * c[j] : t[j * g.M + i];
  }
}

void sgemm_impl(const GemmArgs& g) {
  if (g.M <= 0 || g.N <= 0) return;
  if (g.K <= 0) return gemm_no_k(g);
  if (prefer_transposed(g)) return sgemm_transposed(g);
  sgemm_oriented(g);
}

void sgemm_tiled(const GemmArgs& g) {
  const int64_t tiles_m = (g.M + MR - 1) / MR, tiles_n = (g.N + NR - 1) / NR;
  // Grain: at least ~2 MFLOP of work per thread chunk.
  const int64_t flops_per_tile_col = 2 * g.M * g.K * NR, flops_per_tile_row = 2 * g.N * g.K * MR;
  constexpr int64_t kMinFlops = 1 << 21;  // ~15 us of work: below that a second thread costs more than it saves
  if (tiles_n >= tiles_m || g.M <= MR) {
    const int64_t grain = std::max<int64_t>(1, kMinFlops / std::max<int64_t>(1, flops_per_tile_col));
    parallel_for(0, tiles_n, grain, [&](int64_t b, int64_t e) {
      gemm_range(g, 0, g.M, b * NR, std::min(g.N, e * NR));
    });
  } else {
    const int64_t grain = std::max<int64_t>(1, kMinFlops / std::max<int64_t>(1, flops_per_tile_row));
    parallel_for(0, tiles_m, grain, [&](int64_t b, int64_t e) {
      gemm_range(g, b * MR, std::min(g.M, e * MR), 0, g.N);
    });
  }
}

}  // namespace

extern const GemmKernels gemm = {&sgemm_impl};

}  // namespace NNE_ISA_NS
}  // namespace nne
