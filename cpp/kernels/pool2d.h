// pool2d: max / min / average pooling on NCHW float32 planes, and maxout (max over groups of
// `pieces` consecutive entries of one dimension; Goodfellow et al. 2013).
//
// Pooling works on NC independent H x W planes; windows kh x kw, stride sh x sw, padding ph x pw
// (PyTorch's rules: output P = (H + 2*ph - kh) / sh + 1, floor mode). Max/min ignore padded
// positions and write the winning position (ih*W + iw within the plane, first in scan order on ties)
// to an int32 workspace that the shared arg-backward scatters through; average pooling counts the
// padding (count_include_pad=True, divisor kh*kw). Threads go over planes: every plane is written
// by one thread in a fixed order, so results do not depend on the thread count.
// forward_relu_max: max pooling of relu(x), one pass (ReLU -> MaxPool2d fused by the Python layer).
// Maxout views x as (outer, k * pieces, inner) and y as (outer, k, inner).
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

struct Pool2dShape {
  int64_t NC = 0, H = 0, W = 0, P = 0, Q = 0;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
};

struct MaxoutShape {
  int64_t outer = 0, k = 0, pieces = 1, inner = 1;
};

struct Pool2dKernels {
  // idx may be null (inference: no workspace written).
  void (*forward_max)(float* y, int32_t* idx, const float* x, const Pool2dShape& s);
  void (*forward_min)(float* y, int32_t* idx, const float* x, const Pool2dShape& s);
  // Max pooling of relu(x) (ReLU then MaxPool2d in one pass, bit-identical to the two: the ReLU is the
  // activation kernel's, applied to each window value before the comparisons); idx as forward_max.
  void (*forward_relu_max)(float* y, int32_t* idx, const float* x, const Pool2dShape& s);
  // dx = scatter-add of dy through the workspace of max or min pooling.
  void (*backward_max)(float* dx, const float* dy, const int32_t* idx, const Pool2dShape& s);
  void (*forward_avg)(float* y, const float* x, const Pool2dShape& s);
  void (*backward_avg)(float* dx, const float* dy, const Pool2dShape& s);
  // idx (may be null) receives the winning piece in [0, pieces).
  void (*forward_maxout)(float* y, int32_t* idx, const float* x, const MaxoutShape& s);
  void (*backward_maxout)(float* dx, const float* dy, const int32_t* idx, const MaxoutShape& s);
};

// Scalar reference twins (cpp/reference/pool2d_ref.cpp).
// relu: max pooling of relu(x) (forward_relu_max's twin; not with is_min).
void pool2d_forward_max_reference(float* y, int32_t* idx, const float* x, const Pool2dShape& s, bool is_min,
                                  bool relu = false);
void pool2d_backward_max_reference(float* dx, const float* dy, const int32_t* idx, const Pool2dShape& s);
void pool2d_forward_avg_reference(float* y, const float* x, const Pool2dShape& s);
void pool2d_backward_avg_reference(float* dx, const float* dy, const Pool2dShape& s);
void pool2d_forward_maxout_reference(float* y, int32_t* idx, const float* x, const MaxoutShape& s);
void pool2d_backward_maxout_reference(float* dx, const float* dy, const int32_t* idx, const MaxoutShape& s);

}  // namespace nne

NNE_DISPATCH(nne::Pool2dKernels, pool2d)
