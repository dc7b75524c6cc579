// batchnorm: batch normalisation (Ioffe & Szegedy 2015) over x viewed as (N, C, L): BatchNorm1d on
// (N, C) has L = 1, on (N, C, L) the sequence length, BatchNorm2d has L = H*W. Statistics are per
// channel c over the N*L entries. Training uses the batch mean and biased variance (saved as mean and
// invstd = 1/sqrt(var + eps) for backward); eval uses the running statistics. Threads go over
// channels, each channel summed serially (float vector partials per row, double across rows), so
// results do not depend on the thread count. weight/bias may be null (affine=False).
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

struct BatchNormShape {
  int64_t N = 0, C = 0, L = 1;
  float eps = 1e-5f;
};

struct BatchNormKernels {
  // y = (x - mean) * invstd * w + b with the batch statistics; writes mean, invstd and the biased var.
  void (*forward_train)(float* y, float* mean, float* invstd, float* var, const float* x, const float* w,
                        const float* b, const BatchNormShape& s);
  // y = (x - rmean) / sqrt(rvar + eps) * w + b.
  void (*forward_eval)(float* y, const float* x, const float* rmean, const float* rvar, const float* w,
                       const float* b, const BatchNormShape& s);
  // Gradients given the statistics used in forward (mean, invstd). batch_stats: the statistics
  // depended on x (training); else they were constants (eval). dx, dw, db may each be null.
  void (*backward)(float* dx, float* dw, float* db, const float* dy, const float* x, const float* mean,
                   const float* invstd, const float* w, bool batch_stats, const BatchNormShape& s);
};

// Scalar reference twins (cpp/reference/batchnorm_ref.cpp), double accumulation.
void batchnorm_forward_train_reference(float* y, float* mean, float* invstd, float* var, const float* x,
                                       const float* w, const float* b, const BatchNormShape& s);
void batchnorm_backward_reference(float* dx, float* dw, float* db, const float* dy, const float* x,
                                  const float* mean, const float* invstd, const float* w, bool batch_stats,
                                  const BatchNormShape& s);

}  // namespace nne

NNE_DISPATCH(nne::BatchNormKernels, batchnorm)
