// Scalar twins of the GEMM kernel: plain triple loops, the oracle inside C++.
#include "kernels/gemm.h"

#include <algorithm>
#include <vector>

#include "core/parallel.h"

namespace nne {

void materialize_packed_b(const GemmArgs& g, int64_t nr, int64_t kc, int64_t nc, float* b, float* panels) {
  for (int64_t k0 = 0; k0 < g.K; k0 += kc) {
    const int64_t kb = std::min(kc, g.K - k0);
    for (int64_t n0 = 0; n0 < g.N; n0 += nc) {
      const int64_t nb = std::min(nc, g.N - n0);
      g.pack_b(g.pack_b_ctx, k0, kb, n0, nb, nr, panels);
      for (int64_t k = 0; k < kb; ++k)
        for (int64_t j = 0; j < nb; ++j) b[(k0 + k) * g.N + n0 + j] = panels[j / nr * kb * nr + k * nr + j % nr];
    }
  }
}

GemmArgs with_b_in_memory(const GemmArgs& g, std::vector<float>& b) {
  constexpr int64_t nr = 16, kc = 256, nc = 256;
  b.resize(static_cast<size_t>(g.K * g.N));
  std::vector<float> panels(static_cast<size_t>(kc * nc));
  materialize_packed_b(g, nr, kc, nc, b.data(), panels.data());
  GemmArgs m = g;
  m.B = b.data(), m.ldb = g.N, m.trans_b = false, m.pack_b = nullptr, m.pack_b_ctx = nullptr;
  return m;
}

void sgemm_reference(const GemmArgs& g) {
  if (g.pack_b) {
    std::vector<float> b;
    return sgemm_reference(with_b_in_memory(g, b));
  }
  for (int64_t i = 0; i < g.M; ++i) {
    for (int64_t j = 0; j < g.N; ++j) {
      float acc = 0.f;
      for (int64_t k = 0; k < g.K; ++k) {
        const float a = g.trans_a ? g.A[k * g.lda + i] : g.A[i * g.lda + k];
        const float b = g.trans_b ? g.B[j * g.ldb + k] : g.B[k * g.ldb + j];
        acc += a * b;
      }
      float v = g.alpha * acc;
      if (g.beta != 0.f) v += g.beta * g.C[i * g.ldc + j];
      if (g.bias_row) v += g.bias_row[i];
      if (g.bias_col) v += g.bias_col[j];
      g.C[i * g.ldc + j] = v;
    }
  }
}

void dgemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
                     const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
                     int64_t ldc) {
  parallel_for(0, M, 4, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      double* c = C + i * ldc;
      for (int64_t j = 0; j < N; ++j) c[j] = beta == 0.0 ? 0.0 : beta * c[j];
      for (int64_t k = 0; k < K; ++k) {
        const double a = alpha * (trans_a ? A[k * lda + i] : A[i * lda + k]);
        if (trans_b) {
          for (int64_t j = 0; j < N; ++j) c[j] += a * B[j * ldb + k];
        } else {
          const double* b = B + k * ldb;
          for (int64_t j = 0; j < N; ++j) c[j] += a * b[j];
        }
      }
    }
  });
}

}  // namespace nne
