// Scalar twins of the GEMM kernel: plain triple loops, the oracle inside C++.
#include "kernels/gemm.h"
#include "core/parallel.h"

namespace nne {

void sgemm_reference(const GemmArgs& g) {
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
