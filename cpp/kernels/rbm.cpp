// RBM Gibbs half-step (compiled per ISA). See rbm.h.
#include "kernels/rbm.h"

#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// sigmoid over a row, full vectors then a zero-padded tail, so every element gets the same arithmetic.
inline void sigmoid_row(float* p, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) vstore(p + i, vsigmoid(vload(p + i)));
  if (i < n) {
    float t[kLanes] = {};
    for (int64_t j = i; j < n; ++j) t[j - i] = p[j];
    vstore(t, vsigmoid(vload(t)));
    for (int64_t j = i; j < n; ++j) p[j] = t[j - i];
  }
}

void sample(float* prob, float* state, const float* x, const float* W, const float* bias, uint64_t seed,
            const RbmShape& s) {
  GemmArgs g;
  g.trans_b = s.trans_w;
  g.M = s.N;
  g.N = s.out;
  g.K = s.in;
  g.A = x;
  g.lda = s.in;
  g.B = W;
  g.ldb = s.trans_w ? s.in : s.out;
  g.C = prob;
  g.ldc = s.out;
  g.bias_col = bias;
  sgemm(g);
  const int64_t out = s.out;
  const int64_t grain = out >= 4096 ? 1 : 4096 / out;
  parallel_for(0, s.N, grain, [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      float* p = prob + n * out;
      sigmoid_row(p, out);
      if (state) {
        float* st = state + n * out;
        const uint64_t base = static_cast<uint64_t>(n * out);
        for (int64_t j = 0; j < out; ++j) st[j] = rbm_uniform(seed, base + j) < p[j] ? 1.f : 0.f;
      }
    }
  });
}

}  // namespace

extern const RbmKernels rbm = {NNE_KERNEL_ENTRY(sample)};

}  // namespace NNE_ISA_NS
}  // namespace nne
