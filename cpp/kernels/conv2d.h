// conv2d: 2-D convolution (cross-correlation, as PyTorch) on NCHW float32 with stride, padding,
// dilation and groups. Shape letters: x (N, C, H, W), w (K, C/groups, R, S), y (N, K, P, Q),
// P = (H + 2*pad_h - dil_h*(R-1) - 1) / stride_h + 1 (Q likewise).
//
// Algorithm: wide stride-1 3x3 layers run Winograd (conv2d_winograd.h) for all three operations; other
// stride-1 layers (but wide pointwise ones) and the forward of strided layers with few taps run the
// direct kernels of conv2d_direct.h (the forward of narrow and strided layers with the output channels in the
// lanes); the rest, per image and group, im2col of a block of output columns (sized to stay in L2) followed
// by the engine's sgemm (bias fused into the epilogue). 1x1 layers (stride 1, unpadded) read large images in
// place, one GEMM per image; small ones run the forward and data gradient as one GEMM over many images whose
// op(B) the GEMM packs straight from the tensor (conv2d_pointwise.h).
// Threads go over images when there are at least two (GEMMs then run serially, one per thread), else
// over the GEMM. Weight/bias gradients are summed over fixed image chunks (count depends on N only)
// and the partials combined in chunk order, so results are bit-identical at any thread count.
// Reference: Chellapilla et al., "High performance convolutional neural networks for document
// processing" (2006) for im2col + GEMM.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

struct Conv2dShape {
  int64_t N = 0, C = 0, H = 0, W = 0;   // input
  int64_t K = 0, R = 0, S = 0;          // output channels, kernel height/width
  int64_t P = 0, Q = 0;                 // output height/width
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1, groups = 1;
  bool bf16 = false;  // autocast("bf16"): the GEMM path with bf16 products (gemm_bf16.h); no direct kernels
};

struct Conv2dKernels {
  // y = conv(x, w) + b (b may be null).
  void (*forward)(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s);
  // dx = conv_transpose(dy, w).
  void (*backward_data)(float* dx, const float* dy, const float* w, const Conv2dShape& s);
  // dw = sum_n dy_n (x) x_n; db = sum over n, p, q of dy (either output may be null).
  void (*backward_weights)(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s);
  // The algorithm the call of op (0 forward, 1 backward data, 2 backward weights) runs on this shape:
  // "winograd", "direct_lanes", "direct" or "gemm".
  const char* (*algorithm)(const Conv2dShape& s, int op);
};

// Scalar reference twins (cpp/reference/conv2d_ref.cpp): direct loops, float accumulation.
void conv2d_forward_reference(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s);
void conv2d_backward_data_reference(float* dx, const float* dy, const float* w, const Conv2dShape& s);
void conv2d_backward_weights_reference(float* dw, float* db, const float* dy, const float* x,
                                       const Conv2dShape& s);

}  // namespace nne

NNE_DISPATCH(nne::Conv2dKernels, conv2d)
