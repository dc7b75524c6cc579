// conv3d's strided forward and weight gradient by channel-lane tiles, for conv3d.cpp (internal; compiled per ISA
// like it).
//
// A strided layer's GEMM path packs B from strided reads for few rows (M = the group's output channels, <= 128
// here). Instead each output plane is cut into tiles of RB rows x QB columns x one or two vectors of channels
// (conv_lanes_tile.h: per tap one weight vector per channel vector and one broadcast input per position), reading
// a zero-padded copy of the input in place, with the weights tap-major. acc = fma(x, w, acc) over the taps in order
// from zero, the bias added last; planes are independent work units, so results are bit-identical at any thread
// count.
#pragma once

#include "kernels/conv3d.h"

namespace nne {
namespace NNE_ISA_NS {

// Whether this path takes the forward of shape s: float32, strided (some stride > 1, stride_w <= 2), the group's
// output channels one vector or whole pairs of vectors up to 128 (computed a pair at a time), a plane at least a
// tile wide (and a tile less one row high), and a block of channels' weights within a quarter of L2 (every tile
// re-reads them).
bool conv3d_lanes_ok(const Conv3dShape& s);
// y = conv(x, w) + b (b may be null) for a shape conv3d_lanes_ok accepts.
void conv3d_lanes_forward(float* y, const float* x, const float* w, const float* b, const Conv3dShape& s);
// The weight gradient of the same strided layers (a non-empty batch, at least a register block of taps): per group
// and block of taps, the (tap, channel) sums in registers over the images and output positions in order, each
// position's channels of dy (transposed to [position][k]) times a broadcast input per tap; db by bias_grad.
bool conv3d_lanes_weights_ok(const Conv3dShape& s);
void conv3d_lanes_backward_weights(float* dw, float* db, const float* dy, const float* x, const Conv3dShape& s);

}  // namespace NNE_ISA_NS
}  // namespace nne
