// Winograd convolution for conv2d.cpp (internal; compiled per ISA like it).
//
// A stride-1 3x3 layer computes each m x m block of outputs from an (m + 2) x (m + 2) block of input as
// Y = A^T [ (G g G^T) (.) (B^T d B) ] A (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
// 2016): (m + 2)^2 products per (input, output) channel pair instead of 9 m^2. Over channels the elementwise
// products become (m + 2)^2 independent GEMMs, M_xi (K x T) = U_xi (K x C) @ V_xi (C x T), one per position xi of
// the transform domain, with U the transformed weights and V the transformed input tiles (T tiles over all
// images). The transforms run with a tile (or, for the weights, an input channel) in each vector lane.
// Backward data is the same algorithm on dy with the flipped, transposed weights (padding 2 - pad); the weight
// gradient is its adjoint: dU_xi = sum over tiles of (A dY A^T)_xi V_xi^T, then dw = G^T dU G.
//
// Two variants (core/options.h picks one: NNENGINE_WINOGRAD / nnengine.backend.set_winograd_mode):
//   F(2x2, 3x3), the default: 2.25x fewer multiplications, rounding like the direct sums'; taken from 128
//   channels on both sides;
//   F(4x4, 3x3): 4x fewer, rounding errors about 10x the direct sums' (outside torch.testing.assert_close's
//   float32 defaults on wide layers); taken from 32 channels.
// Results are bit-identical at any thread count: every GEMM and every tile's transform is computed by one
// thread in a fixed order, and the weight gradient sums the tile chunks in order.
#pragma once

#include "kernels/conv2d.h"
#include "kernels/conv2d_direct.h"  // DirectOp

namespace nne {
namespace NNE_ISA_NS {

// Whether this path handles (and is the faster one for) `op` on shape s in the current mode: 3x3, stride 1,
// dilation 1, one group, float32, enough channels on both sides, and a grid whose tiles waste little
// (backward data also needs pad <= 2).
bool conv2d_winograd_ok(const Conv2dShape& s, DirectOp op);
void conv2d_winograd_forward(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s);
void conv2d_winograd_backward_data(float* dx, const float* dy, const float* w, const Conv2dShape& s);
// Either output may be null; the batch must not be empty.
void conv2d_winograd_backward_weights(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s);

}  // namespace NNE_ISA_NS
}  // namespace nne
