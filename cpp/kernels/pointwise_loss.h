// pointwise_loss: elementwise regression losses of d = x - y (PyTorch's formulas):
//   smooth_l1(beta): |d| < beta ? 0.5 d^2 / beta : |d| - 0.5 beta     (beta > 0; beta = 0 is l1, the caller's)
//   huber(delta):    |d| < delta ? 0.5 d^2 : delta (|d| - 0.5 delta)
// pointwise_loss_forward(out, x, y, n, p):          out[i] = loss(x[i] - y[i])
// pointwise_loss_backward(dx, x, y, g, g_n, n, p):  dx[i] = g[g_n == 1 ? 0 : i] * dloss/dx (the target's
//                                                   gradient is -dx); torch's branch order, so NaN stays NaN.
// Flat arrays of n floats; out may alias x or y, dx may alias g when g_n == n. Reductions belong to the caller.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

enum PointLossKind : int { kLossSmoothL1 = 0, kLossHuber = 1 };

struct PointLossParams {
  int kind = kLossSmoothL1;
  float beta = 1.f;  // smooth_l1 beta or huber delta, > 0
};

struct PointLossKernels {
  void (*forward)(float* out, const float* x, const float* y, int64_t n, PointLossParams p);
  void (*backward)(float* dx, const float* x, const float* y, const float* g, int64_t g_n, int64_t n,
                   PointLossParams p);
};

void pointwise_loss_forward_reference(float* out, const float* x, const float* y, int64_t n, PointLossParams p);
void pointwise_loss_backward_reference(float* dx, const float* x, const float* y, const float* g, int64_t g_n,
                                       int64_t n, PointLossParams p);

}  // namespace nne

NNE_DISPATCH(nne::PointLossKernels, pointwise_loss)
