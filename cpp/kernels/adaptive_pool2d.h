// adaptive_pool2d: adaptive average and max pooling (PyTorch's AdaptiveAvgPool2d / AdaptiveMaxPool2d) on NC
// independent H x W float32 planes, to a fixed P x Q output. Output row p pools input rows
// [floor(p*H/P), ceil((p+1)*H/P)) (columns likewise), so windows may differ in size and overlap. Max pooling
// writes the winner's plane index ih*W + iw (first in scan order on ties; NaN wins, as torch) to an int32
// workspace that backward scatters through. Threads go over planes; each plane is written by one thread in
// a fixed order, so results do not depend on the thread count. A 1-D pool is a plane of height 1.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

struct AdaptivePool2dShape {
  int64_t NC = 0, H = 0, W = 0, P = 0, Q = 0;
};

// Window [start, end) of output index o along a dimension of n inputs pooled to m outputs.
inline int64_t adaptive_start(int64_t o, int64_t n, int64_t m) { return (o * n) / m; }
inline int64_t adaptive_end(int64_t o, int64_t n, int64_t m) { return ((o + 1) * n + m - 1) / m; }

struct AdaptivePool2dKernels {
  void (*forward_avg)(float* y, const float* x, const AdaptivePool2dShape& s);
  void (*backward_avg)(float* dx, const float* dy, const AdaptivePool2dShape& s);
  // idx may be null (inference).
  void (*forward_max)(float* y, int32_t* idx, const float* x, const AdaptivePool2dShape& s);
  void (*backward_max)(float* dx, const float* dy, const int32_t* idx, const AdaptivePool2dShape& s);
};

// Scalar reference twins (cpp/reference/adaptive_pool2d_ref.cpp).
void adaptive_pool2d_forward_avg_reference(float* y, const float* x, const AdaptivePool2dShape& s);
void adaptive_pool2d_backward_avg_reference(float* dx, const float* dy, const AdaptivePool2dShape& s);
void adaptive_pool2d_forward_max_reference(float* y, int32_t* idx, const float* x, const AdaptivePool2dShape& s);
void adaptive_pool2d_backward_max_reference(float* dx, const float* dy, const int32_t* idx, const AdaptivePool2dShape& s);

}  // namespace nne

NNE_DISPATCH(nne::AdaptivePool2dKernels, adaptive_pool2d)
