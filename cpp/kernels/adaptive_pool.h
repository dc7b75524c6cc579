// adaptive_pool: adaptive average and max pooling (PyTorch's AdaptiveAvgPool2d / AdaptiveMaxPool2d) on NC
// independent H x W float32 planes, to a fixed P x Q output. Output row p pools input rows
// [floor(p*H/P), ceil((p+1)*H/P)) (columns likewise), so windows may differ in size and overlap. Max pooling
// writes the winner's plane index ih*W + iw (first in scan order on ties; NaN wins, as torch) to an int32
// workspace that backward scatters through. Threads go over planes; each plane is written by one thread in
// a fixed order, so results do not depend on the thread count. A 1-D pool is a plane of height 1.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

struct AdaptivePoolShape {
  int64_t NC = 0, H = 0, W = 0, P = 0, Q = 0;
};

// Window [start, end) of output index o along a dimension of n inputs pooled to m outputs.
inline int64_t adaptive_start(int64_t o, int64_t n, int64_t m) { return (o * n) / m; }
inline int64_t adaptive_end(int64_t o, int64_t n, int64_t m) { return ((o + 1) * n + m - 1) / m; }

struct AdaptivePoolKernels {
  void (*avg_forward)(float* y, const float* x, const AdaptivePoolShape& s);
  void (*avg_backward)(float* dx, const float* dy, const AdaptivePoolShape& s);
  // idx may be null (inference).
  void (*max_forward)(float* y, int32_t* idx, const float* x, const AdaptivePoolShape& s);
  void (*max_backward)(float* dx, const float* dy, const int32_t* idx, const AdaptivePoolShape& s);
};

// Scalar reference twins (cpp/reference/adaptive_pool_ref.cpp).
void adaptive_avg_forward_reference(float* y, const float* x, const AdaptivePoolShape& s);
void adaptive_avg_backward_reference(float* dx, const float* dy, const AdaptivePoolShape& s);
void adaptive_max_forward_reference(float* y, int32_t* idx, const float* x, const AdaptivePoolShape& s);
void adaptive_max_backward_reference(float* dx, const float* dy, const int32_t* idx, const AdaptivePoolShape& s);

}  // namespace nne

NNE_DISPATCH(nne::AdaptivePoolKernels, adaptive_pool)
