// conv_transpose2d: 2-D transposed convolution (PyTorch's ConvTranspose2d) on NCHW float32 with stride,
// padding, output_padding, dilation and groups. Shape letters: x (N, C, H, W), w (C, K/groups, R, S)
// (PyTorch's transposed layout: input channels first), y (N, K, P, Q),
// P = (H - 1)*stride_h - 2*pad_h + dil_h*(R - 1) + out_pad_h + 1 (Q likewise).
//
// Algorithm: a transposed convolution is the adjoint of the convolution that maps y's shape to x's, so
// forward = conv2d backward-data, backward-data = conv2d forward and the weight gradient = conv2d's
// weight gradient with the roles of input and output gradient swapped; at stride 1 all three run the
// conv2d kernels of the same ISA (direct stride-1 kernels or blocked im2col + GEMM, see conv2d.h). Other
// shapes take their own paths: stride 2 with a 4x4 kernel (the DCGAN doubling layer; dilation 1, one group,
// >= 16 channels, >= 1024 input positions, float32) runs Winograd F(2x2, 2x2) on its sub-pixel phases for all three products
// (conv_transpose_winograd.h); a 1x1 input (a generator's first layer) is three plain GEMMs on the tensors
// in place (y_g = x_g @ w_g and its two adjoints); a strided layer runs wide GEMMs over blocks of images
// (conv_transpose_gemm.h): forward w^T @ x then col2im as a gather, backward data w @ col(dy) and
// weights x @ col(dy)^T. A strided forward on images too large for a block is split into its
// stride_h*stride_w sub-pixel phases: output rows p = a*stride + ph meet only every stride-th kernel
// row, so each phase is a stride-1 correlation of x with those taps (im2col of the phase's taps + one
// GEMM per phase, written to every stride-th output element): no multiplication by the zeros between
// inputs and no col2im sum (Shi et al., "Real-time single image and video super-resolution using an
// efficient sub-pixel convolutional neural network", 2016, sec. 2.2). The
// equivalent convolution's output (P', Q') can exceed (H, W) when out_pad >= stride (PyTorch allows it
// when out_pad < dilation); then x (and the gradient of x) is embedded in a zero border. Bias is
// added per output plane; its gradient sums each channel over images and positions in a fixed order,
// so all results are bit-identical at any thread count.
// Reference: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning" (2016), sec. 4.
#pragma once

#include <cstdint>

#include "core/isa.h"
#include "kernels/conv2d.h"

namespace nne {

struct ConvTranspose2dShape {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input
  int64_t K = 0, R = 0, S = 0;         // output channels, kernel height/width
  int64_t P = 0, Q = 0;                // output height/width
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, out_pad_h = 0, out_pad_w = 0;
  int64_t dil_h = 1, dil_w = 1, groups = 1;
  bool bf16 = false;  // autocast("bf16"): every product on the bf16 GEMM (gemm_bf16.h), conv2d delegations too
};

// The convolution whose backward-data this layer's forward is: its input is y (N, K, P, Q), its weight w
// read as (C, K/groups, R, S), its output (N, C, P', Q') with P' >= H, Q' >= W.
inline Conv2dShape conv_transpose2d_as_conv(const ConvTranspose2dShape& s) {
  Conv2dShape c;
  c.N = s.N, c.C = s.K, c.H = s.P, c.W = s.Q, c.K = s.C, c.R = s.R, c.S = s.S;
  c.stride_h = s.stride_h, c.stride_w = s.stride_w, c.pad_h = s.pad_h, c.pad_w = s.pad_w;
  c.dil_h = s.dil_h, c.dil_w = s.dil_w, c.groups = s.groups;
  c.bf16 = s.bf16;
  c.P = (s.P + 2 * s.pad_h - s.dil_h * (s.R - 1) - 1) / s.stride_h + 1;
  c.Q = (s.Q + 2 * s.pad_w - s.dil_w * (s.S - 1) - 1) / s.stride_w + 1;
  return c;
}

struct ConvTranspose2dKernels {
  // y = conv_transpose(x, w) + b (b may be null).
  void (*forward)(float* y, const float* x, const float* w, const float* b, const ConvTranspose2dShape& s);
  // dx = conv(dy, w).
  void (*backward_data)(float* dx, const float* dy, const float* w, const ConvTranspose2dShape& s);
  // dw[c][k][r][t] = sum over n, h, w of x[n][c][h][w] * dy[n][k][h*sh - ph + r*dh][w*sw - pw + t*dw];
  // db = sum of dy over n, p, q (either output may be null).
  void (*backward_weights)(float* dw, float* db, const float* dy, const float* x, const ConvTranspose2dShape& s);
  // All three gradients of one backward pass (any output may be null; x is read only for dw, w only for dx):
  // each result bit-identical to backward_data / backward_weights, the strided layers build the column
  // matrix of dy once for dx and dw instead of once per call.
  void (*backward)(float* dx, float* dw, float* db, const float* dy, const float* x, const float* w,
                   const ConvTranspose2dShape& s);
};

// Scalar reference twins (cpp/reference/conv_transpose_ref.cpp): direct loops, float accumulation.
void conv_transpose2d_forward_reference(float* y, const float* x, const float* w, const float* b,
                                        const ConvTranspose2dShape& s);
void conv_transpose2d_backward_data_reference(float* dx, const float* dy, const float* w,
                                              const ConvTranspose2dShape& s);
void conv_transpose2d_backward_weights_reference(float* dw, float* db, const float* dy, const float* x,
                                                 const ConvTranspose2dShape& s);
void conv_transpose2d_backward_reference(float* dx, float* dw, float* db, const float* dy, const float* x,
                                         const float* w, const ConvTranspose2dShape& s);

}  // namespace nne

NNE_DISPATCH(nne::ConvTranspose2dKernels, conv_transpose2d)
