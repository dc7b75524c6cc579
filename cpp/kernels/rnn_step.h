// The recurrent kernels' step (rnn.cpp, lstm.cpp, gru.cpp through rnn_impl.h; per ISA, include only from kernel
// files): tiles, units, the time loop and its threading.
//
// A step is, for every (column block, group of batch rows) unit, a small register-tiled GEMM of the
// rows' operands (x_t and h_{t-1} forward, dG_{t+1} backward) with weights packed once per sequence
// call: forward blocks hold the G gates of L = kLanes hidden units side by side over K = I + H
// (pack_forward), backward blocks NV*L columns of [w_hh | w_ih] (pack_cols). Accumulators start in
// `init` (bias, zero) and end in a fused element-wise epilogue (gate non-linearities and cell update,
// or their derivatives). Batch rows are independent, so threads take whole row groups for the whole
// sequence (run_steps), or, with one row group, split a step over column blocks; every element is
// computed by the same instruction sequence at any thread count (bit-identical results).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

// GCC 12 reports a false -Wuninitialized inside avx512fintrin.h (the _mm512_undefined_* operand of
// _mm512_min_ps & co.) once the gate math inlines into a kernel; silence it for the intrinsic headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/gemm_bf16.h"
#pragma GCC diagnostic pop

namespace nne {
namespace NNE_ISA_NS {
namespace rec {

constexpr int L = kLanes;
constexpr int64_t kRowGroup = 16;            // batch rows per tiling group (fixed: never depends on threads)
constexpr int64_t kUnitGroups = 4;           // row groups per step unit (so one weight chunk serves 64 rows)
constexpr int64_t kStepMinFlops = 1 << 18;   // no threads for a step below ~0.25 MFLOP per thread
constexpr int64_t kSeqMinFlops = 1 << 20;    // no threads for a whole-sequence row group below ~1 MFLOP
#if defined(__AVX512F__)
constexpr int kMrBwd = 8;  // backward tiles: 8 rows x 2 column vectors
#else
constexpr int kMrBwd = 4;
#endif
constexpr int kNvBwd = 2;
constexpr int kNvBwdPanel = 4;  // bf16 panel kernel: wider blocks (the AMX panel's passes take two column tiles)

inline int64_t nblocks(int64_t H) { return (H + L - 1) / L; }

// True if every value is (+-)0: a zero initial state (the usual case) skips the first step's product.
inline bool all_zero(const float* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (p[i] != 0.f) return false;
  return true;
}

// One operand of a step's product: rows of `a` (lda apart) times K packed rows; a == null skips it
// (a zero previous state / incoming gradient) but its K packed rows are still skipped over. With `panel`
// (bf16) the product is the panel kernel's on the rows as pairs (`ap`, row b at ap + b*ldp: rnn_bf16.h
// converts them once per step), with `bp` the weights as pairs (pair_rows(K) rows of NV*L per column block).
struct StepIn {
  const float* a = nullptr;
  int64_t lda = 0, K = 0;
  Bf16PanelFn panel = nullptr;
  const uint32_t* bp = nullptr;
  const uint32_t* ap = nullptr;
  int64_t ldp = 0;
};

// Rows of pairs the bf16 panel kernel takes for K values of k (whole 16-pair tiles): the weights' pair rows per
// column block and the converted rows' stride.
inline int64_t pair_rows(int64_t K) { return ((K + 1) / 2 + 15) / 16 * 16; }

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

// acc[0..M) += op.a rows b.. @ packed rows [k0, k1) of bj (operand rows start at packed row `off`).
template <int M, int NV>
inline void tile_chunk(VecF (*acc)[NV], int64_t b, const StepIn& op, int64_t off, int64_t k0, int64_t k1,
                       const float* bj) {
  VecF t[M][NV];
  for (int r = 0; r < M; ++r)
    for (int v = 0; v < NV; ++v) t[r][v] = acc[r][v];
  mm_acc<M, NV>(t, k1 - k0, op.a + b * op.lda + k0, op.lda, bj + (off + k0) * NV * L);
  for (int r = 0; r < M; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = t[r][v];
}

// One unit of a step: rows [b0, b1) (b0 a multiple of kRowGroup, at most kUnitGroups row groups) x one
// column block. The product runs in K chunks of about 32 KiB of packed weights, each used by every
// MR-row tile of every row group while it is in L1; the tiles' accumulators wait in a stack buffer
// between chunks (exact copies: the arithmetic is that of one pass over K). Each row group is tiled
// alike (MR-row tiles, then single rows), whichever unit it falls in.
template <int MR, int NV, class Init, class Epi>
inline void step_unit(int64_t b0, int64_t b1, int64_t jb, const StepIn& p, const StepIn& q, const float* bj,
                      const Init& init, const Epi& epi) {
  constexpr int64_t KC = std::max(16, 8192 / (NV * L));
  VecF acc[kUnitGroups * kRowGroup][NV];
  const int64_t rows = b1 - b0;
  for (int64_t r = 0; r < rows; ++r) init(b0 + r, jb, acc[r]);
  if (q.panel) {  // bf16: both operands in one panel call (acc: rows of NV*L = NV*16 floats), p then q
    Bf16PanelOperand ops[2];
    int nops = 0;
    for (const StepIn* op : {&p, &q})
      if (op->a) ops[nops++] = {op->ap + b0 * op->ldp, op->ldp, op->K, op->bp + jb * pair_rows(op->K) * NV * L};
    if (nops > 0) q.panel(reinterpret_cast<float*>(acc), rows, NV, ops, nops);
    for (int64_t r = 0; r < rows; ++r) epi(b0 + r, jb, acc[r]);
    return;
  }
  int64_t off = 0;
  for (const StepIn* op : {&p, &q}) {
    if (op->a) {
      for (int64_t k0 = 0; k0 < op->K; k0 += KC) {
        const int64_t k1 = std::min(op->K, k0 + KC);
        for (int64_t g0 = 0; g0 < rows; g0 += kRowGroup) {
          const int64_t g1 = std::min(rows, g0 + kRowGroup), full = g0 + (g1 - g0) / MR * MR;
          for (int64_t r = g0; r < full; r += MR) tile_chunk<MR, NV>(acc + r, b0 + r, *op, off, k0, k1, bj);
          for (int64_t r = full; r < g1; ++r) tile_chunk<1, NV>(acc + r, b0 + r, *op, off, k0, k1, bj);
        }
      }
    }
    off += op->K;
  }
  for (int64_t r = 0; r < rows; ++r) epi(b0 + r, jb, acc[r]);
}

// One time step on batch rows [r0, r1) (r0 a multiple of kRowGroup) for nb column blocks of NV
// vectors: for every row b and block jb, init(b, jb, acc), acc += p.a[b,:] @ packed rows 0..p.K
// (+ q.a[b,:] @ packed rows p.K..p.K+q.K) of block jb, then epi(b, jb, acc). Units are
// (column block, up to kUnitGroups fixed row groups), split over threads above a grain.
template <int MR, int NV, class Init, class Epi>
inline void recurrent_step(int64_t r0, int64_t r1, int64_t nb, const StepIn& p, const StepIn& q, const float* bp,
                           const Init& init, const Epi& epi) {
  constexpr int64_t UR = kUnitGroups * kRowGroup;
  const int64_t nru = (r1 - r0 + UR - 1) / UR, K = p.K + q.K;
  const int64_t per_unit = 2 * std::min(r1 - r0, UR) * L * NV * (K + 16);
  const int64_t grain = std::max<int64_t>(1, kStepMinFlops / per_unit);
  parallel_for(0, nb * nru, grain, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t jb = u % nb, b0 = r0 + (u / nb) * UR, b1 = std::min(r1, b0 + UR);
      step_unit<MR, NV>(b0, b1, jb, p, q, bp + jb * K * NV * L, init, epi);
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

}  // namespace rec
}  // namespace NNE_ISA_NS
}  // namespace nne
