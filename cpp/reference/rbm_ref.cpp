// Scalar twin of the RBM Gibbs half-step: float64 dot products, libm exp, the kernel's uniforms.
#include <cmath>

#include "kernels/rbm.h"

namespace nne {

void rbm_sample_reference(float* prob, float* state, const float* x, const float* W, const float* bias,
                          uint64_t seed, const RbmShape& s) {
  for (int64_t n = 0; n < s.N; ++n) {
    for (int64_t j = 0; j < s.out; ++j) {
      double acc = bias ? bias[j] : 0.0;
      for (int64_t i = 0; i < s.in; ++i) {
        const float w = s.trans_w ? W[j * s.in + i] : W[i * s.out + j];
        acc += static_cast<double>(x[n * s.in + i]) * w;
      }
      const float p = static_cast<float>(1.0 / (1.0 + std::exp(-acc)));
      prob[n * s.out + j] = p;
      if (state) state[n * s.out + j] = rbm_uniform(seed, static_cast<uint64_t>(n * s.out + j)) < p ? 1.f : 0.f;
    }
  }
}

}  // namespace nne
