// Scalar twins of the conv3d kernels: direct loops over every output element and in-volume tap, the oracle inside
// C++.
#include <cstring>

#include "kernels/conv3d.h"
#include "reference/conv_ref_loops.h"

namespace nne {
namespace {

// Calls f(y_index, w_index, x_index) for every in-volume tap of every output element.
template <class F>
void for_taps(const Conv3dShape& s, F f) {
  const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups;
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t k = 0; k < s.K; ++k)
      for (int64_t od = 0; od < s.OD; ++od)
        for (int64_t p = 0; p < s.P; ++p)
          for (int64_t q = 0; q < s.Q; ++q) {
            const int64_t yi = (((n * s.K + k) * s.OD + od) * s.P + p) * s.Q + q;
            for (int64_t c = 0; c < Cg; ++c)
              for (int64_t t = 0; t < s.T; ++t) {
                const int64_t id = od * s.stride_d - s.pad_d + t * s.dil_d;
                if (id < 0 || id >= s.D) continue;
                for (int64_t r = 0; r < s.R; ++r) {
                  const int64_t ih = p * s.stride_h - s.pad_h + r * s.dil_h;
                  if (ih < 0 || ih >= s.H) continue;
                  for (int64_t u = 0; u < s.S; ++u) {
                    const int64_t iw = q * s.stride_w - s.pad_w + u * s.dil_w;
                    if (iw < 0 || iw >= s.W) continue;
                    const int64_t ci = n * s.C + k / Kg * Cg + c;
                    f(yi, (((k * Cg + c) * s.T + t) * s.R + r) * s.S + u, ((ci * s.D + id) * s.H + ih) * s.W + iw);
                  }
                }
              }
          }
}

}  // namespace

void conv3d_forward_reference(float* y, const float* x, const float* w, const float* b, const Conv3dShape& s) {
  ref_detail::fill_bias(y, b, s.N, s.K, s.OD * s.P * s.Q);
  for_taps(s, [&](int64_t yi, int64_t wi, int64_t xi) { y[yi] += w[wi] * x[xi]; });
}

void conv3d_backward_data_reference(float* dx, const float* dy, const float* w, const Conv3dShape& s) {
  std::memset(dx, 0, sizeof(float) * s.N * s.C * s.D * s.H * s.W);
  for_taps(s, [&](int64_t yi, int64_t wi, int64_t xi) { dx[xi] += w[wi] * dy[yi]; });
}

void conv3d_backward_weights_reference(float* dw, float* db, const float* dy, const float* x,
                                       const Conv3dShape& s) {
  if (dw) std::memset(dw, 0, sizeof(float) * s.K * (s.C / s.groups) * s.T * s.R * s.S);
  if (db) ref_detail::sum_bias(db, dy, s.N, s.K, s.OD * s.P * s.Q);
  if (!dw) return;
  for_taps(s, [&](int64_t yi, int64_t wi, int64_t xi) { dw[wi] += dy[yi] * x[xi]; });
}

}  // namespace nne
