// Scalar twins of the layer/group/instance norm kernels (double arithmetic), the oracle inside C++.
#include <cmath>
#include <vector>

#include "kernels/layernorm.h"

namespace nne {

void layernorm_forward_reference(float* y, float* mean, float* rstd, float* var, const float* x, const float* w,
                                 const float* b, const LayerNormShape& s) {
  const int64_t M = s.K * s.L;
  for (int64_t r = 0; r < s.N * s.G; ++r) {
    const float* xr = x + r * M;
    double acc = 0.0, sq = 0.0;
    for (int64_t i = 0; i < M; ++i) acc += xr[i];
    const double m = acc / static_cast<double>(M);
    for (int64_t i = 0; i < M; ++i) sq += (xr[i] - m) * (xr[i] - m);
    const double v = sq / static_cast<double>(M), is = 1.0 / std::sqrt(v + s.eps);
    mean[r] = static_cast<float>(m);
    rstd[r] = static_cast<float>(is);
    if (var) var[r] = static_cast<float>(v);
    const int64_t c0 = (r % s.G) * s.K;
    for (int64_t k = 0; k < s.K; ++k)
      for (int64_t l = 0; l < s.L; ++l) {
        const int64_t i = k * s.L + l;
        y[r * M + i] = static_cast<float>((xr[i] - m) * is * (w ? w[c0 + k] : 1.f) + (b ? b[c0 + k] : 0.f));
      }
  }
}

void layernorm_backward_reference(float* dx, float* dw, float* db, const float* dy, const float* x,
                                  const float* mean, const float* rstd, const float* w, const LayerNormShape& s) {
  const int64_t M = s.K * s.L, C = s.G * s.K;
  std::vector<double> aw(static_cast<size_t>(C), 0.0), ab(static_cast<size_t>(C), 0.0);
  for (int64_t r = 0; r < s.N * s.G; ++r) {
    const int64_t c0 = (r % s.G) * s.K;
    const double m = mean[r], is = rstd[r];
    double s1 = 0.0, s2 = 0.0;  // sum(dy * w), sum(dy * w * xhat)
    for (int64_t k = 0; k < s.K; ++k)
      for (int64_t l = 0; l < s.L; ++l) {
        const int64_t i = r * M + k * s.L + l;
        const double xh = (x[i] - m) * is, wk = w ? w[c0 + k] : 1.0;
        s1 += dy[i] * wk;
        s2 += dy[i] * wk * xh;
        aw[static_cast<size_t>(c0 + k)] += dy[i] * xh;
        ab[static_cast<size_t>(c0 + k)] += dy[i];
      }
    for (int64_t k = 0; k < s.K; ++k)
      for (int64_t l = 0; l < s.L; ++l) {
        const int64_t i = r * M + k * s.L + l;
        const double xh = (x[i] - m) * is, wk = w ? w[c0 + k] : 1.0;
        if (dx) dx[i] = static_cast<float>(is * (dy[i] * wk - s1 / M - xh * s2 / M));
      }
  }
  for (int64_t c = 0; c < C; ++c) {
    if (dw) dw[c] = static_cast<float>(aw[static_cast<size_t>(c)]);
    if (db) db[c] = static_cast<float>(ab[static_cast<size_t>(c)]);
  }
}

}  // namespace nne
