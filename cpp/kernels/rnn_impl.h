// Per-ISA machinery shared by the recurrent kernels (rnn.cpp, lstm.cpp, gru.cpp); include only from kernel files.
// The step's tiles and threading are in rnn_step.h, its bf16 operands in rnn_bf16.h, the weight packing in
// rnn_pack.h; here the whole-sequence pieces: bias sums, the GEMM calls, the weight gradients and the backward
// sweep through time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/buffer.h"
#include "core/parallel.h"
#include "kernels/gemm.h"
#include "kernels/rnn.h"
#include "kernels/rnn_bf16.h"
#include "kernels/rnn_pack.h"
#include "kernels/rnn_step.h"

namespace nne {
namespace NNE_ISA_NS {
namespace rec {

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
  static thread_local ScratchBuf pair_rows_buf;
  float* wb = packed.get(static_cast<size_t>((nbh + nbi) * N * CB));
  pack_cols(wb, w.w_hh, N, H, NV);
  if (I > 0) pack_cols(wb + nbh * N * CB, w.w_ih, N, I, NV);
  const Bf16Steps bs = bf16_steps(bf16, B, wb, nbh + nbi, 0, N, CB, pairs, pair_rows_buf);
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
