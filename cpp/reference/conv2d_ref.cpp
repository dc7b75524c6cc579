// Scalar twins of the conv2d kernels: direct seven-deep loops, the oracle inside C++.
#include <cstring>

#include "kernels/conv2d.h"
#include "reference/conv_ref_loops.h"

namespace nne {
namespace {

// Calls f(n, k, p, q, c, r, t, x_index) for every in-image tap of every output element.
template <class F>
void for_taps(const Conv2dShape& s, F f) {
  const int64_t Cg = s.C / s.groups;
  // grid 1 = the output, outer = output channels, inner = input channels of the group
  const ref_detail::TapLoops L{s.N, s.K, Cg, s.groups, s.P, s.Q, s.H, s.W,
                               s.R, s.S, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dil_h, s.dil_w};
  ref_detail::for_conv_taps(L, [&](int64_t n, int64_t k, int64_t gr, int64_t p, int64_t q, int64_t c, int64_t r,
                                   int64_t t, int64_t ih, int64_t iw) {
    f(n, k, p, q, c, r, t, ((n * s.C + gr * Cg + c) * s.H + ih) * s.W + iw);
  });
}

}  // namespace

void conv2d_forward_reference(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s) {
  const int64_t Cg = s.C / s.groups;
  ref_detail::fill_bias(y, b, s.N, s.K, s.P * s.Q);
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
  if (db) ref_detail::sum_bias(db, dy, s.N, s.K, s.P * s.Q);
  if (!dw) return;
  for_taps(s, [&](int64_t n, int64_t k, int64_t p, int64_t q, int64_t c, int64_t r, int64_t t, int64_t xi) {
    dw[((k * Cg + c) * s.R + r) * s.S + t] += dy[((n * s.K + k) * s.P + p) * s.Q + q] * x[xi];
  });
}

}  // namespace nne
