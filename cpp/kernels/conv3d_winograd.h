// Winograd convolution for conv3d.cpp (internal; compiled per ISA like it).
//
// A stride-1 3x3x3 layer computes each 2x2x2 block of outputs from a 4x4x4 block of input with F(2x2x2, 3x3x3),
// the 3-D form of conv2d's F(2x2, 3x3) (conv2d_winograd.h; the same 1-D transforms, WinoF2, applied along depth,
// height and width): Y = A^T [ (G g G^T) (.) (B^T d B) ] A per axis, 64 products per (input, output) channel pair
// instead of 27 x 8 (3.4x fewer multiplications; the transforms only add, subtract and halve, so the rounding stays
// close to the direct sums'). Over channels the 64 elementwise products are 64 independent GEMMs,
// M_xi (T x K) = V_xi (T x C) @ U_xi (C x K), one per position xi of the transform domain, V the transformed input
// tiles (T tiles over all images, a chunk at a time), U the transformed weights. The input is first copied
// channel-last and zero-padded, so the transforms run with channels in the vector lanes on contiguous loads.
// The data gradient of a stride-1 layer is conv3d's forward with flipped weights, so it takes this path too.
// Results are bit-identical at any thread count: each GEMM and each tile's transforms are computed by one thread
// in a fixed order; the chunks of tiles depend on the shape and the caches only.
#pragma once

#include "kernels/conv3d.h"

namespace nne {
namespace NNE_ISA_NS {

// Whether this path handles (and is the faster one for) the forward of shape s: a non-empty batch, 3x3x3 taps,
// stride 1, dilation 1, padding <= 2, one group, float32 (not bf16), the Winograd mode not off (core/options.h), enough channels on both
// sides, and an output whose 2x2x2 tiles waste little.
bool conv3d_winograd_ok(const Conv3dShape& s);
// y = conv(x, w) + b (b may be null) for a shape conv3d_winograd_ok accepts.
void conv3d_winograd_forward(float* y, const float* x, const float* w, const float* b, const Conv3dShape& s);
// dw = the adjoint (dU_xi = sum over tiles of (A dY A^T)_xi V_xi^T, then dw = G^T dU G), db = sum of dy; either
// may be null. The tiles' sums run in four fixed runs of chunks added in order.
void conv3d_winograd_backward_weights(float* dw, float* db, const float* dy, const float* x, const Conv3dShape& s);

}  // namespace NNE_ISA_NS
}  // namespace nne
