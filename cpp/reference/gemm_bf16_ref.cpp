// Scalar twin of the bf16 GEMM kernel (gemm_bf16.h): inputs rounded to bf16 (denormal bf16 read as zero,
// as vdpbf16ps does), pair products summed in float32 in k order, odd member of each pair first.
#include "kernels/gemm_bf16.h"

#include <vector>

#include "kernels/gemm.h"

namespace nne {
namespace {

float bf16_daz(float x) {
  const float r = bf16_bits_to_float(float_to_bf16_bits(x));
  return (float_to_bf16_bits(x) & 0x7f80u) == 0 ? 0.f * r : r;  // keeps the sign of a flushed zero
}

}  // namespace

void sgemm_bf16_reference(const GemmArgs& g) {
  if (g.pack_a || g.pack_b) {
    std::vector<float> a, b;
    return sgemm_bf16_reference(with_operands_in_memory(g, a, b));
  }
  for (int64_t i = 0; i < g.M; ++i) {
    for (int64_t j = 0; j < g.N; ++j) {
      auto a = [&](int64_t k) { return bf16_daz(g.trans_a ? g.A[k * g.lda + i] : g.A[i * g.lda + k]); };
      auto b = [&](int64_t k) { return bf16_daz(g.trans_b ? g.B[j * g.ldb + k] : g.B[k * g.ldb + j]); };
      float acc = 0.f;
      for (int64_t k = 0; k < g.K; k += 2) {
        if (k + 1 < g.K) acc += a(k + 1) * b(k + 1);  // exact product of two bf16, one rounding per add
        acc += a(k) * b(k);
      }
      float v = g.alpha * acc;
      if (g.beta != 0.f) v += g.beta * g.C[i * g.ldc + j];
      if (g.bias_row) v += g.bias_row[i];
      if (g.bias_col) v += g.bias_col[j];
      g.C[i * g.ldc + j] = v;
    }
  }
}

}  // namespace nne
