// Stride-2, 4x4-kernel transposed convolutions (the DCGAN generator's doubling layers) by Winograd F(2x2, 2x2)
// on their sub-pixel phases (internal to conv_transpose.cpp; compiled per ISA like it).
//
// Forward: output rows p = 2a + ph meet only the kernel rows r = r0 + 2j (r0 = (ph + pad) mod 2), so each of the
// four output phases (ph, pw) is a stride-1 correlation of x with a 2x2 sub-kernel (Shi et al. 2016, sec. 2.2).
// Backward data: dx = the stride-2 convolution of dy with w; splitting the kernel rows r = 2i + rho splits it into
// four stride-1 2x2 correlations of dy's polyphase components, summed. Every 2x2 correlation runs as Winograd's
// minimal filter F(2x2, 2x2) (Lavin & Gray, "Fast algorithms for convolutional neural networks", 2016): a 3x3
// input tile d and a 2x2 filter g give the 2x2 outputs A^T [(G g G^T) . (B^T d B)] A, 9 products instead of 16,
// with B^T = [[1,-1,0],[0,1,0],[0,-1,1]], G = [[1,0],[1,1],[0,1]], A^T = [[1,1,0],[0,1,1]] (coefficients +-1:
// additions only, no division). Per tile element xi (9), one GEMM over the channels of a block of images
// (blocks of at least 512 tiles, about a quarter of L3):
//   forward, per phase:  M_xi (K, tiles) = U_xi (K, C) @ V_xi (C, tiles)
//   backward data:       M_xi (C, tiles) = U_xi (C, 4K) @ V_xi (4K, tiles)   (the four phases summed in the GEMM)
// with V the input transforms (tiles x images in vector lanes, read from x or dy deinterleaved by column phase)
// and U the weight transforms. The weight gradient is the same algorithm's adjoint in g: per phase,
// dw taps = G^T [sum over tiles of (A x A^T) . V] G, x's own 2x2 tiles against dy's transforms, so
//   weights:             G_xi (C, 4K) (+)= X_xi (C, tiles) @ V_xi^T   (the backward's V, built once for dx and dw)
// summed over blocks of images in order. The output transforms add the bias and write every element once. Each
// result is one GEMM chain per element plus fixed additions: the same at any thread count. 16/9 fewer
// multiplications than the direct products (the GEMM paths of conv_transpose_gemm.h).
#pragma once

#include "kernels/conv_transpose.h"

namespace nne {
namespace NNE_ISA_NS {

// Stride 2x2, kernel 4x4, dilation 1, one group, float32, at least 16 channels in and out and 1024 input positions
// (N*H*W: the weight and input transforms pay for themselves; measured on Zen 4 against the GEMM paths), weight
// transforms of at most 64 MiB.
bool conv_transpose2d_winograd_ok(const ConvTranspose2dShape& s);
void conv_transpose2d_winograd_forward(float* y, const float* x, const float* w, const float* b,
                                       const ConvTranspose2dShape& s);
// dx and/or dw (either may be null; x is read only for dw, w only for dx), from one input transform of dy per
// block of images; dw's sums run over the blocks in order, whichever gradients a call asks for.
void conv_transpose2d_winograd_backward(float* dx, float* dw, const float* dy, const float* x, const float* w,
                                        const ConvTranspose2dShape& s);

}  // namespace NNE_ISA_NS
}  // namespace nne
