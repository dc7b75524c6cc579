// Elementwise activations: relu, leaky_relu(alpha), elu(alpha), sigmoid, tanh, gelu (erf and tanh forms),
// silu, mish, softplus(beta, threshold), hardtanh(min, max), hardswish, hardsigmoid, softsign; and PReLU
// (a learnable slope per channel). Formulas are PyTorch's (torch/nn/functional.py, ATen's CPU kernels).
//
// forward(y, x, n, p):           y = f(x)
// backward(dx, dy, x, y, n, p):  dx = dy * f'(x), using x (relu, leaky_relu, elu) and/or the saved
//                                output y (sigmoid: y(1-y), tanh: 1-y^2, elu x<0: y+alpha).
// Flat arrays of n floats; y may alias x, dx may alias dy. sigmoid/tanh use the vectorised
// approximations of core/simd.h (max relative error ~5e-7, tested against float64); the others those of
// kernels/activation_math.h (a few ulp). NaN in gives NaN out in every forward.
//
// forward_prelu(y, x, w, s):  y = x > 0 ? x : w[c] * x over x viewed as (N, C, L) (C = 1: one slope).
// backward_prelu(dx, dw, dy, x, w, s): dx = dy * (x > 0 ? 1 : w[c]); dw[c] = sum(x > 0 ? 0 : dy * x), summed
// over fixed chunks of each (n, c) row combined in order (bit-identical at any thread count). dx/dw may be null.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/isa.h"

namespace nne {

enum ActKind : int {
  kActRelu = 0, kActLeakyRelu = 1, kActElu = 2, kActSigmoid = 3, kActTanh = 4,
  kActGelu = 5,       // x * Phi(x), Phi the standard normal CDF (approximate='none')
  kActGeluTanh = 6,   // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (approximate='tanh')
  kActSilu = 7,       // x * sigmoid(x)
  kActMish = 8,       // x * tanh(softplus(x))
  kActSoftplus = 9,   // log(1 + exp(alpha x)) / alpha, or x where alpha x > beta (alpha = beta, beta = threshold)
  kActHardtanh = 10,  // clamp(x, alpha, beta)
  kActHardswish = 11, // x * min(max(x + 3, 0), 6) / 6
  kActHardsigmoid = 12,  // min(max(x + 3, 0), 6) / 6
  kActSoftsign = 13,  // x / (1 + |x|)
  kActLast = 13
};

// The name of each kind, index = code: the bindings take these strings ("relu", "gelu_tanh"...), never codes.
constexpr const char* kActNames[kActLast + 1] = {"relu",     "leaky_relu", "elu",      "sigmoid",   "tanh",
                                                 "gelu",     "gelu_tanh",  "silu",     "mish",      "softplus",
                                                 "hardtanh", "hardswish",  "hardsigmoid", "softsign"};

// The kind named `name`, or -1.
inline int act_kind(const char* name) {
  for (int k = 0; k <= kActLast; ++k)
    if (std::strcmp(name, kActNames[k]) == 0) return k;
  return -1;
}

// True if the kind's backward reads x (else the saved output y).
constexpr bool act_needs_x(int kind) { return kind != kActSigmoid && kind != kActTanh; }
constexpr bool act_needs_y(int kind) { return kind == kActSigmoid || kind == kActTanh || kind == kActElu; }

struct ActParams {
  int kind = kActRelu;
  float alpha = 0.f;  // leaky_relu negative slope, elu alpha, softplus beta, hardtanh min_val
  float beta = 0.f;   // softplus threshold, hardtanh max_val
};

struct PreluShape {
  int64_t N = 1, C = 1, L = 0;
};

struct ActivationKernels {
  void (*forward)(float* y, const float* x, int64_t n, ActParams p);
  void (*backward)(float* dx, const float* dy, const float* x, const float* y, int64_t n, ActParams p);
  void (*forward_prelu)(float* y, const float* x, const float* w, const PreluShape& s);
  void (*backward_prelu)(float* dx, float* dw, const float* dy, const float* x, const float* w, const PreluShape& s);
};

void activation_forward_reference(float* y, const float* x, int64_t n, ActParams p);
void activation_backward_reference(float* dx, const float* dy, const float* x, const float* y, int64_t n, ActParams p);
void activation_forward_prelu_reference(float* y, const float* x, const float* w, const PreluShape& s);
void activation_backward_prelu_reference(float* dx, float* dw, const float* dy, const float* x, const float* w,
                                         const PreluShape& s);

}  // namespace nne

NNE_DISPATCH(nne::ActivationKernels, activation)
