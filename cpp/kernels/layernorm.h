// layernorm: per-row normalisation shared by LayerNorm, GroupNorm and InstanceNorm (Ba et al. 2016,
// Wu & He 2018, Ulyanov et al. 2016). x is viewed as (N, G, K, L), contiguous: each row r = (n, g) of
// K*L values is normalised with its own mean and biased variance, then the affine of channel
// c = g*K + k (weight/bias of length C = G*K) is applied over the L positions:
//   LayerNorm over the last D values:   (rows, 1, D, 1)   (weight/bias elementwise over D)
//   GroupNorm(G) on (N, C, *):          (N, G, C/G, prod(*))
//   InstanceNorm on (N, C, *):          (N, C, 1, prod(*))
// Forward writes y, mean[r] and rstd[r] = 1/sqrt(var + eps) (what backward reads) and, if var is not
// null, the biased variance. Row statistics are two-pass (mean, then squared deviations), float vector
// partials folded into double every few hundred values. Threads go over rows in forward; backward
// computes dx per row and sums dweight/dbias over fixed row chunks (the chunking depends on the shape
// only), combined in chunk order: results never depend on the thread count. weight/bias may be null.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

struct LayerNormShape {
  int64_t N = 0, G = 1, K = 0, L = 1;
  float eps = 1e-5f;
};

struct LayerNormKernels {
  // y = (x - mean[r]) * rstd[r] * w[c] + b[c]; writes mean, rstd (N*G each) and var if not null.
  void (*forward)(float* y, float* mean, float* rstd, float* var, const float* x, const float* w,
                  const float* b, const LayerNormShape& s);
  // Gradients given forward's mean and rstd. dx, dw, db may each be null (not wanted).
  void (*backward)(float* dx, float* dw, float* db, const float* dy, const float* x, const float* mean,
                   const float* rstd, const float* w, const LayerNormShape& s);
};

// Scalar reference twins (cpp/reference/layernorm_ref.cpp), double arithmetic.
void layernorm_forward_reference(float* y, float* mean, float* rstd, float* var, const float* x, const float* w,
                                 const float* b, const LayerNormShape& s);
void layernorm_backward_reference(float* dx, float* dw, float* db, const float* dy, const float* x,
                                  const float* mean, const float* rstd, const float* w, const LayerNormShape& s);

}  // namespace nne

NNE_DISPATCH(nne::LayerNormKernels, layernorm)
