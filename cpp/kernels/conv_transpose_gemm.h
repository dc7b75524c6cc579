// Strided transposed convolutions as wide GEMMs (internal to conv_transpose.cpp; compiled per ISA like it).
//
// Forward (when whole images fit a block): out (Kg*R*S, L) = w_g^T (Kg*R*S, Cg) @ x_g (Cg, L) for a block of
// images (w read in place as the transposed operand, x in place for one image), then col2im as a gather:
// each output element is its bias plus the taps that reach it, in a fixed order, written once. The GEMM runs
// over slices of output channels whose rows of out take about an eighth of L3 (at least L2, from
// core/cpuinfo.h), each gathered while it is still in cache. Against the
// sub-pixel phases (conv_transpose.cpp) it multiplies the same products but never copies x into column
// matrices: the GEMM reads x as it is, and the wider output (R*S rows per channel) is summed once.
//
// The input gradient of a transposed convolution is the strided convolution of dy with w, its weight
// gradient the correlation of x with dy. Both read the same column matrix of dy: for a block of input
// positions (whole images, or row slices of one large image), per group,
//   col[(k*R + r)*S + t][i*hb*W + (h - h0)*W + w] = dy[i][k][h*sh - ph + r*dh][w*sw - pw + t*dw] (0 outside dy)
//   dx_g (Cg, L)         = w_g (Cg, Kg*R*S) @ col      (w_g read in place: w is (C, K/groups, R, S))
//   dw_g (Cg, Kg*R*S)   += x_g (Cg, L) @ col^T         (blocks summed in order: beta = 0 on the first)
// A block holds 256-1024 columns (a column matrix of about the per-core L2, core/cpuinfo.h), so every GEMM
// is wide and packs the weights once per block instead of once per image; the GEMMs thread themselves (slabs of C) and im2col
// threads over col rows, so each element is computed the same way at any thread count. Only the input
// positions (h < H, w < W) are computed, so output_padding >= stride needs no zero border.
// When a group's weights outweigh a block's columns (Cg >= L, float32), no column matrix is built: both GEMMs
// run over blocks of ~4096 positions with op(B) packed by the caller (GemmArgs::pack_b), col into the dx
// GEMM's panels and col^T into the dw GEMM's, each straight from dy, so the weights are packed once per
// ~4096 positions instead of once per L2-sized block (the columns are built twice, once per GEMM).
#pragma once

#include "kernels/conv_transpose.h"

namespace nne {
namespace NNE_ISA_NS {

// Forward when whole images fit a block: out (Kg*R*S, L) = w_g^T @ x block, then each output element is its
// bias plus the taps that reach it (col2im as a gather, no scatter-add, no zero multiplied).
bool conv_transpose2d_gemm_forward_ok(const ConvTranspose2dShape& s);
void conv_transpose2d_gemm_forward(float* y, const float* x, const float* w, const float* b,
                                   const ConvTranspose2dShape& s);
// Whether the backward kernels take the shape: a stride above 1 (stride 1 runs conv2d's direct kernels).
bool conv_transpose2d_gemm_ok(const ConvTranspose2dShape& s);
// dx and/or dw (either may be null; x is read only for dw, w only for dx), from one column matrix of dy per
// block: with both, each block's col feeds the two GEMMs (built once, not once per gradient).
void conv_transpose2d_gemm_backward(float* dx, float* dw, const float* dy, const float* x, const float* w,
                                    const ConvTranspose2dShape& s);

}  // namespace NNE_ISA_NS
}  // namespace nne
