// Scalar twins of the GEMM kernel: plain triple loops, the oracle inside C++.
#include "kernels/gemm.h"

#include <algorithm>
#include <vector>

#include "core/parallel.h"

namespace nne {

namespace {

// The K x N matrix a packer describes, written to `out` row-major: the packer is asked for blocks of at most kc rows
// and nc columns (nc a multiple of nr, column offsets too), nr-wide panels, into `panels` (kc * nc floats).
void materialize_packed(GemmPackFn pack, const void* ctx, int64_t K, int64_t N, int64_t nr, int64_t kc, int64_t nc,
                        float* out, float* panels) {
  for (int64_t k0 = 0; k0 < K; k0 += kc) {
    const int64_t kb = std::min(kc, K - k0);
    for (int64_t n0 = 0; n0 < N; n0 += nc) {
      const int64_t nb = std::min(nc, N - n0);
      pack(ctx, k0, kb, n0, nb, nr, panels);
      for (int64_t k = 0; k < kb; ++k)
        for (int64_t j = 0; j < nb; ++j) out[(k0 + k) * N + n0 + j] = panels[j / nr * kb * nr + k * nr + j % nr];
    }
  }
}

}  // namespace

GemmArgs operands_in_memory(const GemmArgs& g, float* a, float* b, int64_t nr, int64_t kc, int64_t nc,
                            float* panels) {
  GemmArgs m = g;
  if (g.pack_a) {  // op(A)^T as a K x M matrix: A stored transposed
    materialize_packed(g.pack_a, g.pack_a_ctx, g.K, g.M, nr, kc, nc, a, panels);
    m.A = a, m.lda = g.M, m.trans_a = true, m.pack_a = nullptr, m.pack_a_ctx = nullptr;
  }
  if (g.pack_b) {
    materialize_packed(g.pack_b, g.pack_b_ctx, g.K, g.N, nr, kc, nc, b, panels);
    m.B = b, m.ldb = g.N, m.trans_b = false, m.pack_b = nullptr, m.pack_b_ctx = nullptr;
  }
  return m;
}

GemmArgs with_operands_in_memory(const GemmArgs& g, std::vector<float>& a, std::vector<float>& b) {
  constexpr int64_t nr = 16, kc = 256, nc = 256;
  std::vector<float> panels(static_cast<size_t>(kc * nc));
  if (g.pack_a) a.resize(static_cast<size_t>(g.K * g.M));
  if (g.pack_b) b.resize(static_cast<size_t>(g.K * g.N));
  return operands_in_memory(g, a.data(), b.data(), nr, kc, nc, panels.data());
}

void sgemm_reference(const GemmArgs& g) {
  if (g.pack_a || g.pack_b) {
    std::vector<float> a, b;
    return sgemm_reference(with_operands_in_memory(g, a, b));
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
