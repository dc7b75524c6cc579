// Scalar twins of the activation kernels (libm exp/tanh; the newer kinds in double).
#include <algorithm>
#include <cmath>

#include "kernels/activation.h"

namespace nne {

namespace {

double gelu_tanh_s(double x) {  // sigmoid(2u) = (1 + tanh u) / 2
  return 0.5 * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

// The kinds >= kActGelu, in double.
double fwd_ext(double x, const ActParams& p) {
  switch (p.kind) {
    case kActGelu: return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
    case kActGeluTanh: return x * gelu_tanh_s(x);
    case kActSilu: return x / (1.0 + std::exp(-x));
    case kActMish: return x * std::tanh(std::log1p(std::exp(x)));
    case kActSoftplus: return x * p.alpha > p.beta ? x : std::log1p(std::exp(x * p.alpha)) / p.alpha;
    case kActHardtanh: return std::isnan(x) ? x : std::min<double>(std::max<double>(x, p.alpha), p.beta);
    case kActHardswish: return std::isnan(x) ? x : x * std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0;
    case kActHardsigmoid: return std::isnan(x) ? x : std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0;
    case kActSoftsign: return x / (1.0 + std::fabs(x));
    default: return x;
  }
}

double bwd_ext(double g, double x, const ActParams& p) {
  switch (p.kind) {
    case kActGelu: return g * (0.5 * std::erfc(-x / std::sqrt(2.0)) + x * std::exp(-0.5 * x * x) * 0.3989422804014327);
    case kActGeluTanh: {
      const double s = gelu_tanh_s(x);
      return g * (s + x * s * (1 - s) * 1.5957691216057308 * (1 + 3 * 0.044715 * x * x));
    }
    case kActSilu: {
      const double s = 1.0 / (1.0 + std::exp(-x));
      return g * s * (1 + x * (1 - s));
    }
    case kActMish: {
      const double t = std::tanh(std::log1p(std::exp(x)));
      return g * (t + x * (1 - t * t) / (1.0 + std::exp(-x)));
    }
    case kActSoftplus: return x * p.alpha > p.beta ? g : g / (1.0 + std::exp(-x * p.alpha));
    case kActHardtanh: return x <= p.alpha || x >= p.beta ? 0.0 : g;
    case kActHardswish: return x < -3.0 ? 0.0 : x <= 3.0 ? g * (x / 3.0 + 0.5) : g;
    case kActHardsigmoid: return x > -3.0 && x < 3.0 ? g / 6.0 : 0.0;
    case kActSoftsign: return g / ((1.0 + std::fabs(x)) * (1.0 + std::fabs(x)));
    default: return g;
  }
}

}  // namespace

void activation_forward_reference(float* y, const float* x, int64_t n, ActParams p) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    switch (p.kind) {
      case kActRelu: y[i] = v > 0.f ? v : 0.f; break;
      case kActLeakyRelu: y[i] = v > 0.f ? v : p.alpha * v; break;
      case kActElu: y[i] = v > 0.f ? v : p.alpha * std::expm1(v); break;
      case kActSigmoid: y[i] = 1.f / (1.f + std::exp(-v)); break;
      case kActTanh: y[i] = std::tanh(v); break;
      default: y[i] = static_cast<float>(fwd_ext(v, p));
    }
  }
}

void activation_backward_reference(float* dx, const float* dy, const float* x, const float* y, int64_t n, ActParams p) {
  for (int64_t i = 0; i < n; ++i) {
    switch (p.kind) {
      case kActRelu: dx[i] = x[i] > 0.f ? dy[i] : 0.f; break;
      case kActLeakyRelu: dx[i] = x[i] > 0.f ? dy[i] : dy[i] * p.alpha; break;
      case kActElu: dx[i] = x[i] > 0.f ? dy[i] : dy[i] * (y[i] + p.alpha); break;
      case kActSigmoid: dx[i] = dy[i] * y[i] * (1.f - y[i]); break;
      case kActTanh: dx[i] = dy[i] * (1.f - y[i] * y[i]); break;
      default: dx[i] = static_cast<float>(bwd_ext(dy[i], x[i], p));
    }
  }
}

void activation_forward_prelu_reference(float* y, const float* x, const float* w, const PreluShape& s) {
  for (int64_t r = 0; r < s.N * s.C; ++r)
    for (int64_t l = 0; l < s.L; ++l) {
      const float v = x[r * s.L + l];
      y[r * s.L + l] = v > 0.f ? v : w[r % s.C] * v;
    }
}

void activation_backward_prelu_reference(float* dx, float* dw, const float* dy, const float* x, const float* w,
                                         const PreluShape& s) {
  for (int64_t c = 0; c < s.C && dw; ++c) {
    double acc = 0.0;
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t l = 0; l < s.L; ++l) {
        const int64_t i = (n * s.C + c) * s.L + l;
        if (!(x[i] > 0.f)) acc += static_cast<double>(dy[i]) * x[i];
      }
    dw[c] = static_cast<float>(acc);
  }
  for (int64_t r = 0; r < s.N * s.C && dx; ++r)
    for (int64_t l = 0; l < s.L; ++l) {
      const int64_t i = r * s.L + l;
      dx[i] = x[i] > 0.f ? dy[i] : w[r % s.C] * dy[i];
    }
}

}  // namespace nne
