// Scalar twins of the pointwise regression-loss kernels (double arithmetic, torch's branch order).
#include <cmath>

#include "kernels/pointwise_loss.h"

namespace nne {

void pointwise_loss_forward_reference(float* out, const float* x, const float* y, int64_t n, PointLossParams p) {
  const double b = p.beta;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - y[i], ad = std::fabs(d);
    const double r = p.kind == kLossSmoothL1 ? (ad < b ? 0.5 * d * d / b : ad - 0.5 * b)
                                             : (ad < b ? 0.5 * d * d : b * (ad - 0.5 * b));
    out[i] = static_cast<float>(r);
  }
}

void pointwise_loss_backward_reference(float* dx, const float* x, const float* y, const float* g, int64_t g_n,
                                       int64_t n, PointLossParams p) {
  const double b = p.beta, s = p.kind == kLossSmoothL1 ? 1.0 : b;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - y[i];
    const double r = d < -b ? -s : d > b ? s : (p.kind == kLossSmoothL1 ? d / b : d);
    dx[i] = static_cast<float>(r * g[g_n == 1 ? 0 : i]);
  }
}

}  // namespace nne
