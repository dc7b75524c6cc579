// pad: constant, reflect and replicate padding (PyTorch's F.pad) of the last two dimensions of NC
// float32 planes H x W to P x Q = (H + top + bottom) x (W + left + right). Pads may be negative (cropping).
// Output (o_h, o_w) reads input (src(o_h - top, H), src(o_w - left, W)) where src(i, n) is i inside [0, n) and
// outside: constant -> none (the value is written), reflect -> the mirror without repeating the edge
// (-i, 2(n-1) - i), replicate -> the nearest edge. Backward scatter-adds dy through the same map (reflect and
// replicate send several outputs to one input). Threads go over planes, each written by one thread in a fixed
// order, so results do not depend on the thread count. A 1-D pad is a plane of height 1.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

enum class PadMode : int { constant = 0, reflect = 1, replicate = 2 };

struct PadShape {
  int64_t NC = 0, H = 0, W = 0, P = 0, Q = 0;
  int64_t top = 0, left = 0;
  PadMode mode = PadMode::constant;
  float value = 0.f;
};

// Input index read by output index o along a dimension of n inputs with `before` padding; -1 = the constant.
// Needs |pads| < n for reflect (checked by the binding).
inline int64_t pad_source(int64_t o, int64_t before, int64_t n, PadMode mode) {
  int64_t i = o - before;
  if (i >= 0 && i < n) return i;
  if (mode == PadMode::constant) return -1;
  if (mode == PadMode::replicate) return i < 0 ? 0 : n - 1;
  return i < 0 ? -i : 2 * (n - 1) - i;
}

struct PadKernels {
  void (*forward)(float* y, const float* x, const PadShape& s);
  void (*backward)(float* dx, const float* dy, const PadShape& s);
};

// Scalar reference twins (cpp/reference/pad_ref.cpp).
void pad_forward_reference(float* y, const float* x, const PadShape& s);
void pad_backward_reference(float* dx, const float* dy, const PadShape& s);

}  // namespace nne

NNE_DISPATCH(nne::PadKernels, pad)
