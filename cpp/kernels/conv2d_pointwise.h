// Pointwise (1x1, stride 1, unpadded) convolutions on small images, batched (compiled once per ISA with conv2d.cpp,
// which decides when they run: the blocked path's pointwise blocks of several images).
#pragma once

#include <cstdint>

namespace nne {
namespace NNE_ISA_NS {

// Pointwise layers on small images (batched blocks): per group, one GEMM over many images with op(B) packed from the
// images by the GEMM (no column matrix) and the weights packed once per GEMM instead of once per block of images
// (the 2048 -> 512 layer on 7x7 images packed its 4 MiB of weights 4 times for 32 images), then C copied into the
// output images. out[n][o0 + m][pos] = sum_c a[m][c] in[n][c0 + c][pos] (+ bias[m]) for m < M, c < Kc, over the
// images' HW positions; in has Cin channels, out Cout. Bit for bit the products of each image alone (the in-place
// path of larger images): every element is the same FMA chain over the same K blocks.
struct PointwiseGemm {
  const float* a;
  int64_t lda, M, Kc;
  const float* bias;
  const float* in;
  int64_t Cin, c0;
  float* out;
  int64_t Cout, o0;
};
void pointwise_gemms(const PointwiseGemm& p, int64_t N, int64_t HW);

}  // namespace NNE_ISA_NS
}  // namespace nne
