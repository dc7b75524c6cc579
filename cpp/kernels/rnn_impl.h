// Per-ISA machinery shared by the recurrent kernels (rnn.cpp, lstm.cpp, gru.cpp); include only from kernel files.
//
// A step is, for every (column block, group of batch rows) unit, a small register-tiled GEMM of the
// rows' operands (x_t and h_{t-1} forward, dG_{t+1} backward) with weights packed once per sequence
// call: forward blocks hold the G gates of L = kLanes hidden units side by side over K = I + H
// (pack_forward), backward blocks NV*L columns of [w_hh | w_ih] (pack_cols). Accumulators start in
// `init` (bias, zero) and end in a fused element-wise epilogue (gate non-linearities and cell update,
// or their derivatives). Batch rows are independent, so threads take whole row groups for the whole
// sequence (run_steps), or, with one row group, split a step over column blocks; every element is
// computed by the same instruction sequence at any thread count (bit-identical results).
//
// bf16 compute (the shapes' `bf16`, autocast): every product's operands are rounded to bf16 (round to
// nearest even) and summed in float32. Whole-sequence products (input projections, weight gradients, the
// GRU's dx) are GemmArgs::bf16 GEMMs. A step's product (one operand: h_{t-1} forward, dG backward; the
// LSTM's input projections are a GEMM then) runs on the AVX512-BF16 panel kernel (gemm_bf16.h
// bf16_panel_kernel: the rows converted as it goes, vdpbf16ps on weights packed as pairs once per call)
// between the same init and epilogue. Where that kernel is absent (only reachable by calling the kernels
// directly: the bindings refuse bf16 there) the float32 tiles run on bf16-rounded floats instead (a product
// of two bf16 is exact in float32, so the sums are those of vdpbf16ps up to its pair order). States,
// gates, the gradients the steps carry and the bias sums stay float32.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

// GCC 12 reports a false -Wuninitialized inside avx512fintrin.h (the _mm512_undefined_* operand of
// _mm512_min_ps & co.) once the gate math inlines into a kernel; silence it for the intrinsic headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "core/buffer.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/gemm.h"
#include "kernels/gemm_bf16.h"
#include "kernels/rnn.h"
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
constexpr int kNvBwdPanel = 4;  // bf16 panel kernel: wider blocks (each dG row converted once per block)

inline int64_t nblocks(int64_t H) { return (H + L - 1) / L; }

// True if every value is (+-)0: a zero initial state (the usual case) skips the first step's product.
inline bool all_zero(const float* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (p[i] != 0.f) return false;
  return true;
}

// The bits of f rounded to bf16 (gemm_bf16.h's float_to_bf16_bits: ties to even, NaN quieted) in the high
// half, zero low half; branch-free so that loops over it vectorize.
inline uint32_t bf16_round_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u, q = (u | 0x400000u) & 0xffff0000u;
  return (u & 0x7fffffffu) > 0x7f800000u ? q : r;
}

// p[0..n) rounded to bf16 in place, as float32 values.
inline void round_bf16(float* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t u = bf16_round_bits(p[i]);
    std::memcpy(p + i, &u, 4);
  }
}

// One operand of a step's product: rows of `a` (lda apart) times K packed rows; a == null skips it
// (a zero previous state / incoming gradient) but its K packed rows are still skipped over. With `panel`
// (bf16) the product is the panel kernel's, with `bp` the weights as pairs ((K+1)/2 rows of NV*L per
// column block).
struct StepIn {
  const float* a = nullptr;
  int64_t lda = 0, K = 0;
  Bf16PanelFn panel = nullptr;
  const uint32_t* bp = nullptr;
};

// Blocks of K rows x C floats (blocks `stride` floats apart) rounded to blocks of (K+1)/2 rows x C pairs of bf16
// (the even k in the low half, the odd K padded with zero) at dst.
inline void to_pairs(uint32_t* dst, const float* src, int64_t blocks, int64_t K, int64_t C, int64_t stride) {
  const int64_t kp = (K + 1) / 2;
  for (int64_t blk = 0; blk < blocks; ++blk)
    for (int64_t p = 0; p < kp; ++p) {
      const float* lo = src + blk * stride + 2 * p * C;
      uint32_t* d = dst + (blk * kp + p) * C;
      if (2 * p + 1 < K) {
        for (int64_t c = 0; c < C; ++c) d[c] = (bf16_round_bits(lo[c]) >> 16) | bf16_round_bits(lo[C + c]);
      } else {
        for (int64_t c = 0; c < C; ++c) d[c] = bf16_round_bits(lo[c]) >> 16;
      }
    }
}

// The panel kernel for bf16 steps in this ISA (null without bf16, without AVX512-BF16, or where vectors are not
// the 16 floats of its accumulator layout).
inline Bf16PanelFn step_panel(bool bf16) {
  if constexpr (L == 16) return bf16 ? bf16_panel_kernel() : nullptr;
  return nullptr;
}

// The bf16 operands of one sequence call's steps (see the header comment): the panel kernel where there is
// one with the weights' pairs (bpx: the leading input rows', bp: the recurrent rows'), else the (B, K) buffer
// of each step's (one) operand rows rounded for the float32 tiles.
struct Bf16Steps {
  Bf16PanelFn panel = nullptr;
  const uint32_t* bpx = nullptr;
  const uint32_t* bp = nullptr;
  float* fbuf = nullptr;

  // The operand {a, lda, K} of rows [r0, r1) of a step (`input`: the leading rows' operand), for the panel
  // kernel, rounded, or as given (no bf16).
  StepIn operand(const float* a, int64_t lda, int64_t K, int64_t r0, int64_t r1, bool input = false) const {
    if (panel) return {a, lda, K, panel, input ? bpx : bp};
    if (!a || !fbuf) return {a, lda, K};
    for (int64_t r = r0; r < r1; ++r) {
      std::memcpy(fbuf + r * K, a + r * lda, sizeof(float) * K);
      round_bf16(fbuf + r * K, K);
    }
    return {fbuf, K, K};
  }
};

// Bf16Steps for a call (none without bf16): wp = the float packing (rounded to bf16 where the float32 tiles
// run), blocks of I + K rows x C floats (I input rows, only with the panel kernel, then K recurrent rows);
// `pairs` keeps its pair form, rebuilt unless `fresh` is false (the same weights as the last call).
inline Bf16Steps bf16_steps(bool bf16, int64_t B, const float* wp, int64_t blocks, int64_t I, int64_t K, int64_t C,
                            std::vector<uint32_t>& pairs, bool fresh = true) {
  Bf16Steps bs;
  if (!bf16) return bs;
  static thread_local ScratchBuf fbuf;
  bs.panel = step_panel(true);
  if (bs.panel) {
    const int64_t nx = blocks * ((I + 1) / 2) * C, nh = blocks * ((K + 1) / 2) * C;
    if (fresh || pairs.size() != static_cast<size_t>(nx + nh)) {
      pairs.resize(static_cast<size_t>(nx + nh));
      to_pairs(pairs.data(), wp, blocks, I, C, (I + K) * C);
      to_pairs(pairs.data() + nx, wp + I * C, blocks, K, C, (I + K) * C);
    }
    bs.bpx = pairs.data();
    bs.bp = pairs.data() + nx;
  } else {
    bs.fbuf = fbuf.get(static_cast<size_t>(B * K));
  }
  return bs;
}

// Forward packing of [w_ih | w_hh] ((G*H, I) and (G*H, H); w_ih may be null with I = 0) per block of L
// hidden units with all G gates side by side: dst[jb][k][g][l] = w_ih[g*H + jb*L + l][k] for k < I,
// then w_hh[g*H + jb*L + l][k - I] (zero past H). Size nblocks*L*G*(I+H).
inline void pack_forward(float* dst, const float* w_ih, int64_t I, const float* w_hh, int64_t H, int G) {
  const int64_t nb = nblocks(H), K = I + H;
  for (int64_t jb = 0; jb < nb; ++jb) {
    const int n = static_cast<int>(std::min<int64_t>(L, H - jb * L));
    float* d = dst + jb * K * G * L;
    for (int g = 0; g < G; ++g) {
      // k outer, the block's L rows inner: contiguous stores, the L source rows' cache lines stay in L1
      const float* si[L];
      const float* sh[L];
      for (int l = 0; l < n; ++l) {
        si[l] = w_ih + (g * H + jb * L + l) * I;
        sh[l] = w_hh + (g * H + jb * L + l) * H;
      }
      for (int64_t k = 0; k < K; ++k) {
        float* dk = d + (k * G + g) * L;
        if (k < I) {
          for (int l = 0; l < n; ++l) dk[l] = si[l][k];
        } else {
          for (int l = 0; l < n; ++l) dk[l] = sh[l][k - I];
        }
        for (int l = n; l < L; ++l) dk[l] = 0.f;
      }
    }
  }
}

// pack_forward through a per-call-site cache: the packed block is reused while [w_ih | w_hh] are, bit for bit, the
// weights it was packed from (kept as a copy and compared with memcmp), so a stream of one-step calls with fixed
// weights packs once, and any change to a weight -- an optimizer step, a load, an in-place edit through any view
// of the array -- fails the comparison and repacks. Exact by construction (the packing is a function of those
// bytes and of I, H, G alone). Only weights up to kPackCacheMax floats are cached (a copy is kept; past that
// the sequence work dwarfs the packing).
constexpr size_t kPackCacheMax = size_t(1) << 16;

struct PackCache {
  ScratchBuf packed, src;
  int64_t I = -1, H = -1;
  int G = 0;
  bool bf16 = false;
  bool valid = false;
  bool fresh = true;  // the last call packed (the weights or their shape changed)
  std::vector<uint32_t> pairs;  // bf16: the packing as pairs (Bf16Steps)
};

// With bf16 the packed weights are rounded to bf16 (the key includes the flag).
inline const float* pack_forward_cached(PackCache& c, const float* w_ih, int64_t I, const float* w_hh, int64_t H,
                                        int G, bool bf16 = false) {
  const size_t nih = static_cast<size_t>(G * H * I), nhh = static_cast<size_t>(G * H * H);
  const int64_t np = nblocks(H) * L * G * (I + H);
  const bool was_valid = c.valid;
  c.valid = false, c.fresh = true;  // until packed again: a failed allocation below leaves the cache empty
  float* wp = c.packed.get(static_cast<size_t>(np));
  if (nih + nhh > kPackCacheMax) {
    c.valid = false;
    pack_forward(wp, w_ih, I, w_hh, H, G);
    if (bf16) round_bf16(wp, np);
    return wp;
  }
  const bool same_shape = was_valid && c.I == I && c.H == H && c.G == G && c.bf16 == bf16;
  float* src = c.src.get(nih + nhh);  // same size as before when same_shape: contents kept
  if (same_shape && (nih == 0 || std::memcmp(src, w_ih, nih * sizeof(float)) == 0) &&
      std::memcmp(src + nih, w_hh, nhh * sizeof(float)) == 0) {
    c.valid = true, c.fresh = false;
    return wp;
  }
  pack_forward(wp, w_ih, I, w_hh, H, G);
  if (bf16) round_bf16(wp, np);
  if (nih) std::memcpy(src, w_ih, nih * sizeof(float));
  std::memcpy(src + nih, w_hh, nhh * sizeof(float));
  c.I = I, c.H = H, c.G = G, c.bf16 = bf16, c.valid = true;
  return wp;
}

// Column-block packing of w (K, C) row-major: dst[blk][k][c] = w[k][blk*CB + c] for CB = NV*L
// columns per block (zero past C). Returns the number of blocks; size blocks*K*CB.
inline int64_t pack_cols(float* dst, const float* w, int64_t K, int64_t C, int NV) {
  const int64_t CB = NV * L, nb = (C + CB - 1) / CB;
  for (int64_t jb = 0; jb < nb; ++jb) {
    const int64_t n = std::min(CB, C - jb * CB);
    float* d = dst + jb * K * CB;
    for (int64_t k = 0; k < K; ++k) {
      std::memcpy(d + k * CB, w + k * C + jb * CB, sizeof(float) * n);
      for (int64_t c = n; c < CB; ++c) d[k * CB + c] = 0.f;
    }
  }
  return nb;
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
  if (q.panel) {  // bf16: the operands on the panel kernel (acc: rows of NV*L = NV*16 floats), p then q
    for (const StepIn* op : {&p, &q})
      if (op->a)
        op->panel(reinterpret_cast<float*>(acc), rows, NV, op->a + b0 * op->lda, op->lda, op->K,
                  op->bp + jb * ((op->K + 1) / 2) * NV * L);
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
                      const float* B, int64_t ldb, float beta, float* C, int64_t ldc, const float* bias_col = nullptr,
                      bool bf16 = false) {
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
  g.bf16 = bf16;
  sgemm(g);
}

// Rows [x_t | h_prev] (T*B, I + H) of every step in time order: h_prev = h0 for the first step in time
// order, else y of the step before. I may be 0 (then only h_prev is gathered and x is not read).
inline void gather_xh(float* xh, const float* x, const float* h0, const float* y, int64_t ldy, int64_t T, int64_t B,
                      int64_t I, int64_t H, bool reverse) {
  const int64_t K = I + H;
  parallel_for(0, T, std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, B * K)), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const bool first = t == (reverse ? T - 1 : 0);
      const float* hp = first ? h0 : y + (reverse ? t + 1 : t - 1) * B * ldy;
      const int64_t ldh = first ? H : ldy;
      for (int64_t b = 0; b < B; ++b) {
        if (I > 0) std::memcpy(xh + (t * B + b) * K, x + (t * B + b) * I, sizeof(float) * I);
        std::memcpy(xh + (t * B + b) * K + I, hp + b * ldh, sizeof(float) * H);
      }
    }
  });
}

// Weight gradients from the pre-activation gradients dG (T, B, N = G*H): [dw_ih | dw_hh] =
// dG^T [x | h_prev] as one GEMM over all T*B rows, db = column sums of dG.
inline void weight_grads(const RnnGrads& g, const float* dG, const float* x, const float* h0, const float* y,
                         int64_t ldy, int64_t T, int64_t B, int64_t I, int64_t H, int G, bool reverse, bool bf16) {
  const int64_t N = G * H, TB = T * B, K = I + H;
  static thread_local ScratchBuf xh_buf, dw_buf;
  float* xh = xh_buf.get(static_cast<size_t>(TB * K));
  float* dw = dw_buf.get(static_cast<size_t>(N * K));
  gather_xh(xh, x, h0, y, ldy, T, B, I, H, reverse);
  gemm_call(true, false, N, K, TB, dG, N, xh, K, 0.f, dw, K, nullptr, bf16);
  for (int64_t r = 0; r < N; ++r) {
    std::memcpy(g.dw_ih + r * I, dw + r * K, sizeof(float) * I);
    std::memcpy(g.dw_hh + r * H, dw + r * K + I, sizeof(float) * H);
  }
  if (g.db) column_sums(g.db, dG, TB, N);
}

// Backward through time shared by RNN, LSTM and GRU. Per processed step st (time t, reverse order of
// the forward), the product dG_{t'} [w_hh | w_ih] of the step processed before (time t') gives, in
// column blocks, the recurrent part of dh_t (then `gate_epi` turns dh_t into dG_t) and dx_{t'}; one
// extra pass after the sweep gives dh0 and dx of the last processed step. Packed [w_hh | w_ih] by
// column blocks. dG rows are ldg apart; the product reads their first G*H columns (the gradients of
// w_hh's G*H rows). With I = 0 no dx is computed here (w_ih and dx are not read; the GRU, whose input
// gradient pairs w_ih with other columns of dG, computes dx afterwards).
//   gate_epi(b, t, last, j0, n, rec): rec = the recurrent part of dh_t for hidden units j0..j0+n (the
//   epilogue adds dy_t, and dh_n when `last`, the first step processed) -> writes dG_t.
// With bf16 the packed weights and the dG rows of each product are rounded to bf16 (dG itself stays float32).
template <int MR, int NV, class GateEpi>
inline void bptt_sweep(float* dx, float* dh0, const float* dG, int64_t ldg, const RnnWeights& w, int64_t T,
                       int64_t B, int64_t I, int64_t H, int G, bool reverse, bool bf16, const GateEpi& gate_epi) {
  const int64_t N = G * H, CB = NV * L, nbh = (H + CB - 1) / CB, nbi = (I + CB - 1) / CB;
  static thread_local ScratchBuf packed;
  static thread_local std::vector<uint32_t> pairs;
  float* wb = packed.get(static_cast<size_t>((nbh + nbi) * N * CB));
  pack_cols(wb, w.w_hh, N, H, NV);
  if (I > 0) pack_cols(wb + nbh * N * CB, w.w_ih, N, I, NV);
  const Bf16Steps bs = bf16_steps(bf16, B, wb, nbh + nbi, 0, N, CB, pairs);
  if (bf16 && !bs.panel) round_bf16(wb, (nbh + nbi) * N * CB);
  run_steps(T + 1, B, 2 * N * (H + I), [&](int64_t st, int64_t r0, int64_t r1) {
    const int64_t t = reverse ? st : T - 1 - st;          // (st == T: the extra pass)
    const int64_t tp = st == 0 ? -1 : (reverse ? st - 1 : T - st);  // time processed before, or none
    const float* dgp = tp < 0 ? nullptr : dG + tp * B * ldg;
    auto init = [&](int64_t, int64_t, VecF* acc) {
      for (int v = 0; v < NV; ++v) acc[v] = vzero();
    };
    auto epi = [&](int64_t b, int64_t jb, VecF* acc) {
      for (int v = 0; v < NV; ++v) {
        if (jb < nbh) {
          const int64_t j0 = jb * CB + v * L;
          if (j0 >= H) break;
          const int n = static_cast<int>(std::min<int64_t>(L, H - j0));
          if (st == T) {
            vstore_n(dh0 + b * H + j0, acc[v], n);
          } else {
            gate_epi(b, t, st == 0, j0, n, acc[v]);
          }
        } else if (tp >= 0) {
          const int64_t i0 = (jb - nbh) * CB + v * L;
          if (i0 >= I) break;
          vstore_n(dx + (tp * B + b) * I + i0, acc[v], static_cast<int>(std::min<int64_t>(L, I - i0)));
        }
      }
    };
    recurrent_step<MR, NV>(r0, r1, nbh + (tp >= 0 ? nbi : 0), {}, bs.operand(dgp, ldg, N, r0, r1), wb,
                           init, epi);
  });
}

// f(std::integral_constant<int, NV>) with the backward sweeps' block width NV: kNvBwd, or kNvBwdPanel for
// bf16 steps on the panel kernel.
template <class F>
inline void with_bwd_nv(bool bf16, const F& f) {
  if (step_panel(bf16))
    f(std::integral_constant<int, kNvBwdPanel>{});
  else
    f(std::integral_constant<int, kNvBwd>{});
}

// BPTT of RNN and LSTM: the sweep (dx, dh0 and dG) then the weight gradients from dG (T, B, G*H).
template <int MR, int NV, class GateEpi>
inline void backward_sweep(const RnnGrads& g, float* dG, const float* x, const float* h0, const float* y,
                           int64_t ldy, const RnnWeights& w, int64_t T, int64_t B, int64_t I, int64_t H, int G,
                           bool reverse, bool bf16, const GateEpi& gate_epi) {
  bptt_sweep<MR, NV>(g.dx, g.dh0, dG, G * H, w, T, B, I, H, G, reverse, bf16, gate_epi);
  weight_grads(g, dG, x, h0, y, ldy, T, B, I, H, G, reverse, bf16);
}

}  // namespace rec
}  // namespace NNE_ISA_NS
}  // namespace nne
