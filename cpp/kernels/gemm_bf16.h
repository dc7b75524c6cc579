// bf16 GEMM: C[M,N] = alpha * bf16(op(A)) @ bf16(op(B)) + beta * C + bias_row[i] + bias_col[j]
//
// The contract of gemm.h (row-major, op(X) = X or X^T, beta == 0 never reads C, optional biases) with one
// difference: the float32 inputs are rounded to bfloat16 (round to nearest even, as torch's .to(bfloat16))
// when they are packed, and the products are summed in float32. This is the compute precision of
// `nnengine.autocast("bf16")`: torch.autocast's bf16 matmul and convolution, with float32 storage (the
// output is not rounded to bf16, so it is at least as accurate as torch's bf16 output).
//
// Kernels: AVX512-BF16 (`vdpbf16ps`: each float32 lane adds the products of one pair of bf16 along k),
// compiled once into its own object with -mavx512bf16 (cpp/kernels/bf16/gemm_bf16.cpp) and used only when
// the CPU reports AVX512-BF16, the OS saves ZMM state and the active ISA is avx512 (NNENGINE_MAX_ISA caps it).
// AMX-BF16 tiles are not implemented yet. Elsewhere there is no bf16 kernel: callers raise a clear error.
//
// Blocking: from the float32 GEMM's (core/cpuinfo.h): K blocks of 2 x KC pairs of bf16, MC rows, NC columns.
// Every element is the same chain of pair products over the same K blocks whatever the thread split, so
// results are bit-identical at any thread count.
#pragma once

#include "kernels/gemm.h"

namespace nne {

using SgemmFn = void (*)(const GemmArgs& g);

// The bf16 kernel for this CPU and the active ISA (for M, N, K > 0: sgemm handles the empty products before it
// dispatches a GemmArgs::bf16 call here), or nullptr (no AVX512-BF16, OS without ZMM state, a
// cap below avx512, or a build without the x86 bf16 tier).
SgemmFn bf16_gemm_kernel();
// Why bf16_gemm_kernel() is null ("" when it is not): for error messages.
const char* bf16_unavailable_reason();

// The recurrent kernels' bf16 step product (rnn_impl.h), AVX512-BF16 only (cpp/kernels/bf16/panel_bf16.cpp):
// acc[r][c] += sum_k bf16(a[r*lda + k]) * w[k][c] for r < rows, c < nv*16 (nv in 1..4), k < K, with float32 sums:
// the rows are converted as vcvtne2ps2bf16 does (round to nearest even), and bp holds w as pairs of bf16 along k
// (the even k in the low half; (K+1)/2 rows of nv*16 pairs, zero past K), multiplied in pairs by
// vdpbf16ps. acc rows are nv*16 floats apart. Every element is one chain over the pairs in order, so the result
// does not depend on how rows are grouped into calls.
using Bf16PanelFn = void (*)(float* acc, int64_t rows, int nv, const float* a, int64_t lda, int64_t K,
                             const uint32_t* bp);
Bf16PanelFn bf16_panel_kernel();

// Scalar reference twin (cpp/reference/gemm_bf16_ref.cpp): bf16-rounded inputs, float32 sums of pair
// products in k order (k odd then k even within a pair, as vdpbf16ps), no K blocking.
void sgemm_bf16_reference(const GemmArgs& g);

// Round-to-nearest-even float32 -> bfloat16 bits (NaN stays NaN, quieted), and back.
inline uint16_t float_to_bf16_bits(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
inline float bf16_bits_to_float(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

}  // namespace nne
