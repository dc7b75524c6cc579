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

void pointwise_loss_forward_mse_reference(float* out, const float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - y[i];
    out[i] = static_cast<float>(d * d);
  }
}

void pointwise_loss_backward_mse_reference(float* dx, const float* x, const float* y, const float* g, int64_t g_n,
                                           int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - y[i];
    dx[i] = static_cast<float>(2.0 * (d * g[g_n == 1 ? 0 : i]));
  }
}

}  // namespace nne

// ---- binary cross-entropy: the formulas of pointwise_loss.h in double, rounded once --------------
namespace nne {
namespace {

inline double clamp_log(double v) { return v < -100.0 ? -100.0 : v; }
inline double log_sigmoid(double z) { return std::fmin(z, 0.0) - std::log1p(std::exp(-std::fabs(z))); }

}  // namespace

void pointwise_loss_forward_bce_reference(float* out, const BceArgs& a) {
  for (int64_t i = 0; i < a.n; ++i) {
    const double x = a.x[i], t = a.t[i];
    double l;
    if (a.logits)
      l = (1.0 - t) * x - (a.pw ? 1.0 + (a.pw[i] - 1.0) * t : 1.0) * log_sigmoid(x);
    else
      l = (t - 1.0) * clamp_log(std::log1p(-x)) - t * clamp_log(std::log(x));
    out[i] = static_cast<float>(a.w ? l * a.w[i] : l);
  }
}

void pointwise_loss_backward_bce_reference(float* dx, float* dt, const float* g, int64_t g_n, const BceArgs& a) {
  for (int64_t i = 0; i < a.n; ++i) {
    const double x = a.x[i], t = a.t[i];
    const double gw = double(g[g_n == 1 ? 0 : i]) * (a.w ? a.w[i] : 1.0);
    double d, dtv;
    if (a.logits) {
      const double s = 1.0 / (1.0 + std::exp(-x));
      const double pt = a.pw ? a.pw[i] * t : t;
      d = a.pw ? (pt + 1.0 - t) * s - pt : s - t;
      dtv = a.pw ? log_sigmoid(-x) - a.pw[i] * log_sigmoid(x) : -x;
    } else {
      const double v = (1.0 - x) * x;
      d = (x - t) / (v < 1e-12 ? 1e-12 : v);
      dtv = clamp_log(std::log1p(-x)) - clamp_log(std::log(x));
    }
    dx[i] = static_cast<float>(d * gw);
    if (dt) dt[i] = static_cast<float>(dtv * gw);
  }
}

}  // namespace nne

// ---- Kullback-Leibler divergence: the formulas of pointwise_loss.h in double, rounded once -------
namespace nne {

void pointwise_loss_forward_kl_reference(float* out, const float* x, const float* t, int64_t n, bool log_target) {
  for (int64_t i = 0; i < n; ++i) {
    const double xi = x[i], ti = t[i];
    const double xl = std::isnan(ti) ? ti : ti == 0.0 ? 0.0 : ti * std::log(ti);
    out[i] = static_cast<float>(log_target ? std::exp(ti) * (ti - xi) : xl - ti * xi);
  }
}

void pointwise_loss_backward_kl_reference(float* dx, float* dt, const float* x, const float* t, const float* g,
                                          int64_t g_n, int64_t n, bool log_target) {
  for (int64_t i = 0; i < n; ++i) {
    const double gi = g[g_n == 1 ? 0 : i], ti = t[i], xi = x[i];
    const double et = log_target ? std::exp(ti) : ti;
    dx[i] = static_cast<float>(-et * gi);
    if (dt) dt[i] = static_cast<float>((log_target ? et * (ti - xi + 1.0) : std::log(ti) + ti / ti - xi) * gi);
  }
}

}  // namespace nne
