// bf16 GEMM: C[M,N] = alpha * bf16(op(A)) @ bf16(op(B)) + beta * C + bias_row[i] + bias_col[j]
//
// The contract of gemm.h (row-major, op(X) = X or X^T, beta == 0 never reads C, optional biases) with one
// difference: the float32 inputs are rounded to bfloat16 (round to nearest even, as torch's .to(bfloat16))
// when they are packed, and the products are summed in float32. This is the compute precision of
// `nnengine.autocast("bf16")`: torch.autocast's bf16 matmul and convolution, with float32 storage (the
// output is not rounded to bf16, so it is at least as accurate as torch's bf16 output).
//
// Kernels, compiled once into their own objects (cpp/kernels/bf16) and used only when the CPU reports them, the
// OS saves their state and the active ISA is avx512 (NNENGINE_MAX_ISA caps it):
// - AMX-BF16 (`tdpbf16ps` on 16 x 16 tiles, gemm_amx.cpp), the default where the CPU has it and Linux grants the
//   process the tile data state (isa.cpp asks once);
// - AVX512-BF16 (`vdpbf16ps`: each float32 lane adds the products of one pair of bf16 along k, gemm_bf16.cpp).
// Elsewhere there is no bf16 kernel: callers raise a clear error. Both sum every product in float32 with the
// inputs rounded alike, in different orders: results differ between them by float32 rounding only.
//
// Blocking: from the float32 GEMM's (core/cpuinfo.h): K blocks of 2 x KC pairs of bf16, MC rows, NC columns.
// Every element is the same chain of pair products over the same K blocks whatever the thread split, so
// results are bit-identical at any thread count.
#pragma once

#include "kernels/gemm.h"

namespace nne {

using SgemmFn = void (*)(const GemmArgs& g);

// The bf16 kernel for this CPU, the active ISA and the kernel chosen (for M, N, K > 0: sgemm handles the empty
// products before it dispatches a GemmArgs::bf16 call here), or nullptr (no AVX512-BF16 or AMX-BF16, OS without
// their state, a cap below avx512, or a build without the x86 bf16 tier).
SgemmFn bf16_gemm_kernel();

// Choosing the bf16 GEMM kernel (core/isa.cpp): kBf16Auto picks AMX where available, else AVX512-BF16.
// NNENGINE_BF16_GEMM=auto|amx|avx512bf16 sets the first choice (ignored when unavailable).
enum Bf16Kernel : int { kBf16Auto = 0, kBf16Avx512 = 1, kBf16Amx = 2 };
int bf16_kernel_from_name(const char* name);  // -1 for an unknown name
const char* bf16_kernel_name(int kernel);     // "none" for -1
// This CPU, OS, build and active ISA can run `kernel` (kBf16Auto: any bf16 kernel).
bool bf16_kernel_available(int kernel);
// Selects the GEMM kernel; false (and nothing changes) when it is not available.
bool set_bf16_gemm_kernel(int kernel);
// The kernel bf16_gemm_kernel() returns now (kBf16Avx512 or kBf16Amx), or -1.
int bf16_gemm_kernel_id();
// Why bf16_gemm_kernel() is null ("" when it is not): for error messages.
const char* bf16_unavailable_reason();

// The recurrent kernels' bf16 step product (rnn_step.h), on the kernel the GEMM runs (AMX tiles in gemm_amx.cpp
// or AVX512-BF16 in panel_bf16.cpp): acc[r][c] += sum over the operands, then over k, of bf16(a[r][k]) * w[k][c]
// for r < rows, c < nv*16 (nv in 1..4), with float32 sums. An operand holds its rows already as pairs (`ap`: row r
// at ap + r*ldp, ldp a multiple of 16, made by the pairs kernel below, zero past its K values) and w as pairs too
// (`bp`: round_up((K+1)/2, 16) rows of nv*16 pairs, zero past K; rnn_bf16.h). A pair is two bf16 along k in one
// int32, the even k in the low half, multiplied in pairs (vdpbf16ps) or 16 pairs at a time (tdpbf16ps); the C
// values stay in registers (tiles) across the operands. acc rows are nv*16 floats apart. Every element is one
// chain over the operands and their pairs in order, so the result does not depend on how rows are grouped into
// calls.
struct Bf16PanelOperand {
  const uint32_t* ap;
  int64_t ldp;
  int64_t K;
  const uint32_t* bp;
};
using Bf16PanelFn = void (*)(float* acc, int64_t rows, int nv, const Bf16PanelOperand* ops, int nops);
Bf16PanelFn bf16_panel_kernel();

// Rows of float32 as the panel's pairs: dst[r*ldp + p] = bf16(a[r*lda + 2p]) | bf16(a[r*lda + 2p + 1]) << 16 for
// r < rows, p < ldp (ldp a multiple of 16, at least (K+1)/2), rounded by vcvtne2ps2bf16 (to nearest even;
// denormals and NaN as the instruction does); zero past K. Not null where bf16_panel_kernel() is not.
using Bf16PairsFn = void (*)(uint32_t* dst, int64_t ldp, const float* a, int64_t lda, int64_t rows, int64_t K);
Bf16PairsFn bf16_pairs_kernel();

// GemmKernels::dot_bf16w's contract (gemm.h: y[M][N] = bf16(x[M][K]) . w[N][K]^T + bias, w as bf16 bits, for a few
// rows of x) on AVX512-BF16 (dot_bf16.cpp): x's rows converted to pairs once (vcvtne2ps2bf16), the bits read as
// pairs in place, each output one vdpbf16ps chain per lane over k then the lanes summed; bit-identical at any
// thread count and whatever the row count, differing from the portable kernel by float32 rounding (the order of
// the sums; vdpbf16ps flushes denormals); M, N, K > 0 as dot_bf16w. nullptr where
// bf16_kernel_available(kBf16Avx512) is false.
using Bf16DotFn = void (*)(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t N, const float* bias,
                           float* y);
Bf16DotFn bf16_dot_kernel();

// The AMX tile-throughput probe (gemm_amx.cpp): `iters` rounds of four independent tdpbf16ps (16 x 16 x 32 each)
// on this thread; sets *flops, returns a checksum (32 * iters * 2^-14 while exact). nullptr without AMX-BF16.
using Bf16ProbeFn = double (*)(int64_t iters, int64_t* flops);
Bf16ProbeFn amx_probe_kernel();

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
