// Scalar twins of the batch-norm kernels (double accumulation), the oracle inside C++.
#include <cmath>

#include "kernels/batchnorm.h"

namespace nne {

void batchnorm_forward_train_reference(float* y, float* mean, float* invstd, float* var, const float* x,
                                       const float* w, const float* b, const BatchNormShape& s) {
  const double M = static_cast<double>(s.N * s.L);
  for (int64_t c = 0; c < s.C; ++c) {
    double acc = 0.0, sq = 0.0;
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t l = 0; l < s.L; ++l) acc += x[(n * s.C + c) * s.L + l];
    const double m = acc / M;
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t l = 0; l < s.L; ++l) sq += (x[(n * s.C + c) * s.L + l] - m) * (x[(n * s.C + c) * s.L + l] - m);
    const double v = sq / M, is = 1.0 / std::sqrt(v + s.eps);
    mean[c] = static_cast<float>(m);
    invstd[c] = static_cast<float>(is);
    var[c] = static_cast<float>(v);
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t l = 0; l < s.L; ++l) {
        const int64_t i = (n * s.C + c) * s.L + l;
        y[i] = static_cast<float>((x[i] - m) * is * (w ? w[c] : 1.f) + (b ? b[c] : 0.f));
      }
  }
}

void batchnorm_backward_reference(float* dx, float* dw, float* db, const float* dy, const float* x,
                                  const float* mean, const float* invstd, const float* w, bool batch_stats,
                                  const BatchNormShape& s) {
  const double M = static_cast<double>(s.N * s.L);
  for (int64_t c = 0; c < s.C; ++c) {
    double sdy = 0.0, sdyxh = 0.0;
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t l = 0; l < s.L; ++l) {
        const int64_t i = (n * s.C + c) * s.L + l;
        sdy += dy[i];
        sdyxh += dy[i] * (x[i] - mean[c]) * invstd[c];
      }
    if (db) db[c] = static_cast<float>(sdy);
    if (dw) dw[c] = static_cast<float>(sdyxh);
    if (!dx) continue;
    const double k = (w ? w[c] : 1.0) * invstd[c];
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t l = 0; l < s.L; ++l) {
        const int64_t i = (n * s.C + c) * s.L + l;
        const double xh = (x[i] - mean[c]) * invstd[c];
        dx[i] = static_cast<float>(batch_stats ? k * (dy[i] - sdy / M - xh * sdyxh / M) : k * dy[i]);
      }
  }
}

}  // namespace nne
