// Per-ISA machinery shared by the recurrent kernels (rnn.cpp, lstm.cpp); include only from kernel files.
//
// The per-step recurrent product acc[b, gates of hidden block jb] += h_prev[b, :] @ W packs W once per
// sequence call into blocks of L = kLanes hidden units (all G gates of a block side by side), so one
// step is: for every (hidden block, group of batch rows) unit, a small register-tiled GEMM whose
// accumulators start from the precomputed input projection and end in a fused element-wise epilogue
// (gate non-linearities, cell update). Batch rows are independent, so threads take whole row groups
// for the whole sequence (run_steps), or, with one row group, split a step over hidden blocks; every
// element is computed by the same instruction sequence at any thread count (bit-identical results).
#pragma once

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/gemm.h"
#include "kernels/rnn.h"

namespace nne {
namespace NNE_ISA_NS {
namespace rec {

constexpr int L = kLanes;
constexpr int64_t kRowGroup = 16;            // batch rows per parallel unit (fixed: never depends on threads)
constexpr int64_t kStepMinFlops = 1 << 18;   // no threads for a step below ~0.25 MFLOP per thread
constexpr int64_t kSeqMinFlops = 1 << 20;    // no threads for a whole-sequence row group below ~1 MFLOP

// A reusable aligned buffer (thread_local instances keep the hot path allocation-free).
struct Scratch {
  float* p = nullptr;
  size_t n = 0;
  ~Scratch() { std::free(p); }
  float* get(size_t need) {
    if (need > n) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, ((need * sizeof(float) + 63) / 64) * 64));
      n = p ? need : 0;
      if (!p) std::abort();
    }
    return p;
  }
};

inline int64_t nblocks(int64_t H) { return (H + L - 1) / L; }

inline VecF loadn(const float* p, int n) {
  if (n == L) return vload(p);
  alignas(64) float t[L] = {};
  std::memcpy(t, p, sizeof(float) * n);
  return vload(t);
}

inline void storen(float* p, VecF v, int n) {
  if (n == L) return vstore(p, v);
  alignas(64) float t[L];
  vstore(t, v);
  std::memcpy(p, t, sizeof(float) * n);
}

// Forward packing of w (G*H, H): dst[jb][k][g][l] = w[g*H + jb*L + l][k] (zero past H). Size nblocks*L*G*H.
inline void pack_forward(float* dst, const float* w, int64_t H, int G) {
  const int64_t nb = nblocks(H);
  for (int64_t jb = 0; jb < nb; ++jb) {
    float* d = dst + jb * H * G * L;
    for (int g = 0; g < G; ++g)
      for (int l = 0; l < L; ++l) {
        const int64_t j = jb * L + l;
        const float* src = w + (g * H + j) * H;
        for (int64_t k = 0; k < H; ++k) d[(k * G + g) * L + l] = j < H ? src[k] : 0.f;
      }
  }
}

// Backward packing of w (G*H, H): dst[jb][n][l] = w[n][jb*L + l] (zero past H). Size nblocks*L*G*H.
inline void pack_backward(float* dst, const float* w, int64_t H, int G) {
  const int64_t nb = nblocks(H), N = G * H;
  for (int64_t jb = 0; jb < nb; ++jb) {
    const int n = static_cast<int>(std::min<int64_t>(L, H - jb * L));
    float* d = dst + jb * N * L;
    for (int64_t r = 0; r < N; ++r) {
      std::memcpy(d + r * L, w + r * H + jb * L, sizeof(float) * n);
      for (int l = n; l < L; ++l) d[r * L + l] = 0.f;
    }
  }
}

// acc[i][v] += sum_k a[i*lda + k] * bp[k*NV*L + v*L .. +L]. Few accumulators -> split k into KS
// independent partial sums (fixed order, so results stay deterministic).
template <int MR, int NV>
inline void mm_acc(VecF (&acc)[MR][NV], int64_t K, const float* __restrict a, int64_t lda,
                   const float* __restrict bp) {
  constexpr int KS = MR * NV >= 8 ? 1 : (MR * NV >= 4 ? 2 : 4);
  VecF c[KS][MR][NV];  // local accumulators (kept in registers whatever the caller inlines)
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      c[0][i][v] = acc[i][v];
#pragma GCC unroll 4
      for (int s = 1; s < KS; ++s) c[s][i][v] = vzero();
    }
  int64_t k = 0;
  for (; k + KS <= K; k += KS) {
#pragma GCC unroll 4
    for (int s = 0; s < KS; ++s) {
      VecF b[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) b[v] = vload(bp + ((k + s) * NV + v) * L);
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        const VecF av = vset1(a[i * lda + k + s]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) c[s][i][v] = vfma(av, b[v], c[s][i][v]);
      }
    }
  }
  for (; k < K; ++k)
    for (int i = 0; i < MR; ++i) {
      const VecF av = vset1(a[i * lda + k]);
      for (int v = 0; v < NV; ++v) c[0][i][v] = vfma(av, vload(bp + (k * NV + v) * L), c[0][i][v]);
    }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      VecF r = c[0][i][v];
#pragma GCC unroll 4
      for (int s = 1; s < KS; ++s) r = vadd(r, c[s][i][v]);
      acc[i][v] = r;
    }
}

template <int M, int NV, class Init, class Epi>
inline void step_rows(int64_t b, int64_t j0, int n, int64_t K, const float* a, int64_t lda, const float* bj,
                      const Init& init, const Epi& epi) {
  VecF acc[M][NV];
  for (int r = 0; r < M; ++r) init(b + r, j0, n, acc[r]);
  if (a) mm_acc<M, NV>(acc, K, a + b * lda, lda, bj);
  for (int r = 0; r < M; ++r) epi(b + r, j0, n, acc[r]);
}

// One time step on batch rows [r0, r1) (r0 a multiple of kRowGroup): for every row b and hidden block,
// acc = init(b, j0, n, acc) (+ a[b,:K] @ bp) then epi(b, j0, n, acc), where acc holds NV vectors (one
// per gate) for hidden units j0 .. j0+n. a == null skips the product (a zero previous state / incoming
// gradient). Units are (hidden block, fixed group of kRowGroup rows), split over threads above a grain.
template <int MR, int NV, class Init, class Epi>
inline void recurrent_step(int64_t r0, int64_t r1, int64_t H, int64_t K, const float* a, int64_t lda,
                           const float* bp, const Init& init, const Epi& epi) {
  const int64_t nb = nblocks(H), nrg = (r1 - r0 + kRowGroup - 1) / kRowGroup;
  const int64_t per_unit = 2 * std::min(r1 - r0, kRowGroup) * L * NV * (K + 16);
  const int64_t grain = std::max<int64_t>(1, kStepMinFlops / per_unit);
  parallel_for(0, nb * nrg, grain, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t jb = u % nb, b0 = r0 + (u / nb) * kRowGroup, b1 = std::min(r1, b0 + kRowGroup);
      const int64_t j0 = jb * L;
      const int n = static_cast<int>(std::min<int64_t>(L, H - j0));
      const float* bj = bp + jb * K * NV * L;
      int64_t b = b0;
      for (; b + MR <= b1; b += MR) step_rows<MR, NV>(b, j0, n, K, a, lda, bj, init, epi);
      for (; b < b1; ++b) step_rows<1, NV>(b, j0, n, K, a, lda, bj, init, epi);
    }
  });
}

// The T steps of a recurrence over B batch rows: step(st, r0, r1) runs step st on rows [r0, r1).
// Rows are independent through the whole recurrence, so threads take whole fixed row groups for the
// whole sequence: one parallel region per call and no per-step barrier (a thread stalled by a busy
// neighbour does not hold the other one up at every step). With a single row group (or too little
// work) the steps run in order on all rows and recurrent_step may split each over hidden blocks.
// Either way every row goes through the same row groups and tiles: results are bit-identical.
template <class Step>
inline void run_steps(int64_t T, int64_t B, int64_t flops_per_row_step, const Step& step) {
  const int64_t nrg = (B + kRowGroup - 1) / kRowGroup;
  const int64_t per_group = std::max<int64_t>(1, T * kRowGroup * flops_per_row_step);
  parallel_for(0, nrg, std::max<int64_t>(1, kSeqMinFlops / per_group), [&](int64_t g0, int64_t g1) {
    const int64_t r0 = g0 * kRowGroup, r1 = std::min(B, g1 * kRowGroup);
    for (int64_t st = 0; st < T; ++st) step(st, r0, r1);
  });
}

// db[j] = sum_r d[r*N + j] in row order (columns split into fixed chunks: deterministic).
inline void column_sums(float* db, const float* d, int64_t rows, int64_t N) {
  constexpr int64_t CW = 256;
  const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, rows * CW));
  parallel_for(0, fixed_chunks(N, CW), grain, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t j0 = c * CW, w = std::min(CW, N - j0);
      float acc[CW] = {};
      for (int64_t r = 0; r < rows; ++r) {
        const float* row = d + r * N + j0;
        for (int64_t j = 0; j < w; ++j) acc[j] += row[j];
      }
      std::memcpy(db + j0, acc, sizeof(float) * w);
    }
  });
}

inline void gemm_call(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                      const float* B, int64_t ldb, float beta, float* C, int64_t ldc, const float* bias_col = nullptr) {
  GemmArgs g;
  g.trans_a = ta;
  g.trans_b = tb;
  g.M = M;
  g.N = N;
  g.K = K;
  g.A = A;
  g.lda = lda;
  g.B = B;
  g.ldb = ldb;
  g.beta = beta;
  g.C = C;
  g.ldc = ldc;
  g.bias_col = bias_col;
  gemm.sgemm(g);
}

// From the pre-activation gradients dG (T, B, G*H): dx = dG w_ih, dh0 = dG[first step] w_hh,
// dw_ih = dG^T x, dw_hh = sum over t of dG_t^T h_prev(t), db = column sums of dG.
inline void param_grads(const RnnGrads& g, const float* dG, const float* x, const float* h0, const float* y,
                        const RnnWeights& w, int64_t T, int64_t B, int64_t I, int64_t H, int G, bool reverse) {
  const int64_t N = G * H, TB = T * B, tf = reverse ? T - 1 : 0;
  gemm_call(false, false, TB, I, N, dG, N, w.w_ih, I, 0.f, g.dx, I);
  gemm_call(false, false, B, H, N, dG + tf * B * N, N, w.w_hh, H, 0.f, g.dh0, H);
  gemm_call(true, false, N, I, TB, dG, N, x, I, 0.f, g.dw_ih, I);
  gemm_call(true, false, N, H, B, dG + tf * B * N, N, h0, H, 0.f, g.dw_hh, H);
  if (T > 1) {
    const float* dg_rest = reverse ? dG : dG + B * N;   // steps whose previous state is in y
    const float* h_prev = reverse ? y + B * H : y;
    gemm_call(true, false, N, H, (T - 1) * B, dg_rest, N, h_prev, H, 1.f, g.dw_hh, H);
  }
  if (g.db) column_sums(g.db, dG, TB, N);
}

}  // namespace rec
}  // namespace NNE_ISA_NS
}  // namespace nne
