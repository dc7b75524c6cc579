// Pointwise (1x1, stride 1, unpadded) convolutions on small images, batched (compiled once per ISA with conv2d.cpp,
// which decides when they run: the blocked path's pointwise blocks of several images).
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/cpuinfo.h"

namespace nne {
namespace NNE_ISA_NS {

// A quarter of the per-core L2 in floats (16 Ki .. 1 Mi): the column-matrix budget of one im2col block and the unit
// of the pointwise GEMMs' output block (conv2d.cpp geometry(), pointwise_gemms()).
inline int64_t conv_l2_floats() {
  return std::clamp<int64_t>(cache_info().l2 / 4, int64_t{1} << 14, int64_t{1} << 20);
}

// Pointwise layers on small images (batched blocks): per group, one GEMM over many images with op(B) packed from the
// images by the GEMM (no column matrix) and the weights packed once per GEMM instead of once per block of images
// (the 2048 -> 512 layer on 7x7 images packed its 4 MiB of weights 4 times for 32 images), then C copied into the
// output images. out[n][o0 + m][pos] = sum_c a[m][c] in[n][c0 + c][pos] (+ bias[m]) for m < M, c < Kc, over the
// images' HW positions; in has Cin channels, out Cout. Bit for bit the products of each image alone (the in-place
// path of larger images): every element is the same FMA chain over the same K blocks.
struct PointwiseGemm {
  const float* a;  // op(a) is M x Kc: a (row stride lda), or a^T when trans_a (the data gradient's w_g^T)
  int64_t lda, M, Kc;
  bool trans_a;
  const float* bias;
  const float* in;
  int64_t Cin, c0;
  float* out;
  int64_t Cout, o0;
};
void pointwise_gemms(const PointwiseGemm& p, int64_t N, int64_t HW);

// Channels [c0, c0 + width) of consecutive images as the columns of a K x width matrix whose rows are the images'
// positions: element (k, j) = x[n][c0 + j][pos] for k = n * HW + pos (n counted from x, the range's first image;
// C channels per image). A GEMM packer (GemmArgs::pack_a / pack_b, gemm.h) for the weight gradient of a pointwise
// layer, dW_g = dy_g x_g^T summed over images: dy as op(A)^T and x as op(B), both read from the tensors.
struct PositionsView {
  const float* x;
  int64_t C, HW, c0;
};
void pack_positions(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int64_t nr, float* dst);

}  // namespace NNE_ISA_NS
}  // namespace nne
