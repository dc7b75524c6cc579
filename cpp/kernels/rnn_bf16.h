// bf16 steps of the recurrent kernels (per ISA, through rnn_impl.h; include only from kernel files).
//
// bf16 compute (the shapes' `bf16`, autocast): every product's operands are rounded to bf16 (round to
// nearest even) and summed in float32. Whole-sequence products (input projections, weight gradients, the
// GRU's dx) are GemmArgs::bf16 GEMMs. A step's product (one operand: h_{t-1} forward, dG backward; the
// LSTM's input projections are a GEMM then) runs on the bf16 panel kernel (gemm_bf16.h bf16_panel_kernel: AMX
// tiles or AVX512-BF16, as the GEMM; the rows converted as it goes, weights packed as pairs once per call)
// between the same init and epilogue. Where that kernel is absent the float32 tiles run on bf16-rounded floats
// instead (a product of two bf16 is exact in float32, so the sums are those of vdpbf16ps up to its pair order).
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

}  // namespace rec
}  // namespace NNE_ISA_NS
}  // namespace nne
