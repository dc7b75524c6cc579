// Scalar twin of the softmax kernel (float accumulation, libm exp/log).
#include <cmath>
#include <limits>

#include "kernels/softmax.h"

namespace nne {

void softmax_forward_reference(float* y, const float* x, AxisShape s, bool log) {
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      const int64_t base = o * s.n * s.inner + i;
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < s.n; ++j) m = std::fmax(m, x[base + j * s.inner]);
      float sum = 0.f;
      for (int64_t j = 0; j < s.n; ++j) sum += std::exp(x[base + j * s.inner] - m);
      for (int64_t j = 0; j < s.n; ++j) {
        const float v = x[base + j * s.inner] - m;
        y[base + j * s.inner] = log ? v - std::log(sum) : std::exp(v) / sum;
      }
    }
}

}  // namespace nne
