// Scalar twins of the conv_transpose2d kernels: direct scatter loops over input positions and taps (no
// conv2d code: the shared loop only walks the index space), the oracle inside C++.
#include <cstring>

#include "kernels/conv_transpose.h"
#include "reference/conv_ref_loops.h"

namespace nne {
namespace {

// Calls f(x_index, w_index, y_index) for every input element, tap and output channel whose output
// position lies inside y.
template <class F>
void for_taps(const ConvTranspose2dShape& s, F f) {
  const int64_t Kg = s.K / s.groups;
  // grid 1 = the input, outer = input channels, inner = output channels of the group
  const ref_detail::TapLoops L{s.N, s.C, Kg, s.groups, s.H, s.W, s.P, s.Q,
                               s.R, s.S, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dil_h, s.dil_w};
  ref_detail::for_conv_taps(L, [&](int64_t n, int64_t c, int64_t gr, int64_t h, int64_t wi, int64_t kk, int64_t r,
                                   int64_t t, int64_t oh, int64_t ow) {
    f(((n * s.C + c) * s.H + h) * s.W + wi, ((c * Kg + kk) * s.R + r) * s.S + t,
      ((n * s.K + gr * Kg + kk) * s.P + oh) * s.Q + ow);
  });
}

}  // namespace

void conv_transpose2d_forward_reference(float* y, const float* x, const float* w, const float* b,
                                        const ConvTranspose2dShape& s) {
  ref_detail::fill_bias(y, b, s.N, s.K, s.P * s.Q);
  for_taps(s, [&](int64_t xi, int64_t wi, int64_t yi) { y[yi] += x[xi] * w[wi]; });
}

void conv_transpose2d_backward_data_reference(float* dx, const float* dy, const float* w,
                                              const ConvTranspose2dShape& s) {
  std::memset(dx, 0, sizeof(float) * s.N * s.C * s.H * s.W);
  for_taps(s, [&](int64_t xi, int64_t wi, int64_t yi) { dx[xi] += dy[yi] * w[wi]; });
}

void conv_transpose2d_backward_weights_reference(float* dw, float* db, const float* dy, const float* x,
                                                 const ConvTranspose2dShape& s) {
  if (db) ref_detail::sum_bias(db, dy, s.N, s.K, s.P * s.Q);
  if (!dw) return;
  std::memset(dw, 0, sizeof(float) * s.C * (s.K / s.groups) * s.R * s.S);
  for_taps(s, [&](int64_t xi, int64_t wi, int64_t yi) { dw[wi] += x[xi] * dy[yi]; });
}

void conv_transpose2d_backward_reference(float* dx, float* dw, float* db, const float* dy, const float* x,
                                         const float* w, const ConvTranspose2dShape& s) {
  if (dx) conv_transpose2d_backward_data_reference(dx, dy, w, s);
  conv_transpose2d_backward_weights_reference(dw, db, dy, x, s);
}

}  // namespace nne
