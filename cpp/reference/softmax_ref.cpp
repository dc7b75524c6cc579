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

// ---- NLL: the formulas of softmax_loss.h, one row at a time ------------------------------------
namespace nne {

void softmax_forward_nll_reference(float* loss, float* row_w, const float* x, const int64_t* target,
                                   const float* weight, AxisShape s, int64_t ignore_index) {
  for (int64_t r = 0; r < s.outer * s.inner; ++r) {
    const int64_t o = r / s.inner, i = r % s.inner, t = target[r];
    const bool skip = t == ignore_index;
    const double w = skip ? 0.0 : (weight ? weight[t] : 1.0);
    row_w[r] = static_cast<float>(w);
    loss[r] = skip ? 0.f : static_cast<float>(-(double(x[(o * s.n + t) * s.inner + i]) * w));
  }
}

void softmax_backward_nll_reference(float* dx, const int64_t* target, const float* weight, const float* g,
                                    int64_t g_n, AxisShape s, int64_t ignore_index) {
  for (int64_t k = 0; k < s.outer * s.n * s.inner; ++k) dx[k] = 0.f;
  for (int64_t r = 0; r < s.outer * s.inner; ++r) {
    const int64_t o = r / s.inner, i = r % s.inner, t = target[r];
    if (t == ignore_index) continue;
    const double w = weight ? weight[t] : 1.0;
    dx[(o * s.n + t) * s.inner + i] = static_cast<float>(-(w * g[g_n == 1 ? 0 : r]));
  }
}

}  // namespace nne
