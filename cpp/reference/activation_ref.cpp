// Scalar twins of the activation kernels (libm exp/tanh).
#include <cmath>

#include "kernels/activation.h"

namespace nne {

void act_forward_reference(float* y, const float* x, int64_t n, ActParams p) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    switch (p.kind) {
      case kActRelu: y[i] = v > 0.f ? v : 0.f; break;
      case kActLeakyRelu: y[i] = v > 0.f ? v : p.alpha * v; break;
      case kActElu: y[i] = v > 0.f ? v : p.alpha * std::expm1(v); break;
      case kActSigmoid: y[i] = 1.f / (1.f + std::exp(-v)); break;
      case kActTanh: y[i] = std::tanh(v); break;
      default: y[i] = v;
    }
  }
}

void act_backward_reference(float* dx, const float* dy, const float* x, const float* y, int64_t n, ActParams p) {
  for (int64_t i = 0; i < n; ++i) {
    switch (p.kind) {
      case kActRelu: dx[i] = x[i] > 0.f ? dy[i] : 0.f; break;
      case kActLeakyRelu: dx[i] = x[i] > 0.f ? dy[i] : dy[i] * p.alpha; break;
      case kActElu: dx[i] = x[i] > 0.f ? dy[i] : dy[i] * (y[i] + p.alpha); break;
      case kActSigmoid: dx[i] = dy[i] * y[i] * (1.f - y[i]); break;
      case kActTanh: dx[i] = dy[i] * (1.f - y[i] * y[i]); break;
      default: dx[i] = dy[i];
    }
  }
}

}  // namespace nne
