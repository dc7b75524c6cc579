// pointwise_loss: elementwise regression losses of d = x - y (PyTorch's formulas):
//   smooth_l1(beta): |d| < beta ? 0.5 d^2 / beta : |d| - 0.5 beta     (beta > 0; beta = 0 is l1, the caller's)
//   huber(delta):    |d| < delta ? 0.5 d^2 : delta (|d| - 0.5 delta)
// pointwise_loss_forward(out, x, y, n, p):          out[i] = loss(x[i] - y[i])
// pointwise_loss_backward(dx, x, y, g, g_n, n, p):  dx[i] = g[g_n == 1 ? 0 : i] * dloss/dx (the target's
//                                                   gradient is -dx); torch's branch order, so NaN stays NaN.
// Flat arrays of n floats; out may alias x or y, dx may alias g when g_n == n. Reductions belong to the caller.
//
// Squared error (mse), numpy's float32 order (d = x - y rounded, then each product rounded):
//   forward_mse(out, x, y, n):             out[i] = d * d
//   backward_mse(dx, x, y, g, g_n, n):     dx[i] = 2 * t with t = g[g_n == 1 ? 0 : i] * d (= t + t: doubling is
//                                          exact); the target's gradient is -dx. Aliasing as above.
//
// Binary cross-entropy (torch 2.x CPU formulas; x = probabilities p, or logits z with logits = true;
// w = weight, pw = pos_weight, both optional arrays of n floats, absent = 1; lp(v) = max(log(v), -100)):
//   bce:         loss = w * ((t - 1) * lp(1 - p) - t * lp(p))     (log1p(-p) for the first log)
//                dp = g * w * (p - t) / max((1 - p) p, 1e-12)     dt = g * w * (lp(1 - p) - lp(p))
//   with logits: ls(z) = min(z, 0) - log1p(exp(-|z|)) (log sigmoid), lw = 1 + (pw - 1) t
//                loss = w * ((1 - t) z - lw * ls(z))
//                dz = g * w * (pw ? (pw t + 1 - t) sigmoid(z) - pw t : sigmoid(z) - t)
//                dt = g * w * (pw ? ls(-z) - pw ls(z) : -z)
// backward_bce writes dt only when dt is not null; g holds g_n (1 or n) values.
//
// Kullback-Leibler divergence of log-probabilities x against targets t (torch 2.x formulas, float math per element):
//   kl:          loss = xlogy(t, t) - t x      (xlogy(t, t) = 0 where t == 0, NaN where t is NaN)
//                dx = -t g                     dt = (log t + t / t - x) g    (torch's xlogy derivatives: NaN at t <= 0)
//   log_target:  loss = e^t (t - x)            dx = -e^t g                   dt = e^t (t - x + 1) g
// backward_kl writes dt only when dt is not null; g holds g_n (1 or n) values.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

enum PointLossKind : int { kLossSmoothL1 = 0, kLossHuber = 1 };

struct PointLossParams {
  int kind = kLossSmoothL1;
  float beta = 1.f;  // smooth_l1 beta or huber delta, > 0
};

struct BceArgs {
  const float* x = nullptr;   // probabilities or logits
  const float* t = nullptr;   // targets
  const float* w = nullptr;   // weight or null
  const float* pw = nullptr;  // pos_weight or null (logits only)
  int64_t n = 0;
  bool logits = false;
};

struct PointLossKernels {
  void (*forward)(float* out, const float* x, const float* y, int64_t n, PointLossParams p);
  void (*backward)(float* dx, const float* x, const float* y, const float* g, int64_t g_n, int64_t n,
                   PointLossParams p);
  void (*forward_mse)(float* out, const float* x, const float* y, int64_t n);
  void (*backward_mse)(float* dx, const float* x, const float* y, const float* g, int64_t g_n, int64_t n);
  void (*forward_bce)(float* out, const BceArgs& a);
  void (*backward_bce)(float* dx, float* dt, const float* g, int64_t g_n, const BceArgs& a);
  void (*forward_kl)(float* out, const float* x, const float* t, int64_t n, bool log_target);
  void (*backward_kl)(float* dx, float* dt, const float* x, const float* t, const float* g, int64_t g_n, int64_t n,
                      bool log_target);
};

void pointwise_loss_forward_reference(float* out, const float* x, const float* y, int64_t n, PointLossParams p);
void pointwise_loss_backward_reference(float* dx, const float* x, const float* y, const float* g, int64_t g_n,
                                       int64_t n, PointLossParams p);

void pointwise_loss_forward_mse_reference(float* out, const float* x, const float* y, int64_t n);
void pointwise_loss_backward_mse_reference(float* dx, const float* x, const float* y, const float* g, int64_t g_n,
                                           int64_t n);

void pointwise_loss_forward_bce_reference(float* out, const BceArgs& a);
void pointwise_loss_backward_bce_reference(float* dx, float* dt, const float* g, int64_t g_n, const BceArgs& a);

void pointwise_loss_forward_kl_reference(float* out, const float* x, const float* t, int64_t n, bool log_target);
void pointwise_loss_backward_kl_reference(float* dx, float* dt, const float* x, const float* t, const float* g,
                                          int64_t g_n, int64_t n, bool log_target);

}  // namespace nne

NNE_DISPATCH(nne::PointLossKernels, pointwise_loss)
