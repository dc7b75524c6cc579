// The bias gradient of an NCHW-shaped output gradient, shared by the convolution kernels that compute it apart
// from their GEMMs (conv_transpose.cpp, conv2d_winograd.cpp); compiled per ISA with them.
#pragma once

#include <cstdint>

#include "core/parallel.h"
#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// db[k] = sum over n and j of dy[n][k][j]: vector lanes over j, images in order, one channel per task, so the
// summation order is fixed by the shape alone.
void bias_grad(float* db, const float* dy, int64_t N, int64_t K, int64_t PQ) {
  parallel_for(0, K, plane_grain(N * PQ), [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      VecF acc = vzero();
      float tail = 0.f;
      for (int64_t n = 0; n < N; ++n) {
        const float* p = dy + (n * K + k) * PQ;
        int64_t j = 0;
        for (; j + kLanes <= PQ; j += kLanes) acc = vadd(acc, vload(p + j));
        for (; j < PQ; ++j) tail += p[j];
      }
      db[k] = vsum(acc) + tail;
    }
  });
}

}  // namespace
}  // namespace NNE_ISA_NS
}  // namespace nne
