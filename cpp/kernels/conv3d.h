// conv3d: 3-D convolution (cross-correlation, as PyTorch) on NCDHW float32 with stride, padding, dilation and
// groups. Shape letters: x (N, C, D, H, W), w (K, C/groups, T, R, S), y (N, K, OD, P, Q),
// OD = (D + 2*pad_d - dil_d*(T-1) - 1) / stride_d + 1 (P, Q likewise).
//
// Algorithm: im2col + GEMM, as conv2d's GEMM path (conv2d.h), with the column matrix over the three dimensions:
// work is cut into blocks of images x output columns whose column matrix (Cg*T*R*S rows) is about the per-core
// L2, so it stays in L2 between im2col and the engine's sgemm (bias fused into the epilogue); small volumes are
// batched several to a block. Pointwise layers (1x1x1, stride 1, unpadded) read one-image blocks in place. The
// data gradient is the GEMM w^T dy into a column block, scattered back (col2im); the weight gradient sums
// dy col^T over fixed chunks of blocks (the count depends on the shape only), the partials combined in chunk
// order, so results are bit-identical at any thread count. Threads go over blocks (each GEMM then serial) or,
// with one block, inside the GEMM. bf16 (autocast): the GEMMs with bf16 products (gemm_bf16.h).
// Stride-1 3x3x3 layers with >= 16 channels a side (forward, data gradient as a forward, weight gradient) run
// Winograd F(2x2x2, 3x3x3) instead (conv3d_winograd.h) unless the Winograd mode is off; strided layers with one vector
// or pairs of vectors of channels up to 128 a group run channel-lane tiles (conv3d_lanes.h for the forward and the
// weight gradient, the data gradient's phases in conv3d.cpp; all on conv_lanes_tile.h).
// Reference: Chellapilla et al., "High performance convolutional neural networks for document
// processing" (2006) for im2col + GEMM.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

struct Conv3dShape {
  int64_t N = 0, C = 0, D = 0, H = 0, W = 0;  // input
  int64_t K = 0, T = 0, R = 0, S = 0;         // output channels, kernel depth/height/width
  int64_t OD = 0, P = 0, Q = 0;               // output depth/height/width
  int64_t stride_d = 1, stride_h = 1, stride_w = 1, pad_d = 0, pad_h = 0, pad_w = 0, dil_d = 1, dil_h = 1, dil_w = 1;
  int64_t groups = 1;
  bool bf16 = false;  // autocast("bf16"): the GEMMs with bf16 products
};

struct Conv3dKernels {
  // y = conv(x, w) + b (b may be null).
  void (*forward)(float* y, const float* x, const float* w, const float* b, const Conv3dShape& s);
  // dx = conv_transpose(dy, w).
  void (*backward_data)(float* dx, const float* dy, const float* w, const Conv3dShape& s);
  // dw = sum_n dy_n (x) x_n; db = sum over n and positions of dy (either output may be null).
  void (*backward_weights)(float* dw, float* db, const float* dy, const float* x, const Conv3dShape& s);
};

// Scalar reference twins (cpp/reference/conv3d_ref.cpp): direct loops, float accumulation.
void conv3d_forward_reference(float* y, const float* x, const float* w, const float* b, const Conv3dShape& s);
void conv3d_backward_data_reference(float* dx, const float* dy, const float* w, const Conv3dShape& s);
void conv3d_backward_weights_reference(float* dw, float* db, const float* dy, const float* x,
                                       const Conv3dShape& s);

}  // namespace nne

NNE_DISPATCH(nne::Conv3dKernels, conv3d)
