// GEMM: C[M,N] = alpha * op(A)[M,K] @ op(B)[K,N] + beta * C + bias_row[i] + bias_col[j]
//
// Row-major throughout. op(X) = X or X^T (trans_a / trans_b); lda/ldb/ldc are row strides of the
// matrices as stored. beta == 0 never reads C (so C may be uninitialised). Either bias may be null;
// they are the fused epilogue of linear (bias_col) and convolution (bias_row) layers.
//
// Algorithm (Goto/BLIS): B is packed into KC x NR panels, A into MR x KC panels, and a register-tiled
// micro-kernel accumulates each MR x NR tile over a KC block. Three tile shapes per ISA (AVX-512:
// 12x32, 8x48, 16x16; AVX2+FMA and baseline: 6x2, 4x3, 12x1 vectors) are picked per call by padded
// work; an edge tile computes only its rows (rounded up to 4) and vectors, not the panels' padding. Up to
// 64 rows (128 if B fits in L2), a non-transposed B is read in place (prefetched) by the first row panel,
// which packs it on the way for the others; narrow outputs read A in place; up to 4 rows run as GEMVs.
// Threads split C into column or row slabs (aligned to NR or MR), whichever packs less.
//
// The blocking (KC, MC, NC, the in-place-B limit) is derived from the caches the CPU reports
// (core/cpuinfo.h) and read once per call.
//
// Up to 16 rows with a transposed B (batch-1..16 inference of a Linear layer) are dot products of
// contiguous rows instead (gemm_dot.h): B is read in place, not transposed into panels.
//
// Results are bit-identical at any thread count. With a non-transposed B, every element is the same
// FMA chain over k in the same KC blocks with the same epilogue, whatever the path, tile shape or
// thread split, so a row's result does not depend on how many rows the call had (streaming RNNs rely
// on this and use a non-transposed B). With a transposed B, the dot path sums in another order.
#pragma once

#include <cstdint>
#include <vector>

#include "core/isa.h"

namespace nne {

// A caller's packer of a GEMM operand (GemmArgs::pack_a / pack_b): block [k0, k0 + kc) x [n0, n0 + nc) of a K x N
// matrix into ceil(nc/nr) panels of kc x nr floats, lanes past nc zero.
using GemmPackFn = void (*)(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int64_t nr, float* dst);

struct GemmArgs {
  bool trans_a = false, trans_b = false;
  int64_t M = 0, N = 0, K = 0;
  float alpha = 1.f, beta = 0.f;
  const float* A = nullptr;
  int64_t lda = 0;
  const float* B = nullptr;
  int64_t ldb = 0;
  float* C = nullptr;
  int64_t ldc = 0;
  const float* bias_row = nullptr;  // length M, or null
  const float* bias_col = nullptr;  // length N, or null
  // Compute in bf16 (gemm_bf16.h: inputs rounded to bf16, float32 sums): the bf16 kernel where the CPU has
  // one, else its scalar twin (never silently float32). Bindings check bf16_gemm_kernel() first.
  bool bf16 = false;
  // A virtual op(B) that the caller packs: e.g. a convolution's column matrix,
  // written straight into the GEMM's panels instead of built and then packed. When set, B and ldb are not
  // read (trans_b only tells the thread split that packing transposes) and every product takes the packed
  // tiled path: the GEMM calls pack_b(pack_b_ctx, k0, kc, n0, nc, nr, dst) for each block of op(B) it needs,
  // from any of its threads at once; dst receives op(B)[k0:k0+kc, n0:n0+nc] as ceil(nc/nr) panels of
  // kc x nr floats, element (k, j) at dst[(j - n0)/nr*kc*nr + (k - k0)*nr + (j - n0)%nr], lanes past nc zero.
  // The results are those of the same product with op(B) in memory. The bf16 kernels and the scalar twins read
  // B in memory: for them op(B) is first materialized through pack_b (operands_in_memory).
  GemmPackFn pack_b = nullptr;
  const void* pack_b_ctx = nullptr;
  // The same for op(A), packed as pack_b packs op(B) but for op(A)^T (K x M): pack_a(pack_a_ctx, k0, kc, m0, mc,
  // mr, dst) writes element (i, k) of op(A) at dst[(i - m0)/mr*kc*mr + (k - k0)*mr + (i - m0)%mr], rows past mc
  // zero (the GEMM's A panels), so one packer can serve either side. A and lda are then not read (trans_a only
  // tells the thread split that packing transposes); every product takes the packed tiled path.
  GemmPackFn pack_a = nullptr;
  const void* pack_a_ctx = nullptr;
};

struct GemmKernels {
  void (*sgemm)(const GemmArgs& g);
  // FMA-throughput probe on one thread: runs `iters` iterations of independent vector FMAs, stores the
  // flops done in *flops, returns a value that depends on every FMA (see gemm_probe.h).
  double (*fma_probe)(int64_t iters, int64_t* flops);
  // y[M][N] = bf16(x[M][K]) . w[N][K]^T + bias[N] (bias may be null) with w given as bf16 bits (autocast's kept
  // cast of a weight, amp.cached_bf16_bits) for a few rows: x rounded as gemm_bf16.h rounds, products exact,
  // float32 sums (each output: the even k and the odd k of every 2 x kLanes block in one chain per lane, so the
  // order differs from sgemm's); gemm_dot.h, any ISA (no bf16 instruction is needed). M, N, K > 0: the binding
  // fills the empty products' outputs.
  void (*dot_bf16w)(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t N, const float* bias, float* y);
  // out[i] = the bf16 bits of x[i] rounded as gemm_bf16.h rounds (ties to even, NaN quieted): the cast dot_bf16w
  // reads.
  void (*to_bf16_bits)(const float* x, int64_t n, uint16_t* out);
};

// Scalar reference twins (cpp/reference/gemm_ref.cpp): float32 with float accumulation in k order,
// and the float64 path the tests use as an oracle.
void sgemm_reference(const GemmArgs& g);
// A GemmArgs with pack_a / pack_b as the same product with its operands in memory: op(A)^T (K x M, into `a`) and
// op(B) (K x N, into `b`) materialized through the packers, asked for blocks of at most kc rows and nc columns (nc a
// multiple of nr) in nr-wide panels, through `panels` (kc * nc floats). For the kernels that read operands in memory
// (the bf16 kernels, the scalar twins). (cpp/reference/gemm_ref.cpp)
GemmArgs operands_in_memory(const GemmArgs& g, float* a, float* b, int64_t nr, int64_t kc, int64_t nc, float* panels);
// The scalar twins' form of it, the buffers in `a` and `b` (sized here).
GemmArgs with_operands_in_memory(const GemmArgs& g, std::vector<float>& a, std::vector<float>& b);
void dgemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
                     const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
                     int64_t ldc);

}  // namespace nne

NNE_DISPATCH(nne::GemmKernels, gemm)

// How code reaches the GEMM (one route per side of the ISA boundary):
// - a kernel (a file in cpp/kernels/, compiled once per ISA into nne::NNE_ISA_NS) calls `sgemm(g)`:
//   the GEMM compiled for its own ISA, no dispatch (a kernel table of one ISA never mixes in another's);
// - code outside the per-ISA kernels (bindings, plans) goes through the dispatch table like every
//   other family: `nne::gemm_kernels().sgemm(g)`.
#if defined(NNE_ISA_NS)
namespace nne {
namespace NNE_ISA_NS {
extern const GemmKernels gemm;
inline void sgemm(const GemmArgs& g) { gemm.sgemm(g); }
}  // namespace NNE_ISA_NS
}  // namespace nne
#endif
