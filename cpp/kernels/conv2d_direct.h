// Direct stride-1 convolution kernels used by conv2d.cpp (internal; compiled per ISA like it).
//
// The image is zero-padded to (Hp, Wp) and the output is computed on the padded-width grid: output
// m = p*Wp + q reads input m + (r*dil_h*Wp + t*dil_w) of each channel, so every tap is a contiguous,
// shifted vector load and the kernel is a register-tiled 1-D convolution (output channels x vectors
// of m). Columns q >= Q of that grid are computed and discarded. Backward data is the same kernel on
// dy with flipped, transposed weights. Backward weights is a correlation of dy with the padded input:
// when the output channels fill the vector lanes, an outer product per grid position (dy transposed
// to (m, k), taps broadcast, m blocked to stay in L1, partials (tap, k) in registers); else lanes run
// over m with a vector partial per (k, tap). Both are summed over fixed image chunks (thread-count
// independent) and the chunk partials combined in order.
#pragma once

#include "kernels/conv2d.h"

namespace nne {
namespace NNE_ISA_NS {

enum class DirectOp { forward, backward_data, backward_weights };

// Whether the direct kernel of `op` handles (and is the faster path for) this shape: stride 1;
// backward data also needs pad <= dil*(k-1).
bool conv2d_direct_ok(const Conv2dShape& s, DirectOp op);
void conv2d_direct_forward(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s);
void conv2d_direct_backward_data(float* dx, const float* dy, const float* w, const Conv2dShape& s);
void conv2d_direct_backward_weights(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s);

}  // namespace NNE_ISA_NS
}  // namespace nne
