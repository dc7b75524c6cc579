// interpolate: nearest and bilinear resampling (PyTorch's F.interpolate / nn.Upsample) of NC independent
// H x W float32 planes to P x Q. Index rules are torch's (aten/src/ATen/native/UpSample.h), in float:
//   scale  = align_corners ? (in - 1) / (out - 1) (0 when out == 1) : (1 / scale_factor if one was given,
//            else in / out);
//   nearest: src = min(floor(dst * scale), in - 1) (dst itself when in == out, dst / 2 when out == 2 in);
//   bilinear: src = align_corners ? dst * scale : max((dst + 0.5) * scale - 0.5, 0), i0 = floor(src),
//            i1 = min(i0 + 1, in - 1), weights (1 - l, l) with l = src - i0.
// Backward scatter-adds dy through the same taps. Threads go over planes, each plane written by one thread in
// a fixed order, so results do not depend on the thread count. A 1-D signal is a plane of height 1.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

enum class InterpMode : int { nearest = 0, bilinear = 1 };

struct InterpShape {
  int64_t NC = 0, H = 0, W = 0, P = 0, Q = 0;
  InterpMode mode = InterpMode::nearest;
  bool align_corners = false;
  double scale_h = 0.0, scale_w = 0.0;  // the user's scale_factor per dimension, 0 when the size was given
};

// The taps of one output coordinate along a dimension: i0, i1 and their weights (nearest: i1 = i0, l1 = 0).
struct InterpTap {
  int64_t i0, i1;
  float l0, l1;
};

// Taps for outputs 0..out-1 of a dimension with `in` inputs, shared by the kernels and the reference twin;
// defined once (cpp/reference/interpolate_ref.cpp, baseline flags) so every ISA rounds the indices alike.
void interp_taps(InterpTap* taps, int64_t in, int64_t out, double scale, InterpMode mode, bool align_corners);

struct InterpolateKernels {
  void (*forward)(float* y, const float* x, const InterpShape& s);
  void (*backward)(float* dx, const float* dy, const InterpShape& s);
};

// Scalar reference twins (cpp/reference/interpolate_ref.cpp).
void interpolate_forward_reference(float* y, const float* x, const InterpShape& s);
void interpolate_backward_reference(float* dx, const float* dy, const InterpShape& s);

}  // namespace nne

NNE_DISPATCH(nne::InterpolateKernels, interpolate)
