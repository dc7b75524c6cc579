// bf16 steps of the recurrent kernels (per ISA, through rnn_impl.h; include only from kernel files).
//
// bf16 compute (the shapes' `bf16`, autocast): every product's operands are rounded to bf16 (round to
// nearest even) and summed in float32. Whole-sequence products (input projections, weight gradients, the
// GRU's dx) are GemmArgs::bf16 GEMMs. A step's product (h_{t-1} forward, with x_t for the LSTM; dG backward)
// runs on the bf16 panel kernel (gemm_bf16.h bf16_panel_kernel: AMX tiles or AVX512-BF16, as the GEMM; the
// step's rows converted to pairs once per step, the weights once per call) between the same init and epilogue.
// Where that kernel is absent the float32 tiles run on bf16-rounded floats instead (a product of two bf16 is
// exact in float32, so the sums are those of vdpbf16ps up to its pair order).
// States, gates, the gradients the steps carry and the bias sums stay float32.
// That float32-tile form is a safety net, not a supported path: the bindings refuse bf16 where there is no bf16
// GEMM, and the panel kernel exists exactly when the GEMM does (core/isa.cpp), so it runs only if another thread
// lowers the ISA (set_isa) between a binding's check and its kernel call. Where the CPU (or the ISA cap) has no
// bf16, autocast("bf16") and bf16=True raise (tests/test_amp.py checks both at every ISA tier).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/buffer.h"
#include "kernels/bf16_round.h"
#include "kernels/rnn_step.h"

namespace nne {
namespace NNE_ISA_NS {
namespace rec {

// Blocks of K rows x C floats (blocks `stride` floats apart) rounded to blocks of pair_rows(K) rows x C pairs of
// bf16 (the even k in the low half; zero past K) at dst.
inline void to_pairs(uint32_t* dst, const float* src, int64_t blocks, int64_t K, int64_t C, int64_t stride) {
  const int64_t kp = (K + 1) / 2, kpp = pair_rows(K);
  for (int64_t blk = 0; blk < blocks; ++blk)
    for (int64_t p = 0; p < kpp; ++p) {
      const float* lo = src + blk * stride + 2 * p * C;
      uint32_t* d = dst + (blk * kpp + p) * C;
      if (2 * p + 1 < K) {
        for (int64_t c = 0; c < C; ++c) d[c] = (bf16_round_bits(lo[c]) >> 16) | bf16_round_bits(lo[C + c]);
      } else if (p < kp) {
        for (int64_t c = 0; c < C; ++c) d[c] = bf16_round_bits(lo[c]) >> 16;
      } else {
        std::memset(d, 0, sizeof(uint32_t) * C);
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
// one, with the weights' pairs (bpx: the leading input rows', bp: the recurrent rows') and a buffer per operand
// for each step's rows as pairs (xrows, hrows: B rows of pair_rows(K) pairs), else the (B, K) buffer of each
// step's (one) operand rows rounded for the float32 tiles.
struct Bf16Steps {
  Bf16PanelFn panel = nullptr;
  Bf16PairsFn convert = nullptr;
  const uint32_t* bpx = nullptr;
  const uint32_t* bp = nullptr;
  uint32_t* xrows = nullptr;
  uint32_t* hrows = nullptr;
  float* fbuf = nullptr;

  // The operand {a, lda, K} of rows [r0, r1) of a step (`input`: the leading rows' operand), for the panel
  // kernel (its rows converted to pairs here, once per step: threads converting disjoint row ranges), rounded,
  // or as given (no bf16).
  StepIn operand(const float* a, int64_t lda, int64_t K, int64_t r0, int64_t r1, bool input = false) const {
    if (panel) {
      const int64_t ldp = pair_rows(K);
      uint32_t* rows = input ? xrows : hrows;
      if (a) convert(rows + r0 * ldp, ldp, a + r0 * lda, lda, r1 - r0, K);
      return {a, lda, K, panel, input ? bpx : bp, rows, ldp};
    }
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
// `pairs` keeps its pair form, rebuilt unless `fresh` is false (the same weights as the last call); `rows` holds
// the steps' rows as pairs (B x I and B x K values).
inline Bf16Steps bf16_steps(bool bf16, int64_t B, const float* wp, int64_t blocks, int64_t I, int64_t K, int64_t C,
                            std::vector<uint32_t>& pairs, ScratchBuf& rows, bool fresh = true) {
  Bf16Steps bs;
  if (!bf16) return bs;
  static thread_local ScratchBuf fbuf;
  bs.panel = step_panel(true);
  if (bs.panel) {
    bs.convert = bf16_pairs_kernel();
    const int64_t nx = blocks * pair_rows(I) * C, nh = blocks * pair_rows(K) * C;
    if (fresh || pairs.size() != static_cast<size_t>(nx + nh)) {
      pairs.resize(static_cast<size_t>(nx + nh));
      to_pairs(pairs.data(), wp, blocks, I, C, (I + K) * C);
      to_pairs(pairs.data() + nx, wp + I * C, blocks, K, C, (I + K) * C);
    }
    bs.bpx = pairs.data();
    bs.bp = pairs.data() + nx;
    const int64_t rx = B * pair_rows(I);  // both multiples of 16 pairs (64 bytes): the rows stay aligned
    bs.xrows = reinterpret_cast<uint32_t*>(rows.get(static_cast<size_t>(rx + B * pair_rows(K))));
    bs.hrows = bs.xrows + rx;
  } else {
    bs.fbuf = fbuf.get(static_cast<size_t>(B * K));
  }
  return bs;
}

}  // namespace rec
}  // namespace NNE_ISA_NS
}  // namespace nne
