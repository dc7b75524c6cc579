// Scalar twins of the conv2d kernels: direct seven-deep loops, the oracle inside C++.
#include <cstring>

#include "kernels/conv2d.h"

namespace nne {
namespace {

// Calls f(n, k, p, q, c, r, t, x_index) for every in-image tap of every output element.
template <class F>
void for_taps(const Conv2dShape& s, F f) {
  const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups;
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t k = 0; k < s.K; ++k) {
      const int64_t gr = k / Kg;
      for (int64_t p = 0; p < s.P; ++p)
        for (int64_t q = 0; q < s.Q; ++q)
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t r = 0; r < s.R; ++r)
              for (int64_t t = 0; t < s.S; ++t) {
                const int64_t ih = p * s.stride_h - s.pad_h + r * s.dil_h;
                const int64_t iw = q * s.stride_w - s.pad_w + t * s.dil_w;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                f(n, k, p, q, c, r, t, ((n * s.C + gr * Cg + c) * s.H + ih) * s.W + iw);
              }
    }
}

}  // namespace

void conv2d_forward_reference(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s) {
  const int64_t Cg = s.C / s.groups;
  for (int64_t i = 0; i < s.N * s.K * s.P * s.Q; ++i) y[i] = b ? b[(i / (s.P * s.Q)) % s.K] : 0.f;
  for_taps(s, [&](int64_t n, int64_t k, int64_t p, int64_t q, int64_t c, int64_t r, int64_t t, int64_t xi) {
    y[((n * s.K + k) * s.P + p) * s.Q + q] += w[((k * Cg + c) * s.R + r) * s.S + t] * x[xi];
  });
}

void conv2d_backward_data_reference(float* dx, const float* dy, const float* w, const Conv2dShape& s) {
  const int64_t Cg = s.C / s.groups;
  std::memset(dx, 0, sizeof(float) * s.N * s.C * s.H * s.W);
  for_taps(s, [&](int64_t n, int64_t k, int64_t p, int64_t q, int64_t c, int64_t r, int64_t t, int64_t xi) {
    dx[xi] += w[((k * Cg + c) * s.R + r) * s.S + t] * dy[((n * s.K + k) * s.P + p) * s.Q + q];
  });
}

void conv2d_backward_weights_reference(float* dw, float* db, const float* dy, const float* x,
                                       const Conv2dShape& s) {
  const int64_t Cg = s.C / s.groups;
  if (dw) std::memset(dw, 0, sizeof(float) * s.K * Cg * s.R * s.S);
  if (db) {
    std::memset(db, 0, sizeof(float) * s.K);
    for (int64_t i = 0; i < s.N * s.K * s.P * s.Q; ++i) db[(i / (s.P * s.Q)) % s.K] += dy[i];
  }
  if (!dw) return;
  for_taps(s, [&](int64_t n, int64_t k, int64_t p, int64_t q, int64_t c, int64_t r, int64_t t, int64_t xi) {
    dw[((k * Cg + c) * s.R + r) * s.S + t] += dy[((n * s.K + k) * s.P + p) * s.Q + q] * x[xi];
  });
}

}  // namespace nne
