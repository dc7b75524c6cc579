// Elementwise activations: relu, leaky_relu(alpha), elu(alpha), sigmoid, tanh.
//
// act_forward(y, x, n, p):        y = f(x)
// act_backward(dx, dy, x, y, n, p): dx = dy * f'(x), using x (relu, leaky_relu, elu) and/or the saved
//                                  output y (sigmoid: y(1-y), tanh: 1-y^2, elu x<0: y+alpha).
// Flat arrays of n floats; y may alias x, dx may alias dy. sigmoid/tanh use the vectorised
// approximations of core/simd.h (max relative error ~5e-7, tested against float64).
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

enum ActKind : int { kActRelu = 0, kActLeakyRelu = 1, kActElu = 2, kActSigmoid = 3, kActTanh = 4 };

struct ActParams {
  int kind = kActRelu;
  float alpha = 0.f;  // leaky_relu negative slope, elu alpha
};

struct ActivationKernels {
  void (*forward)(float* y, const float* x, int64_t n, ActParams p);
  void (*backward)(float* dx, const float* dy, const float* x, const float* y, int64_t n, ActParams p);
};

void act_forward_reference(float* y, const float* x, int64_t n, ActParams p);
void act_backward_reference(float* dx, const float* dy, const float* x, const float* y, int64_t n, ActParams p);

}  // namespace nne

NNE_DISPATCH(nne::ActivationKernels, activation)
